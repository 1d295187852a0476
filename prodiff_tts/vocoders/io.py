"""Vocoder registry and (de)serialisation: safetensors weights + a JSON of constructor arguments.

Nothing is ever unpickled. A saved vocoder is a directory::

    vocoder.json          {"format": "prodiff-tts-vocoder", "version": 1, "name": ..., "kwargs": {...}}
    model.safetensors     state dict; the same JSON is also stored in the safetensors header metadata,
                          so the .safetensors file alone is enough to rebuild the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from ..audio.config import AudioConfig
from ..fileio import atomic_write
from .base import Vocoder
from .griffin_lim import GriffinLimVocoder
from .hifigan import HIFIGAN_PRESETS, HiFiGANGenerator
from .istft import ISTFTVocoder

__all__ = [
    "VOCODER_NAMES",
    "VocoderLoadError",
    "build_vocoder",
    "save_vocoder",
    "load_vocoder",
    "remove_weight_norm",
    "CONFIG_NAME",
    "WEIGHTS_NAME",
]

FORMAT = "prodiff-tts-vocoder"
FORMAT_VERSION = 1
CONFIG_NAME = "vocoder.json"
WEIGHTS_NAME = "model.safetensors"


class VocoderLoadError(ValueError):
    """A saved vocoder is missing, unreadable or inconsistent."""


def _hifigan(preset: str | None) -> Callable[..., Vocoder]:
    def make(audio_config: AudioConfig | dict | None = None, **kwargs: Any) -> Vocoder:
        if preset is None:
            return HiFiGANGenerator(audio_config=audio_config, **kwargs)
        kwargs.pop("preset", None)
        return HiFiGANGenerator.from_preset(preset, audio_config=audio_config, **kwargs)

    return make


_REGISTRY: dict[str, Callable[..., Vocoder]] = {
    "griffin-lim": GriffinLimVocoder,
    "hifigan": _hifigan(None),
    **{f"hifigan-{p}": _hifigan(p) for p in HIFIGAN_PRESETS},
    "istft": ISTFTVocoder,
}
VOCODER_NAMES: tuple[str, ...] = tuple(_REGISTRY)
_ALIASES = {"griffin_lim": "griffin-lim", "gl": "griffin-lim", "vocos": "istft"}


def _canonical(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"unknown vocoder {name!r}; known: {', '.join(VOCODER_NAMES)}")
    return key


def build_vocoder(name: str, **kwargs: Any) -> Vocoder:
    """Build a vocoder by name ("griffin-lim", "hifigan-v1", "hifigan-v2", "hifigan-v3", "istft", or
    "hifigan" with explicit arguments). ``audio_config`` may be an AudioConfig or a dict; the other
    keyword arguments go to the constructor (for the HiFi-GAN presets they override the preset)."""
    ac = kwargs.pop("audio_config", None)
    if isinstance(ac, dict) or (ac is not None and not isinstance(ac, AudioConfig)):
        ac = AudioConfig.from_dict(dict(ac))
    return _REGISTRY[_canonical(name)](audio_config=ac, **kwargs)


def _descriptor(model: Vocoder) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": model.name,
        "kwargs": model.config(),
        "weight_norm": bool(model.has_weight_norm),
    }


def save_vocoder(model: Vocoder, directory: str | os.PathLike) -> Path:
    """Write ``vocoder.json`` and ``model.safetensors`` into ``directory`` (created); returns it.
    Files are written to a temporary name and renamed, so a crash never leaves a half-written file."""
    if not isinstance(model, Vocoder):
        raise TypeError(f"expected a Vocoder, got {type(model).__name__}")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    desc = _descriptor(model)
    text = json.dumps(desc, indent=2, sort_keys=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(d / WEIGHTS_NAME, lambda p: save_file(state, p, metadata={"prodiff_tts_vocoder": text}))
    atomic_write(d / CONFIG_NAME, lambda p: Path(p).write_text(text + "\n"))
    return d


def _read_descriptor(weights: Path, config: Path | None) -> dict[str, Any]:
    if config is not None and config.is_file():
        try:
            desc = json.loads(config.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise VocoderLoadError(f"{config}: not a valid vocoder config JSON ({e})") from e
    else:
        try:
            with safe_open(str(weights), framework="pt") as f:
                meta = f.metadata() or {}
        except (SafetensorError, OSError, ValueError) as e:
            raise VocoderLoadError(f"{weights}: not a readable safetensors file ({e})") from e
        if "prodiff_tts_vocoder" not in meta:
            raise VocoderLoadError(
                f"{weights}: no {CONFIG_NAME} next to it and no vocoder description in its metadata"
            )
        try:
            desc = json.loads(meta["prodiff_tts_vocoder"])
        except json.JSONDecodeError as e:
            raise VocoderLoadError(f"{weights}: corrupt vocoder description in metadata ({e})") from e
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise VocoderLoadError(f"{config or weights}: not a {FORMAT} description")
    if int(desc.get("version", 0)) > FORMAT_VERSION:
        raise VocoderLoadError(f"{config or weights}: format version {desc['version']} is newer than supported")
    if "name" not in desc or not isinstance(desc.get("kwargs"), dict):
        raise VocoderLoadError(f"{config or weights}: description lacks 'name' or 'kwargs'")
    return desc


def load_vocoder(path: str | os.PathLike, map_location: str | torch.device = "cpu", eval_mode: bool = True) -> Vocoder:
    """Load a vocoder saved by :func:`save_vocoder` from its directory or its ``.safetensors`` file.

    Raises :class:`VocoderLoadError` (a ValueError) with the offending path when a file is missing,
    truncated/corrupt, or does not match the architecture its description names.
    """
    p = Path(path)
    if p.is_dir():
        weights, config = p / WEIGHTS_NAME, p / CONFIG_NAME
    elif p.suffix == ".json":
        weights, config = p.parent / WEIGHTS_NAME, p
    else:
        weights, config = p, p.parent / CONFIG_NAME
    if not weights.is_file():
        raise VocoderLoadError(f"vocoder weights not found: {weights}")
    desc = _read_descriptor(weights, config if config.is_file() else None)
    kwargs = dict(desc["kwargs"])
    if desc["name"] == "hifigan" or desc["name"].startswith("hifigan-"):
        kwargs["weight_norm"] = bool(desc.get("weight_norm", False))
        name = "hifigan"
    else:
        name = desc["name"]
    try:
        model = build_vocoder(name, **kwargs)
    except (TypeError, ValueError) as e:
        raise VocoderLoadError(f"{config if config.is_file() else weights}: cannot build {name!r}: {e}") from e
    try:
        state = load_file(str(weights), device=str(map_location))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise VocoderLoadError(f"{weights}: corrupt or truncated safetensors file ({e})") from e
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise VocoderLoadError(f"{weights}: weights do not match the {name!r} architecture: {e}") from e
    model.to(map_location)
    return model.eval() if eval_mode else model


def remove_weight_norm(model: Vocoder) -> Vocoder:
    """Fold weight norm into plain weights (in place, for inference/export); returns the model."""
    model.remove_weight_norm()
    return model
