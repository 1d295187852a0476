"""Sentence units (`markup.Sentence`) -> G2P token lists, with given words spliced in.

A sentence is normalized as one text so that context rules still work around
marked-up pieces ("Dr. [[S M IH1 TH]]" is "doctor ..."): every piece whose
reading is already decided (given phonemes, say-as, a user-lexicon word the
normalizer would otherwise rewrite) is replaced by a placeholder word of
letters that no normalization rule touches, and the placeholder's token is
swapped for the piece's tokens afterwards. A placeholder is capitalised when
the piece starts with a capital, so sentence and title rules see a name.

User-lexicon words that normalization leaves alone ("nvidia") are simply found
by the G2P; those it would rewrite ("SQL" spelled as an acronym, "C++",
"911") are protected this way in the raw text, matched case-insensitively as
whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from prodiff_tts.text.g2p import GivenWord, Phonemized, split_tokens
from prodiff_tts.text.units import Chunk
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.say_as import say_as_tokens

Token = str | GivenWord
_PLAIN_LONG_WORD = re.compile(r"[a-z']{6,}")


@dataclass(frozen=True)
class RenderedSentence:
    """One unit ready for the acoustic model.

    `phonemized` / `ids` are empty for a unit of silence only (a break before any
    speech); `rate` multiplies the speaking rate; `break_after` is the silence in
    seconds requested by markup after the unit (0.0: none requested).
    """

    text: str
    phonemized: Phonemized
    ids: list[int]
    rate: float = 1.0
    break_after: float = 0.0

    @property
    def is_silence(self) -> bool:
        return not self.phonemized.phonemes


def _letters(n: int) -> str:
    """0 -> "a", 15 -> "p", 16 -> "ba": base 16 in the letters a..p."""
    out = ""
    while True:
        n, digit = divmod(n, 16)
        out = "abcdefghijklmnop"[digit] + out
        if not n:
            return out


class Placeholders:
    """Placeholder words for pieces whose tokens are already known."""

    def __init__(self, sources: Iterable[str]) -> None:
        seen = " ".join(sources).lower()
        prefix = "qzx"
        while prefix in seen:
            prefix += "j"
        self._prefix = prefix
        self._tokens: dict[str, list[Token]] = {}

    def add(self, tokens: list[Token], shown: str) -> str:
        """A placeholder (padded with spaces) to put in the text where `tokens` go."""
        word = self._prefix + _letters(len(self._tokens))
        self._tokens[word] = tokens
        return f" {word.capitalize() if shown[:1].isupper() else word} "

    def expand(self, tokens: Iterable[str]) -> list[Token]:
        out: list[Token] = []
        for tok in tokens:
            out.extend(self._tokens.get(tok, (tok,)))
        return out


def needs_protection(word: str) -> bool:
    """Whether normalization would rewrite the lexicon word `word` (in some capitalisation)."""
    if _PLAIN_LONG_WORD.fullmatch(word):
        return False  # letters only and too long to be an acronym: left as it is
    return normalize_text(word) != word or normalize_text(word.upper()) != word


def protection_pattern(lexicon: Mapping[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    """Regex of the lexicon words to protect from normalization (None if there are none)."""
    words = sorted((w for w in lexicon if needs_protection(w)), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)


def chunk_sources(chunks: Sequence[Chunk]) -> list[str]:
    """The texts of `chunks` that are read (plain and say-as text), for warnings and placeholders."""
    return [c.text for c in chunks if c.text and c.phonemes is None]


def sentence_tokens(
    chunks: Sequence[Chunk],
    lexicon: Mapping[str, tuple[str, ...]] | None = None,
    protect: re.Pattern[str] | None = None,
) -> list[Token]:
    """G2P tokens of one unit: plain text normalized in context, given pieces spliced in."""
    slots = Placeholders(chunk_sources(chunks))
    parts: list[str] = []
    for chunk in chunks:
        text = chunk.text or ""
        if chunk.phonemes is not None:
            shown = " ".join(text.split()) or " ".join(chunk.phonemes)
            parts.append(slots.add([GivenWord(shown, chunk.phonemes)], shown))
        elif chunk.say_as is not None:
            parts.append(slots.add(say_as_tokens(chunk.say_as, text, chunk.format), text))
        elif protect is not None and lexicon is not None:
            parts.append(protect.sub(lambda m: slots.add([GivenWord(m.group(0), tuple(lexicon[m.group(0).lower()]))],
                                                         m.group(0)), text))
        else:
            parts.append(text)
    return slots.expand(split_tokens(normalize_text(" ".join(parts))))
