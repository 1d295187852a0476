"""Offline espeak-ng through phonemizer, using the library and data bundled by
`espeakng-loader` (no system espeak needed, nothing downloaded).

phonemizer only offers process-wide class attributes to choose the library;
we set them just long enough to build one backend and then restore them, so
other phonemizer users in the process are unaffected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

# phonemizer logs a warning whenever espeak splits a word in two ("xl" ->
# "ex el"), which is expected here. An unregistered logger keeps only its
# errors, without touching the process-wide logging tree.
_PHONEMIZER_LOG = logging.Logger(f"{__name__}.phonemizer", level=logging.ERROR)
# espeak reads a lone Roman numeral as "roman seven"; the prefix is not in the word.
_ROMAN_PREFIX = "ɹ ˌoʊ m ə n |"


def make_backend(language: str = "en-us") -> Any:
    """A phonemizer `EspeakBackend` on the bundled espeak-ng (IPA with stress)."""
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    saved = (EspeakWrapper._ESPEAK_LIBRARY, EspeakWrapper._ESPEAK_DATA_PATH)
    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    try:
        return EspeakBackend(
            language,
            with_stress=True,
            preserve_punctuation=False,
            language_switch="remove-flags",
            words_mismatch="ignore",  # one input line is one word; espeak may split it, we rejoin
            logger=_PHONEMIZER_LOG,
        )
    finally:
        EspeakWrapper._ESPEAK_LIBRARY, EspeakWrapper._ESPEAK_DATA_PATH = saved


def phonemize_words(backend: Any, words: Sequence[str]) -> list[str]:
    """IPA for each word in one espeak call: phones space-separated, "" if espeak gave nothing."""
    from phonemizer.separator import Separator

    if not words:
        return []
    out = backend.phonemize(
        list(words), separator=Separator(phone=" ", word=" | ", syllable=""), strip=True, njobs=1
    )
    if len(out) != len(words):  # phonemizer keeps one output line per input line
        raise RuntimeError(f"espeak returned {len(out)} results for {len(words)} words")
    return [_strip_roman(str(o)) for o in out]


def _strip_roman(ipa: str) -> str:
    return ipa[len(_ROMAN_PREFIX) :].strip() if ipa.startswith(_ROMAN_PREFIX) else ipa
