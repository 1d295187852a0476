"""The server with pronunciation markup and timestamps: SSML-lite and inline phonemes in `input` (auto-detected
`<speak>`, or `"ssml"`), 400 JSON errors for malformed markup and unknown phonemes, and
`POST /v1/audio/speech/timestamps` (the same body; JSON with the audio in base64 and the word timings)."""

from __future__ import annotations

import base64
import io
import json

import httpx
import numpy as np
import pytest
import soundfile as sf

from prodiff_tts.serve.encoding import pcm16

SSML = '<speak>Hello <break time="500ms"/> world. <prosody rate="1.5">A faster one.</prosody></speak>'


def expected_pcm(synth, text: str, **kwargs) -> bytes:
    return b"".join(pcm16(p) for p in synth.stream(text, steps=2, batch_size=1, **kwargs))


def post(live, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{live.url}{path}", json=body, timeout=60)


def test_ssml_input_is_rendered_not_read(live, tiny_synth):
    r = post(live, "/v1/audio/speech", {"input": SSML, "response_format": "pcm"})
    assert r.status_code == 200 and r.content == expected_pcm(tiny_synth, SSML)
    words = [w.word for w in tiny_synth.synthesize_with_timestamps(SSML, steps=2, batch_size=1).words]
    assert words == ["hello", "world", "a", "faster", "one"]
    # "ssml": false reads the tags as text; "ssml": true takes markup without <speak>
    plain = post(live, "/v1/audio/speech", {"input": "<speak>Hi.</speak>", "response_format": "pcm", "ssml": False})
    assert plain.content == expected_pcm(tiny_synth, "<speak>Hi.</speak>", ssml=False)
    forced = post(live, "/v1/audio/speech", {"input": 'Hi <break time="200ms"/> there.', "response_format": "pcm",
                                             "ssml": True})
    assert forced.content == expected_pcm(tiny_synth, '<speak>Hi <break time="200ms"/> there.</speak>')


def test_timestamps_endpoint(live, tiny_synth):
    r = post(live, "/v1/audio/speech/timestamps", {"input": SSML, "model": "tts-1", "voice": "alloy"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert set(doc) == {"audio", "format", "sample_rate", "duration", "words", "phonemes"}
    assert doc["format"] == "wav" and doc["sample_rate"] == 22050
    data = base64.b64decode(doc["audio"])
    wav, sr = sf.read(io.BytesIO(data), dtype="int16")  # a complete wav, its length in the header
    assert sr == 22050 and wav.astype("<i2").tobytes() == expected_pcm(tiny_synth, SSML)
    assert doc["duration"] == pytest.approx(len(wav) / sr, abs=1e-4)
    timed = tiny_synth.synthesize_with_timestamps(SSML, steps=2, batch_size=1)
    assert doc["words"] == [w.as_dict() for w in timed.words]
    assert doc["phonemes"] == [p.as_dict() for p in timed.phonemes]
    starts = [w["start"] for w in doc["words"]]
    assert starts == sorted(starts) and all(w["start"] <= w["end"] <= doc["duration"] for w in doc["words"])
    # the 500 ms break: world starts 0.5 s after hello's sentence ends
    end_of_first = max(p["end"] for p in doc["phonemes"] if p["start"] < doc["words"][1]["start"])
    assert doc["words"][1]["start"] - end_of_first == pytest.approx(0.5, abs=1e-4)
    pcm = post(live, "/v1/audio/speech/timestamps", {"input": "Hi there.", "response_format": "pcm", "seed": 3}).json()
    assert base64.b64decode(pcm["audio"]) == expected_pcm(tiny_synth, "Hi there.", seed=3)
    assert [w["word"] for w in pcm["words"]] == ["hi", "there"]
    flac = post(live, "/v1/audio/speech/timestamps", {"input": "Hi there.", "response_format": "flac"}).json()
    assert sf.read(io.BytesIO(base64.b64decode(flac["audio"])), dtype="int16")[0].astype("<i2").tobytes() \
        == expected_pcm(tiny_synth, "Hi there.")
    assert httpx.get(f"{live.url}/health").json()["requests"]["active"] == 0


BAD_MARKUP = [
    ({"input": '<speak>Hello <break time="1s"> world</speak>'}, "invalid_markup", "malformed SSML"),
    ({"input": "Say [[HH AH0 L OW9]]."}, "invalid_pronunciation", "unknown phoneme(s) 'OW9'"),
    ({"input": "Say [[HH AH0 now."}, "invalid_markup", "unclosed '[['"),
    ({"input": '<speak>Hi <break time="20s"/></speak>'}, "invalid_markup", "longer than the maximum of 10 s"),
    ({"input": "Hi.", "ssml": "yes"}, "invalid_type", "ssml"),
]


@pytest.mark.parametrize("path", ["/v1/audio/speech", "/v1/audio/speech/timestamps"])
@pytest.mark.parametrize("body, code, message", BAD_MARKUP, ids=[c for _, c, _ in BAD_MARKUP])
def test_bad_markup_is_a_400_json_error(live, path, body, code, message):
    r = post(live, path, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and message in err["message"] and "\n" not in err["message"]
    assert err["param"] in ("input", "ssml")
    assert httpx.get(f"{live.url}/health").json()["requests"]["active"] == 0  # the admission slot is free


def test_the_openai_endpoint_is_unchanged_for_plain_text(live, tiny_synth):
    r = post(live, "/v1/audio/speech", {"input": "Plain text. Two sentences.", "response_format": "wav"})
    assert r.content[44:] == expected_pcm(tiny_synth, "Plain text. Two sentences.")
    assert json.loads(post(live, "/v1/audio/speech/nope", {"input": "x"}).text)["error"]["code"] == "not_found"
    assert np.frombuffer(r.content[44:], dtype="<i2").size > 0
