"""Feature statistics: whether two describe the same corpus."""

from __future__ import annotations

import dataclasses

import pytest

from prodiff_tts.data.stats import FeatureStats, same_corpus

JOE = FeatureStats(mel_mean=(-6.2144, -5.3178), mel_std=(1.2085, 1.5846), f0_mean=5.08178, f0_std=0.20387,
                   energy_mean=2.64617, energy_std=1.84827, num_frames=667115)


def test_a_rebuild_of_the_same_corpus_is_the_same_corpus():
    # the drift measured between two builds of the joe corpus (~1e-4), frame count included
    rebuilt = dataclasses.replace(JOE, mel_mean=(-6.21445, -5.31785), f0_mean=5.08191, energy_std=1.84830,
                                  num_frames=667118)
    assert same_corpus(JOE, rebuilt) and same_corpus(rebuilt, JOE)


@pytest.mark.parametrize("change", [{"mel_mean": (-6.2144, -5.1)}, {"f0_mean": 5.3}, {"energy_std": 1.9},
                                    {"mel_std": (1.2085, 1.7)}])
def test_another_corpus_is_not(change):
    assert not same_corpus(JOE, dataclasses.replace(JOE, **change))
