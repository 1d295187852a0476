"""Waveform clean-up applied before feature extraction: silence trimming and loudness normalization."""

from __future__ import annotations

import librosa
import numpy as np


def trim_silence(
    wav: np.ndarray, sample_rate: int, top_db: float = 40.0, margin_s: float = 0.05
) -> tuple[np.ndarray, int, int]:
    """Cut leading/trailing silence quieter than ``top_db`` below the peak, keeping a small margin.

    Returns (trimmed, start, end) with ``trimmed = wav[start:end]`` so that external time stamps
    (e.g. reference alignments) can be shifted by ``start``.
    """
    _, (start, end) = librosa.effects.trim(wav, top_db=top_db, frame_length=1024, hop_length=256)
    margin = int(margin_s * sample_rate)
    start, end = max(0, int(start) - margin), min(len(wav), int(end) + margin)
    return wav[start:end], start, end


def rms_dbfs(wav: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)) + 1e-20))
    return 20.0 * np.log10(rms)


def normalize_loudness(wav: np.ndarray, target_dbfs: float = -20.0, peak: float = 0.95) -> np.ndarray:
    """Scale to a target RMS level, then reduce the gain if needed so the peak stays below ``peak``."""
    if not np.any(wav):
        return wav
    gain = 10.0 ** ((target_dbfs - rms_dbfs(wav)) / 20.0)
    max_abs = float(np.max(np.abs(wav))) * gain
    if max_abs > peak:
        gain *= peak / max_abs
    return (wav * gain).astype(np.float32)
