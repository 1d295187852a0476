"""Continuous-time variance-preserving noise schedules and timestep sequences.

A schedule maps ``t`` in [0, 1] to ``alpha(t)`` and ``sigma(t)`` with ``alpha**2 + sigma**2 == 1``; the forward
process is ``z_t = alpha(t) * x0 + sigma(t) * eps``. Any strictly decreasing sequence of times in (0, 1] is a
valid sampling schedule; the sampler always ends at ``s = 0``, which is the data itself (``alpha = 1``,
``sigma = 0`` exactly, see :func:`coefficients`).

Schedules are small frozen dataclasses with no tensor state: pure functions of ``t``.
"""

from __future__ import annotations

import abc

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor

__all__ = [
    "NoiseSchedule",
    "CosineSchedule",
    "VPSDESchedule",
    "make_schedule",
    "schedule_from_config",
    "coefficients",
    "uniform_timesteps",
    "prodiff_grid",
    "sample_training_times",
    "validate_timesteps",
]


def _as_float_tensor(t: Tensor | float | Sequence[float]) -> Tensor:
    t = torch.as_tensor(t)
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


class NoiseSchedule(abc.ABC):
    """Interface of a VP schedule. Subclasses implement :meth:`log_alpha` (and may override the rest)."""

    name: str = ""

    @abc.abstractmethod
    def log_alpha(self, t: Tensor) -> Tensor:
        """log alpha(t) of the variance-preserving process."""

    def alpha(self, t: Tensor | float) -> Tensor:
        return torch.exp(self.log_alpha(_as_float_tensor(t)))

    def sigma(self, t: Tensor | float) -> Tensor:
        # sigma^2 = 1 - alpha^2 = -expm1(2 log alpha): exact near t = 0 where alpha -> 1.
        return torch.sqrt(-torch.expm1(2.0 * self.log_alpha(_as_float_tensor(t))))

    def log_snr(self, t: Tensor | float) -> Tensor:
        """log(alpha^2 / sigma^2), strictly decreasing in t (+inf where sigma = 0)."""
        la = self.log_alpha(_as_float_tensor(t))
        return 2.0 * la - torch.log(-torch.expm1(2.0 * la))

    def to_dict(self) -> dict:
        return {"name": self.name, **asdict(self)}  # type: ignore[call-overload]


@dataclass(frozen=True)
class CosineSchedule(NoiseSchedule):
    """Cosine schedule (Nichol & Dhariwal) parameterised by a clipped log-SNR.

    ``alpha(t) = cos(a t + b)``, ``sigma(t) = sin(a t + b)`` with ``a, b`` chosen so that
    ``log_snr(0) = logsnr_max`` and ``log_snr(1) = logsnr_min``. The defaults (+-20) give
    ``alpha(0) = sigma(1) = 1 - 1e-9`` and ``sigma(0) = alpha(1) = 4.5e-5``: finite log-SNR everywhere.
    """

    logsnr_min: float = -20.0
    logsnr_max: float = 20.0
    name = "cosine"

    def __post_init__(self) -> None:
        if not self.logsnr_min < self.logsnr_max:
            raise ValueError(f"need logsnr_min < logsnr_max, got {self.logsnr_min}, {self.logsnr_max}")

    def _angle(self, t: Tensor) -> Tensor:
        b = math.atan(math.exp(-0.5 * self.logsnr_max))
        a = math.atan(math.exp(-0.5 * self.logsnr_min)) - b
        return a * t + b

    def log_alpha(self, t: Tensor) -> Tensor:
        return torch.log(torch.cos(self._angle(_as_float_tensor(t))))

    def alpha(self, t: Tensor | float) -> Tensor:
        return torch.cos(self._angle(_as_float_tensor(t)))

    def sigma(self, t: Tensor | float) -> Tensor:
        return torch.sin(self._angle(_as_float_tensor(t)))

    def log_snr(self, t: Tensor | float) -> Tensor:
        return -2.0 * torch.log(torch.tan(self._angle(_as_float_tensor(t))))


@dataclass(frozen=True)
class VPSDESchedule(NoiseSchedule):
    """Continuous VP-SDE (Song et al.), ProDiff's schedule: ``log alpha = -t^2 (bmax - bmin) / 4 - t bmin / 2``.

    At ``t = i / K`` this equals ProDiff's discrete K-step schedule exactly (its betas are
    ``1 - exp(-bmin / K - (bmax - bmin)(2i - 1) / (2 K^2))``), so :func:`prodiff_grid` reproduces it.
    """

    beta_min: float = 0.1
    beta_max: float = 40.0
    name = "vpsde"

    def __post_init__(self) -> None:
        if not 0.0 <= self.beta_min <= self.beta_max or self.beta_max <= 0:
            raise ValueError(f"need 0 <= beta_min <= beta_max, beta_max > 0; got {self.beta_min}, {self.beta_max}")

    def log_alpha(self, t: Tensor) -> Tensor:
        t = _as_float_tensor(t)
        return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min


_SCHEDULES: dict[str, type[NoiseSchedule]] = {"cosine": CosineSchedule, "vpsde": VPSDESchedule}


def make_schedule(name: str = "cosine", **kwargs: float) -> NoiseSchedule:
    """Build a schedule by name (``"cosine"`` or ``"vpsde"``); ``kwargs`` are its dataclass fields."""
    try:
        cls = _SCHEDULES[name]
    except KeyError:
        raise ValueError(f"unknown schedule {name!r}; choose one of {sorted(_SCHEDULES)}") from None
    return cls(**kwargs)  # type: ignore[call-arg]


def schedule_from_config(diffusion: Mapping[str, Any]) -> NoiseSchedule:
    """The schedule of a ``diffusion`` config section (``schedule`` name and optional ``schedule_kwargs``), as
    stored in training configs, checkpoints' hyper-parameters and bundles' config.yaml."""
    return make_schedule(diffusion["schedule"], **(diffusion.get("schedule_kwargs") or {}))


def coefficients(schedule: NoiseSchedule, t: Tensor) -> tuple[Tensor, Tensor]:
    """``(alpha(t), sigma(t))`` with ``t == 0`` mapped to exactly ``(1, 0)``: the end of sampling is the data.

    (The clipped cosine schedule has ``sigma(0) = 4.5e-5``; a sampler or distillation target that lands on
    ``s = 0`` must return the predicted x0 itself, so the endpoint is pinned here.)
    """
    t = _as_float_tensor(t)
    zero = t == 0
    alpha = torch.where(zero, torch.ones_like(t), schedule.alpha(t))
    sigma = torch.where(zero, torch.zeros_like(t), schedule.sigma(t))
    return alpha, sigma


def validate_timesteps(timesteps: Sequence[float] | Tensor) -> list[float]:
    """Check a sampling sequence: non-empty, finite, in (0, 1], strictly decreasing. Returns it as floats."""
    if isinstance(timesteps, Tensor):
        timesteps = timesteps.detach().flatten().tolist()
    ts = [float(t) for t in timesteps]
    if not ts:
        raise ValueError("timesteps must be non-empty")
    for t in ts:
        if not math.isfinite(t) or not 0.0 < t <= 1.0:
            raise ValueError(f"every timestep must lie in (0, 1], got {ts}")
    for a, b in zip(ts, ts[1:]):
        if not b < a:
            raise ValueError(f"timesteps must be strictly decreasing, got {ts}")
    return ts


def uniform_timesteps(k: int) -> list[float]:
    """The DDIM-uniform sequence of ``k`` steps: ``[1, (k-1)/k, ..., 1/k]`` (then the sampler lands on 0)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return [(k - i) / k for i in range(k)]


def prodiff_grid(k: int = 4) -> list[float]:
    """ProDiff's discrete grid ``t_i = i / k``, ``i = 1..k`` (increasing), for the ProDiff-exact mode.

    Train the teacher at times drawn from this grid (``sample_training_times(..., grid=prodiff_grid(k))``)
    with :class:`VPSDESchedule`; sample with the same values in decreasing order, ``uniform_timesteps(k)``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return [i / k for i in range(1, k + 1)]


def sample_training_times(
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    grid: Sequence[float] | None = None,
    t_min: float = 1e-3,
    device: torch.device | str | None = None,
) -> Tensor:
    """Training times ``t [B]``: uniform on ``[t_min, 1]``, or uniform over the values of ``grid``."""
    gen_device = generator.device if generator is not None else "cpu"
    if grid is not None:
        values = torch.tensor([float(g) for g in grid], dtype=torch.get_default_dtype())
        if values.numel() == 0 or (values <= 0).any() or (values > 1).any():
            raise ValueError(f"grid values must lie in (0, 1], got {list(grid)}")
        idx = torch.randint(0, values.numel(), (batch_size,), generator=generator, device=gen_device)
        t = values.to(gen_device)[idx]
    else:
        if not 0.0 <= t_min < 1.0:
            raise ValueError(f"t_min must lie in [0, 1), got {t_min}")
        u = torch.rand(batch_size, generator=generator, device=gen_device)
        t = t_min + (1.0 - t_min) * (1.0 - u)  # 1 - u lies in (0, 1]: t never equals t_min = 0
    return t.to(device) if device is not None else t
