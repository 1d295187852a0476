"""The GPU path (issue [gpu]): run where CUDA is available, skipped cleanly elsewhere.

    python -m pytest -q -m cuda tests/gpu        # on a GPU machine
"""

import json

import numpy as np
import pytest
import torch

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_bf16_mixed_training_on_the_gpu(prepared_tiny, tmp_path):
    """A few steps of the tiny teacher with trainer=gpu (bf16-mixed): the loss is finite and checkpoints land."""
    from prodiff_tts.training.run import train

    run = tmp_path / "teacher"
    train(["experiment=fixture", "trainer=gpu", "trainer.max_steps=20", "trainer.val_check_interval=10",
           "trainer.log_every_n_steps=5", f"data.dir={prepared_tiny}", f"run_dir={run}"])
    assert (run / "checkpoints" / "last.ckpt").is_file()
    (metrics,) = run.glob("logs/*/metrics.csv")
    header, *rows = [line.split(",") for line in metrics.read_text().splitlines()]
    col = header.index("train/loss")
    losses = [float(r[col]) for r in rows if r[col]]
    assert losses and all(np.isfinite(losses))


def test_gpu_and_cpu_samplers_agree(tiny_bundle):
    """The same noise through the same denoiser on both devices: fp32 results within 1e-3 (cuDNN/cuBLAS
    reductions differ from the CPU's in the last bits, and DDIM amplifies them a little per step)."""
    from prodiff_tts.api import Synthesizer

    cpu = Synthesizer.from_pretrained(tiny_bundle, vocoder="griffin-lim")
    gpu = Synthesizer.from_pretrained(tiny_bundle, device="cuda", vocoder="griffin-lim")
    text = "The cat sat on the mat."
    for steps in (4, 8):
        a = cpu.mel_batch([text], steps=steps, seed=3)[0]
        b = gpu.mel_batch([text], steps=steps, seed=3)[0].cpu()
        assert a.shape == b.shape
        assert torch.allclose(a, b, atol=1e-3, rtol=1e-3), float((a - b).abs().max())


def test_vocoders_run_on_the_gpu():
    from prodiff_tts.audio import AudioConfig
    from prodiff_tts.vocoders import build_vocoder

    mel = torch.randn(1, 80, 40) - 4.0
    for name, kw in (("istft", {"dim": 32, "intermediate_dim": 64, "num_layers": 1}), ("griffin-lim", {})):
        voc = build_vocoder(name, audio_config=AudioConfig(), **kw)
        if isinstance(voc, torch.nn.Module):
            voc = voc.eval()
        with torch.no_grad():
            ref = voc(mel)
            out = (voc.to("cuda") if isinstance(voc, torch.nn.Module) else voc)(mel.cuda())
        assert out.is_cuda and out.shape == ref.shape and torch.isfinite(out).all()
        if name == "istft":
            assert torch.allclose(out.cpu(), ref, atol=1e-3)


def test_benchmark_on_cuda(tiny_bundle, tmp_path, capsys):
    from prodiff_tts.cli import main

    out = tmp_path / "bench.json"
    assert main(["benchmark", "--model", str(tiny_bundle), "--device", "cuda", "--steps", "4", "--repeats", "2",
                 "--max-words", "20", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["machine"]["device"] == "cuda" and r["machine"]["cuda_peak_mib"] > 0
