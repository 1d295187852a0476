"""English text normalization before G2P.

    normalize_text("Dr. Smith paid $5.50 on May 5th, 2021.")
    -> "doctor smith paid five dollars fifty cents on may fifth , twenty twenty one ."

The order of the passes matters: web addresses, telephone numbers, ratios
and times/dates see the raw digits first, ranges are resolved before money and units (so "$10-20" and
"10-20%" keep their unit), plain integers go last, and acronyms are decided
once everything else has become words. See each module for its rules; the
year heuristic is documented in `dates.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from prodiff_tts.text.abbreviations import expand_abbreviations
from prodiff_tts.text.acronyms import expand_acronyms
from prodiff_tts.text.charset import fold
from prodiff_tts.text.dates import expand_dates, expand_times, expand_years
from prodiff_tts.text.numeric import expand_measures, expand_money, expand_numbers, expand_ranges, expand_ratios
from prodiff_tts.text.punctuation import expand_symbols, expand_web, tokenize
from prodiff_tts.text.roman import expand_roman
from prodiff_tts.text.telephone import expand_telephone

_PASSES: tuple[Callable[[str], str], ...] = (
    expand_web,
    expand_telephone,
    expand_ratios,
    expand_times,
    expand_dates,
    expand_years,
    expand_ranges,
    expand_money,
    expand_measures,
    expand_numbers,
    expand_roman,
    expand_abbreviations,
    expand_acronyms,
    expand_symbols,
)


def normalize_text(text: str) -> str:
    """Spoken form of `text`: lowercase words and , . ? ! ; : tokens, single-spaced.

    Unicode is folded to ASCII (café -> cafe); characters an English reader
    cannot say (emoji, CJK, Cyrillic, control characters) are dropped
    silently here. `TextFrontend` is the place that warns about them.
    """
    text = fold(text)[0]
    for expand in _PASSES:
        text = expand(text)
    return tokenize(text)
