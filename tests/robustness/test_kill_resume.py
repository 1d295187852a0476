"""Abrupt kills (SIGKILL: no clean-up handler runs) of `tts prepare` and `tts train`, then a rerun."""

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.slow


def start(argv, env, log: Path) -> subprocess.Popen:
    # own process group: the kill takes the workers of the process pool too, and nothing else
    return subprocess.Popen(argv, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def kill_when(proc: subprocess.Popen, ready, log: Path, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if proc.poll() is not None:
                pytest.fail(f"finished (status {proc.returncode}) before it could be killed:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"not ready after {timeout} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_prepare_killed_midway_resumes_to_a_complete_cache(tmp_path, tts, make_corpus, child):
    exe, env = child
    corpus, out = tmp_path / "corpus", tmp_path / "prepared"
    ids = make_corpus(corpus, copies=2, prefix="KILL")  # 40 clips
    proc = start([*exe, "prepare", str(corpus), str(out), "--jobs", "2", "--val-size", "2", "--test-size", "2"],
                 env, tmp_path / "prepare.log")
    # killed once about half of the clips are cached: the rerun then has both reused and new clips
    kill_when(proc, lambda: len(list((out / "features").glob("*.npz"))) >= len(ids) // 2, tmp_path / "prepare.log")
    done_before = len(list((out / "features").glob("*.npz")))
    assert done_before < len(ids) and not (out / "manifest.jsonl").exists()

    code, printed, err = tts("prepare", corpus, out, "--jobs", "2", "--val-size", "2", "--test-size", "2")
    assert code == 0, err
    reused = int(printed.split("reused ")[1].split()[0])
    prepared = int(printed.split("prepared ")[1].split()[0])
    assert reused >= done_before > 0 and reused + prepared == len(ids)
    from prodiff_tts.data.features import load_features

    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in manifest) == sorted(ids)
    for r in manifest:
        f = load_features(out / r["feature"])
        assert f.mel.shape == (80, r["num_frames"]) and np.isfinite(f.mel.astype(np.float32)).all()
    assert not list(out.rglob("*.tmp"))
    assert sorted(p.name for p in (out / "features").iterdir()) == sorted(f"{i}.npz" for i in ids)


def _global_step(path: Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def test_training_killed_midway_resumes_from_last_ckpt(prepared_tiny, tmp_path, tts, child):
    exe, env = child
    run_dir = tmp_path / "run"
    last = run_dir / "checkpoints" / "last.ckpt"
    common = ["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run_dir}", "trainer.threads=1",
              "trainer.log_every_n_steps=1"]
    proc = start([*exe, "train", *common, "trainer.max_steps=200", "trainer.checkpoint_every_minutes=0.05"],
                 env, tmp_path / "train.log")
    kill_when(proc, last.is_file, tmp_path / "train.log")
    step = _global_step(last)  # loads with weights_only=True: a complete file
    assert 0 < step < 200
    # what a kill during a save leaves (the kill above may or may not have hit one): the writer's temp file
    dead = subprocess.Popen(["true"])  # a pid that has exited
    dead.wait()
    (last.parent / f".last.ckpt.tmp{dead.pid}").write_bytes(b"half a checkpoint")
    (last.parent / f".step00000001.ckpt.tmp{dead.pid}").write_bytes(b"half a numbered checkpoint")

    code, _, err = tts("train", *common, f"trainer.max_steps={step + 3}")
    assert code == 0, err[-3000:]
    ckpt = torch.load(last, map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == step + 3
    assert not [p.name for p in last.parent.iterdir() if ".tmp" in p.name]
    # the rerun logs into a new version directory: every step it logged continues from the checkpoint
    versions = sorted((run_dir / "logs").glob("version_*"), key=lambda p: int(p.name.split("_")[1]))
    assert len(versions) >= 2
    with (versions[-1] / "metrics.csv").open() as f:
        steps = {int(row["step"]) for row in csv.DictReader(f) if row.get("step")}
    assert steps and min(steps) >= step and max(steps) <= step + 3, (step, sorted(steps))
