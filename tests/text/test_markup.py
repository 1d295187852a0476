"""parse_markup: inline [[PHONEMES]] and SSML-lite -> sentence units (no G2P involved)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from prodiff_tts.text import Chunk, MarkupError, MarkupWarning, PronunciationError, Sentence, parse_markup
from prodiff_tts.text.phonemes import parse_pronunciation
from prodiff_tts.text.ssml import BREAK_STRENGTHS, MAX_BREAK_SECONDS, RATE_WORDS


def _texts(units: list[Sentence]) -> list[str]:
    return [u.text for u in units]


def _parse_quietly(text: str, ssml: bool | None = None) -> list[Sentence]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        return parse_markup(text, ssml=ssml)


# ---- the example and breaks --------------------------------------------------------------------


def test_break_splits_hello_world() -> None:
    units = _parse_quietly('<speak>Hello <break time="1s"/> world</speak>')
    assert units == [
        Sentence((Chunk("Hello"),), rate=1.0, break_after=1.0),
        Sentence((Chunk("world"),), rate=1.0, break_after=0.0),
    ]


@pytest.mark.parametrize(
    ("markup", "seconds"),
    [
        ('<break time="500ms"/>', 0.5),
        ('<break time="1.5s"/>', 1.5),
        ('<break time=" 250 MS "/>', 0.25),
        ('<break time="10s"/>', MAX_BREAK_SECONDS),
        ('<break time=".2s"/>', 0.2),
        ("<break/>", BREAK_STRENGTHS["medium"]),
        ('<break strength="x-weak"/>', 0.25),
        ('<break strength="weak"/>', 0.5),
        ('<break strength="medium"/>', 0.75),
        ('<break strength="strong"/>', 1.0),
        ('<break strength="x-strong"/>', 1.25),
        ('<break time="300ms" strength="x-strong"/>', 0.3),  # time wins
        ('<break time="1s"/><break time="500ms"/>', 1.5),  # consecutive breaks add up
    ],
)
def test_break_seconds(markup: str, seconds: float) -> None:
    units = _parse_quietly(f"<speak>One {markup} two.</speak>")
    assert _texts(units) == ["One", "two."]
    assert units[0].break_after == pytest.approx(seconds)
    assert units[1].break_after == 0.0


@pytest.mark.parametrize("markup", ['<break strength="none"/>', '<break time="0ms"/>'])
def test_zero_break_splits_nothing(markup: str) -> None:
    assert _texts(_parse_quietly(f"<speak>One {markup} two.</speak>")) == ["One two."]


def test_break_between_and_before_sentences() -> None:
    units = _parse_quietly('<speak><break time="2s"/>First one. <break time="300ms"/>Second one! Third.</speak>')
    assert [(u.text, u.break_after) for u in units] == [
        ("", 2.0),  # a unit of silence only
        ("First one.", 0.3),
        ("Second one!", 0.0),
        ("Third.", 0.0),
    ]
    assert units[0].chunks == ()


def test_sentences_are_split_like_plain_text() -> None:
    units = _parse_quietly("<speak>Dr. Smith paid 3.50 dollars. Did he? Yes.</speak>")
    assert _texts(units) == ["Dr. Smith paid 3.50 dollars.", "Did he?", "Yes."]
    assert _texts(_parse_quietly("Dr. Smith paid 3.50 dollars. Did he? Yes.")) == _texts(units)


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ('<break time="11s"/>', "maximum of 10 s"),
        ('<break time="fast"/>', "'500ms' or '1.5s'"),
        ('<break time="-1s"/>', "'500ms' or '1.5s'"),
        ('<break strength="huge"/>', "x-weak"),
    ],
)
def test_bad_break(markup: str, error: str) -> None:
    with pytest.raises(MarkupError, match=error):
        parse_markup(f"<speak>a {markup} b</speak>")


# ---- say-as, sub, phoneme, prosody ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "chunk"),
    [
        ('<say-as interpret-as="characters">abc</say-as>', Chunk("abc", say_as="characters")),
        ('<say-as interpret-as="spell-out">IBM</say-as>', Chunk("IBM", say_as="characters")),
        ('<say-as interpret-as="cardinal">1,234</say-as>', Chunk("1,234", say_as="cardinal")),
        ('<say-as interpret-as="number">12</say-as>', Chunk("12", say_as="cardinal")),
        ('<say-as interpret-as="ordinal">21</say-as>', Chunk("21", say_as="ordinal")),
        ('<say-as interpret-as="date" format="DMY">5/2/2021</say-as>', Chunk("5/2/2021", say_as="date", format="dmy")),
        ('<say-as interpret-as="telephone">555-0199</say-as>', Chunk("555-0199", say_as="telephone")),
        ('<phoneme alphabet="arpabet" ph="T AH0 M EY1 T OW0">tomato</phoneme>',
         Chunk("tomato", phonemes=("T", "AH0", "M", "EY1", "T", "OW0"))),
        ('<phoneme ph="t ah0 m ey1 t ow0">tomato</phoneme>',  # arpabet by default, any case
         Chunk("tomato", phonemes=("T", "AH0", "M", "EY1", "T", "OW0"))),
        ('<phoneme alphabet="ipa" ph="təˈmeɪtoʊ">tomato</phoneme>',
         Chunk("tomato", phonemes=("T", "AH0", "M", "EY1", "T", "OW0"))),
    ],
)
def test_atoms(markup: str, chunk: Chunk) -> None:
    units = _parse_quietly(f"<speak>Say {markup} now.</speak>")
    assert len(units) == 1
    plain_before, atom, plain_after = units[0].chunks
    assert (plain_before, plain_after) == (Chunk("Say"), Chunk("now."))
    assert atom == chunk


def test_atoms_never_split_and_sub_joins_the_text() -> None:
    units = _parse_quietly('<speak>See <sub alias="Doctor. Who">Dr. Who</sub> at <say-as interpret-as="date">'
                           "2021-05-02</say-as>. Then go.</speak>")
    assert _texts(units) == ["See Doctor. Who at 2021-05-02 .", "Then go."]
    assert units[0].chunks[0] == Chunk("See Doctor. Who at")


@pytest.mark.parametrize(
    ("rate", "value"),
    [*RATE_WORDS.items(), ("80%", 0.8), ("150%", 1.5), ("+20%", 1.2), ("-25%", 0.75), ("1.3", 1.3)],
)
def test_prosody_rate(rate: str, value: float) -> None:
    units = _parse_quietly(f'<speak>Before. <prosody rate="{rate}">Inside one. Inside two.</prosody> After.</speak>')
    assert [(u.text, u.rate) for u in units] == [
        ("Before.", 1.0),
        ("Inside one.", pytest.approx(value)),
        ("Inside two.", pytest.approx(value)),
        ("After.", 1.0),
    ]


def test_prosody_inside_a_sentence_splits_it_and_nests() -> None:
    units = _parse_quietly(
        '<speak>Say <prosody rate="slow">this <prosody rate="fast">fast</prosody></prosody> ok.</speak>'
    )
    assert [(u.text, u.rate) for u in units] == [("Say", 1.0), ("this", 0.75), ("fast", 1.25), ("ok.", 1.0)]


@pytest.mark.parametrize("rate", ["10", "0.1", "zippy", "5%"])
def test_bad_prosody_rate(rate: str) -> None:
    with pytest.raises(MarkupError, match="prosody rate"):
        parse_markup(f'<speak><prosody rate="{rate}">x</prosody></speak>')


def test_paragraphs_and_sentences_are_boundaries() -> None:
    units = _parse_quietly("<speak><p>One <s>two</s> three</p>four</speak>")
    assert _texts(units) == ["One", "two", "three", "four"]


# ---- unknown tags, malformed markup ------------------------------------------------------------------------


def test_unknown_tags_warn_once_and_keep_text() -> None:
    with pytest.warns(MarkupWarning) as record:
        units = parse_markup(
            "<speak>A <emphasis>big</emphasis> and <emphasis>bold</emphasis> <foo>claim</foo>.</speak>"
        )
    assert _texts(units) == ["A big and bold claim."]
    messages = sorted(str(r.message) for r in record)
    assert len(messages) == 2
    assert "<emphasis>" in messages[0] and "<foo>" in messages[1]


@pytest.mark.parametrize(
    ("markup", "warning"),
    [
        ('<say-as interpret-as="currency">$5</say-as>', "currency"),
        ('<phoneme alphabet="x-sampa" ph="h@&quot;loU">hello</phoneme>', "x-sampa"),
        ('<prosody pitch="high">hello</prosody>', "pitch"),
    ],
)
def test_unsupported_values_warn_and_read_the_text(markup: str, warning: str) -> None:
    with pytest.warns(MarkupWarning, match=warning):
        units = parse_markup(f"<speak>{markup}</speak>")
    assert len(units) == 1 and all(c.is_plain for c in units[0].chunks)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('<speak>Hello <break time="1s"> world</speak>', r"malformed SSML: mismatched tag at line 1, column \d+"),
        ("<speak>Hi</spek>", "mismatched tag"),
        ("<speak>Hi", "no element found"),
        ("<speak>Tom & Jerry</speak>", "&amp;"),
        ("<speak>a\n<b c=d/></speak>", "at line 2, column"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><speak>&a;</speak>', "DOCTYPE"),
        ("<speak><say-as>12</say-as></speak>", "interpret-as"),
        ("<speak><sub>WWW</sub></speak>", "alias"),
        ("<speak><phoneme>x</phoneme></speak>", "ph attribute"),
        ('<speak><say-as interpret-as="date" format="qq">1</say-as></speak>', "date format"),
        ("<speak>" + "<p>" * 100 + "deep" + "</p>" * 100 + "</speak>", "nested deeper"),
    ],
)
def test_malformed_markup_is_one_line_error(text: str, error: str) -> None:
    with pytest.raises(MarkupError, match=error) as info:
        parse_markup(text, ssml=True)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_ssml_detection_and_literal_mode() -> None:
    assert _texts(_parse_quietly("  <speak>Hi</speak>")) == ["Hi"]
    declared = '<?xml version="1.0"?><speak xmlns="http://www.w3.org/2001/10/synthesis">Hi</speak>'
    assert _texts(_parse_quietly(declared)) == ["Hi"]
    assert _texts(_parse_quietly("Hi <b>there</b>")) == ["Hi <b>there</b>"]  # not SSML: read literally
    assert _texts(_parse_quietly("<speak>Hi</speak>", ssml=False)) == ["<speak>Hi</speak>"]
    assert _texts(_parse_quietly('Hi <break time="1s"/> there', ssml=True)) == ["Hi", "there"]  # wrapped


# ---- inline phonemes ------------------------------------------------------------------------------------


def test_inline_phonemes_are_one_word_chunks() -> None:
    units = _parse_quietly("Say [[HH AH0 L OW1]] to Dr. [[S M IH1 TH]]. Next!")
    assert units[0].chunks == (
        Chunk("Say"),
        Chunk("HH AH0 L OW1", phonemes=("HH", "AH0", "L", "OW1")),
        Chunk("to Dr."),
        Chunk("S M IH1 TH", phonemes=("S", "M", "IH1", "TH")),
        Chunk("."),
    )
    assert _texts(units)[1] == "Next!"


def test_inline_phonemes_inside_ssml() -> None:
    units = _parse_quietly('<speak>A [[K AE1 T]] <break time="1s"/>sat.</speak>')
    assert units[0].chunks == (Chunk("A"), Chunk("K AE1 T", phonemes=("K", "AE1", "T")))
    assert units[0].break_after == 1.0


@pytest.mark.parametrize(
    ("text", "error", "named"),
    [
        ("Say [[HH AH0 L OW9 QQ]] now", PronunciationError, ["'OW9'", "'QQ'", "PHONEMES"]),
        ("Say [[HH XX]] and [[HH XX]]", PronunciationError, ["'XX'"]),
        ('<speak><phoneme ph="HH EH1 L OH">x</phoneme></speak>', PronunciationError, ["'OH'"]),
        ("Say [[]] now", PronunciationError, ["empty pronunciation"]),
        ("Say [[HH AH0 now", MarkupError, ["unclosed '[['", "character 4"]),
    ],
)
def test_inline_phoneme_errors(text: str, error: type[Exception], named: list[str]) -> None:
    with pytest.raises(error) as info:
        parse_markup(text)
    assert isinstance(info.value, ValueError)
    assert all(n in str(info.value) for n in named), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "phonemes"),
    [
        ("HH AH0 L OW1", ("HH", "AH0", "L", "OW1")),
        ("hh ah0 l ow1", ("HH", "AH0", "L", "OW1")),
        ("K AE T", ("K", "AE1", "T")),  # no stress given: the first vowel takes primary stress
        ("HH AH L OW1", ("HH", "AH0", "L", "OW1")),  # primary given elsewhere: 0
        ("B AH N AE N AH", ("B", "AH1", "N", "AE0", "N", "AH0")),
    ],
)
def test_parse_pronunciation(spec: str, phonemes: tuple[str, ...]) -> None:
    assert parse_pronunciation(spec) == phonemes


def test_chunk_rejects_two_kinds() -> None:
    with pytest.raises(ValueError):
        Chunk("x", phonemes=("K",), say_as="cardinal")
    with pytest.raises(ValueError):
        Chunk("x", say_as="currency")


def test_plain_parse_loads_no_xml() -> None:
    code = "import sys; from prodiff_tts.text import parse_markup; parse_markup('Hi [[HH AY1]].'); " \
           "print('xml.etree.ElementTree' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
