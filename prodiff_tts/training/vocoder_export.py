"""A trained vocoder as a ``save_vocoder`` directory (safetensors + JSON, generator only, ``load_vocoder``):
from a live generator at the end of training, or from a Lightning checkpoint of the vocoder module."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Sequence

import torch

from ..audio.config import AudioConfig
from ..vocoders.base import Vocoder
from ..vocoders.io import build_vocoder, save_vocoder

__all__ = ["export_generator", "export_vocoder", "set_mel_matching"]


def export_generator(generator: Vocoder, out_dir: str | os.PathLike, fold_weight_norm: bool = True) -> Path:
    """A copy of ``generator`` (weight norm folded) on the CPU, saved to ``out_dir``; ``generator`` itself is
    left as it is (training may go on)."""
    model = copy.deepcopy(generator).cpu()
    if fold_weight_norm:
        model.remove_weight_norm()
    return save_vocoder(model.eval(), out_dir)


def export_vocoder(checkpoint: str | os.PathLike | Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                   fold_weight_norm: bool = True, mel_match_iters: int | None = None) -> Path:
    """Lightning checkpoint of :class:`~.vocoder_module.VocoderLightningModule` -> ``save_vocoder`` directory:
    the generator's moving average when the run kept one (``vocoder.ema_decay``), else its weights. Several
    checkpoints of one run -> the mean of their generators (checkpoint averaging: a GAN generator's weights
    wander from one checkpoint to the next). ``mel_match_iters``: the iSTFT vocoder's mel matching rounds
    (:func:`set_mel_matching`; None keeps the trained setting). Loads with ``weights_only=True``."""
    paths = [checkpoint] if isinstance(checkpoint, (str, os.PathLike)) else list(checkpoint)
    if not paths:
        raise ValueError("no checkpoint to export")
    states, generator, audio = [], None, None
    for path in paths:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
        hp = ckpt.get("hyper_parameters")
        if not hp or "generator" not in hp:
            raise ValueError(f"{path}: not a vocoder training checkpoint (no generator hyper-parameters)")
        if generator is not None and (hp["generator"], hp.get("audio_config")) != (generator, audio):
            raise ValueError(f"{path}: another generator than {paths[0]}'s; only checkpoints of one run average")
        generator, audio = hp["generator"], hp.get("audio_config")
        ema = any(k.startswith("generator_ema.module.") for k in ckpt["state_dict"])
        prefix = "generator_ema.module." if ema else "generator."
        states.append({k[len(prefix) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)})
    gen_kwargs = dict(generator.get("kwargs", {}) or {})
    gen_kwargs["audio_config"] = AudioConfig.from_dict(dict(audio or {}))
    model = build_vocoder(str(generator["name"]), **gen_kwargs)
    state = {k: (sum(s[k] for s in states) / len(states)) if v.is_floating_point() else v
             for k, v in states[-1].items()}
    model.load_state_dict(state, strict=True)
    if mel_match_iters is not None:
        set_mel_matching(model, mel_match_iters)
    return export_generator(model, out_dir, fold_weight_norm)


def set_mel_matching(vocoder: Vocoder, rounds: int) -> Vocoder:
    """Sets the rounds of mel matching of an iSTFT vocoder (its output's magnitude rescaled towards the input
    mel, ``ISTFTVocoder.mel_match_iters``); returns it. Other vocoders have none: a ValueError."""
    from ..vocoders.istft import ISTFTVocoder

    if not isinstance(vocoder, ISTFTVocoder):
        raise ValueError(f"mel matching is a setting of the iSTFT vocoder, not of {vocoder.name!r}")
    vocoder.mel_match_iters = rounds  # validated there
    return vocoder
