"""Subtitles from word timings: SubRip (``.srt``) and WebVTT (``.vtt``).

Words are grouped into cues of at most :data:`MAX_WORDS` words and :data:`MAX_SECONDS` seconds, never across
the end of a sentence; a cue runs from its first word's start to its last word's end. Only the standard
library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .timestamps import WordTiming

__all__ = ["Cue", "SUBTITLE_SUFFIXES", "MAX_SECONDS", "MAX_WORDS", "format_subtitles", "subtitle_cues",
           "subtitle_format"]

MAX_WORDS = 7
MAX_SECONDS = 3.5
SUBTITLE_SUFFIXES = {".srt": "srt", ".vtt": "vtt"}


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def subtitle_format(path: str | Path) -> str:
    """"srt" or "vtt" from the file's suffix; ValueError for another one."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUBTITLE_SUFFIXES:
        raise ValueError(f"subtitles must be a .srt or .vtt file, got {Path(path).name}")
    return SUBTITLE_SUFFIXES[suffix]


def subtitle_cues(words: Sequence[WordTiming], max_words: int = MAX_WORDS,
                  max_seconds: float = MAX_SECONDS) -> list[Cue]:
    """Words -> cues: a new cue at each new sentence, after ``max_words`` words, or when the next word would end
    more than ``max_seconds`` after the cue's start (a single longer word has a cue of its own)."""
    cues: list[Cue] = []
    group: list[WordTiming] = []

    def flush() -> None:
        if group:
            cues.append(Cue(group[0].start, max(group[-1].end, group[0].start), " ".join(w.word for w in group)))
            group.clear()

    for w in words:
        if group and (w.sentence != group[0].sentence or len(group) >= max_words
                      or w.end - group[0].start > max_seconds):
            flush()
        group.append(w)
    flush()
    return cues


def _clock(seconds: float, separator: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def format_subtitles(words: Sequence[WordTiming], fmt: str) -> str:
    """The text of a ``fmt`` ("srt" or "vtt") subtitle file for ``words``."""
    if fmt not in ("srt", "vtt"):
        raise ValueError(f"subtitle format must be 'srt' or 'vtt', got {fmt!r}")
    sep = "," if fmt == "srt" else "."
    blocks = [] if fmt == "srt" else ["WEBVTT\n"]
    for i, cue in enumerate(subtitle_cues(words), 1):
        timing = f"{_clock(cue.start, sep)} --> {_clock(cue.end, sep)}"
        text = cue.text if fmt == "srt" else cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{i}\n{timing}\n{text}\n")
    return "\n".join(blocks)
