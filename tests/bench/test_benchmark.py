import json

import pytest
import torch

from prodiff_tts.bench.report import TARGETS, check_targets
from prodiff_tts.bench.texts import BENCHMARK_TEXTS, word_count
from prodiff_tts.bench.timing import (
    max_deviation_from_median,
    plan_macs_per_frame,
    real_time_factor,
    rtf_summary,
    summarize,
)
from prodiff_tts.cli import main


# --- arithmetic on synthetic timings -----------------------------------------------------------------------


def test_rtf_is_wall_time_over_audio_duration():
    assert real_time_factor(0.5, 10.0) == pytest.approx(0.05)
    assert real_time_factor(0.0, 1.0) == 0.0
    with pytest.raises(ValueError):
        real_time_factor(1.0, 0.0)
    with pytest.raises(ValueError):
        real_time_factor(-1.0, 1.0)


def test_summary_is_median_and_range_of_repeats():
    assert summarize([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}
    assert summarize([1.0, 2.0]) == {"median": 1.5, "min": 1.0, "max": 2.0}
    # 4 s of audio synthesized in 0.2, 0.1, 0.4 s
    assert rtf_summary([0.2, 0.1, 0.4], 4.0) == pytest.approx({"median": 0.05, "min": 0.025, "max": 0.1})
    with pytest.raises(ValueError):
        summarize([])
    assert max_deviation_from_median([0.9, 1.0, 1.2]) == pytest.approx(0.2)


def test_flops_count_the_projection_once_and_honour_layer_masks():
    from prodiff_tts.api import StepPlan
    from prodiff_tts.models.config import DenoiserConfig
    from prodiff_tts.models.denoiser import WaveNetDenoiser

    den = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=4), n_mels=10, cond_channels=6)
    full = StepPlan("d", (1.0, 0.5), None, "uniform")
    proj = 4 * 6 * 2 * 8  # every layer's 1x1 projection of the condition, once per utterance
    per_step = den.flops_per_frame(include_condition=False)
    assert plan_macs_per_frame(den, full) == proj + 2 * per_step
    half = StepPlan("d", (1.0, 0.5), ((True, False, True, False), (True, True, True, True)), "searched")
    layer = 8 * 2 * 8 * 3 + 8 * 2 * 8
    assert plan_macs_per_frame(den, half) == plan_macs_per_frame(den, full) - 2 * layer


def test_texts_have_their_word_counts_and_are_not_training_sentences():
    from pathlib import Path

    assert {w: word_count(t) for w, t in BENCHMARK_TEXTS.items()} == {5: 5, 10: 10, 20: 20, 50: 50, 100: 100, 200: 200}
    root = Path(__file__).resolve().parents[2]
    corpus = (root / "tests/data/ljs_tiny/metadata.csv").read_text()
    demo = root / "egs/demo/sentences.txt"
    corpus += demo.read_text() if demo.is_file() else ""
    from prodiff_tts.text import split_sentences

    for text in BENCHMARK_TEXTS.values():
        for sentence in split_sentences(text):
            assert sentence not in corpus


def _report(rows, threads=2, vocoders=("griffin-lim",)):
    return {"results": rows, "settings": {"vocoders": list(vocoders)}, "machine": {"threads": threads}}


def _r(kind, steps, words, rtf, denoiser_s=0.1, vocoder=None, schedule="uniform", batch=1):
    return {"kind": kind, "vocoder": vocoder, "steps": steps, "schedule": schedule, "batch_size": batch,
            "words": words, "rtf": {"median": rtf, "min": rtf, "max": rtf}, "stages_s": {"denoiser": denoiser_s}}


def test_targets_pass_miss_and_not_applicable():
    rows = [_r("acoustic", 2, 200, 0.005, 0.05), _r("acoustic", 4, 200, 0.009, 0.1),
            _r("end_to_end", 2, 200, 0.05, vocoder="griffin-lim"), _r("end_to_end", 2, 5, 0.045, vocoder="griffin-lim")]
    t = {x["name"]: x for x in check_targets(_report(rows))}
    assert t["2-step acoustic RTF"]["status"] == "PASS"
    assert t["2-step end-to-end RTF"]["status"] == "MISS"
    assert t["2-step / 4-step denoiser time"]["value"] == pytest.approx(0.5)
    assert t["2-step / 4-step denoiser time"]["status"] == "PASS"
    flat = next(x for n, x in t.items() if n.startswith("RTF flat"))
    assert flat["status"] == "PASS" and flat["value"] == pytest.approx(0.05 / 0.0475 - 1)
    none = check_targets(_report([_r("acoustic", 4, 200, 0.01)], threads=1))
    assert {x["status"] for x in none} == {"N/A"} and "ran 1" in none[0]["detail"]
    assert [x["name"] for x in none] == list(TARGETS) and [x["threshold"] for x in none] == list(TARGETS.values())


# --- the stage timer hook: the API's own calls, timed by the synthesizer ------------------------------------


def _attributes(obj) -> dict:
    return dict(vars(obj))


@pytest.mark.slow
def test_stage_timer_reports_each_stage_once_per_call_and_does_not_change_the_audio(tiny_bundle):
    from prodiff_tts.api import STAGES, Synthesizer
    from prodiff_tts.bench.timing import Recorder

    synth = Synthesizer.from_pretrained(tiny_bundle)
    text = "The lamp was lit. The boats left early."
    plain, _ = synth.synthesize(text, steps=4, batch_size=8)
    calls = []

    def stage_timer(stage, frames):
        calls.append((stage, frames))
        return Recorder()(stage, frames)

    timed, _ = synth.synthesize(text, steps=4, batch_size=8, stage_timer=stage_timer)
    assert torch.equal(torch.from_numpy(plain), torch.from_numpy(timed))
    assert [stage for stage, _ in calls] == list(STAGES)  # one batch: each stage once, in order
    frames = dict(calls)
    pause = int(0.15 * synth.audio.sample_rate)
    assert frames["vocoder"] * synth.audio.hop_length + pause == len(plain)  # speech frames, pause excluded
    assert frames["denoiser"] >= frames["vocoder"]  # padded: 2 x the longer sentence

    rec = Recorder()
    synth.synthesize(text, steps=4, batch_size=1, stage_timer=rec)  # two batches of one sentence
    assert rec.calls == {"frontend": 1, "encoder_variance": 2, "denoiser": 2, "vocoder": 2}
    assert all(v >= 0 for v in rec.seconds.values()) and rec.seconds["vocoder"] > 0
    assert rec.denoiser_frames == rec.speech_frames > 0  # batches of one sentence: no padding


@pytest.mark.slow
def test_timed_synthesis_replaces_nothing_on_the_synthesizer(tiny_bundle, monkeypatch):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.bench import timing

    synth = Synthesizer.from_pretrained(tiny_bundle)
    synth.load()  # the lazy vocoder is loaded: from here on no attribute may change
    before, model_before = _attributes(synth), _attributes(synth.model)
    seen = []

    def unchanged() -> bool:
        after, model_after = _attributes(synth), _attributes(synth.model)
        return (after.keys() == before.keys() and all(after[k] is before[k] for k in before)
                and model_after.keys() == model_before.keys()
                and all(model_after[k] is model_before[k] for k in model_before))

    class CheckingRecorder(timing.Recorder):
        def __call__(self, stage, frames=0):
            seen.append(unchanged())  # while the benchmark runs, not only after it
            return super().__call__(stage, frames)

    monkeypatch.setattr(timing, "Recorder", CheckingRecorder)
    text = "The lamp was lit. The boats left early."
    wall, rec = timing.timed_synthesis(synth, text, 4, "uniform", 8)
    assert rec.calls == {"frontend": 1, "encoder_variance": 1, "denoiser": 1, "vocoder": 1}
    assert wall >= sum(rec.seconds.values()) - 1e-6 and min(rec.seconds.values()) >= 0
    wall, acoustic = timing.timed_synthesis(synth, text, 4, "uniform", 8, vocoder=False)
    assert acoustic.calls["vocoder"] == 0 and acoustic.seconds["vocoder"] == 0
    assert acoustic.speech_frames == rec.speech_frames and acoustic.denoiser_frames == rec.denoiser_frames
    first, audio_s = timing.time_to_first_audio(synth, text, 4, "uniform")
    assert 0 < first and 0 < audio_s < rec.speech_frames * synth.audio.hop_length / synth.audio.sample_rate
    assert len(seen) == 7 and all(seen) and unchanged()


# --- the command ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_benchmark_command_writes_table_json_and_plot(student_bundle, tmp_path, capsys):
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    rc = main(["benchmark", "--model", str(student_bundle), "--steps", "2", "4", "--max-words", "10",
               "--repeats", "1", "--warmup", "0", "--threads", "1", "--batch-size", "2",
               "--json", str(out), "--plot", str(png)])
    stdout = capsys.readouterr().out
    assert rc == 0
    assert "| end-to-end, griffin-lim | torch | fp32 | 2 | searched | 1 |" in stdout
    assert "2-step acoustic RTF <= 0.01" in stdout and "time to first audio" in stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = json.loads(out.read_text())
    assert r["schema_version"] == 3 and r["kind"] == "benchmark"
    assert r["settings"]["precisions"] == ["fp32"] and r["settings"]["backends"] == ["torch"]
    assert r["settings"]["frames_per_phoneme"] is None and r["model"]["preset"] is None
    assert r["quality"] == {"reference": {"backend": "torch", "precision": "fp32"}, "asr": None, "results": []}
    m = r["machine"]
    assert m["threads"] == 1 and isinstance(m["torch"], str) and m["device"] == "cpu"
    assert m["matmul_peak_gflops"] > 0 and m["peak_rss_mib"] > 0
    params = r["model"]["parameters"]
    assert params["encoder_variance"] > 0 and set(params["denoisers"]) == {"teacher", "student_k2"}
    assert params["vocoders"] == {"griffin-lim": 0}
    assert {(p["steps"], p["schedule"], p["source"]) for p in r["plans"]} == {
        (2, "uniform", "uniform"), (2, "searched", "searched"), (4, "uniform", "uniform")}
    searched = next(p for p in r["plans"] if p["source"] == "searched")
    uniform2 = next(p for p in r["plans"] if p["steps"] == 2 and p["schedule"] == "uniform")
    assert searched["flop_per_frame"] < uniform2["flop_per_frame"]  # layers skipped
    rows = r["results"]
    assert len(rows) == 2 * 3 * 2  # (acoustic, griffin-lim) x 3 plans x 2 texts; one sentence each: no batch rows
    for row in rows:
        assert row["kind"] in ("acoustic", "end_to_end") and row["words"] in (5, 10)
        assert (row["backend"], row["precision"]) == ("torch", "fp32")
        assert row["audio_s"] > 0 and set(row["rtf"]) == {"median", "min", "max"}
        assert row["rtf"]["median"] == pytest.approx(row["wall_s"]["median"] / row["audio_s"])
        assert set(row["stages_s"]) == {"frontend", "encoder_variance", "denoiser", "vocoder", "other"}
        assert isinstance(row["denoiser_flops"], int) and row["gflops_achieved"] > 0
        assert (row["stages_s"]["vocoder"] > 0) == (row["kind"] == "end_to_end")
    assert r["breakdown"][0]["steps"] == 2 and r["breakdown"][0]["vocoder"] == "griffin-lim"
    assert r["time_to_first_audio"][0]["seconds"]["median"] > 0
    assert [t["status"] in ("PASS", "MISS", "N/A") for t in r["targets"]] == [True] * 4
    assert {(t["backend"], t["precision"]) for t in r["targets"]} == {("torch", "fp32")}
    assert r["targets"][0]["value"] is not None  # 2 steps measured


@pytest.mark.slow
@pytest.mark.parametrize("argv, message", [
    (["--steps", "3"], "--steps 3 is not supported"),
    (["--steps", "zero"], "expected a positive integer"),
    (["--vocoders", "nope"], "unknown vocoder"),
    (["--max-words", "2"], "leaves no benchmark text"),
    (["--json", "out.txt"], "must name a .json file"),
])
def test_benchmark_bad_options_exit_2_with_one_line(tiny_bundle, capsys, argv, message):
    assert main(["benchmark", "--model", str(tiny_bundle), "--threads", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_benchmark_missing_bundle_exits_2(tmp_path, capsys):
    assert main(["benchmark", "--model", str(tmp_path / "nope"), "--threads", "1"]) == 2
    err = capsys.readouterr().err
    assert "model bundle not found" in err and len(err.strip().splitlines()) == 1
