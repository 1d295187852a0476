"""Stage division of [0, 1] for the multi-stage denoiser by clustering timesteps (pure functions).

Zhang et al., "Improving Efficiency of Diffusion Models via Multi-Stage Framework and Tailored Multi-Decoder
Architectures" (CVPR 2024, arXiv 2312.09181): timesteps at which the *optimal* denoiser behaves alike should
share parameters. For a finite training sample {x0_n} the optimal x0-denoiser is known in closed form,

    E[x0 | z_t] = sum_n w_n(z_t) x0_n,   w(z_t) = softmax_n(-||z_t - alpha_t x0_n||^2 / (2 sigma_t^2)),

so its behaviour across t can be measured without any trained network. The paper draws a probe x0 and noise,
evaluates this denoiser at two times with the same (x0, noise), scores the pair by the fraction of pixels that
agree, and splits a grid of 21 times into contiguous intervals with a mixed-integer solver (Gurobi).

Adaptation here, for normalised mels:

* Candidates are fixed-length segments (``segment_frames`` frames, all mel bins) cut from training
  utterances, so every candidate has the same shape; the probes are some of the candidates (as in the paper,
  where the probe comes from the dataset), each with one fixed noise draw reused at every t.
* Each grid time is described by the optimal denoiser's outputs on all probes (a vector); two times are
  compared by the squared Euclidean distance of those vectors rather than a per-pixel agreement count
  (mel values are continuous, there is no 8-bit quantisation step to count agreement against).
* The grid is cut into S contiguous segments minimising the within-segment sum of squared distances to the
  segment mean (k-means restricted to contiguous segments), solved exactly by dynamic programming in
  O(S G^2). The paper's objective (sum over intervals of the mean within-interval similarity) is maximised by
  singleton intervals, and needs a commercial solver; this one does neither.
* The grid is G equal cells of [0, 1], evaluated at cell centres; boundaries fall on cell edges, so the
  stages cover [0, 1] exactly: stage s serves ``edges[s] <= t < edges[s + 1]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor

from .schedule import NoiseSchedule, coefficients

__all__ = [
    "StageDivisionSettings",
    "StageDivision",
    "mel_segments",
    "optimal_denoiser",
    "optimal_denoiser_outputs",
    "contiguous_clusters",
    "divide_stages",
]


@dataclass(frozen=True)
class StageDivisionSettings:
    """Inputs of the clustering besides the data and the schedule (recorded in ``stages.json``)."""

    segment_frames: int = 32  # frames per candidate segment
    segments: int = 512  # candidates of the empirical optimal denoiser
    probes: int = 64  # candidates whose denoised outputs describe each time
    grid: int = 50  # cells of [0, 1]; boundaries fall on cell edges
    seed: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"stage division {f.name} must be an integer, got {value!r}")
            if f.name != "seed" and value < 1:
                raise ValueError(f"stage division {f.name} must be >= 1, got {value}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "StageDivisionSettings":
        d = dict(d or {})
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown stage division keys {unknown}; known: {[f.name for f in fields(cls)]}")
        return cls(**d)


@dataclass(frozen=True)
class StageDivision:
    """The result: ``boundaries`` (interior edges, for ``DenoiserConfig.stage_boundaries``), the grid times and
    each one's stage, and the clustering cost (within-stage sum of squares) of this and of one stage."""

    boundaries: tuple[float, ...]
    times: tuple[float, ...]
    labels: tuple[int, ...]
    cost: float
    cost_one_stage: float

    @property
    def edges(self) -> tuple[float, ...]:
        return (0.0, *self.boundaries, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {"boundaries": list(self.boundaries), "edges": list(self.edges), "times": list(self.times),
                "labels": list(self.labels), "cost": d["cost"], "cost_one_stage": d["cost_one_stage"]}


def mel_segments(mels: Sequence[Tensor], frames: int, count: int, generator: torch.Generator) -> Tensor:
    """``[N, n_mels, frames]``: up to ``count`` random windows of ``frames`` frames from the ``[n_mels, T]`` mels
    long enough for one, spread evenly over them (several windows per utterance when there are few)."""
    usable = [m for m in mels if m.shape[-1] >= frames]
    if not usable:
        longest = max((m.shape[-1] for m in mels), default=0)
        raise ValueError(f"no utterance has {frames} frames (the longest has {longest}): lower segment_frames")
    per = math.ceil(count / len(usable))
    out = []
    for m in usable:
        starts = torch.randint(0, m.shape[-1] - frames + 1, (per,), generator=generator)
        out += [m[:, s : s + frames] for s in starts.tolist()]
    order = torch.randperm(len(out), generator=generator)[:count]
    return torch.stack([out[i] for i in order.tolist()]).float()


def optimal_denoiser(z_t: Tensor, alpha: float, sigma: float, candidates: Tensor) -> tuple[Tensor, Tensor]:
    """The optimal x0-denoiser of the empirical distribution ``candidates [N, D]`` at ``z_t [P, D]``:
    ``(x0_hat [P, D], weights [P, N])`` (float64; log-sum-exp keeps tiny sigma exact)."""
    z, x = z_t.double(), candidates.double()
    sq = (z * z).sum(1, keepdim=True) - 2 * alpha * z @ x.T + alpha**2 * (x * x).sum(1)[None, :]
    w = torch.softmax(-sq.clamp(min=0.0) / (2.0 * sigma**2), dim=1)
    return w @ x, w


def optimal_denoiser_outputs(candidates: Tensor, probes: Tensor, noise: Tensor, schedule: NoiseSchedule,
                             times: Sequence[float]) -> Tensor:
    """``[G, P * D]``: at each time, the optimal denoiser's outputs on ``z_t = alpha x0_p + sigma eps_p`` for the
    probes ``[P, D]`` with their fixed noise ``[P, D]`` (the same draw at every time)."""
    rows = []
    for t in times:
        a, s = (float(v) for v in coefficients(schedule, torch.tensor(float(t), dtype=torch.float64)))
        if s <= 0.0:
            raise ValueError(f"time {t} has sigma 0: the grid must avoid t = 0")
        x0_hat, _ = optimal_denoiser(a * probes.double() + s * noise.double(), a, s, candidates)
        rows.append(x0_hat.flatten())
    return torch.stack(rows)


def contiguous_clusters(features: Tensor, n_clusters: int) -> tuple[list[int], float]:
    """Exact split of the rows of ``features [G, F]`` into ``n_clusters`` contiguous runs minimising the sum of
    squared distances to each run's mean (dynamic programming). Returns (start row of each run, cost)."""
    g = features.shape[0]
    if not 1 <= n_clusters <= g:
        raise ValueError(f"cannot cut {g} grid times into {n_clusters} stages")
    f = features.double().flatten(1)
    zero = torch.zeros(1, f.shape[1], dtype=torch.float64)
    csum = torch.cat([zero, f.cumsum(0)])  # prefix sums: cost of any run in O(F)
    csq = torch.cat([torch.zeros(1, dtype=torch.float64), (f * f).sum(1).cumsum(0)])

    def run_cost(a: int, b: int) -> float:  # rows a..b-1
        s = csum[b] - csum[a]
        return float(csq[b] - csq[a] - (s * s).sum() / (b - a))

    cost = [[run_cost(a, b) if a < b else 0.0 for b in range(g + 1)] for a in range(g + 1)]
    inf = float("inf")
    best = [[inf] * (g + 1) for _ in range(n_clusters + 1)]  # best[k][b]: rows 0..b-1 in k runs
    start = [[0] * (g + 1) for _ in range(n_clusters + 1)]
    best[0][0] = 0.0
    for k in range(1, n_clusters + 1):
        for b in range(k, g + 1):
            for a in range(k - 1, b):
                c = best[k - 1][a] + cost[a][b]
                if c < best[k][b]:
                    best[k][b], start[k][b] = c, a
    starts, b = [], g
    for k in range(n_clusters, 0, -1):
        b = start[k][b]
        starts.append(b)
    return starts[::-1], best[n_clusters][g]


def divide_stages(segments: Tensor, n_stages: int, schedule: NoiseSchedule,
                  settings: StageDivisionSettings = StageDivisionSettings()) -> StageDivision:
    """Stage boundaries for ``n_stages`` from training segments ``[N, n_mels, frames]`` (normalised mels)."""
    if n_stages < 1:
        raise ValueError(f"n_stages must be >= 1, got {n_stages}")
    if segments.dim() != 3 or segments.shape[0] < 2:
        raise ValueError(f"need at least two segments [N, n_mels, frames], got shape {tuple(segments.shape)}")
    gen = torch.Generator().manual_seed(settings.seed)
    x = segments.flatten(1).double()
    probes = x[torch.randperm(x.shape[0], generator=gen)[: settings.probes]]
    noise = torch.randn(probes.shape, generator=gen, dtype=torch.float64)
    times = [(i + 0.5) / settings.grid for i in range(settings.grid)]
    feats = optimal_denoiser_outputs(x, probes, noise, schedule, times)
    starts, cost = contiguous_clusters(feats, n_stages)
    labels = [sum(1 for s in starts if s <= i) - 1 for i in range(settings.grid)]
    _, cost_one = contiguous_clusters(feats, 1)
    return StageDivision(boundaries=tuple(s / settings.grid for s in starts[1:]), times=tuple(times),
                         labels=tuple(labels), cost=cost, cost_one_stage=cost_one)
