"""Acoustic model modules (plain ``nn.Module``): encoder, variance adaptor, aligner, WaveNet denoiser."""

from .acoustic import AcousticModel, ConditionOutput, masked_mse, phoneme_targets
from .aligner import Aligner, binarization_loss, forward_sum_loss, maximum_path, maximum_path_numpy
from .config import AcousticConfig, AlignerConfig, DenoiserConfig, EncoderConfig, VarianceConfig, preset
from .denoiser import ProjectedCondition, WaveNetDenoiser
from .encoder import PhonemeEncoder, sequence_mask
from .variance import VarianceAdaptor, average_by_duration, durations_from_log, length_regulate

__all__ = [
    "AcousticConfig",
    "AcousticModel",
    "Aligner",
    "AlignerConfig",
    "ConditionOutput",
    "DenoiserConfig",
    "EncoderConfig",
    "PhonemeEncoder",
    "ProjectedCondition",
    "VarianceAdaptor",
    "VarianceConfig",
    "WaveNetDenoiser",
    "average_by_duration",
    "binarization_loss",
    "durations_from_log",
    "forward_sum_loss",
    "length_regulate",
    "masked_mse",
    "maximum_path",
    "maximum_path_numpy",
    "phoneme_targets",
    "preset",
    "sequence_mask",
]
