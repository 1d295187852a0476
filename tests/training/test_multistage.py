"""A multi-stage teacher end to end on the fixture: stages.json, resume, export, distill, search, synthesize."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from prodiff_tts.checkpoints import read_checkpoint
from prodiff_tts.cli import main

STAGE_ARGS = ["model.denoiser.n_stages=2", "model.denoiser.trunk_layers=2", "+teacher.stage_division.grid=20",
              "+teacher.stage_division.segments=64", "+teacher.stage_division.probes=16",
              "+teacher.stage_division.segment_frames=16"]


def test_stage_options_compose_and_resolve_only_when_asked(prepared_tiny, tmp_path):
    from prodiff_tts.training.run import compose_config
    from prodiff_tts.training.stage_division import resolve_stage_boundaries

    def cfg(*extra):
        return compose_config(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={tmp_path}", *extra])

    assert resolve_stage_boundaries(cfg(), prepared_tiny).model.denoiser.stage_boundaries == []
    given = resolve_stage_boundaries(cfg("model.denoiser.n_stages=2", "model.denoiser.trunk_layers=1",
                                         "model.denoiser.stage_boundaries=[0.7]"), prepared_tiny)
    assert list(given.model.denoiser.stage_boundaries) == [0.7]
    with pytest.raises(ValueError, match="needs trunk_layers"):
        resolve_stage_boundaries(cfg("model.denoiser.n_stages=2"), prepared_tiny)
    with pytest.raises(ValueError, match="unknown stage division keys"):
        resolve_stage_boundaries(cfg(*STAGE_ARGS, "+teacher.stage_division.grids=3"), prepared_tiny)
    assert not (tmp_path / "stages.json").exists()  # nothing clustered for these
    demo = compose_config(["experiment=demo", "model.denoiser.n_stages=2", "model.denoiser.trunk_layers=8"])
    assert (demo.model.denoiser.n_stages, demo.model.denoiser.trunk_layers) == (2, 8)
    # no stage_division given: the StageDivisionSettings defaults, recorded in stages.json
    from dataclasses import asdict

    from prodiff_tts.diffusion.stages import StageDivisionSettings

    found = resolve_stage_boundaries(cfg("model.denoiser.n_stages=3", "model.denoiser.trunk_layers=1"), prepared_tiny)
    doc = json.loads((tmp_path / "stages.json").read_text())
    assert doc["inputs"]["settings"] == asdict(StageDivisionSettings())
    assert list(found.model.denoiser.stage_boundaries) == doc["boundaries"] and len(doc["boundaries"]) == 2


@pytest.fixture(scope="module")
def multistage_run(prepared_tiny, tmp_path_factory):
    from prodiff_tts.training.run import train

    run_dir = tmp_path_factory.mktemp("multistage_teacher")
    train(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run_dir}", "trainer.max_steps=6",
           "trainer.val_check_interval=6", *STAGE_ARGS])
    return run_dir


@pytest.mark.slow
def test_teacher_run_writes_stages_and_trains_with_them(multistage_run):
    doc = json.loads((multistage_run / "stages.json").read_text())
    (b,) = doc["boundaries"]
    assert 0 < b < 1 and doc["edges"] == [0.0, b, 1.0]
    assert doc["inputs"]["n_stages"] == 2 and doc["inputs"]["settings"]["grid"] == 20
    assert doc["inputs"]["schedule"]["schedule"] == "cosine" and doc["inputs"]["segments"] == 64
    run_cfg = yaml.safe_load((multistage_run / "config.yaml").read_text())
    assert run_cfg["model"]["denoiser"]["stage_boundaries"] == [b]  # the run's config says what it trained
    ckpt = read_checkpoint(multistage_run / "checkpoints" / "last.ckpt")
    assert ckpt["hyper_parameters"]["model"]["denoiser"]["stage_boundaries"] == [b]
    keys = ckpt["state_dict"]
    assert "model.denoiser.heads.1.layers.1.dilated_conv.weight" in keys
    assert "model.denoiser.layers.2.dilated_conv.weight" not in keys  # trunk of 2 layers
    # both heads trained (random t per item reaches each stage)
    from prodiff_tts.training.teacher import TeacherModule

    fresh = TeacherModule(**{k: v for k, v in ckpt["hyper_parameters"].items() if k != "run_dir"})
    before = fresh.model.state_dict()
    for s in (0, 1):
        k = f"denoiser.heads.{s}.layers.0.dilated_conv.weight"
        assert not torch.equal(keys[f"model.{k}"], before[k]), k


@pytest.mark.slow
def test_resume_reuses_stages_json_and_refuses_other_stages(multistage_run, prepared_tiny):
    from prodiff_tts.training.run import train

    path = multistage_run / "stages.json"
    doc = json.loads(path.read_text())
    common = ["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={multistage_run}", *STAGE_ARGS]
    edited = {**doc, "boundaries": [0.5]}  # proves the file is read, not recomputed
    path.write_text(json.dumps(edited))
    try:
        train([*common, "trainer.max_steps=7"])
        ckpt = read_checkpoint(multistage_run / "checkpoints" / "last.ckpt")
        assert ckpt["global_step"] == 7
        assert ckpt["hyper_parameters"]["model"]["denoiser"]["stage_boundaries"] == [0.5]
        with pytest.raises(ValueError, match="computed with other n_stages"):
            train([*common, "model.denoiser.n_stages=3", "trainer.max_steps=8"])
    finally:
        path.write_text(json.dumps(doc))


@pytest.mark.slow
def test_export_distill_search_and_synthesize_with_stages(multistage_run, prepared_tiny, tmp_path, capsys):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.bundle import load_weights
    from prodiff_tts.search.run import SearchSettings, run_search

    ckpt = multistage_run / "checkpoints" / "last.ckpt"
    boundaries = read_checkpoint(ckpt)["hyper_parameters"]["model"]["denoiser"]["stage_boundaries"]
    run = tmp_path / "distill"
    assert main(["distill", "--teacher", str(ckpt), "experiment=fixture", f"data.dir={prepared_tiny}",
                 f"run_dir={run}", "distill.start_steps=4", "distill.final_steps=2", "distill.eval_items=2",
                 "distill.steps_per_round=2", "trainer.val_check_interval=2"]) == 0
    student = load_weights(run / "k2" / "student.safetensors")
    assert "heads.1.output_projection.weight" in student  # the student keeps the teacher's heads

    bundle = tmp_path / "bundle"
    assert main(["export", str(ckpt), str(bundle), "--distilled", str(run), "--teacher-steps", "4"]) == 0
    den_cfg = yaml.safe_load((bundle / "config.yaml").read_text())["model"]["denoiser"]
    assert (den_cfg["n_stages"], den_cfg["trunk_layers"], den_cfg["stage_boundaries"]) == (2, 2, boundaries)

    synth = Synthesizer.from_pretrained(bundle, vocoder="griffin-lim")
    plan = synth.plan(2, "uniform")
    assert plan.denoiser == "student_k2" and plan.timesteps == (1.0, 0.5)
    den = synth.denoisers["student_k2"]
    seen = []
    for s, head in enumerate(den.heads):
        head.output_projection.register_forward_hook(lambda m, a, o, s=s: seen.append(s))
    synth.mel_batch(["Hello there."], steps=2, schedule="uniform")
    assert seen == den.stage_of(torch.tensor(plan.timesteps)).tolist()  # each step through its stage's head

    s = SearchSettings(steps=2, population=4, iterations=1, stage2_iterations=1, items=2, split="train", top_k=2)
    entry = run_search(bundle, prepared_tiny, s, tmp_path / "work", progress=False)
    assert entry["denoiser"] == "student_k2" and entry["stages"]["boundaries"] == boundaries
    assert entry["stages"]["searched"] == den.stage_of(torch.tensor(entry["timesteps"])).tolist()
    ls = entry["layer_skipping"]
    assert sum(map(sum, ls["layer_masks"])) <= ls["budget_layer_evaluations"] and 0 < ls["flops_saved"] < 1

    out = tmp_path / "hello.wav"
    assert main(["synthesize", "Hello there.", "--model", str(bundle), "--steps", "2", "--vocoder", "griffin-lim",
                 "-o", str(out)]) == 0
    wav, sr = sf.read(out)
    assert sr == 22050 and np.abs(wav).max() > 1e-3
    assert "student_k2" in capsys.readouterr().out
