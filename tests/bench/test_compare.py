import json

import pytest

from prodiff_tts.bench.compare import compare_reports
from prodiff_tts.bench.metrics import error_rate
from prodiff_tts.cli import main

TEXTS = [f"sentence number {i} is about the weather today" for i in range(12)]


def _report(path, bundle, hyps, mos, engine=("whisper", "tiny.en")):
    per_item = [{"text": t, "normalized": t, "transcript": h, "dnsmos": {"dnsmos_ovrl": q}}
                for t, h, q in zip(TEXTS, hyps, mos)]
    path.write_text(json.dumps({"kind": "intelligibility", "bundle": bundle,
                                "asr": {"engine": engine[0], "version": engine[1]},
                                "results": [{"steps": 2, "schedule": "searched", "denoiser": "student_k2",
                                             "vocoder": "griffin-lim", "per_item": per_item}]}))
    return path


def test_two_voices_on_the_same_sentences(tmp_path):
    worse = [t.replace("weather", "whether").replace("about", "a bout") for t in TEXTS]
    a = _report(tmp_path / "a.json", "voices/alpha", TEXTS, [3.0] * 12)
    b = _report(tmp_path / "b.json", "voices/beta", worse, [2.0 + 0.05 * i for i in range(12)])
    r = compare_reports([a, b], resamples=200)
    first, second = r["rows"]
    assert first["label"] == "alpha, griffin-lim" and first["wer"] == 0.0 and first["dnsmos_ovrl"] == 3.0
    assert second["wer"] == pytest.approx(error_rate(TEXTS, worse, "word"))
    diff = r["bootstrap"]["differences"][1]
    assert diff["wer"]["verdict"] == "behind" and diff["dnsmos_ovrl"]["verdict"] == "behind"
    assert diff["wer"]["difference"] == pytest.approx(second["wer"])


def test_bad_comparisons_are_one_line_errors(tmp_path, capsys):
    a = _report(tmp_path / "a.json", "a", TEXTS, [3.0] * 12)
    other_asr = _report(tmp_path / "p.json", "b", TEXTS, [3.0] * 12, engine=("pocketsphinx", "5"))
    shorter = tmp_path / "s.json"
    data = json.loads(a.read_text())
    data["results"][0]["per_item"] = data["results"][0]["per_item"][:5]
    shorter.write_text(json.dumps(data))
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"kind": "benchmark"}))
    cases = [([str(a), str(other_asr)], "do not compare"), ([str(a), str(shorter)], "other sentences"),
             ([str(bench)], "got kind 'benchmark'"), ([str(tmp_path / "none.json")], "report not found"),
             ([str(a), "--bootstrap", "1"], "at least 2 redraws")]
    for argv, message in cases:
        assert main(["compare", *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_compare_command_prints_and_writes_json(tmp_path, capsys):
    a = _report(tmp_path / "a.json", "a", TEXTS, [3.0] * 12)
    b = _report(tmp_path / "b.json", "b", TEXTS[:6] + ["nothing"] * 6, [3.5] * 12)
    out = tmp_path / "c.json"
    assert main(["compare", str(a), str(b), "--bootstrap", "100", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| b, griffin-lim |" in printed and "Paired differences to the first row (a, griffin-lim)" in printed
    saved = json.loads(out.read_text())
    assert saved["kind"] == "compare" and saved["items"] == 12 and saved["bootstrap"]["resamples"] == 100
