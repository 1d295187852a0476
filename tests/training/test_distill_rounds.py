import json

import pytest
import torch

from prodiff_tts.cli import main
from prodiff_tts.training.distill import round_plan
from prodiff_tts.checkpoints import ema_state, read_checkpoint


def test_round_plan_halves_down_to_final():
    assert round_plan(8, 1) == [(8, 4), (4, 2), (2, 1)]
    assert round_plan(4, 2) == [(4, 2)]
    with pytest.raises(ValueError):
        round_plan(6, 1)
    with pytest.raises(ValueError):
        round_plan(4, 4)


@pytest.mark.slow
def test_distill_rounds_tables_frozen_parts_and_resume(trained_tiny, prepared_tiny, tmp_path, capsys):
    ckpt = trained_tiny / "checkpoints" / "last.ckpt"
    run = tmp_path / "distill"
    common = ["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run}", "distill.start_steps=4",
              "distill.final_steps=1", "distill.eval_items=2", "trainer.val_check_interval=3"]
    assert main(["distill", "--teacher", str(ckpt), *common, "distill.steps_per_round=3"]) == 0
    out = capsys.readouterr().out
    assert "round 4 -> 2 steps" in out and "round 2 -> 1 steps" in out
    summary = json.loads((run / "distill_summary.json").read_text())
    assert [(r["teacher_steps"], r["student_steps"]) for r in summary] == [(4, 2), (2, 1)]
    for r in summary:
        assert {row["model"] for row in r["rows"]} == {"teacher", "student"}
        assert all(row["mel_l1"] > 0 and row["mcd"] > 0 and row["gv_ratio"] > 0 and row["ms_distance_db"] >= 0
                   for row in r["rows"])
    for k in (2, 1):
        assert (run / f"k{k}" / "student.safetensors").is_file() and (run / f"k{k}" / "table.md").is_file()

    # frozen parts are bit-identical to the teacher; the student moved
    teacher = ema_state(read_checkpoint(ckpt))
    round_state = read_checkpoint(run / "k2" / "checkpoints" / "last.ckpt")["state_dict"]
    for key, value in teacher.items():
        if not key.startswith("denoiser."):
            assert torch.equal(round_state[f"model.{key}"], value), key
    moved = [k for k in teacher if k.startswith("denoiser.") and
             not torch.equal(round_state[f"student.{k[len('denoiser.'):]}"], teacher[k])]
    assert moved

    # resume: a longer round continues from the round's last checkpoint (step 3 -> 5)
    (run / "k2" / "student.safetensors").unlink()
    assert main(["distill", "--teacher", str(ckpt), *common, "distill.steps_per_round=5", "distill.final_steps=2"]) == 0
    assert read_checkpoint(run / "k2" / "checkpoints" / "last.ckpt")["global_step"] == 5


def test_distill_requires_a_teacher(capsys):
    assert main(["distill", "experiment=fixture"]) == 2
    assert "teacher" in capsys.readouterr().err
