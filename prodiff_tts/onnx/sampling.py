"""The numpy half of the ONNX acoustic model: integer durations, length regulation and the DDIM loop around
the step graphs. Each function does, in float32, the arithmetic its torch counterpart does
(``models.variance.durations_from_log`` / ``length_regulate``, ``diffusion.sampler.ddim_sample``), in the same
order, so that the ONNX path gives the torch path's frames and mels; tests/onnx checks it."""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

__all__ = ["durations_from_log", "length_regulate", "initial_noise", "ddim_sample", "StepFn"]

StepFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``step(z_t, proj, mask) -> x0_hat``: one step graph of a plan (its timestep and layer mask baked in)."""


def durations_from_log(log_durations: np.ndarray, mask: np.ndarray, speeds: Sequence[float],
                       max_phoneme_frames: int) -> np.ndarray:
    """Integer durations ``[B, N]`` (int64) from predicted ``log(1 + d)`` ``[B, N]``; ``mask [B, N]`` bool,
    ``speeds`` one per item (> 1 is faster). As ``durations_from_log``: ``d = max(exp(pred) - 1, 0) / speed``
    rounded cumulatively (the cumulative sum is taken in float64, as torch's CPU cumsum accumulates), each
    ``d`` capped at ``max_phoneme_frames``, one frame on the longest phoneme of an utterance that rounds to
    none."""
    speeds = [float(s) for s in speeds]
    if len(speeds) != log_durations.shape[0]:
        raise ValueError(f"{len(speeds)} speeds for a batch of {log_durations.shape[0]}")
    if not all(s > 0 for s in speeds):
        raise ValueError(f"speed must be > 0, got {speeds}")
    log_d = np.nan_to_num(log_durations.astype(np.float32), nan=0.0)
    log_d = np.minimum(log_d, np.float32(math.log1p(max_phoneme_frames)))
    base = np.maximum(np.exp(log_d) - np.float32(1.0), np.float32(0.0))
    fmask = mask.astype(np.float32)
    d = np.stack([base[b] / np.float32(s) for b, s in enumerate(speeds)]) * fmask
    ends = np.round(np.cumsum(d, axis=1, dtype=np.float64).astype(np.float32))
    dur = np.diff(ends, axis=1, prepend=np.zeros_like(ends[:, :1])).astype(np.int64)
    empty = dur.sum(1) == 0
    if empty.any():
        longest = np.where(mask, d, np.float32(-1.0)).argmax(axis=1)
        dur[empty, longest[empty]] = 1
    return dur * mask.astype(np.int64)


def length_regulate(h: np.ndarray, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``h [B, N, C]`` repeated ``durations [B, N]`` times -> ``(cond [B, C, T], mask [B, 1, T] float32,
    mel_lengths [B])``, ``T`` the longest utterance; frames after an utterance's end are zero."""
    lengths = durations.sum(1).astype(np.int64)
    T = int(lengths.max())
    cond = np.zeros((h.shape[0], h.shape[2], T), dtype=np.float32)
    for b in range(h.shape[0]):
        idx = np.repeat(np.arange(h.shape[1]), durations[b])
        cond[b, :, : len(idx)] = h[b, idx].T
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float32)[:, None, :]
    return cond, mask, lengths


def initial_noise(shape: Sequence[int], seed: int) -> np.ndarray:
    """Standard normal float32 noise from numpy's PCG64 seeded with ``seed``: reproducible across runs and
    machines (numpy's documented stream policy), but not torch's noise for the same seed."""
    return np.random.default_rng(int(seed)).standard_normal(tuple(shape), dtype=np.float32)


def ddim_sample(steps: Sequence[StepFn], coefficients: Sequence[tuple[float, float]], noise: np.ndarray,
                proj: np.ndarray, mask: np.ndarray,
                on_step: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """Deterministic DDIM with an x0-predicting denoiser: ``steps[i]`` predicts x0 at the plan's i-th
    timestep, ``coefficients[i] = (alpha, sigma)`` there. ``z_s = a_s x0 + s_s (z_t - a_t x0) / s_t`` between
    steps; the last step lands on s = 0 and returns its x0; the state is masked, as ``diffusion.sampler`` does.
    ``on_step(i, z_t)``: called with each step's input (calibration records them)."""
    if len(coefficients) != len(steps):
        raise ValueError(f"{len(steps)} steps need as many coefficient pairs, got {len(coefficients)}")
    c = [(np.float32(a), np.float32(s)) for a, s in coefficients]
    z = noise * mask
    x0 = z
    for i, step in enumerate(steps):
        if on_step is not None:
            on_step(i, z)
        x0 = step(z, proj, mask) * mask
        if i + 1 < len(steps):
            (a_t, s_t), (a_s, s_s) = c[i], c[i + 1]
            eps = (z - a_t * x0) / s_t
            z = (a_s * x0 + s_s * eps) * mask
    return x0
