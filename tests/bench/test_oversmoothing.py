"""Over-smoothing and distribution measures: identities and the direction smoothing moves them."""

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from prodiff_tts.bench.oversmoothing import embedding_frechet, gv_ratio, modulation_spectrum, ms_distance


@pytest.fixture
def mels():
    rng = np.random.default_rng(0)
    # log-mel-like sets: a slow envelope per band plus frame-rate detail, utterances of different lengths
    out = []
    for n in (90, 150, 40, 210):
        t = np.arange(n)
        slow = np.sin(2 * np.pi * t / 50.0)[None, :] * rng.uniform(0.5, 1.5, (20, 1))
        out.append(-5.0 + slow + rng.normal(0.0, 0.7, (20, n)))
    return out


def smoothed(mels, width):
    return [uniform_filter1d(m, size=width, axis=-1, mode="nearest") for m in mels]


def test_gv_ratio_is_one_against_itself_and_falls_with_smoothing(mels):
    gv, per_band = gv_ratio(mels, mels)
    assert gv == pytest.approx(1.0) and np.allclose(per_band, 1.0)
    values = [gv_ratio(smoothed(mels, w), mels)[0] for w in (3, 7, 15)]
    assert 1.0 > values[0] > values[1] > values[2]


def test_ms_distance_is_zero_against_itself_and_grows_with_smoothing(mels):
    d, per_band = ms_distance(mels, mels)
    assert d == pytest.approx(0.0, abs=1e-9) and per_band.shape == (20,)
    values = [ms_distance(smoothed(mels, w), mels)[0] for w in (3, 7, 15)]
    assert 0.0 < values[0] < values[1] < values[2]
    assert modulation_spectrum(mels).shape == (20, 33)


def test_embedding_frechet_is_zero_with_itself_and_grows_with_noise():
    rng = np.random.default_rng(1)
    emb = [rng.normal(size=(200, 8)) @ rng.normal(size=(8, 8)) for _ in range(3)]
    assert embedding_frechet(emb, emb) == pytest.approx(0.0, abs=1e-6)
    noisy = [[e + rng.normal(0.0, s, e.shape) for e in emb] for s in (0.3, 1.0, 3.0)]
    values = [embedding_frechet(n, emb) for n in noisy]
    assert 0.0 < values[0] < values[1] < values[2]


def test_empty_sets_are_errors():
    with pytest.raises(ValueError):
        gv_ratio([], [np.zeros((2, 3))])
    with pytest.raises(ValueError):
        embedding_frechet([np.zeros((1, 2))], [np.zeros((1, 2))])
