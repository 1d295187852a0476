"""Split long raw text into pieces a TTS model can synthesize one at a time.

Sentences end at . ! ? (and at blank lines). A period does not end a
sentence after a title or common abbreviation ("Dr. Smith", "e.g. this",
"Mon. Jan. 3", "Apt. 12"),
after an initial ("J. Smith", "U.S. Army"), inside a number ("3.14"), or
when the next word starts lowercase. Pieces longer than `max_chars` are cut
at clause punctuation, then between words, and a single word longer than
`max_chars` is cut hard. Linear time: a 10,000-word text takes milliseconds.
"""

from __future__ import annotations

import re

# A period after these never ends a sentence (they precede a name or a number).
_NEVER_FINAL = frozenset(
    "mr mrs ms messrs dr prof gen capt lt sgt col maj adm cmdr rev hon gov sen rep pres fr st mt ft "
    "no nos vs e.g i.e approx fig vol ch pp p cf al ca".split()
)
# Capitalised abbreviations whose period does not end a sentence before a number
# or a month ("Mon. Jan. 3", "Apt. 12"); matched with their case so that
# "I sat. Then" still ends, and "on Sun. It was" too.
_BEFORE_DATE_OR_NUMBER = frozenset(
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun "
    "Apt Ste Bldg Rm Hwy Rte".split()
)
_MONTH_NEXT = re.compile(
    r"\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
)
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_CLAUSE = re.compile(r"(?<=[,;:])\s+|\s+(?=--|\u2014)")
_WORD_BEFORE = re.compile(r"(\S+)$")


_NEXT_CHAR = re.compile(r"\s*(\S)?")
_INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    # Only look a few characters around the match: linear time on long texts.
    nxt = _NEXT_CHAR.match(text, match.end()).group(1)
    if nxt is None:
        return True
    if "." not in match.group(0) or match.group(0).startswith(("!", "?")):
        return True
    m = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
    cased = (m.group(1) if m else "").lstrip("(\"'")
    word = cased.lower()
    if word in _NEVER_FINAL or _INITIALS.fullmatch(word):
        return False  # abbreviation or initial ("j", "u.s")
    if cased in _BEFORE_DATE_OR_NUMBER and (nxt.isdigit() or _MONTH_NEXT.match(text, match.end())):
        return False  # "Mon. Jan. 3", "Apt. 12"
    return not nxt.islower()


def _sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _END.finditer(paragraph):
        if _is_sentence_end(paragraph, m):
            out.append(paragraph[start : m.end()].strip())
            start = m.end()
    out.append(paragraph[start:].strip())
    return [s for s in out if s]


def _pack(parts: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive parts with spaces while they fit in max_chars."""
    out: list[str] = []
    for part in parts:
        if out and len(out[-1]) + 1 + len(part) <= max_chars:
            out[-1] += " " + part
        else:
            out.append(part)
    return out


def _fit(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts: list[str] = []
    for clause in _CLAUSE.split(sentence):
        if len(clause) <= max_chars:
            parts.append(clause)
            continue
        for word in clause.split():
            parts.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    return _pack(parts, max_chars)


def split_sentences(text: str, max_chars: int = 300) -> list[str]:
    """Raw text -> sentences (whitespace collapsed), none longer than `max_chars`."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    pieces: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = " ".join(paragraph.split())
        for sentence in _sentences(paragraph):
            pieces.extend(_fit(sentence, max_chars))
    return pieces
