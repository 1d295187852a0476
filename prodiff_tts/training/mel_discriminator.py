"""A small discriminator on normalized mel-spectrograms, for the adversarial term of distillation.

Adversarial Diffusion Distillation (Sauer et al. 2023) adds a discriminator to the distillation loss so that
a few-step student's x0 prediction looks like data instead of the mean of what it could be; for mels that
mean is the over-smoothed, "buzzy" spectrogram a listener hears. This discriminator sees the mel as an image
(2-D convolutions: the texture across both time and frequency is what smoothing removes) and the frame-level
condition of the acoustic model (1-D, projected onto the pooled features, as a projection discriminator
does), so it judges detail *for this text* rather than detail anywhere. It outputs one logit per frame;
padded frames are masked out of the losses.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["MelDiscriminator", "hinge_d_loss", "hinge_g_loss"]


class MelDiscriminator(nn.Module):
    """``D(mel [B, n_mels, T], cond [B, C, T], mask [B, 1, T]) -> logits [B, T]``.

    ``channels`` 2-D channels; frequency is halved by each of ``n_layers`` strided layers (time is kept, so
    the logits stay frame-aligned with the mask); spectral norm on every layer keeps the GAN stable on a
    small batch."""

    def __init__(self, n_mels: int, cond_channels: int, channels: int = 32, n_layers: int = 4) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        layers: list[nn.Module] = []
        c_in, f = 1, n_mels
        for _ in range(n_layers):
            layers += [spectral_norm(nn.Conv2d(c_in, channels, (5, 5), stride=(2, 1), padding=(2, 2))),
                       nn.LeakyReLU(0.2)]
            c_in, f = channels, (f + 1) // 2
        self.body = nn.Sequential(*layers)
        feat = channels * f
        self.frame = spectral_norm(nn.Conv1d(feat, channels * 4, 3, padding=1))
        self.out = spectral_norm(nn.Conv1d(channels * 4, 1, 3, padding=1))
        self.cond = spectral_norm(nn.Conv1d(cond_channels, channels * 4, 1))

    def forward(self, mel: Tensor, cond: Tensor, mask: Tensor) -> Tensor:
        mel, cond = mel * mask, cond * mask  # padding carries nothing the convolutions could spread
        h = self.body(mel.unsqueeze(1))  # [B, C, F', T]
        h = torch.nn.functional.leaky_relu(self.frame(h.flatten(1, 2)), 0.2)  # [B, 4C, T]
        logits = self.out(h) + (self.cond(cond) * h).sum(1, keepdim=True) / h.shape[1] ** 0.5
        return (logits * mask).squeeze(1)


def _masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    m = mask.squeeze(1).to(x.dtype)
    return (x * m).sum() / m.sum().clamp(min=1.0)


def hinge_d_loss(real: Tensor, fake: Tensor, mask: Tensor) -> Tensor:
    """Discriminator hinge loss over the frames of ``mask`` (logits ``[B, T]``)."""
    return _masked_mean(torch.relu(1.0 - real), mask) + _masked_mean(torch.relu(1.0 + fake), mask)


def hinge_g_loss(fake: Tensor, mask: Tensor) -> Tensor:
    """Generator (student) hinge loss: raise the discriminator's logits on its own output."""
    return -_masked_mean(fake, mask)
