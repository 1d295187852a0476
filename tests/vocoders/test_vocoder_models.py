"""Vocoder models: output length, chunked inference, weight norm, discriminators, losses (tiny sizes)."""

from __future__ import annotations

import math

import pytest
import torch

from prodiff_tts.audio import AudioConfig, MelSpectrogram
from prodiff_tts.vocoders import (
    HIFIGAN_PRESETS,
    VOCODER_NAMES,
    GriffinLimVocoder,
    HiFiGANGenerator,
    ISTFTVocoder,
    MultiPeriodDiscriminator,
    MultiResolutionDiscriminator,
    MultiScaleDiscriminator,
    Vocoder,
    VocoderLike,
    build_vocoder,
    convert_reference_state_dict,
)
from prodiff_tts.vocoders.losses import (
    MelL1Loss,
    MultiResolutionSTFTLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)

AC = AudioConfig()

# Tiny versions of every architecture (the real presets are checked for their parameter counts only).
TINY = {
    "griffin-lim": dict(n_iter=2),
    "hifigan-v1": dict(upsample_initial_channel=16),
    "hifigan-v2": dict(upsample_initial_channel=16),
    "hifigan-v3": dict(upsample_initial_channel=16),
    "hifigan": dict(upsample_initial_channel=16, resblock="2", resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]]),
    "istft": dict(dim=16, intermediate_dim=32, num_layers=2),
}


def tiny(name: str) -> Vocoder:
    torch.manual_seed(0)
    return build_vocoder(name, **TINY[name]).eval()


def test_registry_names() -> None:
    assert set(VOCODER_NAMES) == set(TINY)
    with pytest.raises(ValueError, match="unknown vocoder"):
        build_vocoder("wavenet")


@pytest.mark.parametrize("name", sorted(TINY))
def test_output_length_is_frames_times_hop(name: str) -> None:
    voc = tiny(name)
    assert isinstance(voc, VocoderLike) and voc.audio_config == AC
    for frames in (1, 7, 33):
        mel = torch.randn(2, AC.n_mels, frames) - 5.0
        with torch.no_grad():
            wav = voc(mel)
            one = voc(mel[0])
        assert wav.shape == (2, frames * AC.hop_length)
        assert one.shape == (frames * AC.hop_length,)
        assert wav.abs().max() <= 1.0


def test_wrong_mel_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match="log-mel"):
        tiny("istft")(torch.randn(1, 40, 10))


def test_presets_have_the_papers_sizes() -> None:
    n = {k: sum(p.numel() for p in HiFiGANGenerator.from_preset(k).parameters()) for k in HIFIGAN_PRESETS}
    # Kong et al. 2020, Table 1: 13.92 M, 0.92 M, 1.46 M parameters
    assert abs(n["v1"] / 1e6 - 13.92) < 0.05
    assert abs(n["v2"] / 1e6 - 0.92) < 0.02
    assert abs(n["v3"] / 1e6 - 1.46) < 0.02
    assert math.prod(HIFIGAN_PRESETS["v3"]["upsample_rates"]) == AC.hop_length


def test_hop_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="hop_length"):
        HiFiGANGenerator(AudioConfig(hop_length=200, n_fft=1024, win_length=800), upsample_initial_channel=16)


@pytest.mark.parametrize("name", ["hifigan-v2", "istft"])
def test_chunked_equals_unchunked(name: str) -> None:
    voc = tiny(name)
    torch.manual_seed(1)
    mel = torch.randn(2, AC.n_mels, 100) * 1.5 - 5.0
    full = voc(mel)
    chunked = voc.infer_chunked(mel, chunk_frames=48, overlap_frames=24, chunks_per_batch=2)
    assert chunked.shape == full.shape
    # kept samples are >= 6 frames from a chunk edge: identical up to float noise for these receptive fields
    assert (chunked - full).abs().max() <= 1e-4 * full.abs().max() + 1e-7
    short = voc.infer_chunked(mel[..., :40], chunk_frames=48, overlap_frames=24)
    assert torch.equal(short, voc(mel[..., :40]))
    eq = voc.infer_chunked(mel, chunk_frames=48, overlap_frames=24, fade="equal_power")
    assert eq.shape == full.shape
    with pytest.raises(ValueError):
        voc.infer_chunked(mel, chunk_frames=48, overlap_frames=30)


def test_infer_batch_cuts_each_item() -> None:
    voc = tiny("istft")
    mels = [torch.randn(AC.n_mels, n) - 5 for n in (5, 12)]
    wavs = voc.infer_batch(mels)
    assert [w.shape[0] for w in wavs] == [5 * AC.hop_length, 12 * AC.hop_length]
    assert torch.allclose(wavs[1], voc(mels[1]), atol=1e-6)


def test_weight_norm_removal_keeps_the_output() -> None:
    voc = tiny("hifigan-v1")
    mel = torch.randn(1, AC.n_mels, 10) - 5
    before = voc(mel)
    assert voc.has_weight_norm
    voc.remove_weight_norm()
    assert not voc.has_weight_norm
    assert not any("parametrizations" in k for k in voc.state_dict())
    assert torch.allclose(voc(mel), before, atol=1e-6)


def test_reference_checkpoint_keys_convert() -> None:
    voc = tiny("hifigan-v3")
    ref = {}
    for k, v in voc.state_dict().items():  # the names the reference implementation's checkpoints use
        k = k.replace(".parametrizations.weight.original0", ".weight_g").replace(".parametrizations.weight.original1", ".weight_v")
        ref[k] = v
    assert any(k.endswith("weight_g") for k in ref)
    other = build_vocoder("hifigan-v3", **TINY["hifigan-v3"])
    other.load_state_dict(convert_reference_state_dict(ref), strict=True)
    mel = torch.randn(1, AC.n_mels, 6) - 5
    assert torch.equal(other.eval()(mel), voc(mel))


@pytest.mark.parametrize(
    "disc, n_sub, n_fmap",
    [
        (lambda: MultiPeriodDiscriminator(channels=(4, 8, 16, 16, 16)), 5, 6),
        (lambda: MultiScaleDiscriminator(num_scales=2), 2, 8),
        (lambda: MultiResolutionDiscriminator(channels=4), 3, 6),
    ],
)
def test_discriminators_structure(disc, n_sub: int, n_fmap: int) -> None:
    torch.manual_seed(0)
    d = disc()
    real = torch.randn(2, 2048) * 0.1
    fake = (torch.randn(2, 1, 2048) * 0.1).requires_grad_()
    rs, gs, frs, fgs = d(real, fake)
    assert len(rs) == len(gs) == len(frs) == len(fgs) == n_sub
    for r, g, fr, fg in zip(rs, gs, frs, fgs):
        assert r.shape == g.shape and r.dim() == 2 and r.shape[0] == 2
        assert len(fr) == len(fg) == n_fmap
        assert all(a.shape == b.shape for a, b in zip(fr, fg))
    ld, r_terms, g_terms = discriminator_loss(rs, gs)
    adv, terms = generator_adversarial_loss(gs)
    fm = feature_matching_loss(frs, fgs)
    assert len(r_terms) == len(g_terms) == len(terms) == n_sub
    (adv + fm).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert torch.isfinite(ld)
    scores, fmaps = d.score(real)
    assert len(scores) == len(fmaps) == n_sub


def test_losses_are_zero_for_identical_audio() -> None:
    t = torch.arange(4096) / AC.sample_rate
    wav = torch.sin(2 * math.pi * 220 * t).unsqueeze(0) * 0.5
    assert MelL1Loss(AC)(wav, wav).item() == 0.0
    assert MultiResolutionSTFTLoss()(wav, wav).item() < 1e-6
    assert MelL1Loss(AC)(wav * 0.5, wav).item() > 1.0  # 45 x |log 0.5|


def test_a_few_steps_lower_the_mel_loss() -> None:
    """Tiny iSTFT model on a synthetic harmonic signal: 30 AdamW steps of mel loss (~0.5 s on 2 threads)."""
    torch.manual_seed(0)
    t = torch.arange(8192) / AC.sample_rate
    wav = torch.stack([sum(0.3 / k * torch.sin(2 * math.pi * f0 * k * t) for k in range(1, 10)) for f0 in (140.0, 210.0)])
    mel = MelSpectrogram(AC)(wav)
    voc = ISTFTVocoder(AC, dim=32, intermediate_dim=64, num_layers=2)
    loss_fn = MelL1Loss(AC, weight=1.0)
    opt = torch.optim.AdamW(voc.parameters(), lr=2e-3, betas=(0.8, 0.99))
    losses = []
    for _ in range(30):
        loss = loss_fn(voc.generate(mel), wav)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0], losses


def test_griffin_lim_vocoder_is_deterministic() -> None:
    voc = GriffinLimVocoder(AC, n_iter=4)
    mel = torch.randn(1, AC.n_mels, 12) - 4
    assert torch.equal(voc(mel), voc(mel))


def test_rtf_helper_runs() -> None:
    from prodiff_tts.vocoders.benchmark import vocoder_rtf

    r = vocoder_rtf(tiny("istft"), seconds=0.1, warmup=0, repeats=1)
    assert r["rtf"] > 0 and r["audio_s"] == pytest.approx(9 * AC.hop_length / AC.sample_rate)
