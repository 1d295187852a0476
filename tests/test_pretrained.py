"""The voice shipped in pretrained/: `tts synthesize "hello" --steps 2` works out of the box."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from prodiff_tts.api import DEFAULT_VOICE, Synthesizer, default_model_path
from prodiff_tts.bundle import read_bundle_config
from prodiff_tts.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def no_model_override(monkeypatch):
    monkeypatch.delenv("PRODIFF_TTS_MODEL", raising=False)


def test_shipped_voice_is_complete_and_small(no_model_override):
    bundle = default_model_path()
    assert bundle.name == DEFAULT_VOICE and (bundle / "README.md").is_file()  # model card
    cfg = read_bundle_config(bundle)
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 60 * 2**20
    assert not [p for p in files if p.suffix in (".ckpt", ".pt", ".pth", ".pkl")]  # nothing to unpickle
    assert {1, 2} <= {k for e in cfg.denoisers if e.distilled for k in e.steps}
    assert cfg.vocoder is not None


def test_synthesize_hello_with_two_steps_writes_speech(no_model_override, tmp_path, capsys):
    out = tmp_path / "hello.wav"
    assert main(["synthesize", "hello", "--steps", "2", "-o", str(out)]) == 0
    wav, sr = sf.read(out)
    assert sr == 22050 and wav.ndim == 1
    assert 0.2 < len(wav) / sr < 2.0  # one word
    assert np.sqrt(np.mean(wav**2)) > 0.01  # not silence
    printed = capsys.readouterr().out
    assert "student_k2" in printed  # the distilled 2-step model served it
    assert "vocoder griffin-lim" in printed  # the voice's default vocoder (its model card says why)


def test_the_voice_keeps_its_own_vocoder_on_request(no_model_override):
    synth = Synthesizer.from_pretrained()
    assert synth.vocoder_name == "griffin-lim"
    assert Synthesizer.from_pretrained(vocoder="bundle").vocoder_name == "bundle"


def test_unsupported_step_count_lists_the_supported_ones(no_model_override, tmp_path, capsys):
    out = tmp_path / "x.wav"
    assert main(["synthesize", "hello", "--steps", "3", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    supported = ", ".join(map(str, Synthesizer.from_pretrained().supported_steps))
    assert f"supported: {supported}" in err and not out.exists()


def test_a_named_denoiser_serves_its_own_steps_and_the_teacher_any(no_model_override):
    """plan(steps, denoiser=...): the undistilled teacher at a student's step count (distillation's baseline)."""
    synth = Synthesizer.from_pretrained(Path(__file__).resolve().parents[1] / "pretrained" / "slt_demo")
    assert synth.plan(2).denoiser == "student_k2"
    teacher = synth.plan(2, "uniform", denoiser="teacher")
    assert teacher.denoiser == "teacher" and len(teacher.timesteps) == 2
    assert synth.plan(3, "uniform", denoiser="teacher").timesteps == pytest.approx((1.0, 2 / 3, 1 / 3))
    with pytest.raises(ValueError, match="distilled for 2 step"):
        synth.plan(4, denoiser="student_k2")
    with pytest.raises(ValueError, match="no denoiser 'nope'.*teacher"):
        synth.plan(2, denoiser="nope")
    a = synth.mel_batch(["Hello there."], steps=2, schedule="uniform", denoiser="teacher")[0]
    b = synth.mel_batch(["Hello there."], steps=2, schedule="uniform")[0]
    assert a.shape == b.shape and not torch.allclose(a, b)  # another denoiser, same durations


def test_reports_name_the_voices_own_vocoder_by_its_kind():
    synth = Synthesizer.from_pretrained(vocoder="bundle")
    assert synth.vocoder_name == "bundle" and synth.vocoder_label == "bundle (istft)"
    assert Synthesizer.from_pretrained().vocoder_label == "griffin-lim"
