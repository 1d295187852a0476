"""Progressive distillation targets (Salimans & Ho 2022) for an x0-predicting student (pure functions).

The student learns to do in one DDIM step t -> t'' what the teacher does in two, t -> t' -> t''. With the
teacher's result ``z_t''``, the x0 that makes the student's single DDIM step land exactly on it is

    x~ = (z_t'' - (sigma_t'' / sigma_t) z_t) / (alpha_t'' - (sigma_t'' / sigma_t) alpha_t).

At ``t'' = 0`` (``alpha = 1``, ``sigma = 0``, pinned by :func:`~.schedule.coefficients`) this is exactly
``z_0 = x0_hat(z_t', t')``, the teacher's second prediction.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from .sampler import DenoiseFn, _bcast, ddim_step
from .schedule import NoiseSchedule, coefficients, validate_timesteps

__all__ = ["distillation_target", "halve_timesteps", "student_triplets", "sample_triplets"]



def _times(t: Tensor | float, batch: int, like: Tensor) -> Tensor:
    t = torch.as_tensor(t, device=like.device, dtype=like.dtype)
    return t.expand(batch) if t.dim() == 0 else t


@torch.no_grad()
def distillation_target(
    z_t: Tensor,
    t: Tensor | float,
    t_mid: Tensor | float,
    t_next: Tensor | float,
    teacher: DenoiseFn,
    schedule: NoiseSchedule,
) -> Tensor:
    """x0 target for the student at ``(z_t, t)``: two teacher DDIM steps ``t -> t_mid -> t_next``.

    ``t``, ``t_mid``, ``t_next``: scalars or ``[B]`` with ``1 >= t > t_mid > t_next >= 0`` per item.
    ``teacher(z, t_batch, step_index)`` (the samplers' callable, e.g. ``WaveNetDenoiser.bind``) is called
    for the two steps, ``step_index`` 0 and 1, with ``t_batch [B]``. Runs under ``no_grad``: the target
    is a constant for the student's loss.
    """
    batch = z_t.shape[0]
    t, t_mid, t_next = (_times(v, batch, z_t) for v in (t, t_mid, t_next))
    if not (bool((t > t_mid).all()) and bool((t_mid > t_next).all()) and bool((t_next >= 0).all())):
        raise ValueError("need t > t_mid > t_next >= 0 for every item")
    if bool((t > 1).any()):
        raise ValueError("t must be <= 1")
    x0_a = teacher(z_t, t, 0)
    z_mid = ddim_step(z_t, x0_a, t, t_mid, schedule)
    x0_b = teacher(z_mid, t_mid, 1)
    z_next = ddim_step(z_mid, x0_b, t_mid, t_next, schedule)
    a_t, s_t = coefficients(schedule, t)
    a_n, s_n = coefficients(schedule, t_next)
    ratio = s_n / s_t
    return (z_next - _bcast(ratio, z_t) * z_t) / _bcast(a_n - ratio * a_t, z_t)


def halve_timesteps(teacher_steps: Sequence[float]) -> list[float]:
    """Student sequence for a teacher sequence of even length 2K: student step i covers teacher steps 2i, 2i+1.

    The student starts where teacher step 2i starts, so its sequence is ``teacher_steps[0::2]``.
    """
    ts = validate_timesteps(teacher_steps)
    if len(ts) % 2:
        raise ValueError(f"cannot halve an odd number of teacher steps ({len(ts)})")
    return ts[0::2]


def student_triplets(teacher_steps: Sequence[float]) -> list[tuple[float, float, float]]:
    """``(t, t_mid, t_next)`` of each student step: teacher steps 2i and 2i+1, ending at 0 after the last."""
    ts = validate_timesteps(teacher_steps)
    if len(ts) % 2:
        raise ValueError(f"cannot halve an odd number of teacher steps ({len(ts)})")
    ends = ts + [0.0]
    return [(ends[2 * i], ends[2 * i + 1], ends[2 * i + 2]) for i in range(len(ts) // 2)]


def sample_triplets(
    teacher_steps: Sequence[float],
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """A uniformly drawn student step per item: ``(t, t_mid, t_next, student_index)``, each ``[B]``."""
    table = torch.tensor(student_triplets(teacher_steps), dtype=torch.get_default_dtype())
    gen_device = generator.device if generator is not None else "cpu"
    idx = torch.randint(0, table.shape[0], (batch_size,), generator=generator, device=gen_device).cpu()
    rows = table[idx]
    out = (rows[:, 0], rows[:, 1], rows[:, 2], idx)
    return tuple(v.to(device) for v in out) if device is not None else out  # type: ignore[return-value]
