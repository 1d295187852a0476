"""The vocoder's GAN LightningModule (manual optimisation) and its discriminators.

Recipe (HiFi-GAN): generator and discriminators each with AdamW (lr 2e-4, betas (0.8, 0.99)), LR ×0.999
per epoch (or every ``lr_decay_every`` generator steps); generator loss = 45 × mel L1 + 2 × feature
matching + LSGAN adversarial (+ optionally Parallel WaveGAN's multi-resolution STFT loss,
``stft_weight``; for vocoders that predict a spectrum, APNet's amplitude / phase / spectrum losses,
``amplitude_weight``, ``phase_weight``, ``spectrum_weight``). ``mel_only_steps`` trains the generator on
the reconstruction losses alone for the first N steps (no discriminator work at all: a fast start on CPU),
then the GAN losses switch on. The settings of a run come from ``configs/vocoder/*.yaml`` (see
:mod:`.vocoder_train`); the constructor's defaults are the same recipe, for building a module by hand.

Discriminators per vocoder: HiFi-GAN uses MPD + MSD (paper); the iSTFT model uses MPD + the multi-
resolution spectrogram discriminator (MRD), as Vocos does.

Step counting: Lightning's ``global_step`` counts optimizer steps, i.e. one per batch in the mel-only
phase and two (discriminator + generator) per batch after it. ``train_vocoder`` converts
``cfg.trainer.max_steps`` (generator steps = batches) with ``trainer_max_steps``; ``gen_step`` in the
logs counts generator steps too.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning as L
import torch
import torch.nn.functional as F
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
from ..vocoders.io import build_vocoder
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
from .ema import EMA
from .plots import mel_image

__all__ = ["VocoderLightningModule", "build_discriminators"]

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
        ema_decay: float = 0.0,
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
        # A GAN generator's weights wander from one step to the next (band levels of the joe run moved by
        # +-0.3 nats between checkpoints 10 minutes apart); their moving average is what is validated and
        # exported (``export_vocoder``), as checkpoint averaging did for that run.
        self.generator_ema = EMA(self.generator, ema_decay) if ema_decay > 0 else None
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

    @property
    def inference_generator(self) -> Vocoder:
        """The generator that is validated and exported: the moving average when ``ema_decay`` > 0."""
        return self.generator if self.generator_ema is None else self.generator_ema.module

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        return self.inference_generator(log_mel)

    def fill_missing_state(self, state: dict[str, torch.Tensor]) -> None:
        """A checkpoint written without ``ema_decay`` resumes with the average started at its generator
        (and one written with it drops the average when it is off)."""
        ema, gen = "generator_ema.module.", "generator."
        if self.generator_ema is not None and not any(k.startswith(ema) for k in state):
            state.update({ema + k[len(gen):]: v.clone() for k, v in list(state.items()) if k.startswith(gen)})
        elif self.generator_ema is None:
            for k in [k for k in state if k.startswith(ema)]:
                del state[k]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.fill_missing_state(checkpoint["state_dict"])

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
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator, self.gen_step)

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
        y_hat = self.inference_generator(mel)
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
                    image = image if image is not None else mel_image(mel, mel_hat)
                    if image is not None:
                        exp.add_image(f"val/{ident}/mel", image, self.gen_step, dataformats="HWC")
            elif hasattr(lg, "log_audio"):  # e.g. WandbLogger
                try:
                    lg.log_audio(key=f"val/{ident}", audios=[audio.numpy()], sample_rate=[sr], step=self.gen_step)
                except Exception as e:  # noqa: BLE001 — logging must never stop training
                    log.debug("log_audio failed: %s", e)
        self._logged_recordings.add(ident)
