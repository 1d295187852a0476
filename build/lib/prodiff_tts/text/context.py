"""Small look-around helpers shared by the normalization rules."""

from __future__ import annotations

import re

_NEXT_WORD = re.compile(r"\s+[\"'(]?([A-Za-z])")
_PREV_WORD = re.compile(r"([A-Za-z]+)\W*$")


def ends_sentence(text: str, end: int, capital_ends: bool = True) -> bool:
    """Whether an abbreviation's period at text[end - 1] also ends the sentence.

    True at the end of the text; with `capital_ends`, also when the next word
    is capitalised ("7 p.m. Then ..."), which is wrong only before a name.
    """
    rest = text[end:]
    if not rest.strip():
        return True
    if not capital_ends:
        return False
    m = _NEXT_WORD.match(rest)
    return bool(m and m.group(1).isupper())


def period_if_sentence_end(m: re.Match[str], capital_ends: bool = True) -> str:
    """" ." when match `m` consumed a period that ends its sentence, else ""."""
    if not m.group(0).endswith("."):
        return ""
    return " ." if ends_sentence(m.string, m.end(), capital_ends) else ""


def previous_word(text: str, start: int) -> str:
    """The alphabetic word just before text[start] ("" if none)."""
    m = _PREV_WORD.search(text, max(0, start - 40), start)
    return m.group(1) if m else ""
