"""Variance adaptor (FastPitch style): phoneme-level duration, pitch and energy, and the length regulator."""

from __future__ import annotations

import math

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import VarianceConfig

__all__ = [
    "VariancePredictor",
    "ValueEmbedding",
    "VarianceAdaptor",
    "VarianceOutput",
    "durations_to_alignment",
    "length_regulate",
    "average_by_duration",
    "durations_from_log",
    "scale_grad",
]


def scale_grad(x: Tensor, scale: float) -> Tensor:
    """Identity forward; gradient multiplied by ``scale`` (0 detaches)."""
    if scale == 1.0:
        return x
    if scale == 0.0:
        return x.detach()
    return x.detach() + scale * (x - x.detach())


def durations_to_alignment(durations: Tensor, max_len: int | None = None) -> Tensor:
    """Durations ``[B, N]`` -> hard alignment ``[B, N, T]`` (float, 1 where frame t belongs to phoneme n)."""
    ends = torch.cumsum(durations.long(), dim=1)
    starts = ends - durations.long()
    max_len = int(ends[:, -1].max()) if max_len is None else max_len
    t = torch.arange(max_len, device=durations.device)[None, None, :]
    return ((t >= starts[..., None]) & (t < ends[..., None])).float()


def length_regulate(h: Tensor, durations: Tensor, max_len: int | None = None) -> tuple[Tensor, Tensor]:
    """Repeat each phoneme vector ``durations`` times: ``h [B, N, C]`` -> ``(frames [B, T, C], mel_lengths [B])``.

    ``durations`` are non-negative integers and must be 0 on padded phonemes. ``T = max_len`` or the longest
    total; an utterance longer than ``max_len`` is cut (its mel length is clipped); frames after an
    utterance's end are zero. Vectorised: each frame finds its phoneme with ``searchsorted`` on the
    cumulative durations.
    """
    if durations.shape != h.shape[:2]:
        raise ValueError(f"durations {tuple(durations.shape)} do not match h {tuple(h.shape[:2])}")
    d = durations.long()
    if bool((d < 0).any()):
        raise ValueError("durations must be >= 0")
    ends = torch.cumsum(d, dim=1)  # [B, N]
    total = ends[:, -1]
    max_len = int(total.max()) if max_len is None else int(max_len)
    frames_idx = torch.arange(max_len, device=h.device).expand(h.shape[0], max_len).contiguous()
    # phoneme of frame t: first n with ends[n] > t
    idx = torch.searchsorted(ends, frames_idx, right=True).clamp(max=h.shape[1] - 1)
    out = torch.gather(h, 1, idx[..., None].expand(-1, -1, h.shape[2]))
    mel_lengths = total.clamp(max=max_len)
    valid = frames_idx < mel_lengths[:, None]
    return out * valid[..., None].to(out.dtype), mel_lengths


def average_by_duration(frame_values: Tensor, durations: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean of ``frame_values [B, T]`` over each phoneme's frames -> ``[B, N]`` (FastPitch).

    With ``mask [B, T]`` (e.g. voiced frames) only the masked frames count; a phoneme with no counted frame
    (or zero duration) gets 0.
    """
    align = durations_to_alignment(durations, frame_values.shape[1])  # [B, N, T]
    weight = torch.ones_like(frame_values) if mask is None else mask.to(frame_values.dtype)
    total = torch.bmm(align, (frame_values * weight)[..., None]).squeeze(-1)
    count = torch.bmm(align, weight[..., None]).squeeze(-1)
    return torch.where(count > 0, total / count.clamp(min=1e-8), torch.zeros_like(total))


MAX_PHONEME_FRAMES = 1000  # ~11.6 s at 22,050 Hz / hop 256, before the speed factor


def durations_from_log(log_durations: Tensor, mask: Tensor, speed: float | Sequence[float] = 1.0) -> Tensor:
    """Integer durations ``[B, N]`` from predicted ``log(1 + d)`` at speaking rate ``speed`` (>1 is faster):
    one float for the batch, or one per item (a sequence of ``B`` floats: each row is then computed exactly as
    it would be with its own float, e.g. sentences of one batch spoken at different SSML prosody rates).

    ``d = max(exp(pred) - 1, 0) / speed`` is rounded *cumulatively* (frame boundaries are the rounded
    cumulative sums), so per-phoneme rounding errors do not accumulate: the utterance lasts
    ``round(sum(d))`` frames and each phoneme gets >= 0 frames. An utterance whose total rounds to 0 gets
    one frame, on its longest phoneme. ``d`` is capped at ``MAX_PHONEME_FRAMES`` (NaN counts as 0).
    """
    per_item = isinstance(speed, Sequence) or (isinstance(speed, Tensor) and speed.dim() > 0)
    speeds = [float(s) for s in speed] if per_item else [float(speed)]
    if per_item and len(speeds) != log_durations.shape[0]:
        raise ValueError(f"speed has {len(speeds)} values for a batch of {log_durations.shape[0]}")
    if not all(s > 0 for s in speeds):
        raise ValueError(f"speed must be > 0, got {speed}")
    # a guard, not a style limit: an overflowing prediction (exp -> inf, or NaN) would make the length
    # regulator ask for unbounded memory; no phoneme of speech lasts MAX_PHONEME_FRAMES
    log_d = torch.nan_to_num(log_durations.float(), nan=0.0).clamp(max=math.log1p(MAX_PHONEME_FRAMES))
    base = (torch.exp(log_d) - 1.0).clamp(min=0.0)
    if per_item:  # row by row with a Python float: the same arithmetic as a batch of one at that speed
        d = torch.stack([base[b] / s for b, s in enumerate(speeds)]) * mask
    else:
        d = base / speed * mask
    ends = torch.round(torch.cumsum(d, dim=1))
    dur = torch.diff(ends, dim=1, prepend=torch.zeros_like(ends[:, :1])).long()
    empty = dur.sum(1) == 0
    if bool(empty.any()):
        longest = d.masked_fill(~mask, -1.0).argmax(dim=1)
        dur[empty, longest[empty]] = 1
    return dur * mask


class VariancePredictor(nn.Module):
    """``n_layers`` x (conv1d -> ReLU -> LayerNorm -> dropout) + linear: ``[B, N, C_in]`` -> ``[B, N]``."""

    def __init__(self, in_channels: int, config: VarianceConfig) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        ch = in_channels
        for _ in range(config.n_layers):
            self.convs.append(nn.Conv1d(ch, config.filter_size, config.kernel_size, padding=config.kernel_size // 2))
            self.norms.append(nn.LayerNorm(config.filter_size))
            ch = config.filter_size
        self.dropout = nn.Dropout(config.dropout)
        self.proj = nn.Linear(ch, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        m = mask[..., None].to(x.dtype)
        for conv, norm in zip(self.convs, self.norms):
            x = conv((x * m).transpose(1, 2)).transpose(1, 2)
            x = self.dropout(norm(F.relu(x)))
        return self.proj(x * m).squeeze(-1) * mask


class ValueEmbedding(nn.Module):
    """Phoneme-level scalar (pitch or energy) ``[B, N]`` -> ``[B, N, hidden]`` with a conv1d (FastPitch)."""

    def __init__(self, hidden: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, hidden, kernel_size, padding=kernel_size // 2)

    def forward(self, values: Tensor, mask: Tensor) -> Tensor:
        v = (values * mask)[:, None, :]
        return self.conv(v).transpose(1, 2) * mask[..., None]


@dataclass
class VarianceOutput:
    frames: Tensor  # [B, T, C] length-regulated encoder output + pitch/energy embeddings
    mel_lengths: Tensor  # [B]
    durations: Tensor  # [B, N] long, used for the length regulator
    log_duration_pred: Tensor  # [B, N]
    pitch_pred: Tensor  # [B, N]
    energy_pred: Tensor | None  # [B, N] (None without energy)
    pitch_used: Tensor  # [B, N] the values embedded (target in training, prediction at inference)
    energy_used: Tensor | None


class VarianceAdaptor(nn.Module):
    """Duration, pitch and energy predictors on the encoder output; adds the value embeddings; expands.

    Order (FastPitch): duration and pitch predictors read ``h``; the pitch embedding is added; the energy
    predictor reads ``h + pitch_emb``; the energy embedding is added; the result is length-regulated.
    Predictors see ``h`` with its gradient scaled by ``config.predictor_grad``.
    """

    def __init__(self, config: VarianceConfig, hidden: int) -> None:
        super().__init__()
        self.config = config
        self.duration_predictor = VariancePredictor(hidden, config)
        self.pitch_predictor = VariancePredictor(hidden, config)
        self.pitch_embedding = ValueEmbedding(hidden, config.embed_kernel_size)
        if config.use_energy:
            self.energy_predictor = VariancePredictor(hidden, config)
            self.energy_embedding = ValueEmbedding(hidden, config.embed_kernel_size)

    def forward(
        self,
        h: Tensor,
        mask: Tensor,
        *,
        durations: Tensor | None = None,
        pitch: Tensor | None = None,
        energy: Tensor | None = None,
        speed: float | Sequence[float] = 1.0,
        max_len: int | None = None,
    ) -> VarianceOutput:
        """``h [B, N, C]``, ``mask [B, N]``; given ``durations/pitch/energy [B, N]`` are used instead of predictions."""
        fmask = mask.to(h.dtype)
        h_pred = scale_grad(h, self.config.predictor_grad)
        log_dur = self.duration_predictor(h_pred, fmask)
        pitch_pred = self.pitch_predictor(h_pred, fmask)
        pitch_used = pitch_pred if pitch is None else pitch
        h = h + self.pitch_embedding(pitch_used, fmask)
        energy_pred = energy_used = None
        if self.config.use_energy:
            energy_pred = self.energy_predictor(scale_grad(h, self.config.predictor_grad), fmask)
            energy_used = energy_pred if energy is None else energy
            h = h + self.energy_embedding(energy_used, fmask)
        if durations is None:
            durations = durations_from_log(log_dur.detach(), mask, speed)
        else:
            durations = durations.long() * mask
        frames, mel_lengths = length_regulate(h, durations, max_len)
        return VarianceOutput(frames, mel_lengths, durations, log_dur, pitch_pred, energy_pred, pitch_used, energy_used)
