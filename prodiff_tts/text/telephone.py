"""Telephone numbers -> digits read in their groups, with a comma pause between groups.

    "(800) 555-0199"    -> "eight zero zero , five five five , zero one nine nine"
    "+44 20 7946 0958"  -> "plus four four , two zero , seven nine four six , zero nine five eight"
    "Call 911"          -> "Call nine one one"

Rules (documented choices):
  * "+" and a country code followed by groups of digits (8-15 digits in all) is
    a telephone number.
  * North-American forms are: (NNN) NNN-NNNN, NNN-NNN-NNNN, NNN.NNN.NNNN, with
    an optional leading "1-" / "1 " / "+1".
  * A seven-digit NNN-NNNN stays a range right after a range word (pages,
    between, from, of, ...) or before "%" ("pages 995-1012", "a number of
    500-1000"). Otherwise it is a telephone number when a telephone word (call,
    dial, phone, tel, fax, number, ...) is among the three words before it, or
    when it cannot be a range: the four-digit part starts with 0, or the two
    parts are not both round (multiples of 10: "100-1000 people" is a range).
  * A service number (911, 999, 112, 000, 988, N11) right after call/dial/
    phone/ring/text is read digit by digit; other numbers after "call" stay
    numbers ("call 100 people").
"""

from __future__ import annotations

import re

from prodiff_tts.text import numbers as nw

_INTERNATIONAL = re.compile(
    r"(?<![\w+])\+(\d{1,3})((?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){1,6})(?![\w-]|[.,]\d)"
)
_GROUP = re.compile(r"\d+")
_NANP = re.compile(
    r"(?<![\w.,$£€¥#+-])(?:(1)[ -]?)?(?:\((\d{3})\)\s?|(\d{3})[-.])(\d{3})[-. ](\d{4})(?![\w-]|[.,]\d)"
)
_SEVEN = re.compile(r"(?<![\w.,$£€¥#+-])(\d{3})-(\d{4})(?![\w-]|[.,]\d|\s?%)")
_SERVICE = re.compile(
    r"\b((?:call|dial|phone|ring|text)(?:s|ed|ing)?)(\s+)(\d11|999|112|000|988)\b(?![-.,]?\d)",
    re.IGNORECASE,
)
_WORDS_BEFORE = re.compile(r"([A-Za-z]+)\W*(?:([A-Za-z]+)\W*)?(?:([A-Za-z]+)\W*)?$")
_SEPARATOR = re.compile(r"[ .()-]")

_PHONE_WORDS = frozenset(
    "call calls called calling dial dialed dialing phone telephone tel fax mobile cell number "
    "contact text reach ring hotline line helpline tollfree free".split()
)
_RANGE_WORDS = frozenset("page pages p pp between from of lines line verses verse items rows nos numbers".split())

_MIN_DIGITS, _MAX_DIGITS = 8, 15  # international numbers (E.164 allows at most 15 digits)


def read_groups(groups: list[str]) -> str:
    """Digit groups -> "five five five , one two three four"."""
    return " , ".join(nw.digits(g) for g in groups if g)


def telephone_words(text: str) -> str:
    """Any digit string as a telephone number: each run of digits read digit by digit.

    A leading "+" is read "plus"; runs are separated by a comma pause. Used by
    SSML <say-as interpret-as="telephone">.
    """
    groups = _GROUP.findall(text)
    plus = "plus " if text.lstrip().startswith("+") and groups else ""
    return plus + read_groups(groups)


def _international(m: re.Match[str]) -> str:
    if _SEPARATOR.search(m.group(0)):
        groups = [m.group(1), *_GROUP.findall(m.group(2))]
    else:
        groups = [m.group(0)[1:]]  # "+15551234567": no grouping to follow
    if not _MIN_DIGITS <= sum(len(g) for g in groups) <= _MAX_DIGITS:
        return m.group(0)
    return " plus " + read_groups(groups) + " "


def _nanp(m: re.Match[str]) -> str:
    return " " + read_groups([g for g in m.groups() if g]) + " "


def _words_before(text: str, start: int) -> tuple[str, ...]:
    """Up to three words before `start`, the nearest last."""
    m = _WORDS_BEFORE.search(text, max(0, start - 60), start)
    if not m:
        return ()
    return tuple(w.lower() for w in m.groups() if w)


def _seven(m: re.Match[str]) -> str:
    before = _words_before(m.string, m.start())
    head, tail = m.group(1), m.group(2)
    if before and before[-1] in _RANGE_WORDS:
        is_phone = False  # "pages 995-1012", "a number of 500-1000"
    elif any(w in _PHONE_WORDS for w in before):
        is_phone = True  # "call us at 555-1234", "Tel: 555-1200"
    else:
        is_phone = tail.startswith("0") or int(head) % 10 != 0 or int(tail) % 10 != 0
    return read_groups([head, tail]) if is_phone else m.group(0)


def expand_telephone(text: str) -> str:
    """Telephone and service numbers -> digits in groups (see the module doc)."""
    text = _INTERNATIONAL.sub(_international, text)
    text = _NANP.sub(_nanp, text)
    text = _SEVEN.sub(_seven, text)
    return _SERVICE.sub(lambda m: f"{m.group(1)}{m.group(2)}{nw.digits(m.group(3))}", text)
