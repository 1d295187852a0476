"""The body of ``POST /v1/audio/speech`` (OpenAI's fields plus ``steps``, ``seed`` and ``ssml``; the same body
for ``POST /v1/audio/speech/timestamps``) and the names it accepts for ``model`` and ``voice``."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .encoding import FORMATS
from .errors import APIError

# OpenAI's built-in voice names: all of them are aliases of the one voice a server has loaded
OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse",
                 "marin", "cedar")
OPENAI_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")


class VoiceRef(BaseModel):
    """OpenAI's custom-voice form, ``{"id": "..."}``."""

    model_config = ConfigDict(extra="ignore", strict=True)
    id: str


class SpeechRequest(BaseModel):
    """Unknown fields are ignored (clients add fields over time); types are strict: ``"2"`` is no step count."""

    model_config = ConfigDict(extra="ignore", strict=True)
    input: str
    model: str | None = None
    voice: str | VoiceRef | None = None
    response_format: str = "wav"  # OpenAI's default is mp3, which this server does not encode
    speed: float = 1.0
    steps: int | None = None  # None: the server's default (tts serve --steps, 2)
    seed: int = Field(0, ge=0, lt=2**62)
    ssml: bool | None = None  # None: SSML-lite when the input starts with <speak>; True / False: always / never
    instructions: str | None = None  # gpt-4o-mini-tts' style prompt: accepted, not used
    stream_format: str = "audio"

    @property
    def voice_name(self) -> str | None:
        return self.voice.id if isinstance(self.voice, VoiceRef) else self.voice


def parse_speech_request(body: bytes) -> SpeechRequest:
    """The request, or APIError 400 for a body that is not a JSON object of the right types."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise APIError(400, f"the body is not valid JSON: {e}", "invalid_json") from None
    if not isinstance(data, dict):
        raise APIError(400, f"the body must be a JSON object, got {type(data).__name__}", "invalid_json")
    try:
        req = SpeechRequest.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise APIError(400, f"{loc}: {first['msg']}", "missing_field" if first["type"] == "missing"
                       else "invalid_type", param=loc) from None
    if req.response_format not in FORMATS:
        known = "an OpenAI format this server does not encode" if req.response_format in OPENAI_FORMATS \
            else "not a known format"
        raise APIError(400, f"response_format {req.response_format!r} is {known}; supported: {', '.join(FORMATS)}",
                       "unsupported_response_format", param="response_format")
    if req.stream_format != "audio":
        raise APIError(400, f"stream_format {req.stream_format!r} is not supported; supported: audio",
                       "unsupported_stream_format", param="stream_format")
    return req


def check_names(req: SpeechRequest, voice: str) -> None:
    """``voice``: the loaded voice's name or one of OpenAI's; ``model``: a TTS model name such as "tts-1"
    (anything with "tts" in it) or the voice's name. APIError 400 otherwise."""
    name = req.voice_name
    if name is not None and name.lower() not in (voice.lower(), *OPENAI_VOICES):
        raise APIError(400, f"voice {name!r} is not served here; use {voice!r} or an OpenAI voice name "
                            f"({', '.join(OPENAI_VOICES)}), all the same voice", "unknown_voice", param="voice")
    if req.model is not None and req.model.lower() != voice.lower() and "tts" not in req.model.lower():
        raise APIError(400, f"model {req.model!r} is not served here; use 'tts-1' (or any TTS model name) or "
                            f"{voice!r}", "unknown_model", param="model")
