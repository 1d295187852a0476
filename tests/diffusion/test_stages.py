"""Stage division by clustering timesteps on the empirical optimal denoiser."""

import itertools

import pytest
import torch

from prodiff_tts.diffusion.schedule import coefficients, make_schedule
from prodiff_tts.diffusion.stages import (
    StageDivisionSettings,
    contiguous_clusters,
    divide_stages,
    mel_segments,
    optimal_denoiser,
)


def _two_clusters(separation: float, n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Segments [n, 4, 8]: half around +separation/2, half around -separation/2 (tight), and their signs."""
    g = torch.Generator().manual_seed(seed)
    sign = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0)
    x = sign.view(-1, 1, 1) * (separation / 2) * torch.ones(n, 4, 8) + 0.05 * torch.randn(n, 4, 8, generator=g)
    return x, sign


def test_optimal_denoiser_limits():
    g = torch.Generator().manual_seed(0)
    cands = torch.randn(10, 6, generator=g, dtype=torch.float64)
    # almost no noise: the candidate the point came from
    x0_hat, w = optimal_denoiser(cands[3:4] + 1e-4 * torch.randn(1, 6, generator=g, dtype=torch.float64),
                                 1.0, 1e-3, cands)
    torch.testing.assert_close(x0_hat, cands[3:4])
    assert w.sum().item() == pytest.approx(1.0)
    # pure noise: the mean of the candidates
    x0_hat, _ = optimal_denoiser(torch.randn(2, 6, generator=g, dtype=torch.float64), 1e-6, 1.0, cands)
    torch.testing.assert_close(x0_hat, cands.mean(0, keepdim=True).expand(2, 6), atol=1e-5, rtol=0)


def test_contiguous_clusters_is_exact():
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(9, 3, generator=g)

    def cost(a, b):
        f = feats[a:b].double()
        return float(((f - f.mean(0)) ** 2).sum())

    for k in (1, 2, 3, 4):
        starts, c = contiguous_clusters(feats, k)
        brute = min((sum(cost(a, b) for a, b in zip((0, *cut), (*cut, 9))), cut)
                    for cut in itertools.combinations(range(1, 9), k - 1))
        assert c == pytest.approx(brute[0]) and tuple(starts[1:]) == brute[1] and starts[0] == 0
    # a step function is cut at its step
    step = torch.cat([torch.zeros(7, 2), torch.ones(13, 2)])
    assert contiguous_clusters(step, 2) == ([0, 7], 0.0)
    with pytest.raises(ValueError, match="cannot cut"):
        contiguous_clusters(feats, 10)


@pytest.mark.parametrize("schedule", ["cosine", "vpsde"])
@pytest.mark.parametrize("n_stages", [1, 2, 3, 4])
def test_boundaries_are_monotone_and_cover_the_unit_interval(schedule, n_stages):
    x, _ = _two_clusters(2.0)
    d = divide_stages(x, n_stages, make_schedule(schedule), StageDivisionSettings(probes=16, grid=30))
    assert len(d.boundaries) == n_stages - 1
    assert d.edges[0] == 0.0 and d.edges[-1] == 1.0
    assert all(a < b for a, b in zip(d.edges, d.edges[1:]))
    assert list(d.labels) == sorted(d.labels) and set(d.labels) == set(range(n_stages))  # contiguous stages
    for t, s in zip(d.times, d.labels):  # every grid time lies in its stage
        assert d.edges[s] <= t < d.edges[s + 1]
    assert d.cost <= d.cost_one_stage


def test_two_regime_data_is_split_where_the_optimal_denoiser_changes_behaviour():
    """Two tight clusters: at low noise the optimal denoiser knows the item's cluster, at high noise it does
    not (it returns the global mean). The boundary falls between the two regimes."""
    schedule = make_schedule("vpsde")
    x, sign = _two_clusters(2.0)
    d = divide_stages(x, 2, schedule, StageDivisionSettings(probes=32, grid=50))
    (b,) = d.boundaries
    # the posterior mass on the item's own cluster, measured independently of the clustering
    g = torch.Generator().manual_seed(5)
    flat = x.flatten(1).double()
    probes, noise = flat[:32], torch.randn(32, flat.shape[1], generator=g, dtype=torch.float64)
    same = (sign[:32, None] == sign[None, :]).double()

    def own_cluster_mass(t: float) -> float:
        a, s = (float(v) for v in coefficients(schedule, torch.tensor(t, dtype=torch.float64)))
        _, w = optimal_denoiser(a * probes + s * noise, a, s, flat)
        return float((w * same).sum(1).mean())

    assert all(own_cluster_mass(t) > 0.9 for t in d.times if t < b - 0.08)
    assert all(own_cluster_mass(t) < 0.7 for t in d.times if t > b + 0.08)
    # clusters farther apart stay distinguishable up to more noise: the boundary moves later
    far = divide_stages(_two_clusters(6.0)[0], 2, schedule, StageDivisionSettings(probes=32, grid=50))
    assert far.boundaries[0] > b + 0.05


def test_same_inputs_same_boundaries_and_settings_validation():
    x, _ = _two_clusters(2.0)
    s = StageDivisionSettings(probes=8, grid=20, seed=3)
    assert divide_stages(x, 3, make_schedule("cosine"), s) == divide_stages(x, 3, make_schedule("cosine"), s)
    with pytest.raises(ValueError, match="grid must be >= 1"):
        StageDivisionSettings(grid=0)
    with pytest.raises(ValueError, match="unknown stage division keys"):
        StageDivisionSettings.from_dict({"grids": 3})
    with pytest.raises(ValueError, match="cannot cut"):
        divide_stages(x, 5, make_schedule("cosine"), StageDivisionSettings(grid=4))


def test_mel_segments_cut_fixed_windows_from_long_enough_utterances():
    g = torch.Generator().manual_seed(0)
    mels = [torch.arange(3 * t, dtype=torch.float32).view(3, t) for t in (5, 20, 40)]
    seg = mel_segments(mels, 10, 7, g)
    assert seg.shape == (7, 3, 10)
    for s in seg:  # each a contiguous window of one utterance (the 5-frame one is too short)
        assert any(any(torch.equal(s, m[:, i : i + 10]) for i in range(m.shape[1] - 9)) for m in mels[1:])
    with pytest.raises(ValueError, match="no utterance has 50 frames"):
        mel_segments(mels, 50, 3, g)
