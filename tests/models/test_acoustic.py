import torch

from prodiff_tts.diffusion import CosineSchedule, ddim_sample, q_sample, uniform_timesteps
from prodiff_tts.models import (
    AcousticConfig,
    AcousticModel,
    AlignerConfig,
    DenoiserConfig,
    EncoderConfig,
    VarianceConfig,
    phoneme_targets,
    sequence_mask,
)

N_SYMBOLS = 10


def tiny_config(**variance):
    return AcousticConfig(
        n_mels=8,
        encoder=EncoderConfig(
            hidden=16, n_layers=1, n_heads=2, ffn_hidden=32, kernel_size=3, dropout=0.0, attention_dropout=0.0
        ),
        variance=VarianceConfig(filter_size=16, dropout=0.0, **variance),
        aligner=AlignerConfig(attention_channels=8),
        denoiser=DenoiserConfig(residual_channels=16, n_layers=3),
    )


def make_batch(n=6, t=24, n_mels=8):
    g = torch.Generator().manual_seed(0)
    text_lengths, mel_lengths = torch.tensor([n, n - 2]), torch.tensor([t, t - 6])
    tmask, fmask = sequence_mask(text_lengths, n), sequence_mask(mel_lengths, t)
    return {
        "phonemes": torch.randint(1, N_SYMBOLS, (2, n), generator=g) * tmask,
        "phoneme_lengths": text_lengths,
        "mel": torch.randn(2, n_mels, t, generator=g).cumsum(-1) * 0.3 * fmask[:, None],
        "mel_lengths": mel_lengths,
        "pitch": torch.randn(2, t, generator=g) * fmask,
        "energy": torch.randn(2, t, generator=g) * fmask,
        "voiced": (torch.rand(2, t, generator=g) > 0.3) & fmask,
    }


def test_condition_train_outputs():
    torch.manual_seed(0)
    model = AcousticModel(tiny_config(), N_SYMBOLS)
    batch = make_batch()
    out = model.condition_train(batch)
    assert out.cond.shape == (2, 16, 24) and out.mask.shape == (2, 1, 24)
    assert set(out.losses) == {"duration", "pitch", "energy", "align_ctc", "align_bin"}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in out.losses.values())
    assert out.durations.sum(1).tolist() == batch["mel_lengths"].tolist()
    assert (out.durations[1, 4:] == 0).all() and (out.durations[:, :4] >= 1).all()
    assert (out.cond[1, :, 18:] == 0).all() and out.mask[1, 0].tolist() == [1.0] * 18 + [0.0] * 6
    assert out.attn_soft.shape == out.attn_hard.shape == (2, 24, 6)
    assert out.pitch_target.shape == out.pitch_pred.shape == (2, 6)
    # the same durations at inference reproduce the training condition (pitch/energy = phoneme targets)
    model.eval()
    pitch, energy = phoneme_targets(batch["pitch"], batch["energy"], batch["voiced"], out.durations)
    cond, mask, dur, mel_lengths = model.condition_infer(
        batch["phonemes"], batch["phoneme_lengths"], durations=out.durations, pitch=pitch, energy=energy
    )
    assert mel_lengths.tolist() == [24, 18] and torch.equal(dur, out.durations)
    torch.testing.assert_close(cond, out.cond)
    padded, padded_mask, _, _ = model.condition_infer(
        batch["phonemes"], batch["phoneme_lengths"], durations=out.durations, pitch=pitch, energy=energy, max_len=30
    )
    assert padded.shape[-1] == 30 and torch.equal(padded[..., :24], cond) and (padded[..., 24:] == 0).all()
    assert torch.equal(padded_mask.sum(-1).squeeze(1), mel_lengths.float())


def test_phoneme_targets_fall_back_for_unvoiced_phonemes():
    pitch = torch.tensor([[1.0, 3.0, 2.0, 4.0]])
    voiced = torch.tensor([[True, False, False, False]])
    p, e = phoneme_targets(pitch, pitch, voiced, torch.tensor([[2, 2]]))
    assert p.tolist() == [[1.0, 3.0]] and e.tolist() == [[2.0, 3.0]]


def test_condition_infer_speed_and_sampling():
    torch.manual_seed(0)
    model = AcousticModel(tiny_config(use_energy=False), N_SYMBOLS).eval()
    with torch.no_grad():
        model.variance.duration_predictor.proj.bias.fill_(2.0)  # about e^2 - 1 = 6.4 frames per phoneme
    batch = make_batch()
    with torch.no_grad():
        cond, mask, dur, mel_lengths = model.condition_infer(batch["phonemes"], batch["phoneme_lengths"])
        _, _, dur_fast, len_fast = model.condition_infer(batch["phonemes"], batch["phoneme_lengths"], speed=2.0)
    assert cond.shape == (2, 16, int(mel_lengths.max())) and torch.equal(dur.sum(1), mel_lengths)
    assert (dur[1, 4:] == 0).all() and (dur[:, :4] > 0).all()
    assert ((len_fast - mel_lengths / 2).abs() <= 1).all()
    layer_masks = [None, [True, False, True]]
    x = ddim_sample(
        model.denoiser.bind(cond, mask, layer_masks), CosineSchedule(), uniform_timesteps(2), (2, 8, cond.shape[-1]),
        generator=torch.Generator().manual_seed(0), mask=mask,
    )
    assert x.shape == (2, 8, cond.shape[-1]) and (x[1, :, int(mel_lengths[1]):] == 0).all()


def test_count_parameters():
    model = AcousticModel(tiny_config(), N_SYMBOLS)
    counts = model.count_parameters()
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert counts["total"] == sum(counts[k] for k in ("encoder", "variance", "aligner", "denoiser"))
    assert counts["inference"] == counts["total"] - counts["aligner"]


def test_tiny_model_overfits_one_batch():
    torch.manual_seed(0)
    model = AcousticModel(tiny_config(predictor_grad=1.0), N_SYMBOLS)
    batch = make_batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule, g = CosineSchedule(), torch.Generator().manual_seed(1)
    history = []
    for _ in range(300):
        out = model.condition_train(batch)
        x0 = batch["mel"]
        t = torch.rand(2, generator=g)
        z_t = q_sample(x0, t, torch.randn(x0.shape, generator=g), schedule)
        x0_hat = model.denoiser(z_t, t, out.cond, out.mask)
        diffusion = ((x0_hat - x0).abs() * out.mask).sum() / (out.mask.sum() * x0.shape[1])
        total = diffusion + sum(out.losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append(total.item())
    assert all(torch.isfinite(torch.tensor(history)))
    assert history[0] / (sum(history[-10:]) / 10) >= 5.0
