"""Audio configuration, files, features and processing.

The config and the wav readers/writers are numpy-only and imported at once; the feature extractors (torch,
librosa) load on first use, so a torch-free caller (the ONNX backend) can write its wav without torch.
"""

from importlib import import_module
from typing import Any

from .config import AudioConfig
from .io import AudioReadError, read_wav, resample, write_wav, write_wav_stream

_LAZY = {
    "MelSpectrogram": ".mel",
    "extract_f0": ".pitch",
    "interpolate_log_f0": ".pitch",
    "log_energy": ".pitch",
    "normalize_loudness": ".processing",
    "trim_silence": ".processing",
}

__all__ = [
    "AudioConfig",
    "AudioReadError",
    "MelSpectrogram",
    "extract_f0",
    "interpolate_log_f0",
    "log_energy",
    "normalize_loudness",
    "read_wav",
    "resample",
    "trim_silence",
    "write_wav",
    "write_wav_stream",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
