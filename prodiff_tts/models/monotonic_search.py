"""Monotonic alignment search (Glow-TTS), compiled with numba: the kernels of
:func:`~.aligner.maximum_path_numpy`. A module of its own so that synthesis, which never aligns, does not
import numba."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["mas_batch", "mas_single"]


@njit(cache=True, nogil=True)
def mas_single(log_p: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Best monotonic path through ``log_p [T, N]`` written as 0/1 into ``out [T, N]``.

    T >= N: frame 0 -> phoneme 0, frame T-1 -> phoneme N-1, each next frame stays or advances by one, so
    every phoneme gets >= 1 frame. T < N: frames go to strictly increasing phonemes (free start and end),
    so T phonemes get one frame and the other N - T get 0. Either way every frame is assigned exactly once.
    """
    n_frames, n_ph = log_p.shape
    value = np.full((n_frames, n_ph), -np.inf)
    if n_frames >= n_ph:
        value[0, 0] = log_p[0, 0]
        for t in range(1, n_frames):
            lo = max(0, n_ph - (n_frames - t))
            hi = min(n_ph - 1, t)
            for n in range(lo, hi + 1):
                stay = value[t - 1, n]
                if n > 0 and value[t - 1, n - 1] >= stay:
                    stay = value[t - 1, n - 1]
                value[t, n] = log_p[t, n] + stay
        n = n_ph - 1
        for t in range(n_frames - 1, -1, -1):
            out[t, n] = 1
            if t > 0 and n > 0 and (n == t or value[t - 1, n - 1] >= value[t - 1, n]):
                n -= 1
    else:
        slack = n_ph - n_frames
        for n in range(0, slack + 1):
            value[0, n] = log_p[0, n]
        for t in range(1, n_frames):
            best = -np.inf
            for n in range(t, t + slack + 1):
                if value[t - 1, n - 1] > best:
                    best = value[t - 1, n - 1]
                value[t, n] = log_p[t, n] + best
        t_last = n_frames - 1
        n = t_last
        for k in range(t_last, t_last + slack + 1):
            if value[t_last, k] > value[t_last, n]:
                n = k
        for t in range(t_last, -1, -1):
            out[t, n] = 1
            if t > 0:
                best_k = n - 1
                for k in range(t - 1, n):
                    if value[t - 1, k] > value[t - 1, best_k]:
                        best_k = k
                n = best_k


@njit(cache=True, nogil=True)
def mas_batch(log_p: np.ndarray, text_lengths: np.ndarray, mel_lengths: np.ndarray) -> np.ndarray:  # pragma: no cover
    out = np.zeros(log_p.shape, dtype=np.float32)
    for b in range(log_p.shape[0]):
        n_frames, n_ph = mel_lengths[b], text_lengths[b]
        if n_frames > 0 and n_ph > 0:
            mas_single(log_p[b, :n_frames, :n_ph], out[b, :n_frames, :n_ph])
    return out
