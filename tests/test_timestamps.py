"""Word and phoneme timestamps from the durations a synthesis used: consistent with the audio (the same
waveform, monotone, covering it, agreeing with its energy envelope on the shipped voice), streamed with the
audio, written by `tts synthesize --timestamps/--subtitles`, and formatted as SRT / WebVTT."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from prodiff_tts.api import PAUSE_SECONDS, Synthesizer
from prodiff_tts.cli import main
from prodiff_tts.subtitles import format_subtitles, subtitle_cues, subtitle_format
from prodiff_tts.timestamps import WordTiming, sentence_timings

VOICE = Path(__file__).resolve().parents[1] / "pretrained" / "slt_demo"
TEXT = ("The quick brown fox jumps over the lazy dog. A second sentence follows here! "
        "Many people like music, and some like silence. What time is it?")


@pytest.fixture(scope="module")
def synth():
    return Synthesizer(VOICE)


def check_timings(timed, sample_rate: int, hop: int) -> None:
    """Monotone, non-overlapping, within the audio; phonemes of a sentence back to back in whole frames."""
    duration = len(timed.audio) / sample_rate
    for seq in (timed.words, timed.phonemes):
        for t in seq:
            assert 0.0 <= t.start <= t.end <= duration + 1e-9
        for a, b in zip(seq, seq[1:]):
            assert a.end <= b.start + 1e-9  # never overlapping, never going back
    for p in timed.phonemes:
        n = (p.end - p.start) * sample_rate / hop
        assert abs(n - round(n)) < 1e-6  # whole frames
    for w_index, w in enumerate(timed.words):  # a word spans its phonemes
        mine = [p for p in timed.phonemes if p.word == w_index]
        assert mine and mine[0].start == w.start and mine[-1].end == w.end


# --- the API -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_timestamps_come_with_the_same_audio(synth):
    timed = synth.synthesize_with_timestamps(TEXT, seed=1, batch_size=2)
    wav, sr = synth.synthesize(TEXT, seed=1, batch_size=2)
    np.testing.assert_array_equal(timed.audio, wav)
    assert timed.sample_rate == sr == 22050
    check_timings(timed, sr, synth.audio.hop_length)
    assert [w.word for w in timed.words][:4] == ["the", "quick", "brown", "fox"]
    assert sorted({w.sentence for w in timed.words}) == [0, 1, 2, 3]
    duration = len(wav) / sr
    assert timed.words[0].start < 0.05
    assert duration - PAUSE_SECONDS <= timed.words[-1].end < duration  # the last word ends within one pause
    assert timed.phonemes[-1].end == pytest.approx(duration)  # its "?" token closes the audio exactly
    # between sentences: the pause, in whole
    for k in (1, 2, 3):
        first = next(i for i, w in enumerate(timed.words) if w.sentence == k)
        before = max(p.end for p in timed.phonemes if p.start < timed.words[first].start)
        assert timed.words[first].start - before == pytest.approx(int(PAUSE_SECONDS * sr) / sr)


@pytest.mark.slow
def test_stream_with_timestamps_pieces(synth):
    sr = synth.audio.sample_rate
    pieces = list(synth.stream_with_timestamps(TEXT, seed=1, batch_size=1))
    whole = synth.synthesize_with_timestamps(TEXT, seed=1, batch_size=1)
    assert len(pieces) == 4
    np.testing.assert_array_equal(np.concatenate([p.audio for p in pieces]), whole.audio)
    assert [w for p in pieces for w in p.words] == whole.words
    assert [q for p in pieces for q in p.phonemes] == whole.phonemes
    offset = 0
    for piece in pieces:  # absolute times, each piece's words inside its own audio
        assert all(offset / sr <= w.start <= w.end <= (offset + len(piece.audio)) / sr + 1e-9 for w in piece.words)
        assert len({w.sentence for w in piece.words}) == 1
        offset += len(piece.audio)
    np.testing.assert_array_equal(np.concatenate(list(synth.stream(TEXT, seed=1, batch_size=1))), whole.audio)


@pytest.mark.slow
def test_speed_scales_the_timestamps(synth):
    normal = synth.synthesize_with_timestamps("Timestamps follow the speaking rate.", seed=2)
    fast = synth.synthesize_with_timestamps("Timestamps follow the speaking rate.", seed=2, speed=2.0)
    assert [w.word for w in fast.words] == [w.word for w in normal.words]
    assert 0.4 < fast.words[-1].end / normal.words[-1].end < 0.6
    check_timings(fast, fast.sample_rate, synth.audio.hop_length)


# Words after a silence (sentence starts, breaks): the audio's RMS envelope (frames of one hop) rises above
# -40 dB of its peak at most ONSET_TOLERANCE after the word's timestamp, and never more than a frame before it.
# Measured on this voice (42 such words, 3 texts x 3 seeds): the rise comes 46-71 ms after the word start, a
# steady lead: the voice's first phoneme after a silence holds a few frames of lead-in silence (its aligner
# gave that silence to the phoneme), so the timestamp marks where the phoneme's frames begin.
ONSET_TOLERANCE = 0.085  # seconds
ONSET_DB = -40.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_word_starts_agree_with_the_energy_envelope(synth, seed):
    text = ('<speak>Maybe <break time="400ms"/> nobody <break time="400ms"/> knows the answer. '
            '<break time="300ms"/> Sometimes it rains in the morning. Good luck to you all. '
            "Please call me tomorrow. Nothing else matters.</speak>")
    timed = synth.synthesize_with_timestamps(text, seed=seed)
    sr, hop = timed.sample_rate, synth.audio.hop_length
    n = len(timed.audio) // hop
    rms = np.sqrt(np.mean(timed.audio[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms / rms.max())
    checked = []
    for i, w in enumerate(timed.words):
        silence_from = timed.words[i - 1].end if i else 0.0
        if i and w.start - silence_from < 0.1:
            continue  # no silence before this word
        k = max(int(round(w.start * sr / hop)) - 8, int(np.ceil(silence_from * sr / hop)))
        while k < n and db[k] > ONSET_DB:  # the tail of the word before
            k += 1
        while k < n and db[k] <= ONSET_DB:
            k += 1
        rise = k * hop / sr
        checked.append(w.word)
        assert -hop / sr <= rise - w.start <= ONSET_TOLERANCE, (w.word, w.start, rise)
    assert checked == ["maybe", "nobody", "knows", "sometimes", "good", "please", "nothing"]


def test_sentence_timings_from_durations():
    words, phonemes = sentence_timings(("HH", "AY1", ",", "Y", "UW1", "."), (0, 0, -1, 1, 1, -1), ("hi", "you"),
                                       (2, 3, 1, 0, 4, 2), start_sample=1000, end_sample=1000 + 12 * 100,
                                       hop_length=100, sample_rate=1000, sentence=3, first_word=5)
    assert [(w.word, w.start, w.end, w.sentence) for w in words] == [("hi", 1.0, 1.5, 3), ("you", 1.6, 2.0, 3)]
    assert [p.word for p in phonemes] == [5, 5, -1, 6, 6, -1]
    assert phonemes[-1].end == 2.2 and phonemes[3].start == phonemes[3].end == 1.6
    # a vocoder that returned fewer samples: times are clipped to the audio
    _, short = sentence_timings(("AH0",), (0,), ("a",), (5,), 0, 300, 100, 1000)
    assert short[0].end == 0.3


# --- subtitles ---------------------------------------------------------------------------------------------


def words_of(sentences: list[list[tuple[str, float, float]]]) -> list[WordTiming]:
    return [WordTiming(w, a, b, k) for k, s in enumerate(sentences) for w, a, b in s]


SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def parse_cues(text: str, fmt: str) -> list[tuple[float, float, str]]:
    """A strict reader: numbered cues, 'HH:MM:SS,mmm --> HH:MM:SS,mmm' (',' SRT, '.' VTT), a text line."""
    t = SRT_TIME if fmt == "srt" else VTT_TIME
    if fmt == "vtt":
        assert text.startswith("WEBVTT\n\n")
        text = text[len("WEBVTT\n\n"):]
    assert text.endswith("\n") and not text.endswith("\n\n")
    cues = []
    for n, block in enumerate(text.rstrip("\n").split("\n\n"), 1):
        num, timing, line = block.split("\n")
        assert num == str(n)
        m = re.fullmatch(f"{t} --> {t}", timing)
        assert m, timing
        g = [int(x) for x in m.groups()]
        cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000, line))
    for a, b in zip(cues, cues[1:]):
        assert a[0] <= a[1] <= b[0] <= b[1]
    return cues


def test_cues_break_at_sentences_seven_words_and_three_and_a_half_seconds():
    sentence = [(f"w{i}", 0.3 * i, 0.3 * i + 0.25) for i in range(10)]
    long_words = [("slow", 10.0, 12.0), ("words", 12.0, 14.0), ("here", 14.0, 18.0)]
    cues = subtitle_cues(words_of([sentence, [("next", 3.5, 3.8)], long_words]))
    assert [c.text for c in cues] == ["w0 w1 w2 w3 w4 w5 w6", "w7 w8 w9", "next", "slow", "words", "here"]
    assert cues[0].start == 0.0 and cues[0].end == pytest.approx(2.05)
    assert all(c.end - c.start <= 3.5 for c in cues[:-1])  # a single word longer than 3.5 s keeps its own cue


def test_srt_and_vtt_files_parse():
    words = words_of([[("hello", 0.0, 0.4), ("there", 0.4, 0.9)], [("again", 3661.2346, 3661.9)]])
    srt = format_subtitles(words, "srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:00,900\nhello there\n\n2\n01:01:01,235 --> 01:01:01,900\n")
    assert parse_cues(srt, "srt") == [(0.0, 0.9, "hello there"), (3661.235, 3661.9, "again")]
    vtt = format_subtitles(words_of([[("a<b", 0.0, 1.0)]]), "vtt")
    assert parse_cues(vtt, "vtt") == [(0.0, 1.0, "a&lt;b")]
    assert subtitle_format("x.SRT") == "srt" and subtitle_format("x.vtt") == "vtt"
    with pytest.raises(ValueError, match="subtitles must be a .srt or .vtt file, got x.txt"):
        subtitle_format("x.txt")
    assert format_subtitles([], "srt") == "" and format_subtitles([], "vtt") == "WEBVTT\n"


# --- the CLI -----------------------------------------------------------------------------------------------


def run(capsysbinary, *argv):
    code = main([str(a) for a in argv])
    cap = capsysbinary.readouterr()
    return code, cap.out, cap.err.decode()


@pytest.mark.slow
def test_cli_timestamps_and_subtitles_beside_a_wav(synth, tmp_path, capsysbinary):
    out, stamps, srt, vtt = (tmp_path / f"o.{s}" for s in ("wav", "json", "srt", "vtt"))
    code, _, err = run(capsysbinary, "synthesize", TEXT, "--model", VOICE, "--seed", "1", "-o", out,
                       "--timestamps", stamps, "--subtitles", srt)
    assert code == 0, err
    wav, sr = sf.read(out, dtype="float32")
    doc = json.loads(stamps.read_text(encoding="utf-8"))
    assert set(doc) == {"sample_rate", "duration", "words", "phonemes"} and doc["sample_rate"] == sr == 22050
    assert doc["duration"] == pytest.approx(len(wav) / sr, abs=1e-4)
    assert all(set(w) == {"word", "start", "end"} for w in doc["words"])
    assert all(set(p) == {"phoneme", "start", "end", "word"} for p in doc["phonemes"])
    expected = synth.synthesize_with_timestamps(TEXT, seed=1)
    assert [(w["word"], w["start"], w["end"]) for w in doc["words"]] == [
        (w.word, round(w.start, 4), round(w.end, 4)) for w in expected.words]
    cues = parse_cues(srt.read_text(encoding="utf-8"), "srt")
    assert " ".join(c[2] for c in cues) == " ".join(w["word"] for w in doc["words"])
    assert cues[0][0] == 0.0 and cues[-1][1] <= len(wav) / sr
    code, _, err = run(capsysbinary, "synthesize", TEXT, "--model", VOICE, "--seed", "1", "-o", out,
                       "--subtitles", vtt)
    assert code == 0, err
    assert [c[:2] for c in parse_cues(vtt.read_text(encoding="utf-8"), "vtt")] == [c[:2] for c in cues]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.json", "o.srt", "o.vtt", "o.wav"]


@pytest.mark.slow
def test_cli_timestamps_with_audio_to_stdout(tmp_path, capsysbinary):
    stamps = tmp_path / "t.json"
    text = '<speak>One. <break time="700ms"/> Two.</speak>'
    code, out, err = run(capsysbinary, "synthesize", text, "--model", VOICE, "-o", "-", "--timestamps", stamps)
    assert code == 0, err
    wav, sr = sf.read(io.BytesIO(out), dtype="int16")
    doc = json.loads(stamps.read_text(encoding="utf-8"))
    assert [w["word"] for w in doc["words"]] == ["one", "two"]
    assert doc["duration"] == pytest.approx(len(wav) / sr, abs=1e-4)
    code, raw, err = run(capsysbinary, "synthesize", text, "--model", VOICE, "--output-raw", "--subtitles",
                         tmp_path / "t.vtt")
    assert code == 0 and raw == out[44:], err
    assert [c[2] for c in parse_cues((tmp_path / "t.vtt").read_text(encoding="utf-8"), "vtt")] == ["one", "two"]


@pytest.mark.slow
def test_json_input_lines_may_ask_for_timestamps(tmp_path, capsysbinary, monkeypatch):
    class Stdin:
        buffer = io.BytesIO((json.dumps({"text": "<speak>Hi <break/> there.</speak>",
                                         "output_file": str(tmp_path / "a.wav"),
                                         "timestamps_file": str(tmp_path / "a.json"),
                                         "subtitles_file": str(tmp_path / "a.srt")}) + "\n"
                             + json.dumps({"text": "Bad.", "output_file": str(tmp_path / "b.wav"),
                                           "subtitles_file": str(tmp_path / "b.txt")}) + "\n"
                             + json.dumps({"text": "Plain <text>.", "output_file": str(tmp_path / "c.wav"),
                                           "ssml": False, "timestamps_file": str(tmp_path / "c.json")}) + "\n"
                             ).encode())

    monkeypatch.setattr("sys.stdin", Stdin)
    code, out, err = run(capsysbinary, "synthesize", "--json-input", "--model", VOICE)
    assert code == 2 and "line 2: 'subtitles_file' must name a .srt or .vtt file, got b.txt" in err
    assert [w["word"] for w in json.loads((tmp_path / "a.json").read_text())["words"]] == ["hi", "there"]
    assert parse_cues((tmp_path / "a.srt").read_text(), "srt")[-1][2] == "there"
    assert "text" in [w["word"] for w in json.loads((tmp_path / "c.json").read_text())["words"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.srt", "a.wav", "c.json", "c.wav"]
