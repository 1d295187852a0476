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


# LJSpeech 1.1 as published (https://keithito.com/LJ-Speech-Dataset/). The archive digest is the one
# several public recipes verify; the metadata.csv digest is from a public record of the extracted files.
LJSPEECH_URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
LJSPEECH_ARCHIVE_SHA256 = "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"
LJSPEECH_METADATA_SHA256 = "852bce5c79e5184ba5bf2ea98aad4bcf49a5d787def5fd1f04fa2ab8aa6dc535"
LJSPEECH_CLIPS = 13100


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def check_ljspeech(corpus_dir: str | Path, strict_checksum: bool = True) -> dict:
    """Checks a downloaded LJSpeech 1.1: layout, clip count, metadata checksum, every wav present.

    Raises CorpusError with what is wrong and where to get the corpus. Returns a small report.
    """
    corpus_dir = Path(corpus_dir)
    hint = f"download and unpack {LJSPEECH_URL} (sha256 {LJSPEECH_ARCHIVE_SHA256[:16]}...)"
    if not (corpus_dir / "metadata.csv").is_file() or not (corpus_dir / "wavs").is_dir():
        raise CorpusError(f"{corpus_dir} is not LJSpeech-1.1 (expected metadata.csv and wavs/): {hint}")
    digest = sha256_file(corpus_dir / "metadata.csv")
    utts, problems = read_metadata(corpus_dir)
    if len(utts) != LJSPEECH_CLIPS or problems:
        raise CorpusError(f"{corpus_dir}/metadata.csv has {len(utts)} usable rows and {len(problems)} bad ones; "
                          f"LJSpeech-1.1 has {LJSPEECH_CLIPS}: {hint}")
    if strict_checksum and digest != LJSPEECH_METADATA_SHA256:
        raise CorpusError(f"{corpus_dir}/metadata.csv sha256 {digest} differs from LJSpeech-1.1's "
                          f"({LJSPEECH_METADATA_SHA256}); use --no-strict-checksum for a modified copy")
    missing = [u.id for u in utts if not u.wav_path.is_file()]
    if missing:
        raise CorpusError(f"{len(missing)} wavs missing under {corpus_dir}/wavs (first: {missing[0]}.wav): {hint}")
    return {"clips": len(utts), "metadata_sha256": digest}
