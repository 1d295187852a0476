"""All-caps words: spell (FBI -> f b i) or read (NASA -> nasa)?

CMUdict decides. A 2-5 letter all-caps word is spelled out when CMUdict does
not know it, or knows it only as letters (it lists FBI as "EH F B IY AY").
Words it pronounces as words (NASA, NATO, AIDS, LASER) stay words.

An all-caps word CMUdict lacks is still read as a word when it looks like
one: it starts with a consonant, has 4-5 letters and at least two vowels,
and alternates single vowels with at most two consonants (COVID, FIFA,
DARPA); UCLA, HTML, JPEG and NYPD are spelled.

When most of the text is in capitals (a headline, shouting), capitals carry
no information, so only words CMUdict lacks are spelled.
"""

from __future__ import annotations

import re

from prodiff_tts.text.lexicon import cmudict, is_spelled_in_dictionary

_ACRONYM = re.compile(r"\b([A-Z]{2,5})('s|s)?\b")
_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
_PRONOUNCEABLE = re.compile(r"^[B-DF-HJ-NP-TV-Z]{1,2}[AEIOU](?:[B-DF-HJ-NP-TV-Z]{1,2}[AEIOU])+[B-DF-HJ-NP-TV-Z]?$")
_ONSETS = frozenset("BL BR CH CL CR DR FL FR GL GR KL KR PH PL PR SC SH SK SL SM SN SP ST SW TH TR TW WH".split())
_AMPERSAND = re.compile(r"\b([A-Z]{1,3})&([A-Z]{1,3})\b")


def _looks_like_word(word: str) -> bool:
    if not 4 <= len(word) <= 5 or not _PRONOUNCEABLE.match(word):
        return False
    onset = re.match(r"[^AEIOU]+", word)
    return onset is None or len(onset.group(0)) == 1 or onset.group(0) in _ONSETS


def _is_shouting(text: str) -> bool:
    words = _WORD.findall(text)
    caps = sum(w.isupper() for w in words)
    return caps >= 3 and caps >= 0.7 * len(words)


def expand_acronyms(text: str) -> str:
    """Spell out all-caps 2-5 letter words that are acronyms: "FBI's" -> "f b i's"."""
    # AT&T, R&D, Q&A: letters on both sides of "&" are always spelled.
    text = _AMPERSAND.sub(lambda m: f"{' '.join(m.group(1).lower())} and {' '.join(m.group(2).lower())}", text)
    if not _ACRONYM.search(text):
        return text  # keeps CMUdict unloaded for text without capitals
    shouting = _is_shouting(text)

    def spell(m: re.Match[str]) -> str:
        word, suffix = m.group(1), m.group(2) or ""
        if word.lower() not in cmudict():
            spelled = not _looks_like_word(word)
        elif shouting:
            spelled = False
        else:
            spelled = is_spelled_in_dictionary(word)
        if not spelled:
            return m.group(0)
        letters = " ".join(word.lower())
        return letters + ("'s" if suffix else "")

    return _ACRONYM.sub(spell, text)
