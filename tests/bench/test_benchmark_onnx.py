"""`tts benchmark --backends torch onnx`: the onnx rows (fp32 and int8) in the torch rows' grid, their quality
against torch fp32 with the torch path's noise, and the one-line errors of pairs that do not exist. The tiny
preset, the 5-word text, one repeat, no warm-up, one thread."""

import json
import math

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from prodiff_tts.bench.benchmark import backend_pairs  # noqa: E402
from prodiff_tts.cli import main  # noqa: E402

TINY = ["--preset", "tiny", "--steps", "2", "--max-words", "5", "--repeats", "1", "--warmup", "0", "--threads", "1"]


@pytest.fixture(scope="module")
def onnx_report():
    from prodiff_tts.bench.benchmark import BenchmarkSettings, RandomVoice, run_benchmark

    settings = BenchmarkSettings(steps=[2], repeats=1, warmup=0, threads=1, max_words=5,
                                 precisions=["fp32", "int8"], backends=["torch", "onnx"])
    return run_benchmark(RandomVoice("tiny", frames_per_phoneme=8, seed=0), settings)


def test_onnx_rows_sit_in_the_torch_rows_grid(onnx_report):
    r = onnx_report
    assert r["schema_version"] == 3
    s = r["settings"]
    assert s["backends"] == ["torch", "onnx"] and s["precisions"] == ["fp32", "int8"]
    assert s["pairs"] == [["torch", "fp32"], ["onnx", "fp32"], ["onnx", "int8"]]
    rows = r["results"]
    # the preset's default vocoders: griffin-lim and an untrained iSTFT, which has no ONNX graph
    assert {(x["backend"], x["precision"], x["kind"], x["vocoder"]) for x in rows} == {
        ("torch", "fp32", "acoustic", None), ("torch", "fp32", "end_to_end", "griffin-lim"),
        ("torch", "fp32", "end_to_end", "istft")} | {
        ("onnx", p, k, v) for p in ("fp32", "int8") for k, v in (("acoustic", None), ("end_to_end", "griffin-lim"))}
    torch_row = next(x for x in rows if x["backend"] == "torch" and x["kind"] == "acoustic")
    for row in rows:
        assert set(row) == set(torch_row)
        assert row["audio_s"] == pytest.approx(torch_row["audio_s"])  # fixed frames per phoneme on both backends
        assert (row["steps"], row["schedule"], row["source"], row["batch_size"]) == (2, "uniform", "uniform", 1)
        assert row["rtf"]["median"] == pytest.approx(row["wall_s"]["median"] / row["audio_s"])
        assert row["stages_s"]["denoiser"] > 0 and row["stages_s"]["encoder_variance"] > 0
        assert row["gflops_achieved"] > 0 and row["denoiser_flops"] == torch_row["denoiser_flops"]
        assert (row["stages_s"]["vocoder"] > 0) == (row["kind"] == "end_to_end")
    assert [(t["backend"], t["precision"], t["vocoder"]) for t in r["time_to_first_audio"]] == [
        ("torch", "fp32", "griffin-lim"), ("torch", "fp32", "istft"), ("onnx", "fp32", "griffin-lim"),
        ("onnx", "int8", "griffin-lim")]
    assert [(b["backend"], b["precision"]) for b in r["breakdown"]] == [
        ("torch", "fp32"), ("torch", "fp32"), ("onnx", "fp32"), ("onnx", "int8")]
    assert [(t["backend"], t["precision"]) for t in r["targets"]] == [
        ("torch", "fp32")] * 4 + [("onnx", "fp32")] * 4 + [("onnx", "int8")] * 4
    assert all(t["value"] is not None for t in r["targets"] if t["name"].startswith("2-step end-to-end"))


def test_the_export_is_recorded_and_the_skips_are_noted(onnx_report):
    r = onnx_report
    o = r["model"]["onnx"]
    assert o["steps"] == [2] and o["schedules"] == {"2": "uniform"} and o["vocoders"] == ["griffin-lim"]
    assert o["int8"] is True and o["calibration"]["texts"] == 16 and o["export_s"] > 0
    assert isinstance(o["onnxruntime"], str) and r["machine"]["onnxruntime"] == o["onnxruntime"]
    notes = " | ".join(r["notes"])
    assert "torch int8 skipped" in notes and "not part of any timing" in notes
    assert "no end-to-end rows with istft" in notes and "2 steps uniform" in notes
    assert r["model"]["parameters"]["vocoders"].keys() == {"griffin-lim", "istft"}


def test_onnx_quality_against_torch_fp32_with_the_same_noise(onnx_report):
    q = onnx_report["quality"]
    assert q["reference"] == {"backend": "torch", "precision": "fp32"}
    by = {(x["backend"], x["precision"]): x for x in q["results"]}
    assert set(by) == {("onnx", "fp32"), ("onnx", "int8")}
    fp32, int8 = by[("onnx", "fp32")], by[("onnx", "int8")]
    for row in (fp32, int8):
        assert (row["steps"], row["schedule"], row["texts"], row["sentences"]) == (2, "uniform", [5], 1)
        assert row["misaligned"] == 0
        for key in ("mel_l1", "mel_l1_max", "gv_ratio", "ms_distance_db"):
            assert math.isfinite(row[key]), key
    assert fp32["mel_l1"] < 1e-4  # the torch path's noise: the same mels up to float rounding
    assert 0.9 < fp32["gv_ratio"] < 1.1
    assert int8["mel_l1"] > fp32["mel_l1"]


def test_the_report_shows_the_onnx_rows(onnx_report, tmp_path):
    from prodiff_tts.bench.report import format_report, write_report

    text = format_report(onnx_report)
    for line in ("| acoustic | onnx | fp32 | 2 | uniform | 1 |", "| acoustic | onnx | int8 | 2 | uniform | 1 |",
                 "| end-to-end, griffin-lim | onnx | int8 | 2 | uniform | 1 |", "| onnx | int8 | 2 | uniform | 1 |",
                 "onnx backend: exported for 2 step(s)", "time to first audio (onnx int8, griffin-lim"):
        assert line in text, line
    write_report(tmp_path / "r.json", onnx_report)
    assert json.loads((tmp_path / "r.json").read_text())["model"]["onnx"]["schedules"] == {"2": "uniform"}


def test_onnx_alone_gets_an_untimed_torch_reference(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["benchmark", *TINY, "--backends", "onnx", "--vocoders", "griffin-lim", "--json", str(out)]) == 0
    assert "| end-to-end, griffin-lim | onnx | fp32 | 2 | uniform | 1 |" in capsys.readouterr().out
    r = json.loads(out.read_text())
    assert {x["backend"] for x in r["results"]} == {"onnx"} and r["settings"]["pairs"] == [["onnx", "fp32"]]
    (row,) = r["quality"]["results"]
    assert (row["backend"], row["precision"]) == ("onnx", "fp32") and row["mel_l1"] < 1e-4
    assert any("synthesized untimed" in n for n in r["notes"])
    assert r["model"]["onnx"]["int8"] is False and r["model"]["onnx"]["calibration"] is None


def test_backend_pairs():
    assert backend_pairs(["torch", "onnx"], ["fp32", "bf16", "int8"]) == (
        [("torch", "fp32"), ("torch", "bf16"), ("onnx", "fp32"), ("onnx", "int8")],
        [("torch", "int8"), ("onnx", "bf16")])
    with pytest.raises(ValueError, match="no backend runs precision int8"):
        backend_pairs(["torch"], ["int8"])
    with pytest.raises(ValueError, match="unknown backend"):
        backend_pairs(["tensorrt"], ["fp32"])


@pytest.mark.parametrize("argv, message", [
    (["--precision", "int8"], "no backend runs precision int8 (torch runs fp32, bf16)"),
    (["--backends", "onnx", "--precision", "bf16"], "no backend runs precision bf16 (onnx runs fp32, int8)"),
    (["--backends", "tensorrt"], "invalid choice: 'tensorrt'"),
    (["--backends", "onnx", "--device", "cuda"], "the onnx backend runs on the CPU"),
])
def test_pair_errors_are_one_line_exit_2(capsys, argv, message):
    assert main(["benchmark", *TINY, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
