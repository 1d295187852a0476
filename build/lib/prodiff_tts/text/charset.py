"""Unicode to the small ASCII-plus-symbols alphabet the normalizer works in.

NFKC first (full-width digits, ligatures, superscripts, "½" -> "1⁄2"), then
typographic punctuation to ASCII, then accented Latin letters folded to their
base letter (café -> cafe). Whatever is left outside the alphabet (emoji,
CJK, Cyrillic, control characters) is unreadable for an English voice.
"""

from __future__ import annotations

import unicodedata

# Symbols the normalizer still reads after folding (money, degrees, times).
KEPT_SYMBOLS = frozenset("£€¥¢°×")

_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": '"', "\u203a": '"',
    # Hyphen-like marks are hyphens; the en dash is a hyphen too (ranges, "1990–95").
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-", "\u00ad": "",
    # Em dash and bar mark a pause; spaced so they never read as a range.
    "\u2014": " -- ", "\u2015": " -- ",
    "\u2026": "...", "\u2044": "/", "\u00f7": "/", "\u00b7": " ", "\u2022": " ",
    "\u00a1": "", "\u00bf": "",
}

# Latin letters that do not decompose under NFKD.
_LETTERS = {
    "ß": "ss", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "Oe", "ł": "l",
    "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i",
    "ħ": "h", "Ħ": "H", "ŋ": "ng",
}


# Invisible marks: dropping them loses nothing a listener would hear.
_SILENT = frozenset({"Mn", "Me", "Cf"})


def _fold_char(ch: str) -> str:
    if ch.isascii() or ch in KEPT_SYMBOLS:
        return ch
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    if ch in _LETTERS:
        return _LETTERS[ch]
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base.isascii() and base:
        return base
    return "\0"  # sentinel: unreadable


def fold(text: str) -> tuple[str, tuple[str, ...]]:
    """Fold `text` to ASCII plus KEPT_SYMBOLS.

    Returns the folded text (unreadable characters replaced by spaces) and the
    distinct unreadable characters in order of first appearance, so a caller
    can warn about them once.
    """
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    dropped: dict[str, None] = {}
    for ch in text:
        category = unicodedata.category(ch)
        if category in _SILENT:
            continue  # zero-width joiners, variation selectors, stray accents
        if category == "Cc" and ch not in "\t\n\r":
            dropped.setdefault(ch)
            out.append(" ")
            continue
        folded = _fold_char(ch)
        if folded == "\0":
            dropped.setdefault(ch)
            out.append(" ")
        else:
            out.append(folded)
    return "".join(out), tuple(dropped)


def unreadable_chars(text: str) -> tuple[str, ...]:
    """The distinct characters of `text` an English reader cannot pronounce."""
    return fold(text)[1]
