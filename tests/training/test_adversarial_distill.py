"""The adversarial term of distillation: the mel discriminator, its losses, and an adversarial round."""

import pytest
import torch

from prodiff_tts.checkpoints import read_checkpoint
from prodiff_tts.training.mel_discriminator import MelDiscriminator, hinge_d_loss, hinge_g_loss


def test_discriminator_gives_one_logit_per_frame_and_masks_padding():
    torch.manual_seed(0)
    d = MelDiscriminator(n_mels=20, cond_channels=8, channels=4, n_layers=3).eval()  # eval: no power iteration
    mel, cond = torch.randn(2, 20, 17), torch.randn(2, 8, 17)
    mask = torch.ones(2, 1, 17)
    mask[1, :, 11:] = 0
    out = d(mel, cond, mask)
    assert out.shape == (2, 17)
    assert torch.all(out[1, 11:] == 0) and torch.any(out[1, :11] != 0)
    # frames past the mask do not change the loss
    mel2 = mel.clone()
    mel2[1, :, 13:] += 100.0
    assert torch.allclose(hinge_g_loss(d(mel, cond, mask), mask), hinge_g_loss(d(mel2, cond, mask), mask), atol=0)


def test_hinge_losses():
    mask = torch.ones(1, 1, 4)
    assert hinge_d_loss(torch.full((1, 4), 2.0), torch.full((1, 4), -2.0), mask).item() == 0.0  # both sides sure
    assert hinge_d_loss(torch.zeros(1, 4), torch.zeros(1, 4), mask).item() == pytest.approx(2.0)
    assert hinge_g_loss(torch.full((1, 4), 3.0), mask).item() == pytest.approx(-3.0)


def test_discriminator_learns_to_tell_detail_from_smoothed_mels():
    """Real mels with fine texture against their time-smoothed copies (what an over-smoothing student
    produces): the discriminator's loss falls well below chance (2.0)."""
    torch.manual_seed(0)
    d = MelDiscriminator(n_mels=16, cond_channels=4, channels=8, n_layers=2)
    opt = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.9))
    mask = torch.ones(8, 1, 32)
    losses = []
    for _ in range(60):
        real = torch.randn(8, 16, 32)
        smooth = torch.nn.functional.avg_pool1d(real, 5, stride=1, padding=2, count_include_pad=False)
        cond = torch.randn(8, 4, 32)
        loss = hinge_d_loss(d(real, cond, mask), d(smooth, cond, mask), mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[:5]) / 5 > 1.5 and sum(losses[-5:]) / 5 < 1.0


@pytest.mark.slow
def test_adversarial_round_trains_student_and_discriminator(trained_tiny, prepared_tiny, tmp_path):
    from prodiff_tts.training.run import train

    ckpt = trained_tiny / "checkpoints" / "last.ckpt"
    run = tmp_path / "adv"
    train(["task=distill", "experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run}",
           f"distill.teacher={ckpt}", "distill.start_steps=4", "distill.final_steps=2", "distill.steps_per_round=3",
           "distill.eval_items=2", "distill.adversarial_weight=0.5", "distill.adversarial_max_steps=2",
           "trainer.val_check_interval=3"])
    state = read_checkpoint(run / "k2" / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 6  # three batches, two optimizers each
    assert any(k.startswith("discriminator.") for k in state["state_dict"])
    assert len(state["optimizer_states"]) == 2
    assert (run / "k2" / "student.safetensors").is_file() and (run / "k2" / "table.md").is_file()


@pytest.mark.slow
def test_rounds_above_adversarial_max_steps_stay_plain(trained_tiny, prepared_tiny, tmp_path):
    from prodiff_tts.training.run import train

    run = tmp_path / "plain"
    train(["task=distill", "experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run}",
           f"distill.teacher={trained_tiny / 'checkpoints' / 'last.ckpt'}", "distill.start_steps=4",
           "distill.final_steps=2", "distill.steps_per_round=2", "distill.eval_items=2",
           "distill.adversarial_weight=0.5", "distill.adversarial_max_steps=1", "trainer.val_check_interval=2"])
    state = read_checkpoint(run / "k2" / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 2 and not any(k.startswith("discriminator.") for k in state["state_dict"])


def test_random_segments_cut_the_same_window_inside_each_valid_length():
    from prodiff_tts.training.distill import random_segments

    T = 50
    x = torch.arange(T).float().view(1, 1, T).repeat(3, 2, 1)
    y = x * 10
    mask = torch.ones(3, 1, T)
    mask[1, :, 20:] = 0  # valid length 20
    mask[2, :, 5:] = 0  # shorter than the window
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        a, b, m = random_segments((x, y, mask), mask, 8, generator=gen)
        assert a.shape == (3, 2, 8) and torch.equal(b, a * 10)
        assert torch.equal(a[:, :, 1:] - a[:, :, :-1], torch.ones(3, 2, 7))  # contiguous
        assert a[1, 0, -1] < 20 and m[1].all()  # inside the valid length
        assert a[2, 0, 0] == 0 and m[2, 0, :5].all() and not m[2, 0, 5:].any()
    assert random_segments((x,), mask, T)[0] is x
