"""Voice bundle -> directory of ONNX graphs + manifest (the torch side of the ONNX path).

What is a graph and what is numpy (see :mod:`.manifest` for the files):

* ``frontend.onnx``: encoder and variance adaptor up to the phoneme level: ``(phonemes [B, N] int64,
  lengths [B] int64) -> (h [B, N, C], log_duration [B, N])``, ``h`` with the pitch and energy embeddings
  added. Integer durations (with the speed factor) and length regulation are numpy (:mod:`.sampling`): exact,
  and free of data-dependent shapes in the graph.
* ``condition.<denoiser>.onnx``: ``WaveNetDenoiser.project_condition``: ``cond [B, C, T] -> proj``.
* ``k<K>.step<i>.onnx``: step i of the K-step plan, ``(z_t, proj, mask) -> x0_hat``, through the denoiser's
  public ``forward`` with that step's timestep and layer mask baked in (the step-embedding MLP becomes a
  constant). The DDIM update between steps is numpy, with the torch schedule's coefficients in the manifest.
* ``vocoder.onnx``: an iSTFT vocoder up to ``(log_magnitude, phase)`` (the inverse STFT is numpy), another
  trained vocoder whole (mel -> waveform); Griffin-Lim needs no graph.

``int8=True`` then quantizes every step graph (:mod:`.quantize`).
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import onnx
import torch
from torch import nn

from ..api import Synthesizer
from ..audio import griffin_lim as gl
from ..bundle import copy_side_files
from ..diffusion.schedule import coefficients
from ..fileio import atomic_write
from ..models.denoiser import ProjectedCondition
from ..models.variance import MAX_PHONEME_FRAMES
from .graph import fold_static_dims
from .manifest import MANIFEST_NAME, OnnxManifest, OnnxPlan, write_manifest

__all__ = ["DEFAULT_OPSET", "export_onnx"]

DEFAULT_OPSET = 17
# the TorchScript exporter: the default before torch 2.9 (which has no ``dynamo`` argument before 2.5)
_TRACING = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


class _Frontend(nn.Module):
    """Encoder + variance adaptor up to the phoneme level, in the adaptor's order (FastPitch): duration and
    pitch predictors read ``h``; the pitch embedding is added; the energy predictor reads the result; the
    energy embedding is added. Predictions are embedded (inference)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.encoder, self.variance = model.encoder, model.variance

    def forward(self, phonemes: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, mask = self.encoder(phonemes, lengths)
        v, fmask = self.variance, mask.to(h.dtype)
        log_duration = v.duration_predictor(h, fmask)
        h = h + v.pitch_embedding(v.pitch_predictor(h, fmask), fmask)
        if v.config.use_energy:
            h = h + v.energy_embedding(v.energy_predictor(h, fmask), fmask)
        return h, log_duration


class _Condition(nn.Module):
    def __init__(self, denoiser: nn.Module) -> None:
        super().__init__()
        self.denoiser = denoiser

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return self.denoiser.project_condition(cond).proj


class _Step(nn.Module):
    """One denoiser call at a fixed timestep and layer mask. ``t`` has shape [1] and broadcasts over the batch,
    so the step embedding does not depend on an input and is folded into a constant."""

    def __init__(self, denoiser: nn.Module, t: float, layer_mask: Sequence[bool] | None) -> None:
        super().__init__()
        self.denoiser = denoiser
        self.layer_mask = None if layer_mask is None else list(layer_mask)
        self.register_buffer("t", torch.tensor([t], dtype=torch.float32), persistent=False)

    def forward(self, z_t: torch.Tensor, proj: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.denoiser(z_t, self.t, ProjectedCondition(proj), mask, self.layer_mask)


class _SpectrumHead(nn.Module):
    def __init__(self, vocoder: nn.Module) -> None:
        super().__init__()
        self.vocoder = vocoder

    def forward(self, log_mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.vocoder.log_magnitude_and_phase(log_mel)


class _Waveform(nn.Module):
    def __init__(self, vocoder: nn.Module) -> None:
        super().__init__()
        self.vocoder = vocoder

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        return self.vocoder.generate(log_mel)


def _export(module: nn.Module, args: tuple, path: Path, inputs: dict[str, dict[int, str]],
            outputs: dict[str, dict[int, str]], opset: int) -> None:
    """``torch.onnx.export`` (TorchScript tracing, ``dynamo=False``: needs only the onnx package) with the
    named dynamic axes, static sizes folded (:func:`.graph.fold_static_dims`), written atomically."""

    def write(tmp: str) -> None:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python bools and the exporter's notices
            torch.onnx.export(module.eval(), args, tmp, input_names=list(inputs), output_names=list(outputs),
                              dynamic_axes={**inputs, **outputs}, opset_version=opset, do_constant_folding=True,
                              **_TRACING)
        model = onnx.load(tmp)
        fold_static_dims(model)
        onnx.save(model, tmp)

    atomic_write(path, write)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST_NAME).is_file():
        raise ValueError(f"{out_dir} is not empty and holds no ONNX voice: give a new or empty directory")


def _example_ids(n_symbols: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    phonemes = torch.randint(1, max(n_symbols, 2), (2, 7), generator=gen)
    phonemes[1, 5:] = 0
    return phonemes, torch.tensor([7, 5])


def _vocoder_entries(synth: Synthesizer, out_dir: Path, opset: int, progress: Callable[[str], None]) -> dict:
    from ..vocoders import GriffinLimVocoder, ISTFTVocoder, load_vocoder, remove_weight_norm

    gl_settings = GriffinLimVocoder(synth.audio).config()
    gl_settings.pop("audio_config")
    entries: dict[str, dict] = {"griffin-lim": gl_settings}
    if not synth.config.vocoder:
        return entries
    vocoder = remove_weight_norm(load_vocoder(synth.bundle_dir / synth.config.vocoder)).float().eval()
    if vocoder.audio_config != synth.audio:
        raise ValueError(f"the vocoder of {synth.bundle_dir} uses another audio config than the voice")
    mel = torch.randn(2, synth.audio.n_mels, 9) - 4.0
    axes = {0: "batch", 2: "frames"}
    if isinstance(vocoder, ISTFTVocoder):
        _export(_SpectrumHead(vocoder), (mel,), out_dir / "vocoder.onnx", {"log_mel": axes},
                {"log_magnitude": axes, "phase": axes}, opset)
        entries["bundle"] = {"kind": "istft", "graph": "vocoder.onnx", "name": vocoder.name,
                             "mel_match_iters": vocoder.mel_match_iters}
    else:
        _export(_Waveform(vocoder), (mel,), out_dir / "vocoder.onnx", {"log_mel": axes},
                {"waveform": {0: "batch", 1: "samples"}}, opset)
        entries["bundle"] = {"kind": "waveform", "graph": "vocoder.onnx", "name": vocoder.name}
    progress(f"vocoder ({entries['bundle']['kind']}): vocoder.onnx")
    return entries


def _write_audio_arrays(synth: Synthesizer, path: Path) -> None:
    window = gl._window(synth.audio, torch.device("cpu"), torch.float32)  # the STFT window of audio/griffin_lim
    arrays = {"window": window.numpy(), "mel_basis": gl.mel_basis(synth.audio).numpy(),
              "mel_pinv": gl.mel_pseudo_inverse(synth.audio).numpy()}

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()})

    atomic_write(path, write)


def export_onnx(bundle: str | Path, out_dir: str | Path, steps: Sequence[int] = (2,), *, int8: bool = False,
                calibration_texts: int = 16, opset: int = DEFAULT_OPSET, schedule: str = "searched",
                progress: Callable[[str], None] | None = None) -> OnnxManifest:
    """Export the voice ``bundle`` to ``out_dir``: the frontend, the condition projection of every denoiser the
    plans use, one graph per step of each ``steps`` plan (the voice's own plan: ``Synthesizer.plan(k,
    schedule)``), the vocoder, the audio arrays and the side files, then ``manifest.json`` (last: a failed
    export leaves no manifest). ``int8``: also quantize every step graph, calibrated on ``calibration_texts``
    sentences (:mod:`.calibration`) run through the fp32 plan. Returns the manifest."""
    say = progress or (lambda msg: None)
    bundle, out_dir = Path(bundle), Path(out_dir)
    steps = list(dict.fromkeys(steps))
    if not steps:
        raise ValueError("give at least one step count to export")
    if int8 and (isinstance(calibration_texts, bool) or not isinstance(calibration_texts, int)
                 or calibration_texts < 1):
        raise ValueError(f"calibration_texts must be a positive integer, got {calibration_texts!r}")
    _check_out_dir(out_dir)
    synth = Synthesizer(bundle)  # the voice's default vocoder; nothing is vocoded here
    plans = {k: synth.plan(k, schedule) for k in steps}  # unsupported step counts fail before any file
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_NAME
    if manifest_path.exists():
        manifest_path.unlink()  # the directory is an ONNX voice again only once the export is complete

    hidden, n_mels = synth.model.config.encoder.hidden, synth.audio.n_mels
    phonemes, lengths = _example_ids(synth.config.n_symbols)
    _export(_Frontend(synth.model), (phonemes, lengths), out_dir / "frontend.onnx",
            {"phonemes": {0: "batch", 1: "phonemes"}, "lengths": {0: "batch"}},
            {"h": {0: "batch", 1: "phonemes"}, "log_duration": {0: "batch", 1: "phonemes"}}, opset)
    say("encoder + variance adaptor: frontend.onnx")

    frames = 9
    mask = torch.ones(2, 1, frames)
    mask[1, :, 6:] = 0
    cond = torch.randn(2, hidden, frames) * mask
    conditions: dict[str, str] = {}
    exported: dict[int, OnnxPlan] = {}
    time_axes = {0: "batch", 2: "frames"}
    for k, plan in plans.items():
        den = synth.denoisers[plan.denoiser]
        if plan.denoiser not in conditions:
            conditions[plan.denoiser] = f"condition.{plan.denoiser}.onnx"
            _export(_Condition(den), (cond,), out_dir / conditions[plan.denoiser], {"cond": time_axes},
                    {"proj": {0: "batch", 3: "frames"}}, opset)
            say(f"condition projection of {plan.denoiser}: {conditions[plan.denoiser]}")
        with torch.no_grad():
            proj = den.project_condition(cond).proj
        files = []
        for i, t in enumerate(plan.timesteps):
            files.append(f"k{k}.step{i}.onnx")
            layer_mask = None if plan.layer_masks is None else plan.layer_masks[i]
            _export(_Step(den, t, layer_mask), (torch.randn(2, n_mels, frames) * mask, proj, mask),
                    out_dir / files[-1], {"z_t": time_axes, "proj": {0: "batch", 3: "frames"}, "mask": time_axes},
                    {"x0": time_axes}, opset)
        # the sampler's coefficients: a Python float timestep as a float32 tensor (diffusion.sampler.ddim_step)
        coeffs = tuple((float(a), float(s)) for a, s in (coefficients(synth.schedule, torch.as_tensor(t))
                                                          for t in plan.timesteps))
        exported[k] = OnnxPlan(k, plan.denoiser, plan.source, tuple(plan.timesteps), plan.layer_masks, coeffs,
                               {"fp32": files})
        say(f"{k} step(s) with {plan.denoiser} at t = {', '.join(f'{t:g}' for t in plan.timesteps)} "
            f"({plan.source}): {', '.join(files)}")

    vocoders = _vocoder_entries(synth, out_dir, opset, say)
    _write_audio_arrays(synth, out_dir / "audio.npz")
    copy_side_files(bundle, out_dir)
    default = synth.vocoder_name if synth.vocoder_name in vocoders else "griffin-lim"
    manifest = OnnxManifest(
        voice=synth.config.voice,
        source={"bundle": str(bundle.resolve()), "format_version": synth.config.format_version,
                "denoisers": {p.denoiser: next(e.file for e in synth.config.denoisers if e.name == p.denoiser)
                              for p in plans.values()},
                "weights_dtype": synth.config.extra.get("weights_dtype", "float32"), "torch": torch.__version__},
        opset=opset, audio=synth.audio.to_dict(), n_mels=n_mels, max_phoneme_frames=MAX_PHONEME_FRAMES,
        frontend="frontend.onnx", conditions=conditions, plans=exported, vocoders=vocoders,
        default_vocoder=default, files={"vocab": "vocab.json", "stats": "stats.json", "audio": "audio.npz"})
    write_manifest(out_dir, manifest)
    if int8:
        from .quantize import quantize_voice

        manifest = quantize_voice(out_dir, calibration_texts, progress=say)
    _remove_stale_graphs(out_dir, manifest, say)
    return manifest


def _remove_stale_graphs(out_dir: Path, manifest: OnnxManifest, say: Callable[[str], None]) -> None:
    """Graphs of an earlier export into the same directory that this one does not use (other step counts, an
    int8 set not made again): removed once the new manifest is complete, so the directory holds one voice."""
    used = set(manifest.graph_files())
    stale = sorted(f.name for f in out_dir.glob("*.onnx") if f.name not in used)
    for name in stale:
        (out_dir / name).unlink()
    if stale:
        say(f"removed {len(stale)} graph(s) of an earlier export: {', '.join(stale)}")
