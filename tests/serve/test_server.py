"""`POST /v1/audio/speech` on a real uvicorn server, called with the official `openai` client, httpx and a raw
socket: audio formats, streaming, errors, concurrency, disconnects, a full queue."""

from __future__ import annotations

import io
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
import soundfile as sf

openai = pytest.importorskip("openai")

from prodiff_tts.serve.encoding import pcm16  # noqa: E402

THREE = "Hello there. This is the second sentence. And here is a third one."


def client(live):
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key="x", max_retries=0, timeout=60)


def expected_pcm(synth, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0) -> bytes:
    """What the server must send: the Synthesizer's audio, one sentence at a time, as 16-bit PCM."""
    return b"".join(pcm16(p) for p in synth.stream(text, steps=steps, seed=seed, speed=speed, batch_size=1))


def raw_post(port: int, body: bytes) -> tuple[int, dict[str, str], list[bytes]]:
    """POST over a plain socket; returns status, headers and the body's chunks as sent (chunked encoding)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"POST /v1/audio/speech HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    if headers.get("transfer-encoding") != "chunked":
        return status, headers, [rest]
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return status, headers, chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def test_openai_client_writes_a_valid_wav(live, tiny_synth, tmp_path):
    response = client(live).audio.speech.create(model="tts-1", voice="alloy", input=THREE, response_format="wav")
    out = tmp_path / "speech.wav"
    response.write_to_file(out)
    wav, sr = sf.read(out, dtype="int16")
    assert sr == tiny_synth.audio.sample_rate == 22050 and len(wav) > 0
    assert out.read_bytes()[44:] == expected_pcm(tiny_synth, THREE) == wav.astype("<i2").tobytes()


def test_openai_streaming_response_pcm_and_wav(live, tiny_synth, tmp_path):
    c = client(live)
    with c.audio.speech.with_streaming_response.create(model="tts-1", voice="nova", input=THREE,
                                                       response_format="pcm") as r:
        assert r.headers["content-type"] == "audio/pcm" and r.headers["x-sample-rate"] == "22050"
        assert r.headers["transfer-encoding"] == "chunked"
        body = b"".join(r.iter_bytes())
    assert len(body) % 2 == 0 and body == expected_pcm(tiny_synth, THREE)
    with c.audio.speech.with_streaming_response.create(model="tiny", voice="tiny", input="Hello.",
                                                       response_format="wav", extra_body={"steps": 4}) as r:
        r.stream_to_file(tmp_path / "s.wav")
    wav, sr = sf.read(tmp_path / "s.wav", dtype="int16")
    assert sr == 22050 and wav.astype("<i2").tobytes() == expected_pcm(tiny_synth, "Hello.", steps=4)


def test_audio_is_sent_one_chunk_per_sentence(live, tiny_synth):
    status, headers, chunks = raw_post(live.port, json.dumps({"input": THREE, "response_format": "wav"}).encode())
    assert status == 200 and headers["content-type"] == "audio/wav"
    pieces = list(tiny_synth.stream(THREE, steps=2, batch_size=1))
    assert len(chunks) == len(pieces) == 3
    assert chunks[0][:4] == b"RIFF" and chunks[0][4:8] == b"\xff\xff\xff\xff" and chunks[0][40:44] == b"\xff" * 4
    assert [len(c) for c in chunks] == [44 + 2 * len(pieces[0])] + [2 * len(p) for p in pieces[1:]]


def test_flac_and_options(live, tiny_synth, tmp_path):
    c = client(live)
    r = c.audio.speech.create(model="gpt-4o-mini-tts", voice={"id": "tiny"}, input=THREE, response_format="flac",
                              speed=1.5, extra_body={"steps": 4, "seed": 7})
    data, sr = sf.read(io.BytesIO(r.content), dtype="int16")
    assert sr == 22050
    assert data.astype("<i2").tobytes() == expected_pcm(tiny_synth, THREE, steps=4, seed=7, speed=1.5)
    assert r.response.headers["content-type"] == "audio/flac"


def test_models_and_health(live):
    models = client(live).models.list()
    assert [m.id for m in models.data] == ["tiny"] and models.data[0].owned_by == "prodiff-tts"
    assert httpx.get(f"{live.url}/v1/models/tiny").json()["id"] == "tiny"
    h = httpx.get(f"{live.url}/health").json()
    assert h["status"] == "ok" and h["voice"] == "tiny" and h["steps"] == [2, 4, 8, 16, 32]
    assert h["default_steps"] == 2 and h["requests"]["active"] == 0


BAD = [
    (b'{"input": ', 400, "invalid_json"),
    (b"[1, 2]", 400, "invalid_json"),
    (b"\xff\xfe", 400, "invalid_json"),
    (b"{}", 400, "missing_field"),
    (b'{"input": 5}', 400, "invalid_type"),
    (b'{"input": "Hi.", "speed": "fast"}', 400, "invalid_type"),
    (b'{"input": "Hi.", "steps": "2"}', 400, "invalid_type"),
    (b'{"input": "Hi.", "steps": 2.5}', 400, "invalid_type"),
    (b'{"input": "Hi.", "seed": -1}', 400, "invalid_type"),
    (b'{"input": "Hi.", "voice": 3}', 400, "invalid_type"),
    (b'{"input": "Hi.", "speed": 0}', 400, "invalid_value"),
    (b'{"input": "Hi.", "speed": NaN}', 400, "invalid_value"),
    (b'{"input": "Hi.", "steps": 3}', 400, "unsupported_steps"),
    (b'{"input": "Hi.", "steps": 0}', 400, "unsupported_steps"),
    (b'{"input": "?! ..."}', 400, "nothing_speakable"),
    (b'{"input": ""}', 400, "nothing_speakable"),
    ('{"input": "😀🎉 你好"}'.encode(), 400, "nothing_speakable"),
    (b'{"input": "Hi.", "response_format": "mp3"}', 400, "unsupported_response_format"),
    (b'{"input": "Hi.", "response_format": "opus"}', 400, "unsupported_response_format"),
    (b'{"input": "Hi.", "response_format": "aac"}', 400, "unsupported_response_format"),
    (b'{"input": "Hi.", "response_format": "ogg"}', 400, "unsupported_response_format"),
    (b'{"input": "Hi.", "stream_format": "sse"}', 400, "unsupported_stream_format"),
    (b'{"input": "Hi.", "voice": "nobody"}', 400, "unknown_voice"),
    (b'{"input": "Hi.", "model": "whisper-1"}', 400, "unknown_model"),
    (json.dumps({"input": "a" * 4097}).encode(), 413, "input_too_long"),
    (b'{"input": "' + b"a" * 200_000 + b'"}', 413, "request_too_large"),
]


@pytest.mark.parametrize("body, status, code", BAD, ids=[f"{c}-{i}" for i, (_, _, c) in enumerate(BAD)])
def test_bad_requests_get_a_json_error_and_the_server_goes_on(live, body, status, code):
    r = httpx.post(f"{live.url}/v1/audio/speech", content=body, headers={"Content-Type": "application/json"},
                   timeout=60)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["type"] == "invalid_request_error"
    assert err["message"] and "\n" not in err["message"] and "Traceback" not in r.text
    if code == "unsupported_response_format":
        assert "supported: wav, pcm, flac" in err["message"]
    if code == "unsupported_steps":
        assert "supported: 2, 4, 8, 16, 32" in err["message"] and err["param"] == "steps"
    ok = httpx.post(f"{live.url}/v1/audio/speech", json={"input": "Still here.", "response_format": "pcm"},
                    timeout=60)
    assert ok.status_code == 200 and len(ok.content) > 0 and len(ok.content) % 2 == 0


def test_other_routes_and_methods_are_json_errors(live):
    for method, path, status in (("GET", "/nope", 404), ("GET", "/v1/audio/speech", 405),
                                 ("GET", "/v1/models/other", 404)):
        r = httpx.request(method, f"{live.url}{path}")
        assert r.status_code == status and "code" in r.json()["error"]


def test_the_openai_client_reads_the_errors(live):
    with pytest.raises(openai.BadRequestError) as e:
        client(live).audio.speech.create(model="tts-1", voice="alloy", input="Hi.", response_format="mp3")
    assert e.value.status_code == 400 and "supported: wav, pcm, flac" in e.value.message
    with pytest.raises(openai.APIStatusError) as e:
        client(live).audio.speech.create(model="tts-1", voice="alloy", input="x" * 5000, response_format="wav")
    assert e.value.status_code == 413


def test_concurrent_requests_with_other_step_counts_give_the_sequential_audio(live):
    """Two worker threads, the student (2 steps) and the teacher (4 steps) at once: each request gets the
    audio it gets alone (a shared model whose denoiser is swapped per call would mix them)."""
    texts = ["The quick brown fox jumps over the lazy dog.", "One more short sentence, then another one.",
             "Numbers like 42 and 1999 are read out loud."]
    jobs = [(t, steps, seed) for t in texts for steps in (2, 4) for seed in (0, 1)]

    def get(job):
        text, steps, seed = job
        r = httpx.post(f"{live.url}/v1/audio/speech", timeout=120,
                       json={"input": text, "steps": steps, "seed": seed, "response_format": "pcm"})
        assert r.status_code == 200, r.text
        return r.content

    sequential = [get(j) for j in jobs]
    assert sequential[0] != sequential[2]  # 2 and 4 steps (student and teacher) differ
    with ThreadPoolExecutor(8) as ex:
        for _ in range(2):
            assert list(ex.map(get, jobs * 2)) == sequential * 2


def test_disconnect_stops_the_work_and_a_full_queue_answers_429(tiny_synth, make_server):
    """Capacity 1 (one thread, no queue): a long stream holds it, a second request gets 429; closing the
    first stream cancels its synthesis and frees the slot."""
    from prodiff_tts.serve.app import ServerSettings, create_app

    server = make_server(create_app(tiny_synth, ServerSettings(threads=1, queue_size=0, default_steps=4)))
    sentences = 80
    long_text = " ".join(f"This is sentence number {i} of a long text." for i in range(sentences))
    with httpx.Client(base_url=server.url, timeout=60) as c:
        with c.stream("POST", "/v1/audio/speech", json={"input": long_text, "response_format": "pcm"}) as r:
            assert r.status_code == 200
            chunks = r.iter_raw()  # kept: a dropped iterator closes the response
            next(chunks)
            busy = httpx.post(f"{server.url}/v1/audio/speech", json={"input": "Hi."}, timeout=60)
            assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
            assert busy.json()["error"]["code"] == "server_busy"
    deadline = time.monotonic() + 20
    while server.stats()["active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    s = server.stats()
    assert s["active"] == 0 and s["cancelled"] == 1 and s["rejected"] == 1
    assert s["sentences"] < sentences // 2  # the rest of the text was never synthesized
    ok = httpx.post(f"{server.url}/v1/audio/speech", json={"input": "Hi.", "response_format": "pcm"}, timeout=60)
    assert ok.status_code == 200 and server.stats()["served"] == 1


def test_the_shipped_voice_with_default_steps(tmp_path, make_server):
    """The released voice, as a server with no options: OpenAI's voice name, default 2 steps."""
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.serve.app import create_app

    synth = Synthesizer.from_pretrained()
    server = make_server(create_app(synth))
    r = client(server).audio.speech.create(model="tts-1", voice="alloy", input="Hello world.", response_format="wav")
    r.write_to_file(tmp_path / "a.wav")
    wav, sr = sf.read(tmp_path / "a.wav", dtype="int16")
    assert sr == synth.audio.sample_rate and wav.astype("<i2").tobytes() == expected_pcm(synth, "Hello world.")
    assert client(server).models.list().data[0].id == synth.config.voice


@pytest.mark.slow
def test_load_8_clients_x_5_requests(live):
    """Bounded load: 8 concurrent streaming clients, 5 requests each; no error, no lost request."""
    texts = ["Hello there.", "The weather is nice today. Let us go for a walk.", "Call me at 5 pm.",
             "Streaming speech, one sentence at a time. Here is the second one.", "Good night."]

    def client_run(i: int) -> list[tuple[float, float, int]]:
        out = []
        with httpx.Client(base_url=live.url, timeout=120) as c:
            for j in range(5):
                t0 = time.perf_counter()
                with c.stream("POST", "/v1/audio/speech", json={"input": texts[(i + j) % 5], "seed": i,
                                                                 "response_format": "wav"}) as r:
                    assert r.status_code == 200, r.read()
                    it = r.iter_bytes()
                    first = next(it)
                    ttfb = time.perf_counter() - t0
                    body = first + b"".join(it)
                data, sr = sf.read(io.BytesIO(body), dtype="float32")
                assert sr == 22050 and len(data) > 0 and np.isfinite(data).all()
                out.append((time.perf_counter() - t0, ttfb, len(data)))
        return out

    before = live.stats()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as ex:
        results = [r for rs in ex.map(client_run, range(8)) for r in rs]
    wall = time.perf_counter() - t0
    after = live.stats()
    assert len(results) == 40 and wall < 240
    assert after["served"] - before["served"] == 40
    assert after["failed"] == before["failed"] and after["rejected"] == before["rejected"]
    lat = np.array([r[0] for r in results]) * 1000
    ttfb = np.array([r[1] for r in results]) * 1000
    audio_s = sum(r[2] for r in results) / 22050
    print(f"\nload test, tiny test voice, 2 worker threads: 8 clients x 5 requests in {wall:.1f} s, 0 errors; "
          f"latency p50 {np.percentile(lat, 50):.0f} ms p95 {np.percentile(lat, 95):.0f} ms; time to first byte "
          f"p50 {np.percentile(ttfb, 50):.0f} ms p95 {np.percentile(ttfb, 95):.0f} ms; {audio_s:.1f} s of audio")
