import json

import numpy as np
import pytest

from prodiff_tts.audio import AudioConfig
from prodiff_tts.bench.vocoder_eval import evaluate_vocoders, format_vocoder_evaluation
from prodiff_tts.cli import main
from prodiff_tts.vocoders import build_vocoder, save_vocoder


@pytest.fixture
def untrained_istft(tmp_path):
    """A tiny random-weight iSTFT vocoder: its output is noise, the bar Griffin-Lim must clear."""
    return save_vocoder(build_vocoder("istft", audio_config=AudioConfig(), dim=16, intermediate_dim=32, num_layers=1),
                        tmp_path / "istft")


def test_griffin_lim_beats_an_untrained_vocoder(prepared_tiny, untrained_istft):
    r = evaluate_vocoders(prepared_tiny, ["griffin-lim", str(untrained_istft)], items=2, threads=1,
                          griffin_lim_iters=4)
    gl, noise = r["results"]
    assert r["kind"] == "evaluate-vocoder" and r["items"] == 2 and r["machine"]["threads"] == 1
    assert r["machine"]["torch"] and r["machine"]["cpu"]
    assert gl["name"] == "griffin-lim" and noise["name"] == "istft" and noise["parameters"] > 0
    for row in (gl, noise):
        assert row["items"] == 2 and len(row["per_item"]) == 2
        assert np.isfinite(row["mel_l1"]) and np.isfinite(row["mcd_db"]) and row["rtf"] > 0
        assert row["audio_seconds"] > 0 and all(it["frames"] > 0 for it in row["per_item"])
    assert gl["mel_l1"] < 0.5 * noise["mel_l1"]
    assert gl["mcd_db"] < noise["mcd_db"]
    assert gl["frechet_mel"] < noise["frechet_mel"]
    assert gl["vuv_error"] is not None and 0.0 <= gl["vuv_error"] <= 1.0
    table = format_vocoder_evaluation(r)
    assert "| griffin-lim (griffin-lim) | 2 |" in table and "RTF (1 thread)" in table
    b = r["bootstrap"]
    assert b["paired_reference"] and b["differences"][0] is None
    assert b["differences"][1]["ms_distance_db"]["difference"] == pytest.approx(
        noise["ms_distance_db"] - gl["ms_distance_db"])
    assert "Paired differences to the first row (griffin-lim)" in table and f"| {untrained_istft} |" in table


def test_command_writes_json_and_table(prepared_tiny, tmp_path, capsys):
    out = tmp_path / "voc.json"
    rc = main(["evaluate-vocoder", str(prepared_tiny), "--vocoders", "griffin-lim", "--items", "1",
               "--threads", "1", "--json", str(out)])
    stdout = capsys.readouterr().out
    assert rc == 0, stdout
    assert "| vocoder | items | log-mel L1 | MCD dB |" in stdout and "| Fréchet mel |" in stdout and "| griffin-lim (griffin-lim) | 1 |" in stdout
    r = json.loads(out.read_text())
    assert r["schema_version"] == 2 and r["results"][0]["items"] == 1 and r["results"][0]["mel_l1"] > 0
    assert r["bootstrap"] is None  # one item: nothing to redraw


def test_command_errors_are_one_line(prepared_tiny, tmp_path, capsys):
    bad_weights = tmp_path / "broken"
    bad_weights.mkdir()
    (bad_weights / "model.safetensors").write_bytes(b"not a safetensors file")
    data = str(prepared_tiny)
    cases = [
        ([str(tmp_path / "nodata")], "prepared data directory not found"),
        ([str(tmp_path)], "prepare.json not found"),
        ([data, "--vocoders", "nosuch"], "vocoder not found: nosuch"),
        ([data, "--vocoders", "hifigan-v1"], "needs trained weights"),
        ([data, "--vocoders", str(bad_weights)], "not a readable safetensors file"),
        ([data, "--split", "nosuch"], "no 'nosuch' items"),
        ([data, "--json", str(tmp_path / "out.txt")], "--json must name a .json file"),
        ([data, "--bootstrap", "1"], "--bootstrap needs at least 2 redraws"),
        ([data, "--bootstrap", "-3"], "expected an integer >= 0"),
    ]
    for argv, message in cases:
        assert main(["evaluate-vocoder", "--threads", "1", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_oracle_rows_split_the_error_into_magnitude_and_phase(prepared_tiny, untrained_istft):
    r = evaluate_vocoders(prepared_tiny, ["griffin-lim", str(untrained_istft)], items=2, threads=1,
                          griffin_lim_iters=4, f0=False, oracles=True)
    rows = {row["vocoder"]: row for row in r["results"]}
    gl = rows["griffin-lim"]
    gl_mag = rows["oracle: Griffin-Lim magnitude + recorded phase"]
    gl_phase = rows["oracle: recorded magnitude + Griffin-Lim phase"]
    noise_mag = rows[f"oracle: {untrained_istft} magnitude + recorded phase"]
    assert len(rows) == 5 and all(row["rtf"] is None for row in (gl_mag, gl_phase, noise_mag))
    # each oracle replaces one of Griffin-Lim's two estimates by the truth, so each is closer than Griffin-Lim
    assert gl_mag["mel_l1"] < gl["mel_l1"] and gl_phase["mel_l1"] < gl["mel_l1"]
    assert noise_mag["mel_l1"] > gl_mag["mel_l1"]  # random weights: a useless magnitude even with the right phase
    assert "| oracle: Griffin-Lim magnitude + recorded phase (oracle) | 2 |" in format_vocoder_evaluation(r)


def test_oracle_rows_need_the_recordings(prepared_tiny, tmp_path):
    import shutil

    data = tmp_path / "prep"
    shutil.copytree(prepared_tiny, data)
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    for r in rows:
        r["wav"] = str(tmp_path / "moved" / "x.wav")
    (data / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain = evaluate_vocoders(data, ["griffin-lim"], items=1, threads=1, griffin_lim_iters=2, f0=False)
    assert "cached mels are the reference" in plain["notes"][0]  # without oracles: the cached features serve
    with pytest.raises(ValueError, match="oracle rows need the recordings"):
        evaluate_vocoders(data, ["griffin-lim"], items=1, threads=1, griffin_lim_iters=2, f0=False, oracles=True)


@pytest.mark.slow
def test_whisper_hears_griffin_lim_better_than_noise(prepared_tiny, untrained_istft):
    """The listener columns: Griffin-Lim's resynthesis is intelligible to Whisper, an untrained vocoder's is not,
    and the Whisper-embedding Fréchet tells them apart the same way."""
    pytest.importorskip("faster_whisper")
    r = evaluate_vocoders(prepared_tiny, ["griffin-lim", str(untrained_istft)], items=3, threads=1,
                          griffin_lim_iters=16, asr="whisper")
    gl, noise = r["results"]
    assert r["schema_version"] == 2 and r["asr"]["engine"] == "whisper" and r["asr"]["recordings"]["wer"] <= 0.15
    assert gl["wer"] < noise["wer"] and gl["frechet_whisper"] < noise["frechet_whisper"]
    assert gl["gv_ratio"] > 0 and noise["ms_distance_db"] > 0
    assert "Fréchet Whisper" in format_vocoder_evaluation(r)


def test_griffin_lim_iteration_specs_are_rows_of_their_own(prepared_tiny):
    r = evaluate_vocoders(prepared_tiny, ["griffin-lim:1", "gl:24"], items=1, threads=1, f0=False)
    few, many = r["results"]
    assert (few["vocoder"], many["vocoder"]) == ("griffin-lim:1", "gl:24")
    # more phase-retrieval iterations bring the resynthesis closer to the input mel
    assert many["mel_l1"] < few["mel_l1"]
    (pghi,) = evaluate_vocoders(prepared_tiny, ["gl:1:pghi"], items=1, threads=1, f0=False)["results"]
    assert pghi["vocoder"] == "gl:1:pghi" and pghi["mel_l1"] != few["mel_l1"]  # another starting phase


def test_a_bad_griffin_lim_spec_is_one_line(prepared_tiny, capsys):
    rc = main(["evaluate-vocoder", str(prepared_tiny), "--vocoders", "griffin-lim:x", "--items", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "expected griffin-lim[:ITERATIONS]" in err and "Traceback" not in err
