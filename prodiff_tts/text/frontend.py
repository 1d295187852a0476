"""Text -> phonemes -> ids: `normalize_text` followed by `G2P`, with one warning
for the characters that had to be dropped; `render` for text with pronunciation
markup (inline [[PHONEMES]], SSML-lite), one unit per sentence."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence

from prodiff_tts.text.charset import unreadable_chars
from prodiff_tts.text.errors import UnreadableCharactersWarning, UnspeakableTextError
from prodiff_tts.text.g2p import G2P, Phonemized
from prodiff_tts.text.markup import Chunk, Sentence, parse
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.render import RenderedSentence, chunk_sources, protection_pattern, sentence_tokens
from prodiff_tts.text.symbols import Vocab
from prodiff_tts.text.user_lexicon import Lexicon

LexiconLike = Lexicon | Mapping[str, str] | str | os.PathLike[str]


def _describe(chars: Sequence[str]) -> str:
    return " ".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in chars)


def _preview(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _as_lexicon(lexicon: LexiconLike) -> Lexicon:
    if isinstance(lexicon, Lexicon):
        return lexicon
    if isinstance(lexicon, (str, os.PathLike)):
        return Lexicon.load(lexicon)
    return Lexicon(lexicon)


class TextFrontend:
    """English text -> `Phonemized` (and ids through a `Vocab`).

    Construct once and reuse: the G2P cache of out-of-vocabulary words lives
    on the instance. `lexicon` (a `Lexicon`, a word -> "PHONEMES" mapping or a
    lexicon file path) is consulted before CMUdict and espeak; give it here or
    to `G2P(user_lexicon=...)`, not both.
    """

    def __init__(self, vocab: Vocab | None = None, g2p: G2P | None = None, lexicon: LexiconLike | None = None) -> None:
        if g2p is not None and lexicon is not None:
            raise ValueError("give the lexicon to TextFrontend or to G2P(user_lexicon=...), not both")
        self.vocab = vocab if vocab is not None else Vocab.default()
        self.g2p = g2p if g2p is not None else G2P(user_lexicon=_as_lexicon(lexicon) if lexicon is not None else None)
        self._protect: tuple[Lexicon | None, re.Pattern[str] | None] = (None, None)

    @property
    def lexicon(self) -> Lexicon | None:
        """The user lexicon of the G2P (None without one)."""
        return self.g2p.user_lexicon

    def load(self) -> None:
        """Load the G2P's dictionary and espeak now instead of on the first text."""
        self.g2p.load()

    def normalize(self, text: str) -> str:
        """The normalized text, warning once about characters that were dropped."""
        self._warn_unreadable(text, stacklevel=3)
        return normalize_text(text)

    def _warn_unreadable(self, text: str, stacklevel: int) -> None:
        dropped = unreadable_chars(text)
        if dropped:
            # stacklevel points the warning at the caller's line, not ours.
            warnings.warn(
                f"dropped {len(dropped)} unreadable character(s): {_describe(dropped)}",
                UnreadableCharactersWarning,
                stacklevel=stacklevel,
            )

    def _protection(self) -> re.Pattern[str] | None:
        """Lexicon words normalization would rewrite (computed once per lexicon)."""
        lexicon = self.g2p.user_lexicon
        if lexicon is None:
            return None
        if self._protect[0] is not lexicon:
            self._protect = (lexicon, protection_pattern(lexicon))
        return self._protect[1]

    def __call__(self, text: str) -> Phonemized:
        return self._phonemize([text], stacklevel=4)[0]

    def phonemize_batch(self, texts: Sequence[str]) -> list[Phonemized]:
        """Like calling the frontend on each text, with one espeak call for all OOV words."""
        return self._phonemize(texts, stacklevel=4)

    def _phonemize(self, texts: Sequence[str], stacklevel: int) -> list[Phonemized]:
        protect = self._protection()
        token_lists = []
        for text in texts:
            self._warn_unreadable(text, stacklevel)
            token_lists.append(sentence_tokens((Chunk(text),), self.lexicon, protect))
        results = self.g2p.phonemize_tokens(token_lists)
        for text, result in zip(texts, results):
            if not result.words:
                raise UnspeakableTextError(f"nothing speakable in text {_preview(text)}")
        return results

    def encode(self, text: str) -> list[int]:
        """Text -> phoneme ids of `self.vocab`."""
        return self.vocab.encode(self(text).phonemes)

    # -- marked-up text, one unit per sentence ----------------------------------------------------------

    def render(self, text: str, ssml: bool | None = None, max_chars: int = 300) -> list[RenderedSentence]:
        """Text with inline [[PHONEMES]] and, as SSML (`ssml=None`: when it starts with <speak>),
        SSML-lite markup -> one `RenderedSentence` per unit (see `markup.parse_markup`).

        Units without a word are dropped; a break they carry is added to the unit before, or,
        before any speech, kept as a unit of silence (empty phonemes and ids). Raises
        `UnspeakableTextError` when nothing is left, `MarkupError` / `PronunciationError`
        (ValueErrors) for bad markup."""
        return self._render(parse(text, ssml, max_chars, stacklevel=3), text, stacklevel=4)

    def render_units(self, units: Sequence[Sentence]) -> list[RenderedSentence]:
        """`render` for units already parsed by `markup.parse_markup`."""
        return self._render(units, " ".join(u.text for u in units), stacklevel=4)

    def _render(self, units: Sequence[Sentence], source: str, stacklevel: int) -> list[RenderedSentence]:
        self._warn_unreadable(" ".join(s for u in units for s in chunk_sources(u.chunks)), stacklevel)
        protect = self._protection()
        token_lists = [sentence_tokens(u.chunks, self.lexicon, protect) for u in units]
        out: list[RenderedSentence] = []
        for unit, ph in zip(units, self.g2p.phonemize_tokens(token_lists)):
            if ph.words:
                out.append(RenderedSentence(unit.text, ph, self.vocab.encode(ph.phonemes), unit.rate, unit.break_after))
            elif unit.break_after > 0 and out:
                last = out[-1]
                out[-1] = RenderedSentence(last.text, last.phonemized, last.ids, last.rate,
                                           round(last.break_after + unit.break_after, 6))
            elif unit.break_after > 0:
                out.append(RenderedSentence(unit.text, Phonemized((), (), ()), [], 1.0, unit.break_after))
        if not out:
            raise UnspeakableTextError(f"nothing speakable in text {_preview(source)}")
        return out
