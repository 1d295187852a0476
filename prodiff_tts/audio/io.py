"""Waveform reading/writing with soundfile, resampling with soxr. Writes are atomic (temp file + rename)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
import soundfile as sf
import soxr

from ..fileio import atomic_write


class AudioReadError(ValueError):
    """A file that is not a usable mono recording (unreadable, empty, multi-channel)."""


def read_wav(path: str | os.PathLike, *, allow_multichannel: bool = False) -> tuple[np.ndarray, int]:
    """Read a recording as float32 in [-1, 1]. Returns (samples [T], sample_rate).

    Multi-channel files are an error unless ``allow_multichannel`` (then channels are averaged).
    """
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        raise AudioReadError(f"cannot read {path}: {str(e).splitlines()[0]}") from None
    if data.shape[0] == 0:
        raise AudioReadError(f"{path} is empty (0 samples)")
    if data.shape[1] != 1:
        if not allow_multichannel:
            raise AudioReadError(f"{path} has {data.shape[1]} channels, expected mono")
        data = data.mean(axis=1, keepdims=True)
    return np.ascontiguousarray(data[:, 0]), int(sr)


def resample(wav: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    if orig_sr == target_sr:
        return wav
    return soxr.resample(wav, orig_sr, target_sr, quality="HQ").astype(np.float32)


def write_wav(path: str | os.PathLike, wav: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM mono wav, written atomically; values are clipped to [-1, 1]."""
    wav = np.clip(np.asarray(wav, dtype=np.float32).reshape(-1), -1.0, 1.0)
    atomic_write(path, lambda tmp: sf.write(tmp, wav, sample_rate, subtype="PCM_16", format="WAV"))


def write_wav_stream(path: str | os.PathLike, pieces: Iterable[np.ndarray], sample_rate: int) -> int:
    """Like :func:`write_wav` for audio that arrives piece by piece (``Synthesizer.stream``): each piece is
    appended to a temp file in the output directory as it comes, so memory holds one piece, never the whole
    waveform; the temp file replaces ``path`` only once every piece is written. On any error (or an
    interrupt) the temp file is removed and an existing ``path`` is left untouched. Returns the number of
    samples written."""
    written = 0

    def write(tmp: str) -> None:
        nonlocal written
        with sf.SoundFile(tmp, mode="w", samplerate=int(sample_rate), channels=1, subtype="PCM_16",
                          format="WAV") as f:
            for piece in pieces:
                piece = np.clip(np.asarray(piece, dtype=np.float32).reshape(-1), -1.0, 1.0)
                f.write(piece)
                written += len(piece)

    atomic_write(path, write)
    return written
