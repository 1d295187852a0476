"""`tts synthesize` on bad input: one line on stderr, exit 2, no traceback, no output written."""

import os
import shutil
import sys

import numpy as np
import pytest
import soundfile as sf
import yaml

from prodiff_tts.cli import main

pytestmark = pytest.mark.slow


def run(capsys, *argv):
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_one_line_error(code, err):
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("tts: warning")]
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("text", ["", "   \n\t ", "?!...,;", "😀🎉", "\x00\x07\x1b", "你好世界", "\u2063"])
def test_unspeakable_text(tiny_bundle, tmp_path, capsys, text):
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", text, "--model", str(tiny_bundle), "--steps", "4", "-o", str(out))
    assert_one_line_error(code, err)
    assert not out.exists()


def test_other_scripts_are_dropped_with_a_warning(tiny_bundle, tmp_path, capsys):
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", "Hello привет 你好 world.", "--model", str(tiny_bundle),
                       "--steps", "4", "-o", str(out))
    assert code == 0 and "warning" in err and out.exists()


@pytest.mark.parametrize("args", [["--steps", "0"], ["--steps", "-2"], ["--steps", "1.5"], ["--steps", "3"],
                                  ["--speed", "0"], ["--speed", "fast"], ["--vocoder", "wavenet"],
                                  ["--schedule", "best"]])
def test_bad_options(tiny_bundle, tmp_path, capsys, args):
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(out), *args)
    assert_one_line_error(code, err)
    assert not out.exists()


def test_unsupported_steps_lists_the_supported_ones(tiny_bundle, tmp_path, capsys):
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "--steps", "3",
                       "-o", str(tmp_path / "o.wav"))
    assert code == 2 and "supported: 4, 8, 16, 32" in err


def test_bad_output_paths(tiny_bundle, tmp_path, capsys):
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "--steps", "4",
                       "-o", str(tmp_path / "missing" / "o.wav"))
    assert_one_line_error(code, err)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: a read-only directory is still writable")
        code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(ro / "o.wav"))
        assert_one_line_error(code, err)
    finally:
        ro.chmod(0o755)


def test_existing_output_is_replaced_atomically(tiny_bundle, tmp_path, capsys):
    out = tmp_path / "o.wav"
    out.write_bytes(b"old")
    code, _, _ = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "--steps", "4", "-o", str(out))
    assert code == 0
    wav, sr = sf.read(out)
    assert sr == 22050 and len(wav) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.wav"]


def test_stdin_text_file_and_long_text(tiny_bundle, tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Read from standard input."))
    code, out, _ = run(capsys, "synthesize", "-", "--model", str(tiny_bundle), "--steps", "4", "-o", str(tmp_path / "a.wav"))
    assert code == 0 and "RTF" in out
    long_text = " ".join(["This is sentence number %d of a long text." % i for i in range(8)])
    (tmp_path / "t.txt").write_text(long_text, encoding="utf-8")
    code, _, _ = run(capsys, "synthesize", "--text-file", str(tmp_path / "t.txt"), "--model", str(tiny_bundle),
                     "--steps", "4", "-o", str(tmp_path / "b.wav"))
    assert code == 0
    assert len(sf.read(tmp_path / "b.wav")[0]) > 3 * len(sf.read(tmp_path / "a.wav")[0])
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    code, _, err = run(capsys, "synthesize", "--text-file", str(tmp_path / "latin1.txt"), "--model", str(tiny_bundle))
    assert_one_line_error(code, err)


def test_a_2000_character_word(tiny_bundle, tmp_path, capsys):
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", "a" * 2000, "--model", str(tiny_bundle), "--steps", "4", "-o", str(out))
    assert code == 0, err
    assert np.isfinite(sf.read(out)[0]).all()


def _copy(bundle, tmp_path):
    dst = tmp_path / "b"
    shutil.copytree(bundle, dst)
    return dst


@pytest.mark.parametrize("damage", ["missing_dir", "truncated", "garbage", "missing_file", "version", "shape",
                                    "config_key"])
def test_damaged_bundles(tiny_bundle, tmp_path, capsys, damage):
    b = _copy(tiny_bundle, tmp_path)
    weights = b / "denoiser_teacher.safetensors"
    cfg = yaml.safe_load((b / "config.yaml").read_text())
    if damage == "missing_dir":
        b = tmp_path / "nowhere"
    elif damage == "truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "garbage":
        weights.write_bytes(os.urandom(1000))
    elif damage == "missing_file":
        (b / "acoustic.safetensors").unlink()
    elif damage == "version":
        cfg["format_version"] = 99
    elif damage == "shape":
        cfg["model"]["denoiser"]["residual_channels"] = 48
    elif damage == "config_key":
        cfg["model"]["encoder"]["hiden"] = 3
    (b / "config.yaml").write_text(yaml.safe_dump(cfg)) if b.exists() else None
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(b), "--steps", "4", "-o", str(out))
    assert_one_line_error(code, err)
    assert not out.exists()


def test_vocoder_needing_weights_is_refused_and_a_saved_one_is_used(tiny_bundle, tmp_path, capsys):
    """An architecture name alone would mean random weights (noise): refused. A saved vocoder is loaded."""
    from prodiff_tts.audio import AudioConfig
    from prodiff_tts.vocoders import build_vocoder, save_vocoder

    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(out),
                       "--vocoder", "hifigan-v1")
    assert_one_line_error(code, err)
    assert "needs trained weights" in err and not out.exists()
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(out),
                       "--vocoder", "bundle")  # the fixture voice ships no vocoder
    assert_one_line_error(code, err)
    assert "has no vocoder of its own" in err
    saved = save_vocoder(build_vocoder("istft", audio_config=AudioConfig(), dim=16, intermediate_dim=32, num_layers=1),
                         tmp_path / "voc")
    code, stdout, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(out),
                            "--steps", "4", "--vocoder", str(saved))
    assert code == 0 and out.exists() and f"vocoder {saved}" in stdout, err
    other = save_vocoder(build_vocoder("istft", audio_config=AudioConfig(sample_rate=16000), dim=16,
                                       intermediate_dim=32, num_layers=1), tmp_path / "voc16k")
    code, _, err = run(capsys, "synthesize", "Hello.", "--model", str(tiny_bundle), "-o", str(tmp_path / "p.wav"),
                       "--steps", "4", "--vocoder", str(other))
    assert_one_line_error(code, err)
    assert "another audio config" in err


# --- audio to standard output, --json-input --------------------------------------------------------------

THREE = "Hello there. This is the second sentence. And a third one."


def run_binary(capsysbinary, *argv):
    code = main(list(argv))
    cap = capsysbinary.readouterr()
    return code, cap.out, cap.err.decode()


def sentence_pcm(bundle, text, **kwargs):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.serve.encoding import pcm16

    return b"".join(pcm16(p) for p in Synthesizer(bundle).stream(text, batch_size=1, **kwargs))


def test_wav_and_raw_pcm_to_stdout(tiny_bundle, tmp_path, capsysbinary):
    import io

    code, out, err = run_binary(capsysbinary, "synthesize", THREE, "--model", str(tiny_bundle), "--steps", "4",
                                "-o", "-")
    assert code == 0 and "wrote standard output (wav)" in err
    assert out[:4] == b"RIFF" and out[4:8] == b"\xff" * 4 and out[40:44] == b"\xff" * 4  # length unknown
    wav, sr = sf.read(io.BytesIO(out), dtype="int16")
    assert sr == 22050 and wav.astype("<i2").tobytes() == out[44:] == sentence_pcm(tiny_bundle, THREE, steps=4)
    code, raw, err = run_binary(capsysbinary, "synthesize", THREE, "--model", str(tiny_bundle), "--steps", "4",
                                "--output-raw")
    assert code == 0 and raw == out[44:] and len(raw) % 2 == 0 and "wrote standard output (raw PCM)" in err
    # one sentence: the same audio as a file (to 1 LSB: soundfile rounds its own way)
    code, one, _ = run_binary(capsysbinary, "synthesize", "Hello.", "--model", str(tiny_bundle), "--steps", "4",
                              "--output-raw")
    code2, _, _ = run_binary(capsysbinary, "synthesize", "Hello.", "--model", str(tiny_bundle), "--steps", "4",
                             "-o", str(tmp_path / "h.wav"))
    assert code == code2 == 0
    ref = sf.read(tmp_path / "h.wav", dtype="int16")[0].astype(int)
    assert np.abs(np.frombuffer(one, dtype="<i2").astype(int) - ref).max() <= 1


def test_stdout_errors(tiny_bundle, tmp_path, capsysbinary, monkeypatch):
    for args in (["--output-raw", "-o", str(tmp_path / "o.wav")], ["-o", "-", "--steps", "3"]):
        code, out, err = run_binary(capsysbinary, "synthesize", "Hello.", "--model", str(tiny_bundle), *args)
        assert_one_line_error(code, err)
        assert out == b""
    code, out, err = run_binary(capsysbinary, "synthesize", "?!", "--model", str(tiny_bundle), "--steps", "4",
                                "-o", "-")
    assert_one_line_error(code, err)
    assert out == b""  # nothing, not even a header
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = run_binary(capsysbinary, "synthesize", "Hello.", "--model", str(tiny_bundle), "--output-raw")
    assert_one_line_error(code, err)
    assert "terminal" in err and out == b""


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_json_input_batch(tiny_bundle, tmp_path, capsysbinary, monkeypatch):
    import json

    from prodiff_tts.api import Synthesizer

    p = {k: str(tmp_path / f"{k}.wav") for k in "abcdefg"}
    lines = [json.dumps({"text": "First line.", "output_file": p["a"]}),
             "not json",
             json.dumps({"text": "Bad steps.", "output_file": p["b"], "steps": 3}),
             json.dumps({"text": "?!", "output_file": p["c"]}),
             "",
             json.dumps({"output_file": p["d"]}),
             json.dumps({"text": "Fine. Two sentences.", "output_file": p["e"], "speed": 1.5, "seed": 3,
                         "speaker_id": 0}),
             "\xff".encode("latin-1"),
             json.dumps({"text": "No output file."}),
             json.dumps({"text": "Missing directory.", "output_file": str(tmp_path / "nope" / "f.wav")}),
             json.dumps({"text": "Bad speed.", "output_file": p["g"], "speed": "fast"}),
             json.dumps([1, 2])]
    data = b"\n".join(ln if isinstance(ln, bytes) else ln.encode() for ln in lines) + b"\n"
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    code, out, err = run_binary(capsysbinary, "synthesize", "--json-input", "--model", str(tiny_bundle),
                                "--steps", "4")
    assert code == 2 and "Traceback" not in err
    assert out.decode().split() == [p["a"], p["e"]]  # as Piper: the written paths on stdout
    errors = [ln for ln in err.splitlines() if ln.startswith("tts: error:")]
    assert [ln.split(":")[2].strip() for ln in errors] == [f"line {n}" for n in (2, 3, 4, 6, 8, 9, 10, 11, 12)]
    assert "supported: 4, 8, 16, 32" in errors[1] and "nothing speakable" in errors[2] and "no 'text'" in errors[3]
    assert "ignored unknown key(s): speaker_id" in err and "2 line(s) synthesized, 9 failed" in err
    assert sorted(f.name for f in tmp_path.iterdir()) == ["a.wav", "e.wav"]
    synth = Synthesizer(tiny_bundle)
    e, sr = sf.read(p["e"], dtype="float32")
    ref = synth.synthesize("Fine. Two sentences.", steps=4, speed=1.5, seed=3)[0]
    assert sr == 22050 and len(e) == len(ref) and np.abs(e - ref).max() < 2 / 32767


def test_json_input_raw_to_stdout(tiny_bundle, tmp_path, capsysbinary, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(b'{"text": "One line."}\n{"text": "Another. And more.", "seed": 1}\n'
                                            b'{"text": "To a file.", "output_file": "' + str(tmp_path / "f.wav").encode()
                                            + b'"}\n'))
    code, out, err = run_binary(capsysbinary, "synthesize", "--json-input", "--output-raw", "--model",
                                str(tiny_bundle), "--steps", "4")
    assert code == 0, err
    # only audio on stdout: the path of a line written to a file is not printed there
    assert out == sentence_pcm(tiny_bundle, "One line.", steps=4) + sentence_pcm(tiny_bundle, "Another. And more.",
                                                                                   steps=4, seed=1)
    assert (tmp_path / "f.wav").exists() and "line 3: wrote" in err
    for args in (["Hello."], ["-o", "x.wav"]):
        code, out, err = run_binary(capsysbinary, "synthesize", "--json-input", "--model", str(tiny_bundle), *args)
        assert_one_line_error(code, err)


def test_a_closed_pipe_is_one_line(tiny_bundle):
    """`tts synthesize ... --output-raw | head -c 1000`: the reader goes away; one line, no traceback."""
    import subprocess

    text = " ".join(f"Sentence number {i}." for i in range(40))
    proc = subprocess.Popen([sys.executable, "-m", "prodiff_tts.cli", "synthesize", text, "--model", str(tiny_bundle),
                             "--steps", "4", "--output-raw"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(proc.stdout.read(1000)) == 1000
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert err.strip() == "tts: error: standard output was closed before the audio was complete", err


def test_synthesis_does_not_import_training_or_analysis_only_modules(tiny_bundle, tmp_path):
    """In a fresh interpreter, `tts synthesize` with Griffin-Lim imports neither numba (alignment search and PGHI
    only) nor scipy.signal (pulled in by librosa.filters): about 2.5 s of every start on this machine."""
    import json
    import subprocess

    wav = tmp_path / "a.wav"
    code = f"""
import json, sys
from prodiff_tts.cli import main
status = main(["synthesize", "Hello there.", "--model", {str(tiny_bundle)!r}, "--steps", "4", "-o", {str(wav)!r}])
print(json.dumps([status, sorted(m for m in ("numba", "scipy.signal", "librosa.filters") if m in sys.modules)]))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    status, heavy = json.loads(p.stdout.strip().splitlines()[-1])
    assert status == 0 and heavy == [], (heavy, p.stderr)
    assert sf.info(str(wav)).frames > 0
