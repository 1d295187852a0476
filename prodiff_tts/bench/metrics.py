"""Quality metrics on natural-log mels [n_mels, T]: log-mel L1, mel-cepstral distortion (with DTW), F0."""

from __future__ import annotations

import numpy as np
from scipy.fft import dct

MCD_CONST = 10.0 / np.log(10.0) * np.sqrt(2.0)


def mel_cepstrum(log_mel: np.ndarray, n_coeffs: int = 13) -> np.ndarray:
    """Cepstral coefficients 1..n_coeffs of each frame (c0, the energy, excluded as usual): [T, n_coeffs]."""
    c = dct(np.asarray(log_mel, dtype=np.float64), type=2, axis=0, norm="ortho")
    return c[1 : n_coeffs + 1].T


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost monotonic alignment of a [Ta, Tb] cost matrix (steps (1,0), (0,1), (1,1))."""
    import librosa

    _, wp = librosa.sequence.dtw(C=cost, backtrack=True)
    wp = wp[::-1]
    return wp[:, 0], wp[:, 1]


def mcd(log_mel_a: np.ndarray, log_mel_b: np.ndarray, n_coeffs: int = 13, use_dtw: bool = True) -> float:
    """Mel-cepstral distortion in dB, frames matched by DTW (or truncated to the shorter when use_dtw=False)."""
    ca, cb = mel_cepstrum(log_mel_a, n_coeffs), mel_cepstrum(log_mel_b, n_coeffs)
    if use_dtw:
        cost = np.sqrt(((ca[:, None, :] - cb[None, :, :]) ** 2).sum(-1))
        ia, ib = dtw_path(cost)
    else:
        n = min(len(ca), len(cb))
        ia = ib = np.arange(n)
    diff = ca[ia] - cb[ib]
    return float(MCD_CONST * np.mean(np.sqrt((diff**2).sum(-1))))


def mel_l1(log_mel_a: np.ndarray, log_mel_b: np.ndarray) -> float:
    """Mean absolute log-mel difference over the common frames (inputs aligned frame by frame)."""
    n = min(log_mel_a.shape[1], log_mel_b.shape[1])
    return float(np.mean(np.abs(log_mel_a[:, :n] - log_mel_b[:, :n])))


def f0_errors(f0_ref: np.ndarray, f0_gen: np.ndarray) -> tuple[float, float]:
    """(F0 RMSE in Hz over frames voiced in both, voicing decision error rate), frames aligned."""
    n = min(len(f0_ref), len(f0_gen))
    a, b = f0_ref[:n], f0_gen[:n]
    va, vb = a > 0, b > 0
    both = va & vb
    rmse = float(np.sqrt(np.mean((a[both] - b[both]) ** 2))) if both.any() else float("nan")
    return rmse, float(np.mean(va != vb)) if n else float("nan")
