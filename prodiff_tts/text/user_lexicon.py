"""A user lexicon: word -> pronunciation, consulted before CMUdict and espeak.

File format (UTF-8, one entry a line):

    # comment lines and blank lines are ignored
    nvidia<TAB>EH0 N V IH1 D IY0 AH0
    SQL     S IY1 K W AH0 L

The word is the first field (no spaces inside; matched case-insensitively),
the pronunciation the rest of the line: ARPAbet of `symbols.PHONEMES`,
validated as in `phonemes.py` (a vowel without stress digit gets one). A tab
separates the fields; CMUdict-style spaces are accepted too. A " #" starts a
comment anywhere. A word listed twice with different pronunciations is an
error naming both lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from prodiff_tts.text.errors import LexiconError, PronunciationError
from prodiff_tts.text.phonemes import parse_pronunciation

Pronunciation = tuple[str, ...]


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    for sep in (" #", "\t#"):
        cut = line.find(sep)
        if cut >= 0:
            line = line[:cut]
    return line.rstrip()


class Lexicon(Mapping[str, Pronunciation]):
    """Lowercase word -> phonemes. Build from a mapping or `Lexicon.load(path)`."""

    def __init__(self, entries: Mapping[str, str | Pronunciation] | None = None, source: str = "lexicon") -> None:
        self.source = source
        self._entries: dict[str, Pronunciation] = {}
        for word, pron in (entries or {}).items():
            key = word.strip().lower()
            if not key or any(ch.isspace() for ch in key):
                raise LexiconError(f"{source}: a word must be non-empty and without spaces, got {word!r}")
            spec = pron if isinstance(pron, str) else " ".join(pron)
            try:
                self._entries[key] = parse_pronunciation(spec)
            except PronunciationError as e:
                raise LexiconError(f"{source}: word {word!r}: {e}") from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Lexicon:
        """Read a lexicon file (see the module doc); errors name the file and the line."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise FileNotFoundError(f"lexicon file not found: {path}") from None
        except UnicodeDecodeError as e:
            raise LexiconError(f"lexicon {path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
        lexicon = cls(source=str(path))
        first_line: dict[str, int] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = _strip_comment(raw)
            if not line.strip():
                continue
            word, _, spec = line.partition("\t") if "\t" in line else line.strip().partition(" ")
            word, spec = word.strip(), spec.strip()
            if not word or not spec:
                raise LexiconError(f"lexicon {path} line {number}: expected 'word<TAB>PHONEMES', got {raw.strip()!r}")
            if any(ch.isspace() for ch in word):
                raise LexiconError(f"lexicon {path} line {number}: a word cannot contain spaces, got {word!r}")
            try:
                pron = parse_pronunciation(spec)
            except PronunciationError as e:
                raise LexiconError(f"lexicon {path} line {number}: {e}") from None
            key = word.lower()
            if key in lexicon._entries and lexicon._entries[key] != pron:
                raise LexiconError(
                    f"lexicon {path} line {number}: {word!r} is already on line {first_line[key]} "
                    "with another pronunciation"
                )
            first_line.setdefault(key, number)
            lexicon._entries[key] = pron
        return lexicon

    def __getitem__(self, word: str) -> Pronunciation:
        return self._entries[word.lower()]

    def get(self, word: str, default: Pronunciation | None = None) -> Pronunciation | None:  # type: ignore[override]
        return self._entries.get(word.lower(), default)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Lexicon({len(self)} words from {self.source})"
