"""Property-based tests (hypothesis) of the text frontend and of synthesis on arbitrary text.

Bound on the phoneme count, found by search (targeted hypothesis runs over digits, symbols, letters, units
and every single code point up to U+2FFFF): the densest inputs are single symbols that normalize to several
words, e.g. "⩶" -> "equals equals equals" (19 phonemes with the final boundary), "⅞" -> "seven eighths"
(10), a spelled-out letter "W" -> "double you" (8) and long numbers (~10 per digit: "7777777" -> 66).
So ``len(phonemes) <= 20 * len(text)``: at most 18 phonemes per input character plus one boundary token.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from prodiff_tts.text import SYMBOLS, TextFrontend, UnspeakableTextError, normalize_text

PHONEMES_PER_CHAR = 20  # the bound stated above

_FRONTEND = TextFrontend()

# Text that hits the normalizer's rules more often than uniform unicode would: digits, currency, units,
# abbreviations, letters that are spelled out, fractions, circled numbers, punctuation and odd whitespace.
_PIECES = ["0", "7", "12", "1999", "3.14", "1/2", "$", "£", "€", "%", "°", "&", "@", "#", "+", "=", "~", "-", "—",
           "⅞", "½", "⩶", "㉓", "Ⅻ", "XIV", "Dr.", "St.", "Mr", "km", "kg", "mph", "am", "pm", "1st", "22nd",
           "W", "NASA", "U.S.", "e.g.", "hello", "world", "the", " ", "  ", "\n", "\t", ",", ".", "?", "!", ";",
           ":", "'", '"', "(", ")", "…", "😀", "你好", "привет", "\u200b", "\x00", "é", "ß", "ﬁ"]
texty = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(_PIECES), max_size=20).map("".join),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=15).map("".join),
)


def _phonemize(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _FRONTEND(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texty)
@example("⩶")
@example("7777777")
@example("W" * 30)
@example("\x00" * 50)
@example("\ud7ff\ue000\U0010ffff")
def test_frontend_never_fails_otherwise_and_stays_in_the_inventory(text):
    norm = normalize_text(text)
    assert isinstance(norm, str)
    try:
        ph = _phonemize(text)
    except UnspeakableTextError:
        return
    assert len(ph.phonemes) > 0
    assert set(ph.phonemes) <= set(SYMBOLS[1:])  # never the pad token
    assert all(-1 <= i < len(ph.words) for i in ph.word_index)
    assert len(ph.phonemes) <= PHONEMES_PER_CHAR * len(text), (text, len(ph.phonemes))
    ids = _FRONTEND.vocab.encode(ph.phonemes)
    assert all(0 < i < len(SYMBOLS) for i in ids)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["⩶", "⅞", "W", "7", "%", "="]), st.integers(1, 12))
def test_the_bound_holds_for_repeated_dense_symbols(symbol, n):
    text = " ".join([symbol] * n)
    assert len(_phonemize(text).phonemes) <= PHONEMES_PER_CHAR * len(text)


# --- synthesis --------------------------------------------------------------------------------------------

MAX_FRAMES_PER_PHONEME = 64  # generous: the tiny fixture voice predicts at most ~20 (measured on random ids)


@pytest.fixture(scope="module")
def synth(tiny_bundle):
    from prodiff_tts.api import Synthesizer

    return Synthesizer.from_pretrained(tiny_bundle)


@pytest.mark.slow
def test_synthesis_of_random_short_texts(synth):
    from prodiff_tts.api import PAUSE_SECONDS
    from prodiff_tts.text import split_sentences

    hop, sr = synth.audio.hop_length, synth.audio.sample_rate

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map(" ".join)))
    @example("a")
    @example("⩶ 7777777. W!")
    def check(text):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wav, rate = synth.synthesize(text, steps=4, seed=0, speed=1.0)
        except UnspeakableTextError:
            return
        assert rate == sr and wav.dtype == np.float32 and wav.ndim == 1 and len(wav) > 0
        assert np.isfinite(wav).all()
        # linear in the text length: phonemes <= 20 per character, frames <= 64 per phoneme, plus the pauses
        pauses = (len(split_sentences(text)) - 1) * int(PAUSE_SECONDS * sr)
        assert len(wav) <= PHONEMES_PER_CHAR * len(text) * MAX_FRAMES_PER_PHONEME * hop + pauses

    check()


@pytest.mark.parametrize("unit", ["7", "⩶", "W.", "$1,000,000.99 ", "XIV. ", "1/2 "])
def test_phoneme_count_per_character_does_not_grow_with_length(unit):
    """No super-linear expansion on long inputs (long digit strings, repeated symbols)."""
    ratios = [len(_phonemize(unit * k).phonemes) / len(unit * k) for k in (1, 10, 100)]
    assert max(ratios) <= PHONEMES_PER_CHAR
    assert ratios[2] <= 1.2 * max(ratios[:2]) + 1
