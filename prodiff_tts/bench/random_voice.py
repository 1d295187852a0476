"""A voice bundle with random weights at a model preset, for speed measurements (``tts benchmark --preset``).

The bundle is an ordinary one, written with :mod:`prodiff_tts.bundle`'s functions (no training code): the
acoustic model at ``AcousticConfig.<preset>()`` with seeded random weights, the project's phoneme inventory
as its vocabulary (:meth:`Vocab.default`), a teacher denoiser serving the step counts asked for with uniform
timesteps (no searched schedule), no vocoder of its own, the audio config and diffusion schedule of the
packaged Hydra defaults (``configs/audio/default.yaml``, ``configs/diffusion/continuous.yaml``: one source),
and neutral mel statistics (mean 0, std 1: the model's output is read as unit-scale log-mel).

Layers the model initialises to zero (the denoiser's output projection, so that an untrained denoiser starts
from x0 = 0) get random weights too: the output then depends on every weight, which is what a comparison of
precisions on a random model needs. The speech is noise; the time it takes is that of a trained voice of the
same size, as long as the durations are fixed (``Synthesizer(..., frames_per_phoneme=8)``): a random
duration predictor would make any length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

__all__ = ["RandomVoice", "write_random_voice"]


@dataclass(frozen=True)
class RandomVoice:
    """What ``tts benchmark --preset`` measures instead of a voice: a model preset with random weights drawn
    from ``seed``, ``frames_per_phoneme`` frames for every phoneme."""

    preset: str
    frames_per_phoneme: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        from ..models.config import PRESETS

        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose one of {', '.join(sorted(PRESETS))}")
        if isinstance(self.frames_per_phoneme, bool) or not isinstance(self.frames_per_phoneme, int) \
                or self.frames_per_phoneme < 1:
            raise ValueError(f"frames per phoneme must be a positive integer, got {self.frames_per_phoneme!r}")


def _packaged_yaml(group: str, name: str) -> dict:
    from importlib.resources import files

    import yaml

    return yaml.safe_load(files("prodiff_tts.configs").joinpath(group, f"{name}.yaml").read_text())


def _randomize_zero_layers(model: torch.nn.Module) -> None:
    """Layers initialised to zero (weights all 0) get their module's default random initialisation."""
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() > 1 and not weight.any() \
                and hasattr(module, "reset_parameters"):
            module.reset_parameters()


def write_random_voice(out_dir: str | Path, voice: RandomVoice, steps: Sequence[int]) -> dict[str, int]:
    """Writes the bundle into ``out_dir`` (created) and returns the model's parameter counts
    (:meth:`AcousticModel.count_parameters`: per sub-module, ``total``, and ``inference`` without the
    training-only aligner). The global torch random state is left as it was."""
    from ..bundle import BundleConfig, DenoiserEntry, save_weights
    from ..models.acoustic import AcousticModel
    from ..models.config import preset
    from ..text import Vocab

    if not steps or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in steps):
        raise ValueError(f"steps must be positive integers, got {list(steps)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = preset(voice.preset)
    audio = _packaged_yaml("audio", "default")
    if audio["n_mels"] != config.n_mels:
        raise ValueError(f"preset {voice.preset} has {config.n_mels} mels, the audio config {audio['n_mels']}")
    diffusion = _packaged_yaml("diffusion", "continuous")
    vocab = Vocab.default()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(voice.seed)
        model = AcousticModel(config, len(vocab))
        _randomize_zero_layers(model)
    state = model.state_dict()
    save_weights(out / "acoustic.safetensors", {k: v for k, v in state.items() if not k.startswith("denoiser.")})
    save_weights(out / "denoiser_teacher.safetensors",
                 {k[len("denoiser."):]: v for k, v in state.items() if k.startswith("denoiser.")})
    vocab.save(out / "vocab.json")
    stats = {"mel_mean": [0.0] * config.n_mels, "mel_std": [1.0] * config.n_mels}
    (out / "stats.json").write_text(json.dumps(stats) + "\n", encoding="utf-8")
    BundleConfig(
        audio=audio, model=config.to_dict(), n_symbols=len(vocab),
        diffusion={k: diffusion[k] for k in ("schedule", "schedule_kwargs")},
        denoisers=[DenoiserEntry("teacher", "denoiser_teacher.safetensors", sorted(set(steps)))],
        voice=f"random-{voice.preset}",
        extra={"random_weights": {"preset": voice.preset, "seed": voice.seed}},
    ).save(out / "config.yaml")
    return model.count_parameters()
