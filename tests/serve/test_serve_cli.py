"""`tts serve`: bad options are one line on stderr and exit 2; a real `tts serve` process answers the openai
client and stops on Ctrl-C; the server never imports training code."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import soundfile as sf

from prodiff_tts.cli import main

openai = pytest.importorskip("openai")


def one_line_error(capsys, *argv) -> str:
    code = main(list(argv))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "error" in lines[0] and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "a port is 0 to 65535"),
    (["--port", "http"], "expected a port number"),
    (["--threads", "0"], "expected a positive integer"),
    (["--queue-size", "-1"], "expected an integer >= 0"),
    (["--max-input-chars", "0"], "expected a positive integer"),
    (["--voice", "nosuch"], "no voice named 'nosuch'"),
])
def test_bad_options(capsys, args, message):
    assert message in one_line_error(capsys, "serve", *args)


def test_voice_without_the_default_steps_and_a_taken_port(capsys, tiny_bundle, two_denoiser_bundle):
    line = one_line_error(capsys, "serve", "--model", str(tiny_bundle))  # a teacher alone: no 2-step plan
    assert "no 2-step plan" in line and "supported: 4, 8, 16, 32" in line
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = one_line_error(capsys, "serve", "--model", str(two_denoiser_bundle), "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_tts_serve_process(two_denoiser_bundle, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "prodiff_tts.cli", "serve", "--model", str(two_denoiser_bundle),
                             "--port", "0", "--threads", "1", "--log-level", "warning"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "serving voice" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, "tts serve did not start"
            line = proc.stderr.readline()
        url = line.split(" on ")[1].split("/v1/")[0]
        assert url.startswith("http://127.0.0.1:")
        c = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0, timeout=60)
        c.audio.speech.create(model="tts-1", voice="alloy", input="Hello from a process.",
                              response_format="wav").write_to_file(tmp_path / "a.wav")
        wav, sr = sf.read(tmp_path / "a.wav")
        assert sr == 22050 and len(wav) > 0
        with pytest.raises(openai.BadRequestError):
            c.audio.speech.create(model="tts-1", voice="alloy", input="?!", response_format="wav")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "server stopped" in err and "Traceback" not in err, err
        assert out == ""  # messages go to stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_server_does_not_import_training_code(two_denoiser_bundle):
    code = (
        "import sys\n"
        "from prodiff_tts.api import Synthesizer\n"
        "from prodiff_tts.serve.app import create_app\n"
        f"create_app(Synthesizer({str(two_denoiser_bundle)!r}, vocoder='griffin-lim').load())\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('lightning', 'pytorch_lightning', 'hydra')\n"
        "             or m.startswith('prodiff_tts.training'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
