"""Generic evolutionary search (AutoDiffusion, Li et al. 2023) over diffusion schedules — pure functions.

A candidate is a decreasing timestep sequence for a fixed K and, optionally, a per-step mask of the denoiser's
residual layers (True = run). Evolution: keep the top-k, then fill the population with mutants of the top-k
(each gene changed with a probability), crossovers of two top-k parents, and a few random candidates. The
seed population always contains the DDIM-uniform schedule with all layers on, so the best found is never
worse than uniform on the fitness. Lower fitness is better.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Sequence

Mask = tuple[tuple[bool, ...], ...]


@dataclass(frozen=True)
class Candidate:
    timesteps: tuple[float, ...]
    layer_masks: Mask | None = None

    def key(self) -> str:
        ts = ",".join(f"{t:.4f}" for t in self.timesteps)
        if self.layer_masks is None:
            return ts
        return ts + "|" + ";".join("".join("1" if b else "0" for b in row) for row in self.layer_masks)

    @property
    def layer_evaluations(self) -> int | None:
        return None if self.layer_masks is None else sum(sum(row) for row in self.layer_masks)

    def to_dict(self) -> dict:
        return {"timesteps": list(self.timesteps),
                "layer_masks": None if self.layer_masks is None else [list(r) for r in self.layer_masks]}

    @classmethod
    def from_dict(cls, d: dict) -> "Candidate":
        m = d.get("layer_masks")
        return cls(tuple(float(t) for t in d["timesteps"]), None if m is None else tuple(tuple(bool(b) for b in r) for r in m))


@dataclass(frozen=True)
class SearchSpace:
    """K timesteps in [t_min, 1]; with ``n_layers`` set, per-step layer masks under ``budget`` layer runs."""

    steps: int
    t_min: float = 0.02
    min_gap: float = 0.01  # consecutive timesteps differ by at least this much
    n_layers: int | None = None
    budget: int | None = None  # max total layer evaluations over all steps (None: steps * n_layers)

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be >= 1")
        if not 0 < self.t_min < 1:
            raise ValueError("t_min must be in (0, 1)")
        if self.steps * self.min_gap > 1 - self.t_min:
            raise ValueError("min_gap too large for this many steps")
        if self.n_layers is not None:
            cap = self.steps * self.n_layers
            if self.budget is not None and not self.steps <= self.budget <= cap:
                raise ValueError(f"budget must be in [{self.steps}, {cap}] layer evaluations, got {self.budget}")

    @property
    def searches_layers(self) -> bool:
        return self.n_layers is not None

    @property
    def max_layer_evaluations(self) -> int | None:
        if self.n_layers is None:
            return None
        return self.budget if self.budget is not None else self.steps * self.n_layers

    def uniform(self) -> Candidate:
        ts = tuple(1.0 - i / self.steps for i in range(self.steps))
        masks = None if self.n_layers is None else tuple((True,) * self.n_layers for _ in range(self.steps))
        return self.repair_masks(Candidate(ts, masks), random.Random(0))

    def repair_timesteps(self, ts: Sequence[float]) -> tuple[float, ...]:
        """Clamp into [t_min, 1], sort decreasing and enforce the minimum gap."""
        vals = sorted((min(1.0, max(self.t_min, float(t))) for t in ts), reverse=True)
        out: list[float] = []
        for i, t in enumerate(vals):
            hi = 1.0 if not out else out[-1] - self.min_gap
            lo = self.t_min + (self.steps - 1 - i) * self.min_gap
            out.append(round(min(hi, max(lo, t)), 4))
        return tuple(out)

    def repair_masks(self, c: Candidate, rng: random.Random) -> Candidate:
        """Every step keeps at least one layer; switch random layers off until within the budget."""
        if c.layer_masks is None:
            return c
        rows = [list(r) for r in c.layer_masks]
        for r in rows:
            if not any(r):
                r[rng.randrange(len(r))] = True
        cap = self.max_layer_evaluations
        on = [(i, j) for i, r in enumerate(rows) for j, b in enumerate(r) if b]
        rng.shuffle(on)
        running = len(on)
        for i, j in on:  # a step's last running layer stays on (cap >= steps, so this always fits)
            if running <= cap:
                break
            if sum(rows[i]) > 1:
                rows[i][j] = False
                running -= 1
        return Candidate(c.timesteps, tuple(tuple(r) for r in rows))

    def random(self, rng: random.Random) -> Candidate:
        ts = self.repair_timesteps([rng.uniform(self.t_min, 1.0) for _ in range(self.steps)])
        if rng.random() < 0.5:
            ts = (1.0, *ts[1:]) if ts[1:] == tuple(sorted(ts[1:], reverse=True)) else ts
        masks = None
        if self.n_layers is not None:
            frac = self.max_layer_evaluations / (self.steps * self.n_layers)
            masks = tuple(tuple(rng.random() < frac for _ in range(self.n_layers)) for _ in range(self.steps))
        return self.repair_masks(Candidate(self.repair_timesteps(ts), masks), rng)

    def mutate(self, c: Candidate, rng: random.Random, p: float, scale: float = 0.1) -> Candidate:
        ts = [t + rng.gauss(0.0, scale) if rng.random() < p else t for t in c.timesteps]
        masks = c.layer_masks
        if masks is not None:
            masks = tuple(tuple((not b) if rng.random() < p / 2 else b for b in row) for row in masks)
        return self.repair_masks(Candidate(self.repair_timesteps(ts), masks), rng)

    def crossover(self, a: Candidate, b: Candidate, rng: random.Random) -> Candidate:
        ts = [x if rng.random() < 0.5 else y for x, y in zip(a.timesteps, b.timesteps)]
        masks = None
        if a.layer_masks is not None and b.layer_masks is not None:
            masks = tuple(x if rng.random() < 0.5 else y for x, y in zip(a.layer_masks, b.layer_masks))
        return self.repair_masks(Candidate(self.repair_timesteps(ts), masks), rng)


@dataclass
class SearchState:
    """Everything needed to resume: the iteration reached, the population and the fitness cache."""

    iteration: int = 0
    population: list[Candidate] = field(default_factory=list)
    cache: dict[str, float] = field(default_factory=dict)
    rng_state: object = None
    history: list[float] = field(default_factory=list)  # best fitness after each iteration


def evaluate(population: list[Candidate], fitness: Callable[[list[Candidate]], list[float]],
             cache: dict[str, float]) -> list[float]:
    """Fitness of each candidate; only candidates never seen are evaluated, in one batched call."""
    todo, seen = [], set()
    for c in population:
        k = c.key()
        if k not in cache and k not in seen:
            todo.append(c)
            seen.add(k)
    if todo:
        for c, f in zip(todo, fitness(todo)):
            cache[c.key()] = float(f)
    return [cache[c.key()] for c in population]


def evolutionary_search(
    space: SearchSpace,
    fitness: Callable[[list[Candidate]], list[float]],
    *,
    population: int = 20,
    iterations: int = 10,
    top_k: int = 5,
    mutation_prob: float = 0.3,
    mutation_scale: float = 0.1,
    random_fraction: float = 0.1,
    seed: int = 0,
    initial: Sequence[Candidate] = (),
    state: SearchState | None = None,
    on_iteration: Callable[[SearchState, Candidate, float], None] | None = None,
) -> tuple[Candidate, float, SearchState]:
    """Returns (best candidate, its fitness, final state). ``state`` resumes an interrupted search;
    ``on_iteration`` is called after each iteration (to save the state and report progress)."""
    if population < 2 or not 1 <= top_k <= population:
        raise ValueError("need population >= 2 and 1 <= top_k <= population")
    rng = random.Random(seed)
    if state is None or not state.population:
        pop = [space.uniform(), *initial]
        while len(pop) < population:
            pop.append(space.random(rng))
        state = SearchState(0, pop[:population], dict(state.cache) if state else {}, None, [])
        state.rng_state = rng.getstate()
    rng.setstate(_as_rng_state(state.rng_state))
    scores = evaluate(state.population, fitness, state.cache)
    while state.iteration < iterations:
        ranked = sorted(zip(scores, range(len(state.population))), key=lambda x: (x[0], x[1]))
        parents = [state.population[i] for _, i in ranked[:top_k]]
        children: list[Candidate] = list(parents)
        keys = {c.key() for c in children}
        n_random = max(0, int(round(random_fraction * population)))
        attempts = 0
        while len(children) < population - n_random and attempts < 50 * population:
            attempts += 1
            if rng.random() < 0.5 and len(parents) > 1:
                a, b = rng.sample(parents, 2)
                child = space.mutate(space.crossover(a, b, rng), rng, mutation_prob / 2, mutation_scale)
            else:
                child = space.mutate(rng.choice(parents), rng, mutation_prob, mutation_scale)
            if child.key() not in keys:
                children.append(child)
                keys.add(child.key())
        while len(children) < population:
            children.append(space.random(rng))
        state.population = children
        scores = evaluate(children, fitness, state.cache)
        state.iteration += 1
        best_i = min(range(len(children)), key=lambda i: (scores[i], i))
        state.history.append(scores[best_i])
        state.rng_state = rng.getstate()
        if on_iteration is not None:
            on_iteration(state, children[best_i], scores[best_i])
    best_key = min(state.cache, key=lambda k: state.cache[k])
    best = next((c for c in state.population if c.key() == best_key), None)
    if best is None:  # the best ever seen dropped out of the population: rebuild it from its key
        best = _from_key(best_key)
    return best, state.cache[best_key], state


def _as_rng_state(s):
    """random.Random state round-tripped through JSON (lists) back to tuples."""
    if isinstance(s, list):
        return (s[0], tuple(s[1]), s[2])
    return s


def _from_key(key: str) -> Candidate:
    ts_part, _, mask_part = key.partition("|")
    ts = tuple(float(t) for t in ts_part.split(","))
    masks = tuple(tuple(ch == "1" for ch in row) for row in mask_part.split(";")) if mask_part else None
    return Candidate(ts, masks)
