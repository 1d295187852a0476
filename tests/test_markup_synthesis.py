"""Pronunciation control through the synthesizer and `tts synthesize`: inline [[PHONEMES]], a user lexicon,
SSML-lite (<break>, <sub>, <phoneme>, <prosody rate>), per-sentence speaking rates in one batch, plain text
unchanged; bad markup, phonemes, lexicons and subtitle paths are one-line errors (exit 2, nothing written).

Uses the shipped voice (pretrained/slt_demo: fast, and it speaks)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from prodiff_tts.api import PAUSE_SECONDS, Synthesizer
from prodiff_tts.cli import main
from prodiff_tts.text import MarkupError, MarkupWarning, PronunciationError, split_sentences

pytestmark = pytest.mark.slow

VOICE = Path(__file__).resolve().parents[1] / "pretrained" / "slt_demo"


@pytest.fixture(scope="module")
def synth():
    return Synthesizer(VOICE)


# --- plain text: the audio of before -----------------------------------------------------------------------


def reference_audio(synth: Synthesizer, text: str, steps: int, seed: int, batch_size: int) -> np.ndarray:
    """What synthesize() gave before markup existed: the speakable sentences of split_sentences, batch by
    batch through mel_batch (noise from seed + index of the batch's first sentence), joined by PAUSE_SECONDS."""
    sentences = []
    for s in split_sentences(text):
        try:
            synth.frontend(s)
            sentences.append(s)
        except ValueError:  # unspeakable: skipped
            continue
    pause = np.zeros(int(PAUSE_SECONDS * synth.audio.sample_rate), dtype=np.float32)
    pieces: list[np.ndarray] = []
    for start in range(0, len(sentences), batch_size):
        mels = synth.mel_batch(sentences[start : start + batch_size], steps=steps, seed=seed + start)
        for wav in synth.vocode(mels):
            pieces += [pause, wav] if pieces else [wav]
    return np.concatenate(pieces)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_plain_text_audio_is_bit_identical_to_the_sentence_path(synth, batch_size):
    text = ("Hello there. This is the second sentence! ?! And here is a third one, Dr. Smith? "
            "It costs $5 on Jan. 3rd, 2024. Call 555-0199 now.")
    wav, _ = synth.synthesize(text, steps=2, seed=7, batch_size=batch_size)
    np.testing.assert_array_equal(wav, reference_audio(synth, text, steps=2, seed=7, batch_size=batch_size))


# --- pronunciations ---------------------------------------------------------------------------------------


def test_inline_phonemes_are_what_is_synthesized(synth):
    """CMUdict says hello is HH AH0 L OW1: the same phonemes inline give the same audio, others other audio."""
    hello = synth.synthesize("Say hello now.", seed=1)[0]
    np.testing.assert_array_equal(synth.synthesize("Say [[HH AH0 L OW1]] now.", seed=1)[0], hello)
    np.testing.assert_array_equal(synth.synthesize("Say [[hh ah l ow1]] now.", seed=1)[0], hello)  # stress default
    other = synth.synthesize("Say [[HH EH1 L OW0]] now.", seed=1)[0]
    assert other.shape != hello.shape or not np.array_equal(other, hello)
    timed = synth.synthesize_with_timestamps("Say [[HH AH0 L OW1]] now.", seed=1)
    assert [w.word for w in timed.words] == ["say", "HH AH0 L OW1", "now"]
    assert [p.phoneme for p in timed.phonemes if p.word == 1] == ["HH", "AH0", "L", "OW1"]


def test_a_lexicon_changes_the_phonemes_synthesized(synth, tmp_path):
    words = tmp_path / "words.tsv"
    words.write_text("# mine\ntomato\tT AH0 M AA1 T OW0\nSQL\tS IY1 K W AH0 L\n", encoding="utf-8")
    mine = Synthesizer(VOICE, lexicon=words)
    assert mine.frontend.lexicon is not None
    text = "A tomato and SQL."
    with_lexicon = mine.synthesize_with_timestamps(text, seed=2)
    without = synth.synthesize_with_timestamps(text, seed=2)
    assert [p.phoneme for p in with_lexicon.phonemes if p.word == 1] == ["T", "AH0", "M", "AA1", "T", "OW0"]
    assert [p.phoneme for p in without.phonemes if p.word == 1] != ["T", "AH0", "M", "AA1", "T", "OW0"]
    assert [w.word for w in with_lexicon.words] == ["a", "tomato", "and", "SQL"]  # SQL not spelled out
    assert len(without.words) > 4  # "s q l" without the lexicon
    # the lexicon's pronunciation is exactly the inline one
    np.testing.assert_array_equal(with_lexicon.audio,
                                  synth.synthesize("A [[T AH0 M AA1 T OW0]] and [[S IY1 K W AH0 L]].", seed=2)[0])


def test_ssml_sub_and_phoneme_read_as_given(synth):
    plain = synth.synthesize("The World Wide Web is big.", seed=3)[0]
    ssml = synth.synthesize('<speak>The <sub alias="World Wide Web">WWW</sub> is big.</speak>', seed=3)[0]
    np.testing.assert_array_equal(ssml, plain)
    given = synth.synthesize('<speak>Say <phoneme alphabet="arpabet" ph="HH AH0 L OW1">hi</phoneme>.</speak>',
                             seed=3)[0]
    np.testing.assert_array_equal(given, synth.synthesize("Say hello.", seed=3)[0])


# --- SSML: breaks, rates -----------------------------------------------------------------------------------


def test_speak_tags_are_not_read_aloud(synth):
    timed = synth.synthesize_with_timestamps('<speak>Hello <break time="1s"/> world</speak>')
    assert [w.word for w in timed.words] == ["hello", "world"]  # not "speak hello break time equals one s ..."
    literal = synth.synthesize_with_timestamps("<speak>Hello</speak>", ssml=False)
    assert "speak" in [w.word for w in literal.words]
    forced = synth.synthesize_with_timestamps("Hello <break/> world", ssml=True)
    assert [w.word for w in forced.words] == ["hello", "world"]
    with pytest.raises(ValueError, match="ssml must be"):
        synth.synthesize("Hello.", ssml="yes")


def test_a_break_is_that_much_silence(synth):
    sr, hop = synth.audio.sample_rate, synth.audio.hop_length
    timed = synth.synthesize_with_timestamps('<speak>Hello <break time="1s"/> world</speak>', seed=4)
    hello, world = timed.words
    # between the words: hello's trailing boundary tokens (their predicted frames), then the break
    boundary = sum(p.end - p.start for p in timed.phonemes if p.word == -1 and hello.end <= p.start < world.start)
    assert abs((world.start - hello.end) - boundary - 1.0) <= hop / sr  # 1.0 s +- one frame
    unit_end = max(p.end for p in timed.phonemes if p.start < world.start)
    gap = timed.audio[round(unit_end * sr) : round(world.start * sr)]
    assert len(gap) == sr and not gap.any()  # exactly 1 s of digital silence
    # the same two words without markup: one sentence, no silence at all between them
    plain = synth.synthesize_with_timestamps("Hello world", seed=4)
    assert plain.words[1].start - plain.words[0].end < 0.2


def test_leading_and_trailing_breaks(synth):
    sr = synth.audio.sample_rate
    hello = synth.synthesize("Hello.", seed=5)[0]
    lead = synth.synthesize_with_timestamps('<speak><break time="500ms"/>Hello.</speak>', seed=5)
    np.testing.assert_array_equal(lead.audio, np.concatenate([np.zeros(sr // 2, np.float32), hello]))
    assert lead.words[0].start == pytest.approx(0.5)
    trail = synth.synthesize('<speak>Hello. <break time="1s"/></speak>', seed=5)[0]
    np.testing.assert_array_equal(trail, np.concatenate([hello, np.zeros(sr, np.float32)]))
    only = synth.synthesize_with_timestamps('<speak><break time="250ms"/></speak>')
    assert len(only.audio) == sr // 4 and not only.audio.any() and only.words == []
    # a break replaces the usual pause between sentences
    two = synth.synthesize('<speak>Hello. <break time="2s"/> Hello.</speak>', seed=5, batch_size=1)[0]
    second = synth.synthesize("Hello. Hello.", seed=5, batch_size=1)[0][len(hello) + int(PAUSE_SECONDS * sr):]
    np.testing.assert_array_equal(two, np.concatenate([hello, np.zeros(2 * sr, np.float32), second]))


def test_prosody_rate_scales_the_durations(synth):
    text = "This sentence is spoken at two different rates."
    normal = synth.synthesize_with_timestamps(text, seed=6)
    fast = synth.synthesize_with_timestamps(f'<speak><prosody rate="2.0">{text}</prosody></speak>', seed=6)
    assert [w.word for w in fast.words] == [w.word for w in normal.words]
    ratio = len(fast.audio) / len(normal.audio)
    assert 0.4 < ratio < 0.6, ratio
    # rate x the call's speed: rate 2 at speed 0.5 is the plain text at speed 1
    np.testing.assert_array_equal(
        synth.synthesize(f'<speak><prosody rate="2.0">{text}</prosody></speak>', seed=6, speed=0.5)[0], normal.audio)
    slow = synth.synthesize(f'<speak><prosody rate="x-slow">{text}</prosody></speak>', seed=6)[0]
    assert 1.7 < len(slow) / len(normal.audio) < 2.3


def test_sentences_of_one_batch_keep_their_own_rates(synth):
    """Mixed rates in one batch: each sentence lasts exactly what its own rate gives (per-item speed)."""
    a, b = "The first sentence is normal.", "The second one is fast."
    mixed = synth.synthesize_with_timestamps(f'<speak>{a} <prosody rate="1.6">{b}</prosody></speak>', seed=8)
    same = synth.synthesize_with_timestamps(f"{a} {b}", seed=8, speed=1.6)  # both at 1.6 in one batch
    plain = synth.synthesize_with_timestamps(f"{a} {b}", seed=8)

    def sentence_phoneme_frames(timed, k):
        n = sum(1 for w in timed.words if w.sentence < k)
        m = n + sum(1 for w in timed.words if w.sentence == k)
        return [round((p.end - p.start) * synth.audio.sample_rate / synth.audio.hop_length)
                for p in timed.phonemes if n <= p.word < m]

    assert sentence_phoneme_frames(mixed, 0) == sentence_phoneme_frames(plain, 0)
    assert sentence_phoneme_frames(mixed, 1) == sentence_phoneme_frames(same, 1)
    # at the model: a per-item speed list gives each row what its own float gives
    ids = [synth.frontend.encode(a), synth.frontend.encode(b)]
    lengths = torch.tensor([len(i) for i in ids])
    phonemes = torch.zeros(2, int(lengths.max()), dtype=torch.long)
    for k, seq in enumerate(ids):
        phonemes[k, : len(seq)] = torch.tensor(seq)
    with torch.no_grad():
        per_item = synth.model.condition_infer(phonemes, lengths, speed=[1.0, 1.6])[2]
        one = synth.model.condition_infer(phonemes, lengths, speed=1.0)[2]
        fast = synth.model.condition_infer(phonemes, lengths, speed=1.6)[2]
    assert torch.equal(per_item[0], one[0]) and torch.equal(per_item[1], fast[1])
    with pytest.raises(ValueError):
        synth.model.condition_infer(phonemes, lengths, speed=[1.0])


def test_unknown_tags_warn_once_and_keep_their_text(synth):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        timed = synth.synthesize_with_timestamps(
            "<speak>I <emphasis>really</emphasis> <emphasis>mean</emphasis> it.</speak>")
    assert [w.word for w in timed.words] == ["i", "really", "mean", "it"]
    markup = [c for c in caught if issubclass(c.category, MarkupWarning)]
    assert len(markup) == 1 and "emphasis" in str(markup[0].message)
    assert markup[0].filename == __file__  # attributed to the caller


@pytest.mark.parametrize("text, error", [
    ('<speak>Hello <break time="1s"> world</speak>', MarkupError),
    ("Say [[HH AH0 L OW9 QQ]] now.", PronunciationError),
    ("Say [[HH AH0 now.", MarkupError),
    ('<speak>Hi <break time="20s"/></speak>', MarkupError),
])
def test_bad_markup_fails_at_the_call(synth, text, error):
    for method in (synth.stream, synth.stream_with_timestamps, synth.stream_mels):
        with pytest.raises(error):
            method(text)  # raised by the call, before the first piece


# --- the CLI -----------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("tts: warning")]
    assert len(lines) == 1 and lines[0].startswith("tts: error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_cli_ssml_lexicon_and_inline_phonemes(tmp_path, capsys):
    words = tmp_path / "words.tsv"
    words.write_text("tomato\tT AH0 M AA1 T OW0\n", encoding="utf-8")
    out, stamps = tmp_path / "o.wav", tmp_path / "o.json"
    code, _, err = run(capsys, "synthesize", '<speak>A tomato <break time="500ms"/> [[HH AH0 L OW1]]</speak>',
                       "--model", VOICE, "--lexicon", words, "-o", out, "--timestamps", stamps)
    assert code == 0, err
    import json

    doc = json.loads(stamps.read_text())
    assert [w["word"] for w in doc["words"]] == ["a", "tomato", "HH AH0 L OW1"]
    assert [p["phoneme"] for p in doc["phonemes"] if p["word"] == 1] == ["T", "AH0", "M", "AA1", "T", "OW0"]
    # --ssml: markup without <speak>
    code, _, err = run(capsys, "synthesize", 'Hello <break time="300ms"/> world', "--model", VOICE, "--ssml",
                       "-o", out, "--timestamps", stamps)
    assert code == 0, err
    assert [w["word"] for w in json.loads(stamps.read_text())["words"]] == ["hello", "world"]


@pytest.mark.parametrize("case", ["malformed", "phonemes", "lexicon_line", "lexicon_phoneme", "lexicon_missing",
                                  "subtitles_suffix", "timestamps_suffix", "break_too_long"])
def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys, case):
    lexicon = tmp_path / "words.tsv"
    text = "Hello."
    extra: list = []
    expected = {"malformed": "malformed SSML: mismatched tag at line 1", "phonemes": "unknown phoneme(s) 'OW9'",
                "lexicon_line": "line 2: expected 'word<TAB>PHONEMES', got 'hello'",
                "lexicon_phoneme": "line 1: unknown phoneme(s) 'XX'", "lexicon_missing": "lexicon file not found",
                "subtitles_suffix": "--subtitles must name a .srt or .vtt file, got o.txt",
                "timestamps_suffix": "--timestamps must name a .json file, got o.txt",
                "break_too_long": "longer than the maximum of 10 s"}[case]
    if case == "malformed":
        text = '<speak>Hello <break time="1s"> world</speak>'
    elif case == "phonemes":
        text = "Say [[HH AH0 L OW9]]."
    elif case == "lexicon_line":
        lexicon.write_text("tomato\tT AH0 M AA1 T OW0\nhello\n", encoding="utf-8")
        extra = ["--lexicon", lexicon]
    elif case == "lexicon_phoneme":
        lexicon.write_text("tomato\tT XX M AA1 T OW0\n", encoding="utf-8")
        extra = ["--lexicon", lexicon]
    elif case == "lexicon_missing":
        extra = ["--lexicon", tmp_path / "nope.tsv"]
    elif case == "subtitles_suffix":
        extra = ["--subtitles", tmp_path / "o.txt"]
    elif case == "timestamps_suffix":
        extra = ["--timestamps", tmp_path / "o.txt"]
    elif case == "break_too_long":
        text = '<speak>Hi <break time="20s"/></speak>'
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run(capsys, "synthesize", text, "--model", VOICE, "-o", tmp_path / "o.wav",
                       "--timestamps", tmp_path / "o.json", "--subtitles", tmp_path / "o.srt", *extra)
    assert_one_line_error(code, err, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no wav, no json, no srt, no temp file
