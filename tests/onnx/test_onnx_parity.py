"""The ONNX path computes what the torch path computes: conditions, durations, mels (the same noise fed to both),
the vocoders, the numpy DSP; int8 stays close to fp32."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")

from prodiff_tts.audio import AudioConfig  # noqa: E402
from prodiff_tts.audio import griffin_lim as gl  # noqa: E402
from prodiff_tts.diffusion.sampler import ddim_sample  # noqa: E402
from prodiff_tts.models.variance import MAX_PHONEME_FRAMES  # noqa: E402
from prodiff_tts.models.variance import durations_from_log as torch_durations  # noqa: E402
from prodiff_tts.onnx import dsp  # noqa: E402
from prodiff_tts.onnx.runtime import OnnxVoice  # noqa: E402
from prodiff_tts.onnx.sampling import durations_from_log  # noqa: E402

TEXTS = ["Hello world, this is a test.", "The quick brown fox jumps over the lazy dog by the river."]


def padded(ids):
    lengths = torch.tensor([len(i) for i in ids])
    phonemes = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for b, seq in enumerate(ids):
        phonemes[b, : len(seq)] = torch.tensor(seq)
    return phonemes, lengths


def torch_mels(synth, ids, steps, noise=None):
    """The torch path's mels of a batch (Synthesizer._mel_ids_durations with explicit noise)."""
    plan = synth.plan(steps)
    phonemes, lengths = padded(ids)
    with torch.no_grad():
        cond, mask, _, mel_lengths = synth.model.condition_infer(phonemes, lengths)
        shape = (len(ids), synth.audio.n_mels, cond.shape[-1])
        noise = torch.randn(shape, generator=torch.Generator().manual_seed(3)) if noise is None else noise
        denoise = synth.denoisers[plan.denoiser].bind(cond, mask, plan.layer_masks)
        mel = ddim_sample(denoise, synth.schedule, plan.timesteps, shape, noise=noise, mask=mask)
    mel = mel * synth.mel_std + synth.mel_mean
    return [mel[b, :, : int(mel_lengths[b])].numpy() for b in range(len(ids))], noise


@pytest.fixture(scope="module")
def voice(onnx_export):
    return OnnxVoice(onnx_export, threads=1, vocoder="bundle")


@pytest.fixture(scope="module")
def ids(torch_synth):
    return [torch_synth.frontend.encode(t) for t in TEXTS]


@pytest.mark.parametrize("speed", [1.0, 1.7, [0.6, 2.5]])
def test_condition_and_durations_match_torch(voice, torch_synth, ids, speed):
    phonemes, lengths = padded(ids)
    with torch.no_grad():
        cond, mask, durations, mel_lengths = torch_synth.model.condition_infer(phonemes, lengths, speed=speed)
    cond2, mask2, durations2, mel_lengths2 = voice.condition(ids, speed)
    np.testing.assert_array_equal(durations2, durations.numpy())
    np.testing.assert_array_equal(mel_lengths2, mel_lengths.numpy())
    np.testing.assert_array_equal(mask2, mask.numpy())
    np.testing.assert_allclose(cond2, cond.numpy(), atol=1e-5, rtol=0)


def test_numpy_durations_are_torch_durations():
    gen = torch.Generator().manual_seed(0)
    log_d = torch.randn(64, 23, generator=gen) * 1.5 + 1.0
    log_d[0, 3], log_d[1, :] = float("nan"), -5.0  # NaN counts as 0; a row that rounds to no frame gets one
    log_d[2, 4] = 50.0  # capped at MAX_PHONEME_FRAMES
    lengths = torch.randint(1, 24, (64,), generator=gen)
    mask = torch.arange(23)[None, :] < lengths[:, None]
    for speed in (1.0, 0.37, 3.3):
        expected = torch_durations(log_d, mask, speed).numpy()
        got = durations_from_log(log_d.numpy(), mask.numpy(), [speed] * 64, MAX_PHONEME_FRAMES)
        np.testing.assert_array_equal(got, expected)
    speeds = torch.rand(64, generator=gen).add(0.2).tolist()
    np.testing.assert_array_equal(durations_from_log(log_d.numpy(), mask.numpy(), speeds, MAX_PHONEME_FRAMES),
                                  torch_durations(log_d, mask, speeds).numpy())


@pytest.mark.parametrize("steps", [1, 2])
def test_mels_match_torch_with_the_same_noise(voice, torch_synth, ids, steps):
    expected, noise = torch_mels(torch_synth, ids, steps)
    got, durations = voice.acoustic(ids, steps, noise=noise.numpy())
    assert [m.shape for m in got] == [m.shape for m in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=2e-5, rtol=0)
    assert [sum(d) for d in durations] == [m.shape[-1] for m in got]


def test_layer_masks_are_baked_into_the_step_graphs(voice, torch_synth, ids):
    """The 2-step plan skips a layer at its first step: without the mask torch gives other mels."""
    plan = torch_synth.plan(2)
    assert voice.plan(2).layer_masks == plan.layer_masks and not all(plan.layer_masks[0])
    expected, noise = torch_mels(torch_synth, ids, 2)
    torch_synth.searched = {}  # the uniform plan, no masks
    try:
        unmasked, _ = torch_mels(torch_synth, ids, 2, noise)
    finally:
        torch_synth.searched = __import__("json").loads((torch_synth.bundle_dir / "schedule.json").read_text())
    got, _ = voice.acoustic(ids, 2, noise=noise.numpy())
    assert np.abs(got[0] - expected[0]).max() < 2e-5 < np.abs(got[0] - unmasked[0]).max()


def test_bundle_vocoder_matches_torch(voice, torch_synth, ids):
    mels, _ = torch_mels(torch_synth, ids, 2)
    expected = torch_synth.vocode([torch.from_numpy(m) for m in mels])
    got = voice.vocode(mels)
    for g, e in zip(got, expected):
        assert g.dtype == np.float32 and g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=1e-5, rtol=0)


def test_numpy_dsp_matches_the_torch_dsp():
    ac = AudioConfig()
    sp = dsp.Spectral(gl._window(ac, torch.device("cpu"), torch.float32).numpy(), gl.mel_basis(ac).numpy(),
                      gl.mel_pseudo_inverse(ac).numpy(), ac.hop_length)
    gen = torch.Generator().manual_seed(0)
    wav = torch.randn(2, ac.hop_length * 21, generator=gen) * 0.1
    np.testing.assert_allclose(dsp.stft(wav.numpy(), sp), gl.stft(wav, ac).numpy(), atol=1e-5, rtol=0)
    spec = torch.randn(2, ac.n_fft // 2 + 1, 21, generator=gen, dtype=torch.complex64)
    np.testing.assert_allclose(dsp.istft(spec.numpy(), sp), gl.istft(spec, ac).numpy(), atol=1e-6, rtol=0)
    log_mel = torch.randn(2, ac.n_mels, 21, generator=gen) - 5.0
    mag = gl.mel_to_linear(log_mel, ac)
    np.testing.assert_allclose(dsp.mel_to_linear(log_mel.numpy(), sp), mag.numpy(), rtol=1e-4,
                               atol=1e-4 * float(mag.max()))
    # Griffin-Lim from the same initial phase (torch's init="zeros": phase factors 1)
    expected = gl.griffin_lim(mag, ac, n_iter=8, init="zeros").numpy()
    got = dsp.griffin_lim(mag.numpy(), sp, n_iter=8, angles=np.ones(mag.shape, np.complex64))
    np.testing.assert_allclose(got, expected, atol=1e-4 * np.abs(expected).max(), rtol=0)
    # the iSTFT vocoder's mel matching (ISTFTVocoder.generate with mel_match_iters=3)
    expected = gl.mel_matched(wav, log_mel, ac, rounds=3)
    got = dsp.mel_matched(wav.numpy(), log_mel.numpy(), sp, rounds=3)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4 * np.abs(expected.numpy()).max(), rtol=0)


def test_griffin_lim_voice_is_seeded_and_bounded(onnx_export, ids):
    voice = OnnxVoice(onnx_export, threads=1, vocoder="griffin-lim")
    mels = voice.acoustic(ids, 2, seed=1)[0]
    a, b = voice.vocode(mels), voice.vocode(mels)
    for x, y, m in zip(a, b, mels):
        np.testing.assert_array_equal(x, y)
        assert x.shape == (m.shape[-1] * voice.hop_length,) and np.abs(x).max() <= 1.0 and np.isfinite(x).all()


def test_int8_mels_stay_close_to_fp32(onnx_export, ids):
    fp32 = OnnxVoice(onnx_export, threads=1)
    int8 = OnnxVoice(onnx_export, threads=1, precision="int8")
    for steps in (1, 2):
        a, _ = fp32.acoustic(ids, steps, seed=5)
        b, _ = int8.acoustic(ids, steps, seed=5)
        spread = max(float(np.std(m)) for m in a)
        err = max(float(np.abs(x - y).mean()) for x, y in zip(a, b))
        assert 0 < err < 0.05 * spread, (steps, err, spread)


def test_multistage_denoiser_exports_each_step_with_its_stage(tmp_path, make_tiny_bundle):
    """A two-stage denoiser (the first step in the upper stage, the second in the lower): each step graph
    bakes in its own stage's head."""
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.onnx.export import export_onnx

    bundle = make_tiny_bundle(tmp_path / "bundle", seed=3,
                               denoiser={"n_stages": 2, "stage_boundaries": [0.8], "trunk_layers": 1})
    export_onnx(bundle, tmp_path / "onnx", steps=[2])
    synth = Synthesizer(bundle)
    ids = [synth.frontend.encode(TEXTS[0])]
    expected, noise = torch_mels(synth, ids, 2)
    got, _ = OnnxVoice(tmp_path / "onnx", threads=1).acoustic(ids, 2, noise=noise.numpy())
    np.testing.assert_allclose(got[0], expected[0], atol=2e-5, rtol=0)


def test_a_waveform_vocoder_is_exported_whole(tmp_path, make_tiny_bundle):
    """A trained vocoder other than iSTFT (here a tiny HiFi-GAN with weight norm) is one mel -> waveform graph."""
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.onnx.export import export_onnx
    from prodiff_tts.vocoders import HiFiGANGenerator, save_vocoder

    bundle = make_tiny_bundle(tmp_path / "bundle", seed=4)
    hifigan = HiFiGANGenerator(AudioConfig(), resblock="2", upsample_initial_channel=32,
                               resblock_kernel_sizes=(3,), resblock_dilation_sizes=((1, 3),))
    save_vocoder(hifigan, bundle / "vocoder")
    manifest = export_onnx(bundle, tmp_path / "onnx", steps=[1])
    assert manifest.vocoders["bundle"]["kind"] == "waveform"
    synth = Synthesizer(bundle, vocoder="bundle")
    mels = [np.random.default_rng(0).normal(-5.0, 1.0, (80, n)).astype(np.float32) for n in (7, 12)]
    expected = synth.vocode([torch.from_numpy(m) for m in mels])
    got = OnnxVoice(tmp_path / "onnx", threads=1, vocoder="bundle").vocode(mels)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=1e-5, rtol=0)
