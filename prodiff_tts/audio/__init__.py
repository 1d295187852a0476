from .config import AudioConfig
from .io import AudioReadError, read_wav, resample, write_wav, write_wav_stream
from .mel import MelSpectrogram
from .pitch import extract_f0, interpolate_log_f0, log_energy
from .processing import normalize_loudness, trim_silence

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
