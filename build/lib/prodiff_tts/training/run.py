"""``tts train``: compose the Hydra config and dispatch to the task's training function."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf

from ..audio import AudioConfig, atomic_write


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """The training config from the package's Hydra configs plus command-line overrides.

    A ``key=value`` override must keep the kind of the value it replaces (a number stays a number, a flag a
    flag; null is always allowed): ``trainer.max_steps=abc`` is a ``ValueError`` here, not a crash (or a
    silently ignored setting) later."""
    from hydra import compose, initialize_config_module

    overrides = list(overrides)
    with initialize_config_module(config_module="prodiff_tts.configs", version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
        _check_override_types(cfg, overrides, lambda groups: compose(config_name="train", overrides=groups))
    return cfg


_ANY_TYPE = frozenset({"devices"})  # Lightning takes 1, "auto", "0,1" or [0, 1]


def _type_name(value: object) -> str | None:
    """The kind of a default value an override must keep, or None when anything goes. An integer default
    takes any number (YAML writes ``checkpoint_every_minutes: 5`` for a setting that may be 0.5)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return None


def _fits(value: object, kind: str) -> bool:
    if kind == "true or false":
        return isinstance(value, bool)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_override_types(cfg: DictConfig, overrides: list[str], compose_groups) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    groups = {p.name for p in Path(__file__).resolve().parent.parent.joinpath("configs").iterdir() if p.is_dir()}
    values = [o for o in parsed if not o.is_delete() and o.key_or_group not in groups and "/" not in o.key_or_group]
    if not values:
        return
    base = compose_groups([o.input_line for o in parsed if o.key_or_group in groups])  # defaults of the run
    for o in values:
        if o.key_or_group.rsplit(".", 1)[-1] in _ANY_TYPE:
            continue
        default = OmegaConf.select(base, o.key_or_group, default=None, throw_on_resolution_failure=False)
        kind = _type_name(default)
        if kind is None:
            continue
        value = OmegaConf.select(cfg, o.key_or_group, default=None, throw_on_resolution_failure=False)
        if value is not None and not _fits(value, kind):  # null always goes (e.g. no gradient clipping)
            raise ValueError(f"bad configuration: {o.input_line}: must be {kind} (default {default})")


def check_data_dir(cfg: DictConfig) -> Path:
    """The prepared cache must exist and have been made with the configured audio settings."""
    data_dir = Path(cfg.data.dir)
    for name in ("manifest.jsonl", "vocab.json", "stats.json", "prepare.json"):
        if not (data_dir / name).is_file():
            raise FileNotFoundError(f"{data_dir / name} not found: run `tts prepare CORPUS {data_dir}` first "
                                    f"(or set data.dir=...)")
    prepared = AudioConfig.from_dict(json.loads((data_dir / "prepare.json").read_text())["audio"])
    wanted = AudioConfig.from_dict(OmegaConf.to_container(cfg.audio))
    if prepared != wanted:
        raise ValueError(f"audio config of {data_dir} ({prepared}) differs from the training config ({wanted})")
    return data_dir


def save_run_files(cfg: DictConfig, data_dir: Path | None) -> Path:
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    text = OmegaConf.to_yaml(cfg, resolve=True)
    atomic_write(run_dir / "config.yaml", lambda tmp: Path(tmp).write_text(text))
    if data_dir is not None:
        for name in ("vocab.json", "stats.json"):
            shutil.copyfile(data_dir / name, run_dir / name)
    return run_dir


def train_teacher(cfg: DictConfig) -> Path:
    import lightning as L

    from ..data.datamodule import FeatureDataModule
    from ..data.stats import FeatureStats
    from ..text import Vocab
    from .common import build_trainer, check_resume, last_checkpoint
    from .teacher import TeacherModule

    data_dir = check_data_dir(cfg)
    run_dir = save_run_files(cfg, data_dir)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    vocab = Vocab.load(data_dir / "vocab.json")
    stats = FeatureStats.load(data_dir / "stats.json")
    module = TeacherModule(
        model=OmegaConf.to_container(cfg.model, resolve=True),
        n_symbols=len(vocab),
        diffusion=OmegaConf.to_container(cfg.diffusion, resolve=True),
        optim=OmegaConf.to_container(cfg.teacher, resolve=True),
        mel_std=list(stats.mel_std),
        run_dir=str(run_dir),
    )
    d = cfg.data
    dm = FeatureDataModule(data_dir, batch_size=d.batch_size, num_workers=d.num_workers, max_frames=d.max_frames,
                           val_items=d.val_items, seed=cfg.seed)
    resume = last_checkpoint(run_dir)
    if resume:
        check_resume(module, resume)
    trainer = build_trainer(cfg.trainer, run_dir)
    trainer.fit(module, dm, ckpt_path=str(resume) if resume else None, weights_only=True)
    return last_checkpoint(run_dir) or run_dir


def distill(cfg: DictConfig) -> Path:
    from .distill import run_distillation

    return run_distillation(cfg)


TASKS = {"teacher": train_teacher, "distill": distill}


def train(overrides: Sequence[str]) -> Path:
    cfg = compose_config(overrides)
    if cfg.task == "vocoder":
        from .vocoder import train_vocoder

        return train_vocoder(cfg)
    if cfg.task not in TASKS:
        raise ValueError(f"unknown task {cfg.task!r}; expected one of {sorted([*TASKS, 'vocoder'])}")
    return TASKS[cfg.task](cfg)
