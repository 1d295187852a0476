"""Vocoder training (GAN, manual optimisation) and the ``train_vocoder(cfg)`` entry point.

Recipe (HiFi-GAN): generator and discriminators each with AdamW (lr 2e-4, betas (0.8, 0.99)), LR ×0.999
per epoch (or every ``lr_decay_every`` generator steps); generator loss = 45 × mel L1 + 2 × feature
matching + LSGAN adversarial (+ optionally Parallel WaveGAN's multi-resolution STFT loss,
``stft_weight``; for vocoders that predict a spectrum, APNet's amplitude / phase / spectrum losses,
``amplitude_weight``, ``phase_weight``, ``spectrum_weight``). ``mel_only_steps`` trains the generator on
the reconstruction losses alone for the first N steps (no discriminator work at all: a fast start on CPU),
then the GAN losses switch on.

Discriminators per vocoder: HiFi-GAN uses MPD + MSD (paper); the iSTFT model uses MPD + the multi-
resolution spectrogram discriminator (MRD), as Vocos does.

Step counting: Lightning's ``global_step`` counts optimizer steps, i.e. one per batch in the mel-only
phase and two (discriminator + generator) per batch after it. ``train_vocoder`` converts
``cfg.trainer.max_steps`` (generator steps = batches) with ``trainer_max_steps``; ``gen_step`` in the
logs counts generator steps too.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from torch import nn

from ..audio.config import AudioConfig
from ..audio.griffin_lim import istft, stft
from ..audio.mel import MelSpectrogram
from ..vocoders.base import Vocoder
from ..vocoders.hifigan import (
    MultiPeriodDiscriminator,
    MultiResolutionDiscriminator,
    MultiScaleDiscriminator,
)
from ..vocoders.io import build_vocoder, save_vocoder
from ..vocoders.losses import (
    MelL1Loss,
    MultiResolutionSTFTLoss,
    amplitude_loss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    phase_loss,
    spectrum_loss,
)
from .common import AtomicCheckpointIO, LastCheckpoint

__all__ = [
    "VocoderLightningModule",
    "build_discriminators",
    "export_vocoder",
    "train_vocoder",
    "vocoder_module_from_cfg",
]

log = logging.getLogger(__name__)

_DISCRIMINATORS = {
    "mpd": MultiPeriodDiscriminator,
    "msd": MultiScaleDiscriminator,
    "mrd": MultiResolutionDiscriminator,
}


def build_discriminators(names: Sequence[str], kwargs: Mapping[str, Mapping[str, Any]] | None = None) -> nn.ModuleDict:
    """``("mpd", "msd")`` -> ModuleDict of the discriminators, each built with ``kwargs[name]``."""
    kwargs = kwargs or {}
    unknown = [n for n in names if n not in _DISCRIMINATORS]
    if unknown:
        raise ValueError(f"unknown discriminator(s) {unknown}; known: {sorted(_DISCRIMINATORS)}")
    return nn.ModuleDict({n: _DISCRIMINATORS[n](**dict(kwargs.get(n, {}))) for n in names})


class VocoderLightningModule(L.LightningModule):
    """GAN training of any :class:`~prodiff_tts.vocoders.base.Vocoder` built by ``build_vocoder``.

    All constructor arguments are plain data (saved as hyper-parameters, so a checkpoint loads with
    ``torch.load(weights_only=True)``). ``generator = {"name": "istft", "kwargs": {...}}``.
    """

    def __init__(
        self,
        generator: Mapping[str, Any],
        audio_config: Mapping[str, Any] | None = None,
        discriminators: Sequence[str] = ("mpd", "msd"),
        discriminator_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
        lr: float = 2e-4,
        betas: Sequence[float] = (0.8, 0.99),
        weight_decay: float = 0.01,
        lr_decay: float = 0.999,
        lr_decay_every: int | None = None,
        mel_weight: float = 45.0,
        fm_weight: float = 1.0,
        adv_weight: float = 1.0,
        adv_weights: Mapping[str, float] | None = None,
        loss_fmax: float | None = None,
        stft_weight: float = 0.0,
        amplitude_weight: float = 0.0,
        phase_weight: float = 0.0,
        spectrum_weight: float = 0.0,
        mel_only_steps: int = 0,
        grad_clip: float | None = None,
        val_log_clips: int = 2,
        sample_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.audio_config = AudioConfig.from_dict(dict(audio_config or {}))
        gen_kwargs = dict(generator.get("kwargs", {}) or {})
        gen_kwargs["audio_config"] = self.audio_config
        self.generator: Vocoder = build_vocoder(str(generator["name"]), **gen_kwargs)
        self.spectral_losses = any(w > 0 for w in (amplitude_weight, phase_weight, spectrum_weight))
        if self.spectral_losses and not hasattr(self.generator, "log_magnitude_and_phase"):
            raise ValueError(
                f"amplitude/phase/spectrum losses need a vocoder that predicts a spectrum (istft), not {generator['name']}"
            )
        self.discriminators = build_discriminators(list(discriminators), discriminator_kwargs)
        self.mel_loss = MelL1Loss(self.audio_config, weight=1.0, fmax=loss_fmax)
        self.stft_loss = MultiResolutionSTFTLoss() if stft_weight > 0 else None
        self.val_mel = MelSpectrogram(self.audio_config)
        self.adv_weights = {n: float((adv_weights or {}).get(n, 1.0)) for n in self.discriminators}
        self._logged_recordings: set[str] = set()

    # --- counters -------------------------------------------------------------------------------
    @property
    def n_optimizers(self) -> int:
        return 2 if len(self.discriminators) else 1

    def _gan_start(self) -> int:
        return int(self.hparams.mel_only_steps) if len(self.discriminators) else 0

    def gen_step_from_global(self, global_step: int) -> int:
        """Generator steps (= batches) after ``global_step`` optimizer steps: one per batch during the
        mel-only phase, two (discriminator + generator) per batch after it."""
        m = self._gan_start()
        if self.n_optimizers == 1 or global_step <= m:
            return global_step
        return m + (global_step - m) // 2

    def trainer_max_steps(self, generator_steps: int) -> int:
        """Lightning ``max_steps`` (optimizer steps) that stops after ``generator_steps`` batches."""
        if generator_steps < 0:
            return -1
        m = self._gan_start()
        if self.n_optimizers == 1 or generator_steps <= m:
            return generator_steps
        return m + 2 * (generator_steps - m)

    @property
    def gen_step(self) -> int:
        """Generator steps taken (Lightning's global_step also counts the discriminator's)."""
        return self.gen_step_from_global(self.global_step)

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        return self.generator(log_mel)

    # --- optimisation -----------------------------------------------------------------------------
    def configure_optimizers(self):
        hp = self.hparams
        kw = dict(lr=hp.lr, betas=tuple(hp.betas), weight_decay=hp.weight_decay)
        opts = [torch.optim.AdamW(self.generator.parameters(), **kw)]
        if len(self.discriminators):
            opts.append(torch.optim.AdamW(self.discriminators.parameters(), **kw))
        scheds = [torch.optim.lr_scheduler.ExponentialLR(o, gamma=hp.lr_decay) for o in opts]
        return opts, scheds

    def _optimizers(self) -> list:
        opts = self.optimizers()
        return list(opts) if isinstance(opts, (list, tuple)) else [opts]

    def _step(self, opt, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if self.hparams.grad_clip:
            self.clip_gradients(opt, gradient_clip_val=self.hparams.grad_clip, gradient_clip_algorithm="norm")
        opt.step()

    def training_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        hp = self.hparams
        opts = self._optimizers()
        opt_g = opts[0]
        wav, mel = batch["wav"], batch["mel"]
        if self.spectral_losses:
            log_mag_hat, phase_hat = self.generator.log_magnitude_and_phase(mel)
            spec_hat = torch.polar(torch.exp(log_mag_hat), phase_hat)
            y_hat = istft(spec_hat, self.audio_config)
        else:
            y_hat = self.generator.generate(mel)
        gan = len(self.discriminators) > 0 and self.gen_step >= self._gan_start()
        logs: dict[str, torch.Tensor] = {}

        if gan:
            opt_d = opts[1]
            self.toggle_optimizer(opt_d)
            loss_d = 0.0
            for name, disc in self.discriminators.items():
                real, fake, _, _ = disc(wav, y_hat.detach())
                ld, _, _ = discriminator_loss(real, fake)
                logs[f"train/d_{name}"] = ld.detach()
                loss_d = loss_d + ld
            self._step(opt_d, loss_d)
            self.untoggle_optimizer(opt_d)
            logs["train/loss_d"] = loss_d.detach()

        self.toggle_optimizer(opt_g)
        mel_l1 = self.mel_loss(y_hat, wav)
        loss_g = hp.mel_weight * mel_l1
        if self.stft_loss is not None:
            stft = self.stft_loss(y_hat, wav)
            loss_g = loss_g + hp.stft_weight * stft
            logs["train/stft"] = stft.detach()
        if self.spectral_losses:
            loss_g = loss_g + self._spectral_loss(wav, y_hat, log_mag_hat, phase_hat, spec_hat, logs)
        if gan:
            adv_total, fm_total = 0.0, 0.0
            for name, disc in self.discriminators.items():
                with torch.no_grad():
                    _, fmap_r = disc.score(wav)
                fake, fmap_g = disc.score(y_hat)
                adv, _ = generator_adversarial_loss(fake)
                fm = feature_matching_loss(fmap_r, fmap_g)
                logs[f"train/adv_{name}"] = adv.detach()
                adv_total = adv_total + self.adv_weights[name] * adv
                fm_total = fm_total + fm
            loss_g = loss_g + hp.adv_weight * adv_total + hp.fm_weight * fm_total
            logs["train/adv"] = adv_total.detach()
            logs["train/fm"] = fm_total.detach()
        self._step(opt_g, loss_g)
        self.untoggle_optimizer(opt_g)

        if hp.lr_decay_every and (self.gen_step % hp.lr_decay_every == 0):
            for s in self._schedulers():
                s.step()
        logs["train/loss_g"] = loss_g.detach()
        bs = wav.shape[0]
        self.log("train/mel_l1", mel_l1.detach(), prog_bar=True, batch_size=bs)
        self.log("gen_step", float(self.gen_step), prog_bar=False, batch_size=bs)
        self.log_dict(logs, batch_size=bs)

    def _spectral_loss(self, wav, y_hat, log_mag_hat, phase_hat, spec_hat, logs: dict) -> torch.Tensor:
        """APNet's weighted amplitude + phase + spectrum losses against the recording's STFT (same framing
        as the mel, so frame t of the prediction describes frame t of the segment)."""
        hp, ac = self.hparams, self.audio_config
        with torch.no_grad():
            spec = stft(wav.float(), ac)
        T = min(spec.shape[-1], spec_hat.shape[-1])
        spec, log_mag_hat, phase_hat, spec_hat = spec[..., :T], log_mag_hat[..., :T], phase_hat[..., :T], spec_hat[..., :T]
        amp = amplitude_loss(log_mag_hat, torch.log(spec.abs().clamp(min=ac.log_clamp)))
        pha = phase_loss(phase_hat, torch.angle(spec))
        spc = spectrum_loss(spec_hat, stft(y_hat, ac)[..., :T], spec)
        logs.update({"train/amplitude": amp.detach(), "train/phase": pha.detach(), "train/spectrum": spc.detach()})
        return hp.amplitude_weight * amp + hp.phase_weight * pha + hp.spectrum_weight * spc

    def _schedulers(self) -> list:
        """The schedulers to step now: the discriminator's only once it trains (its decay starts with the
        GAN phase)."""
        s = self.lr_schedulers()
        if s is None:
            return []
        s = list(s) if isinstance(s, (list, tuple)) else [s]
        if len(s) > 1 and self.gen_step <= self._gan_start():
            s = s[:1]
        return s

    def on_train_epoch_end(self) -> None:
        if not self.hparams.lr_decay_every:
            for s in self._schedulers():
                s.step()

    # --- validation -------------------------------------------------------------------------------
    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        mel = batch["mel"]
        y_hat = self.generator(mel)
        mel_hat = self.val_mel(y_hat)
        T = min(mel.shape[-1], mel_hat.shape[-1])
        l1 = F.l1_loss(mel_hat[..., :T], mel[..., :T])
        self.log("val/mel_l1", l1, prog_bar=True, batch_size=1, sync_dist=True)
        if batch_idx < self.hparams.val_log_clips and self.trainer.is_global_zero and not self.trainer.sanity_checking:
            ident = batch.get("id", [str(batch_idx)])
            ident = ident[0] if isinstance(ident, (list, tuple)) else str(ident)
            self._log_sample(ident, y_hat[0], batch["wav"][0], mel[0], mel_hat[0])
        return l1

    def _log_sample(self, ident: str, wav_hat: torch.Tensor, wav: torch.Tensor, mel: torch.Tensor, mel_hat: torch.Tensor) -> None:
        sr = self.audio_config.sample_rate
        audio = wav_hat.detach().float().cpu()
        if self.hparams.sample_dir:
            import soundfile as sf

            d = Path(self.hparams.sample_dir)
            d.mkdir(parents=True, exist_ok=True)
            sf.write(str(d / f"{ident}_step{self.gen_step:07d}.wav"), audio.numpy(), sr)
        loggers = self.loggers if self.trainer is not None else []
        image = None
        for lg in loggers:
            exp = getattr(lg, "experiment", None)
            if exp is not None and hasattr(exp, "add_audio"):  # TensorBoard
                exp.add_audio(f"val/{ident}/generated", audio.unsqueeze(0), self.gen_step, sample_rate=sr)
                if ident not in self._logged_recordings:
                    exp.add_audio(f"val/{ident}/recording", wav.detach().float().cpu().unsqueeze(0), 0, sample_rate=sr)
                if hasattr(exp, "add_image"):
                    image = image if image is not None else _mel_image(mel, mel_hat)
                    if image is not None:
                        exp.add_image(f"val/{ident}/mel", image, self.gen_step, dataformats="HWC")
            elif hasattr(lg, "log_audio"):  # e.g. WandbLogger
                try:
                    lg.log_audio(key=f"val/{ident}", audios=[audio.numpy()], sample_rate=[sr], step=self.gen_step)
                except Exception as e:  # noqa: BLE001 — logging must never stop training
                    log.debug("log_audio failed: %s", e)
        self._logged_recordings.add(ident)


def _mel_image(mel: torch.Tensor, mel_hat: torch.Tensor) -> np.ndarray | None:
    """Recording mel above the generated one, as an RGB array (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for ax, m, title in zip(axes, (mel, mel_hat), ("recording", "generated")):
        ax.imshow(m.detach().float().cpu().numpy(), origin="lower", aspect="auto", interpolation="none")
        ax.set_title(title)
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img


# ------------------------------------------------------------------------------------------------
# Checkpoints
# ------------------------------------------------------------------------------------------------
def export_vocoder(checkpoint: str | os.PathLike, out_dir: str | os.PathLike, fold_weight_norm: bool = True) -> Path:
    """Lightning checkpoint of :class:`VocoderLightningModule` -> ``save_vocoder`` directory (safetensors +
    JSON, generator only). Loads with ``weights_only=True``."""
    ckpt = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
    hp = ckpt.get("hyper_parameters")
    if not hp or "generator" not in hp:
        raise ValueError(f"{checkpoint}: not a vocoder training checkpoint (no generator hyper-parameters)")
    gen_kwargs = dict(hp["generator"].get("kwargs", {}) or {})
    gen_kwargs["audio_config"] = AudioConfig.from_dict(dict(hp.get("audio_config") or {}))
    model = build_vocoder(str(hp["generator"]["name"]), **gen_kwargs)
    prefix = "generator."
    state = {k[len(prefix) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}
    model.load_state_dict(state, strict=True)
    if fold_weight_norm:
        model.remove_weight_norm()
    return save_vocoder(model.eval(), out_dir)


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------
_TRAINER_KEYS = (  # passed to L.Trainer when present in cfg.trainer
    "accelerator",
    "devices",
    "num_nodes",
    "strategy",
    "precision",
    "val_check_interval",
    "check_val_every_n_epoch",
    "log_every_n_steps",
    "limit_val_batches",
    "num_sanity_val_steps",
    "enable_progress_bar",
    "deterministic",
    "max_time",
)


def _container(x: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(x, (DictConfig, ListConfig)):
        return OmegaConf.to_container(x, resolve=True)
    return x


def _get(cfg: Any, key: str, default: Any = None) -> Any:
    if cfg is None:
        return default
    try:
        v = cfg.get(key, default)
    except AttributeError:
        return default
    return default if v is None else v


def _resolve_manifest(data_cfg: Any) -> Path:
    for key in ("manifest", "manifest_path"):
        v = _get(data_cfg, key)
        if v:
            return Path(str(v))
    d = _get(data_cfg, "dir")
    if d:
        m = Path(str(d)) / "manifest.jsonl"
        if not m.is_file():
            raise FileNotFoundError(f"{m} not found: run `tts prepare CORPUS {d}` first (or set data.dir=...)")
        return m
    raise ValueError("cfg.data has neither 'dir' (a `tts prepare` output) nor 'manifest'")


def vocoder_module_from_cfg(v: Mapping[str, Any], audio: AudioConfig, sample_dir: str | None = None) -> VocoderLightningModule:
    """The training module described by a ``cfg.vocoder`` mapping (configs/vocoder/*.yaml, resolved)."""
    optim, loss = dict(v.get("optim") or {}), dict(v.get("loss") or {})
    return VocoderLightningModule(
        generator={"name": str(v["name"]), "kwargs": dict(v.get("generator") or {})},
        audio_config=audio.to_dict(),
        discriminators=list(v["discriminators"] if v.get("discriminators") is not None else ["mpd", "msd"]),
        discriminator_kwargs=dict(v.get("discriminator_kwargs") or {}),
        lr=float(optim.get("lr", 2e-4)),
        betas=[float(b) for b in optim.get("betas", (0.8, 0.99))],
        weight_decay=float(optim.get("weight_decay", 0.01)),
        lr_decay=float(optim.get("lr_decay", 0.999)),
        lr_decay_every=optim.get("lr_decay_every"),
        mel_weight=float(loss.get("mel_weight", 45.0)),
        fm_weight=float(loss.get("fm_weight", 1.0)),
        adv_weight=float(loss.get("adv_weight", 1.0)),
        adv_weights=loss.get("adv_weights") or None,
        loss_fmax=loss.get("fmax"),
        stft_weight=float(loss.get("stft_weight", 0.0)),
        amplitude_weight=float(loss.get("amplitude_weight", 0.0)),
        phase_weight=float(loss.get("phase_weight", 0.0)),
        spectrum_weight=float(loss.get("spectrum_weight", 0.0)),
        mel_only_steps=int(v.get("mel_only_steps") or 0),
        grad_clip=optim.get("grad_clip"),
        val_log_clips=int(v.get("val_log_clips", 2)),
        sample_dir=sample_dir,
    )


def _resume_path(cfg: Any, ckpt_dir: Path) -> str | None:
    resume = _get(cfg, "resume", _get(cfg.vocoder, "resume", "auto"))
    resume = str(resume) if resume is not None else "auto"
    if resume.lower() in ("false", "no", "never", "none", ""):
        return None
    if resume.lower() in ("auto", "last", "true", "yes"):
        last = ckpt_dir / "last.ckpt"
        if last.is_file():
            return str(last)
        if resume.lower() == "last":
            log.warning("resume=last but %s does not exist: starting from scratch", last)
        return None
    if not Path(resume).is_file():
        raise FileNotFoundError(f"resume checkpoint not found: {resume}")
    return resume


def train_vocoder(cfg: Any) -> Path:
    """Train the vocoder described by ``cfg.vocoder``; returns the best (lowest validation mel L1)
    checkpoint, else ``last.ckpt``.

    Reads ``cfg.run_dir``, ``cfg.seed``, ``cfg.audio`` (AudioConfig fields), ``cfg.resume`` (optional:
    "auto" (default) continues from ``{run_dir}/checkpoints/last.ckpt`` when present, "never", or a
    checkpoint path), ``cfg.data.dir`` (or ``cfg.data.manifest``: the ``manifest.jsonl`` of ``tts
    prepare``, rows {"id", "wav", "split", "trim"}; its ``prepare.json`` gives loudness normalisation and
    must match ``cfg.audio``), ``cfg.trainer`` (``max_steps`` = generator steps, ``accelerator``,
    ``devices``, ``num_nodes``, ``strategy``, ``precision``, ``val_check_interval`` (batches),
    ``limit_val_batches``, ``log_every_n_steps``, ``checkpoint_every_minutes``, ``threads``;
    ``gradient_clip_val`` is *not* used: GAN clipping is ``vocoder.optim.grad_clip``) and ``cfg.vocoder``
    (configs/vocoder/*.yaml). Writes under ``run_dir``: ``config.yaml``, ``checkpoints/`` (``last.ckpt``
    every ``checkpoint_every_minutes`` and at the end, ``best.ckpt`` on validation), ``logs/`` (CSV),
    ``samples/`` (validation wavs) and ``export/`` (final generator, weight norm folded: ``load_vocoder``).
    """
    from .audio_data import VocoderDataModule

    run_dir = Path(str(cfg.run_dir))
    ckpt_dir = run_dir / "checkpoints"
    v = cfg.vocoder
    t = cfg.trainer
    audio = AudioConfig.from_dict(_container(_get(cfg, "audio", {})) or {})
    if _get(t, "threads"):
        torch.set_num_threads(int(t.threads))
    L.seed_everything(int(_get(cfg, "seed", 1234)), workers=True, verbose=False)

    manifest = _resolve_manifest(_get(cfg, "data"))
    prep = manifest.parent / "prepare.json"
    if prep.is_file():
        import json

        prepared = AudioConfig.from_dict(json.loads(prep.read_text()).get("audio", {}))
        if prepared != audio:
            raise ValueError(f"audio config of {manifest.parent} ({prepared}) differs from cfg.audio ({audio})")
    dcfg = _container(_get(v, "data", {})) or {}
    dm = VocoderDataModule.from_manifest(
        manifest,
        mel_dir=dcfg.get("mel_dir"),
        audio_config=audio,
        segment_size=int(dcfg.get("segment_size", 8192)),
        batch_size=int(dcfg.get("batch_size", 16)),
        num_workers=int(dcfg.get("num_workers", 0)),
        val_clips=int(dcfg.get("val_clips", 4)),
        val_max_seconds=dcfg.get("val_max_seconds", 10.0),
        cache_audio=bool(dcfg.get("cache_audio", False)),
        pin_memory=bool(dcfg.get("pin_memory", False)),
    )

    module = vocoder_module_from_cfg(_container(v), audio, sample_dir=str(run_dir / "samples"))
    init_from = _get(v, "init_from")  # fine-tuning: start the generator from a saved vocoder
    if init_from:
        from ..vocoders.io import load_vocoder

        src = load_vocoder(str(init_from), eval_mode=False)
        if src.has_weight_norm != module.generator.has_weight_norm:
            raise ValueError(f"init_from {init_from}: weight-norm state differs from the model being trained")
        module.generator.load_state_dict(src.state_dict(), strict=True)

    trainer_kwargs = {k: _container(_get(t, k)) for k in _TRAINER_KEYS if _get(t, k) is not None}
    trainer_kwargs["max_steps"] = module.trainer_max_steps(int(_get(t, "max_steps", -1)))
    if isinstance(trainer_kwargs.get("val_check_interval"), int):
        trainer_kwargs.setdefault("check_val_every_n_epoch", None)  # count batches across epochs
    n_dev = trainer_kwargs.get("devices", 1)
    multi = int(trainer_kwargs.get("num_nodes", 1)) > 1 or (isinstance(n_dev, int) and n_dev > 1)
    if trainer_kwargs.get("strategy") in ("ddp", "auto", None) and multi and len(module.discriminators):
        # the mel-only phase leaves the discriminators without gradients: DDP must allow unused parameters
        trainer_kwargs["strategy"] = "ddp_find_unused_parameters_true"
    minutes = float(_get(t, "checkpoint_every_minutes", _get(v, "checkpoint_every_minutes", 10.0)))

    last_cb = LastCheckpoint(ckpt_dir, minutes)
    best_cb = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="best",
        monitor="val/mel_l1",
        mode="min",
        save_top_k=1,
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )
    loggers: list = [CSVLogger(save_dir=str(run_dir), name="logs")]  # version_N per (re)start: resuming never overwrites
    try:
        import tensorboard  # noqa: F401

        loggers.append(TensorBoardLogger(save_dir=str(run_dir), name="tb", version=""))
    except ImportError:
        pass
    from .run import save_run_files

    save_run_files(cfg, None)
    trainer = L.Trainer(
        default_root_dir=str(run_dir),
        callbacks=[last_cb, best_cb, LearningRateMonitor(logging_interval="step")],
        logger=loggers,
        plugins=[AtomicCheckpointIO()],
        max_epochs=-1,
        enable_model_summary=False,
        **trainer_kwargs,
    )
    ckpt_path = _resume_path(cfg, ckpt_dir)
    if ckpt_path:
        log.info("resuming vocoder training from %s", ckpt_path)
    trainer.fit(module, datamodule=dm, ckpt_path=ckpt_path, weights_only=True if ckpt_path else None)
    last = last_cb.path  # written by LastCheckpoint when training ends
    if trainer.is_global_zero:
        export = copy.deepcopy(module.generator).cpu()
        export.remove_weight_norm()
        save_vocoder(export.eval(), run_dir / "export")
    best = best_cb.best_model_path
    return Path(best) if best and Path(best).is_file() else last
