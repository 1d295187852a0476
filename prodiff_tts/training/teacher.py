"""Teacher training: the ProDiff acoustic model with an x0-predicting diffusion decoder (LightningModule), and
``train_teacher(cfg)``, the ``task=teacher`` entry point (a multi-stage denoiser's boundaries are found
first: :mod:`.stage_division`)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from ..diffusion.sampler import ddim_sample, q_sample
from ..diffusion.schedule import schedule_from_config, uniform_timesteps
from ..models.acoustic import AcousticModel
from ..models.config import AcousticConfig
from ..models.denoiser import stage_state_from_single
from .common import build_trainer, check_resume, last_checkpoint
from .ema import EMA
from .losses import masked_l1, mel_ssim_loss
from .plots import save_mel_comparison
from .run_files import check_data_dir, save_run_files
from .stage_division import resolve_stage_boundaries


class TeacherModule(L.LightningModule):
    """Everything is plain-typed (dicts of numbers) so the checkpoint loads with ``weights_only=True``."""

    def __init__(
        self,
        model: dict,
        n_symbols: int,
        diffusion: dict,
        optim: dict,
        mel_std: list[float] | None = None,
        run_dir: str = ".",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = AcousticModel(AcousticConfig.from_dict(model), n_symbols)
        self.ema = EMA(self.model, optim["ema_decay"])
        self.schedule = schedule_from_config(diffusion)
        self.train_grid = diffusion.get("train_grid")
        self.t_min = float(diffusion.get("t_min", 1e-3))
        self.optim = optim
        # denormalizes mel errors into natural-log-mel units for reporting
        self.register_buffer("mel_std", torch.tensor(mel_std or [1.0] * self.model.config.n_mels).view(1, -1, 1),
                             persistent=False)

    # --- training --------------------------------------------------------------------------------------

    def sample_t(self, batch_size: int) -> torch.Tensor:
        if self.train_grid:  # ProDiff-exact: the discrete K-step grid t_i = i / K
            k = int(self.train_grid)
            return torch.randint(1, k + 1, (batch_size,), device=self.device).float() / k
        return self.t_min + (1.0 - self.t_min) * torch.rand(batch_size, device=self.device)

    def bin_loss_weight(self) -> float:
        start, ramp = self.optim["bin_loss_start_step"], max(1, self.optim["bin_loss_ramp_steps"])
        return min(1.0, max(0.0, (self.global_step - start) / ramp))

    def losses(self, batch: dict) -> dict[str, torch.Tensor]:
        out = self.model.condition_train(batch)
        x0 = batch["mel"]
        mask = out.mask  # [B, 1, T]
        t = self.sample_t(x0.shape[0])
        z_t = q_sample(x0, t, torch.randn_like(x0), self.schedule) * mask
        x0_hat = self.model.denoiser(z_t, t, out.cond, mask)
        losses = {"mel_l1": masked_l1(x0_hat, x0, mask), **out.losses}
        if self.optim["loss"].get("ssim", 0.0) > 0:
            losses["ssim"] = mel_ssim_loss(x0_hat, x0, mask)
        return losses

    def total(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        w = dict(self.optim["loss"])
        w["align_bin"] = w.get("align_bin", 1.0) * self.bin_loss_weight()
        return sum(w.get(k, 1.0) * v for k, v in losses.items())

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        losses = self.losses(batch)
        loss = self.total(losses)
        bs = batch["mel"].shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        for k, v in losses.items():
            self.log(f"train/{k}", v, batch_size=bs)
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        self.ema.update(self.model, self.global_step)

    # --- validation: synthesize held-out utterances with teacher-forced durations ------------------------

    @torch.no_grad()
    def synthesize_teacher_forced(self, batch: dict, steps: int, model: AcousticModel | None = None,
                                  seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Generated normalized mel [B, M, T] aligned frame by frame with the recording, and its mask."""
        model = model or self.ema.module
        cond, mask = model.condition_teacher_forced(batch, prosody="predicted")
        gen = torch.Generator(device="cpu").manual_seed(seed)
        noise = torch.randn(batch["mel"].shape, generator=gen).to(self.device)
        mel = ddim_sample(model.denoiser.bind(cond, mask), self.schedule, uniform_timesteps(steps),
                          batch["mel"].shape, noise=noise, mask=mask)
        return mel, mask

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        bs = batch["mel"].shape[0]
        self.log("val/loss", self.total(self.losses(batch)), batch_size=bs, sync_dist=True)
        for k in self.optim["val_steps"]:
            mel, mask = self.synthesize_teacher_forced(batch, k)
            l1 = masked_l1(mel * self.mel_std, batch["mel"] * self.mel_std, mask)
            self.log(f"val/mel_l1_{k}steps", l1, prog_bar=True, batch_size=bs, sync_dist=True)
            if batch_idx == 0 and self.global_rank == 0 and self.optim.get("val_images", 0):
                n = min(self.optim["val_images"], bs)
                path = Path(self.hparams.run_dir) / "val_images" / f"step{self.global_step:08d}_{k}steps.png"
                save_mel_comparison(path, mel[:n], batch["mel"][:n], batch["mel_lengths"][:n], batch["ids"][:n])

    # --- optimizer: Adam with warm-up and cosine decay ------------------------------------------------------

    def configure_optimizers(self):
        o = self.optim
        opt = torch.optim.AdamW(self.model.parameters(), lr=o["lr"], betas=tuple(o["betas"]),
                                weight_decay=o["weight_decay"])
        warm, decay, floor = o["warmup_steps"], o["lr_decay_steps"], o["lr_min"] / o["lr"]

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / max(1, warm)
            p = min(1.0, (step - warm) / max(1, decay))
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def init_from_voice(module: TeacherModule, bundle_dir: str | Path, vocab_symbols: list[str]) -> None:
    """Fine-tune from a released voice (as Piper's voices start from another voice): its encoder, variance
    adaptor, aligner and teacher denoiser become the starting weights, of the model and of its EMA. The
    architecture and the phoneme inventory must be the same; the feature statistics may differ (the model
    works in each corpus's normalized mel space and adapts to the new one)."""
    from ..bundle import BundleError, acoustic_state, load_state
    from ..text import Vocab

    cfg, state = acoustic_state(bundle_dir)
    theirs = Vocab.load(Path(bundle_dir) / "vocab.json").symbols
    if list(theirs) != list(vocab_symbols):
        raise BundleError(f"init_from {bundle_dir}: its phoneme inventory differs from this corpus's vocab.json")
    theirs_cfg, mine = AcousticConfig.from_dict(cfg.model), module.model.config
    one_stage = replace(mine, denoiser=replace(mine.denoiser, n_stages=1, trunk_layers=theirs_cfg.denoiser.trunk_layers,
                                               stage_boundaries=()))
    if theirs_cfg.denoiser.n_stages == 1 and mine.denoiser.n_stages > 1 and theirs_cfg == one_stage:
        # a multi-stage model from a one-stage voice: every head starts as the voice's own layers
        state = stage_state_from_single(state, mine.denoiser, prefix="denoiser.")
    elif theirs_cfg != mine:
        raise BundleError(f"init_from {bundle_dir}: its model config differs from the one being trained "
                          "(use the same model preset)")
    load_state(module.model, state, f"init_from {bundle_dir}")
    module.ema.module.load_state_dict(module.model.state_dict())


def train_teacher(cfg: DictConfig) -> Path:
    """``task=teacher``: train :class:`TeacherModule` on the prepared cache ``cfg.data.dir``; a rerun resumes
    from ``<run_dir>/checkpoints/last.ckpt``. Returns that checkpoint."""
    from ..data.datamodule import FeatureDataModule
    from ..data.stats import FeatureStats
    from ..text import Vocab

    data_dir = check_data_dir(cfg)
    # a multi-stage denoiser without boundaries: found on the training mels (stages.json), before config.yaml
    cfg = resolve_stage_boundaries(cfg, data_dir)
    run_dir = save_run_files(cfg, data_dir)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    vocab = Vocab.load(data_dir / "vocab.json")
    stats = FeatureStats.load(data_dir / "stats.json")
    module = TeacherModule(
        model=OmegaConf.to_container(cfg.model, resolve=True),
        n_symbols=len(vocab),
        diffusion=OmegaConf.to_container(cfg.diffusion, resolve=True),
        optim=OmegaConf.to_container(cfg.teacher, resolve=True),
        mel_std=list(stats.mel_std),
        run_dir=str(run_dir),
    )
    d = cfg.data
    dm = FeatureDataModule(data_dir, batch_size=d.batch_size, num_workers=d.num_workers, max_frames=d.max_frames,
                           val_items=d.val_items, seed=cfg.seed)
    resume = last_checkpoint(run_dir)
    if resume:
        check_resume(module, resume)
    elif cfg.teacher.get("init_from"):
        init_from_voice(module, cfg.teacher.init_from, vocab.symbols)
    # with stages, a batch may leave a head without items (no gradient): DDP must allow unused parameters
    multi_stage = module.model.config.denoiser.n_stages > 1
    trainer = build_trainer(cfg.trainer, run_dir, find_unused_parameters=multi_stage)
    trainer.fit(module, dm, ckpt_path=str(resume) if resume else None, weights_only=True)
    return last_checkpoint(run_dir) or run_dir
