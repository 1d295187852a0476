"""Text -> phonemes -> ids: `normalize_text` followed by `G2P`, with one warning
for the characters that had to be dropped."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from prodiff_tts.text.charset import unreadable_chars
from prodiff_tts.text.errors import UnreadableCharactersWarning, UnspeakableTextError
from prodiff_tts.text.g2p import G2P, Phonemized
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.symbols import Vocab


def _describe(chars: Sequence[str]) -> str:
    return " ".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in chars)


def _preview(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


class TextFrontend:
    """English text -> `Phonemized` (and ids through a `Vocab`).

    Construct once and reuse: the G2P cache of out-of-vocabulary words lives
    on the instance.
    """

    def __init__(self, vocab: Vocab | None = None, g2p: G2P | None = None) -> None:
        self.vocab = vocab if vocab is not None else Vocab.default()
        self.g2p = g2p if g2p is not None else G2P()

    def load(self) -> None:
        """Load the G2P's dictionary and espeak now instead of on the first text."""
        self.g2p.load()

    def normalize(self, text: str) -> str:
        """The normalized text, warning once about characters that were dropped."""
        return self._normalize(text, stacklevel=3)

    def _normalize(self, text: str, stacklevel: int) -> str:
        dropped = unreadable_chars(text)
        if dropped:
            # stacklevel points the warning at the caller's line, not ours.
            warnings.warn(
                f"dropped {len(dropped)} unreadable character(s): {_describe(dropped)}",
                UnreadableCharactersWarning,
                stacklevel=stacklevel,
            )
        return normalize_text(text)

    def __call__(self, text: str) -> Phonemized:
        return self._phonemize([text], stacklevel=4)[0]

    def phonemize_batch(self, texts: Sequence[str]) -> list[Phonemized]:
        """Like calling the frontend on each text, with one espeak call for all OOV words."""
        return self._phonemize(texts, stacklevel=4)

    def _phonemize(self, texts: Sequence[str], stacklevel: int) -> list[Phonemized]:
        normalized = []
        for text in texts:
            normalized.append(self._normalize(text, stacklevel))
        results = self.g2p.phonemize_batch(normalized)
        for text, result in zip(texts, results):
            if not result.words:
                raise UnspeakableTextError(f"nothing speakable in text {_preview(text)}")
        return results

    def encode(self, text: str) -> list[int]:
        """Text -> phoneme ids of `self.vocab`."""
        return self.vocab.encode(self(text).phonemes)
