import numpy as np
import pytest

from prodiff_tts.bench.bootstrap import ItemStatistics, format_differences, paired_bootstrap, redraw_weights
from prodiff_tts.bench.metrics import error_rate, frame_statistics, frechet_distance
from prodiff_tts.bench.oversmoothing import embedding_frechet, gv_ratio, ms_distance


def _mels(rng, n, scale=1.0, bands=6):
    return [rng.normal(size=(bands, int(rng.integers(40, 150)))) * scale for _ in range(n)]


def _emb(rng, n, shift=0.0, dim=5):
    return [rng.normal(size=(int(rng.integers(5, 30)), dim)) + shift for _ in range(n)]


def test_every_item_once_gives_the_reports_values():
    rng = np.random.default_rng(0)
    heard, recorded = _mels(rng, 7, 0.8), _mels(rng, 7)
    emb, ref_emb = _emb(rng, 7, 0.3), _emb(rng, 7)
    texts = ["the cat sat on the mat", "a b c", "hello there world", "one two", "x y z w", "red", "go on now"]
    hyps = ["the cat sat on a mat", "a b c", "hello world", "one two three", "x y z w", "bed", "go on now"]
    row = ItemStatistics(heard, emb, texts, hyps, [3.0, None, 2.5, 3.5, 2.0, 3.0, 1.0])
    ref = ItemStatistics(recorded, ref_emb)
    ones = np.ones((1, 7))
    got = {k: float(v[0]) for k, v in row.measures(ones, ref).items()}
    assert got["wer"] == pytest.approx(error_rate(texts, hyps, "word"))
    assert got["cer"] == pytest.approx(error_rate(texts, hyps, "char"))
    assert got["dnsmos_ovrl"] == pytest.approx(np.mean([3.0, 2.5, 3.5, 2.0, 3.0, 1.0]))
    assert got["gv_ratio"] == pytest.approx(gv_ratio(heard, recorded)[0], rel=1e-9)
    assert got["ms_distance_db"] == pytest.approx(ms_distance(heard, recorded)[0], rel=1e-9)
    assert got["frechet_mel"] == pytest.approx(
        frechet_distance(*frame_statistics(heard), *frame_statistics(recorded)), rel=1e-6)
    assert got["frechet_whisper"] == pytest.approx(embedding_frechet(emb, ref_emb), rel=1e-6)


def test_weights_are_redraws_of_the_items():
    w = redraw_weights(9, 50, np.random.default_rng(1))
    assert w.shape == (51, 9)
    assert (w[0] == 1).all() and (w.sum(1) == 9).all()
    assert len({tuple(r) for r in w[1:]}) > 40


def test_a_row_against_itself_is_level_and_a_clearly_worse_row_is_behind():
    rng = np.random.default_rng(2)
    recorded = _mels(rng, 30)
    texts = ["one two three four five"] * 30
    good = ItemStatistics(_mels(rng, 30), texts=texts, transcripts=texts)
    bad_hyps = ["one two tree for five"] * 25 + texts[:5]
    bad = ItemStatistics([m * 0.3 for m in _mels(rng, 30)], texts=texts, transcripts=bad_hyps)
    out = paired_bootstrap([good, good, bad], ItemStatistics(recorded), resamples=200)
    same, worse = out["differences"][1], out["differences"][2]
    assert out["differences"][0] is None
    assert all(d["verdict"] == "level" and d["difference"] == 0 for d in same.values())
    assert worse["wer"]["verdict"] == "behind" and worse["wer"]["difference"] == pytest.approx(50 / 150)
    assert worse["gv_ratio"]["verdict"] == "behind"  # over-smoothed: GV far below 1
    lo, hi = out["rows"][0]["gv_ratio"]
    assert lo < hi
    lines = format_differences(out, ["a", "a again", "smoothed"])
    assert "| smoothed |" in lines[-1] and "behind" in lines[-1]


def test_interval_narrows_with_more_items():
    rng = np.random.default_rng(3)

    def width(n):
        q = list(rng.normal(3.0, 0.5, size=n))
        return np.diff(paired_bootstrap([ItemStatistics(dnsmos=q)], resamples=400)["rows"][0]["dnsmos_ovrl"])[0]

    assert width(200) < 0.6 * width(20)


def test_unpaired_reference_and_bad_input():
    rng = np.random.default_rng(4)
    row = ItemStatistics(_mels(rng, 6))
    out = paired_bootstrap([row], ItemStatistics(_mels(rng, 9)), resamples=20)
    assert out["paired_reference"] is False and "gv_ratio" in out["rows"][0]
    with pytest.raises(ValueError, match="same items"):
        paired_bootstrap([row, ItemStatistics(_mels(rng, 5))])
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap([row], resamples=1)
    with pytest.raises(ValueError, match="one transcript each"):
        ItemStatistics(texts=["a", "b"], transcripts=["a"])


def test_randomization_keeps_frechet_honest():
    """Two rows drawn from the same distribution are level on the Fréchet distance; a shifted one is behind."""
    from prodiff_tts.bench.bootstrap import randomization_test

    rng = np.random.default_rng(5)
    ref = ItemStatistics(embeddings=_emb(rng, 40))
    a, b, shifted = (ItemStatistics(embeddings=_emb(rng, 40, s)) for s in (0.0, 0.0, 0.6))
    assert randomization_test(a, b, ref, rounds=200)["frechet_whisper"] > 0.05
    assert randomization_test(a, shifted, ref, rounds=200)["frechet_whisper"] < 0.01
    out = paired_bootstrap([a, b, shifted], ref, resamples=200)
    assert out["differences"][1]["frechet_whisper"]["verdict"] == "level"
    assert out["differences"][2]["frechet_whisper"]["verdict"] == "behind"
