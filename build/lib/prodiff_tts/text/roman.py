"""Roman numerals, only where they are safe to read.

* after a monarch's or pope's name -> "the" + ordinal: "Henry VIII" -> "henry the eighth";
* after a chapter-like word -> cardinal: "Chapter IV" -> "chapter four", "World War II".

Elsewhere a capital-letter run stays a word or an acronym ("I", "MIX", "CIV").
A lone "I" after a name counts only before punctuation, "of" or the end
("Elizabeth I of England"), so "When John I met her" keeps the pronoun.
"""

from __future__ import annotations

import re

from prodiff_tts.text import numbers as nw

_REGNAL_NAMES = frozenset(
    "Alexander Alfonso Amadeus Benedict Boniface Casimir Catherine Charles Christian Clement "
    "Constantine David Edmund Edward Elizabeth Ferdinand Francis Frederick George Gregory "
    "Gustav Gustavus Harold Henry Innocent Ivan James John Joseph Leo Leopold Louis Ludwig "
    "Malcolm Mary Napoleon Nicholas Otto Paul Pedro Peter Philip Pius Ptolemy Ramesses "
    "Richard Robert Rudolf Sixtus Stephen Urban Victor Wilhelm William".split()
)
_COUNTED_WORDS = frozenset(
    "act apollo appendix article book bowl canto chapter chap class episode grade level part "
    "phase plate psalm round scene season section series stage title tome type vol volume war".split()
)
# Lowercase numerals ("chapter iv") only after these, where a pronoun "i" cannot follow.
_LOWERCASE_OK = frozenset("act appendix article book canto chapter chap psalm scene section vol volume".split())
_VALID = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

_AFTER_NAME = re.compile(r"\b([A-Z][a-z]+)\s+([IVXLCDM]+)\b(?=('s)?(\s+of\b|\s*[^\w\s']|\s*$)?)")
_AFTER_WORD = re.compile(r"\b([A-Za-z]+)\.?\s+([IVXLCDM]+|[ivxlcdm]+)\b(?!')")


def roman_value(numeral: str) -> int | None:
    """Value of a well-formed numeral ("XIV" -> 14); None if malformed."""
    numeral = numeral.upper()
    if not numeral or not _VALID.match(numeral):
        return None
    total = 0
    for ch, nxt in zip(numeral, numeral[1:] + " "):
        value = _VALUES[ch]
        total += -value if nxt != " " and _VALUES[nxt] > value else value
    return total


def _after_name(m: re.Match[str]) -> str:
    name, numeral = m.group(1), m.group(2)
    value = roman_value(numeral)
    if name not in _REGNAL_NAMES or value is None:
        return m.group(0)
    if numeral == "I" and m.group(3) is None and m.group(4) is None:
        return m.group(0)  # "John I met": a pronoun, not a numeral
    return f"{name} the {nw.ordinal(value)}"


def _after_word(m: re.Match[str]) -> str:
    word, numeral = m.group(1), m.group(2)
    value = roman_value(numeral)
    if word.lower() not in _COUNTED_WORDS or value is None:
        return m.group(0)
    if numeral.islower() and len(numeral) == 1 and word.lower() not in _LOWERCASE_OK:
        return m.group(0)
    return f"{word} {nw.cardinal(value)}"


def expand_roman(text: str) -> str:
    """Henry VIII -> Henry the eighth; Chapter IV -> Chapter four."""
    text = _AFTER_NAME.sub(_after_name, text)
    return _AFTER_WORD.sub(_after_word, text)
