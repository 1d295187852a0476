"""Reader for LJSpeech-format corpora: ``metadata.csv`` (``id|text|normalized text``) and ``wavs/<id>.wav``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CorpusError(ValueError):
    """The corpus directory does not have the LJSpeech layout."""


@dataclass(frozen=True)
class Utterance:
    id: str
    text: str
    normalized_text: str
    wav_path: Path


@dataclass(frozen=True)
class MetadataProblem:
    line: int
    id: str
    reason: str


def read_metadata(corpus_dir: str | Path) -> tuple[list[Utterance], list[MetadataProblem]]:
    """Parse metadata.csv. Rows that cannot be used are returned as problems, never raised.

    The third column may be missing (then the raw text is used, as our frontend normalizes it anyway);
    a row with fewer than two columns, an empty id or text, a duplicate id, or bytes that are not UTF-8
    is a problem. A missing wav is not checked here: ``prepare`` reports it with the other audio problems.
    """
    corpus_dir = Path(corpus_dir)
    meta = corpus_dir / "metadata.csv"
    if not meta.is_file():
        raise CorpusError(f"{corpus_dir} is not an LJSpeech-format corpus: {meta} not found")
    if not (corpus_dir / "wavs").is_dir():
        raise CorpusError(f"{corpus_dir} is not an LJSpeech-format corpus: {corpus_dir / 'wavs'} not found")
    utterances: list[Utterance] = []
    problems: list[MetadataProblem] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(meta.read_bytes().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(MetadataProblem(lineno, "?", "not valid UTF-8"))
            continue
        cols = line.split("|")
        uid = cols[0].strip()
        if len(cols) < 2:
            problems.append(MetadataProblem(lineno, uid or "?", "missing text column"))
            continue
        text = cols[1].strip()
        normalized = cols[2].strip() if len(cols) > 2 and cols[2].strip() else text
        if not uid or not text:
            problems.append(MetadataProblem(lineno, uid or "?", "empty id or text"))
            continue
        if "/" in uid or uid.startswith("."):
            problems.append(MetadataProblem(lineno, uid, "id is not a plain file name"))
            continue
        if uid in seen:
            problems.append(MetadataProblem(lineno, uid, "duplicate id"))
            continue
        seen.add(uid)
        utterances.append(Utterance(uid, text, normalized, corpus_dir / "wavs" / f"{uid}.wav"))
    if not utterances and not problems:
        raise CorpusError(f"{meta} has no rows")
    return utterances, problems
