"""User-given pronunciations: "HH AH0 L OW1" -> ("HH", "AH0", "L", "OW1"), validated.

The inventory is `symbols.PHONEMES`: the 15 CMUdict vowels with stress 0/1/2
(AA0 ... UW2) and the 24 consonants (B CH D ... ZH). Symbols are separated by
spaces; case does not matter ("hh ah0 l ow1" is accepted).

Stress default (documented choice): a vowel written without a digit ("AH")
gets primary stress 1 if it is the first such vowel and the pronunciation has
no primary stress of its own, else 0. So "K AE T" -> K AE1 T and
"HH AH L OW1" -> HH AH0 L OW1.
"""

from __future__ import annotations

from prodiff_tts.text.errors import PronunciationError
from prodiff_tts.text.symbols import PHONEMES, VOWELS

_PHONEME_SET = frozenset(PHONEMES)
_VOWEL_SET = frozenset(VOWELS)
INVENTORY_HINT = (
    "use ARPAbet symbols of prodiff_tts.text.symbols.PHONEMES: vowels AA..UW with stress 0/1/2, consonants B..ZH"
)


def parse_pronunciation(spec: str) -> tuple[str, ...]:
    """Space-separated ARPAbet -> phonemes of the inventory (see the module doc).

    Raises `PronunciationError` naming every unknown symbol, or when `spec` is empty.
    """
    symbols = spec.upper().split()
    if not symbols:
        raise PronunciationError("empty pronunciation: give ARPAbet symbols such as 'HH AH0 L OW1'")
    unknown = [s for s in dict.fromkeys(symbols) if s not in _PHONEME_SET and s not in _VOWEL_SET]
    if unknown:
        names = ", ".join(repr(s) for s in unknown)
        raise PronunciationError(f"unknown phoneme(s) {names} in {spec.strip()!r}: {INVENTORY_HINT}")
    primary_given = any(s.endswith("1") for s in symbols)
    out: list[str] = []
    for s in symbols:
        if s in _VOWEL_SET:
            s += "0" if primary_given else "1"
            primary_given = True
        out.append(s)
    return tuple(out)
