"""Diffusion math: continuous VP schedules, DDIM/ancestral samplers, progressive-distillation targets, and the
stage division of a multi-stage denoiser (timestep clustering)."""

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
from .stages import (
    StageDivision,
    StageDivisionSettings,
    contiguous_clusters,
    divide_stages,
    mel_segments,
    optimal_denoiser,
    optimal_denoiser_outputs,
)

__all__ = [
    "CosineSchedule",
    "StageDivision",
    "StageDivisionSettings",
    "NoiseSchedule",
    "VPSDESchedule",
    "ancestral_sample",
    "coefficients",
    "contiguous_clusters",
    "ddim_sample",
    "ddim_step",
    "distillation_target",
    "divide_stages",
    "halve_timesteps",
    "make_schedule",
    "mel_segments",
    "optimal_denoiser",
    "optimal_denoiser_outputs",
    "schedule_from_config",
    "prodiff_grid",
    "q_sample",
    "sample_training_times",
    "sample_triplets",
    "student_triplets",
    "uniform_timesteps",
    "validate_timesteps",
]
