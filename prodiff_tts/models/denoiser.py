"""Non-causal WaveNet denoiser (DiffSinger / ProDiff "DiffNet") predicting the clean normalised mel x0.

``x_t [B, n_mels, T]`` -> 1x1 conv -> ReLU -> L residual layers -> sum of skips / sqrt(L_used) -> 1x1 conv
-> ReLU -> 1x1 conv (zero-initialised) -> ``x0_hat [B, n_mels, T]``. Each residual layer adds the step
embedding, runs a dilated conv, adds its 1x1 projection of the condition, gates (tanh x sigmoid) and splits
a 1x1 conv into residual and skip halves.

Layers can be skipped per call (``layer_mask``), which removes their compute entirely; the schedule search
uses this. The per-layer condition projections do not depend on ``t``: :meth:`WaveNetDenoiser.project_condition`
computes them once per utterance and ``forward`` accepts the result in place of ``cond``.

Multi-stage (``config.n_stages > 1``; Zhang et al., CVPR 2024; docs/multistage.md): the input projection, the
step MLP and the first ``trunk_layers`` residual layers are shared by all timesteps (the trunk, ``layers``);
stage s owns the remaining layers and the skip/output projections (``heads[s]``) and serves
``t in [edge_s, edge_{s+1})``. Each item of a batch goes through its own stage's head (items are grouped by
stage: one trunk pass, one head pass per stage present), so a step costs one trunk plus one head. With one
stage there is no ``heads``: the trunk holds every layer and the state dict is the plain denoiser's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import DenoiserConfig

__all__ = ["WaveNetDenoiser", "StageHead", "ProjectedCondition", "LayerMask", "stage_state_from_single",
           "step_embedding"]

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
    """Per-layer condition projections ``[B, L, 2C, T]``, reusable across steps: layer i is ``proj[:, i]`` (trunk
    layers first, then each stage's head layers in stage order)."""

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


class StageHead(nn.Module):
    """One stage's own residual layers (global indices ``first_layer..``) and its skip/output projections."""

    def __init__(self, config: DenoiserConfig, n_mels: int, cond_channels: int, first_layer: int) -> None:
        super().__init__()
        c, ch = config, config.residual_channels
        self.layers = nn.ModuleList([ResidualLayer(ch, cond_channels, c.kernel_size, 2 ** (i % c.dilation_cycle))
                                     for i in range(first_layer, c.n_layers)])
        self.skip_projection = nn.Conv1d(ch, ch, 1)
        self.output_projection = nn.Conv1d(ch, n_mels, 1)
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)


class WaveNetDenoiser(nn.Module):
    """``forward(x_t, t, cond, mask=None, layer_mask=None) -> x0_hat``, all ``[B, *, T]``; ``t [B]`` in (0, 1]."""

    def __init__(self, config: DenoiserConfig, n_mels: int, cond_channels: int) -> None:
        super().__init__()
        c = config
        if not c.stages_resolved:
            raise ValueError(f"n_stages={c.n_stages} but no stage_boundaries: teacher training finds them "
                             "(stages.json), or give model.denoiser.stage_boundaries")
        self.config = config
        self.n_mels = n_mels
        self.cond_channels = cond_channels
        ch = c.residual_channels
        self.input_projection = nn.Conv1d(n_mels, ch, 1)
        self.step_mlp = nn.Sequential(nn.Linear(ch, 4 * ch), _Mish(), nn.Linear(4 * ch, ch))
        self.layers = nn.ModuleList(  # the trunk: every layer when there is one stage
            [ResidualLayer(ch, cond_channels, c.kernel_size, 2 ** (i % c.dilation_cycle))
             for i in range(c.shared_layers)]
        )
        if c.n_stages == 1:  # the plain denoiser's own keys (released voices load unchanged)
            self.skip_projection = nn.Conv1d(ch, ch, 1)
            self.output_projection = nn.Conv1d(ch, n_mels, 1)
            nn.init.zeros_(self.output_projection.weight)
            nn.init.zeros_(self.output_projection.bias)
        else:
            self.heads = nn.ModuleList(
                [StageHead(c, n_mels, cond_channels, c.shared_layers) for _ in range(c.n_stages)])

    @property
    def n_layers(self) -> int:
        """Residual layers one call runs (trunk + one head): the length of a layer mask."""
        return self.config.n_layers

    @property
    def n_stages(self) -> int:
        return self.config.n_stages

    def _head(self, stage: int) -> tuple[Sequence[ResidualLayer], nn.Conv1d, nn.Conv1d]:
        """A stage's own layers and its skip / output projections."""
        if self.config.n_stages == 1:
            return (), self.skip_projection, self.output_projection
        head = self.heads[stage]
        return head.layers, head.skip_projection, head.output_projection

    def _all_layers(self) -> list[ResidualLayer]:
        """Every residual layer in :class:`ProjectedCondition` order: trunk, then head 0, head 1, ..."""
        return list(self.layers) + [layer for s in range(self.config.n_stages) for layer in self._head(s)[0]]

    def stage_of(self, t: Tensor) -> Tensor:
        """Stage index ``[B]`` (long) of times ``t [B]``: s where ``edge_s <= t < edge_{s+1}``."""
        if self.config.n_stages == 1:
            return torch.zeros(t.shape, dtype=torch.long, device=t.device)
        b = torch.tensor(self.config.stage_boundaries, dtype=t.dtype, device=t.device)
        return torch.bucketize(t.contiguous(), b, right=True)

    def resolve_layer_mask(self, layer_mask: LayerMask) -> list[bool]:
        """``None`` -> all layers; a bool sequence or tensor of length ``n_layers`` (trunk layers, then the
        head's) -> list of bools."""
        if layer_mask is None:
            return [True] * self.n_layers
        flags = layer_mask.detach().cpu().flatten().tolist() if isinstance(layer_mask, Tensor) else list(layer_mask)
        if len(flags) != self.n_layers:
            raise ValueError(f"layer_mask has {len(flags)} entries, the denoiser has {self.n_layers} layers")
        return [bool(f) for f in flags]

    def project_condition(self, cond: Tensor) -> ProjectedCondition:
        """All layers' 1x1 condition projections in one conv: ``cond [B, C, T]`` -> ``[B, L, 2C, T]`` (every
        stage's layers: L = trunk + n_stages x head layers)."""
        layers = self._all_layers()
        w = torch.cat([layer.conditioner_projection.weight for layer in layers], dim=0)
        b = torch.cat([layer.conditioner_projection.bias for layer in layers], dim=0)
        proj = F.conv1d(cond, w, b)
        return ProjectedCondition(proj.view(cond.shape[0], len(layers), -1, cond.shape[-1]))

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
        n_trunk = len(self.layers)
        for i, (layer, on) in enumerate(zip(self.layers, flags)):
            if not on:
                continue
            h, skip = layer(h, self._cond_proj(cond, i, layer, None), step, m)
            skip_sum = skip_sum + skip
        head_flags = flags[n_trunk:]
        norm = sum(flags) if self.config.skip_norm == "used" else self.n_layers
        skip_denom = math.sqrt(max(norm, 1))
        if self.config.n_stages == 1:
            return self._run_head(0, h, skip_sum, step, cond, m, head_flags, skip_denom, None)
        stages = self.stage_of(t)
        present = torch.unique(stages).tolist()
        if len(present) == 1:  # every item in one stage (sampling): no regrouping
            return self._run_head(present[0], h, skip_sum, step, cond, m, head_flags, skip_denom, None)
        pieces, order = [], []
        for s in present:  # one head pass per stage present, on its items only
            idx = (stages == s).nonzero().squeeze(1)
            pieces.append(self._run_head(s, h[idx], skip_sum[idx], step[idx], cond,
                                         None if m is None else m[idx], head_flags, skip_denom, idx))
            order.append(idx)
        return torch.cat(pieces)[torch.argsort(torch.cat(order))]

    def _cond_proj(self, cond: Tensor | ProjectedCondition, k: int, layer: ResidualLayer,
                   idx: Tensor | None) -> Tensor:
        """Condition projection of layer ``k`` (ProjectedCondition order) for the items ``idx`` (None: all)."""
        if isinstance(cond, ProjectedCondition):
            proj = cond.proj[:, k]
            return proj if idx is None else proj[idx]
        return layer.conditioner_projection(cond if idx is None else cond[idx])

    def _run_head(self, stage: int, h: Tensor, skip_sum: Tensor, step: Tensor, cond: Tensor | ProjectedCondition,
                  m: Tensor | None, flags: Sequence[bool], skip_denom: float, idx: Tensor | None) -> Tensor:
        layers, skip_projection, output_projection = self._head(stage)
        first = len(self.layers) + stage * self.config.head_layers  # this head's first ProjectedCondition index
        for j, (layer, on) in enumerate(zip(layers, flags)):
            if not on:
                continue
            h, skip = layer(h, self._cond_proj(cond, first + j, layer, idx), step, m)
            skip_sum = skip_sum + skip
        y = output_projection(F.relu(skip_projection(skip_sum / skip_denom)))
        return y if m is None else y * m

    def flops_per_frame(self, layer_mask: LayerMask = None, *, include_condition: bool = True) -> int:
        """Multiply-adds per frame of one call (trunk + one head), from the conv shapes (per-utterance
        step-embedding MLPs and elementwise ops excluded). ``include_condition=False``: with the condition
        projected once (:meth:`project_condition`), the per-step cost."""
        flags = self.resolve_layer_mask(layer_mask)
        ch, k = self.config.residual_channels, self.config.kernel_size
        per_layer = ch * 2 * ch * k + ch * 2 * ch + (self.cond_channels * 2 * ch if include_condition else 0)
        return self.n_mels * ch + sum(flags) * per_layer + ch * ch + ch * self.n_mels


def stage_state_from_single(state: Mapping[str, Tensor], config: DenoiserConfig,
                            prefix: str = "") -> dict[str, Tensor]:
    """A one-stage denoiser's state dict (keys under ``prefix``) -> the state of the multi-stage denoiser of
    ``config`` with the same layers: the trunk takes the first ``trunk_layers`` layers and every head a copy
    of the others and of the skip/output projections, so each head starts as the one-stage denoiser (same
    outputs at every t) and the stages then specialise (fine-tuning a multi-stage voice from a released one)."""
    if config.n_stages == 1:
        return dict(state)
    out: dict[str, Tensor] = {}
    trunk = config.shared_layers
    for key, value in state.items():
        if not key.startswith(prefix):
            out[key] = value
            continue
        rest = key[len(prefix):]
        if rest.startswith("layers."):
            index, tail = rest[len("layers."):].split(".", 1)
            i = int(index)
            if i < trunk:
                out[key] = value
            else:
                for s in range(config.n_stages):
                    out[f"{prefix}heads.{s}.layers.{i - trunk}.{tail}"] = value.clone()
        elif rest.startswith(("skip_projection.", "output_projection.")):
            for s in range(config.n_stages):
                out[f"{prefix}heads.{s}.{rest}"] = value.clone()
        else:
            out[key] = value
    return out
