import json
import random

import pytest

from prodiff_tts.search.evolution import Candidate, SearchSpace, SearchState, evolutionary_search


def toy_fitness(target):
    def f(cands):
        out = []
        for c in cands:
            err = sum((a - b) ** 2 for a, b in zip(c.timesteps, target))
            if c.layer_masks is not None:  # prefer running layer 0 everywhere and nothing else
                err += 0.01 * sum((not row[0]) + sum(row[1:]) for row in c.layer_masks)
            out.append(err)
        return out

    return f


def test_finds_a_known_optimum():
    target = (0.9, 0.55, 0.2)
    space = SearchSpace(3, t_min=0.02)
    best, value, state = evolutionary_search(space, toy_fitness(target), population=20, iterations=40, top_k=5, seed=1)
    assert value < 1e-3
    assert all(abs(a - b) < 0.03 for a, b in zip(best.timesteps, target))
    assert state.history == sorted(state.history, reverse=True)  # best-so-far never gets worse


def test_uniform_seeds_the_population_and_result_never_worse():
    space = SearchSpace(2)
    seen = []

    def fitness(cands):
        seen.extend(cands)
        return [0.0 if c == space.uniform() else 1.0 + random.Random(c.key()).random() for c in cands]

    best, value, _ = evolutionary_search(space, fitness, population=8, iterations=3, seed=0)
    assert seen[0] == space.uniform() == Candidate((1.0, 0.5))
    assert best == space.uniform() and value == 0.0


def test_masks_respect_budget_and_every_step_runs_a_layer():
    space = SearchSpace(4, n_layers=6, budget=9)
    rng = random.Random(0)
    cands = [space.random(rng) for _ in range(200)]
    cands += [space.mutate(c, rng, 0.9) for c in cands[:50]] + [space.crossover(a, b, rng) for a, b in zip(cands, cands[1:])]
    for c in cands:
        assert c.layer_evaluations <= 9 and all(any(row) for row in c.layer_masks)
        assert list(c.timesteps) == sorted(c.timesteps, reverse=True) and len(set(c.timesteps)) == 4
        assert all(0.02 <= t <= 1.0 for t in c.timesteps)
    best, _, _ = evolutionary_search(space, toy_fitness((1.0, 0.7, 0.4, 0.1)), population=12, iterations=10, seed=3)
    assert best.layer_evaluations <= 9


def test_same_seed_same_result_and_resume_matches_uninterrupted():
    space = SearchSpace(3, n_layers=4, budget=8)
    f = toy_fitness((0.8, 0.5, 0.1))
    a = evolutionary_search(space, f, population=10, iterations=6, seed=7)
    b = evolutionary_search(space, f, population=10, iterations=6, seed=7)
    assert a[0] == b[0] and a[1] == b[1]

    saved = {}

    def stop_after_3(state, best, value):
        if state.iteration == 3:
            saved["state"] = json.loads(json.dumps({"iteration": state.iteration,
                                                    "population": [c.to_dict() for c in state.population],
                                                    "cache": state.cache, "rng_state": state.rng_state,
                                                    "history": state.history}))

    evolutionary_search(space, f, population=10, iterations=6, seed=7, on_iteration=stop_after_3)
    s = saved["state"]
    resumed = SearchState(s["iteration"], [Candidate.from_dict(c) for c in s["population"]], s["cache"],
                          s["rng_state"], s["history"])
    c = evolutionary_search(space, f, population=10, iterations=6, seed=7, state=resumed)
    assert c[0] == a[0] and c[1] == a[1]


def test_candidate_round_trip_and_space_validation():
    c = Candidate((1.0, 0.4), ((True, False), (False, True)))
    assert Candidate.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    with pytest.raises(ValueError):
        SearchSpace(2, n_layers=4, budget=20)
    with pytest.raises(ValueError):
        SearchSpace(0)
