"""`tts serve --backend onnx`: the server speaking with an OnnxVoice answers a real client over HTTP (wav streamed,
timestamps, errors), never imports torch (fresh interpreter: the app itself and the `tts serve` command), and the
command's bad options are one line with exit status 2."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import pytest

pytest.importorskip("onnx.numpy_helper")  # not "onnx": tests/onnx would pass for it
pytest.importorskip("onnxruntime")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import soundfile as sf  # noqa: E402

from prodiff_tts.cli import main  # noqa: E402
from prodiff_tts.onnx.runtime import OnnxVoice  # noqa: E402
from prodiff_tts.serve.app import ServerSettings, create_app  # noqa: E402
from prodiff_tts.serve.encoding import UNKNOWN_SIZE, pcm16  # noqa: E402

from cli_checks import one_line_error  # noqa: E402
from live_server import LiveServer  # noqa: E402

TEXT = "Hello there. How are you today? Fine, thanks."


@pytest.fixture(scope="module")
def voice(onnx_export):
    return OnnxVoice(onnx_export, threads=1).load()


@pytest.fixture(scope="module")
def live(voice):
    server = LiveServer(create_app(voice, ServerSettings(threads=2, queue_size=4)))
    yield server
    server.stop()


def expected_pcm(voice, text: str, **kwargs) -> bytes:
    return b"".join(pcm16(p) for p in voice.stream(text, steps=2, batch_size=1, **kwargs))


def test_speech_is_streamed_wav(live, voice):
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "wav", "seed": 5}
    chunks = []
    with httpx.stream("POST", f"{live.url}/v1/audio/speech", json=body, timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        assert "content-length" not in r.headers and r.headers["transfer-encoding"] == "chunked"
        assert r.headers["x-sample-rate"] == "22050"
        chunks = list(r.iter_raw())
    data = b"".join(chunks)
    assert int.from_bytes(data[40:44], "little") == UNKNOWN_SIZE  # a header for audio of unknown length
    assert data[44:] == expected_pcm(voice, TEXT, seed=5)  # the voice's own audio, sentence by sentence
    assert data[44:] != expected_pcm(voice, TEXT, seed=6)
    wav, sr = sf.read(io.BytesIO(data), dtype="int16")
    assert sr == 22050 and len(wav) == (len(data) - 44) // 2
    pcm = httpx.post(f"{live.url}/v1/audio/speech", json={"input": "One. Two.", "response_format": "pcm",
                                                          "steps": 1, "speed": 1.3}, timeout=60)
    one_step = b"".join(pcm16(p) for p in voice.stream("One. Two.", steps=1, speed=1.3, batch_size=1))
    assert pcm.status_code == 200 and pcm.content == one_step != expected_pcm(voice, "One. Two.", speed=1.3)


def test_timestamps_endpoint(live, voice):
    ssml = '<speak>Hello <break time="500ms"/> world. <prosody rate="1.5">A faster one.</prosody></speak>'
    r = httpx.post(f"{live.url}/v1/audio/speech/timestamps", json={"input": ssml, "seed": 2}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["format"] == "wav" and doc["sample_rate"] == 22050
    wav, sr = sf.read(io.BytesIO(base64.b64decode(doc["audio"])), dtype="int16")
    assert wav.astype("<i2").tobytes() == expected_pcm(voice, ssml, seed=2)
    assert doc["duration"] == pytest.approx(len(wav) / sr, abs=1e-4)
    timed = voice.synthesize_with_timestamps(ssml, seed=2, batch_size=1)
    assert doc["words"] == [w.as_dict() for w in timed.words]
    assert doc["phonemes"] == [p.as_dict() for p in timed.phonemes]
    assert [w["word"] for w in doc["words"]] == ["hello", "world", "a", "faster", "one"]


def test_models_health_and_errors(live, voice):
    health = httpx.get(f"{live.url}/health").json()
    assert (health["voice"], health["sample_rate"], health["steps"], health["default_steps"]) == \
        ("tiny_onnx", 22050, [1, 2], 2)
    models = httpx.get(f"{live.url}/v1/models").json()["data"]
    assert [m["id"] for m in models] == ["tiny_onnx"] and models[0]["created"] == voice.created > 0
    for body, status, code, param in (
        ({"input": "Hi.", "steps": 4}, 400, "unsupported_steps", "steps"),
        ({"input": "Hi.", "speed": 20.0}, 400, "invalid_value", "speed"),
        ({"input": "?!"}, 400, "nothing_speakable", "input"),
        ({"input": "Say [[HH AH0 L OW9]]."}, 400, "invalid_pronunciation", "input"),
        ({"input": "Hi.", "voice": "someone"}, 400, "unknown_voice", "voice"),
    ):
        for path in ("/v1/audio/speech", "/v1/audio/speech/timestamps"):
            r = httpx.post(f"{live.url}{path}", json=body, timeout=60)
            err = r.json()["error"]
            assert (r.status_code, err["code"], err["param"]) == (status, code, param), (path, body, err)
    assert httpx.get(f"{live.url}/health").json()["requests"]["active"] == 0


def test_create_app_checks_the_voice(voice):
    with pytest.raises(ValueError, match="no 4-step plan.*supported: 1, 2"):
        create_app(voice, ServerSettings(default_steps=4))
    with pytest.raises(TypeError, match="needs a Synthesizer or an OnnxVoice, got str"):
        create_app("voice")


def test_an_onnx_server_never_imports_torch(onnx_export):
    """In a fresh interpreter: the app made from an OnnxVoice answers both endpoints, and so does the app that
    `tts serve --backend onnx` builds (uvicorn's run replaced by requests through TestClient), without torch."""
    code = f"""
import json, sys
import uvicorn
from fastapi.testclient import TestClient

def heavy():
    return sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "lightning", "hydra")
                  or m.startswith("prodiff_tts.training") or m.startswith("prodiff_tts.models")
                  or m == "prodiff_tts.api")

def ask(app):
    with TestClient(app) as client:
        speech = client.post("/v1/audio/speech", json={{"input": "Hello there. Bye.", "response_format": "wav"}})
        stamps = client.post("/v1/audio/speech/timestamps", json={{"input": "Hello there."}})
    return [speech.status_code, len(speech.content), stamps.status_code, [w["word"] for w in stamps.json()["words"]]]

from prodiff_tts.onnx import OnnxVoice
from prodiff_tts.serve.app import create_app
out = {{"app": ask(create_app(OnnxVoice({str(onnx_export)!r}, threads=1).load())), "after_app": heavy()}}

def run(self, sockets=None):
    out["cli"] = ask(self.config.app)
uvicorn.Server.run = run
from prodiff_tts.cli import main
out["status"] = main(["serve", "--backend", "onnx", "--model", {str(onnx_export)!r}, "--precision", "int8",
                      "--port", "0", "--log-level", "warning"])
out["after_cli"] = heavy()
print(json.dumps(out))
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["after_app"] == [] and out["after_cli"] == [], out
    assert out["status"] == 0 and "backend onnx int8" in p.stderr and "serving voice 'tiny_onnx'" in p.stderr
    for status, size, stamps_status, words in (out["app"], out["cli"]):
        assert (status, stamps_status, words) == (200, 200, ["hello", "there"]) and size > 44 + 2 * 256 * 2
    assert out["app"][1] == out["cli"][1]  # fp32 and int8: other samples, the same length


@pytest.mark.parametrize("args, message", [
    (["--backend", "onnx"], "--backend onnx needs --model DIR"),
    (["--precision", "int8"], "--precision int8 needs --backend onnx"),
    (["--backend", "onnx", "--model", "{export}", "--precision", "bf16"], "bf16 is for the torch backend"),
    (["--backend", "onnx", "--model", "{export}", "--device", "cuda"], "runs on the CPU only"),
    (["--backend", "onnx", "--model", "{bundle}"], "not an ONNX voice"),
    (["--backend", "onnx", "--model", "{export}", "--steps", "4"], "no 4-step plan"),
    (["--backend", "onnx", "--model", "{export}", "--vocoder", "hifigan-v1"], "not in this export"),
    (["--backend", "tensorrt", "--model", "{export}"], "invalid choice: 'tensorrt'"),
])
def test_bad_options(capsys, onnx_export, onnx_bundle, args, message):
    argv = ["serve", "--port", "0", *(a.format(export=onnx_export, bundle=onnx_bundle) for a in args)]
    one_line_error(capsys, main(argv), message)
