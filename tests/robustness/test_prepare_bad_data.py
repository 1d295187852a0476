"""`tts prepare` on a corpus built in tmp: a clip at another sample rate, a row whose wav does not exist, a
silent clip; the cache is not reused across changed settings; temp files of a killed run are removed."""

import json

import numpy as np
import pytest
import soundfile as sf
import soxr

pytestmark = pytest.mark.slow


def _build(dst, make_corpus):
    """4 good clips, RATE-1 (the first good clip at 16 kHz), SILENT-1 (1.5 s of zeros), NOWAV-1 (no wav)."""
    ids = make_corpus(dst, copies=1, prefix="OK")[:4]
    rows = [r for r in (dst / "metadata.csv").read_text().splitlines() if r.split("|")[0] in ids]
    for p in (dst / "wavs").iterdir():
        if p.stem not in ids:
            p.unlink()
    wav, sr = sf.read(dst / "wavs" / f"{ids[0]}.wav", dtype="float32")
    sf.write(dst / "wavs" / "RATE-1.wav", soxr.resample(wav, sr, 16000), 16000, subtype="PCM_16")
    sf.write(dst / "wavs" / "SILENT-1.wav", np.zeros(int(1.5 * sr), dtype=np.float32), sr, subtype="PCM_16")
    text = rows[0].split("|", 1)[1]
    rows += [f"RATE-1|{text}", f"SILENT-1|{text}", f"NOWAV-1|{text}"]
    (dst / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return ids


def _skipped(out):
    return {s["id"]: s["skip"] for s in map(json.loads, (out / "skipped.jsonl").read_text().splitlines())}


def _manifest(out):
    return {r["id"]: r for r in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}


def test_resample_silence_missing_wav_and_changed_settings(tmp_path, tts, make_corpus):
    from prodiff_tts.data.features import load_features

    src, out = tmp_path / "corpus", tmp_path / "out"
    good = _build(src, make_corpus)
    args = ["--jobs", "1", "--val-size", "1", "--test-size", "1"]

    # default: the 16 kHz clip is resampled and reported; the silent clip and the missing wav are skipped
    code, printed, err = tts("prepare", src, out, *args)
    assert code == 0, err
    assert "resampled 1 clips" in printed
    manifest, skipped = _manifest(out), _skipped(out)
    assert set(manifest) == {*good, "RATE-1"}
    assert skipped == {"SILENT-1": "silent", "NOWAV-1": "missing wav"}
    assert "skipped     1  silent" in printed and "skipped     1  missing wav" in printed
    rate = load_features(out / manifest["RATE-1"]["feature"])
    ref = load_features(out / manifest[good[0]]["feature"])
    assert abs(rate.mel.shape[1] - ref.mel.shape[1]) <= 2  # same clip, same length after resampling
    assert np.abs(rate.mel.astype(np.float32).mean() - ref.mel.astype(np.float32).mean()) < 0.5

    # a kill mid-write leaves a temp file beside the cache: the next run removes it
    stale = out / "features" / f".{good[1]}.npz.abc123.tmp"
    stale.write_bytes(b"half a file")

    # --no-resample into the same directory: the cache was made with other settings, so nothing of it is
    # reused (the resampled clip must not survive), and the 16 kHz clip is now skipped with its reason
    code, printed, err = tts("prepare", src, out, *args, "--no-resample")
    assert code == 0, err
    assert not stale.exists() and not list(out.rglob("*.tmp"))
    assert "discarded 5 cached clips" in printed and "reused 0" in printed
    manifest, skipped = _manifest(out), _skipped(out)
    assert set(manifest) == set(good)
    assert skipped["RATE-1"] == "sample rate 16000 != 22050"
    assert not (out / "features" / "RATE-1.npz").exists()
    assert json.loads((out / "prepare.json").read_text())["resample"] is False

    # same settings again: everything is reused
    code, printed, _ = tts("prepare", src, out, *args, "--no-resample")
    assert code == 0 and f"reused {len(good)}" in printed and "discarded" not in printed
