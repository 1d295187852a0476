"""A real server for the tests: uvicorn on 127.0.0.1 and a free port, in a thread of the test process, serving
a tiny voice with two denoisers (a "student" for 2 steps beside the teacher for 4 8 16 32)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from live_server import LiveServer  # noqa: E402  (tests/live_server.py, shared with tests/onnx)


@pytest.fixture(scope="session")
def two_denoiser_bundle(tiny_bundle, tmp_path_factory) -> Path:
    """The tiny voice plus a 'student_k2' denoiser for 2 steps: the teacher's weights, perturbed, so that a
    request mixing up the two denoisers gives other audio."""
    import torch
    import yaml
    from safetensors.torch import load_file, save_file

    dst = tmp_path_factory.mktemp("two_denoisers") / "tiny2"
    shutil.copytree(tiny_bundle, dst)
    state = load_file(dst / "denoiser_teacher.safetensors")
    gen = torch.Generator().manual_seed(0)
    student = {k: (v + 0.05 * v.std().nan_to_num() * torch.randn(v.shape, generator=gen)
                   if v.is_floating_point() and v.numel() > 1 else v).contiguous() for k, v in state.items()}
    save_file(student, dst / "denoiser_student_k2.safetensors")
    cfg = yaml.safe_load((dst / "config.yaml").read_text())
    cfg["denoisers"].append({"name": "student_k2", "file": "denoiser_student_k2.safetensors", "steps": [2],
                             "distilled": True})
    (dst / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return dst


@pytest.fixture(scope="session")
def tiny_synth(two_denoiser_bundle):
    from prodiff_tts.api import Synthesizer

    return Synthesizer(two_denoiser_bundle, vocoder="griffin-lim").load()


@pytest.fixture(scope="module")
def live(tiny_synth):
    """The shared server: 2 worker threads, 8 queued requests, default steps 2 (the student)."""
    from prodiff_tts.serve.app import ServerSettings, create_app

    server = LiveServer(create_app(tiny_synth, ServerSettings(threads=2, queue_size=8)))
    yield server
    server.stop()


@pytest.fixture
def make_server():
    """``make_server(app) -> LiveServer``; every server made is stopped after the test."""
    servers = []

    def make(app) -> LiveServer:
        servers.append(LiveServer(app))
        return servers[-1]

    yield make
    for s in servers:
        s.stop()
