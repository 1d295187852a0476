"""The stage boundaries of a multi-stage teacher (``model.denoiser.n_stages > 1`` without ``stage_boundaries``):
found once by clustering timesteps on the prepared training mels (:func:`~..diffusion.stages.divide_stages`),
written to ``<run_dir>/stages.json`` with the inputs used, and reused when the run resumes. No Lightning here.

Clustering settings: ``teacher.stage_division`` (optional mapping of
:class:`~..diffusion.stages.StageDivisionSettings` fields, e.g. ``+teacher.stage_division.grid=100``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from ..diffusion.schedule import schedule_from_config
from ..diffusion.stages import StageDivisionSettings, divide_stages, mel_segments
from ..fileio import atomic_write_text
from ..models.config import DenoiserConfig

STAGES_FORMAT = 1
STAGES_FILE = "stages.json"


def training_segments(data_dir: Path, settings: StageDivisionSettings,
                      split: str = "train") -> tuple[torch.Tensor, int]:
    """``([N, n_mels, frames] normalised mel segments, utterances read)`` from a prepared cache."""
    from ..data.dataset import FeatureDataset
    from ..data.stats import FeatureStats

    ds = FeatureDataset(data_dir, split, FeatureStats.load(data_dir / "stats.json"))
    if len(ds) == 0:
        raise ValueError(f"{data_dir} has no {split!r} utterances to find the stage boundaries on")
    gen = torch.Generator().manual_seed(settings.seed)
    order = torch.randperm(len(ds), generator=gen)[: settings.segments].tolist()
    mels = [ds[i]["mel"] for i in order]
    return mel_segments(mels, settings.segment_frames, settings.segments, gen), len(mels)


def stage_inputs(cfg: DictConfig, data_dir: Path, n_stages: int, settings: StageDivisionSettings) -> dict[str, Any]:
    """What the boundaries depend on; a resumed run must ask for the same."""
    diffusion = OmegaConf.to_container(cfg.diffusion, resolve=True)
    return {"n_stages": n_stages, "settings": asdict(settings),
            "schedule": {"schedule": diffusion["schedule"], "schedule_kwargs": diffusion.get("schedule_kwargs") or {}},
            "data_dir": str(Path(data_dir).resolve()), "split": "train"}


def resolve_stage_boundaries(cfg: DictConfig, data_dir: Path) -> DictConfig:
    """``cfg`` with ``model.denoiser.stage_boundaries`` filled in when the model asks for stages without them:
    from ``<run_dir>/stages.json`` when an earlier start of this run wrote it, else computed now and written."""
    den = DenoiserConfig.from_dict(OmegaConf.to_container(cfg.model.denoiser, resolve=True))  # bad options fail now
    if den.stages_resolved:
        return cfg
    given = cfg.teacher.get("stage_division")
    settings = StageDivisionSettings.from_dict(OmegaConf.to_container(given, resolve=True) if given else None)
    inputs = stage_inputs(cfg, data_dir, den.n_stages, settings)
    path = Path(cfg.run_dir) / STAGES_FILE
    if path.is_file():
        doc = json.loads(path.read_text())
        old = doc.get("inputs", {})
        changed = sorted(k for k in ("n_stages", "settings", "schedule") if old.get(k) != inputs[k])
        if changed:
            raise ValueError(f"{path} was computed with other {', '.join(changed)}: use a new run_dir, or delete "
                             "it to recompute (the checkpoints of this run were trained with its stages)")
        boundaries = [float(b) for b in doc["boundaries"]]
    else:
        segments, utterances = training_segments(Path(data_dir), settings)
        division = divide_stages(segments, den.n_stages, schedule_from_config(inputs["schedule"]), settings)
        boundaries = list(division.boundaries)
        inputs.update(utterances=utterances, segments=int(segments.shape[0]))
        doc = {"format_version": STAGES_FORMAT, **division.to_dict(), "inputs": inputs}
        atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
        print(f"stage boundaries {boundaries} (clustered on {segments.shape[0]} segments): {path}", flush=True)
    OmegaConf.update(cfg, "model.denoiser.stage_boundaries", boundaries, force_add=True)
    return cfg
