import pytest
import torch

from prodiff_tts.diffusion import (
    CosineSchedule,
    VPSDESchedule,
    ancestral_sample,
    ddim_sample,
    q_sample,
    uniform_timesteps,
)

SCHEDULES = [CosineSchedule(), VPSDESchedule()]


def _sequences():
    g = torch.Generator().manual_seed(1)
    rand = sorted(torch.rand(5, generator=g).tolist(), reverse=True)
    return [uniform_timesteps(1), uniform_timesteps(2), uniform_timesteps(4), uniform_timesteps(8), rand, [1.0, 0.3]]


def gaussian_x0(mu: torch.Tensor, s: float, schedule):
    """Optimal x0 denoiser for x0 ~ N(mu, s^2 I): E[x0 | z_t]."""

    def f(z, t, *_):
        a = schedule.alpha(t).reshape(-1, *[1] * (z.dim() - 1))
        sg = schedule.sigma(t).reshape(-1, *[1] * (z.dim() - 1))
        return mu + a * s**2 / (a**2 * s**2 + sg**2) * (z - a * mu)

    return f


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
@pytest.mark.parametrize("steps", _sequences(), ids=lambda s: f"k{len(s)}-{s[-1]:.2f}")
@pytest.mark.parametrize("sampler", [ddim_sample, ancestral_sample])
def test_oracle_denoiser_recovers_x0(schedule, steps, sampler):
    x0 = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(0))
    seen = []

    def oracle(z, t, i):
        assert t.shape == (3,) and (t == steps[i]).all()
        seen.append(i)
        return x0

    g = torch.Generator().manual_seed(2)
    out = sampler(oracle, schedule, steps, x0.shape, generator=g)
    assert seen == list(range(len(steps)))
    torch.testing.assert_close(out, x0, atol=1e-5, rtol=0)


def test_ddim_intermediate_states_follow_the_forward_process():
    # with the oracle, z after each step is alpha_s x0 + sigma_s eps for the initial eps (deterministic DDIM)
    sch = CosineSchedule()
    x0 = torch.randn(2, 3, 5)
    eps = torch.randn(2, 3, 5)
    steps = uniform_timesteps(4)
    z1 = q_sample(x0, torch.ones(2), eps, sch)
    states = []

    def oracle(z, t, i):
        states.append(z.clone())
        return x0

    ddim_sample(oracle, sch, steps, x0.shape, noise=z1)
    for z, t in zip(states, steps):
        torch.testing.assert_close(z, q_sample(x0, torch.full((2,), t), eps, sch), atol=1e-5, rtol=0)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_samplers_reach_the_data_distribution(schedule):
    # 1-D Gaussian data and its exact denoiser: many-step DDIM and ancestral samples have the data's moments
    # (with few steps both shrink the spread: the last output is E[x0 | z_{1/k}], not a sample)
    mu, s = torch.tensor(1.5), 0.5
    f = gaussian_x0(mu, s, schedule)
    g = torch.Generator().manual_seed(0)
    for sampler in (ddim_sample, ancestral_sample):
        out = sampler(f, schedule, uniform_timesteps(300), (4000, 1), generator=g)
        assert abs(out.mean().item() - 1.5) < 0.02
        assert abs(out.std().item() - 0.5) < 0.02


def test_mask_noise_and_reproducibility():
    sch = CosineSchedule()
    mask = torch.ones(2, 1, 6)
    mask[1, :, 4:] = 0
    f = gaussian_x0(torch.tensor(0.3), 1.0, sch)
    out = ddim_sample(f, sch, uniform_timesteps(3), (2, 4, 6), generator=torch.Generator().manual_seed(0), mask=mask)
    assert (out[1, :, 4:] == 0).all() and (out[0] != 0).all()
    a = ancestral_sample(f, sch, [1.0, 0.5], (2, 4, 6), generator=torch.Generator().manual_seed(3))
    b = ancestral_sample(f, sch, [1.0, 0.5], (2, 4, 6), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    noise = torch.randn(2, 4, 6)
    c = ddim_sample(f, sch, [1.0, 0.5], (2, 4, 6), noise=noise)
    d = ddim_sample(f, sch, [1.0, 0.5], (2, 4, 6), noise=noise)
    assert torch.equal(c, d)
    with pytest.raises(ValueError, match="shape"):
        ddim_sample(f, sch, [1.0], (2, 4, 5), noise=noise)


@pytest.mark.parametrize("bad", [[], [0.5, 1.0], [1.0, 0.0], [1.0, 1.0]])
def test_samplers_validate_timesteps(bad):
    with pytest.raises(ValueError):
        ddim_sample(lambda z, t, i: z, CosineSchedule(), bad, (1, 2))
    with pytest.raises(ValueError):
        ancestral_sample(lambda z, t, i: z, CosineSchedule(), bad, (1, 2))


def test_q_sample_broadcasts_per_item_times():
    sch = VPSDESchedule()
    x0, eps = torch.randn(3, 2, 4), torch.randn(3, 2, 4)
    t = torch.tensor([0.1, 0.5, 1.0])
    z = q_sample(x0, t, eps, sch)
    for i in range(3):
        torch.testing.assert_close(z[i], sch.alpha(t[i]) * x0[i] + sch.sigma(t[i]) * eps[i])
