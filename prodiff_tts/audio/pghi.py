"""Phase Gradient Heap Integration (Průša, Balazs and Søndergaard, IEEE/ACM TASLP 2017): a phase for an STFT
magnitude without iterating.

For a Gaussian window the STFT phase and log-magnitude are tied: the phase's time derivative follows from the
log-magnitude's frequency derivative and vice versa. PGHI estimates both from the magnitude alone and
integrates them, always spreading from the largest coefficient not yet reached (a max-heap), so the phase of
the strong, reliable coefficients is fixed first. A Hann window is treated as the Gaussian that fits it best
(``gamma = 0.25645 * L**2``). The result is a start for (fast) Griffin-Lim: on a true STFT magnitude far
nearer a consistent phase than a random one; on a magnitude estimated from a mel it measured no better
(docs/speed.md).

Conventions are those of :func:`~prodiff_tts.audio.griffin_lim.stft`: bins ``m = 0..n_fft/2``, frame-local
FFTs (phase relative to each frame's first sample) of a window centred in its ``n_fft`` frame, which adds
``2 pi m hop / n_fft`` per frame and ``pi`` per bin to the phase of a stationary signal.
"""

from __future__ import annotations

import heapq

import numba
import numpy as np

__all__ = ["pghi_phase"]

HANN_GAMMA = 0.25645  # the Gaussian that fits a Hann window of length L has gamma = 0.25645 * L**2


@numba.njit(cache=True)
def _heap_integrate(
    log_mag: np.ndarray, dphi_time: np.ndarray, dphi_freq: np.ndarray, floor: float, random_phase: np.ndarray
) -> np.ndarray:
    """Integrate the phase derivatives [F, T] from the largest coefficient outwards (4-neighbourhood,
    trapezoidal rule); coefficients whose log-magnitude is below ``floor`` keep ``random_phase``."""
    n_bins, n_frames = log_mag.shape
    phase = random_phase.copy()
    done = log_mag < floor  # too quiet to be worth integrating: they keep the random phase
    order = np.argsort(-log_mag.ravel())  # seeds: the largest coefficient not yet reached
    heap = [(0.0, 0, 0)]
    heap.pop()
    for flat in order:
        m0 = flat // n_frames
        n0 = flat % n_frames
        if done[m0, n0]:
            continue
        done[m0, n0] = True
        phase[m0, n0] = 0.0
        heapq.heappush(heap, (-log_mag[m0, n0], m0, n0))
        while len(heap) > 0:
            _, m, n = heapq.heappop(heap)
            if n + 1 < n_frames and not done[m, n + 1]:
                phase[m, n + 1] = phase[m, n] + 0.5 * (dphi_time[m, n] + dphi_time[m, n + 1])
                done[m, n + 1] = True
                heapq.heappush(heap, (-log_mag[m, n + 1], m, n + 1))
            if n > 0 and not done[m, n - 1]:
                phase[m, n - 1] = phase[m, n] - 0.5 * (dphi_time[m, n] + dphi_time[m, n - 1])
                done[m, n - 1] = True
                heapq.heappush(heap, (-log_mag[m, n - 1], m, n - 1))
            if m + 1 < n_bins and not done[m + 1, n]:
                phase[m + 1, n] = phase[m, n] + 0.5 * (dphi_freq[m, n] + dphi_freq[m + 1, n])
                done[m + 1, n] = True
                heapq.heappush(heap, (-log_mag[m + 1, n], m + 1, n))
            if m > 0 and not done[m - 1, n]:
                phase[m - 1, n] = phase[m, n] - 0.5 * (dphi_freq[m, n] + dphi_freq[m - 1, n])
                done[m - 1, n] = True
                heapq.heappush(heap, (-log_mag[m - 1, n], m - 1, n))
    return phase


def pghi_phase(
    magnitude: np.ndarray,
    hop_length: int,
    n_fft: int,
    win_length: int | None = None,
    tol: float = 1e-5,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Phase [F, T] (radians) for a linear magnitude [F, T] framed as :func:`~.griffin_lim.stft` frames
    (Hann window of ``win_length``, default ``n_fft``, centred in ``n_fft``; hop ``hop_length``).

    Coefficients below ``tol`` times the largest are given a random phase from ``rng`` (seed 0 when None).
    Torch-free (the ONNX path uses it too).
    """
    if magnitude.ndim != 2 or magnitude.shape[0] != n_fft // 2 + 1:
        raise ValueError(f"magnitude must be [n_fft // 2 + 1, frames], got {tuple(magnitude.shape)}")
    if not 0.0 < tol < 1.0:
        raise ValueError(f"tol must be in (0, 1), got {tol}")
    rng = np.random.default_rng(0) if rng is None else rng
    mag = np.asarray(magnitude, dtype=np.float64)
    random_phase = rng.uniform(0.0, 2.0 * np.pi, size=mag.shape)
    peak = float(mag.max()) if mag.size else 0.0
    if peak <= 0.0:
        return random_phase
    log_mag = np.log(np.maximum(mag, peak * 1e-12))
    a, M = hop_length, n_fft
    gamma = HANN_GAMMA * (n_fft if win_length is None else win_length) ** 2
    d_freq = np.gradient(log_mag, axis=0) if mag.shape[0] > 1 else np.zeros_like(log_mag)
    d_time = np.gradient(log_mag, axis=1) if mag.shape[1] > 1 else np.zeros_like(log_mag)
    bins = np.arange(mag.shape[0], dtype=np.float64)[:, None]
    dphi_time = (a * M / gamma) * d_freq + 2.0 * np.pi * a * bins / M  # radians per frame
    dphi_freq = -(gamma / (a * M)) * d_time + np.pi  # radians per bin
    floor = np.log(peak * tol)
    return _heap_integrate(log_mag, dphi_time, dphi_freq, floor, random_phase)
