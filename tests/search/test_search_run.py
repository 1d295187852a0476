import json

import pytest
import torch

from prodiff_tts.bench.evaluate import HeldOutSet
from prodiff_tts.search.evolution import Candidate
from prodiff_tts.search.fitness import ScheduleFitness
from prodiff_tts.search.run import SearchSettings, run_search
from prodiff_tts.checkpoints import load_teacher_checkpoint


@pytest.mark.slow
def test_stacked_candidates_equal_one_by_one_sampling(trained_tiny, prepared_tiny):
    model, hp = load_teacher_checkpoint(trained_tiny / "checkpoints" / "last.ckpt")
    from prodiff_tts.diffusion.schedule import make_schedule

    schedule = make_schedule(hp["diffusion"]["schedule"])
    held = HeldOutSet(model, prepared_tiny, split="train", items=3, batch_size=2)
    fit = ScheduleFitness(held, model.denoiser, schedule)
    cands = [Candidate((1.0, 0.5)), Candidate((0.9, 0.3))]
    stacked = fit._generate_stacked(cands)
    for c, mels in zip(cands, stacked):
        ref = held.generate(model.denoiser, schedule, c.timesteps)
        for a, b in zip(mels, ref):
            assert torch.allclose(torch.from_numpy(a), torch.from_numpy(b), atol=1e-4)


@pytest.mark.slow
def test_search_writes_schedule_json_never_worse_than_uniform(trained_tiny, prepared_tiny, tmp_path):
    s = SearchSettings(steps=2, population=6, iterations=2, stage2_iterations=2, items=2, split="train", top_k=2)
    out = tmp_path / "schedule.json"
    r = run_search(trained_tiny / "checkpoints" / "last.ckpt", prepared_tiny, s, tmp_path / "work", out, progress=False)
    doc = json.loads(out.read_text())
    entry = doc["schedules"]["teacher:2"]
    assert entry["searched"]["fitness"] <= entry["uniform"]["fitness"]
    ls = entry["layer_skipping"]
    assert sum(map(sum, ls["layer_masks"])) <= ls["budget_layer_evaluations"]
    assert 0 < ls["flops_saved"] < 1
    assert r["uniform"]["timesteps"] == [1.0, 0.5]
    assert (tmp_path / "work" / "search_teacher_k2_stage1.json").is_file()


@pytest.mark.slow
def test_resumed_search_with_other_fitness_settings_starts_over(trained_tiny, prepared_tiny, tmp_path):
    ckpt = trained_tiny / "checkpoints" / "last.ckpt"
    s = SearchSettings(steps=2, population=4, iterations=1, items=2, split="train", top_k=2, layer_search=False)
    run_search(ckpt, prepared_tiny, s, tmp_path / "work", tmp_path / "a.json", progress=False)
    state = tmp_path / "work" / "search_teacher_k2_stage1.json"
    cached = json.loads(state.read_text())["cache"]
    heavier = SearchSettings(**{**s.__dict__, "frechet_weight": 10.0})
    run_search(ckpt, prepared_tiny, heavier, tmp_path / "work", tmp_path / "b.json", progress=False)
    recached = json.loads(state.read_text())["cache"]
    common = set(cached) & set(recached)
    assert common and all(recached[c] != cached[c] for c in common)  # fitness recomputed, not reused
