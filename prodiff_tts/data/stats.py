"""Feature statistics written by ``prepare`` (``stats.json``) and the normalization they define."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..fileio import atomic_write


@dataclass(frozen=True)
class FeatureStats:
    mel_mean: tuple[float, ...]
    mel_std: tuple[float, ...]
    f0_mean: float  # of log-F0 over voiced frames
    f0_std: float
    energy_mean: float  # of log-energy over all frames
    energy_std: float
    num_frames: int

    def save(self, path: str | os.PathLike) -> None:
        text = json.dumps(asdict(self), indent=1)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FeatureStats":
        try:
            d = json.loads(Path(path).read_text())
            return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})
        except FileNotFoundError:
            raise FileNotFoundError(f"feature statistics not found: {path} (run `tts prepare`)") from None
        except (json.JSONDecodeError, TypeError) as e:
            raise ValueError(f"corrupt feature statistics file {path}: {e}") from None


def same_corpus(a: FeatureStats, b: FeatureStats) -> bool:
    """True when two sets of statistics describe the same corpus. Two builds of one corpus are not
    bit-identical (Piper's synthesis and the silence trimming move a few frames: joe's two builds differ
    by ~1e-4); another corpus differs by orders of magnitude more."""
    return all(np.allclose(getattr(a, k), getattr(b, k), rtol=1e-3, atol=1e-3)
               for k in ("mel_mean", "mel_std", "f0_mean", "f0_std", "energy_mean", "energy_std"))


class StatsAccumulator:
    """Sums of the sufficient statistics stored beside each cached utterance."""

    def __init__(self, n_mels: int) -> None:
        self.mel = np.zeros((2, n_mels))
        self.f0 = np.zeros(3)
        self.energy = np.zeros(3)

    def add(self, stat_mel: np.ndarray, stat_f0: np.ndarray, stat_energy: np.ndarray) -> None:
        self.mel += stat_mel
        self.f0 += stat_f0
        self.energy += stat_energy

    def result(self) -> FeatureStats:
        n = self.energy[0]
        if n == 0:
            raise ValueError("no frames to compute statistics from")

        def mean_std(s1: np.ndarray, s2: np.ndarray, count: float) -> tuple[np.ndarray, np.ndarray]:
            mean = s1 / count
            return mean, np.sqrt(np.maximum(s2 / count - mean**2, 1e-8))

        mel_mean, mel_std = mean_std(self.mel[0], self.mel[1], n)
        f0_mean, f0_std = mean_std(self.f0[1], self.f0[2], max(self.f0[0], 1))
        e_mean, e_std = mean_std(self.energy[1], self.energy[2], n)
        return FeatureStats(
            mel_mean=tuple(float(v) for v in mel_mean),
            mel_std=tuple(float(v) for v in mel_std),
            f0_mean=float(f0_mean),
            f0_std=float(f0_std),
            energy_mean=float(e_mean),
            energy_std=float(e_std),
            num_frames=int(n),
        )
