"""Shared fixtures: the tiny LJSpeech-format corpus prepared once per test session."""

from pathlib import Path

import pytest
import torch

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tests use tiny tensors: one thread is faster than several, and CI has two cores."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def prepared_tiny(tmp_path_factory) -> Path:
    from prodiff_tts.data.prepare import PrepareConfig, prepare_corpus

    out = tmp_path_factory.mktemp("ljs_tiny_prepared")
    prepare_corpus(DATA / "ljs_tiny", out, PrepareConfig(val_size=2, test_size=2), jobs=2, progress=False)
    return out


@pytest.fixture(scope="session")
def trained_tiny(prepared_tiny, tmp_path_factory) -> Path:
    """Run dir of a 20-step tiny teacher trained on the fixture (the `fixture` experiment)."""
    from prodiff_tts.training.run import train

    run_dir = tmp_path_factory.mktemp("teacher_run")
    train(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run_dir}"])
    return run_dir


@pytest.fixture(scope="session")
def tiny_bundle(trained_tiny, tmp_path_factory) -> Path:
    """A voice bundle exported from the tiny teacher (teacher denoiser only, Griffin-Lim vocoder)."""
    from prodiff_tts.training.export import export_bundle

    out = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle(trained_tiny / "checkpoints" / "last.ckpt", out, voice="tiny")
    return out
