"""The shipped voice exported to ONNX gives the torch path's mels and iSTFT audio (fed the same noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")

VOICE = Path(__file__).resolve().parents[2] / "pretrained" / "slt_demo"


@pytest.mark.slow
@pytest.mark.skipif(not (VOICE / "config.yaml").is_file(), reason="the shipped voice is not in this checkout")
def test_slt_demo_two_steps_match_torch(tmp_path):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.diffusion.sampler import ddim_sample
    from prodiff_tts.onnx.export import export_onnx
    from prodiff_tts.onnx.runtime import OnnxVoice

    export_onnx(VOICE, tmp_path / "slt", steps=[2])
    synth = Synthesizer(VOICE, vocoder="bundle")
    voice = OnnxVoice(tmp_path / "slt", threads=1, vocoder="bundle")
    ids = [synth.frontend.encode("The lighthouse keeper woke early, and the wind moved across the harbor.")]
    plan = synth.plan(2)
    with torch.no_grad():
        cond, mask, _, _ = synth.model.condition_infer(torch.tensor(ids), torch.tensor([len(ids[0])]))
        noise = torch.randn(1, 80, cond.shape[-1], generator=torch.Generator().manual_seed(0))
        denoise = synth.denoisers[plan.denoiser].bind(cond, mask, plan.layer_masks)
        mel = ddim_sample(denoise, synth.schedule, plan.timesteps, noise.shape, noise=noise, mask=mask)
    mel = (mel * synth.mel_std + synth.mel_mean)[0]
    got = voice.acoustic(ids, 2, noise=noise.numpy())[0][0]
    mel_err = float(np.abs(got - mel.numpy()).max())
    wav_err = float(np.abs(voice.vocode([got])[0] - synth.vocode([mel])[0]).max())
    print(f"slt_demo, 2 steps, ONNX fp32 vs torch: max |mel diff| {mel_err:.2e}, max |wav diff| {wav_err:.2e}")
    assert mel_err < 1e-4 and wav_err < 1e-4
