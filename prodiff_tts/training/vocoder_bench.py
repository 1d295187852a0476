"""Time vocoder training steps (the real ``VocoderLightningModule.training_step`` under a Lightning
Trainer, random audio): median seconds per reconstruction-only step and per GAN step.

    python -m prodiff_tts.training.vocoder_bench --vocoder istft --batch-size 16 --threads 2
    python -m prodiff_tts.training.vocoder_bench --vocoder istft --experiment vocoder_demo
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any, Mapping

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from ..audio.config import AudioConfig
from ..audio.mel import MelSpectrogram
from .vocoder_module import VocoderLightningModule
from .vocoder_train import vocoder_module_from_cfg

__all__ = ["measure_training_steps", "module_from_vocoder_cfg"]


class _RandomSegments(Dataset):
    def __init__(self, n: int, segment_size: int, config: AudioConfig) -> None:
        g = torch.Generator().manual_seed(0)
        self.wav = (torch.randn(n, segment_size, generator=g) * 0.1).clamp(-1, 1)
        self.mel = MelSpectrogram(config)(self.wav)

    def __len__(self) -> int:
        return len(self.wav)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"wav": self.wav[i], "mel": self.mel[i]}


class _Timer(L.Callback):
    def __init__(self) -> None:
        self.times: list[tuple[bool, float]] = []
        self._t0 = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._gan = len(pl_module.discriminators) > 0 and pl_module.gen_step >= pl_module.hparams.mel_only_steps
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.times.append((self._gan, time.perf_counter() - self._t0))


def module_from_vocoder_cfg(v: Mapping[str, Any], audio: AudioConfig, mel_only_steps: int | None = None) -> VocoderLightningModule:
    """The training module ``train_vocoder`` would build from a ``cfg.vocoder`` mapping."""
    module = vocoder_module_from_cfg(v, audio)
    if mel_only_steps is not None:
        module.hparams.mel_only_steps = int(mel_only_steps)
    return module


def measure_training_steps(
    module: VocoderLightningModule,
    batch_size: int = 16,
    segment_size: int = 8192,
    recon_steps: int = 3,
    gan_steps: int = 3,
    warmup: int = 1,
) -> dict[str, float | None]:
    """Median wall seconds of a reconstruction-only step and of a GAN step (after ``warmup`` of each)."""
    module.hparams.mel_only_steps = recon_steps + warmup if len(module.discriminators) else 0
    n_recon = recon_steps + warmup
    n_gan = (gan_steps + warmup) if len(module.discriminators) else 0
    ds = _RandomSegments(batch_size, segment_size, module.audio_config)
    timer = _Timer()
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=module.trainer_max_steps(n_recon + n_gan),
        max_epochs=-1,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
    )
    trainer.fit(module, DataLoader(ds, batch_size=batch_size))
    recon = [t for gan, t in timer.times if not gan][warmup:]
    gan = [t for g, t in timer.times if g][warmup:]
    return {
        "recon_step_s": statistics.median(recon) if recon else None,
        "gan_step_s": statistics.median(gan) if gan else None,
        "threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "segment_size": segment_size,
    }


def main(argv: list[str] | None = None) -> None:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocoder", default="istft", help="config of the vocoder group (istft, hifigan_v2, ...)")
    ap.add_argument("--experiment", default=None, help="an experiment config whose vocoder.* overrides apply")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--segment-size", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    configs = Path(__file__).resolve().parent.parent / "configs"
    with initialize_config_dir(str(configs / "vocoder"), version_base="1.3"):
        v = OmegaConf.to_container(compose(args.vocoder), resolve=True)
    if args.experiment:
        exp = OmegaConf.load(configs / "experiment" / f"{args.experiment}.yaml")
        v = OmegaConf.to_container(OmegaConf.merge(v, exp.get("vocoder", {})), resolve=True)
    bs = args.batch_size or int(v["data"]["batch_size"])
    seg = args.segment_size or int(v["data"]["segment_size"])
    r = measure_training_steps(module_from_vocoder_cfg(v, AudioConfig()), bs, seg, args.steps, args.steps)
    fmt = lambda x: "n/a" if x is None else f"{x:.2f} s"  # noqa: E731
    print(
        f"{v['name']} ({args.vocoder}{' + ' + args.experiment if args.experiment else ''}): batch {bs} x {seg} "
        f"samples, {r['threads']} threads: reconstruction-only step {fmt(r['recon_step_s'])}, "
        f"GAN step {fmt(r['gan_step_s'])}"
    )


if __name__ == "__main__":
    main()
