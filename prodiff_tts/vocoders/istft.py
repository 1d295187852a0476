"""A fast CPU vocoder with an inverse-STFT head, after Vocos (Siuzdak, 2023).

Everything runs at the frame rate (one vector per hop): a ConvNeXt backbone turns the log-mel into a
complex spectrum (log-magnitude, clipped, and a phase given by its cos/sin), and the inverse STFT
of the audio config (same n_fft, hop and window as the mel) produces exactly ``frames * hop`` samples.
No transposed convolutions and nothing at the sample rate but one FFT per frame, which is why it is
several times cheaper than HiFi-GAN V1 per second of audio.

``magnitude_prior="pinv"`` (after FreeV, Lv et al. 2024): the network predicts a log-magnitude
*correction* on top of the mel filterbank's pseudo-inverse applied to the input mel, so it starts from
the magnitude Griffin-Lim would use and spends its capacity on phase and spectral detail; trained with
the explicit amplitude/phase/spectrum losses of APNet (Ai & Ling 2023), see ``vocoders.losses``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..audio.config import AudioConfig
from ..audio.griffin_lim import istft, mel_matched, mel_pseudo_inverse
from .base import Vocoder

__all__ = ["ConvNeXtBlock", "ISTFTVocoder", "MAGNITUDE_PRIORS"]

MAGNITUDE_PRIORS = ("none", "pinv")


class ConvNeXtBlock(nn.Module):
    """Depthwise conv (k=7) -> LayerNorm -> pointwise MLP (GELU) -> layer scale, with a residual."""

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int = 7, layer_scale_init: float | None = None):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale_init)) if layer_scale_init else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, T]
        residual = x
        x = self.dwconv(x).transpose(1, 2)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        if self.gamma is not None:
            x = self.gamma * x
        return residual + x.transpose(1, 2)


class ISTFTVocoder(Vocoder):
    """Vocos-style vocoder: ConvNeXt backbone at frame rate + inverse-STFT head.

    Defaults are Vocos' "base" backbone (dim 512, 8 blocks, MLP 1536; 13.5 M parameters).
    """

    name = "istft"

    def __init__(
        self,
        audio_config: AudioConfig | None = None,
        dim: int = 512,
        intermediate_dim: int = 1536,
        num_layers: int = 8,
        kernel_size: int = 7,
        layer_scale_init: float | None = None,
        max_log_magnitude: float = math.log(100.0),
        magnitude_prior: str = "none",
        mel_match_iters: int = 0,
    ) -> None:
        super().__init__(audio_config)
        ac = self.audio_config
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        if magnitude_prior not in MAGNITUDE_PRIORS:
            raise ValueError(f"magnitude_prior must be one of {MAGNITUDE_PRIORS}, got {magnitude_prior!r}")
        self._args = dict(
            dim=int(dim),
            intermediate_dim=int(intermediate_dim),
            num_layers=int(num_layers),
            kernel_size=int(kernel_size),
            layer_scale_init=None if layer_scale_init is None else float(layer_scale_init),
            max_log_magnitude=float(max_log_magnitude),
            magnitude_prior=str(magnitude_prior),
        )
        self.mel_match_iters = mel_match_iters
        self.magnitude_prior = str(magnitude_prior)
        if self.magnitude_prior == "pinv":  # derived from the audio config: not a weight, not saved
            self.register_buffer("mel_pinv", mel_pseudo_inverse(ac), persistent=False)
        self.max_log_magnitude = float(max_log_magnitude)
        scale = layer_scale_init if layer_scale_init is not None else 1.0 / max(num_layers, 1)
        self.embed = nn.Conv1d(ac.n_mels, dim, kernel_size, padding=kernel_size // 2)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.blocks = nn.ModuleList(ConvNeXtBlock(dim, intermediate_dim, kernel_size, scale) for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(dim, eps=1e-6)
        self.n_bins = ac.n_fft // 2 + 1
        self.head = nn.Linear(dim, 2 * self.n_bins)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, (nn.Conv1d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def log_magnitude_and_phase(self, log_mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted natural-log magnitude (clamped) and phase (radians, unwrapped), each
        [B, n_fft // 2 + 1, T] float32: what the spectral training losses compare with the recording."""
        x = self.embed(log_mel)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        x = self.head(self.final_norm(x.transpose(1, 2))).transpose(1, 2).float()  # [B, 2F, T]
        log_mag, phase = x.split(self.n_bins, dim=1)
        if self.magnitude_prior == "pinv":
            # the pseudo-inverse can go negative between filter peaks: floor it at the mel's log clamp
            prior = torch.matmul(self.mel_pinv, torch.exp(log_mel.float()))
            log_mag = log_mag + torch.log(prior.clamp(min=self.audio_config.log_clamp))
        return log_mag.clamp(max=self.max_log_magnitude), phase

    def spectrum(self, log_mel: torch.Tensor) -> torch.Tensor:
        """Predicted complex spectrum [B, n_fft // 2 + 1, T] (float32)."""
        log_mag, phase = self.log_magnitude_and_phase(log_mel)
        return torch.polar(torch.exp(log_mag), phase)

    def generate(self, log_mel: torch.Tensor) -> torch.Tensor:
        wav = istft(self.spectrum(log_mel), self.audio_config)
        return mel_matched(wav, log_mel.float(), self.audio_config, self.mel_match_iters)

    @property
    def mel_match_iters(self) -> int:
        """Rounds of mel matching after the inverse STFT (``audio.griffin_lim.mel_matched``; 0 = none): an
        inference setting, saved with the model, changeable on a trained one."""
        return self._mel_match_iters

    @mel_match_iters.setter
    def mel_match_iters(self, rounds: int) -> None:
        if int(rounds) != rounds or rounds < 0:
            raise ValueError(f"mel_match_iters must be >= 0 (an integer), got {rounds}")
        self._mel_match_iters = int(rounds)

    def config(self) -> dict[str, Any]:
        return {"audio_config": self.audio_config.to_dict(), **self._args, "mel_match_iters": self.mel_match_iters}
