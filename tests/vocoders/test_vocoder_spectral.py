"""The magnitude prior of the iSTFT vocoder and APNet's spectral losses."""

from __future__ import annotations

import math

import pytest
import torch

from prodiff_tts.audio import AudioConfig, MelSpectrogram
from prodiff_tts.audio.griffin_lim import istft, match_mel, mel_basis, mel_pseudo_inverse, stft
from prodiff_tts.vocoders import ISTFTVocoder, load_vocoder, save_vocoder
from prodiff_tts.vocoders.losses import (
    amplitude_loss,
    anti_wrapping,
    phase_loss,
    spectrum_loss,
)

AC = AudioConfig()


def _harmonic(n: int = 8192) -> torch.Tensor:
    t = torch.arange(n) / AC.sample_rate
    return sum(0.2 / k * torch.sin(2 * math.pi * 180.0 * k * t + k) for k in range(1, 8)).unsqueeze(0)


def test_anti_wrapping_is_the_distance_to_a_multiple_of_two_pi() -> None:
    x = torch.tensor([0.0, 2 * math.pi, -4 * math.pi, 0.5, 2 * math.pi - 0.5, math.pi])
    assert torch.allclose(anti_wrapping(x), torch.tensor([0.0, 0.0, 0.0, 0.5, 0.5, math.pi]), atol=1e-5)


def test_phase_loss_ignores_whole_turns_and_sees_real_errors() -> None:
    g = torch.Generator().manual_seed(0)
    phase = (torch.rand(2, 9, 7, generator=g) * 2 - 1) * math.pi
    turns = torch.randint(-3, 4, phase.shape, generator=g).float() * 2 * math.pi
    assert phase_loss(phase + turns, phase).item() < 1e-4
    assert phase_loss(phase + 0.3, phase).item() == pytest.approx(0.3, abs=1e-4)  # constant offset: IP only
    ramp = torch.arange(7).float() * 0.1  # a time-varying error also costs instantaneous frequency
    assert phase_loss(phase + ramp, phase).item() > anti_wrapping(ramp).mean().item() + 0.09


def test_spectral_losses_vanish_on_the_recording_itself() -> None:
    spec = stft(_harmonic(), AC)
    assert amplitude_loss(torch.log(spec.abs() + 1e-5), torch.log(spec.abs() + 1e-5)).item() == 0.0
    rebuilt = stft(istft(spec, AC), AC)  # a real signal's STFT is consistent
    assert spectrum_loss(spec, rebuilt, spec).item() < 1e-6
    noisy = spec * torch.polar(torch.ones_like(spec.real), torch.randn(spec.shape, generator=torch.Generator().manual_seed(1)))
    assert spectrum_loss(noisy, stft(istft(noisy, AC), AC), spec).item() > 1.0  # random phase: inconsistent


def test_pinv_prior_starts_from_the_filterbank_pseudo_inverse() -> None:
    voc = ISTFTVocoder(AC, dim=16, intermediate_dim=32, num_layers=1, magnitude_prior="pinv").eval()
    torch.nn.init.zeros_(voc.head.weight)  # no correction, zero phase
    mel = MelSpectrogram(AC)(_harmonic())
    log_mag, phase = voc.log_magnitude_and_phase(mel)
    prior = (mel_pseudo_inverse(AC) @ mel.exp()).clamp(min=AC.log_clamp)
    assert torch.allclose(log_mag, prior.log().clamp(max=voc.max_log_magnitude), atol=1e-5)
    assert torch.equal(phase, torch.zeros_like(phase))
    assert torch.allclose(mel_basis(AC) @ mel_pseudo_inverse(AC) @ mel.exp(), mel.exp(), rtol=1e-3, atol=1e-6)


def test_prior_is_saved_with_the_model(tmp_path) -> None:
    voc = ISTFTVocoder(AC, dim=16, intermediate_dim=32, num_layers=1, magnitude_prior="pinv").eval()
    loaded = load_vocoder(save_vocoder(voc, tmp_path / "v"))
    mel = torch.randn(1, AC.n_mels, 6) - 5
    assert loaded.magnitude_prior == "pinv" and torch.allclose(loaded(mel), voc(mel), atol=1e-6)
    with pytest.raises(ValueError, match="magnitude_prior"):
        ISTFTVocoder(AC, magnitude_prior="nnls")


def test_spectral_losses_train_the_prior_model() -> None:
    """20 AdamW steps of amplitude + phase + spectrum loss on a harmonic signal lower all three."""
    torch.manual_seed(0)
    wav = _harmonic()
    mel = MelSpectrogram(AC)(wav)
    spec = stft(wav, AC)
    voc = ISTFTVocoder(AC, dim=32, intermediate_dim=64, num_layers=2, magnitude_prior="pinv")
    opt = torch.optim.AdamW(voc.parameters(), lr=3e-3)

    def losses() -> tuple[torch.Tensor, ...]:
        log_mag, phase = voc.log_magnitude_and_phase(mel)
        spec_hat = torch.polar(log_mag.exp(), phase)
        return (amplitude_loss(log_mag, spec.abs().clamp(min=AC.log_clamp).log()), phase_loss(phase, spec.angle()),
                spectrum_loss(spec_hat, stft(istft(spec_hat, AC), AC), spec))

    first = [v.item() for v in losses()]
    for _ in range(20):
        amp, pha, spc = losses()
        opt.zero_grad()
        (45 * amp + 100 * pha + 20 * spc).backward()
        opt.step()
    last = [v.item() for v in losses()]
    assert all(b < a for a, b in zip(first, last)), (first, last)


def test_match_mel_moves_the_envelope_and_keeps_the_detail() -> None:
    mag = stft(_harmonic(), AC).abs()
    target = MelSpectrogram(AC)(_harmonic())
    tilted = mag * torch.linspace(2.0, 0.25, mag.shape[1])[None, :, None]  # a wrong spectral tilt
    basis = mel_basis(AC)

    def mel_error(m: torch.Tensor) -> float:
        return (torch.log((basis @ m).clamp(min=AC.log_clamp)) - target).abs().mean().item()

    errors = [mel_error(match_mel(tilted, target, AC, n_iter=k)) for k in (0, 1, 4, 16)]
    assert errors[0] > 0.3 and errors == sorted(errors, reverse=True) and errors[-1] < 0.05
    own_mel = torch.log(basis @ mag)  # a magnitude whose mel is already the target stays as it is
    assert torch.allclose(match_mel(mag, own_mel, AC, n_iter=4), mag, rtol=1e-4, atol=1e-7)
    matched = match_mel(tilted, target, AC, n_iter=4)
    peak = mag[0, :, 20].argmax()  # the harmonic peaks stay peaks: the gain is smooth across a filter
    assert matched[0, :, 20].argmax() == peak
    above = torch.fft.rfftfreq(AC.n_fft, 1 / AC.sample_rate) > AC.fmax  # no filter there: left alone
    assert torch.allclose(matched[:, above], tilted[:, above], rtol=1e-6, atol=0)


def test_mel_matching_brings_the_vocoder_output_to_its_input_mel(tmp_path) -> None:
    torch.manual_seed(0)
    mel = MelSpectrogram(AC)(_harmonic())
    voc = ISTFTVocoder(AC, dim=16, intermediate_dim=32, num_layers=1).eval()
    with torch.no_grad():
        errors = []
        for k in (0, 1, 4):
            voc.mel_match_iters = k
            wav = voc(mel)
            assert wav.shape == (1, mel.shape[-1] * AC.hop_length)
            errors.append((MelSpectrogram(AC)(wav) - mel).abs().mean().item())
    assert errors[0] > 2 * errors[1] > 2 * errors[2]  # an untrained model: far from its input, then close
    voc.mel_match_iters = 4
    loaded = load_vocoder(save_vocoder(voc, tmp_path))
    assert loaded.mel_match_iters == 4 and torch.equal(loaded(mel), voc(mel).detach())
    with pytest.raises(ValueError, match="mel_match_iters"):
        ISTFTVocoder(AC, dim=16, intermediate_dim=32, num_layers=1, mel_match_iters=-1)
