"""The alignment-file reader (prodiff_tts.data.alignments) and the alignments of the ljs_tiny fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from prodiff_tts.data.alignments import read_alignment

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "ljs_tiny"
PUNCT = {",", ".", "?", "!", ";", ":"}


def _metadata(path: Path) -> list[list[str]]:
    return [line.split("|") for line in path.read_text(encoding="utf-8").splitlines()]


def test_read_alignment(tmp_path: Path) -> None:
    p = tmp_path / "a.words"
    p.write_text("0.4000\thello\n0.8650\tworld\n\n3.0500\tit's\n", encoding="utf-8")
    assert read_alignment(p) == [(0.4, "hello"), (0.865, "world"), (3.05, "it's")]
    p.write_text("0.4 hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="end_time<TAB>label"):
        read_alignment(p)
    p.write_text("x\thello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad end time"):
        read_alignment(p)
    p.write_text("0.5\ta\n0.4\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="decrease"):
        read_alignment(p)


def test_ljs_tiny_fixture() -> None:
    rows = _metadata(TINY / "metadata.csv")
    assert len(rows) == 20
    assert all(len(r) == 3 for r in rows)
    ids = [r[0] for r in rows]
    assert ids == sorted(set(ids))
    assert sum(f.stat().st_size for f in TINY.rglob("*") if f.is_file()) <= 2_000_000
    assert any(any(c.isdigit() for c in r[1]) for r in rows)  # a number
    assert any(("Dr." in r[1] or "Mr." in r[1]) for r in rows)  # an abbreviation
    for clip_id, raw, norm in rows:
        assert 3 <= len(raw.split()) <= 7
        assert norm == norm.lower() and norm.strip() == norm
        info = sf.info(str(TINY / "wavs" / f"{clip_id}.wav"))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (22050, 1, "PCM_16", "WAV")
        duration = info.frames / info.samplerate
        words = read_alignment(TINY / "alignments" / f"{clip_id}.words")
        segs = read_alignment(TINY / "alignments" / f"{clip_id}.segs")
        # Festival speaks the normalized text: its words are the normalized tokens.
        assert [w for _, w in words] == [t for t in norm.split() if t not in PUNCT]
        # The phone labels end with the audio; after the last word only a pause follows.
        assert segs[-1][0] == pytest.approx(duration, abs=0.02)
        last_phone = max(t for t, p in segs if p != "pau")
        assert words[-1][0] == pytest.approx(last_phone, abs=1e-3)
        assert 0.0 <= duration - words[-1][0] <= 0.3
        assert segs[0][1] == "pau"
