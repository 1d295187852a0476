import math

import pytest
import torch

from prodiff_tts.diffusion import (
    CosineSchedule,
    VPSDESchedule,
    coefficients,
    make_schedule,
    prodiff_grid,
    sample_training_times,
    uniform_timesteps,
    validate_timesteps,
)

SCHEDULES = [CosineSchedule(), VPSDESchedule()]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_variance_preserving_and_monotone(schedule):
    t = torch.linspace(0, 1, 101, dtype=torch.float64)
    a, s = schedule.alpha(t), schedule.sigma(t)
    torch.testing.assert_close(a**2 + s**2, torch.ones_like(t))
    assert (a[1:] < a[:-1]).all() and (s[1:] > s[:-1]).all()
    assert float(a[0]) > 1 - 1e-6 and float(s[-1]) > 1 - 1e-6
    lam = schedule.log_snr(t[1:])
    assert (lam[1:] < lam[:-1]).all()
    torch.testing.assert_close(lam, torch.log(a[1:] ** 2 / s[1:] ** 2))
    # float32 in, float32 out; python floats accepted
    assert schedule.alpha(torch.tensor([0.5])).dtype == torch.float32
    assert schedule.sigma(0.5).shape == ()


def test_cosine_log_snr_is_clipped():
    sch = CosineSchedule(logsnr_min=-15.0, logsnr_max=12.0)
    assert float(sch.log_snr(torch.tensor(0.0, dtype=torch.float64))) == pytest.approx(12.0)
    assert float(sch.log_snr(torch.tensor(1.0, dtype=torch.float64))) == pytest.approx(-15.0)
    with pytest.raises(ValueError):
        CosineSchedule(logsnr_min=1.0, logsnr_max=0.0)


def test_vpsde_matches_prodiff_discrete_schedule():
    k, bmin, bmax = 4, 0.1, 40.0
    i = torch.arange(1, k + 1, dtype=torch.float64)
    betas = 1 - torch.exp(-bmin / k - 0.5 * (bmax - bmin) * (2 * i - 1) / k**2)  # ProDiff's vpsde_beta_t
    alpha_bar = torch.cumprod(1 - betas, 0)
    sch = VPSDESchedule(beta_min=bmin, beta_max=bmax)
    grid = torch.tensor(prodiff_grid(k), dtype=torch.float64)
    torch.testing.assert_close(sch.alpha(grid) ** 2, alpha_bar)


def test_coefficients_pin_the_data_endpoint():
    a, s = coefficients(CosineSchedule(), torch.tensor([0.0, 0.5]))
    assert a[0].item() == 1.0 and s[0].item() == 0.0
    assert 0 < a[1].item() < 1


def test_factory_and_sequences():
    assert make_schedule("cosine") == CosineSchedule()
    assert make_schedule("vpsde", beta_max=20.0) == VPSDESchedule(beta_max=20.0)
    assert make_schedule("vpsde").to_dict() == {"name": "vpsde", "beta_min": 0.1, "beta_max": 40.0}
    for sch in SCHEDULES:
        assert make_schedule(**sch.to_dict()) == sch
    with pytest.raises(ValueError, match="unknown schedule"):
        make_schedule("linear")
    assert uniform_timesteps(4) == [1.0, 0.75, 0.5, 0.25]
    assert uniform_timesteps(1) == [1.0]
    assert prodiff_grid(4) == [0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError):
        uniform_timesteps(0)


@pytest.mark.parametrize("bad", [[], [0.5, 0.7], [0.5, 0.5], [1.0, 0.0], [1.5, 0.5], [math.nan]])
def test_validate_timesteps_rejects(bad):
    with pytest.raises(ValueError):
        validate_timesteps(bad)


def test_validate_timesteps_accepts_tensor():
    assert validate_timesteps(torch.tensor([1.0, 0.5])) == [1.0, 0.5]


def test_sample_training_times():
    g = torch.Generator().manual_seed(0)
    t = sample_training_times(1000, generator=g, t_min=0.01)
    assert t.shape == (1000,) and float(t.min()) >= 0.01 and float(t.max()) <= 1.0
    t = sample_training_times(200, generator=g, grid=prodiff_grid(4))
    assert set(t.tolist()) == {0.25, 0.5, 0.75, 1.0}
