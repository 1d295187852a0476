"""The units of marked-up text: `Chunk` (a piece of a sentence), `Sentence` (what the synthesizer renders),
and the events the inline parser (here) and the SSML walker (`ssml.py`) produce for `markup.py` to group.
Both parsers import this module; `markup.py` imports both, so imports go one way."""

from __future__ import annotations

import re
from dataclasses import dataclass

from prodiff_tts.text.errors import MarkupError
from prodiff_tts.text.phonemes import parse_pronunciation

SAY_AS_KINDS: tuple[str, ...] = ("characters", "cardinal", "ordinal", "date", "telephone")

_INLINE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


@dataclass(frozen=True)
class Chunk:
    """A piece of one sentence; exactly one of three kinds.

    * plain text: ``Chunk("some text")``, normalized and phonemized in context;
    * given phonemes: ``Chunk("hello", phonemes=("HH", "AH0", "L", "OW1"))``, one
      word, `text` being the word shown for it (word timestamps);
    * say-as: ``Chunk("1234", say_as="cardinal")``, `text` read as `say_as`
      (one of `SAY_AS_KINDS`); `format` is SSML's date format ("mdy", "dmy", ...).
    """

    text: str | None
    phonemes: tuple[str, ...] | None = None
    say_as: str | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        if self.phonemes is not None and self.say_as is not None:
            raise ValueError("a chunk has given phonemes or a say-as kind, not both")
        if self.say_as is not None and self.say_as not in SAY_AS_KINDS:
            raise ValueError(f"say_as must be one of {', '.join(SAY_AS_KINDS)}, got {self.say_as!r}")
        if self.phonemes is not None and not self.phonemes:
            raise ValueError("given phonemes must not be empty")

    @property
    def is_plain(self) -> bool:
        return self.phonemes is None and self.say_as is None


@dataclass(frozen=True)
class Sentence:
    """One unit to synthesize: `rate` multiplies the speaking rate (2.0 = twice as fast, so
    durations / 2); `break_after` is the silence in seconds requested after it by markup
    (0.0: none requested). No chunks: a unit of silence only."""

    chunks: tuple[Chunk, ...]
    rate: float = 1.0
    break_after: float = 0.0

    @property
    def text(self) -> str:
        """The unit as written: plain and say-as text, given phonemes shown as their word."""
        return " ".join(" ".join((c.text or "").split()) for c in self.chunks if c.text).strip()


# ---- events: what the SSML walker (ssml.py) and the inline parser produce -------------------------------


@dataclass(frozen=True)
class TextEvent:
    text: str
    rate: float = 1.0


@dataclass(frozen=True)
class AtomEvent:
    """A chunk that is never split (given phonemes, say-as, sub alias)."""

    chunk: Chunk
    rate: float = 1.0


@dataclass(frozen=True)
class BreakEvent:
    seconds: float


@dataclass(frozen=True)
class BoundaryEvent:
    """A forced unit boundary without silence (SSML <p>, <s>)."""


Event = TextEvent | AtomEvent | BreakEvent | BoundaryEvent


def _snippet(text: str, at: int) -> str:
    return repr(text[max(0, at - 10) : at + 30])


def inline_events(text: str, rate: float = 1.0) -> list[TextEvent | AtomEvent]:
    """Plain text with inline ``[[PHONEMES]]`` -> text and given-phoneme events.

    Raises `MarkupError` for an unclosed "[[" and `PronunciationError` for unknown symbols.
    """
    out: list[TextEvent | AtomEvent] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(TextEvent(text[pos : m.start()], rate))
        spec = m.group(1)
        if "[[" in spec:
            raise MarkupError(f"'[[' inside inline phonemes at character {m.start()}: {_snippet(text, m.start())}")
        phonemes = parse_pronunciation(spec)
        out.append(AtomEvent(Chunk(" ".join(spec.split()), phonemes=phonemes), rate))
        pos = m.end()
    rest = text[pos:]
    if "[[" in rest:
        at = pos + rest.index("[[")
        raise MarkupError(f"unclosed '[[' at character {at}: {_snippet(text, at)}; close it with ']]'")
    if rest:
        out.append(TextEvent(rest, rate))
    return out
