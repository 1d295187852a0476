"""The fixed phoneme inventory and the `Vocab` that maps it to integer ids.

Inventory (75 symbols, in id order):
  0       "<pad>"                  padding; models use padding_idx=0
  1-5     "," "." "?" "!" "<sp>"   boundary tokens
  6-50    the 15 CMUdict vowels, each with stress 0/1/2 (AA0 AA1 AA2 ... UW2)
  51-74   the 24 CMUdict consonants (B CH D ... ZH)

Boundaries: "," is a comma pause; "." "?" "!" end a sentence (each has its
own intonation); "<sp>" is a clause pause for ";" and ":". Dashes and
parentheses become "," in `normalize_text`.

The order is part of every trained model: append new symbols, never reorder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..fileio import atomic_write

PAD = "<pad>"
SHORT_PAUSE = "<sp>"
BOUNDARIES: tuple[str, ...] = (",", ".", "?", "!", SHORT_PAUSE)
SENTENCE_FINAL: frozenset[str] = frozenset({".", "?", "!"})

VOWELS: tuple[str, ...] = (
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW",
)
CONSONANTS: tuple[str, ...] = (
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
    "T", "TH", "V", "W", "Y", "Z", "ZH",
)
PHONEMES: tuple[str, ...] = tuple(v + s for v in VOWELS for s in "012") + CONSONANTS
SYMBOLS: tuple[str, ...] = (PAD, *BOUNDARIES, *PHONEMES)

_FORMAT = "prodiff-tts-vocab"
_VERSION = 1


class Vocab:
    """Bijection between symbols and ids; id 0 is always `PAD`."""

    def __init__(self, symbols: Sequence[str]) -> None:
        symbols = tuple(symbols)
        if not symbols or symbols[0] != PAD:
            raise ValueError(f"a vocabulary must start with the pad token {PAD!r} at id 0")
        if not all(isinstance(s, str) and s for s in symbols):
            raise ValueError("vocabulary symbols must be non-empty strings")
        if len(set(symbols)) != len(symbols):
            dupes = sorted({s for s in symbols if symbols.count(s) > 1})
            raise ValueError(f"duplicate symbols in vocabulary: {dupes}")
        self._symbols = symbols
        self._ids = {s: i for i, s in enumerate(symbols)}

    @classmethod
    def default(cls) -> Vocab:
        """The vocabulary of `SYMBOLS`."""
        return cls(SYMBOLS)

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._symbols

    @property
    def pad_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self._symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other._symbols == self._symbols

    def __hash__(self) -> int:
        return hash(self._symbols)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} symbols)"

    def encode(self, phonemes: Sequence[str]) -> list[int]:
        """Symbols -> ids; ValueError naming every unknown symbol."""
        try:
            return [self._ids[p] for p in phonemes]
        except KeyError:
            unknown = sorted({p for p in phonemes if p not in self._ids})
            raise ValueError(f"symbols not in the vocabulary: {unknown}") from None

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> symbols; ValueError for an id outside the vocabulary."""
        out = []
        for i in ids:
            i = int(i)  # accepts numpy / torch integer scalars
            if not 0 <= i < len(self._symbols):
                raise ValueError(f"id {i} outside the vocabulary (size {len(self)})")
            out.append(self._symbols[i])
        return out

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write JSON atomically (temp file + os.replace): a crash never leaves half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": _FORMAT, "version": _VERSION, "symbols": list(self._symbols)}
        text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
        atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        """Read a file written by `save`; FileNotFoundError / ValueError with the path."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"vocabulary file not found: {path}") from None
        try:
            payload = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"corrupt vocabulary file {path}: not valid JSON ({e})") from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(f"corrupt vocabulary file {path}: not a {_FORMAT} file")
        if payload.get("version") != _VERSION:
            raise ValueError(f"vocabulary file {path} has unsupported version {payload.get('version')!r}")
        symbols = payload.get("symbols")
        if not isinstance(symbols, list):
            raise ValueError(f"corrupt vocabulary file {path}: 'symbols' must be a list")
        try:
            return cls(symbols)
        except ValueError as e:
            raise ValueError(f"corrupt vocabulary file {path}: {e}") from None
