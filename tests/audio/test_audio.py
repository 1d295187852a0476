import numpy as np
import pytest
import soundfile as sf
import torch

from prodiff_tts.audio import (
    AudioConfig,
    AudioReadError,
    MelSpectrogram,
    extract_f0,
    interpolate_log_f0,
    normalize_loudness,
    read_wav,
    resample,
    trim_silence,
    write_wav,
)
from prodiff_tts.audio.processing import rms_dbfs

CFG = AudioConfig()


def sine(freq: float, seconds: float = 1.0, sr: int = CFG.sample_rate, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("n", [256, 1000, 22050, 22050 + 255, 5 * 256])
def test_frame_count_is_samples_floor_div_hop(n):
    mel = MelSpectrogram(CFG)(torch.randn(n) * 0.1)
    assert mel.shape == (CFG.n_mels, n // CFG.hop_length)
    assert CFG.num_frames(n) == n // 256


def test_batched_equals_single():
    m = MelSpectrogram(CFG)
    x = torch.randn(3, 8000) * 0.1
    batched = m(x)
    for i in range(3):
        torch.testing.assert_close(batched[i], m(x[i]), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("freq", [200.0, 1000.0, 4000.0])
def test_sine_lands_in_the_right_mel_band(freq):
    import librosa

    mel = MelSpectrogram(CFG)(torch.from_numpy(sine(freq)))
    peak_band = int(mel.mean(1).argmax())
    centres = librosa.mel_frequencies(CFG.n_mels + 2, fmin=CFG.fmin, fmax=CFG.fmax)[1:-1]
    assert abs(peak_band - int(np.argmin(np.abs(centres - freq)))) <= 1
    # silence is clamped at log(1e-5)
    assert MelSpectrogram(CFG)(torch.zeros(4096)).min() == pytest.approx(np.log(1e-5))


def test_invalid_config_is_rejected():
    with pytest.raises(ValueError):
        AudioConfig(fmax=20000.0)
    with pytest.raises(ValueError):
        AudioConfig(win_length=2048)


@pytest.mark.parametrize("src", [16000, 44100, 48000])
def test_resampling_preserves_duration_and_pitch(src):
    x = sine(440.0, 2.0, sr=src)
    y = resample(x, src, CFG.sample_rate)
    assert abs(len(y) / CFG.sample_rate - 2.0) < 1e-3
    spec = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spec) * CFG.sample_rate / len(y) - 440.0) < 1.0


def test_wav_round_trip_and_errors(tmp_path):
    x = sine(300.0, 0.5)
    write_wav(tmp_path / "a.wav", x, CFG.sample_rate)
    y, sr = read_wav(tmp_path / "a.wav")
    assert sr == CFG.sample_rate and len(y) == len(x)
    assert np.max(np.abs(y - x)) < 1e-4  # 16-bit quantization
    assert sf.info(str(tmp_path / "a.wav")).subtype == "PCM_16"
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]  # no temp file left
    sf.write(tmp_path / "stereo.wav", np.zeros((100, 2)), CFG.sample_rate)
    with pytest.raises(AudioReadError, match="2 channels"):
        read_wav(tmp_path / "stereo.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF garbage")
    with pytest.raises(AudioReadError, match="cannot read"):
        read_wav(tmp_path / "bad.wav")
    sf.write(tmp_path / "empty.wav", np.zeros(0), CFG.sample_rate)
    with pytest.raises(AudioReadError, match="empty"):
        read_wav(tmp_path / "empty.wav")


def test_trim_keeps_speech_and_reports_offsets():
    sr = CFG.sample_rate
    x = np.concatenate([np.zeros(sr), sine(200.0, 1.0), np.zeros(sr // 2)])
    y, start, end = trim_silence(x, sr, top_db=40, margin_s=0.05)
    assert np.array_equal(y, x[start:end])
    # librosa decides per 1024-sample frame, so the edges are known to within ~1 frame (46 ms)
    assert abs(start / sr - 0.95) < 0.05 and abs(end / sr - 2.05) < 0.05


def test_loudness_normalization_hits_target_without_clipping():
    y = normalize_loudness(sine(200.0, amp=0.01), target_dbfs=-20.0)
    assert rms_dbfs(y) == pytest.approx(-20.0, abs=0.05)
    loud = normalize_loudness(sine(200.0, amp=0.01), target_dbfs=0.0)
    assert np.max(np.abs(loud)) <= 0.95 + 1e-6


def test_f0_of_a_harmonic_tone_and_voicing():
    sr = CFG.sample_rate
    t = np.arange(sr) / sr
    x = sum(np.sin(2 * np.pi * 180.0 * k * t) / k for k in range(1, 6)).astype(np.float32) * 0.2
    x = np.concatenate([x, np.zeros(sr // 2, dtype=np.float32)])
    f0 = extract_f0(x, CFG)
    assert len(f0) == CFG.num_frames(len(x))
    voiced = f0[10:70]
    assert np.median(voiced) == pytest.approx(180.0, rel=0.02)
    assert (f0[-20:] == 0).all()
    log_f0, mask = interpolate_log_f0(f0)
    assert mask[10:70].all() and not mask[-20:].any()
    assert np.allclose(log_f0[-20:], log_f0[mask][-1])


def test_atomic_write_gives_the_usual_permissions(tmp_path) -> None:
    """Files get 0666 & ~umask even from writers that recreate their file 0600 (safetensors does)."""
    import os

    import torch
    from safetensors.torch import save_file

    from prodiff_tts.fileio import atomic_write

    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "w.safetensors", lambda tmp: save_file({"a": torch.zeros(2)}, tmp))
        atomic_write(tmp_path / "t.txt", lambda tmp: open(tmp, "w").write("x"))
    finally:
        os.umask(umask)
    for name in ("w.safetensors", "t.txt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    "sr, n_fft, n_mels, fmin, fmax",
    [(22050, 1024, 80, 0.0, 8000.0), (16000, 512, 40, 50.0, 7600.0), (24000, 2048, 128, 0.0, 12000.0),
     (8000, 256, 20, 300.0, 900.0)],
)
def test_slaney_mel_basis_equals_librosa(sr, n_fft, n_mels, fmin, fmax) -> None:
    import librosa

    from prodiff_tts.audio.filterbank import slaney_mel_basis

    ours = slaney_mel_basis(sr, n_fft, n_mels, fmin, fmax)
    theirs = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
