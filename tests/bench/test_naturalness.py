"""--mos dnsmos: reference-free quality prediction with the DNSMOS models of the speechmos wheel."""

import json

import numpy as np
import pytest

from prodiff_tts.bench.naturalness import MOS_COLUMNS, MOSUnavailableError, make_mos_predictor, mean_scores
from prodiff_tts.cli import main

pytest.importorskip("speechmos")


@pytest.fixture(scope="module")
def dnsmos():
    return make_mos_predictor("dnsmos", threads=1)


def _voiced(seconds: float, sr: int = 22050, f0: float = 120.0) -> np.ndarray:
    """A crude vowel: harmonics of f0 with a 1/k spectrum under a 4 Hz syllable envelope."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 30) if f0 * k < sr / 2)
    return (0.3 * x / np.abs(x).max() * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def test_noise_lowers_the_predicted_scores(dnsmos):
    clean = _voiced(3.0)
    noisy = clean + np.random.default_rng(0).normal(0, 0.1, clean.shape).astype(np.float32)
    a, b = dnsmos.score(clean, 22050), dnsmos.score(noisy, 22050)
    assert set(a) == set(MOS_COLUMNS) and all(1.0 <= v <= 5.0 for v in (*a.values(), *b.values()))
    assert b["dnsmos_bak"] < a["dnsmos_bak"] - 0.5 and b["dnsmos_ovrl"] < a["dnsmos_ovrl"]


def test_short_clips_are_looped_and_too_short_ones_refused(dnsmos):
    assert 1.0 <= dnsmos.score(_voiced(0.5), 22050)["dnsmos_ovrl"] <= 5.0
    with pytest.raises(ValueError, match="too short for DNSMOS"):
        dnsmos.score(np.zeros(100, np.float32), 22050)


def test_unknown_predictor_and_means():
    with pytest.raises(MOSUnavailableError, match="unknown quality predictor 'utmos'"):
        make_mos_predictor("utmos")
    rows = [{c: 2.0 for c in MOS_COLUMNS}, None, {c: 4.0 for c in MOS_COLUMNS}]
    assert mean_scores(rows) == {c: 3.0 for c in MOS_COLUMNS}
    assert mean_scores([None]) == {c: None for c in MOS_COLUMNS}


def test_vocoder_evaluation_columns(prepared_tiny, tmp_path, capsys):
    out = tmp_path / "voc.json"
    assert main(["evaluate-vocoder", str(prepared_tiny), "--vocoders", "griffin-lim", "--items", "2",
                 "--threads", "1", "--mos", "--json", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "DNSMOS OVRL | SIG | P.808 |" in stdout and "on the recordings themselves OVRL" in stdout
    r = json.loads(out.read_text())
    (row,) = r["results"]
    assert r["mos"]["engine"] == "dnsmos" and 1.0 <= r["mos"]["recordings"]["dnsmos_ovrl"] <= 5.0
    assert 1.0 <= row["dnsmos_sig"] <= 5.0 and all(set(it["dnsmos"]) == set(MOS_COLUMNS) for it in row["per_item"])
    # the recordings are the ceiling of their own resynthesis
    assert row["dnsmos_ovrl"] <= r["mos"]["recordings"]["dnsmos_ovrl"] + 0.3


def test_bundle_evaluation_columns(tiny_bundle, prepared_tiny, tmp_path, capsys):
    out = tmp_path / "ev.json"
    assert main(["evaluate", "--model", str(tiny_bundle), "--data", str(prepared_tiny), "--items", "1",
                 "--steps", "4", "--schedules", "uniform", "--threads", "1", "--mos", "--json", str(out)]) == 0
    assert "DNSMOS OVRL" in capsys.readouterr().out
    r = json.loads(out.read_text())
    assert r["mos"]["recordings"] is not None and r["results"][0]["dnsmos_p808"] is not None
    without = tmp_path / "plain.json"
    assert main(["evaluate", "--model", str(tiny_bundle), "--data", str(prepared_tiny), "--items", "1",
                 "--steps", "4", "--schedules", "uniform", "--threads", "1", "--json", str(without)]) == 0
    plain = json.loads(without.read_text())
    assert plain["mos"] is None and plain["results"][0]["dnsmos_ovrl"] is None
