"""Pieces every training task shares: the Lightning Trainer from the `trainer` config group (atomic checkpoints,
``last.ckpt`` on a timer, CSV logs, step times), resume."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from omegaconf import DictConfig

from ..fileio import atomic_write


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint a rerun resumes from, if an earlier run of this task left one."""
    path = Path(run_dir) / "checkpoints" / "last.ckpt"
    return path if path.is_file() else None


def check_resume(module: torch.nn.Module, path: str | Path) -> None:
    """Before resuming ``module`` from ``path``: a one-line ``ValueError`` when the checkpoint cannot be read
    safely (``weights_only=True``), or was written by a run with another model config, instead of a
    traceback from deep inside Lightning."""
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:
        raise ValueError(f"cannot resume from {path}: {str(e).splitlines()[0][:160]} (move it away to start "
                         "this run over)") from None
    state = ckpt.get("state_dict") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"cannot resume from {path}: not a training checkpoint (no state_dict)")
    fill = getattr(module, "fill_missing_state", None)
    if fill is not None:  # state the module derives itself (the vocoder's moving average)
        state = dict(state)
        fill(state)
    own = module.state_dict()
    problems = [f"missing {k}" for k in own if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in own]
    problems += [f"{k} has shape {tuple(state[k].shape)}, the configured model {tuple(v.shape)}"
                 for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if problems:
        raise ValueError(f"cannot resume from {path}: it was written with another model config ({problems[0]}; "
                         f"{len(problems)} difference(s)); use a new run_dir, or the config of that run")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temp_files(directory: Path) -> None:
    """Temp files of checkpoint saves in ``directory`` whose writer was killed (SIGKILL, OOM killer, power
    loss): each is as large as a checkpoint, and no later save replaces it (the name carries the writer's
    pid, and a numbered checkpoint is never written again)."""
    for tmp in directory.glob(".*.tmp*"):
        pid = tmp.name.rpartition(".tmp")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            tmp.unlink(missing_ok=True)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Write ``path`` as a temporary file in the same directory, fsync, then ``os.replace``: a crash or
    a full disk never leaves a truncated ``last.ckpt`` (Lightning's own save goes through a temp file
    in $TMPDIR and ``shutil.move``, which is a non-atomic copy when $TMPDIR is another filesystem)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temp_files(path.parent)
        atomic_write(path, lambda tmp: torch.save(checkpoint, tmp), fsync=True)


class LastCheckpoint(Callback):
    """The one owner of ``last.ckpt``: saved every ``minutes`` of training and when training ends, so an
    abrupt kill loses at most that much work; with :class:`AtomicCheckpointIO` the file is always complete.
    All ranks agree on when to save (rank 0 decides)."""

    def __init__(self, dirpath: Path, minutes: float) -> None:
        self.path = Path(dirpath) / "last.ckpt"
        self.seconds = 60.0 * minutes
        self._last = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        due = trainer.strategy.broadcast(time.monotonic() - self._last >= self.seconds)
        if due:
            self.save(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self.save(trainer)

    def save(self, trainer) -> None:
        trainer.save_checkpoint(self.path, weights_only=False)  # full state: this file is the resume point
        self._last = time.monotonic()


class StepTime(Callback):
    """Prints the mean seconds per step over the last ``log_every_n_steps`` batches (rank 0), below the
    progress bar: what a step costs now, not averaged since the start. ``step(trainer, module)`` is the
    step number printed (default: Lightning's ``global_step``)."""

    def __init__(self, step: Callable[[L.Trainer, L.LightningModule], int] | None = None) -> None:
        self.step = step or (lambda trainer, module: trainer.global_step)
        self._t0, self._n = time.monotonic(), 0

    def on_train_start(self, trainer, pl_module) -> None:
        self._t0, self._n = time.monotonic(), 0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._n += 1
        if self._n < max(1, int(trainer.log_every_n_steps)):
            return
        now = time.monotonic()
        if trainer.is_global_zero:
            msg = f"step {self.step(trainer, pl_module)}: {(now - self._t0) / self._n:.3f} s/step (last {self._n})"
            bar = trainer.progress_bar_callback
            (bar.print if bar is not None and hasattr(bar, "print") else print)(msg)
        self._t0, self._n = now, 0


def build_trainer(trainer_cfg: DictConfig, run_dir: str | Path, extra_callbacks: list | None = None, *,
                  numbered_checkpoints: bool = True, extra_loggers: list | None = None,
                  distributed_sampler: bool = False, find_unused_parameters: bool = False) -> L.Trainer:
    """A Trainer that writes ``last.ckpt`` every few minutes (see :class:`LastCheckpoint`), keeps a numbered
    checkpoint every ``val_check_interval`` steps (unless ``numbered_checkpoints=False``), and logs to CSV
    under ``run_dir`` (plus ``extra_loggers``). The one Trainer of every task: teacher, students, vocoder.

    Multi-GPU / multi-node is Lightning's: ``devices``, ``num_nodes``, ``strategy`` (DDP) and ``precision``.
    ``distributed_sampler``: let Lightning shard a plain DataLoader across ranks (our length-bucketed batch
    sampler shards itself, so off by default); ``find_unused_parameters``: DDP for a module some of whose
    parameters get no gradient in some steps.
    """
    run_dir = Path(run_dir)
    if trainer_cfg.get("threads"):
        torch.set_num_threads(int(trainer_cfg.threads))
    callbacks: list = []
    if numbered_checkpoints:
        callbacks.append(ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            filename="step{step:08d}",
            auto_insert_metric_name=False,
            save_last=False,
            save_top_k=-1,
            every_n_train_steps=int(trainer_cfg.val_check_interval),
        ))
    last = LastCheckpoint(run_dir / "checkpoints", float(trainer_cfg.checkpoint_every_minutes))
    callbacks += [last, LearningRateMonitor(logging_interval="step"), *(extra_callbacks or [])]
    n_dev = trainer_cfg.devices
    multi = trainer_cfg.num_nodes > 1 or (isinstance(n_dev, int) and n_dev > 1)
    strategy = trainer_cfg.strategy
    if strategy == "auto" and multi:
        strategy = "ddp"
    if strategy == "ddp" and multi and find_unused_parameters:
        strategy = "ddp_find_unused_parameters_true"
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
        # version_N per (re)start: resume keeps old logs
        logger=[CSVLogger(save_dir=str(run_dir), name="logs"), *(extra_loggers or [])],
        callbacks=callbacks,
        default_root_dir=str(run_dir),
        plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=distributed_sampler,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
