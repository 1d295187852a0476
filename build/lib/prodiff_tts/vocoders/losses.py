"""HiFi-GAN losses: mel L1 (weight 45), feature matching (×2), least-squares adversarial; Parallel
WaveGAN's multi-resolution STFT loss (optional, for fast CPU training); and APNet's explicit losses for
vocoders that predict a spectrum (amplitude, anti-wrapping phase, real/imaginary + consistency), which
supervise magnitude and phase directly instead of only through the waveform."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..audio.config import AudioConfig
from ..audio.mel import MelSpectrogram

__all__ = [
    "MelL1Loss",
    "feature_matching_loss",
    "discriminator_loss",
    "generator_adversarial_loss",
    "MultiResolutionSTFTLoss",
    "anti_wrapping",
    "amplitude_loss",
    "phase_loss",
    "spectrum_loss",
]


class MelL1Loss(nn.Module):
    """L1 between natural-log mels of generated and reference audio, times ``weight`` (45 in HiFi-GAN).

    ``fmax`` of the loss mel defaults to Nyquist (HiFi-GAN's ``fmax_for_loss: null``) so the generator is
    also penalised above the 8 kHz of the conditioning mel; pass ``fmax=config.fmax`` to match the input.
    """

    def __init__(self, config: AudioConfig, weight: float = 45.0, fmax: float | None = None) -> None:
        super().__init__()
        self.weight = float(weight)
        self.mel = MelSpectrogram(replace(config, fmax=float(fmax) if fmax is not None else config.sample_rate / 2))

    def forward(self, wav_hat: torch.Tensor, wav: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.mel(wav.float())
        return self.weight * F.l1_loss(self.mel(wav_hat.float()), target)


def feature_matching_loss(fmap_real: Sequence[Sequence[torch.Tensor]], fmap_fake: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """2 × Σ over sub-discriminators and layers of mean |real - fake| (real features are constants)."""
    loss = 0.0
    for dr, dg in zip(fmap_real, fmap_fake):
        for rl, gl in zip(dr, dg):
            loss = loss + torch.mean(torch.abs(rl.detach() - gl))
    return 2.0 * loss


def discriminator_loss(
    real_scores: Sequence[torch.Tensor], fake_scores: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """LSGAN: Σ mean((1 - D(real))²) + mean(D(fake)²). Returns (loss, real terms, fake terms (detached))."""
    loss = 0.0
    r_losses, g_losses = [], []
    for dr, dg in zip(real_scores, fake_scores):
        r = torch.mean((1.0 - dr.float()) ** 2)
        g = torch.mean(dg.float() ** 2)
        loss = loss + r + g
        r_losses.append(r.detach())
        g_losses.append(g.detach())
    return loss, r_losses, g_losses


def generator_adversarial_loss(fake_scores: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """LSGAN: Σ mean((1 - D(fake))²). Returns (loss, per sub-discriminator terms)."""
    loss = 0.0
    terms = []
    for dg in fake_scores:
        t = torch.mean((1.0 - dg.float()) ** 2)
        terms.append(t)
        loss = loss + t
    return loss, terms


class MultiResolutionSTFTLoss(nn.Module):
    """Parallel WaveGAN's auxiliary loss: mean over STFT resolutions of spectral convergence + L1 of log
    magnitudes. Resolutions that differ from the synthesis frame penalise phase that is inconsistent
    between overlapping frames, which the single-resolution mel loss sees only weakly; cheap on CPU."""

    def __init__(
        self,
        resolutions: Sequence[Sequence[int]] = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240)),
    ) -> None:
        super().__init__()
        self.resolutions = [tuple(int(v) for v in r) for r in resolutions]
        for i, (_, _, win) in enumerate(self.resolutions):
            self.register_buffer(f"window{i}", torch.hann_window(win), persistent=False)

    def _mag(self, x: torch.Tensor, i: int) -> torch.Tensor:
        n_fft, hop, win = self.resolutions[i]
        spec = torch.stft(x, n_fft, hop, win, window=getattr(self, f"window{i}"), return_complex=True)
        return spec.abs().clamp(min=1e-7)

    def forward(self, wav_hat: torch.Tensor, wav: torch.Tensor) -> torch.Tensor:
        loss = 0.0
        for i in range(len(self.resolutions)):
            with torch.no_grad():
                ref = self._mag(wav.float(), i)
            est = self._mag(wav_hat.float(), i)
            sc = torch.linalg.norm(ref - est, dim=(-2, -1)) / torch.linalg.norm(ref, dim=(-2, -1)).clamp(min=1e-7)
            loss = loss + sc.mean() + F.l1_loss(torch.log(est), torch.log(ref))
        return loss / len(self.resolutions)


# --- APNet (Ai & Ling 2023): losses on a predicted spectrum ---------------------------------------------
def anti_wrapping(x: torch.Tensor) -> torch.Tensor:
    """|x - 2π·round(x / 2π)|: the distance of a phase difference to the nearest multiple of 2π."""
    return torch.abs(x - 2.0 * math.pi * torch.round(x / (2.0 * math.pi)))


def amplitude_loss(log_mag_hat: torch.Tensor, log_mag: torch.Tensor) -> torch.Tensor:
    """MSE between natural-log magnitudes [B, F, T]."""
    return F.mse_loss(log_mag_hat, log_mag)


def phase_loss(phase_hat: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """Instantaneous phase + group delay (difference along frequency) + instantaneous angular frequency
    (difference along time) errors, each anti-wrapped so that phases equal modulo 2π cost nothing.
    Inputs [B, F, T] in radians."""
    ip = anti_wrapping(phase_hat - phase).mean()
    gd = anti_wrapping(torch.diff(phase_hat, dim=-2) - torch.diff(phase, dim=-2)).mean()
    iaf = anti_wrapping(torch.diff(phase_hat, dim=-1) - torch.diff(phase, dim=-1)).mean()
    return ip + gd + iaf


def spectrum_loss(
    spec_hat: torch.Tensor, spec_rebuilt: torch.Tensor, spec: torch.Tensor, real_imag_weight: float = 2.25
) -> torch.Tensor:
    """Consistency (MSE between the predicted spectrum and the STFT of its own inverse STFT: a spectrum
    that no waveform has loses detail when it is turned into audio) + ``real_imag_weight`` × L1 of real and
    imaginary parts against the recording's spectrum (APNet's weight 2.25). Complex [B, F, T], linear scale."""
    consistency = F.mse_loss(spec_hat.real, spec_rebuilt.real) + F.mse_loss(spec_hat.imag, spec_rebuilt.imag)
    real_imag = F.l1_loss(spec_hat.real, spec.real) + F.l1_loss(spec_hat.imag, spec.imag)
    return consistency + real_imag_weight * real_imag
