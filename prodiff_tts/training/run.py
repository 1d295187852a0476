"""``tts train``: compose the Hydra config (overrides type-checked) and dispatch to the task's training function
(``teacher.train_teacher``, ``distill.run_distillation``, ``vocoder_train.train_vocoder``)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf


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


def _train_teacher(cfg: DictConfig) -> Path:
    from .teacher import train_teacher

    return train_teacher(cfg)


def _distill(cfg: DictConfig) -> Path:
    from .distill import run_distillation

    return run_distillation(cfg)


def _train_vocoder(cfg: DictConfig) -> Path:
    from .vocoder_train import train_vocoder

    return train_vocoder(cfg)


# task -> its entry point, imported when called (`tts train --cfg` composes a config without Lightning)
TASKS = {"teacher": _train_teacher, "distill": _distill, "vocoder": _train_vocoder}


def train(overrides: Sequence[str]) -> Path:
    cfg = compose_config(overrides)
    if cfg.task not in TASKS:
        raise ValueError(f"unknown task {cfg.task!r}; expected one of {sorted(TASKS)}")
    return TASKS[cfg.task](cfg)
