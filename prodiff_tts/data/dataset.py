"""Training data from a prepared cache: normalized features, padded batches, length-bucketed sampling."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from .features import load_features
from .stats import FeatureStats


def read_manifest(path: str | os.PathLike, split: str | None = None, *, resolve_wav: bool = False) -> list[dict]:
    """Rows of a JSON-lines manifest (``{"id", "split", "num_frames", "trim", "wav", ...}``, as ``tts prepare``
    writes it), the rows of ``split`` only when given. ``resolve_wav``: every row must have a ``wav``, and a
    relative one is resolved against the manifest's directory (the vocoder's data reads the recordings)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"manifest not found: {path} (run `tts prepare`)")
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: invalid JSON ({e})") from e
            if resolve_wav:
                if "wav" not in row:
                    raise ValueError(f"{path}:{n}: row has no 'wav'")
                wav = Path(row["wav"])
                row["wav"] = str(wav if wav.is_absolute() else path.parent / wav)
            if split is None or row["split"] == split:
                rows.append(row)
    return rows


class FeatureDataset(Dataset):
    """Items of one split as normalized tensors (see the batch keys in :func:`collate`)."""

    def __init__(self, data_dir: str | Path, split: str, stats: FeatureStats, max_frames: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.records = read_manifest(self.data_dir / "manifest.jsonl", split)
        if max_frames is not None:
            self.records = [r for r in self.records if r["num_frames"] <= max_frames]
        self.mel_mean = torch.tensor(stats.mel_mean).unsqueeze(1)
        self.mel_std = torch.tensor(stats.mel_std).unsqueeze(1)
        self.stats = stats

    def __len__(self) -> int:
        return len(self.records)

    @property
    def lengths(self) -> list[int]:
        return [r["num_frames"] for r in self.records]

    def __getitem__(self, index: int) -> dict:
        rec = self.records[index]
        f = load_features(self.data_dir / rec["feature"])
        s = self.stats
        return {
            "id": rec["id"],
            "phonemes": torch.from_numpy(f.phonemes),
            "mel": (torch.from_numpy(f.mel) - self.mel_mean) / self.mel_std,
            "pitch": (torch.from_numpy(f.log_f0) - s.f0_mean) / s.f0_std,
            "energy": (torch.from_numpy(f.log_energy) - s.energy_mean) / s.energy_std,
            "voiced": torch.from_numpy(f.voiced),
        }


def collate(items: Sequence[dict]) -> dict:
    """Pad to the longest item. Keys: ids, phonemes [B,N] (0 = pad), phoneme_lengths, mel [B,M,T],
    mel_lengths, pitch [B,T], energy [B,T], voiced [B,T]."""
    B = len(items)
    n = torch.tensor([len(it["phonemes"]) for it in items])
    t = torch.tensor([it["mel"].shape[1] for it in items])
    n_mels = items[0]["mel"].shape[0]
    batch = {
        "ids": [it["id"] for it in items],
        "phonemes": torch.zeros(B, int(n.max()), dtype=torch.long),
        "phoneme_lengths": n,
        "mel": torch.zeros(B, n_mels, int(t.max())),
        "mel_lengths": t,
        "pitch": torch.zeros(B, int(t.max())),
        "energy": torch.zeros(B, int(t.max())),
        "voiced": torch.zeros(B, int(t.max()), dtype=torch.bool),
    }
    for i, it in enumerate(items):
        batch["phonemes"][i, : n[i]] = it["phonemes"]
        batch["mel"][i, :, : t[i]] = it["mel"]
        for k in ("pitch", "energy", "voiced"):
            batch[k][i, : t[i]] = it[k]
    return batch


class LengthBucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length (less padding), shuffled per epoch, sharded across DDP ranks.

    Items are shuffled, cut into pools of ``bucket_batches`` batches, sorted by length inside each pool and
    split into batches; the batches are then shuffled. Every rank gets the same number of batches (a few
    batches are repeated when the count does not divide), as DDP needs.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        bucket_batches: int = 32,
        drop_last: bool = False,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.bucket_batches = bucket_batches
        self.drop_last = drop_last
        self._num_replicas = num_replicas
        self._rank = rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _world(self) -> tuple[int, int]:
        if self._num_replicas is not None:
            return self._num_replicas, self._rank or 0
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_world_size(), torch.distributed.get_rank()
        return 1, 0

    def _all_batches(self) -> list[list[int]]:
        n = len(self.lengths)
        rng = np.random.default_rng(self.seed + self.epoch)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        pool = self.batch_size * self.bucket_batches
        batches = []
        for start in range(0, n, pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        world, rank = self._world()
        batches = self._all_batches()
        per_rank = math.ceil(len(batches) / world) if batches else 0
        batches += batches[: per_rank * world - len(batches)]
        return iter(batches[rank::world])

    def __len__(self) -> int:
        world, _ = self._world()
        return math.ceil(len(self._all_batches()) / world)
