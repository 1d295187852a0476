"""SSML <say-as> -> G2P tokens (words, , . marks, and `GivenWord`s for letter names).

    characters  "AB12"        -> letter names A, B (given), "one", "two"
    cardinal    "1,234" "-5"  -> "one thousand two hundred thirty four", "minus five"
    ordinal     "3" "21st"    -> "third", "twenty first"
    date        "2021-05-02"  -> "may second , twenty twenty one"
                format="dmy" "5/2/2021" -> "the fifth of february twenty twenty one"; "y" "1066" -> "ten sixty six"
    telephone   "+1 800 555 0199" -> "plus one , eight zero zero , five five five , zero one nine nine"

Content that does not fit the kind (letters for a cardinal, an impossible date)
is read as ordinary text, with a `MarkupWarning`.
"""

from __future__ import annotations

import re
import warnings

from prodiff_tts.text import numbers as nw
from prodiff_tts.text.charset import fold
from prodiff_tts.text.dates import MONTHS
from prodiff_tts.text.errors import MarkupWarning
from prodiff_tts.text.g2p import GivenWord, split_tokens
from prodiff_tts.text.lexicon import LETTER_NAMES
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.telephone import telephone_words

Token = str | GivenWord

_CARDINAL = re.compile(r"^\s*([-+]?)\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*$")
_ORDINAL = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+)\s*(?:st|nd|rd|th)?\.?\s*$", re.IGNORECASE)
_DATE_FIELD = re.compile(r"\d+|[A-Za-z]+")
_ORDINAL_SUFFIX = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_MONTH_BY_NAME = {k.lower(): v for k, v in MONTHS.items()}
_MONTH_NAMES = tuple(dict.fromkeys(v for v in MONTHS.values()))
_MONTH_NUMBER = {name: i for i, name in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}


def _fallback(kind: str, text: str) -> list[Token]:
    warnings.warn(
        f"<say-as interpret-as={kind!r}> cannot read {text!r}; read as plain text", MarkupWarning, stacklevel=4
    )
    return list(split_tokens(normalize_text(text)))


def _characters(text: str) -> list[Token]:
    out: list[Token] = []
    for ch in fold(text)[0]:
        low = ch.lower()
        if low in LETTER_NAMES:
            out.append(GivenWord(ch, LETTER_NAMES[low]))
        elif ch.isdigit():
            out.append(nw.digits(ch))
    return out


def _cardinal(text: str) -> str | None:
    m = _CARDINAL.match(text)
    if not m:
        return None
    sign = {"-": "minus ", "+": "plus "}.get(m.group(1), "")
    return sign + nw.number(m.group(2))


def _ordinal(text: str) -> str | None:
    m = _ORDINAL.match(text)
    return nw.ordinal(int(m.group(1).replace(",", ""))) if m else None


def _year_words(field: str) -> str:
    n = int(field)
    if len(field) <= 2:
        return "two thousand" if n == 0 else nw.two_digit(n)  # "'21" -> "twenty one"
    return nw.year(n)


def _guess_format(fields: list[str]) -> str:
    """Without a format: a 4-digit field is the year, a word the month, other numbers
    month then day (American order); a lone number of 1-2 digits is a day."""
    if len(fields) == 1 and fields[0].isdigit() and len(fields[0]) <= 2:
        return "d"
    letters: list[str] = []
    for f in fields:
        if not f.isdigit():
            letters.append("m")
        elif len(f) == 4:
            letters.append("y")
        else:
            letters.append("?")
    free = [c for c in "mdy" if c not in letters]
    return "".join(free.pop(0) if c == "?" and free else c for c in letters)


def _date(text: str, fmt: str | None) -> str | None:
    fields = _DATE_FIELD.findall(_ORDINAL_SUFFIX.sub("", text))
    if not fields or len(fields) > 3:
        return None
    if fmt is None:
        fmt = _guess_format(fields)
    if len(fmt) != len(fields) or len(set(fmt)) != len(fmt):
        return None
    values = dict(zip(fmt, fields))
    month = day = year = None
    if "m" in values:
        raw = values["m"]
        if raw.isdigit():
            month = _MONTH_NAMES[int(raw) - 1] if 1 <= int(raw) <= 12 else None
        else:
            month = _MONTH_BY_NAME.get(raw.lower())
        if month is None:
            return None
    if "d" in values:
        if not values["d"].isdigit() or not 1 <= int(values["d"]) <= 31:
            return None
        day = nw.ordinal(int(values["d"]))
    if "y" in values:
        if not values["y"].isdigit():
            return None
        year = _year_words(values["y"])
    if day and month:
        # dmy reads the British way; every other order the American way.
        head = f"the {day} of {month}" if fmt.index("d") < fmt.index("m") else f"{month} {day} ,"
        return f"{head} {year}" if year else head.rstrip(" ,")
    return " ".join(w for w in (day, month, year) if w)


def say_as_tokens(kind: str, text: str, fmt: str | None = None) -> list[Token]:
    """Tokens of `text` read as `kind` (a `markup.SAY_AS_KINDS` member); `fmt` is a date format."""
    if kind == "characters":
        return _characters(text)
    if kind == "telephone":
        words: str | None = telephone_words(text) or None
    elif kind == "cardinal":
        words = _cardinal(text)
    elif kind == "ordinal":
        words = _ordinal(text)
    elif kind == "date":
        words = _date(text, fmt)
    else:
        raise ValueError(f"unknown say-as kind {kind!r}")
    if words is None:
        return _fallback(kind, text)
    return list(split_tokens(words))
