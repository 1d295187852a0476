"""Audio as bytes for a stream: 16-bit PCM, a wav header for audio of unknown length, FLAC.

Only numpy and soundfile: the server and ``tts synthesize -o -`` / ``--output-raw`` share it.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf

# response formats served, their media types, and whether they go out piece by piece as synthesized
STREAMED_FORMATS = ("wav", "pcm")
FORMATS = ("wav", "pcm", "flac")
MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "flac": "audio/flac"}
UNKNOWN_SIZE = 0xFFFFFFFF  # RIFF and data sizes of a wav whose length is not known when the header is sent


def pcm16(wav: np.ndarray) -> bytes:
    """Float samples in [-1, 1] (clipped) as 16-bit signed little-endian PCM, mono."""
    x = np.clip(np.asarray(wav, dtype=np.float32).reshape(-1), -1.0, 1.0)
    return np.rint(x * 32767.0).astype("<i2").tobytes()


def wav_header(sample_rate: int, num_samples: int | None = None) -> bytes:
    """The 44-byte header of a 16-bit mono PCM wav. ``num_samples=None``: length unknown (streaming), the
    RIFF and data sizes are 0xFFFFFFFF, as streaming TTS servers send; readers take the data up to the end
    of the file."""
    if not isinstance(sample_rate, int) or isinstance(sample_rate, bool) or sample_rate < 1:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    if num_samples is None:
        data_size = riff_size = UNKNOWN_SIZE
    else:
        data_size = 2 * int(num_samples)
        if data_size + 36 > UNKNOWN_SIZE:
            raise ValueError(f"{num_samples} samples do not fit in a wav file")
        riff_size = 36 + data_size
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16)
            + b"data" + struct.pack("<I", data_size))


def flac_bytes(wav: np.ndarray, sample_rate: int) -> bytes:
    """A whole 16-bit mono FLAC file in memory (FLAC needs the whole signal for its header); its samples are
    exactly those of :func:`pcm16`."""
    buf = io.BytesIO()
    samples = np.frombuffer(pcm16(wav), dtype="<i2").astype(np.int16)
    sf.write(buf, samples, int(sample_rate), format="FLAC", subtype="PCM_16")
    return buf.getvalue()
