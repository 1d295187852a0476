"""Pieces every training task shares: the Lightning Trainer from the `trainer` config group, resume."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from omegaconf import DictConfig


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint a rerun resumes from, if an earlier run of this task left one."""
    path = Path(run_dir) / "checkpoints" / "last.ckpt"
    return path if path.is_file() else None


def build_trainer(trainer_cfg: DictConfig, run_dir: str | Path, extra_callbacks: list | None = None) -> L.Trainer:
    """A Trainer that checkpoints every few minutes (``last.ckpt``, written atomically by Lightning through an
    fsspec transaction: temp file, then move) and on every validation, logs to CSV under ``run_dir``.

    Multi-GPU / multi-node is Lightning's: ``devices``, ``num_nodes``, ``strategy`` (DDP) and ``precision``.
    """
    run_dir = Path(run_dir)
    if trainer_cfg.get("threads"):
        torch.set_num_threads(int(trainer_cfg.threads))
    every = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="step{step:08d}",
        auto_insert_metric_name=False,
        save_last=True,
        save_top_k=-1,
        every_n_train_steps=int(trainer_cfg.val_check_interval),
    )
    timed = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="timed",
        save_last=True,
        save_top_k=1,
        train_time_interval=timedelta(minutes=float(trainer_cfg.checkpoint_every_minutes)),
    )
    callbacks = [every, timed, LearningRateMonitor(logging_interval="step"), *(extra_callbacks or [])]
    n_dev = trainer_cfg.devices
    multi = trainer_cfg.num_nodes > 1 or (isinstance(n_dev, int) and n_dev > 1)
    strategy = trainer_cfg.strategy
    if strategy == "auto" and multi:
        strategy = "ddp"
    return L.Trainer(
        accelerator=trainer_cfg.accelerator,
        devices=n_dev,
        num_nodes=trainer_cfg.num_nodes,
        strategy=strategy,
        precision=trainer_cfg.precision,
        max_steps=int(trainer_cfg.max_steps),
        max_epochs=-1,
        val_check_interval=int(trainer_cfg.val_check_interval),
        check_val_every_n_epoch=None,
        limit_val_batches=trainer_cfg.limit_val_batches,
        log_every_n_steps=int(trainer_cfg.log_every_n_steps),
        gradient_clip_val=trainer_cfg.get("gradient_clip_val"),
        logger=CSVLogger(save_dir=str(run_dir), name="logs"),  # version_N per (re)start: resume keeps old logs
        callbacks=callbacks,
        default_root_dir=str(run_dir),
        use_distributed_sampler=False,  # our length-bucketed batch sampler shards across ranks itself
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
