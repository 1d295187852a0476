"""`tts benchmark` per precision, the quality of each precision against fp32, and `--preset` (random weights at a
model preset, fixed frames per phoneme). One thread, the tiny preset, the 5-word text, one repeat, no warm-up:
bf16 is emulated (slow) on CPUs without native bfloat16."""

import json
import math

import numpy as np
import pytest

from prodiff_tts.bench.report import check_targets
from prodiff_tts.cli import main

TINY = ["--preset", "tiny", "--steps", "2", "--max-words", "5", "--repeats", "1", "--warmup", "0", "--threads", "1"]


def _phonemes(text: str) -> int:
    from prodiff_tts.text import TextFrontend, Vocab

    return len(TextFrontend(Vocab.default()).encode(text))


@pytest.fixture(scope="module")
def precision_report():
    from prodiff_tts.bench.benchmark import BenchmarkSettings, RandomVoice, run_benchmark

    settings = BenchmarkSettings(steps=[2], vocoders=["griffin-lim"], repeats=1, warmup=0, threads=1, max_words=5,
                                 precisions=["fp32", "bf16"])
    return run_benchmark(RandomVoice("tiny", frames_per_phoneme=8, seed=0), settings)


def test_rows_per_precision_carry_backend_and_precision(precision_report):
    from prodiff_tts.bench.texts import BENCHMARK_TEXTS

    r = precision_report
    assert r["schema_version"] == 3
    assert r["settings"]["precisions"] == ["fp32", "bf16"] and r["settings"]["backends"] == ["torch"]
    assert isinstance(r["machine"]["native_bf16"], bool)
    rows = r["results"]
    assert {(x["backend"], x["precision"], x["kind"], x["vocoder"]) for x in rows} == {
        ("torch", p, "acoustic", None) for p in ("fp32", "bf16")} | {
        ("torch", p, "end_to_end", "griffin-lim") for p in ("fp32", "bf16")}
    frames = 8 * _phonemes(BENCHMARK_TEXTS[5])  # fixed durations, whatever the random duration predictor says
    for row in rows:
        assert row["audio_s"] == pytest.approx(frames * 256 / 22050)
        assert row["rtf"]["median"] == pytest.approx(row["wall_s"]["median"] / row["audio_s"])
        assert row["gflops_achieved"] > 0 and row["source"] == "uniform"
    assert {(t["precision"], t["vocoder"]) for t in r["time_to_first_audio"]} == {("fp32", "griffin-lim"),
                                                                                  ("bf16", "griffin-lim")}
    assert [b["precision"] for b in r["breakdown"]] == ["fp32", "bf16"]
    targets = r["targets"]
    assert [(t["backend"], t["precision"]) for t in targets] == [("torch", "fp32")] * 4 + [("torch", "bf16")] * 4
    assert targets[0]["value"] is not None and targets[4]["value"] is not None


def test_bf16_output_is_scored_against_fp32(precision_report):
    q = precision_report["quality"]
    assert q["reference"] == {"backend": "torch", "precision": "fp32"} and q["asr"] is None
    (row,) = q["results"]  # no recognizer: no row for the reference itself
    assert (row["backend"], row["precision"], row["steps"], row["schedule"]) == ("torch", "bf16", 2, "uniform")
    assert row["sentences"] == 1 and row["misaligned"] == 0 and row["texts"] == [5]
    for key in ("mel_l1", "mel_l1_max", "gv_ratio", "ms_distance_db"):
        assert math.isfinite(row[key]), key
    assert 0 < row["mel_l1"] < 0.05  # bfloat16 weights of a tiny model: a small change, not none
    assert 0.9 < row["gv_ratio"] < 1.1 and row["ms_distance_db"] < 3.0
    assert row["wer"] is None


def test_preset_reports_its_parameter_count_and_the_text_report_has_the_axes(precision_report, tmp_path):
    from prodiff_tts.bench.report import format_report, write_report
    from prodiff_tts.models.acoustic import AcousticModel
    from prodiff_tts.models.config import preset

    r = precision_report
    counts = AcousticModel(preset("tiny"), 75).count_parameters()
    assert r["model"]["preset"] == {"name": "tiny", "seed": 0, "frames_per_phoneme": 8, "parameters": counts}
    assert r["model"]["bundle"] is None and r["settings"]["frames_per_phoneme"] == 8
    assert r["model"]["parameters"]["denoisers"] == {"teacher": counts["denoiser"]}
    text = format_report(r)
    assert f"acoustic model: {counts['inference']:,} parameters" in text
    assert "| acoustic | torch | bf16 | 2 | uniform | 1 |" in text
    assert "| end-to-end, griffin-lim | torch | fp32 | 2 | uniform | 1 |" in text
    assert "quality against torch fp32" in text and "| torch | bf16 | 2 | uniform | 1 |" in text
    assert "(torch bf16: 5 words" in text  # targets name their precision when there are several
    write_report(tmp_path / "r.json", r)
    assert json.loads((tmp_path / "r.json").read_text())["quality"]["results"][0]["precision"] == "bf16"


def test_targets_are_judged_per_precision_and_old_rows_read_as_torch_fp32():
    def row(precision, rtf):
        return {"precision": precision, "backend": "torch", "kind": "acoustic", "vocoder": None, "steps": 2,
                "schedule": "uniform", "batch_size": 1, "words": 200, "rtf": {"median": rtf},
                "stages_s": {"denoiser": 0.1}}

    report = {"results": [row("fp32", 0.02), row("bf16", 0.005)], "settings": {"vocoders": ["griffin-lim"]},
              "machine": {"threads": 2}}
    t = {(x["precision"], x["name"]): x for x in check_targets(report)}
    assert t[("fp32", "2-step acoustic RTF")]["status"] == "MISS"
    assert t[("bf16", "2-step acoustic RTF")]["status"] == "PASS"
    old = {k: v for k, v in row("fp32", 0.005).items() if k not in ("backend", "precision")}
    (first, *_) = check_targets({**report, "results": [old]})
    assert (first["backend"], first["precision"], first["status"]) == ("torch", "fp32", "PASS")


def test_quality_section_scores_every_precision_with_a_recognizer():
    from prodiff_tts.bench.precision_quality import compare_mels, quality_section

    class Parrot:  # hears the text of the fp32 audio (all ones), nothing in the other
        name, version = "parrot", "1"

        @staticmethod
        def normalize(text):
            return text.lower()

        @staticmethod
        def transcribe(wav, sample_rate):
            return "the lamp was lit" if wav.mean() > 0.5 else ""

    rng = np.random.default_rng(0)
    ref = [rng.normal(size=(80, 70)), rng.normal(size=(80, 40))]
    low = [m + 0.01 for m in ref[:1]] + [ref[1][:, :38]]  # a shorter second sentence: compared on 38 frames
    mels = {("torch", "fp32", 2, "uniform"): {5: ref}, ("torch", "bf16", 2, "uniform"): {5: low}}
    wavs = {("torch", "fp32", "griffin-lim", 2, "uniform"): {5: np.ones(100)},
            ("torch", "bf16", "griffin-lim", 2, "uniform"): {5: np.zeros(100)}}
    q = quality_section(mels, wavs, {5: "The lamp was lit"}, ("torch", "fp32"), Parrot(), 22050)
    assert q["asr"] == {"engine": "parrot", "version": "1"}
    fp32, bf16 = q["results"]
    assert fp32["precision"] == "fp32" and fp32["mel_l1"] is None and fp32["wer"] == {"griffin-lim": 0.0}
    assert bf16["wer"] == {"griffin-lim": 1.0} and bf16["misaligned"] == 1 and bf16["frames"] == 70 + 38
    assert bf16["mel_l1"] == pytest.approx(0.01 * 70 / 108) and bf16["mel_l1_max"] == pytest.approx(0.01)
    same = compare_mels(ref, ref)
    assert same["mel_l1"] == 0 and same["gv_ratio"] == pytest.approx(1) and same["ms_distance_db"] == pytest.approx(0)


def test_random_voice_loads_with_fixed_durations(tmp_path):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.bench.random_voice import RandomVoice, write_random_voice

    counts = write_random_voice(tmp_path / "v", RandomVoice("tiny", seed=3), [2, 4])
    synth = Synthesizer(tmp_path / "v", frames_per_phoneme=5)
    assert synth.supported_steps == [2, 4] and not synth.searched and synth.config.vocoder is None
    assert sum(p.numel() for p in synth.model.parameters()) == counts["total"]
    assert synth.model.denoiser.output_projection.weight.abs().sum() > 0  # not the zero init of training
    text = "The lamp was lit."
    (mel,) = synth.mel_batch([text], steps=2, schedule="uniform")
    assert mel.shape[-1] == 5 * len(synth.frontend.encode(text))
    with pytest.raises(ValueError, match="frames_per_phoneme"):
        Synthesizer(tmp_path / "v", frames_per_phoneme=0)
    with pytest.raises(ValueError, match="unknown preset"):
        RandomVoice("huge")


def test_preset_command_prints_the_parameter_count(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["benchmark", *TINY, "--vocoders", "griffin-lim", "--json", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "benchmark of preset tiny with random weights (seed 0), 8 frames per phoneme" in stdout
    assert "acoustic model: 95,059 parameters" in stdout and "| acoustic | torch | fp32 | 2 | uniform | 1 |" in stdout
    r = json.loads(out.read_text())
    assert r["settings"]["precisions"] == ["fp32"] and r["quality"]["results"] == []


@pytest.mark.parametrize("argv, message", [
    (["--preset", "tiny", "--model", "somewhere"], "--preset measures random weights"),
    (["--preset", "tiny", "--voice", "joe"], "--preset measures random weights"),
    (["--precision", "fp16"], "invalid choice: 'fp16'"),
    (["--preset", "huge"], "invalid choice: 'huge'"),
    (["--frames-per-phoneme", "8"], "--frames-per-phoneme needs --preset"),
    (["--preset", "tiny", "--frames-per-phoneme", "0"], "expected a positive integer"),
    (["--preset", "tiny", "--asr-model", "x"], "--asr-model needs --asr whisper"),
    (["--preset", "tiny", "--steps", "2", "--vocoders", "bundle", "--threads", "1"], "has no vocoder of its own"),
])
def test_benchmark_option_errors_are_one_line_exit_2(capsys, argv, message):
    assert main(["benchmark", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
