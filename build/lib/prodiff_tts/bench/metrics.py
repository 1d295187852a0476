"""Quality metrics on natural-log mels [n_mels, T]: log-mel L1, mel-cepstral distortion (with DTW), F0, the
Fréchet distance between frame distributions; and the word/character error rates of a recognizer's transcripts."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
from scipy import linalg
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


def cepstral_dtw_path(log_mel_a: np.ndarray, log_mel_b: np.ndarray, n_coeffs: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """DTW frame alignment of two log-mels on the Euclidean distance of their mel cepstra (the MCD's path)."""
    ca, cb = mel_cepstrum(log_mel_a, n_coeffs), mel_cepstrum(log_mel_b, n_coeffs)
    return dtw_path(np.sqrt(((ca[:, None, :] - cb[None, :, :]) ** 2).sum(-1)))


def mcd(log_mel_a: np.ndarray, log_mel_b: np.ndarray, n_coeffs: int = 13, use_dtw: bool = True,
        path: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Mel-cepstral distortion in dB, frames matched by DTW (or truncated to the shorter when use_dtw=False);
    ``path`` (frame indices of a and b) reuses an alignment already computed."""
    ca, cb = mel_cepstrum(log_mel_a, n_coeffs), mel_cepstrum(log_mel_b, n_coeffs)
    if path is not None:
        ia, ib = path
    elif use_dtw:
        ia, ib = cepstral_dtw_path(log_mel_a, log_mel_b, n_coeffs)
    else:
        n = min(len(ca), len(cb))
        ia = ib = np.arange(n)
    diff = ca[ia] - cb[ib]
    return float(MCD_CONST * np.mean(np.sqrt((diff**2).sum(-1))))


def mel_l1(log_mel_a: np.ndarray, log_mel_b: np.ndarray) -> float:
    """Mean absolute log-mel difference over the common frames (inputs aligned frame by frame)."""
    n = min(log_mel_a.shape[1], log_mel_b.shape[1])
    return float(np.mean(np.abs(log_mel_a[:, :n] - log_mel_b[:, :n])))


def mel_l1_dtw(log_mel_a: np.ndarray, log_mel_b: np.ndarray,
               path: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Mean absolute log-mel difference along a DTW path (default: :func:`cepstral_dtw_path`), for mels of
    different lengths (free-running synthesis vs the recording)."""
    ia, ib = path if path is not None else cepstral_dtw_path(log_mel_a, log_mel_b)
    return float(np.mean(np.abs(np.asarray(log_mel_a)[:, ia] - np.asarray(log_mel_b)[:, ib])))


def f0_errors(f0_ref: np.ndarray, f0_gen: np.ndarray) -> tuple[float, float]:
    """(F0 RMSE in Hz over frames voiced in both, voicing decision error rate), frames aligned."""
    n = min(len(f0_ref), len(f0_gen))
    a, b = f0_ref[:n], f0_gen[:n]
    va, vb = a > 0, b > 0
    both = va & vb
    rmse = float(np.sqrt(np.mean((a[both] - b[both]) ** 2))) if both.any() else float("nan")
    return rmse, float(np.mean(va != vb)) if n else float("nan")


# --- recognizer transcripts ----------------------------------------------------------------------------------


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
    """Levenshtein distance (substitutions + deletions + insertions, each costing 1) between two sequences."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def asr_normalize(text: str) -> str:
    """Lower case, letters, digits and apostrophes only, single spaces: the form WER/CER compare."""
    return " ".join(re.sub(r"[^a-z0-9']+", " ", text.lower()).split())


def error_rate(refs: Sequence[str], hyps: Sequence[str], unit: str = "word") -> float:
    """Corpus-level WER (``unit="word"``) or CER (``unit="char"``, spaces included): total edits over total
    reference length, after :func:`asr_normalize`. Can exceed 1 (insertions)."""
    if unit not in ("word", "char"):
        raise ValueError(f"unit must be 'word' or 'char', got {unit!r}")
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    split = str.split if unit == "word" else list
    edits = total = 0
    for r, h in zip(refs, hyps):
        rs, hs = split(asr_normalize(r)), split(asr_normalize(h))
        edits += edit_distance(rs, hs)
        total += len(rs)
    if total == 0:
        raise ValueError("empty references")
    return edits / total


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    return error_rate(refs, hyps, "word")


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    return error_rate(refs, hyps, "char")


def frame_statistics(mels: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of all frames of ``mels`` (each [n_mels, T]): the Gaussian of the Fréchet distance."""
    frames = np.concatenate([m.T for m in mels], axis=0).astype(np.float64)
    return frames.mean(0), np.cov(frames, rowvar=False)


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """Fréchet distance between two Gaussians (the FID formula, here on mel frames)."""
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularize as the FID reference code does
        eps = 1e-6 * np.eye(len(mu1))
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))
