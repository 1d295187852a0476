"""Input text with pronunciation markup -> sentence-level units for the synthesizer.

Two kinds of markup (see docs/text.md):

* inline phonemes anywhere in the text: ``[[HH AH0 L OW1]]`` is one word whose
  phonemes are given (ARPAbet of `symbols.PHONEMES`, validated by
  `phonemes.parse_pronunciation`); the word shown for it is the bracketed
  text. There is no escape: a literal "[[" cannot be written.
* SSML-lite (`ssml.py`), when the text starts with ``<speak>`` or ``ssml=True``.

A unit is a `Sentence`: its `Chunk`s, its speaking `rate` and the silence
`break_after` it. Sentences are split by `sentences.split_sentences` on the
plain text (given words and say-as pieces never split); a `<break>` inside a
sentence splits it there, and so does a change of `<prosody rate>` or an SSML
`<p>` / `<s>` boundary. A break before any text gives a leading unit with no
chunks that is only silence; consecutive breaks add up; a break of 0 s (or
strength="none") splits nothing.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prodiff_tts.text.errors import MarkupError, MarkupWarning
from prodiff_tts.text.sentences import split_sentences
from prodiff_tts.text.units import (  # noqa: F401  (Chunk, Sentence, SAY_AS_KINDS: the public data model)
    SAY_AS_KINDS,
    AtomEvent,
    BoundaryEvent,
    BreakEvent,
    Chunk,
    Event,
    Sentence,
    TextEvent,
    inline_events,
)

_SSML_START = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?<speak[\s>/]")
# Placeholders for unsplittable chunks while sentences are split: one character
# each, from Supplementary Private Use Area-A (never an English character).
_PLACEHOLDER_BASE = 0xF0000
_PLACEHOLDER_COUNT = 0xFFFD
_PLACEHOLDER_RANGE = re.compile("[\U000f0000-\U000ffffd]")


# ---- events -> sentences ---------------------------------------------------------------------------------


@dataclass
class _Unit:
    chunks: list[Chunk] = field(default_factory=list)
    rate: float = 1.0
    break_after: float = 0.0


def _merge_plain(chunks: Iterable[Chunk]) -> tuple[Chunk, ...]:
    """Adjacent plain chunks joined with single spaces; empty text dropped."""
    out: list[Chunk] = []
    for chunk in chunks:
        if chunk.is_plain:
            text = " ".join((chunk.text or "").split())
            if not text:
                continue
            if out and out[-1].is_plain:
                out[-1] = Chunk(f"{out[-1].text} {text}")
                continue
            chunk = Chunk(text)
        out.append(chunk)
    return tuple(out)


def _split_run(parts: Sequence[TextEvent | AtomEvent], max_chars: int) -> list[list[Chunk]]:
    """Split one run of text and atoms (same rate, no break inside) into sentences of chunks."""
    atoms: list[Chunk] = []
    pieces: list[str] = []
    for part in parts:
        if isinstance(part, AtomEvent):
            if len(atoms) >= _PLACEHOLDER_COUNT:
                raise MarkupError(f"too many marked-up pieces in one passage (at most {_PLACEHOLDER_COUNT})")
            pieces.append(f" {chr(_PLACEHOLDER_BASE + len(atoms))} ")
            atoms.append(part.chunk)
        else:
            pieces.append(_PLACEHOLDER_RANGE.sub(" ", part.text))
    sentences: list[list[Chunk]] = []
    for sentence in split_sentences("".join(pieces), max_chars=max_chars):
        chunks: list[Chunk] = []
        for piece in re.split(f"({_PLACEHOLDER_RANGE.pattern})", sentence):
            if len(piece) == 1 and _PLACEHOLDER_RANGE.match(piece):
                chunks.append(atoms[ord(piece) - _PLACEHOLDER_BASE])
            elif piece.strip():
                chunks.append(Chunk(piece))
        sentences.append(chunks)
    return sentences


def build_sentences(events: Iterable[Event], max_chars: int = 300) -> list[Sentence]:
    """Group events into `Sentence`s (see the module doc for where units split)."""
    units: list[_Unit] = []
    run: list[TextEvent | AtomEvent] = []
    run_rate = 1.0

    def flush() -> None:
        for chunks in _split_run(run, max_chars):
            units.append(_Unit(chunks, run_rate))
        run.clear()

    for event in events:
        if isinstance(event, (TextEvent, AtomEvent)):
            if run and event.rate != run_rate:
                flush()
            run_rate = event.rate
            run.append(event)
        elif isinstance(event, BreakEvent):
            if event.seconds <= 0:
                continue
            flush()
            if not units:
                units.append(_Unit([], 1.0))
            units[-1].break_after += event.seconds
        else:
            flush()
    flush()
    out = []
    for unit in units:
        chunks = _merge_plain(unit.chunks)
        if chunks or unit.break_after > 0:
            out.append(Sentence(chunks, unit.rate, round(unit.break_after, 6)))
    return out


def is_ssml(text: str) -> bool:
    """Whether `text` starts with a <speak> element (optionally after an XML declaration)."""
    return _SSML_START.match(text) is not None


def parse_markup(text: str, ssml: bool | None = None, max_chars: int = 300) -> list[Sentence]:
    """Text -> sentence units, honouring inline ``[[PHONEMES]]`` and, as SSML, <speak> markup.

    `ssml=None` detects a leading <speak>; `ssml=True` parses as SSML (wrapping
    the text in <speak> when it lacks one); `ssml=False` reads "<" literally.
    Raises `MarkupError` / `PronunciationError` (both `ValueError`) for bad markup;
    warns `MarkupWarning` once per unknown tag. `max_chars` bounds a unit's plain
    text as in `split_sentences`.
    """
    return parse(text, ssml, max_chars, stacklevel=3)


def parse(text: str, ssml: bool | None, max_chars: int, stacklevel: int) -> list[Sentence]:
    """`parse_markup`, its warnings attributed `stacklevel` frames up."""
    if ssml is None:
        ssml = is_ssml(text)
    if not ssml:
        return build_sentences(inline_events(text), max_chars)
    from prodiff_tts.text.ssml import ssml_events  # xml.etree only when SSML is used

    if not is_ssml(text):
        text = f"<speak>{text}</speak>"
    events, messages = ssml_events(text)
    for message in messages:
        warnings.warn(message, MarkupWarning, stacklevel=stacklevel)
    return build_sentences(events, max_chars)
