"""Diffusion math: continuous VP schedules, DDIM/ancestral samplers, progressive-distillation targets."""

from .distill import distillation_target, halve_timesteps, sample_triplets, student_triplets
from .sampler import ancestral_sample, ddim_sample, ddim_step, q_sample
from .schedule import (
    CosineSchedule,
    NoiseSchedule,
    VPSDESchedule,
    coefficients,
    make_schedule,
    schedule_from_config,
    prodiff_grid,
    sample_training_times,
    uniform_timesteps,
    validate_timesteps,
)

__all__ = [
    "CosineSchedule",
    "NoiseSchedule",
    "VPSDESchedule",
    "ancestral_sample",
    "coefficients",
    "ddim_sample",
    "ddim_step",
    "distillation_target",
    "halve_timesteps",
    "make_schedule",
    "schedule_from_config",
    "prodiff_grid",
    "q_sample",
    "sample_training_times",
    "sample_triplets",
    "student_triplets",
    "uniform_timesteps",
    "validate_timesteps",
]
