"""``tts export-onnx``: a working export, and one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")

from prodiff_tts.cli import main  # noqa: E402
from prodiff_tts.onnx.manifest import read_manifest  # noqa: E402

from cli_checks import one_line_error  # noqa: E402


def test_export_and_export_again(onnx_bundle, tmp_path, capsys):
    out = tmp_path / "voice"
    assert main(["export-onnx", "--model", str(onnx_bundle), "--out", str(out), "--steps", "2"]) == 0
    assert "exported voice 'tiny_onnx' (2 step(s), fp32" in capsys.readouterr().err
    m = read_manifest(out)
    assert sorted(m.plans) == [2] and m.int8 is None and m.precisions(2) == ["fp32"]
    # an earlier export is replaced; the uniform schedule on request
    assert main(["export-onnx", "--model", str(onnx_bundle), "--out", str(out), "--steps", "2", "1",
                 "--schedule", "uniform"]) == 0
    m = read_manifest(out)
    assert sorted(m.plans) == [1, 2] and m.plans[2].source == "uniform" and m.plans[2].layer_masks is None


def test_bad_input(onnx_bundle, tmp_path, capsys):
    base = ["export-onnx", "--model", str(onnx_bundle), "--out"]
    one_line_error(capsys, main(["export-onnx", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "o")]),
                   "model bundle not found")
    one_line_error(capsys, main([*base, str(tmp_path / "o"), "--steps", "3"]), "--steps 3 is not supported")
    one_line_error(capsys, main([*base, str(tmp_path / "o"), "--steps", "0"]), "positive integer")
    one_line_error(capsys, main([*base, str(tmp_path / "o"), "--calibration-texts", "4"]), "is for --int8")
    (tmp_path / "file").write_text("x")
    one_line_error(capsys, main([*base, str(tmp_path / "file")]), "not a directory")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    one_line_error(capsys, main([*base, str(tmp_path / "busy")]), "not empty and holds no ONNX voice")
    one_line_error(capsys, main(["export-onnx", "--model", str(onnx_bundle)]), "--out")
    assert not (tmp_path / "o").exists() and (tmp_path / "busy" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_synthesize_with_the_onnx_backend_writes_a_wav(onnx_export, tmp_path, capsys, precision):
    import soundfile as sf

    out = tmp_path / f"{precision}.wav"
    assert main(["synthesize", "Hello there. A second sentence.", "--backend", "onnx", "--model", str(onnx_export),
                 "--precision", precision, "--steps", "2", "-o", str(out)]) == 0
    wav, sr = sf.read(out)
    assert sr == 22050 and len(wav) > 0
    assert f"wrote {out}" in capsys.readouterr().out


def test_synthesize_backend_errors(onnx_export, onnx_bundle, tmp_path, capsys):
    run = ["synthesize", "hi", "-o", str(tmp_path / "x.wav")]
    one_line_error(capsys, main([*run, "--backend", "onnx"]), "--backend onnx needs --model")
    one_line_error(capsys, main([*run, "--precision", "int8", "--model", str(onnx_bundle)]), "needs --backend onnx")
    one_line_error(capsys, main([*run, "--backend", "onnx", "--model", str(onnx_export), "--precision", "bf16"]),
                   "torch backend")
    one_line_error(capsys, main([*run, "--backend", "onnx", "--model", str(onnx_export), "--schedule", "uniform"]),
                   "schedule chosen at export")
    one_line_error(capsys, main([*run, "--backend", "onnx", "--model", str(onnx_export), "--device", "cuda"]),
                   "CPU only")
    one_line_error(capsys, main([*run, "--backend", "onnx", "--model", str(onnx_export), "--subtitles",
                                 str(tmp_path / "x.txt")]), "must name a .srt or .vtt file")
    one_line_error(capsys, main([*run, "--backend", "onnx", "--model", str(onnx_bundle)]), "not an ONNX voice")
    assert not (tmp_path / "x.wav").exists()


def test_synthesize_with_the_onnx_backend_writes_timestamps_and_subtitles(onnx_export, tmp_path, capsys,
                                                                          monkeypatch):
    import io
    import json

    import soundfile as sf

    from prodiff_tts.onnx import OnnxVoice

    text = '<speak>Hello there. <break time="400ms"/> A second sentence.</speak>'
    out, stamps, vtt = tmp_path / "a.wav", tmp_path / "a.json", tmp_path / "a.vtt"
    assert main(["synthesize", text, "--backend", "onnx", "--model", str(onnx_export), "--seed", "2", "-o", str(out),
                 "--timestamps", str(stamps), "--subtitles", str(vtt)]) == 0
    wav, sr = sf.read(out, dtype="float32")
    doc = json.loads(stamps.read_text())
    expected = OnnxVoice(onnx_export, threads=1).synthesize_with_timestamps(text, seed=2)
    assert doc["sample_rate"] == sr and doc["duration"] == pytest.approx(len(wav) / sr, abs=1e-4)
    assert doc["words"] == [w.as_dict() for w in expected.words]
    assert doc["phonemes"] == [p.as_dict() for p in expected.phonemes]
    cues = vtt.read_text().strip().split("\n\n")
    assert cues[0] == "WEBVTT" and " ".join(c.splitlines()[-1] for c in cues[1:]) == "hello there a second sentence"
    # a --json-input line asking for timestamps and subtitles
    capsys.readouterr()

    class Stdin:
        buffer = io.BytesIO((json.dumps({"text": "Hi there.", "output_file": str(tmp_path / "b.wav"),
                                         "timestamps_file": str(tmp_path / "b.json"),
                                         "subtitles_file": str(tmp_path / "b.srt")}) + "\n").encode())

    monkeypatch.setattr("sys.stdin", Stdin)
    assert main(["synthesize", "--json-input", "--backend", "onnx", "--model", str(onnx_export)]) == 0, \
        capsys.readouterr().err
    assert [w["word"] for w in json.loads((tmp_path / "b.json").read_text())["words"]] == ["hi", "there"]
    assert (tmp_path / "b.srt").read_text().endswith("hi there\n")


def test_synthesize_with_the_onnx_backend_never_imports_torch(onnx_export, tmp_path):
    """In a fresh interpreter: `tts synthesize --backend onnx` writes its wav, timings and subtitles without torch
    (prodiff_tts.audio loads its torch feature code only when asked for it)."""
    import json
    import subprocess
    import sys

    import soundfile as sf

    wav, stamps, srt = tmp_path / "a.wav", tmp_path / "a.json", tmp_path / "a.srt"
    code = f"""
import json, sys
from prodiff_tts.cli import main
status = main(["synthesize", "Hello there. Bye.", "--backend", "onnx", "--model", {str(onnx_export)!r},
               "--output", {str(wav)!r}, "--timestamps", {str(stamps)!r}, "--subtitles", {str(srt)!r}])
print(json.dumps([status, sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "lightning", "hydra"))]))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    status, heavy = json.loads(p.stdout.strip().splitlines()[-1])
    assert status == 0 and heavy == [], (heavy, p.stderr)
    audio, sr = sf.read(wav)
    assert sr == 22050 and len(audio) > 0
    assert [w["word"] for w in json.loads(stamps.read_text())["words"]] == ["hello", "there", "bye"]
    assert "-->" in srt.read_text()
