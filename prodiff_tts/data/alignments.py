"""Reader of alignment files: ``end_time_seconds<TAB>label`` per line, as the demo corpus builder writes
them (``alignments/ID.words``, ``alignments/ID.segs``; see ``egs/demo/local/festival.py``)."""

from __future__ import annotations

import os

__all__ = ["read_alignment"]


def read_alignment(path: str | os.PathLike[str]) -> list[tuple[float, str]]:
    """Read an alignment TSV (``end_time_seconds<TAB>label`` per line) -> [(end_s, label), ...]."""
    out: list[tuple[float, str]] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            end, sep, label = line.partition("\t")
            if not sep or not label:
                raise ValueError(f"{path}:{lineno}: expected 'end_time<TAB>label', got {line!r}")
            try:
                t = float(end)
            except ValueError:
                raise ValueError(f"{path}:{lineno}: bad end time {end!r}") from None
            if out and t < out[-1][0]:
                raise ValueError(f"{path}:{lineno}: end times must not decrease ({t} < {out[-1][0]})")
            out.append((t, label))
    return out
