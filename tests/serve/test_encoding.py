"""Audio bytes of the server and of `tts synthesize -o -`: 16-bit PCM, a wav header for unknown length, FLAC."""

import io

import numpy as np
import pytest
import soundfile as sf

from prodiff_tts.serve.encoding import UNKNOWN_SIZE, flac_bytes, pcm16, wav_header


def test_pcm16_is_little_endian_clipped_and_two_bytes_a_sample():
    b = pcm16(np.array([0.0, 1.0, -1.0, 2.0, -3.0, 0.5], dtype=np.float32))
    assert len(b) == 12
    assert np.frombuffer(b, dtype="<i2").tolist() == [0, 32767, -32767, 32767, -32767, 16384]


def test_streamed_wav_header_has_unknown_sizes_and_reads_to_the_end():
    wav = np.sin(np.linspace(0, 200, 5000)).astype(np.float32) * 0.5
    head = wav_header(22050)
    assert len(head) == 44 and head[:4] == b"RIFF" and head[8:16] == b"WAVEfmt "
    assert int.from_bytes(head[4:8], "little") == UNKNOWN_SIZE == int.from_bytes(head[40:44], "little")
    data, sr = sf.read(io.BytesIO(head + pcm16(wav)), dtype="float32")
    assert sr == 22050 and len(data) == len(wav)
    np.testing.assert_allclose(data, wav, atol=1 / 32767)


def test_wav_header_of_known_length_is_a_standard_wav():
    wav = np.zeros(100, dtype=np.float32)
    f = sf.SoundFile(io.BytesIO(wav_header(16000, 100) + pcm16(wav)))
    assert (f.samplerate, f.frames, f.channels, f.subtype) == (16000, 100, 1, "PCM_16")
    with pytest.raises(ValueError):
        wav_header(0)


def test_flac_round_trip():
    wav = (np.random.default_rng(0).standard_normal(3000) * 0.1).astype(np.float32)
    data, sr = sf.read(io.BytesIO(flac_bytes(wav, 22050)), dtype="int16")
    assert sr == 22050 and data.astype("<i2").tobytes() == pcm16(wav)  # the same samples as pcm and wav
