"""Non-causal WaveNet denoiser (DiffSinger / ProDiff "DiffNet") predicting the clean normalised mel x0.

``x_t [B, n_mels, T]`` -> 1x1 conv -> ReLU -> L residual layers -> sum of skips / sqrt(L_used) -> 1x1 conv
-> ReLU -> 1x1 conv (zero-initialised) -> ``x0_hat [B, n_mels, T]``. Each residual layer adds the step
embedding, runs a dilated conv, adds its 1x1 projection of the condition, gates (tanh x sigmoid) and splits
a 1x1 conv into residual and skip halves.

Layers can be skipped per call (``layer_mask``), which removes their compute entirely; the schedule search
uses this. The per-layer condition projections do not depend on ``t``: :meth:`WaveNetDenoiser.project_condition`
computes them once per utterance and ``forward`` accepts the result in place of ``cond``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import DenoiserConfig

__all__ = ["WaveNetDenoiser", "ProjectedCondition", "LayerMask", "step_embedding"]

LayerMask = Sequence[bool] | Tensor | None


def step_embedding(t: Tensor, dim: int, scale: float = 1000.0) -> Tensor:
    """Sinusoidal embedding ``[B, dim]`` of continuous times ``t [B]`` (DiffSinger's, on ``t * scale``)."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / max(half - 1, 1))
    arg = (t.float() * scale)[:, None] * freq[None, :]
    return torch.cat([arg.sin(), arg.cos()], dim=-1)


class _Mish(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x)


@dataclass
class ProjectedCondition:
    """Per-layer condition projections ``[B, L, 2C, T]`` (layer i is ``proj[:, i]``), reusable across steps."""

    proj: Tensor


class ResidualLayer(nn.Module):
    def __init__(self, channels: int, cond_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.dilated_conv = nn.Conv1d(
            channels, 2 * channels, kernel_size, padding=dilation * (kernel_size // 2), dilation=dilation
        )
        self.step_projection = nn.Linear(channels, channels)
        self.conditioner_projection = nn.Conv1d(cond_channels, 2 * channels, 1)
        self.output_projection = nn.Conv1d(channels, 2 * channels, 1)

    def forward(self, x: Tensor, cond_proj: Tensor, step: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        y = x + self.step_projection(step)[..., None]
        if mask is not None:
            y = y * mask
        y = self.dilated_conv(y) + cond_proj
        gate, filt = y.chunk(2, dim=1)
        y = self.output_projection(torch.sigmoid(gate) * torch.tanh(filt))
        residual, skip = y.chunk(2, dim=1)
        return (x + residual) / math.sqrt(2.0), skip


class WaveNetDenoiser(nn.Module):
    """``forward(x_t, t, cond, mask=None, layer_mask=None) -> x0_hat``, all ``[B, *, T]``; ``t [B]`` in (0, 1]."""

    def __init__(self, config: DenoiserConfig, n_mels: int, cond_channels: int) -> None:
        super().__init__()
        c = config
        self.config = config
        self.n_mels = n_mels
        self.cond_channels = cond_channels
        ch = c.residual_channels
        self.input_projection = nn.Conv1d(n_mels, ch, 1)
        self.step_mlp = nn.Sequential(nn.Linear(ch, 4 * ch), _Mish(), nn.Linear(4 * ch, ch))
        self.layers = nn.ModuleList(
            [ResidualLayer(ch, cond_channels, c.kernel_size, 2 ** (i % c.dilation_cycle)) for i in range(c.n_layers)]
        )
        self.skip_projection = nn.Conv1d(ch, ch, 1)
        self.output_projection = nn.Conv1d(ch, n_mels, 1)
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    def resolve_layer_mask(self, layer_mask: LayerMask) -> list[bool]:
        """``None`` -> all layers; a bool sequence or tensor of length ``n_layers`` -> list of bools."""
        if layer_mask is None:
            return [True] * self.n_layers
        flags = layer_mask.detach().cpu().flatten().tolist() if isinstance(layer_mask, Tensor) else list(layer_mask)
        if len(flags) != self.n_layers:
            raise ValueError(f"layer_mask has {len(flags)} entries, the denoiser has {self.n_layers} layers")
        return [bool(f) for f in flags]

    def project_condition(self, cond: Tensor) -> ProjectedCondition:
        """All layers' 1x1 condition projections in one conv: ``cond [B, C, T]`` -> ``[B, L, 2C, T]``."""
        w = torch.cat([layer.conditioner_projection.weight for layer in self.layers], dim=0)
        b = torch.cat([layer.conditioner_projection.bias for layer in self.layers], dim=0)
        proj = F.conv1d(cond, w, b)
        return ProjectedCondition(proj.view(cond.shape[0], self.n_layers, -1, cond.shape[-1]))

    def bind(self, cond: Tensor, mask: Tensor | None = None,
             layer_masks: Sequence[LayerMask] | None = None) -> Callable[[Tensor, Tensor, int], Tensor]:
        """The denoiser bound to one batch's condition: ``denoise(z_t, t, step_index) -> x0_hat``, the callable
        the samplers and distillation targets take. The condition is projected once for all steps;
        ``layer_masks[i]`` (optional) is the layer mask of step ``i``."""
        projected = self.project_condition(cond)

        def denoise(z_t: Tensor, t: Tensor, step_index: int) -> Tensor:
            return self(z_t, t, projected, mask, None if layer_masks is None else layer_masks[step_index])

        return denoise

    def forward(
        self,
        x_t: Tensor,
        t: Tensor,
        cond: Tensor | ProjectedCondition,
        mask: Tensor | None = None,
        layer_mask: LayerMask = None,
    ) -> Tensor:
        """``x_t [B, n_mels, T]``, ``t [B]``, ``cond [B, C, T]`` (or :meth:`project_condition`'s result),
        ``mask [B, 1, T]`` (1 = valid frame; padded frames do not leak into valid ones and come out 0),
        ``layer_mask`` (False = skip that residual layer: no compute, no skip contribution)."""
        flags = self.resolve_layer_mask(layer_mask)
        if t.dim() == 0:
            t = t.expand(x_t.shape[0])
        m = None if mask is None else mask.to(x_t.dtype)
        x = x_t if m is None else x_t * m
        h = F.relu(self.input_projection(x))
        if m is not None:
            h = h * m
        step = self.step_mlp(step_embedding(t, self.config.residual_channels, self.config.time_scale).to(x.dtype))
        skip_sum = torch.zeros_like(h)
        used = 0
        for i, (layer, on) in enumerate(zip(self.layers, flags)):
            if not on:
                continue
            if isinstance(cond, ProjectedCondition):
                cond_proj = cond.proj[:, i]
            else:
                cond_proj = layer.conditioner_projection(cond)
            h, skip = layer(h, cond_proj, step, m)
            skip_sum = skip_sum + skip
            used += 1
        norm = used if self.config.skip_norm == "used" else self.n_layers
        y = skip_sum / math.sqrt(max(norm, 1))
        y = self.output_projection(F.relu(self.skip_projection(y)))
        return y if m is None else y * m

    def flops_per_frame(self, layer_mask: LayerMask = None, *, include_condition: bool = True) -> int:
        """Multiply-adds per frame of one call, from the conv shapes (per-utterance step-embedding MLPs and
        elementwise ops excluded). ``include_condition=False``: with the condition projected once
        (:meth:`project_condition`), the per-step cost."""
        flags = self.resolve_layer_mask(layer_mask)
        ch, k = self.config.residual_channels, self.config.kernel_size
        per_layer = ch * 2 * ch * k + ch * 2 * ch + (self.cond_channels * 2 * ch if include_condition else 0)
        return self.n_mels * ch + sum(flags) * per_layer + ch * ch + ch * self.n_mels
