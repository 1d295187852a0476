"""OnnxVoice's word and phoneme timings: the torch path's timings (both come from the integer frames per phoneme,
which the two paths compute identically, and from the same sentence and pause layout), the same audio as
``stream`` / ``synthesize``, and pieces that carry the timings of their own sentences."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")

from prodiff_tts.onnx.runtime import OnnxVoice  # noqa: E402
from prodiff_tts.speech import PAUSE_SECONDS  # noqa: E402

TEXT = "Hello there. How are you today? The committee met at nine, then left."
SSML = ('<speak><break time="200ms"/>Hello <break time="500ms"/> world. <prosody rate="1.5">A faster one.'
        '</prosody> Done. <break time="300ms"/></speak>')


@pytest.fixture(scope="module")
def voice(onnx_export):
    return OnnxVoice(onnx_export, threads=1, vocoder="bundle")


@pytest.mark.parametrize("text, speed, batch_size", [
    (TEXT, 1.0, 8),
    (TEXT, 1.6, 1),
    (SSML, 1.0, 2),
    (SSML, 0.7, 8),
])
def test_timings_are_the_torch_paths(voice, torch_synth, text, speed, batch_size):
    got = voice.synthesize_with_timestamps(text, speed=speed, batch_size=batch_size)
    expected = torch_synth.synthesize_with_timestamps(text, speed=speed, batch_size=batch_size)
    # the same frames per phoneme and the same layout give the same numbers, not merely close ones
    assert got.sample_rate == expected.sample_rate == 22050 and len(got.audio) == len(expected.audio)
    assert got.words == expected.words
    assert got.phonemes == expected.phonemes
    assert len({w.sentence for w in got.words}) >= 3 and got.audio.dtype == np.float32


def test_timings_follow_the_durations_and_the_pauses(voice):
    """Independent of the torch path: every phoneme lasts its frames x hop, sentences are PAUSE_SECONDS apart,
    SSML breaks are where they were asked for, and the last word ends where the audio of speech ends."""
    sr, hop = voice.sample_rate, voice.hop_length
    script = voice.script(TEXT)
    ids = [u.ids for u in script.units]
    _, durations = voice.acoustic(ids, seed=0, speed=[u.speed for u in script.units])
    timed = voice.synthesize_with_timestamps(TEXT)
    frames = [d for sentence in durations for d in sentence]
    assert [round((p.end - p.start) * sr) for p in timed.phonemes] == [d * hop for d in frames]
    pause = int(PAUSE_SECONDS * sr)
    ends = np.cumsum([sum(d) * hop for d in durations]) + pause * np.arange(len(durations))
    bounds = np.cumsum([0] + [len(d) for d in durations])
    sentence_ends = [timed.phonemes[b - 1].end for b in bounds[1:]]  # boundary tokens end a sentence
    np.testing.assert_allclose(np.array(sentence_ends) * sr, ends, atol=1e-6)
    assert len(timed.audio) == ends[-1]
    breaks = voice.synthesize_with_timestamps('<speak><break time="250ms"/>Hello <break time="500ms"/> world.'
                                              '</speak>')
    assert [w.word for w in breaks.words] == ["hello", "world"]
    assert breaks.phonemes[0].start == round(0.25 * sr) / sr  # the break in whole samples
    end_of_hello = max(p.end for p in breaks.phonemes if p.start < breaks.words[1].start)
    assert breaks.words[1].start - end_of_hello == pytest.approx(0.5, abs=1e-4)


def test_stream_with_timestamps_is_stream_with_timings(voice):
    plain = list(voice.stream(SSML, seed=3, batch_size=1))
    timed = list(voice.stream_with_timestamps(SSML, seed=3, batch_size=1))
    assert len(timed) == len(plain) == 4  # one piece per sentence
    for a, b in zip(timed, plain):
        np.testing.assert_array_equal(a.audio, b)
    whole = voice.synthesize_with_timestamps(SSML, seed=3, batch_size=1)
    np.testing.assert_array_equal(whole.audio, voice.synthesize(SSML, seed=3, batch_size=1)[0])
    assert [w for p in timed for w in p.words] == whole.words
    assert [q for p in timed for q in p.phonemes] == whole.phonemes
    start = 0
    for piece in timed:  # a piece's timings lie inside its own audio
        end = start + len(piece.audio)
        assert piece.words and all(start / 22050 <= w.start <= w.end <= end / 22050 for w in piece.words)
        start = end
    assert [w.word for w in whole.words] == ["hello", "world", "a", "faster", "one", "done"]


def test_only_silence_and_errors(voice):
    only = voice.synthesize_with_timestamps('<speak><break time="250ms"/></speak>')
    assert (len(only.audio), only.words, only.phonemes) == (round(0.25 * 22050), [], [])
    assert not only.audio.any()
    with pytest.raises(ValueError, match="speed"):
        voice.stream_with_timestamps("Hi.", speed=0)
    with pytest.raises(ValueError, match="--steps 4 is not exported"):
        voice.synthesize_with_timestamps("Hi.", steps=4)
