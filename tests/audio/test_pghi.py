"""Phase gradient heap integration (prodiff_tts.audio.pghi) and Griffin-Lim started from its phase."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from prodiff_tts.audio import AudioConfig
from prodiff_tts.audio.griffin_lim import griffin_lim, istft, spectral_convergence, stft
from prodiff_tts.audio.pghi import pghi_phase

AC = AudioConfig()
HOP_FFT = (AC.hop_length, AC.n_fft, AC.win_length)


def gliding_tone(seconds: float = 1.0) -> torch.Tensor:
    """A 20-harmonic tone whose pitch glides with a 3 Hz vibrato (no stationary phase to guess): [1, T]."""
    n = int(seconds * AC.sample_rate) // AC.hop_length * AC.hop_length
    t = torch.arange(n, dtype=torch.float64) / AC.sample_rate
    f0 = 120.0 + 20.0 * torch.sin(2 * math.pi * 3.0 * t)
    phase = 2 * math.pi * torch.cumsum(f0, 0) / AC.sample_rate
    return (sum(torch.sin(k * phase) / k for k in range(1, 21)) * 0.1).float().unsqueeze(0)


def test_pghi_phase_is_near_consistent_without_iterating() -> None:
    mag = stft(gliding_tone(), AC).abs()
    phase = torch.from_numpy(pghi_phase(mag[0].numpy(), *HOP_FFT)).float()
    rebuilt = istft(torch.polar(mag, phase[None]), AC)
    random_start = griffin_lim(mag, AC, n_iter=0)
    assert spectral_convergence(mag, rebuilt, AC).item() < 0.15
    assert spectral_convergence(mag, random_start, AC).item() > 0.5


def test_griffin_lim_from_pghi_beats_a_random_start_at_equal_iterations() -> None:
    mag = stft(gliding_tone(), AC).abs()
    for n_iter in (4, 16):
        from_pghi = spectral_convergence(mag, griffin_lim(mag, AC, n_iter=n_iter, init="pghi"), AC).item()
        from_random = spectral_convergence(mag, griffin_lim(mag, AC, n_iter=n_iter), AC).item()
        assert from_pghi < 0.6 * from_random


def test_pghi_quiet_and_silent_inputs_keep_a_random_phase() -> None:
    mag = np.zeros((AC.n_fft // 2 + 1, 12))
    phase = pghi_phase(mag, *HOP_FFT, rng=np.random.default_rng(3))
    assert phase.shape == mag.shape and np.ptp(phase) > 1.0  # random, not all zero
    mag[10, 5] = 1.0  # one coefficient: only it (phase 0 as the seed) is integrated at tol 1e-5
    phase = pghi_phase(mag, *HOP_FFT, rng=np.random.default_rng(3))
    assert phase[10, 5] == 0.0 and np.isfinite(phase).all()


def test_pghi_is_deterministic_and_checks_its_input() -> None:
    mag = stft(gliding_tone(0.3), AC).abs()[0].numpy()
    assert np.array_equal(pghi_phase(mag, *HOP_FFT), pghi_phase(mag, *HOP_FFT))
    with pytest.raises(ValueError, match="magnitude must be"):
        pghi_phase(mag[:-1], *HOP_FFT)
    with pytest.raises(ValueError, match="tol"):
        pghi_phase(mag, *HOP_FFT, tol=0.0)
