"""User lexicon: file format, errors with line numbers, precedence over CMUdict and espeak."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from prodiff_tts.text import G2P, Lexicon, LexiconError, TextFrontend
from prodiff_tts.text.lexicon import cmudict

TOMATO_UK = ("T", "AH0", "M", "AA1", "T", "OW0")


@pytest.fixture()
def lexicon_file(tmp_path: Path) -> Path:
    path = tmp_path / "words.tsv"
    path.write_text(
        "\ufeff# my words\n"
        "tomato\tT AH0 M AA1 T OW0\n"
        "\n"
        "SQL\tS IY1 K W AH0 L\n"
        "nvidia  EH0 N V IH1 D IY0 AH0   # CMUdict-style spaces and a trailing comment\n"
        "c++\tS IY1 P L AH1 S P L AH1 S\n"
        "zorblax\tz ao1 r b l ae k s\n"
        "kat\tK AE T\n"
        "   # indented comment\n",
        encoding="utf-8",
    )
    return path


def test_load(lexicon_file: Path) -> None:
    lex = Lexicon.load(lexicon_file)
    assert dict(lex) == {
        "tomato": TOMATO_UK,
        "sql": ("S", "IY1", "K", "W", "AH0", "L"),
        "nvidia": ("EH0", "N", "V", "IH1", "D", "IY0", "AH0"),
        "c++": ("S", "IY1", "P", "L", "AH1", "S", "P", "L", "AH1", "S"),
        "zorblax": ("Z", "AO1", "R", "B", "L", "AE0", "K", "S"),
        "kat": ("K", "AE1", "T"),  # stress defaulted
    }
    assert lex["SQL"] == lex["sql"] and "Tomato" in lex


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("hello\tHH AH0 L OW1\n# ok\nhello\n", "line 3: expected 'word<TAB>PHONEMES'"),
        ("hello\tHH AH0 L OW1\nworld\tW ER1 L XX\n", r"line 2: unknown phoneme\(s\) 'XX'"),
        ("a\tEY1\n\nb\tB IY1\nA\tAH0\n", "line 4: 'A' is already on line 1"),
        ("new york\tN UW1 Y AO1 R K\n", "line 1: a word cannot contain spaces"),
        ("\tHH AH0\n", "line 1: expected"),
    ],
)
def test_bad_lines_name_the_line(tmp_path: Path, content: str, error: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=error) as info:
        Lexicon.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_same_entry_twice_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "dup.tsv"
    path.write_text("a\tEY1\nA\tEY1\n", encoding="utf-8")
    assert dict(Lexicon.load(path)) == {"a": ("EY1",)}


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        Lexicon.load(tmp_path / "missing.tsv")
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"caf\xe9\tK AE1 F\n")
    with pytest.raises(LexiconError, match="UTF-8"):
        Lexicon.load(binary)


def test_mapping_input_is_validated() -> None:
    assert Lexicon({"Foo": "F UW1", "bar": ("B", "AA1", "R")}) == {"foo": ("F", "UW1"), "bar": ("B", "AA1", "R")}
    with pytest.raises(LexiconError, match="'QQ'"):
        Lexicon({"foo": "F QQ"})


def test_user_lexicon_before_cmudict_and_espeak(lexicon_file: Path) -> None:
    assert cmudict()["tomato"][0] != TOMATO_UK
    g2p = G2P(user_lexicon=Lexicon.load(lexicon_file))
    assert g2p.pronounce("tomato") == TOMATO_UK  # over CMUdict
    assert g2p.pronounce("Zorblax") == ("Z", "AO1", "R", "B", "L", "AE0", "K", "S")  # over espeak
    p = g2p("a tomato , please")
    assert p.phonemes[: 1 + len(TOMATO_UK)] == ("AH0", *TOMATO_UK)
    assert G2P().pronounce("tomato") == cmudict()["tomato"][0]  # other instances unaffected


def test_g2p_takes_a_plain_mapping_and_pickles() -> None:
    g2p = G2P(user_lexicon={"Tomato": "T AH0 M AA1 T OW0"})
    assert g2p.pronounce("tomato") == TOMATO_UK
    assert pickle.loads(pickle.dumps(g2p)).pronounce("tomato") == TOMATO_UK


@pytest.mark.parametrize(
    ("text", "word", "phonemes"),
    [
        ("I love SQL.", "SQL", ("S", "IY1", "K", "W", "AH0", "L")),  # not spelled as an acronym
        ("Use C++ now", "C++", ("S", "IY1", "P", "L", "AH1", "S", "P", "L", "AH1", "S")),
        ("NVIDIA chips", "nvidia", ("EH0", "N", "V", "IH1", "D", "IY0", "AH0")),
        ("A ripe tomato", "tomato", TOMATO_UK),
    ],
)
def test_frontend_lexicon_wins_over_normalization(lexicon_file: Path, text: str, word: str,
                                                  phonemes: tuple[str, ...]) -> None:
    frontend = TextFrontend(lexicon=lexicon_file)
    p = frontend(text)
    k = p.words.index(word)
    assert tuple(ph for ph, wi in zip(p.phonemes, p.word_index) if wi == k) == phonemes
    (unit,) = frontend.render(text)
    assert unit.phonemized == p


def test_frontend_lexicon_keeps_context_and_other_words(lexicon_file: Path) -> None:
    frontend = TextFrontend(lexicon=lexicon_file)
    assert frontend("Dr. SQL paid $5.").words == ("doctor", "SQL", "paid", "five", "dollars")
    assert frontend("The FBI came.") == TextFrontend()("The FBI came.")


def test_frontend_lexicon_arguments(lexicon_file: Path) -> None:
    assert TextFrontend(lexicon={"foo": "F UW1"}).lexicon == {"foo": ("F", "UW1")}
    assert TextFrontend().lexicon is None
    with pytest.raises(ValueError, match="not both"):
        TextFrontend(g2p=G2P(), lexicon=lexicon_file)
