"""Fixtures of the benchmark/evaluation tests: a teacher-only bundle and one with a fake 2-step student and a
searched schedule with layer masks (the student is a copy of the teacher: enough for plumbing, not quality)."""

import json
import shutil

import pytest


@pytest.fixture(scope="session")
def student_bundle(tiny_bundle, tmp_path_factory):
    from prodiff_tts.bundle import DenoiserEntry, read_bundle_config

    out = tmp_path_factory.mktemp("bench_bundle_student") / "student"
    shutil.copytree(tiny_bundle, out)
    shutil.copyfile(out / "denoiser_teacher.safetensors", out / "denoiser_student_k2.safetensors")
    cfg = read_bundle_config(out)
    cfg.denoisers.append(DenoiserEntry("student_k2", "denoiser_student_k2.safetensors", [2], distilled=True))
    cfg.save(out / "config.yaml")
    n_layers = cfg.model["denoiser"]["n_layers"]
    masks = [[i % 2 == 0 for i in range(n_layers)], [True] * (n_layers - 1) + [False]]
    (out / "schedule.json").write_text(json.dumps({"format_version": 1, "schedules": {
        "student_k2:2": {"steps": 2, "denoiser": "student_k2", "timesteps": [0.9, 0.4], "layer_masks": masks}}}))
    return out
