"""Two-process DDP (CPU, gloo) through the real command: Lightning re-launches `tts train` per rank."""

import csv
import math
import subprocess
import sys

import pytest

from prodiff_tts.checkpoints import read_checkpoint


@pytest.mark.slow
def test_two_process_ddp_teacher(prepared_tiny, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "prodiff_tts.cli", "train", "experiment=fixture", "trainer=ddp_cpu",
           "trainer.max_steps=4", "trainer.val_check_interval=2", "trainer.log_every_n_steps=1", f"data.dir={prepared_tiny}", f"run_dir={run}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-2000:]
    assert "GLOBAL_RANK: 0, MEMBER: 1/2" in log and "GLOBAL_RANK: 1, MEMBER: 2/2" in log
    ckpt = read_checkpoint(run / "checkpoints" / "last.ckpt")
    assert ckpt["global_step"] == 4
    rows = [r for p in (run / "logs").glob("version_*/metrics.csv") for r in csv.DictReader(p.open())]
    losses = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    assert losses and all(math.isfinite(v) for v in losses)
