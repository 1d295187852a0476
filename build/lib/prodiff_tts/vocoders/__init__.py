"""Vocoders: natural-log mel [B, n_mels, T] -> waveform [B, T * hop] in [-1, 1].

``build_vocoder(name, **kwargs)`` with name in ``VOCODER_NAMES`` ("griffin-lim", "hifigan-v1",
"hifigan-v2", "hifigan-v3", "istft", "hifigan"); ``save_vocoder(model, dir)`` / ``load_vocoder(path)``
(safetensors + JSON, never pickle); ``remove_weight_norm(model)`` for export.
"""

from .base import Vocoder, VocoderLike, crossfade_weights
from .griffin_lim import GriffinLimVocoder
from .hifigan import (
    HIFIGAN_PRESETS,
    HiFiGANGenerator,
    MultiPeriodDiscriminator,
    MultiResolutionDiscriminator,
    MultiScaleDiscriminator,
    convert_reference_state_dict,
)
from .io import VOCODER_NAMES, VocoderLoadError, build_vocoder, load_vocoder, remove_weight_norm, save_vocoder
from .istft import ISTFTVocoder

__all__ = [
    "Vocoder",
    "VocoderLike",
    "crossfade_weights",
    "GriffinLimVocoder",
    "HIFIGAN_PRESETS",
    "HiFiGANGenerator",
    "ISTFTVocoder",
    "MultiPeriodDiscriminator",
    "MultiResolutionDiscriminator",
    "MultiScaleDiscriminator",
    "convert_reference_state_dict",
    "VOCODER_NAMES",
    "VocoderLoadError",
    "build_vocoder",
    "load_vocoder",
    "remove_weight_norm",
    "save_vocoder",
]
