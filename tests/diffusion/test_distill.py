import pytest
import torch

from prodiff_tts.diffusion import (
    CosineSchedule,
    VPSDESchedule,
    ddim_sample,
    ddim_step,
    distillation_target,
    halve_timesteps,
    sample_triplets,
    student_triplets,
    uniform_timesteps,
)

SCHEDULES = [CosineSchedule(), VPSDESchedule()]


def gaussian_teacher(mu, s, schedule):
    def f(z, t, *_):
        a = schedule.alpha(t).reshape(-1, *[1] * (z.dim() - 1))
        sg = schedule.sigma(t).reshape(-1, *[1] * (z.dim() - 1))
        return mu + a * s**2 / (a**2 * s**2 + sg**2) * (z - a * mu)

    return f


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "teacher_steps", [uniform_timesteps(8), uniform_timesteps(2), [1.0, 0.8, 0.55, 0.4, 0.2, 0.05]]
)
def test_student_on_target_reproduces_teacher(schedule, teacher_steps):
    mu = torch.linspace(-1, 1, 5).reshape(1, 5, 1)
    teacher = gaussian_teacher(mu, 0.7, schedule)
    student_steps = halve_timesteps(teacher_steps)
    triplets = student_triplets(teacher_steps)
    assert [tr[0] for tr in triplets] == student_steps

    def student(z, t, i):
        _, t_mid, t_next = triplets[i]
        return distillation_target(z, t, t_mid, t_next, teacher, schedule)

    noise = torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(0))
    out_teacher = ddim_sample(teacher, schedule, teacher_steps, noise.shape, noise=noise)
    out_student = ddim_sample(student, schedule, student_steps, noise.shape, noise=noise)
    torch.testing.assert_close(out_student, out_teacher, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_one_student_step_lands_on_teacher_two_steps(schedule):
    teacher = gaussian_teacher(torch.tensor(0.4), 1.3, schedule)
    z = torch.randn(3, 2, 4)
    t, t_mid, t_next = torch.tensor([0.9, 0.6, 1.0]), torch.tensor([0.7, 0.3, 0.5]), torch.tensor([0.5, 0.1, 0.25])
    x_tilde = distillation_target(z, t, t_mid, t_next, teacher, schedule)
    z_student = ddim_step(z, x_tilde, t, t_next, schedule)
    z_mid = ddim_step(z, teacher(z, t), t, t_mid, schedule)
    z_teacher = ddim_step(z_mid, teacher(z_mid, t_mid), t_mid, t_next, schedule)
    torch.testing.assert_close(z_student, z_teacher, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_target_at_zero_is_teacher_second_prediction(schedule):
    teacher = gaussian_teacher(torch.tensor(-0.2), 0.9, schedule)
    z = torch.randn(2, 3, 5)
    t, t_mid = torch.full((2,), 0.5), torch.full((2,), 0.25)
    x_tilde = distillation_target(z, t, t_mid, 0.0, teacher, schedule)
    z_mid = ddim_step(z, teacher(z, t), t, t_mid, schedule)
    assert torch.equal(x_tilde, teacher(z_mid, t_mid))


def test_target_validates_and_needs_no_grad():
    sch = CosineSchedule()
    w = torch.tensor(2.0, requires_grad=True)
    out = distillation_target(torch.randn(2, 3), 1.0, 0.5, 0.0, lambda z, t, i: w * z, sch)
    assert not out.requires_grad
    with pytest.raises(ValueError):
        distillation_target(torch.randn(2, 3), 0.5, 0.5, 0.0, lambda z, t, i: z, sch)


def test_halving_and_triplets():
    assert halve_timesteps([1.0, 0.75, 0.5, 0.25]) == [1.0, 0.5]
    assert halve_timesteps([1.0, 0.5]) == [1.0]
    assert student_triplets([1.0, 0.75, 0.5, 0.25]) == [(1.0, 0.75, 0.5), (0.5, 0.25, 0.0)]
    with pytest.raises(ValueError, match="odd"):
        halve_timesteps([1.0, 0.5, 0.25])
    t, tm, tn, idx = sample_triplets([1.0, 0.75, 0.5, 0.25], 64, generator=torch.Generator().manual_seed(0))
    assert set(idx.tolist()) == {0, 1}
    assert torch.equal(t, torch.where(idx == 0, 1.0, 0.5)) and torch.equal(tn, torch.where(idx == 0, 0.5, 0.0))
    assert (t > tm).all() and (tm > tn).all()
