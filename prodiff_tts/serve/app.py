"""The FastAPI app around one loaded voice: ``create_app(voice, ServerSettings(...))``, ``voice`` a torch
``Synthesizer`` or a torch-free ``OnnxVoice`` (anything with :class:`~prodiff_tts.serve.voice.ServedVoice`'s
attributes; this module imports neither, so an ONNX server never imports torch).

Routes: ``POST /v1/audio/speech`` (OpenAI's body plus ``steps``, ``seed`` and ``ssml``; wav and pcm streamed
sentence by sentence as they are synthesized, flac whole), ``POST /v1/audio/speech/timestamps`` (the same body;
one JSON object with the audio in base64 and the word and phoneme timings), ``GET /v1/models``, ``GET /health``.
The input may carry inline phonemes ``[[HH AH0 L OW1]]`` and SSML-lite (``<speak>...``; docs/text.md). Synthesis
runs on the worker threads of a :class:`~prodiff_tts.serve.pool.SynthesisPool`; the event loop only moves bytes.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ..speech import check_speed
from ..text import MarkupError, PronunciationError, UnspeakableTextError
from ..timestamps import timestamps_document
from .encoding import MEDIA_TYPES, flac_bytes, pcm16, wav_header
from .errors import APIError, install_error_handlers
from .pool import ServerBusy, SynthesisPool, Ticket
from .schemas import SpeechRequest, check_names, parse_speech_request
from .voice import ServedVoice

log = logging.getLogger("prodiff_tts.serve")


@dataclass(frozen=True)
class ServerSettings:
    """``max_input_chars``: longest ``input`` (413 beyond); ``threads``: synthesis worker threads;
    ``queue_size``: admitted requests waiting beyond those (429 beyond); ``default_steps``: the step count of
    a request without ``steps``."""

    max_input_chars: int = 4096
    queue_size: int = 16
    threads: int = 1
    default_steps: int = 2

    def __post_init__(self) -> None:
        for name in ("max_input_chars", "threads", "default_steps", "queue_size"):
            v = getattr(self, name)
            low = 0 if name == "queue_size" else 1
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")

    @property
    def max_body_bytes(self) -> int:
        """A JSON body can spell one character in up to 12 bytes (an escaped surrogate pair), plus the rest."""
        return 12 * self.max_input_chars + 65536


class _Job:
    """The synthesis of one admitted request: its sentence iterator and the call in flight on the pool.
    ``finish`` closes the iterator and frees the admission slot once no worker thread uses it any more."""

    def __init__(self, pool: SynthesisPool, ticket: Ticket) -> None:
        self.pool = pool
        self.ticket = ticket
        self.pieces: Iterator[np.ndarray] | None = None
        self._last: Future | None = None
        self._finished = False

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        fut = self.pool.submit(fn, *args, **kwargs)
        self._last = fut
        return await asyncio.wrap_future(fut)

    async def next_piece(self) -> np.ndarray | None:
        piece = await self.call(next, self.pieces, None)
        if piece is not None:
            self.pool.count_sentence()
        return piece

    def finish(self, outcome: str) -> None:
        if self._finished:
            return
        self._finished = True
        fut = self._last
        if fut is not None and not fut.done():  # a worker is still inside the iterator: close it after
            fut.add_done_callback(lambda _: self._close(outcome))
        else:
            self._close(outcome)

    def _close(self, outcome: str) -> None:
        try:
            close = getattr(self.pieces, "close", None)
            if close is not None:
                close()
        finally:
            self.ticket.release(outcome)


async def _read_body(request: Request, limit: int) -> bytes:
    too_large = APIError(413, f"the request body is over {limit} bytes", "request_too_large")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _stream_body(request: Request, job: _Job, first: np.ndarray, fmt: str,
                       sample_rate: int) -> AsyncIterator[bytes]:
    """wav (a header of unknown length first) or raw pcm, one chunk per sentence; stops synthesizing when the
    client goes away."""
    outcome = "cancelled"
    try:
        yield (wav_header(sample_rate) if fmt == "wav" else b"") + pcm16(first)
        while not await request.is_disconnected():
            piece = await job.next_piece()
            if piece is None:
                outcome = "served"
                break
            yield pcm16(piece)
    except Exception as e:  # the status line is gone: the connection is cut, so the client sees a short body
        outcome = "failed"
        log.error("synthesis failed mid-stream: %s: %s", type(e).__name__, e)
        raise
    finally:
        job.finish(outcome)


def create_app(synth: ServedVoice, settings: ServerSettings | None = None) -> FastAPI:
    """The app serving ``synth``, a ``Synthesizer`` or an ``OnnxVoice`` (loaded by the caller; ``synth.load()``
    first avoids a slow first request). Raises ValueError when the voice lacks ``settings.default_steps``,
    TypeError for an object that is no voice."""
    from .. import __version__

    if not isinstance(synth, ServedVoice):
        raise TypeError(f"create_app needs a Synthesizer or an OnnxVoice, got {type(synth).__name__}")
    settings = settings or ServerSettings()
    try:
        synth.plan(settings.default_steps)
    except ValueError:
        raise ValueError(f"the voice has no {settings.default_steps}-step plan for requests without steps; "
                         f"supported: {', '.join(map(str, synth.supported_steps))}") from None
    pool = SynthesisPool(settings.threads, settings.queue_size)
    voice = synth.voice_name
    sample_rate = synth.sample_rate
    created = synth.created

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown()

    app = FastAPI(title="prodiff-tts", version=__version__, lifespan=lifespan,
                  description="OpenAI-compatible text-to-speech with a prodiff-tts voice")
    app.state.synth, app.state.pool, app.state.settings = synth, pool, settings
    install_error_handlers(app)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "voice": voice, "sample_rate": sample_rate, "steps": synth.supported_steps,
                "default_steps": settings.default_steps, "requests": pool.stats()}

    def model_card() -> dict:
        return {"id": voice, "object": "model", "created": created, "owned_by": "prodiff-tts"}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [model_card()]}

    @app.get("/v1/models/{model_id}")
    async def model(model_id: str) -> dict:
        if model_id != voice:
            raise APIError(404, f"model {model_id!r} not found; this server has {voice!r}", "model_not_found",
                           param="model")
        return model_card()

    async def start(request: Request, timestamps: bool) -> tuple[SpeechRequest, _Job, Any]:
        """Checks the request, admits it, and synthesizes its first piece (before the status line: a failure
        up to there is still a JSON error). Returns the request, its job and that first piece."""
        req = parse_speech_request(await _read_body(request, settings.max_body_bytes))
        check_names(req, voice)
        if len(req.input) > settings.max_input_chars:
            raise APIError(413, f"input is {len(req.input)} characters; this server takes at most "
                                f"{settings.max_input_chars}", "input_too_long", param="input")
        steps = settings.default_steps if req.steps is None else req.steps
        try:
            synth.plan(steps)
        except ValueError:
            raise APIError(400, f"steps {steps} is not supported by this voice; supported: "
                                f"{', '.join(map(str, synth.supported_steps))}", "unsupported_steps",
                           param="steps") from None
        try:
            check_speed(req.speed)
        except ValueError as e:
            raise APIError(400, str(e), "invalid_value", param="speed") from None
        try:
            ticket = pool.admit()
        except ServerBusy as e:
            raise APIError(429, str(e), "server_busy", type="server_busy_error", headers={"Retry-After": "1"}) from None

        job = _Job(pool, ticket)
        try:
            # one sentence per piece: the first audio leaves after one sentence, whatever the text's length
            method = synth.stream_with_timestamps if timestamps else synth.stream
            job.pieces = await job.call(method, req.input, steps=steps, seed=req.seed, speed=req.speed,
                                        batch_size=1, ssml=req.ssml)
            first = await job.next_piece()  # before the status line: its failure is still a JSON error
        except UnspeakableTextError as e:
            job.finish("failed")
            raise APIError(400, str(e), "nothing_speakable", param="input") from None
        except MarkupError as e:
            job.finish("failed")
            raise APIError(400, str(e), "invalid_markup", param="input") from None
        except PronunciationError as e:
            job.finish("failed")
            raise APIError(400, str(e), "invalid_pronunciation", param="input") from None
        except ValueError as e:
            job.finish("failed")
            raise APIError(400, str(e), "invalid_value") from None
        except BaseException:
            job.finish("failed")
            raise
        assert first is not None  # stream() refuses a text without a speakable sentence
        return req, job, first

    headers = {"X-Sample-Rate": str(sample_rate), "Cache-Control": "no-store", "X-Accel-Buffering": "no"}

    async def rest(request: Request, job: _Job, first: Any) -> list | None:
        """The first piece and all the others, or None when the client went away."""
        pieces = [first]
        while (piece := await job.next_piece()) is not None:
            if await request.is_disconnected():
                return None
            pieces.append(piece)
        return pieces

    @app.post("/v1/audio/speech")
    async def speech(request: Request) -> Response:
        req, job, first = await start(request, timestamps=False)
        fmt = req.response_format
        if fmt in ("wav", "pcm"):
            return StreamingResponse(_stream_body(request, job, first, fmt, sample_rate),
                                     media_type=MEDIA_TYPES[fmt], headers=headers)
        outcome = "failed"
        try:  # flac: the encoder needs the whole signal
            pieces = await rest(request, job, first)
            if pieces is None:
                outcome = "cancelled"
                return Response(status_code=499)
            data = await job.call(flac_bytes, np.concatenate(pieces), sample_rate)
            outcome = "served"
        finally:
            job.finish(outcome)
        return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers)

    @app.post("/v1/audio/speech/timestamps")
    async def speech_timestamps(request: Request) -> Response:
        """The body of /v1/audio/speech; the answer is JSON: ``audio`` (the file of ``response_format``, in
        base64), ``format``, ``sample_rate``, ``duration``, ``words`` (word, start, end in seconds) and
        ``phonemes`` (phoneme, start, end, word: its index in ``words``, -1 for punctuation and pauses)."""
        req, job, first = await start(request, timestamps=True)
        fmt = req.response_format
        outcome = "failed"
        try:
            pieces = await rest(request, job, first)
            if pieces is None:
                outcome = "cancelled"
                return Response(status_code=499)
            audio = np.concatenate([p.audio for p in pieces])
            if fmt == "flac":
                data = await job.call(flac_bytes, audio, sample_rate)
            else:
                data = (wav_header(sample_rate, len(audio)) if fmt == "wav" else b"") + pcm16(audio)
            doc = timestamps_document([w for p in pieces for w in p.words], [q for p in pieces for q in p.phonemes],
                                      sample_rate, len(audio) / sample_rate)
            outcome = "served"
        finally:
            job.finish(outcome)
        body = {"audio": base64.b64encode(data).decode("ascii"), "format": fmt, **doc}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return app
