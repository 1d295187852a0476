"""TextFrontend.render: marked-up text -> phonemes per unit, given pronunciations spliced in as words."""

from __future__ import annotations

import warnings

import pytest

from prodiff_tts.text import (
    G2P,
    MarkupWarning,
    Phonemized,
    RenderedSentence,
    TextFrontend,
    UnspeakableTextError,
    normalize_text,
    split_sentences,
)
from prodiff_tts.text.lexicon import LETTER_NAMES
from prodiff_tts.text.symbols import BOUNDARIES


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend()


def _render(frontend: TextFrontend, text: str, ssml: bool | None = None) -> list[RenderedSentence]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return frontend.render(text, ssml=ssml)


def _check_consistent(p: Phonemized) -> None:
    for ph, wi in zip(p.phonemes, p.word_index):
        assert (wi == -1) == (ph in BOUNDARIES)
    word_ids = [wi for wi in p.word_index if wi >= 0]
    assert word_ids == sorted(word_ids)
    assert set(word_ids) == set(range(len(p.words)))  # every word has phonemes, for word timestamps


def _word_phonemes(p: Phonemized, word: int) -> tuple[str, ...]:
    return tuple(ph for ph, wi in zip(p.phonemes, p.word_index) if wi == word)


def test_hello_break_world(frontend: TextFrontend) -> None:
    units = _render(frontend, '<speak>Hello <break time="1s"/> world</speak>')
    assert [(u.phonemized.words, u.break_after, u.rate) for u in units] == [
        (("hello",), 1.0, 1.0),
        (("world",), 0.0, 1.0),
    ]
    assert frontend.vocab.decode(units[0].ids) == ["HH", "AH0", "L", "OW1", "."]
    assert units[1].text == "world"


def test_plain_text_renders_like_the_sentences_one_by_one(frontend: TextFrontend) -> None:
    text = "Dr. Smith paid $5.50 on May 5th, 2021. Call 555-1234! The FBI's 16:9 screen?"
    units = _render(frontend, text)
    assert [u.phonemized for u in units] == [frontend(s) for s in split_sentences(text)]
    assert [u.ids for u in units] == [frontend.encode(s) for s in split_sentences(text)]


@pytest.mark.parametrize(
    "text", ["Hello, world!", "Dr. Smith paid $5.50 on May 5th, 2021.", "The FBI and NASA met.", "zorblax a"]
)
def test_call_is_unchanged_for_plain_text(frontend: TextFrontend, text: str) -> None:
    assert frontend(text) == G2P().phonemize_batch([normalize_text(text)])[0]


def test_inline_phonemes_are_spliced_as_one_word(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, "Say [[HH AH0 L OW1]] twice.")
    p = unit.phonemized
    assert p.words == ("say", "HH AH0 L OW1", "twice")
    assert _word_phonemes(p, 1) == ("HH", "AH0", "L", "OW1")
    _check_consistent(p)


def test_context_survives_around_given_words(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, "Dr. [[S M IH1 TH]] paid $5 on Jan. 3 for [[K AE1 T]] food.")
    assert unit.phonemized.words == (
        "doctor", "S M IH1 TH", "paid", "five", "dollars", "on", "january", "third", "for", "K AE1 T", "food",
    )
    _check_consistent(unit.phonemized)


def test_a_given_word_starts_a_new_sentence(frontend: TextFrontend) -> None:
    units = _render(frontend, "It ended. [[HH AH0 L OW1]] again.")
    assert [u.phonemized.words for u in units] == [("it", "ended"), ("HH AH0 L OW1", "again")]


@pytest.mark.parametrize(
    ("markup", "words"),
    [
        ('<say-as interpret-as="characters">AB1</say-as>', ("A", "B", "one")),
        ('<say-as interpret-as="cardinal">1,234</say-as>', ("one", "thousand", "two", "hundred", "thirty", "four")),
        ('<say-as interpret-as="cardinal">-5</say-as>', ("minus", "five")),
        ('<say-as interpret-as="ordinal">21</say-as>', ("twenty", "first")),
        ('<say-as interpret-as="ordinal">3rd</say-as>', ("third",)),
        ('<say-as interpret-as="date">2021-05-02</say-as>', ("may", "second", "twenty", "twenty", "one")),
        ('<say-as interpret-as="date" format="mdy">5/2/21</say-as>', ("may", "second", "twenty", "one")),
        ('<say-as interpret-as="date" format="dmy">5/2/2021</say-as>',
         ("the", "fifth", "of", "february", "twenty", "twenty", "one")),
        ('<say-as interpret-as="date" format="md">12/25</say-as>', ("december", "twenty", "fifth")),
        ('<say-as interpret-as="date" format="y">1066</say-as>', ("ten", "sixty", "six")),
        ('<say-as interpret-as="date">March 2020</say-as>', ("march", "twenty", "twenty")),
        ('<say-as interpret-as="date">May 5th, 2021</say-as>', ("may", "fifth", "twenty", "twenty", "one")),
        ('<say-as interpret-as="telephone">555-0199</say-as>',
         ("five", "five", "five", "zero", "one", "nine", "nine")),
        ('<say-as interpret-as="telephone">+1 800 555 0199</say-as>',
         ("plus", "one", "eight", "zero", "zero", "five", "five", "five", "zero", "one", "nine", "nine")),
        ('<sub alias="World Wide Web">WWW</sub>', ("world", "wide", "web")),
    ],
)
def test_say_as_and_sub(frontend: TextFrontend, markup: str, words: tuple[str, ...]) -> None:
    (unit,) = _render(frontend, f"<speak>{markup}</speak>")
    assert unit.phonemized.words == words
    _check_consistent(unit.phonemized)


def test_say_as_characters_uses_letter_names(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, '<speak>Plan <say-as interpret-as="characters">a</say-as> works</speak>')
    assert unit.phonemized.words == ("plan", "a", "works")
    assert _word_phonemes(unit.phonemized, 1) == LETTER_NAMES["a"]  # the letter, not the article


def test_telephone_groups_are_separated_by_a_pause(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, '<speak><say-as interpret-as="telephone">555-0199</say-as></speak>')
    assert unit.phonemized.phonemes.count(",") == 1


def test_say_as_that_does_not_fit_warns_and_reads_the_text(frontend: TextFrontend) -> None:
    with pytest.warns(MarkupWarning, match="cardinal"):
        (unit,) = frontend.render('<speak><say-as interpret-as="cardinal">many</say-as></speak>')
    assert unit.phonemized.words == ("many",)


def test_phoneme_element_is_the_shown_word(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, '<speak>A <phoneme alphabet="arpabet" ph="T AH0 M AA1 T OW0">tomato</phoneme>.</speak>')
    assert unit.phonemized.words == ("a", "tomato")
    assert _word_phonemes(unit.phonemized, 1) == ("T", "AH0", "M", "AA1", "T", "OW0")


def test_rate_per_unit(frontend: TextFrontend) -> None:
    units = _render(frontend, '<speak>Normal. <prosody rate="x-slow">Slow one.</prosody> <prosody rate="120%">Quick.'
                              "</prosody></speak>")
    assert [(u.phonemized.words, u.rate) for u in units] == [
        (("normal",), 1.0), (("slow", "one"), 0.5), (("quick",), pytest.approx(1.2)),
    ]


def test_unspeakable_units_keep_their_break(frontend: TextFrontend) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = '<speak><break time="1s"/>🎉<break time="500ms"/>Hi! ?!<break time="2s"/> Bye.</speak>'
        units = frontend.render(text)
    assert [(u.phonemized.words, u.break_after, u.is_silence) for u in units] == [
        ((), 1.5, True),  # leading silence, the emoji unit's break added to it
        (("hi",), 2.0, False),  # "?!" has no word: its break goes to the unit before
        (("bye",), 0.0, False),
    ]
    assert units[0].ids == []


def test_only_silence_and_nothing_speakable(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, '<speak><break time="2s"/></speak>')
    assert unit.is_silence and unit.break_after == 2.0
    with pytest.raises(UnspeakableTextError):
        frontend.render("<speak>?! ...</speak>")
    with pytest.raises(UnspeakableTextError):
        frontend.render("")


def test_unreadable_characters_warn_once(frontend: TextFrontend) -> None:
    from prodiff_tts.text import UnreadableCharactersWarning

    with pytest.warns(UnreadableCharactersWarning) as record:
        units = frontend.render("Hello 👋. World 👋!")
    assert len([r for r in record if r.category is UnreadableCharactersWarning]) == 1
    assert [u.phonemized.words for u in units] == [("hello",), ("world",)]


def test_literal_mode_ignores_tags(frontend: TextFrontend) -> None:
    (unit,) = _render(frontend, "<speak>Hi</speak>", ssml=False)
    assert unit.phonemized.words == ("speak", "hi", "speak")
