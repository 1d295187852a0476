"""Symbols to words, pauses to punctuation, and the final token stream.

Output alphabet: lowercase words of letters and apostrophes, and the marks
, . ? ! ; : as separate tokens, separated by single spaces.
"""

from __future__ import annotations

import re

_SYMBOLS = (
    (re.compile(r"&"), " and "),
    (re.compile(r"@"), " at "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"="), " equals "),
    (re.compile(r"×"), " times "),
    (re.compile(r"~"), " approximately "),
    (re.compile(r"%"), " percent "),
    (re.compile(r"°"), " degrees "),
    (re.compile(r"(?<=\s)<(?=\s)"), " less than "),
    (re.compile(r"(?<=\s)>(?=\s)"), " greater than "),
)

_WEB_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_WEB_URL = re.compile(
    r"\b(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"\.(?:com|org|net|edu|gov|io|ai|co|uk|de|fr|info|biz)\b(?:/[\w/.-]*\w)?",
    re.IGNORECASE,
)
_WEB_PARTS = {".": " dot ", "@": " at ", "/": " slash ", "-": " dash ", "_": " underscore "}

_ELLIPSIS = re.compile(r"\.{2,}\s*(\S)?")
_PAUSE = re.compile(r"\s-+\s|-{2,}|^-+\s|[()\[\]{}|]")
_PARAGRAPH = re.compile(r"\n\s*\n")
_STRAY_APOSTROPHE = re.compile(r"(?<![a-z])'|'(?![a-z])")
_UNSPOKEN = re.compile(r"[^a-z',.?!;:]+")
_TOKEN = re.compile(r"[a-z']+|[,.?!;:]")

# When marks pile up ("?!", ", (" ...) the strongest survives; ties keep the first.
_STRENGTH = {",": 1, ";": 2, ":": 2, ".": 3, "?": 4, "!": 4}


def expand_web(text: str) -> str:
    """user@example.com -> user at example dot com; www.x.org -> w w w dot x dot org."""

    def speak(m: re.Match[str]) -> str:
        s = re.sub(r"^https?://", "", m.group(0), flags=re.IGNORECASE)
        s = re.sub(r"^www\.", "w w w.", s, flags=re.IGNORECASE)
        return "".join(_WEB_PARTS.get(ch, ch) for ch in s)

    text = _WEB_EMAIL.sub(speak, text)
    return _WEB_URL.sub(speak, text)


def expand_symbols(text: str) -> str:
    """&, @, +, =, ×, ~, %, ° as words; other symbols are left to be dropped."""
    for pattern, words in _SYMBOLS:
        text = pattern.sub(words, text)
    return text


def _ellipsis(m: re.Match[str]) -> str:
    nxt = m.group(1) or ""
    # "wait... what": the sentence goes on, so it is a pause, not a stop.
    mark = " , " if nxt.islower() else " . "
    return mark + nxt


def _collapse(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        if tok in _STRENGTH:
            if not out:
                continue  # nothing to pause after
            if out[-1] in _STRENGTH:
                if _STRENGTH[tok] > _STRENGTH[out[-1]]:
                    out[-1] = tok
                continue
        out.append(tok)
    return out


def tokenize(text: str) -> str:
    """Pauses -> commas, lowercase, drop what is not spoken, single-space the tokens."""
    text = _PARAGRAPH.sub(" . ", text)
    text = _ELLIPSIS.sub(_ellipsis, text)
    text = _PAUSE.sub(" , ", text)
    text = text.lower()
    text = _STRAY_APOSTROPHE.sub(" ", text)
    text = _UNSPOKEN.sub(" ", text)
    return " ".join(_collapse(_TOKEN.findall(text)))
