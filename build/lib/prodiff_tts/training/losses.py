"""Masked reconstruction losses on [B, M, T] mels with a [B, 1, T] frame mask."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.expand_as(pred).to(pred.dtype)
    return (torch.abs(pred - target) * m).sum() / m.sum().clamp(min=1.0)


def mel_ssim_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, window: int = 7) -> torch.Tensor:
    """1 - SSIM between mels seen as images (ProDiff's structural term), averaged over valid frames."""
    m = mask.to(pred.dtype)
    x, y = (pred * m).unsqueeze(1), (target * m).unsqueeze(1)
    k = torch.ones(1, 1, window, window, device=pred.device, dtype=pred.dtype) / window**2
    pad = window // 2
    mu_x, mu_y = F.conv2d(x, k, padding=pad), F.conv2d(y, k, padding=pad)
    var_x = F.conv2d(x * x, k, padding=pad) - mu_x**2
    var_y = F.conv2d(y * y, k, padding=pad) - mu_y**2
    cov = F.conv2d(x * y, k, padding=pad) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    mm = m.unsqueeze(1).expand_as(ssim)
    return 1.0 - (ssim * mm).sum() / mm.sum().clamp(min=1.0)
