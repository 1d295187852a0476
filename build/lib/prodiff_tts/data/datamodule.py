"""LightningDataModule over a prepared cache (``tts prepare`` output)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from .dataset import FeatureDataset, LengthBucketBatchSampler, collate
from .stats import FeatureStats


class FeatureDataModule(L.LightningDataModule):
    def __init__(
        self,
        data_dir: str | Path,
        batch_size: int = 16,
        num_workers: int = 1,
        max_frames: int | None = 1000,
        val_items: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.max_frames = max_frames
        self.val_items = val_items
        self.seed = seed
        self.stats = FeatureStats.load(self.data_dir / "stats.json")

    def setup(self, stage: str | None = None) -> None:
        self.train_set = FeatureDataset(self.data_dir, "train", self.stats, self.max_frames)
        self.val_set = FeatureDataset(self.data_dir, "val", self.stats)
        if self.val_items is not None:
            self.val_set.records = self.val_set.records[: self.val_items]
        if len(self.train_set) == 0:
            raise ValueError(f"no training items in {self.data_dir}/manifest.jsonl")

    def _loader(self, dataset: FeatureDataset, shuffle: bool) -> DataLoader:
        sampler = LengthBucketBatchSampler(dataset.lengths, self.batch_size, shuffle=shuffle, seed=self.seed)
        return DataLoader(
            dataset,
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False)
