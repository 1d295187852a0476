"""Per-utterance acoustic features stored in the cache: log-mel, log-F0 (+ voicing) and log-energy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..audio import AudioConfig, MelSpectrogram, extract_f0, interpolate_log_f0, log_energy

from ..fileio import atomic_write


@dataclass
class UtteranceFeatures:
    mel: np.ndarray  # [n_mels, T] natural-log mel
    log_f0: np.ndarray  # [T] interpolated through unvoiced frames
    voiced: np.ndarray  # [T] bool
    log_energy: np.ndarray  # [T]
    phonemes: np.ndarray  # [N] int64 vocabulary ids

    @property
    def num_frames(self) -> int:
        return int(self.mel.shape[1])


class FeatureExtractor:
    """Computes every cached feature of one waveform with one AudioConfig."""

    def __init__(self, config: AudioConfig) -> None:
        self.config = config
        self.mel = MelSpectrogram(config)

    @torch.no_grad()
    def __call__(self, wav: np.ndarray, phonemes: np.ndarray) -> UtteranceFeatures:
        x = torch.from_numpy(wav).float()
        mag = self.mel.magnitude(x)
        mel = torch.log(torch.clamp(self.mel.mel_basis @ mag, min=self.config.log_clamp))
        log_f0, voiced = interpolate_log_f0(extract_f0(wav, self.config))
        return UtteranceFeatures(
            mel=mel.numpy(),
            log_f0=log_f0,
            voiced=voiced,
            log_energy=log_energy(mag).numpy(),
            phonemes=np.asarray(phonemes, dtype=np.int64),
        )


def save_features(path: str | os.PathLike, feats: UtteranceFeatures, seconds: float = 0.0, trim: tuple[float, float] = (0.0, 0.0)) -> None:
    """Atomic .npz write. Sufficient statistics and the clip's duration/trim points are stored too, so a
    resumed ``prepare`` rebuilds its manifest and statistics without reading every mel again."""
    voiced = feats.voiced
    f0v = feats.log_f0[voiced].astype(np.float64)
    arrays = dict(
        mel=feats.mel.astype(np.float16),  # log-mel in [-11.5, ~5]: float16 error < 4e-3, half the disk
        log_f0=feats.log_f0.astype(np.float32),
        voiced=voiced,
        log_energy=feats.log_energy.astype(np.float32),
        phonemes=feats.phonemes,
        seconds=np.float64(seconds),
        trim=np.asarray(trim, dtype=np.float64),
        stat_mel=np.stack([feats.mel.sum(1, dtype=np.float64), np.square(feats.mel, dtype=np.float64).sum(1)]),
        stat_f0=np.array([len(f0v), f0v.sum(), np.square(f0v).sum()]),
        stat_energy=np.array(
            [len(feats.log_energy), feats.log_energy.sum(dtype=np.float64), np.square(feats.log_energy, dtype=np.float64).sum()]
        ),
    )

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    atomic_write(path, write)


def load_features(path: str | os.PathLike) -> UtteranceFeatures:
    with np.load(Path(path), allow_pickle=False) as z:
        return UtteranceFeatures(
            mel=z["mel"].astype(np.float32),
            log_f0=z["log_f0"],
            voiced=z["voiced"],
            log_energy=z["log_energy"],
            phonemes=z["phonemes"],
        )
