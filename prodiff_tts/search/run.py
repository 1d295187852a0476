"""``tts search``: two-stage evolutionary search of a model's schedule for K steps, written to schedule.json.

Stage 1 searches the K timesteps (all layers on). Stage 2 searches timesteps together with per-step masks of
the denoiser's residual layers under a compute budget (a cap on layer evaluations), seeded with stage 1's
best. Both stages resume from their state file after an interruption.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..fileio import atomic_write
from .evolution import Candidate, SearchSpace, SearchState, evolutionary_search

SCHEDULE_FORMAT = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchSettings:
    steps: int = 2
    population: int = 16
    iterations: int = 8
    top_k: int = 4
    mutation_prob: float = 0.3
    mutation_scale: float = 0.1
    random_fraction: float = 0.1
    seed: int = 0
    layer_search: bool = True
    budget_fraction: float = 0.75
    stage2_iterations: int = 8
    frechet_weight: float = 0.1
    split: str = "val"
    items: int = 24
    t_min: float = 0.02


def load_model_for_search(model: str | Path, steps: int):
    """(acoustic model, denoiser, denoiser name, schedule, schedule.json path) from a teacher .ckpt or bundle."""
    from ..diffusion.schedule import schedule_from_config

    path = Path(model)
    if path.is_dir():
        from ..api import Synthesizer

        synth = Synthesizer(path, vocoder="griffin-lim")
        name = synth.plan(steps, "uniform").denoiser
        den = synth.denoisers[name]
        synth.model.denoiser = den
        return synth.model, den, name, synth.schedule, path / "schedule.json"
    if path.is_file():
        from ..checkpoints import load_teacher_checkpoint

        acoustic, hp = load_teacher_checkpoint(path)
        schedule = schedule_from_config(hp["diffusion"])
        return acoustic, acoustic.denoiser, "teacher", schedule, path.parent.parent / "schedule.json"
    raise FileNotFoundError(f"model not found: {path} (a teacher checkpoint or a bundle directory)")


def _state_to_json(state: SearchState, fitness_key: dict) -> dict:
    return {"iteration": state.iteration, "population": [c.to_dict() for c in state.population],
            "cache": state.cache, "rng_state": state.rng_state, "history": state.history, "fitness_key": fitness_key}


def _fitness_key(model: str | Path, s: SearchSettings, stage: int) -> dict:
    """What a stage's cached fitness values depend on: a resumed stage with another key starts over."""
    key = {"model": str(Path(model).resolve()), "steps": s.steps, "frechet_weight": s.frechet_weight,
           "split": s.split, "items": s.items, "seed": s.seed, "t_min": s.t_min}
    return {**key, "budget_fraction": s.budget_fraction} if stage == 2 else key


def _load_state(state_path: Path, fitness_key: dict) -> SearchState | None:
    if not state_path.exists():
        return None
    d = json.loads(state_path.read_text())
    if d.get("fitness_key") != fitness_key:
        log.warning("%s was written with other fitness settings or another model: starting this stage over",
                    state_path)
        return None
    return _state_from_json(d)


def _state_from_json(d: dict) -> SearchState:
    return SearchState(d["iteration"], [Candidate.from_dict(c) for c in d["population"]], d["cache"],
                       d["rng_state"], d["history"])


def _run_stage(name: str, space: SearchSpace, fitness, s: SearchSettings, iterations: int, state_path: Path,
               initial: list[Candidate], progress: bool, fitness_key: dict) -> tuple[Candidate, float, SearchState]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    state = _load_state(state_path, fitness_key)
    with Progress(TextColumn(f"search {name}"), BarColumn(), MofNCompleteColumn(), TextColumn("best {task.fields[best]}"),
                  TimeElapsedColumn(), disable=not progress) as bar:
        task = bar.add_task(name, total=iterations, completed=state.iteration if state else 0, best="-")

        def on_iteration(st: SearchState, best: Candidate, value: float) -> None:
            text = json.dumps(_state_to_json(st, fitness_key))
            atomic_write(state_path, lambda tmp: Path(tmp).write_text(text))
            bar.update(task, completed=st.iteration, best=f"{min(st.cache.values()):.4f}")

        return evolutionary_search(space, fitness, population=s.population, iterations=iterations, top_k=s.top_k,
                                   mutation_prob=s.mutation_prob, mutation_scale=s.mutation_scale,
                                   random_fraction=s.random_fraction, seed=s.seed, initial=initial, state=state,
                                   on_iteration=on_iteration)


def run_search(model: str | Path, data_dir: str | Path, settings: SearchSettings, work_dir: str | Path,
               out: str | Path | None = None, progress: bool = True) -> dict:
    """Runs both stages and merges the result into schedule.json (beside the model unless ``out``)."""
    from ..bench.evaluate import HeldOutSet
    from .fitness import ScheduleFitness

    s = settings
    t0 = time.perf_counter()
    acoustic, denoiser, name, schedule, default_out = load_model_for_search(model, s.steps)
    out = Path(out) if out else default_out
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    held_out = HeldOutSet(acoustic, data_dir, split=s.split, items=s.items, seed=s.seed)
    fitness = ScheduleFitness(held_out, denoiser, schedule, frechet_weight=s.frechet_weight)

    space1 = SearchSpace(s.steps, t_min=s.t_min)
    uniform = space1.uniform()
    best1, fit1, _ = _run_stage("timesteps", space1, fitness, s, s.iterations,
                                work_dir / f"search_{name}_k{s.steps}_stage1.json", [], progress,
                                _fitness_key(model, s, 1))
    d_uniform, d_best1 = fitness.details([uniform, best1])
    n_layers = denoiser.n_layers
    full_flops = s.steps * denoiser.flops_per_frame()
    entry = {
        "steps": s.steps, "denoiser": name, "timesteps": list(best1.timesteps), "layer_masks": None,
        "uniform": {"timesteps": list(uniform.timesteps), **d_uniform},
        "searched": {"timesteps": list(best1.timesteps), **d_best1},
        "flops_per_frame": {"uniform": full_flops, "searched": full_flops},
    }
    if s.layer_search:
        budget = max(s.steps, int(round(s.budget_fraction * s.steps * n_layers)))
        space2 = SearchSpace(s.steps, t_min=s.t_min, n_layers=n_layers, budget=budget)
        seed = space2.repair_masks(Candidate(best1.timesteps, tuple((True,) * n_layers for _ in range(s.steps))),
                                   __import__("random").Random(s.seed))
        best2, fit2, _ = _run_stage("layers", space2, fitness, s, s.stage2_iterations,
                                    work_dir / f"search_{name}_k{s.steps}_stage2.json", [seed], progress,
                                    _fitness_key(model, s, 2))
        (d_best2,) = fitness.details([best2])
        flops2 = sum(denoiser.flops_per_frame(list(m)) for m in best2.layer_masks)
        entry["layer_skipping"] = {"budget_layer_evaluations": budget, "max_layer_evaluations": s.steps * n_layers,
                                   "timesteps": list(best2.timesteps),
                                   "layer_masks": [list(m) for m in best2.layer_masks], **d_best2,
                                   "flops_per_frame": flops2, "flops_saved": 1.0 - flops2 / full_flops}
        # used by synthesis only when it is no worse than the uniform schedule with every layer on
        if d_best2["fitness"] <= d_uniform["fitness"]:
            entry.update(timesteps=list(best2.timesteps), layer_masks=[list(m) for m in best2.layer_masks])
            entry["flops_per_frame"]["searched"] = flops2
    if denoiser.n_stages > 1:  # which head serves each step (a step's head follows its timestep)
        import torch

        stage_of = lambda ts: denoiser.stage_of(torch.tensor(ts)).tolist()  # noqa: E731
        entry["stages"] = {"boundaries": list(denoiser.config.stage_boundaries),
                           "uniform": stage_of(entry["uniform"]["timesteps"]), "searched": stage_of(entry["timesteps"])}
    entry["settings"] = asdict(s)
    entry["held_out"] = {"split": s.split, "items": len(held_out.ids)}
    entry["search_seconds"] = round(time.perf_counter() - t0, 1)
    entry["fitness_evaluations"] = fitness.evaluations
    doc = json.loads(out.read_text()) if out.exists() else {"format_version": SCHEDULE_FORMAT, "schedules": {}}
    doc["schedules"][f"{name}:{s.steps}"] = entry
    text = json.dumps(doc, indent=1)
    atomic_write(out, lambda tmp: Path(tmp).write_text(text))
    entry["written_to"] = str(out)
    return entry
