"""One manifest reader (prodiff_tts.data.dataset.read_manifest) for the acoustic and the vocoder data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prodiff_tts.data.dataset import read_manifest


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n", encoding="utf-8")
    return path


def test_rows_of_a_split_and_wav_paths_resolved_against_the_manifest(tmp_path: Path) -> None:
    m = _write(tmp_path / "manifest.jsonl", [{"id": "a", "split": "train", "wav": "wavs/a.wav"},
                                             {"id": "b", "split": "val", "wav": "/abs/b.wav"}])
    assert [r["id"] for r in read_manifest(m)] == ["a", "b"]
    assert read_manifest(m, "val") == [{"id": "b", "split": "val", "wav": "/abs/b.wav"}]
    assert read_manifest(m)[0]["wav"] == "wavs/a.wav"  # as written unless asked
    rows = read_manifest(m, resolve_wav=True)
    assert [r["wav"] for r in rows] == [str(tmp_path / "wavs" / "a.wav"), "/abs/b.wav"]


def test_missing_file_bad_json_and_missing_wav(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run `tts prepare`"):
        read_manifest(tmp_path / "none.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "split": "train"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:2: invalid JSON"):
        read_manifest(bad)
    m = _write(tmp_path / "m.jsonl", [{"id": "a", "split": "train"}])
    assert read_manifest(m) == [{"id": "a", "split": "train"}]
    with pytest.raises(ValueError, match="m.jsonl:1: row has no 'wav'"):
        read_manifest(m, resolve_wav=True)
