"""Griffin-Lim vocoder: always available, no weights (quality: intelligible but phasey)."""

from __future__ import annotations

from typing import Any

import torch

from ..audio.config import AudioConfig
from ..audio.griffin_lim import mel_to_wav_griffin_lim
from .base import Vocoder

__all__ = ["GriffinLimVocoder", "griffin_lim_spec"]


def griffin_lim_spec(spec: str) -> dict[str, int] | None:
    """The settings a Griffin-Lim spec names: ``"griffin-lim"`` (or ``"gl"``) -> ``{}``, ``"griffin-lim:16"``
    -> ``{"n_iter": 16}`` (the iteration count, which trades speed for phase quality); None when ``spec`` is
    not a Griffin-Lim spec. A bad count raises ValueError."""
    name, sep, count = spec.strip().lower().replace("_", "-").partition(":")
    if name not in ("griffin-lim", "gl"):
        return None
    if not sep:
        return {}
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"{spec!r}: the Griffin-Lim iteration count must be a positive integer (griffin-lim:16)")
    return {"n_iter": int(count)}


class GriffinLimVocoder(Vocoder):
    """Mel -> linear magnitude (non-negative least squares on the mel basis) -> fast Griffin-Lim.

    Deterministic: the initial phase is drawn from a generator seeded with ``seed`` on every call.
    """

    name = "griffin-lim"

    def __init__(
        self,
        audio_config: AudioConfig | None = None,
        n_iter: int = 32,
        momentum: float = 0.99,
        power: float = 1.0,
        nnls_iter: int = 20,
        seed: int = 0,
    ) -> None:
        super().__init__(audio_config)
        if n_iter < 0:
            raise ValueError(f"n_iter must be >= 0, got {n_iter}")
        self.n_iter = int(n_iter)
        self.momentum = float(momentum)
        self.power = float(power)
        self.nnls_iter = int(nnls_iter)
        self.seed = int(seed)

    def generate(self, log_mel: torch.Tensor) -> torch.Tensor:
        gen = torch.Generator(device="cpu").manual_seed(self.seed)
        return mel_to_wav_griffin_lim(
            log_mel,
            self.audio_config,
            n_iter=self.n_iter,
            momentum=self.momentum,
            power=self.power,
            nnls_iter=self.nnls_iter,
            generator=gen,
        )

    def config(self) -> dict[str, Any]:
        return {
            "audio_config": self.audio_config.to_dict(),
            "n_iter": self.n_iter,
            "momentum": self.momentum,
            "power": self.power,
            "nnls_iter": self.nnls_iter,
            "seed": self.seed,
        }
