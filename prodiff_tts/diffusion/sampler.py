"""Samplers over any timestep sequence for an x0-predicting denoiser (pure functions, no module state).

``denoise(z_t, t_batch, step_index) -> x0_hat``: ``z_t [B, ...]``, ``t_batch [B]`` (the same time for every
item, unless per-item sequences are given to :func:`ddim_sample`), ``step_index`` the position of ``t`` in ``timesteps`` (lets a caller switch layer masks per step).
The sequence ``timesteps`` is strictly decreasing in (0, 1]; after its last value the sampler lands on
``s = 0`` and returns the last ``x0_hat``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from .schedule import NoiseSchedule, coefficients, validate_timesteps

__all__ = ["DenoiseFn", "q_sample", "ddim_step", "ddim_sample", "ancestral_sample"]

DenoiseFn = Callable[[Tensor, Tensor, int], Tensor]


def _bcast(v: Tensor, x: Tensor) -> Tensor:
    """``v [B]`` (or scalar) -> broadcastable against ``x [B, ...]``, in x's dtype and device."""
    v = torch.as_tensor(v, device=x.device).to(x.dtype)
    if v.dim() == 0:
        return v
    return v.reshape(v.shape[0], *([1] * (x.dim() - 1)))


def q_sample(x0: Tensor, t: Tensor | float, noise: Tensor, schedule: NoiseSchedule) -> Tensor:
    """Forward process ``z_t = alpha(t) x0 + sigma(t) noise``; ``t`` scalar or ``[B]``."""
    alpha, sigma = coefficients(schedule, torch.as_tensor(t, device=x0.device))
    return _bcast(alpha, x0) * x0 + _bcast(sigma, x0) * noise


def ddim_step(z_t: Tensor, x0_hat: Tensor, t: Tensor | float, s: Tensor | float, schedule: NoiseSchedule) -> Tensor:
    """Deterministic DDIM step from t to s < t: ``z_s = a_s x0 + s_s (z_t - a_t x0) / s_t`` (``s = 0``: x0)."""
    a_t, s_t = coefficients(schedule, torch.as_tensor(t, device=z_t.device))
    a_s, s_s = coefficients(schedule, torch.as_tensor(s, device=z_t.device))
    eps_hat = (z_t - _bcast(a_t, z_t) * x0_hat) / _bcast(s_t, z_t)
    return _bcast(a_s, z_t) * x0_hat + _bcast(s_s, z_t) * eps_hat


def _initial_noise(
    shape: Sequence[int],
    generator: torch.Generator | None,
    noise: Tensor | None,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> Tensor:
    if noise is not None:
        if tuple(noise.shape) != tuple(shape):
            raise ValueError(f"noise has shape {tuple(noise.shape)}, expected {tuple(shape)}")
        return noise.to(device=device or noise.device, dtype=dtype or noise.dtype)
    if device is None:
        device = generator.device if generator is not None else "cpu"
    return torch.randn(tuple(shape), generator=generator, device=device, dtype=dtype or torch.get_default_dtype())


def _scalar_coefficients(schedule: NoiseSchedule, t: float) -> tuple[float, float]:
    alpha, sigma = coefficients(schedule, torch.tensor(t, dtype=torch.float64))
    return float(alpha), float(sigma)


def _apply_mask(x: Tensor, mask: Tensor | None) -> Tensor:
    return x if mask is None else x * mask.to(x.dtype)


def _per_item_timesteps(timesteps: Tensor, batch: int) -> Tensor:
    """A ``[B, K]`` tensor of per-item sequences, each checked like a shared one."""
    if timesteps.dim() != 2 or timesteps.shape[0] != batch:
        raise ValueError(f"per-item timesteps must have shape [{batch}, K], got {tuple(timesteps.shape)}")
    for row in timesteps:
        validate_timesteps(row)
    return timesteps


def _run_steps(denoise: DenoiseFn, timesteps: Sequence[float] | Tensor, z: Tensor, mask: Tensor | None,
               step: Callable[[Tensor, Tensor, Tensor | float, Tensor | float], Tensor]) -> Tensor:
    """The loop both samplers share: predict x0 at each timestep, move z to the next one with ``step``,
    and return the last prediction (the final step lands on s = 0). ``timesteps`` is one sequence for the
    batch, or a ``[B, K]`` tensor with a sequence per item (the schedule search samples a population of
    schedules in one batch)."""
    if isinstance(timesteps, Tensor) and timesteps.dim() == 2:
        ts = _per_item_timesteps(timesteps.to(device=z.device, dtype=z.dtype), z.shape[0])
        n_steps = ts.shape[1]
        at = lambda i: ts[:, i]  # noqa: E731
    else:
        seq = validate_timesteps(timesteps)
        n_steps = len(seq)
        at = lambda i: seq[i]  # noqa: E731
    z = _apply_mask(z, mask)
    x0_hat = z
    for i in range(n_steps):
        t = at(i)
        t_batch = t if isinstance(t, Tensor) else torch.full((z.shape[0],), t, device=z.device, dtype=z.dtype)
        x0_hat = _apply_mask(denoise(z, t_batch, i), mask)
        if i + 1 < n_steps:
            z = _apply_mask(step(z, x0_hat, t, at(i + 1)), mask)
    return x0_hat


@torch.no_grad()
def ddim_sample(
    denoise: DenoiseFn,
    schedule: NoiseSchedule,
    timesteps: Sequence[float] | Tensor,
    shape: Sequence[int],
    *,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
    mask: Tensor | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Deterministic DDIM from ``z_{timesteps[0]}`` (= ``noise``, or drawn from ``generator``) to x0.

    ``timesteps``: one sequence, or a ``[B, K]`` tensor of per-item sequences (same K).

    ``mask`` (e.g. ``[B, 1, T]``) multiplies the state and the result, so padded frames stay zero.
    For an exact start, ``timesteps[0]`` should be 1 (``z_1`` is pure noise up to ``alpha(1)``).
    """
    z = _initial_noise(shape, generator, noise, device, dtype)
    return _run_steps(denoise, timesteps, z, mask, lambda z, x0, t, s: ddim_step(z, x0, t, s, schedule))


@torch.no_grad()
def ancestral_sample(
    denoise: DenoiseFn,
    schedule: NoiseSchedule,
    timesteps: Sequence[float],
    shape: Sequence[int],
    *,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
    mask: Tensor | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """DDPM ancestral sampling: ``z_s ~ q(z_s | z_t, x0 = x0_hat)`` with fresh noise from ``generator``.

    Posterior of the VP process, with ``a_ts = a_t / a_s`` and ``s2_ts = s_t^2 - a_ts^2 s_s^2``:
    mean ``(a_ts s_s^2 / s_t^2) z_t + (a_s s2_ts / s_t^2) x0``, variance ``s2_ts s_s^2 / s_t^2``.
    The last step returns ``x0_hat`` (``s = 0``).
    """
    def posterior_sample(z: Tensor, x0_hat: Tensor, t: float, s: float) -> Tensor:
        a_t, s_t = _scalar_coefficients(schedule, t)
        a_s, s_s = _scalar_coefficients(schedule, s)
        a_ts = a_t / a_s
        var_ts = max(s_t**2 - a_ts**2 * s_s**2, 0.0)
        mean = (a_ts * s_s**2 / s_t**2) * z + (a_s * var_ts / s_t**2) * x0_hat
        std = (var_ts * s_s**2 / s_t**2) ** 0.5
        return mean + std * torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)

    if isinstance(timesteps, Tensor) and timesteps.dim() == 2:
        raise ValueError("ancestral_sample takes one timestep sequence for the batch")
    z = _initial_noise(shape, generator, noise, device, dtype)
    return _run_steps(denoise, timesteps, z, mask, posterior_sample)
