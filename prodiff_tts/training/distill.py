"""Progressive distillation (Salimans & Ho 2022) of the x0 denoiser: each round halves the DDIM steps.

As in ProDiff, the encoder and variance adaptor are frozen and shared; only the denoiser trains. The student
of a round is initialised from its teacher, and becomes the teacher of the next round. Each round is its own
Lightning run (``<run_dir>/k<K>/``) with checkpoints and resume; its student (EMA weights) is saved as
``<run_dir>/k<K>/student.safetensors`` and evaluated on the held-out set before the next round starts.

Adversarial term (``distill.adversarial_weight`` > 0, in the rounds whose student takes at most
``distill.adversarial_max_steps`` steps): as in Adversarial Diffusion Distillation (Sauer et al. 2023), a
discriminator on mels (:mod:`.mel_discriminator`) compares the student's x0 prediction with the recording,
and the student minimizes distillation loss + weight x adversarial loss. Distillation alone copies a teacher
whose few-step output is already smooth; the discriminator pushes back the detail a listener misses. Lightning
counts both optimizers' steps then, so such a round runs ``2 x steps_per_round`` optimizer steps (the same
number of batches).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import lightning as L
import torch

from ..bundle import load_weights, save_weights
from ..checkpoints import load_teacher_checkpoint
from ..diffusion.distill import distillation_target, sample_triplets
from ..diffusion.sampler import q_sample
from ..diffusion.schedule import schedule_from_config, uniform_timesteps
from ..models.acoustic import AcousticModel
from .ema import EMA
from .losses import masked_l1
from .mel_discriminator import MelDiscriminator, hinge_d_loss, hinge_g_loss


def random_segments(tensors: tuple[torch.Tensor, ...], mask: torch.Tensor, frames: int,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """The same random window of ``frames`` frames of each item of every ``[B, C, T]`` tensor, inside the
    item's valid length (``mask [B, 1, T]``); shorter items keep their start and their mask's zeros."""
    T = mask.shape[-1]
    if T <= frames:
        return tensors
    lengths = mask[:, 0].sum(-1).long()
    room = (lengths - frames).clamp(min=0)
    start = (torch.rand(room.shape, generator=generator, device="cpu").to(room.device) * (room + 1)).long()
    idx = start[:, None] + torch.arange(frames, device=mask.device)[None]  # [B, frames], < T
    return tuple(x.gather(-1, idx[:, None, :].expand(x.shape[0], x.shape[1], frames)) for x in tensors)


def round_plan(start_steps: int, final_steps: int) -> list[tuple[int, int]]:
    """[(teacher_steps, student_steps), ...]: K0 -> K0/2 -> ... -> final_steps."""
    if start_steps < 2 or start_steps & (start_steps - 1):
        raise ValueError(f"start_steps must be a power of two >= 2, got {start_steps}")
    if final_steps < 1 or final_steps >= start_steps or start_steps % final_steps:
        raise ValueError(f"final_steps must divide start_steps and be smaller, got {final_steps}")
    plan, k = [], start_steps
    while k > final_steps:
        plan.append((k, k // 2))
        k //= 2
    return plan


class DistillModule(L.LightningModule):
    """One round: a frozen conditioning model and teacher denoiser, a trainable student denoiser."""

    def __init__(self, teacher_checkpoint: str, teacher_denoiser: str | None, teacher_steps: int,
                 lr: float = 1e-4, loss: str = "l1", ema_decay: float = 0.995, warmup_steps: int = 100,
                 seed: int = 0, adversarial_weight: float = 0.0, disc_lr: float = 2e-4,
                 disc_channels: int = 32, grad_clip: float | None = None, disc_segment_frames: int = 64) -> None:
        super().__init__()
        self.save_hyperparameters()
        model, hp = load_teacher_checkpoint(teacher_checkpoint)
        if teacher_denoiser:  # a student of an earlier round teaches this one
            model.denoiser.load_state_dict(load_weights(Path(teacher_denoiser)))
        self.model = model  # frozen: encoder, variance adaptor, aligner (used for teacher-forced durations)
        self.teacher = copy.deepcopy(model.denoiser).eval().requires_grad_(False)
        self.student = copy.deepcopy(model.denoiser).train().requires_grad_(True)
        self.ema = EMA(self.student, ema_decay)
        self.schedule = schedule_from_config(hp["diffusion"])
        self.teacher_timesteps = uniform_timesteps(teacher_steps)
        if loss not in ("l1", "snr_mse"):
            raise ValueError(f"distillation loss must be 'l1' or 'snr_mse', got {loss!r}")
        self.loss_name = loss
        if adversarial_weight < 0:
            raise ValueError(f"adversarial_weight must be >= 0, got {adversarial_weight}")
        self.adversarial = adversarial_weight > 0
        if self.adversarial:
            self.automatic_optimization = False  # two optimizers, stepped in training_step
            cfg = model.config
            self.discriminator = MelDiscriminator(cfg.n_mels, cfg.encoder.hidden, channels=disc_channels)

    def train(self, mode: bool = True):
        super().train(mode)
        self.model.eval()  # frozen parts stay deterministic (no dropout) while the student trains
        self.teacher.eval()
        return self

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        with torch.no_grad():
            cond, mask = self.model.condition_teacher_forced(batch, prosody="predicted")
            teacher = self.teacher.bind(cond, mask)
        x0 = batch["mel"]
        t, t_mid, t_next, _ = sample_triplets(self.teacher_timesteps, x0.shape[0], device=self.device)
        z_t = q_sample(x0, t, torch.randn_like(x0), self.schedule) * mask
        target = distillation_target(z_t, t, t_mid, t_next, teacher,
                                     self.schedule)
        pred = self.student(z_t, t, cond, mask)
        if self.loss_name == "l1":
            loss = masked_l1(pred, target, mask)
        else:  # x0-MSE weighted by max(SNR, 1) ("truncated SNR", Salimans & Ho)
            w = torch.clamp(torch.exp(self.schedule.log_snr(t)), min=1.0).view(-1, 1, 1)
            m = mask.expand_as(pred)
            loss = (w * (pred - target) ** 2 * m).sum() / m.sum().clamp(min=1.0)
        self.log("train/distill_loss", loss, prog_bar=True, batch_size=x0.shape[0])
        if not self.adversarial:
            return loss
        self._adversarial_step(loss, pred, x0 * mask, cond, mask)
        return None

    def _adversarial_step(self, distill_loss: torch.Tensor, pred: torch.Tensor, real: torch.Tensor,
                          cond: torch.Tensor, mask: torch.Tensor) -> None:
        """One discriminator step on (recording, student's x0), then one student step on distillation +
        adversarial loss (manual optimization)."""
        opt_g, opt_d = self.optimizers()
        sched_g, sched_d = self.lr_schedulers()
        bs = pred.shape[0]
        # the discriminator sees one random segment per utterance (as GAN vocoders do): its 2-D convolutions
        # over whole utterances would cost several times the student's own step
        pred, real, cond, mask = random_segments((pred, real, cond, mask), mask, self.hparams.disc_segment_frames)
        loss_d = hinge_d_loss(self.discriminator(real, cond, mask), self.discriminator(pred.detach(), cond, mask),
                              mask)
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        self._clip(opt_d)
        opt_d.step()
        sched_d.step()
        loss_adv = hinge_g_loss(self.discriminator(pred, cond, mask), mask)
        loss_g = distill_loss + self.hparams.adversarial_weight * loss_adv
        opt_g.zero_grad()
        self.manual_backward(loss_g)
        self._clip(opt_g)
        opt_g.step()
        sched_g.step()
        self.log_dict({"train/disc_loss": loss_d, "train/adv_loss": loss_adv, "train/student_loss": loss_g},
                      batch_size=bs)

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        self.ema.update(self.student, self.global_step)

    def _clip(self, opt) -> None:
        # the trainer's gradient_clip_val does not apply under manual optimization: the same clip, by hand
        if self.hparams.grad_clip:
            self.clip_gradients(opt, gradient_clip_val=float(self.hparams.grad_clip), gradient_clip_algorithm="norm")

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.student.parameters(), lr=self.hparams.lr, betas=(0.9, 0.98))
        warm = max(1, self.hparams.warmup_steps)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
        if not self.adversarial:
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        # GAN practice (as the vocoder's): Adam with a low beta1 for the discriminator
        opt_d = torch.optim.AdamW(self.discriminator.parameters(), lr=self.hparams.disc_lr, betas=(0.5, 0.9))
        sched_d = torch.optim.lr_scheduler.LambdaLR(opt_d, lambda s: min(1.0, (s + 1) / warm))
        return [opt, opt_d], [{"scheduler": sched, "interval": "step"}, {"scheduler": sched_d, "interval": "step"}]


def run_distillation(cfg) -> Path:
    """All rounds of ``cfg.distill``; returns the run directory holding ``k<K>/student.safetensors``."""
    from ..data.datamodule import FeatureDataModule
    from .common import build_trainer, check_resume, last_checkpoint
    from .run_files import check_data_dir, save_run_files

    dcfg = cfg.distill
    if not dcfg.teacher:
        raise ValueError("distill.teacher=<teacher checkpoint> is required")
    teacher_ckpt = Path(dcfg.teacher)
    if not teacher_ckpt.is_file():
        raise FileNotFoundError(f"teacher checkpoint not found: {teacher_ckpt}")
    data_dir = check_data_dir(cfg)
    run_dir = save_run_files(cfg, data_dir)
    d = cfg.data
    teacher_den: Path | None = None
    summary = []
    from ..bench.evaluate import DistillEvaluation

    evaluation = DistillEvaluation(teacher_ckpt, data_dir, split=dcfg.eval_split, items=dcfg.eval_items,
                                   start_steps=int(dcfg.start_steps), seed=cfg.seed)
    for teacher_steps, student_steps in round_plan(int(dcfg.start_steps), int(dcfg.final_steps)):
        round_dir = run_dir / f"k{student_steps}"
        student_file = round_dir / "student.safetensors"
        if not student_file.is_file():
            L.seed_everything(cfg.seed + student_steps, workers=True, verbose=False)
            adv = float(dcfg.adversarial_weight) if student_steps <= int(dcfg.adversarial_max_steps) else 0.0
            module = DistillModule(str(teacher_ckpt), str(teacher_den) if teacher_den else None, teacher_steps,
                                   lr=float(dcfg.lr), loss=str(dcfg.loss), ema_decay=float(dcfg.ema_decay),
                                   warmup_steps=int(dcfg.warmup_steps), seed=cfg.seed, adversarial_weight=adv,
                                   disc_lr=float(dcfg.disc_lr), disc_channels=int(dcfg.disc_channels),
                                   grad_clip=cfg.trainer.get("gradient_clip_val"),
                                   disc_segment_frames=int(dcfg.disc_segment_frames))
            dm = FeatureDataModule(data_dir, batch_size=d.batch_size, num_workers=d.num_workers,
                                   max_frames=d.max_frames, val_items=d.val_items, seed=cfg.seed)
            tcfg = cfg.trainer.copy()
            # an adversarial round steps two optimizers per batch, and Lightning counts both
            tcfg.max_steps = int(dcfg.steps_per_round) * (2 if module.adversarial else 1)
            if module.adversarial:
                tcfg.gradient_clip_val = None  # clipped in the module (manual optimization)
            tcfg.val_check_interval = min(int(tcfg.val_check_interval), int(dcfg.steps_per_round))
            tcfg.limit_val_batches = 0  # each round is evaluated by the table below instead
            resume = last_checkpoint(round_dir)
            if resume:
                check_resume(module, resume)
            # a multi-stage student: a batch may leave a head without items (DDP must allow unused parameters)
            trainer = build_trainer(tcfg, round_dir, find_unused_parameters=module.student.n_stages > 1)
            trainer.fit(module, dm, ckpt_path=str(resume) if resume else None, weights_only=True)
            if trainer.global_rank == 0:
                save_weights(student_file, module.ema.module.state_dict())
        rows = evaluation.round_table(student_file, student_steps)
        summary.append({"teacher_steps": teacher_steps, "student_steps": student_steps, "rows": rows})
        table = evaluation.format(rows)
        print(f"\nround {teacher_steps} -> {student_steps} steps\n{table}", flush=True)
        (round_dir / "table.md").write_text(table + "\n")
        teacher_den = student_file
    (run_dir / "distill_summary.json").write_text(json.dumps(summary, indent=1))
    return run_dir
