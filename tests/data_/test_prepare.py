import json
from pathlib import Path

import pytest

from prodiff_tts.cli import main
from prodiff_tts.data.features import load_features
from prodiff_tts.data.prepare import PrepareConfig, prepare_corpus
from prodiff_tts.data.stats import FeatureStats
from prodiff_tts.text import Vocab

DATA = Path(__file__).resolve().parent.parent / "data"
TINY = DATA / "ljs_tiny"
BAD = DATA / "ljs_bad"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared")
    summary = prepare_corpus(TINY, out, PrepareConfig(val_size=2, test_size=2), jobs=2, progress=False)
    return out, summary


def test_prepare_writes_cache_manifest_vocab_stats(prepared):
    out, s = prepared
    recs = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    n_rows = len((TINY / "metadata.csv").read_text().splitlines())
    assert len(recs) == n_rows == s.prepared and not s.skipped
    assert s.splits == {"train": n_rows - 4, "val": 2, "test": 2}
    vocab = Vocab.load(out / "vocab.json")
    stats = FeatureStats.load(out / "stats.json")
    assert len(stats.mel_mean) == 80 and min(stats.mel_std) > 0 and stats.f0_std > 0
    assert 4.0 < stats.f0_mean < 6.5  # log Hz of a speaking voice
    for r in recs:
        f = load_features(out / r["feature"])
        assert f.mel.shape == (80, r["num_frames"]) == (80, len(f.log_f0)) == (80, len(f.log_energy))
        assert vocab.decode(f.phonemes.tolist()) == r["phonemes"].split()
        assert abs(r["num_frames"] * 256 / 22050 - r["seconds"]) < 256 / 22050
        assert f.voiced.any()
    assert not list(out.rglob("*.tmp"))


def test_prepare_resumes_without_recomputing(prepared, tmp_path):
    out, first = prepared
    again = prepare_corpus(TINY, out, PrepareConfig(val_size=2, test_size=2), jobs=1, progress=False)
    assert again.prepared == 0 and again.reused == first.prepared
    assert (out / "manifest.jsonl").read_text().count("\n") == first.prepared


def test_bad_items_are_reported_and_skipped(tmp_path, capsys):
    assert main(["prepare", str(BAD), str(tmp_path / "out"), "--jobs", "1", "--val-size", "1", "--test-size", "1"]) == 0
    printed = capsys.readouterr().out
    skipped = [json.loads(line) for line in (tmp_path / "out" / "skipped.jsonl").read_text().splitlines()]
    reasons = " ".join(s["skip"] for s in skipped)
    assert "missing wav" in reasons and "channels" in reasons and "empty" in reasons
    assert "metadata line" in reasons
    good = (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()
    assert len(good) >= 4
    assert "skipped" in printed and "clips/s" in printed


def test_prepare_cli_rejects_a_missing_corpus(tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "nope"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tts: error:") and err.count("\n") == 1
