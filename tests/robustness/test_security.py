"""Untrusted files are never unpickled: malicious checkpoints and bundles are refused in one line, and every
`torch.load` of the package passes ``weights_only=True``."""

import ast
import os
import pickle
import re
import shutil
from pathlib import Path

import pytest
import torch

PACKAGE = Path(__file__).resolve().parents[2] / "prodiff_tts"


class Payload:
    """Unpickling this runs ``os.system``: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def malicious_files(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A marker path and two malicious `.ckpt` files: a raw pickle and a torch.save zip with the payload
    inside a checkpoint-shaped dict."""
    marker = tmp_path / "PWNED"
    raw = tmp_path / "raw.ckpt"
    raw.write_bytes(pickle.dumps({"state_dict": {}, "hyper_parameters": Payload(marker)}))
    zipped = tmp_path / "zipped.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "hyper_parameters": {"model": Payload(marker)},
                "global_step": 1}, zipped)
    assert not marker.exists()
    return marker, [raw, zipped]


def test_the_payload_really_runs_when_unpickled(tmp_path):
    """The premise of the tests below: an unrestricted unpickle of these files runs the payload."""
    marker, (raw, zipped) = malicious_files(tmp_path)
    pickle.loads(raw.read_bytes())
    assert marker.exists()
    marker.unlink()
    torch.load(zipped, weights_only=False)
    assert marker.exists()


@pytest.mark.slow
def test_malicious_checkpoints_are_refused(tmp_path, tts, one_line_error, prepared_tiny):
    marker, files = malicious_files(tmp_path)
    for ckpt in files:
        code, _, err = tts("export", ckpt, tmp_path / "bundle")
        one_line_error(code, err, "cannot read checkpoint", "safely")
        code, _, err = tts("distill", "--teacher", ckpt, f"data.dir={prepared_tiny}", f"run_dir={tmp_path / 'd'}",
                           "distill.steps_per_round=1")
        one_line_error(code, err, "cannot read checkpoint")
        code, _, err = tts("search", "--model", ckpt, "--steps", "2", f"data.dir={prepared_tiny}",
                           f"run_dir={tmp_path / 's'}")
        one_line_error(code, err, "cannot read checkpoint")
        assert not marker.exists()
    assert not (tmp_path / "bundle" / "config.yaml").exists()


@pytest.mark.slow
def test_a_malicious_resume_checkpoint_is_refused(tmp_path, tts, one_line_error, prepared_tiny):
    marker, (_, zipped) = malicious_files(tmp_path)
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    shutil.copyfile(zipped, run_dir / "checkpoints" / "last.ckpt")
    code, _, err = tts("train", "experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run_dir}")
    one_line_error(code, err, "cannot resume from")
    assert not marker.exists()


@pytest.mark.slow
def test_a_bundle_whose_weights_are_a_pickle_is_refused(tiny_bundle, prepared_tiny, tmp_path, tts, one_line_error):
    marker = tmp_path / "PWNED"
    for name in ("acoustic.safetensors", "denoiser_teacher.safetensors"):
        bundle = tmp_path / f"b_{name.split('.')[0]}"
        shutil.copytree(tiny_bundle, bundle)
        torch.save({"weight": Payload(marker)}, bundle / name)
        code, _, err = tts("synthesize", "Hello.", "--model", bundle, "--steps", "4", "-o", tmp_path / "o.wav")
        one_line_error(code, err, name)
        code, _, err = tts("search", "--model", bundle, "--steps", "4", f"data.dir={prepared_tiny}",
                           f"run_dir={tmp_path / 's'}")
        one_line_error(code, err, name)
        assert not marker.exists() and not (tmp_path / "o.wav").exists()


# --- the source: every torch.load is weights_only=True, nothing unpickles ------------------------------------

def _sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    return files


def _kw(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_every_torch_load_passes_weights_only_true():
    loads, bad = [], []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if name == "load" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                    and f.value.id == "torch":
                loads.append(where)
                value = _kw(node, "weights_only")
                if not (isinstance(value, ast.Constant) and value.value is True):
                    bad.append(f"{where}: torch.load without weights_only=True")
            if name == "load" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                    and f.value.id in ("np", "numpy"):
                value = _kw(node, "allow_pickle")
                if value is not None and not (isinstance(value, ast.Constant) and value.value is False):
                    bad.append(f"{where}: np.load with allow_pickle other than False")
            if name == "fit" and _kw(node, "ckpt_path") is not None:  # Lightning resume is a torch.load too
                value = _kw(node, "weights_only")
                if value is None or (isinstance(value, ast.Constant) and value.value is not True):
                    bad.append(f"{where}: Trainer.fit(ckpt_path=...) without weights_only=True")
    assert loads, "no torch.load found: the scan is broken"
    assert not bad, "\n".join(bad)


def test_no_module_imports_an_unpickler():
    """grep for pickle (and its relatives) in code, not in comments or docstrings."""
    pattern = re.compile(r"^\s*(import|from)\s+(pickle|cPickle|_pickle|dill|joblib|cloudpickle|shelve|marshal)\b")
    found = [f"{p.relative_to(PACKAGE.parent)}:{i}: {line.strip()}" for p in _sources()
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.match(line)]
    assert not found, "\n".join(found)
    calls = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("loads", "load", "Unpickler") \
                    and isinstance(node.value, ast.Name) and node.value.id == "pickle":
                calls.append(f"{path.name}:{node.lineno}")
    assert not calls, calls
