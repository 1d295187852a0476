import json
import sys

import numpy as np
import pytest

from prodiff_tts.bench.evaluate import aligned_scores
from prodiff_tts.bench.metrics import asr_normalize, cer, edit_distance, mel_l1_dtw, wer
from prodiff_tts.cli import main

# --- edit distances on hand examples --------------------------------------------------------------------------


def test_edit_distance_by_hand():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("same", "same") == 0
    assert edit_distance("the cat sat".split(), "the cat sat down".split()) == 1


def test_wer_and_cer_by_hand():
    # one substitution (sat -> sit) and one deletion (mat) over 6 reference words
    assert wer(["the cat sat on the mat"], ["the cat sit on the"]) == pytest.approx(2 / 6)
    # corpus level: total edits over total reference words, not a mean of per-utterance rates
    assert wer(["a b", "c d e f"], ["a x", "c d e f"]) == pytest.approx(1 / 6)
    assert wer(["hello"], ["hello there world"]) == pytest.approx(2.0)  # insertions can exceed 1
    # "cat" -> "cut": one character of 7 ("the cat", space included)
    assert cer(["the cat"], ["the cut"]) == pytest.approx(1 / 7)
    # case and punctuation do not count
    assert asr_normalize("Hello, World! It's  me.") == "hello world it's me"
    assert wer(["Hello, world."], ["hello world"]) == 0.0
    with pytest.raises(ValueError):
        wer(["a"], [])
    with pytest.raises(ValueError):
        wer([""], [""])


def test_scores_along_one_dtw_path():
    rng = np.random.default_rng(0)
    ref = np.cumsum(rng.normal(size=(80, 60)), axis=1) * 0.05 - 5.0
    slow = np.repeat(ref, 2, axis=1)  # same content, twice as long
    f0 = np.where(np.arange(60) % 10 < 6, 120.0, 0.0)
    s = aligned_scores(slow, ref, np.repeat(f0, 2), f0)
    assert s["mel_l1_dtw"] == pytest.approx(0.0, abs=1e-9) and s["mcd_db"] == pytest.approx(0.0, abs=1e-9)
    assert s["f0_rmse_hz"] == pytest.approx(0.0) and s["vuv_error"] == 0.0
    assert mel_l1_dtw(ref + 0.5, ref) == pytest.approx(0.5)
    off = aligned_scores(slow, ref, np.repeat(f0 * 1.1, 2), f0)
    assert off["f0_rmse_hz"] == pytest.approx(12.0)


# --- the command ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_command_on_a_student_bundle(student_bundle, prepared_tiny, tmp_path, capsys):
    out, png = tmp_path / "eval.json", tmp_path / "eval.png"
    rc = main(["evaluate", "--model", str(student_bundle), "--data", str(prepared_tiny), "--items", "2",
               "--steps", "2", "4", "--threads", "1", "--json", str(out), "--plot", str(png)])
    stdout = capsys.readouterr().out
    assert rc == 0, stdout
    assert "| 2 | searched | student_k2 |" in stdout and "| 4 | uniform | teacher |" in stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = json.loads(out.read_text())
    assert r["schema_version"] == 2 and r["kind"] == "evaluate" and r["items"] == 2
    assert r["teacher_reference"] == {"denoiser": "teacher", "steps": 32}
    assert r["asr"] is None
    rows = {(x["steps"], x["schedule"]): x for x in r["results"]}
    assert set(rows) == {(2, "uniform"), (2, "searched"), (4, "uniform")}  # 4/searched: same plan as uniform
    assert any("no searched schedule for 4 steps" in n for n in r["notes"])
    for (k, _), row in rows.items():
        assert row["items"] == 2 and len(row["per_item"]) == 2
        for key in ("mel_l1_dtw", "mcd_db", "vuv_error", "teacher_forced_mel_l1"):
            assert isinstance(row[key], float) and row[key] >= 0
        assert row["wer"] is None
        assert (row["l1_to_teacher_dtw"] is not None) == (k == 2)  # students only
        assert row["distilled"] == (k == 2)
        assert all(it["frames"] > 0 and it["reference_frames"] > 0 for it in row["per_item"])
    b = r["bootstrap"]  # 3 rows on the same 2 items: intervals per row, paired differences to the first
    assert b["items"] == 2 and b["paired_reference"] and len(b["rows"]) == 3 and b["differences"][0] is None
    for interval in b["rows"][1].values():
        assert interval[0] <= interval[1]
    assert {"gv_ratio", "ms_distance_db", "frechet_mel"} <= set(b["differences"][2])
    assert all(d["verdict"] in ("ahead", "behind", "level") for d in b["differences"][2].values())
    assert "Paired differences to the first row (2 steps, uniform, student_k2)" in stdout
    assert "| 4 steps, uniform, teacher |" in stdout


@pytest.mark.slow
def test_evaluate_scores_the_teacher_at_the_students_step_count(student_bundle, prepared_tiny, tmp_path, capsys):
    """--denoiser auto teacher: the distilled student and the undistilled teacher at 2 steps, side by side."""
    out = tmp_path / "eval.json"
    rc = main(["evaluate", "--model", str(student_bundle), "--data", str(prepared_tiny), "--items", "2",
               "--steps", "2", "--denoiser", "auto", "teacher", "--threads", "1", "--json", str(out)])
    stdout = capsys.readouterr().out
    assert rc == 0, stdout
    assert "| 2 | uniform | student_k2 |" in stdout and "| 2 | uniform | teacher |" in stdout
    rows = {(x["denoiser"], x["schedule"]): x for x in json.loads(out.read_text())["results"]}
    assert set(rows) == {("student_k2", "uniform"), ("student_k2", "searched"), ("teacher", "uniform")}
    assert rows[("teacher", "uniform")]["distilled"] is False and rows[("student_k2", "uniform")]["distilled"]
    rc = main(["evaluate", "--model", str(student_bundle), "--data", str(prepared_tiny), "--items", "2",
               "--steps", "4", "--denoiser", "student_k2"])
    assert rc == 2 and "distilled for 2 step" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_errors_are_one_line(tiny_bundle, prepared_tiny, tmp_path, capsys):
    cases = [
        (["--model", str(tiny_bundle), "--data", str(prepared_tiny), "--steps", "3"], "--steps 3 is not supported"),
        (["--model", str(tmp_path / "missing"), "--data", str(prepared_tiny)], "model bundle not found"),
        (["--model", str(tiny_bundle), "--data", str(tmp_path / "nodata")], "prepared data directory not found"),
        (["--model", str(tiny_bundle), "--data", str(prepared_tiny), "--split", "nosuch"], "no 'nosuch' items"),
        (["--model", str(tiny_bundle), "--data", str(prepared_tiny), "--steps", "-1"], "expected a positive integer"),
    ]
    for argv, message in cases:
        assert main(["evaluate", "--threads", "1", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.slow
def test_asr_missing_is_a_clear_one_line_error(tiny_bundle, prepared_tiny, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    for engine, name in (["pocketsphinx"], "pocketsphinx"), ([], "faster_whisper"):
        assert main(["evaluate", "--model", str(tiny_bundle), "--data", str(prepared_tiny), "--asr", *engine,
                     "--threads", "1"]) == 2
        err = capsys.readouterr().err
        assert name in err and "pip install" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_asr_scores_recordings_and_synthesis(tiny_bundle, prepared_tiny, tmp_path, capsys):
    pytest.importorskip("pocketsphinx")
    out = tmp_path / "asr.json"
    assert main(["evaluate", "--model", str(tiny_bundle), "--data", str(prepared_tiny), "--items", "2",
                 "--steps", "4", "--schedules", "uniform", "--asr", "pocketsphinx", "--threads", "1",
                 "--json", str(out)]) == 0
    assert "WER" in capsys.readouterr().out
    r = json.loads(out.read_text())
    ceiling = r["asr"]["recordings"]
    assert r["asr"]["engine"] == "pocketsphinx" and ceiling["items"] == 2
    assert 0.0 <= ceiling["wer"] < 0.6  # the recognizer understands the fixture's recordings
    row = r["results"][0]
    assert row["wer"] >= 0 and row["cer"] >= 0 and all(isinstance(it["transcript"], str) for it in row["per_item"])


@pytest.mark.slow
def test_whisper_scores_recordings_and_prints_the_listener_columns(tiny_bundle, prepared_tiny, tmp_path, capsys):
    """Whisper reads the fixture recordings almost perfectly; every row carries GV, MS and both Fréchets."""
    pytest.importorskip("faster_whisper")
    out, bands = tmp_path / "w.json", tmp_path / "bands.png"
    assert main(["evaluate", "--model", str(tiny_bundle), "--data", str(prepared_tiny), "--items", "3",
                 "--steps", "4", "--schedules", "uniform", "--asr", "whisper", "--vocoder", "griffin-lim",
                 "--threads", "1", "--json", str(out), "--bands-plot", str(bands)]) == 0
    printed = capsys.readouterr().out
    assert "GV ratio" in printed and "Fréchet Whisper" in printed
    r = json.loads(out.read_text())
    assert r["schema_version"] == 2 and r["asr"]["engine"] == "whisper"
    assert r["asr"]["recordings"]["wer"] <= 0.15, [x["transcript"] for x in r["recordings"]]
    row = r["results"][0]
    assert row["vocoder"] == "griffin-lim" and row["gv_ratio"] > 0 and row["ms_distance_db"] > 0
    assert row["frechet_whisper"] > 0 and row["frechet_mel"] > 0 and len(row["gv_per_band"]) == 80
    assert all(it["normalized"] and it["transcript"] is not None for it in row["per_item"])  # for `tts compare`
    (intervals,) = r["bootstrap"]["rows"]
    assert {"wer", "cer", "frechet_whisper", "gv_ratio"} <= set(intervals)
    assert intervals["frechet_whisper"][0] <= intervals["frechet_whisper"][1]
    assert bands.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
