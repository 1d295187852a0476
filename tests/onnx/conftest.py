"""Fixtures of the ONNX tests: a tiny random-weight voice bundle built directly (no training: a few KB of
weights, the real audio config, vocabulary and statistics of the shipped voice), with a teacher, a 2-step
student under a searched schedule with layer masks, and a tiny iSTFT vocoder; and its ONNX export with int8
graphs. The tests skip cleanly without onnx / onnxruntime (each test module imports them with importorskip)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VOICE = ROOT / "pretrained" / "slt_demo"


def build_tiny_bundle(out: Path, seed: int = 0, denoiser: dict | None = None) -> Path:
    """A voice bundle of random weights: ``teacher`` (1 and 4 steps), ``student_k2`` (2 steps, searched
    schedule with layer masks), an iSTFT vocoder with the pseudo-inverse magnitude prior and mel matching."""
    import torch

    from prodiff_tts.audio import AudioConfig
    from prodiff_tts.bundle import BundleConfig, DenoiserEntry, save_weights
    from prodiff_tts.models import (AcousticConfig, AcousticModel, AlignerConfig, DenoiserConfig, EncoderConfig,
                                    VarianceConfig)
    from prodiff_tts.vocoders import ISTFTVocoder, save_vocoder

    torch.manual_seed(seed)
    audio = AudioConfig()
    vocab = json.loads((VOICE / "vocab.json").read_text())
    n_symbols = len(vocab["symbols"])
    cfg = AcousticConfig(
        n_mels=audio.n_mels,
        encoder=EncoderConfig(hidden=16, n_layers=1, n_heads=2, ffn_hidden=32, kernel_size=3, dropout=0.0,
                              attention_dropout=0.0),
        variance=VarianceConfig(filter_size=16, dropout=0.0),
        aligner=AlignerConfig(attention_channels=8),
        denoiser=DenoiserConfig(residual_channels=16, n_layers=3, **(denoiser or {})),
    )
    model = AcousticModel(cfg, n_symbols).eval()
    with torch.no_grad():
        model.variance.duration_predictor.proj.bias.fill_(math.log1p(4.0))  # about 4 frames per phoneme
        for name, p in model.denoiser.named_parameters():
            if "output_projection" in name:  # zero-initialised: give the denoiser an output
                p.normal_(0.0, 0.3)
    out.mkdir(parents=True, exist_ok=True)
    shared = {k: v for k, v in model.state_dict().items() if not k.startswith("denoiser.")}
    save_weights(out / "acoustic.safetensors", shared)
    teacher = model.denoiser.state_dict()
    gen = torch.Generator().manual_seed(seed + 1)
    student = {k: v + 0.1 * v.std().nan_to_num() * torch.randn(v.shape, generator=gen) if v.numel() > 1 else v
               for k, v in teacher.items()}
    save_weights(out / "denoiser_teacher.safetensors", teacher)
    save_weights(out / "denoiser_student_k2.safetensors", student)
    for name in ("vocab.json", "stats.json"):
        shutil.copyfile(VOICE / name, out / name)
    masks = [[True, False, True], [True, True, True]]
    (out / "schedule.json").write_text(json.dumps({"format_version": 1, "schedules": {
        "student_k2:2": {"steps": 2, "denoiser": "student_k2", "timesteps": [1.0, 0.6], "layer_masks": masks}}}))
    vocoder = ISTFTVocoder(audio, dim=16, intermediate_dim=32, num_layers=1, magnitude_prior="pinv", mel_match_iters=2)
    save_vocoder(vocoder, out / "vocoder")
    BundleConfig(audio=audio.to_dict(), model=cfg.to_dict(), n_symbols=n_symbols,
                 diffusion={"schedule": "cosine", "schedule_kwargs": {}},
                 denoisers=[DenoiserEntry("teacher", "denoiser_teacher.safetensors", [1, 4]),
                            DenoiserEntry("student_k2", "denoiser_student_k2.safetensors", [2], distilled=True)],
                 vocoder="vocoder", voice="tiny_onnx", extra={"default_vocoder": "griffin-lim"}
                 ).save(out / "config.yaml")
    return out


@pytest.fixture(scope="session")
def make_tiny_bundle():
    """:func:`build_tiny_bundle`, for a test that needs another architecture."""
    return build_tiny_bundle


@pytest.fixture(scope="session")
def onnx_bundle(tmp_path_factory) -> Path:
    return build_tiny_bundle(tmp_path_factory.mktemp("onnx_bundle") / "tiny")


@pytest.fixture(scope="session")
def onnx_export(onnx_bundle, tmp_path_factory) -> Path:
    """The tiny voice exported at 2 steps (the student, searched, layer masks) and 1 step (the teacher), with
    int8 step graphs calibrated on 3 sentences."""
    pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
    pytest.importorskip("onnxruntime")
    from prodiff_tts.onnx.export import export_onnx

    out = tmp_path_factory.mktemp("onnx_export") / "tiny"
    export_onnx(onnx_bundle, out, steps=[2, 1], int8=True, calibration_texts=3)
    return out


@pytest.fixture(scope="session")
def torch_synth(onnx_bundle):
    from prodiff_tts.api import Synthesizer

    return Synthesizer(onnx_bundle, vocoder="bundle")
