"""The files of a training run: the prepared data cache it reads (checked against the audio config) and the
``config.yaml`` / ``vocab.json`` / ``stats.json`` it writes beside its checkpoints. No Lightning here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from ..audio.config import AudioConfig
from ..fileio import atomic_write


def check_prepared_audio(data_dir: str | Path, audio: DictConfig) -> None:
    """The ``prepare.json`` of ``data_dir`` must have been written with the audio settings ``audio``."""
    data_dir = Path(data_dir)
    prepared = AudioConfig.from_dict(json.loads((data_dir / "prepare.json").read_text())["audio"])
    wanted = AudioConfig.from_dict(OmegaConf.to_container(audio, resolve=True))
    if prepared != wanted:
        raise ValueError(f"audio config of {data_dir} ({prepared}) differs from the training config ({wanted})")


def check_data_dir(cfg: DictConfig) -> Path:
    """The prepared cache must exist and have been made with the configured audio settings."""
    data_dir = Path(cfg.data.dir)
    for name in ("manifest.jsonl", "vocab.json", "stats.json", "prepare.json"):
        if not (data_dir / name).is_file():
            raise FileNotFoundError(f"{data_dir / name} not found: run `tts prepare CORPUS {data_dir}` first "
                                    f"(or set data.dir=...)")
    check_prepared_audio(data_dir, cfg.audio)
    return data_dir


def save_run_files(cfg: DictConfig, data_dir: Path | None) -> Path:
    """``run_dir`` with the resolved ``config.yaml`` (and the data cache's vocabulary and statistics)."""
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    text = OmegaConf.to_yaml(cfg, resolve=True)
    atomic_write(run_dir / "config.yaml", lambda tmp: Path(tmp).write_text(text))
    if data_dir is not None:
        for name in ("vocab.json", "stats.json"):
            shutil.copyfile(data_dir / name, run_dir / name)
    return run_dir
