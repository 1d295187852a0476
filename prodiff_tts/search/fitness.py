"""Fitness of a schedule candidate on a fixed held-out set: log-mel L1 to the recordings plus a Fréchet
distance between Gaussian statistics of generated and real mel frames (the speech analogue of FID)."""

from __future__ import annotations

import numpy as np
import torch

from ..bench.evaluate import HeldOutSet
from ..bench.metrics import frame_statistics, frechet_distance
from ..diffusion.sampler import ddim_sample
from .evolution import Candidate


class ScheduleFitness:
    """Callable on a list of candidates -> fitness values (lower is better).

    Candidates without layer masks are evaluated together: their items are stacked along the batch, each
    with its own timesteps (the denoiser takes a per-item t), so a population costs few denoiser calls.
    """

    def __init__(self, held_out: HeldOutSet, denoiser, schedule, frechet_weight: float = 0.1,
                 max_batch: int = 64) -> None:
        self.held_out = held_out
        self.denoiser = denoiser.eval()
        self.schedule = schedule
        self.frechet_weight = frechet_weight
        self.max_batch = max_batch
        self.real_stats = frame_statistics(held_out.references)
        self.evaluations = 0

    def components(self, generated: list[np.ndarray]) -> dict[str, float]:
        l1 = float(np.mean([np.mean(np.abs(g - r)) for g, r in zip(generated, self.held_out.references)]))
        fd = frechet_distance(*frame_statistics(generated), *self.real_stats)
        return {"mel_l1": l1, "frechet": fd, "fitness": l1 + self.frechet_weight * fd}

    def __call__(self, candidates: list[Candidate]) -> list[float]:
        return [r["fitness"] for r in self.details(candidates)]

    def details(self, candidates: list[Candidate]) -> list[dict[str, float]]:
        self.evaluations += len(candidates)
        plain = [c for c in candidates if c.layer_masks is None]
        results: dict[str, dict] = {}
        per_group = max(1, self.max_batch // max(len(hb.lengths) for hb in self.held_out.batches))
        for start in range(0, len(plain), per_group):
            group = plain[start : start + per_group]
            for c, mels in zip(group, self._generate_stacked(group)):
                results[c.key()] = self.components(mels)
        for c in candidates:
            if c.layer_masks is not None:
                mels = self.held_out.generate(self.denoiser, self.schedule, c.timesteps, c.layer_masks)
                results[c.key()] = self.components(mels)
        return [results[c.key()] for c in candidates]

    @torch.no_grad()
    def _generate_stacked(self, group: list[Candidate]) -> list[list[np.ndarray]]:
        """DDIM for several timestep sequences at once: [candidate x item] along the batch, each item with
        its candidate's sequence."""
        out: list[list[np.ndarray]] = [[] for _ in group]
        ts = torch.tensor([c.timesteps for c in group])  # [C, K]
        for hb in self.held_out.batches:
            B, C = hb.noise.shape[0], len(group)
            rep = lambda x: x.repeat(C, *([1] * (x.dim() - 1)))  # noqa: E731
            cond, mask, noise = rep(hb.cond), rep(hb.mask), rep(hb.noise)
            z = ddim_sample(self.denoiser.bind(cond, mask), self.schedule, ts.repeat_interleave(B, dim=0),
                            noise.shape, noise=noise, mask=mask)
            mel = self.held_out.denormalize(z)
            for ci in range(C):
                out[ci] += [mel[ci * B + b, :, :T].numpy() for b, T in enumerate(hb.lengths)]
        return out
