"""Vocoder training: data module, Lightning module (manual GAN optimisation), train_vocoder, configs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import soundfile as sf
import torch
from omegaconf import OmegaConf

import prodiff_tts
from prodiff_tts.audio import AudioConfig, MelSpectrogram
from prodiff_tts.training.audio_data import (
    AudioItem,
    SegmentDataset,
    VocoderDataModule,
    read_audio,
)
from prodiff_tts.training.run import compose_config
from prodiff_tts.training.vocoder_export import export_vocoder
from prodiff_tts.training.vocoder_module import VocoderLightningModule
from prodiff_tts.training.vocoder_train import resume_checkpoint, train_vocoder, vocoder_module_from_cfg
from prodiff_tts.vocoders import load_vocoder

AC = AudioConfig()
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "ljs_tiny"
CONFIGS = Path(prodiff_tts.__file__).resolve().parent / "configs"
TINY_GEN = {"name": "istft", "kwargs": {"dim": 16, "intermediate_dim": 32, "num_layers": 1}}
TINY_DISC = {"mpd": {"periods": [2, 3], "channels": [4, 4, 8, 8, 8]}, "mrd": {"channels": 4}}


def _tone(seconds: float, sr: int, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (sum(0.3 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 8)) * 0.8).astype(np.float32)


def synthetic_corpus(root: Path, n: int = 5) -> list[Path]:
    """Short harmonic clips: one at 16 kHz (resampled on reading), one stereo."""
    (root / "wavs").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        sr = 16000 if i == 1 else AC.sample_rate
        x = _tone(0.4 + 0.05 * i, sr, 120.0 + 25 * i)
        if i == 2:
            x = np.stack([x, 0.5 * x], axis=1)
        p = root / "wavs" / f"S{i:03d}.wav"
        sf.write(p, x, sr)
        paths.append(p)
    return paths


def corpus_wavs(tmp_path: Path) -> list[Path]:
    """The LJSpeech-format fixture when it exists, else synthetic clips."""
    wavs = sorted((FIXTURE / "wavs").glob("*.wav")) if FIXTURE.is_dir() else []
    return wavs[:6] if len(wavs) >= 3 else synthetic_corpus(tmp_path / "corpus")


def write_manifest(root: Path, wavs: list[Path], loudness: float | None = None) -> Path:
    rows = []
    for i, w in enumerate(wavs):
        dur = sf.info(str(w)).duration
        rows.append({"id": w.stem, "wav": str(w), "split": "val" if i == 0 else "train",
                     "num_frames": 0, "trim": [0.01, dur - 0.01]})
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "prepare.json").write_text(json.dumps({"audio": AC.to_dict(), "loudness_dbfs": loudness}))
    return root / "manifest.jsonl"


# --- data -------------------------------------------------------------------------------------------
def test_segments_and_mels(tmp_path) -> None:
    wavs = synthetic_corpus(tmp_path)
    ds = SegmentDataset([AudioItem(str(w)) for w in wavs], AC, segment_size=4096)
    for i in range(len(wavs)):
        item = ds[i]
        assert item["wav"].shape == (4096,) and item["mel"].shape == (AC.n_mels, 16)
        assert torch.allclose(item["mel"], MelSpectrogram(AC)(item["wav"].unsqueeze(0))[0], atol=1e-5)
    assert read_audio(wavs[1], AC.sample_rate).shape[0] == pytest.approx(0.45 * AC.sample_rate, abs=2)
    with pytest.raises(ValueError, match="multiple"):
        SegmentDataset([AudioItem(str(wavs[0]))], AC, segment_size=1000)


def test_manifest_trim_and_loudness(tmp_path) -> None:
    wavs = synthetic_corpus(tmp_path)
    dm = VocoderDataModule.from_manifest(write_manifest(tmp_path / "prep", wavs, loudness=-23.0),
                                         audio_config=AC, segment_size=2048, batch_size=2, val_clips=1)
    assert dm.loudness_dbfs == -23.0 and len(dm.train_items) == 4 and len(dm.val_items) == 1
    dm.setup("fit")
    val = next(iter(dm.val_dataloader()))
    n = read_audio(wavs[0], AC.sample_rate).shape[0]
    trimmed = int(round((n / AC.sample_rate - 0.01) * AC.sample_rate)) - int(round(0.01 * AC.sample_rate))
    assert val["wav"].shape[-1] == trimmed // AC.hop_length * AC.hop_length
    rms = 20 * math.log10(float(val["wav"].pow(2).mean().sqrt()))
    assert rms == pytest.approx(-23.0, abs=0.5)
    batch = next(iter(dm.train_dataloader()))
    assert batch["wav"].shape == (2, 2048) and batch["mel"].shape == (2, AC.n_mels, 8)


def test_paired_generated_mels(tmp_path) -> None:
    wav = tmp_path / "a.wav"
    sf.write(wav, _tone(0.5, AC.sample_rate, 150.0), AC.sample_rate)
    frames = int(0.5 * AC.sample_rate) // AC.hop_length
    gen = np.random.default_rng(0).standard_normal((frames, AC.n_mels)).astype(np.float32)  # [T, n_mels]
    np.save(tmp_path / "a.npy", gen)
    ds = SegmentDataset([AudioItem(str(wav), mel=str(tmp_path / "a.npy"))], AC, segment_size=2048)
    torch.manual_seed(3)
    item = ds[0]
    m = item["mel"].numpy()
    start = int(np.argmin([np.abs(gen[s : s + 8].T - m).sum() for s in range(frames - 7)]))
    assert np.array_equal(gen[start : start + 8].T, m)  # aligned frame by frame with...
    full = read_audio(wav, AC.sample_rate)
    assert np.array_equal(item["wav"].numpy(), full[start * 256 : start * 256 + 2048])  # ...the samples
    np.save(tmp_path / "a.npy", gen[:-5])
    with pytest.raises(ValueError, match="mel frames"):
        ds[0]


def test_generated_mel_fraction_mixes_in_the_recordings_mels(tmp_path) -> None:
    wav = tmp_path / "a.wav"
    sf.write(wav, _tone(0.5, AC.sample_rate, 150.0), AC.sample_rate)
    frames = int(0.5 * AC.sample_rate) // AC.hop_length
    np.save(tmp_path / "a.npy", np.full((frames, AC.n_mels), 7.0, np.float32))  # unlike any real log-mel
    item = AudioItem(str(wav), mel=str(tmp_path / "a.npy"))

    def generated_share(fraction: float, draws: int = 60) -> float:
        ds = SegmentDataset([item], AC, segment_size=2048, generated_mel_fraction=fraction)
        return float(np.mean([bool((ds[0]["mel"] == 7.0).all()) for _ in range(draws)]))

    torch.manual_seed(0)
    assert generated_share(1.0) == 1.0 and generated_share(0.0) == 0.0
    assert 0.25 < generated_share(0.5) < 0.75
    with pytest.raises(ValueError, match="generated_mel_fraction"):
        SegmentDataset([item], AC, segment_size=2048, generated_mel_fraction=1.5)


# --- module -----------------------------------------------------------------------------------------
class _Board:
    """Stands in for a TensorBoard SummaryWriter (not installed here): records what is logged."""

    def __init__(self) -> None:
        self.audio: list[str] = []
        self.images: list[tuple[str, tuple]] = []

    def add_audio(self, tag, snd, step, sample_rate):
        assert sample_rate == AC.sample_rate and snd.dim() == 2
        self.audio.append(tag)

    def add_image(self, tag, img, step, dataformats):
        assert dataformats == "HWC" and img.ndim == 3 and img.shape[2] == 3
        self.images.append((tag, img.shape))


class _BoardLogger(L.pytorch.loggers.Logger):
    def __init__(self) -> None:
        super().__init__()
        self._board = _Board()

    name = "board"
    version = 0

    @property
    def experiment(self) -> _Board:
        return self._board

    def log_metrics(self, metrics, step=None) -> None:
        pass

    def log_hyperparams(self, params, *args, **kwargs) -> None:
        pass


def test_step_counting() -> None:
    m = VocoderLightningModule(TINY_GEN, AC.to_dict(), ["mrd"], TINY_DISC, mel_only_steps=3)
    assert [m.gen_step_from_global(g) for g in (0, 3, 4, 5, 7)] == [0, 3, 3, 4, 5]
    assert m.trainer_max_steps(2) == 2 and m.trainer_max_steps(5) == 7
    solo = VocoderLightningModule(TINY_GEN, AC.to_dict(), [], mel_only_steps=3)
    assert solo.trainer_max_steps(5) == 5 and solo.n_optimizers == 1


def test_module_runs_three_steps_and_exports(tmp_path) -> None:
    """3 batches on the fixture (1 mel-only, 2 GAN with MPD + MRD), validation, checkpoint -> vocoder."""
    wavs = corpus_wavs(tmp_path)
    dm = VocoderDataModule(wavs[1:], wavs[:1], AC, segment_size=2048, batch_size=2, val_clips=1, val_max_seconds=0.5)
    L.seed_everything(0, verbose=False)
    module = VocoderLightningModule(TINY_GEN, AC.to_dict(), ["mpd", "mrd"], TINY_DISC, mel_only_steps=1,
                                    stft_weight=1.0, sample_dir=str(tmp_path / "samples"))
    board = _BoardLogger()
    trainer = L.Trainer(accelerator="cpu", max_steps=module.trainer_max_steps(3), max_epochs=-1, logger=board,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0, val_check_interval=3, check_val_every_n_epoch=None)
    trainer.fit(module, datamodule=dm)
    assert module.gen_step == 3 and trainer.global_step == 5
    assert torch.isfinite(trainer.callback_metrics["val/mel_l1"])
    assert {"train/loss_d", "train/adv", "train/fm", "train/stft"} <= set(trainer.callback_metrics)
    assert list((tmp_path / "samples").glob("*.wav"))
    assert len(board.experiment.audio) == 2 and len(board.experiment.images) == 1  # generated, recording, mels
    ckpt = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt, weights_only=False)
    torch.load(ckpt, map_location="cpu", weights_only=True)  # no pickled objects in our checkpoints
    voc = load_vocoder(export_vocoder(ckpt, tmp_path / "export"))
    mel = torch.randn(1, AC.n_mels, 4) - 5
    assert torch.allclose(voc(mel), module.generator.eval()(mel), atol=1e-6)


def test_spectral_losses_train_a_prior_model(tmp_path) -> None:
    """The prior iSTFT model with APNet's losses and no discriminators: losses logged, generator-only steps."""
    wavs = corpus_wavs(tmp_path)
    dm = VocoderDataModule(wavs[1:], wavs[:1], AC, segment_size=2048, batch_size=2, val_clips=1, val_max_seconds=0.5)
    L.seed_everything(0, verbose=False)
    gen = {"name": "istft", "kwargs": {**TINY_GEN["kwargs"], "magnitude_prior": "pinv"}}
    module = VocoderLightningModule(gen, AC.to_dict(), [], amplitude_weight=45.0, phase_weight=100.0, spectrum_weight=20.0)
    trainer = L.Trainer(accelerator="cpu", max_steps=2, max_epochs=-1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(module, datamodule=dm)
    assert module.gen_step == 2
    metrics = trainer.callback_metrics
    assert all(torch.isfinite(metrics[k]) for k in ("train/amplitude", "train/phase", "train/spectrum"))
    assert metrics["train/loss_g"] > 45 * metrics["train/mel_l1"]  # the spectral terms are in the generator loss


def test_moving_average_is_validated_and_exported(tmp_path) -> None:
    """With ema_decay the generator's moving average follows the trained weights (warm-up decay
    min(d, (1+s)/(10+s)) per generator step s), serves forward() and is what export_vocoder writes."""
    wavs = corpus_wavs(tmp_path)
    dm = VocoderDataModule(wavs[1:], wavs[:1], AC, segment_size=2048, batch_size=2, val_clips=1, val_max_seconds=0.5)
    L.seed_everything(0, verbose=False)
    module = VocoderLightningModule(TINY_GEN, AC.to_dict(), ["mrd"], TINY_DISC, mel_only_steps=1, ema_decay=0.5)
    start = [p.detach().clone() for p in module.generator.parameters()]
    seen = []
    module.on_train_batch_start = lambda batch, i: seen.append([p.detach().clone() for p in module.generator.parameters()])
    trainer = L.Trainer(accelerator="cpu", max_steps=module.trainer_max_steps(3), max_epochs=-1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(module, datamodule=dm)
    weights = seen[1:] + [[p.detach() for p in module.generator.parameters()]]  # after generator steps 1, 2, 3
    expect = start
    for s, w in enumerate(weights, start=1):
        d = min(0.5, (1 + s) / (10 + s))
        expect = [d * e + (1 - d) * x for e, x in zip(expect, w)]
    for e, got in zip(expect, module.generator_ema.module.parameters()):
        assert torch.allclose(got, e, atol=1e-6)
    mel = torch.randn(1, AC.n_mels, 4) - 5
    module.eval()
    assert not torch.allclose(module(mel), module.generator(mel), atol=1e-5)  # forward() is the average's
    ckpt = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt, weights_only=False)
    assert torch.allclose(load_vocoder(export_vocoder(ckpt, tmp_path / "export"))(mel), module(mel), atol=1e-6)


def test_spectral_losses_need_a_spectrum_vocoder() -> None:
    gen = {"name": "hifigan", "kwargs": {"upsample_initial_channel": 16}}
    with pytest.raises(ValueError, match="predicts a spectrum"):
        VocoderLightningModule(gen, AC.to_dict(), [], phase_weight=1.0)


# --- entry point ------------------------------------------------------------------------------------
def _cfg(tmp_path: Path, manifest: Path, max_steps: int) -> OmegaConf:
    """The package's tiny vocoder experiment (every other setting from the YAML) on ``manifest``'s cache."""
    return compose_config([
        "experiment=vocoder_fixture", f"run_dir={tmp_path / 'run'}", "seed=1", f"data.dir={manifest.parent}",
        f"trainer.max_steps={max_steps}", "trainer.val_check_interval=2", "vocoder.mel_only_steps=1",
        "vocoder.data.val_max_seconds=0.5",
    ])


def test_train_vocoder_resumes_from_last(tmp_path) -> None:
    manifest = write_manifest(tmp_path / "prep", corpus_wavs(tmp_path))
    best = train_vocoder(_cfg(tmp_path, manifest, 2))
    run = tmp_path / "run"
    last = run / "checkpoints" / "last.ckpt"
    assert best.is_file() and last.is_file() and (run / "config.yaml").is_file()
    assert torch.load(last, map_location="cpu", weights_only=True)["global_step"] == 3  # 2 gen + 1 disc steps
    assert load_vocoder(run / "export").audio_config == AC
    train_vocoder(_cfg(tmp_path, manifest, 3))  # continues from last.ckpt
    assert torch.load(last, map_location="cpu", weights_only=True)["global_step"] == 5
    assert not list((run / "checkpoints").glob(".*tmp*"))  # atomic writes leave no temporaries


def test_a_run_without_moving_average_resumes_with_one(tmp_path) -> None:
    """ema_decay switched on for a run that had none: the average starts at the checkpoint's generator."""
    manifest = write_manifest(tmp_path / "prep", corpus_wavs(tmp_path))
    train_vocoder(_cfg(tmp_path, manifest, 2))
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    before = torch.load(last, map_location="cpu", weights_only=True)["state_dict"]
    assert not any(k.startswith("generator_ema.") for k in before)
    cfg = _cfg(tmp_path, manifest, 3)
    cfg.vocoder.ema_decay = 0.999
    train_vocoder(cfg)
    after = torch.load(last, map_location="cpu", weights_only=True)
    assert after["global_step"] == 5
    ema = {k[len("generator_ema.module."):]: v for k, v in after["state_dict"].items() if k.startswith("generator_ema.module.")}
    gen = {k[len("generator."):]: v for k, v in before.items() if k.startswith("generator.")}
    assert ema.keys() == gen.keys()
    # one generator step at the warm-up decay (1+3)/(10+3) from the old generator: still near it
    assert all(torch.allclose(ema[k], gen[k], atol=0.05) for k in gen)


def test_resume_modes(tmp_path) -> None:
    ckpt_dir = tmp_path / "checkpoints"
    assert resume_checkpoint("auto", ckpt_dir) is None and resume_checkpoint("never", ckpt_dir) is None
    ckpt_dir.mkdir()
    (ckpt_dir / "last.ckpt").write_bytes(b"")
    other = tmp_path / "other.ckpt"
    other.write_bytes(b"")
    assert resume_checkpoint("auto", ckpt_dir) == ckpt_dir / "last.ckpt" == resume_checkpoint(None, ckpt_dir)
    assert resume_checkpoint("never", ckpt_dir) is None and resume_checkpoint(False, ckpt_dir) is None
    assert resume_checkpoint(str(other), ckpt_dir) == other
    with pytest.raises(FileNotFoundError, match="resume checkpoint not found"):
        resume_checkpoint(str(tmp_path / "nope.ckpt"), ckpt_dir)


def test_init_from_loads_a_saved_generator(tmp_path) -> None:
    from prodiff_tts.training.vocoder_train import _init_generator
    from prodiff_tts.vocoders import save_vocoder

    torch.manual_seed(0)
    src = VocoderLightningModule(TINY_GEN, AC.to_dict(), [])
    save_vocoder(src.generator, tmp_path / "src")
    torch.manual_seed(1)
    module = VocoderLightningModule(TINY_GEN, AC.to_dict(), ["mrd"], TINY_DISC)
    _init_generator(module, str(tmp_path / "src"))
    assert all(torch.equal(a, b) for a, b in zip(src.generator.state_dict().values(),
                                                  module.generator.state_dict().values()))


def test_audio_config_must_match_the_prepared_data(tmp_path) -> None:
    manifest = write_manifest(tmp_path / "prep", corpus_wavs(tmp_path))
    cfg = _cfg(tmp_path, manifest, 1)
    cfg.audio.fmax = 7600.0
    with pytest.raises(ValueError, match="differs"):
        train_vocoder(cfg)


# --- configs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["hifigan_v1", "hifigan_v2", "hifigan_v3", "istft"])
def test_vocoder_configs_build(tmp_path, name: str) -> None:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONFIGS / "vocoder"), version_base="1.3"):
        v = OmegaConf.to_container(compose(name), resolve=True)
    module = VocoderLightningModule(
        {"name": v["name"], "kwargs": v["generator"]}, AC.to_dict(), v["discriminators"], v["discriminator_kwargs"],
        stft_weight=v["loss"]["stft_weight"], mel_only_steps=v["mel_only_steps"],
    )
    assert module.generator.name in ("hifigan", "istft")
    assert v["optim"]["lr"] == 2e-4 and v["optim"]["betas"] == [0.8, 0.99] and v["loss"]["mel_weight"] == 45.0


@pytest.mark.parametrize("experiment", ["vocoder_demo", "vocoder_demo_prior"])
def test_demo_experiment_composes(tmp_path, experiment: str) -> None:
    from hydra import compose, initialize_config_dir

    root = tmp_path / "root.yaml"
    root.write_text(
        "defaults:\n  - audio: default\n  - trainer: cpu\n  - vocoder: istft\n  - _self_\n  - experiment: null\n"
        f"hydra:\n  searchpath:\n    - file://{CONFIGS}\ntask: teacher\nrun_dir: exp/x\n"
    )
    with initialize_config_dir(str(tmp_path), version_base="1.3"):
        cfg = compose("root", overrides=[f"experiment={experiment}"])
    assert cfg.task == "vocoder" and cfg.vocoder.name == "istft"
    assert cfg.vocoder.data.segment_size % AC.hop_length == 0 and cfg.trainer.max_steps > 0
    module = vocoder_module_from_cfg(OmegaConf.to_container(cfg.vocoder, resolve=True), AC)
    assert len(module.discriminators) == len(cfg.vocoder.discriminators)


def test_train_vocoder_saves_last_during_training(tmp_path, monkeypatch) -> None:
    """last.ckpt is written on the timer while training runs, not only at the end: a killed run resumes."""
    from prodiff_tts.training.common import LastCheckpoint

    saved_at: list[int] = []
    original = LastCheckpoint.save

    def spy(self, trainer) -> None:
        saved_at.append(trainer.global_step)
        original(self, trainer)

    monkeypatch.setattr(LastCheckpoint, "save", spy)
    manifest = write_manifest(tmp_path / "prep", corpus_wavs(tmp_path))
    cfg = _cfg(tmp_path, manifest, 3)
    cfg.trainer.checkpoint_every_minutes = 0  # due after every batch
    train_vocoder(cfg)
    assert len(saved_at) >= 3 and min(saved_at) < max(saved_at)
