"""Griffin-Lim vocoder: always available, no weights (quality: intelligible but phasey)."""

from __future__ import annotations

from typing import Any

import torch

from ..audio.config import AudioConfig
from ..audio.griffin_lim import mel_to_wav_griffin_lim
from .base import Vocoder

__all__ = ["GriffinLimVocoder", "griffin_lim_spec"]


PHASE_INITS = ("random", "pghi")


def griffin_lim_spec(spec: str) -> dict[str, int | str] | None:
    """The settings a Griffin-Lim spec names: ``"griffin-lim"`` (or ``"gl"``) -> ``{}``, ``"griffin-lim:16"``
    -> ``{"n_iter": 16}`` (the iteration count, which trades speed for phase quality),
    ``"griffin-lim:8:pghi"`` -> ``{"n_iter": 8, "phase_init": "pghi"}`` (the starting phase: ``random`` or
    ``pghi``); None when ``spec`` is not a Griffin-Lim spec. A bad part raises ValueError."""
    name, *parts = spec.strip().lower().replace("_", "-").split(":")
    if name not in ("griffin-lim", "gl"):
        return None
    settings: dict[str, int | str] = {}
    for part in parts:
        if part.isdigit() and "n_iter" not in settings:  # 0: the starting phase alone
            settings["n_iter"] = int(part)
        elif part in PHASE_INITS and "phase_init" not in settings:
            settings["phase_init"] = part
        else:
            raise ValueError(
                f"{spec!r}: expected griffin-lim[:ITERATIONS][:{'|'.join(PHASE_INITS)}] (griffin-lim:8:pghi)"
            )
    return settings


class GriffinLimVocoder(Vocoder):
    """Mel -> linear magnitude (non-negative least squares on the mel basis) -> fast Griffin-Lim.

    ``phase_init`` is where the iterations start: a random phase, or the phase that phase gradient heap
    integration derives from the magnitude (``"pghi"``). Deterministic: the random phase is drawn from a
    generator seeded with ``seed`` on every call.
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
        phase_init: str = "random",
    ) -> None:
        super().__init__(audio_config)
        if n_iter < 0:
            raise ValueError(f"n_iter must be >= 0, got {n_iter}")
        if phase_init not in PHASE_INITS:
            raise ValueError(f"phase_init must be one of {', '.join(PHASE_INITS)}, got {phase_init!r}")
        self.phase_init = phase_init
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
            init=self.phase_init,
        )

    def config(self) -> dict[str, Any]:
        return {
            "audio_config": self.audio_config.to_dict(),
            "n_iter": self.n_iter,
            "momentum": self.momentum,
            "power": self.power,
            "nnls_iter": self.nnls_iter,
            "seed": self.seed,
            "phase_init": self.phase_init,
        }
