"""Held-out evaluation of generated mels against the recordings (teacher-forced durations, fixed noise)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..data.dataset import FeatureDataset, collate
from ..data.stats import FeatureStats
from ..diffusion.sampler import ddim_sample
from ..diffusion.schedule import make_schedule, uniform_timesteps
from .metrics import mcd, mel_l1


@dataclass
class HeldOutBatch:
    batch: dict
    cond: torch.Tensor
    mask: torch.Tensor
    noise: torch.Tensor
    lengths: list[int]
    reference: list[np.ndarray]  # natural-log mel of each recording [n_mels, T]


class HeldOutSet:
    """Items of a split with their conditions computed once (durations from the aligner: teacher forcing, so
    frames align with the recording) and fixed noise per item (common random numbers across candidates)."""

    def __init__(self, model, data_dir: str | Path, split: str = "test", items: int | None = 32,
                 batch_size: int = 8, seed: int = 0) -> None:
        data_dir = Path(data_dir)
        self.stats = FeatureStats.load(data_dir / "stats.json")
        ds = FeatureDataset(data_dir, split, self.stats)
        if len(ds) == 0:
            raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
        n = len(ds) if items is None else min(items, len(ds))
        order = sorted(range(n), key=lambda i: ds.records[i]["num_frames"])  # similar lengths batch together
        self.mean = torch.tensor(self.stats.mel_mean).view(1, -1, 1)
        self.std = torch.tensor(self.stats.mel_std).view(1, -1, 1)
        gen = torch.Generator().manual_seed(seed)
        self.batches: list[HeldOutBatch] = []
        model.eval()
        with torch.no_grad():
            for start in range(0, n, batch_size):
                b = collate([ds[i] for i in order[start : start + batch_size]])
                durations = model.condition_train(b).durations
                cond, mask, _, _ = model.condition_infer(b["phonemes"], b["phoneme_lengths"], durations=durations,
                                                         max_len=b["mel"].shape[-1])
                lengths = b["mel_lengths"].tolist()
                ref = self.denormalize(b["mel"])
                self.batches.append(HeldOutBatch(b, cond, mask, torch.randn(b["mel"].shape, generator=gen),
                                                 lengths, [ref[i, :, :T].numpy() for i, T in enumerate(lengths)]))
        self.ids = [i for hb in self.batches for i in hb.batch["ids"]]

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        return mel * self.std + self.mean

    @torch.no_grad()
    def generate(self, denoiser, schedule, timesteps: Sequence[float],
                 layer_masks: Sequence | None = None) -> list[np.ndarray]:
        """Natural-log mels of every item, generated with ``denoiser`` at ``timesteps``."""
        out = []
        for hb in self.batches:
            projected = denoiser.project_condition(hb.cond)

            def fn(z, t, i, projected=projected, mask=hb.mask):
                return denoiser(z, t, projected, mask, None if layer_masks is None else layer_masks[i])

            mel = self.denormalize(ddim_sample(fn, schedule, timesteps, hb.noise.shape, noise=hb.noise, mask=hb.mask))
            out += [mel[i, :, :T].numpy() for i, T in enumerate(hb.lengths)]
        return out

    @property
    def references(self) -> list[np.ndarray]:
        return [r for hb in self.batches for r in hb.reference]


def score(generated: list[np.ndarray], references: list[np.ndarray], with_mcd: bool = True) -> dict[str, float]:
    """Mean log-mel L1 and MCD (dB, DTW) of generated vs reference mels, item by item."""
    res = {"mel_l1": float(np.mean([mel_l1(g, r) for g, r in zip(generated, references)]))}
    if with_mcd:
        res["mcd"] = float(np.mean([mcd(g, r) for g, r in zip(generated, references)]))
    return res


class DistillEvaluation:
    """The per-round table of ``tts distill``: each student against the recordings, against the K0-step
    teacher, and the undistilled teacher sampled at the student's step count (the baseline to beat)."""

    def __init__(self, teacher_checkpoint: str | Path, data_dir: str | Path, split: str = "test",
                 items: int | None = 32, start_steps: int = 8, seed: int = 0) -> None:
        from ..training.distill import load_teacher_checkpoint

        self.model, hp = load_teacher_checkpoint(teacher_checkpoint)
        self.schedule = make_schedule(hp["diffusion"]["schedule"], **hp["diffusion"].get("schedule_kwargs", {}))
        self.held_out = HeldOutSet(self.model, data_dir, split, items, seed=seed)
        self.start_steps = start_steps
        self.teacher_k0 = self.held_out.generate(self.model.denoiser, self.schedule, uniform_timesteps(start_steps))

    def row(self, name: str, steps: int, generated: list[np.ndarray]) -> dict:
        r = {"model": name, "steps": steps, **score(generated, self.held_out.references)}
        r["l1_to_teacher_k0"] = float(np.mean([mel_l1(g, t) for g, t in zip(generated, self.teacher_k0)]))
        return r

    def round_table(self, student_file: str | Path, steps: int) -> list[dict]:
        import copy

        from ..bundle import load_weights

        student = copy.deepcopy(self.model.denoiser)
        student.load_state_dict(load_weights(Path(student_file)))
        student.eval()
        ts = uniform_timesteps(steps)
        return [
            self.row(f"teacher", self.start_steps, self.teacher_k0),
            self.row("teacher", steps, self.held_out.generate(self.model.denoiser, self.schedule, ts)),
            self.row("student", steps, self.held_out.generate(student, self.schedule, ts)),
        ]

    def format(self, rows: list[dict]) -> str:
        n = len(self.held_out.ids)
        head = (f"| model | steps | mel L1 (log-mel, vs recording) | MCD dB (DTW) | L1 to {self.start_steps}-step "
                f"teacher |\n|---|---|---|---|---|")
        body = [f"| {r['model']} | {r['steps']} | {r['mel_l1']:.4f} | {r['mcd']:.3f} | {r['l1_to_teacher_k0']:.4f} |"
                for r in rows]
        return "\n".join([head, *body, f"\n{n} held-out utterances, teacher-forced durations, fixed noise seeds"])
