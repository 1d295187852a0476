"""Batched log-mel spectrogram in torch (CPU or GPU): torch.stft + the Slaney mel basis (librosa's)."""

from __future__ import annotations

import torch
from torch import nn

from .config import AudioConfig
from .filterbank import slaney_mel_basis


class MelSpectrogram(nn.Module):
    """waveform [B, T] (or [T]) in [-1, 1] -> natural-log mel [B, n_mels, T // hop].

    Padding follows HiFi-GAN: reflect (n_fft - hop) / 2 on each side, no centring, so the frame count is
    exactly ``T // hop`` and the vocoder's output length is ``frames * hop``.
    """

    def __init__(self, config: AudioConfig) -> None:
        super().__init__()
        self.config = config
        basis = slaney_mel_basis(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax)
        self.register_buffer("mel_basis", torch.from_numpy(basis).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(config.win_length), persistent=False)

    def magnitude(self, wav: torch.Tensor) -> torch.Tensor:
        """Linear STFT magnitude [B, n_fft // 2 + 1, frames]."""
        c = self.config
        squeeze = wav.dim() == 1
        if squeeze:
            wav = wav.unsqueeze(0)
        pad = (c.n_fft - c.hop_length) // 2
        if wav.shape[-1] <= pad:  # reflect padding needs more samples than the pad
            wav = nn.functional.pad(wav, (0, pad + 1 - wav.shape[-1]))
        x = nn.functional.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        spec = torch.stft(
            x.float(),
            n_fft=c.n_fft,
            hop_length=c.hop_length,
            win_length=c.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        )
        mag = spec.abs()
        frames = wav.shape[-1] // c.hop_length
        mag = mag[..., :frames]
        return mag.squeeze(0) if squeeze else mag

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(self.mel_basis, self.magnitude(wav))
        return torch.log(torch.clamp(mel, min=self.config.log_clamp))
