import numpy as np
import pytest

from prodiff_tts.bench.metrics import f0_errors, frame_statistics, frechet_distance, mcd, mel_l1


def random_mel(t=120, seed=0):
    rng = np.random.default_rng(seed)
    base = np.cumsum(rng.normal(size=(80, t)), axis=1) * 0.05
    return base - 5.0


def test_mcd_of_identical_is_zero_and_grows_with_noise():
    m = random_mel()
    assert mcd(m, m) == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(1)
    values = [mcd(m, m + s * rng.normal(size=m.shape)) for s in (0.05, 0.2, 0.8)]
    assert 0 < values[0] < values[1] < values[2]


def test_dtw_handles_different_lengths_and_time_stretch():
    m = random_mel(100)
    stretched = np.repeat(m, 2, axis=1)[:, ::2]  # same content
    slower = np.repeat(m, 3, axis=1)[:, ::2]  # 150 frames, same content played slower
    assert mcd(m, stretched) == pytest.approx(0.0, abs=1e-9)
    assert mcd(m, slower) < 0.5 * mcd(m, slower, use_dtw=False)


def test_mel_l1_and_f0_errors():
    m = random_mel()
    assert mel_l1(m, m + 0.5) == pytest.approx(0.5)
    ref = np.array([0, 100, 100, 200, 0, 0], dtype=float)
    gen = np.array([0, 110, 90, 0, 0, 150], dtype=float)
    rmse, vde = f0_errors(ref, gen)
    assert rmse == pytest.approx(10.0) and vde == pytest.approx(2 / 6)


def test_frechet_distance_zero_for_identical_and_positive_for_shifted():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 4))
    mu, s = x.mean(0), np.cov(x, rowvar=False)
    assert frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(mu + 1.0, s, mu, s) == pytest.approx(4.0, rel=1e-6)


def test_frame_statistics_pool_frames_of_all_utterances():
    a, b = np.zeros((3, 4)), np.ones((3, 6))
    mu, s = frame_statistics([a, b])
    assert mu == pytest.approx(np.full(3, 0.6))
    assert s.shape == (3, 3)
