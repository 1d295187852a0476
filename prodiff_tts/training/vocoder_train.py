"""``task=vocoder``: the config (``configs/vocoder/*.yaml``, every default there) -> module, data, resume, fit,
export. The Trainer is the one of every task (:func:`.common.build_trainer`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from ..audio.config import AudioConfig
from .common import StepTime, build_trainer, check_resume
from .run_files import check_prepared_audio, save_run_files
from .vocoder_export import export_generator
from .vocoder_module import VocoderLightningModule

__all__ = ["resume_checkpoint", "train_vocoder", "vocoder_module_from_cfg"]

log = logging.getLogger(__name__)


def vocoder_module_from_cfg(v: Mapping[str, Any], audio: AudioConfig, sample_dir: str | None = None) -> VocoderLightningModule:
    """The training module described by a ``cfg.vocoder`` mapping (configs/vocoder/*.yaml, resolved)."""
    optim, loss = v["optim"], v["loss"]
    return VocoderLightningModule(
        generator={"name": str(v["name"]), "kwargs": dict(v["generator"] or {})},
        audio_config=audio.to_dict(),
        discriminators=list(v["discriminators"] or []),
        discriminator_kwargs=dict(v["discriminator_kwargs"] or {}),
        lr=float(optim["lr"]),
        betas=[float(b) for b in optim["betas"]],
        weight_decay=float(optim["weight_decay"]),
        lr_decay=float(optim["lr_decay"]),
        lr_decay_every=optim["lr_decay_every"],
        mel_weight=float(loss["mel_weight"]),
        fm_weight=float(loss["fm_weight"]),
        adv_weight=float(loss["adv_weight"]),
        adv_weights=dict(loss["adv_weights"] or {}),
        loss_fmax=loss["fmax"],
        stft_weight=float(loss["stft_weight"]),
        amplitude_weight=float(loss["amplitude_weight"]),
        phase_weight=float(loss["phase_weight"]),
        spectrum_weight=float(loss["spectrum_weight"]),
        mel_only_steps=int(v["mel_only_steps"]),
        grad_clip=optim["grad_clip"],
        ema_decay=float(v["ema_decay"]),
        val_log_clips=int(v["val_log_clips"]),
        sample_dir=sample_dir,
    )


def resume_checkpoint(resume: Any, ckpt_dir: Path) -> Path | None:
    """The checkpoint ``vocoder.resume`` asks for: ``auto`` (also ``last``, true, null) ``ckpt_dir/last.ckpt``
    when it exists, ``never`` (also ``no``, ``none``, false) none, else that checkpoint path (which must exist)."""
    resume = "auto" if resume is None else str(resume)
    if resume.lower() in ("false", "no", "never", "none", ""):
        return None
    if resume.lower() in ("auto", "last", "true", "yes"):
        last = ckpt_dir / "last.ckpt"
        if last.is_file():
            return last
        if resume.lower() == "last":
            log.warning("resume=last but %s does not exist: starting from scratch", last)
        return None
    if not Path(resume).is_file():
        raise FileNotFoundError(f"resume checkpoint not found: {resume}")
    return Path(resume)


def _manifest(data_cfg: DictConfig) -> Path:
    """``data.manifest`` when given, else the ``manifest.jsonl`` of the ``tts prepare`` output ``data.dir``."""
    for key in ("manifest", "manifest_path"):  # optional: a manifest outside a prepared cache
        if data_cfg.get(key):
            return Path(str(data_cfg.get(key)))
    m = Path(str(data_cfg.dir)) / "manifest.jsonl"
    if not m.is_file():
        raise FileNotFoundError(f"{m} not found: run `tts prepare CORPUS {data_cfg.dir}` first (or set data.dir=...)")
    return m


def _init_generator(module: VocoderLightningModule, init_from: str) -> None:
    """Fine-tuning: the generator starts from a saved vocoder (a ``save_vocoder`` directory or file)."""
    from ..vocoders.io import load_vocoder

    src = load_vocoder(str(init_from), eval_mode=False)
    if src.has_weight_norm != module.generator.has_weight_norm:
        raise ValueError(f"init_from {init_from}: weight-norm state differs from the model being trained")
    module.generator.load_state_dict(src.state_dict(), strict=True)


def _tensorboard(run_dir: Path) -> list:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return []
    from lightning.pytorch.loggers import TensorBoardLogger

    return [TensorBoardLogger(save_dir=str(run_dir), name="tb", version="")]


def train_vocoder(cfg: DictConfig) -> Path:
    """Train the vocoder described by ``cfg.vocoder``; returns the best (lowest validation mel L1)
    checkpoint, else ``last.ckpt``.

    Reads ``cfg.run_dir``, ``cfg.seed``, ``cfg.audio``, ``cfg.data.dir`` (or ``cfg.data.manifest``: the
    ``manifest.jsonl`` of ``tts prepare``, rows {"id", "wav", "split", "trim"}; its ``prepare.json`` gives
    loudness normalisation and must match ``cfg.audio``), ``cfg.trainer`` (the `trainer` group, as for the
    other tasks, with ``max_steps`` and ``val_check_interval`` counted in generator steps = batches;
    ``gradient_clip_val`` is *not* used: GAN clipping is ``vocoder.optim.grad_clip``) and ``cfg.vocoder``
    (configs/vocoder/*.yaml: ``resume`` auto|never|path, ``init_from``, ``data``, ``optim``, ``loss``).
    Writes under ``run_dir``: ``config.yaml``, ``checkpoints/`` (``last.ckpt`` every
    ``checkpoint_every_minutes`` and at the end, ``best.ckpt`` on validation), ``logs/`` (CSV), ``samples/``
    (validation wavs) and ``export/`` (final generator, weight norm folded: ``load_vocoder``).
    """
    from .audio_data import VocoderDataModule

    run_dir = Path(str(cfg.run_dir))
    ckpt_dir = run_dir / "checkpoints"
    v = cfg.vocoder
    audio = AudioConfig.from_dict(OmegaConf.to_container(cfg.audio, resolve=True))
    L.seed_everything(int(cfg.seed), workers=True, verbose=False)

    manifest = _manifest(cfg.data)
    if (manifest.parent / "prepare.json").is_file():
        check_prepared_audio(manifest.parent, cfg.audio)
    d = v.data
    dm = VocoderDataModule.from_manifest(
        manifest, mel_dir=d.mel_dir, audio_config=audio, segment_size=int(d.segment_size),
        batch_size=int(d.batch_size), num_workers=int(d.num_workers), val_clips=int(d.val_clips),
        val_max_seconds=d.val_max_seconds, cache_audio=bool(d.cache_audio), pin_memory=bool(d.pin_memory),
        generated_mel_fraction=float(d.generated_mel_fraction),
    )
    module = vocoder_module_from_cfg(OmegaConf.to_container(v, resolve=True), audio, sample_dir=str(run_dir / "samples"))
    if v.init_from:
        _init_generator(module, v.init_from)

    tcfg = cfg.trainer.copy()
    tcfg.max_steps = module.trainer_max_steps(int(tcfg.max_steps))  # generator steps -> optimizer steps
    # manual optimisation (two optimizers, GAN): Lightning's clipping cannot apply; vocoder.optim.grad_clip does
    tcfg.gradient_clip_val = None
    best = ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor="val/mel_l1", mode="min", save_top_k=1,
                           auto_insert_metric_name=False, enable_version_counter=False)
    save_run_files(cfg, None)
    trainer = build_trainer(
        tcfg, run_dir, [best, StepTime(lambda trainer, m: m.gen_step)],
        numbered_checkpoints=False,  # best.ckpt instead: a numbered GAN checkpoint (G + D + 2 optimizers) is big
        extra_loggers=_tensorboard(run_dir),
        distributed_sampler=True,  # a plain shuffled DataLoader: Lightning shards it across ranks
        find_unused_parameters=len(module.discriminators) > 0,  # no discriminator gradients in the mel-only phase
    )
    resume = resume_checkpoint(v.resume, ckpt_dir)
    if resume:
        check_resume(module, resume)
        log.info("resuming vocoder training from %s", resume)
    trainer.fit(module, datamodule=dm, ckpt_path=str(resume) if resume else None, weights_only=True)
    if trainer.is_global_zero:
        export_generator(module.inference_generator, run_dir / "export")
    best_path = best.best_model_path
    return Path(best_path) if best_path and Path(best_path).is_file() else ckpt_dir / "last.ckpt"
