"""espeak-ng IPA (en-us, with stress marks) -> CMUdict ARPAbet with stress.

espeak puts "ˈ" (primary) or "ˌ" (secondary) before a syllable; the mark is
carried to the next vowel, and vowels without a mark get stress 0. Input is
phonemizer output with phones separated by spaces; a match never crosses a
space, so "t ʃ" (nutshell) stays T SH while "tʃ" is CH.
"""

from __future__ import annotations

from prodiff_tts.text.symbols import VOWELS

_PRIMARY, _SECONDARY = "ˈ", "ˌ"
_VOWEL_SET = frozenset(VOWELS)

# IPA sequence -> ARPAbet (stressless). Longest match wins.
_TABLE: dict[str, tuple[str, ...]] = {
    # r-coloured and complex vowels
    "aɪɚ": ("AY", "ER"), "aɪə": ("AY", "AH"), "aʊɚ": ("AW", "ER"), "aʊə": ("AW", "AH"),
    "ɜːɹ": ("ER",), "ɜː": ("ER",), "ɜ": ("ER",), "ɝ": ("ER",), "ɚ": ("ER",), "ɹ̩": ("ER",),
    "iə": ("IY", "AH"), "ɪə": ("IH", "AH"), "eə": ("EH", "AH"), "ʊə": ("UH", "AH"),
    # diphthongs
    "aɪ": ("AY",), "aʊ": ("AW",), "eɪ": ("EY",), "oʊ": ("OW",), "əʊ": ("OW",),
    "ɔɪ": ("OY",), "oɪ": ("OY",),
    # monophthongs
    "iː": ("IY",), "i": ("IY",), "ɪ": ("IH",), "ᵻ": ("IH",), "ɨ": ("IH",),
    "eː": ("EH",), "e": ("EH",), "ɛ": ("EH",), "æ": ("AE",), "a": ("AE",), "aː": ("AA",),
    "ɑː": ("AA",), "ɑ": ("AA",), "ɒ": ("AA",), "ɔː": ("AO",), "ɔ": ("AO",), "oː": ("AO",),
    "o": ("OW",), "ʌ": ("AH",), "ə": ("AH",), "ɐ": ("AH",), "ɵ": ("AH",), "ɤ": ("AH",),
    "ʊ": ("UH",), "uː": ("UW",), "u": ("UW",), "ɯ": ("UW",), "y": ("UW",), "yː": ("UW",),
    "ø": ("ER",), "øː": ("ER",), "œ": ("ER",),
    # syllabic consonants
    "əl": ("AH", "L"), "l̩": ("AH", "L"), "n̩": ("AH", "N"), "m̩": ("AH", "M"),
    # affricates
    "tʃ": ("CH",), "dʒ": ("JH",), "ts": ("T", "S"), "dz": ("D", "Z"),
    # consonants
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "ɡ": ("G",), "g": ("G",),
    "f": ("F",), "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",),
    "ʃ": ("SH",), "ʒ": ("ZH",), "h": ("HH",), "ɦ": ("HH",), "ç": ("HH",), "x": ("K",),
    "χ": ("K",), "m": ("M",), "n": ("N",), "ŋ": ("NG",), "ɲ": ("N", "Y"), "l": ("L",),
    "ɫ": ("L",), "ɬ": ("L",), "ʎ": ("L", "Y"), "ɹ": ("R",), "r": ("R",), "ɾ": ("T",),
    "ɽ": ("R",), "ʁ": ("R",), "ʀ": ("R",), "j": ("Y",), "w": ("W",), "ʍ": ("W",),
    "ʔ": ("T",), "β": ("V",), "ɣ": ("G",), "c": ("K",), "ɟ": ("JH",), "q": ("K",),
    "ɸ": ("F",), "ʝ": ("Y",), "ɥ": ("W",),
}
_MAX_KEY = max(len(k) for k in _TABLE)


def _convert_chunk(chunk: str, out: list[str], stress: str) -> str:
    """Append the ARPAbet of one phone chunk to `out`; returns the pending stress."""
    i = 0
    while i < len(chunk):
        ch = chunk[i]
        if ch == _PRIMARY:
            stress, i = "1", i + 1
            continue
        if ch == _SECONDARY:
            stress, i = "2", i + 1
            continue
        for size in range(min(_MAX_KEY, len(chunk) - i), 0, -1):
            phones = _TABLE.get(chunk[i : i + size])
            if phones is not None:
                break
        else:
            i += 1  # length marks, diacritics, tie bars: not phonemes
            continue
        for phone in phones:
            if phone in _VOWEL_SET:
                out.append(phone + stress)
                stress = "0"
            else:
                out.append(phone)
        i += size
    return stress


def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    """"h ə l ˈoʊ" -> ("HH", "AH0", "L", "OW1")."""
    out: list[str] = []
    stress = "0"
    for chunk in ipa.replace("|", " ").split():
        stress = _convert_chunk(chunk, out, stress)
    # espeak sometimes writes the r of an r-coloured vowel separately ("ɜː ɹ").
    return tuple(p for k, p in enumerate(out) if not (p == "R" and k and out[k - 1].startswith("ER")))
