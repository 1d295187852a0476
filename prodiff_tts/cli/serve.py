"""``tts serve``: one voice loaded once, served over HTTP with OpenAI's speech API (FastAPI + uvicorn, imported
only when the server starts). ``--backend onnx`` serves an ``tts export-onnx`` directory with onnxruntime and
numpy: the server process never imports torch."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import (CLIError, add_precision_arg, add_voice_args, check_backend, load_lexicon, non_negative_int,
                     port_number, positive_int, voice_path, warn_slow_precision)


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="OpenAI-compatible speech server: POST /v1/audio/speech",
                       description="Load a voice once and serve it over HTTP (FastAPI + uvicorn; pip install "
                                   "'prodiff-tts[serve]'): POST /v1/audio/speech with OpenAI's body (model, input, "
                                   "voice, response_format wav|pcm|flac, speed) plus steps and seed; wav and pcm "
                                   "stream sentence by sentence. POST /v1/audio/speech/timestamps: the same body, "
                                   "JSON with the audio and the word and phoneme timings. GET /v1/models, GET "
                                   "/health. --backend onnx --model ONNX_DIR [--precision fp32|int8] serves a "
                                   "directory made by `tts export-onnx` with onnxruntime and numpy, without "
                                   "importing torch (pip install 'prodiff-tts[onnx]'); its step counts and "
                                   "schedule are the exported ones.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000; 0: any free port)")
    add_voice_args(p)
    p.add_argument("--max-input-chars", type=positive_int, default=4096,
                   help="longest input of a request, in characters (default 4096, as OpenAI; longer: 413)")
    p.add_argument("--queue-size", type=non_negative_int, default=16,
                   help="requests admitted to wait beyond those being synthesized (default 16; more: 429)")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="synthesis worker threads (default 1); torch (or onnxruntime, with --backend onnx) gets "
                        "the CPU cores divided among them")
    p.add_argument("--steps", type=positive_int, default=2, help="steps of a request without 'steps' (default 2)")
    p.add_argument("--vocoder", default=None,
                   help="griffin-lim, a saved vocoder (directory), or the voice's own (default when it has one); "
                        "--backend onnx: griffin-lim or bundle (the exported vocoder)")
    p.add_argument("--device", default="cpu")
    add_precision_arg(p, backends=True)
    p.add_argument("--lexicon", type=Path, default=None, metavar="FILE",
                   help="user lexicon: one 'word<TAB>PHONEMES' (ARPAbet) per line, consulted before CMUdict and "
                        "espeak for every request")
    p.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"], default="info")
    p.set_defaults(func=_run_serve)


def _listen(host: str, port: int):
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as e:
        raise CLIError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _load_voice(args: argparse.Namespace):
    """The voice to serve, not loaded yet, and a function that loads it (after the port is taken)."""
    check_backend(args)
    lexicon = load_lexicon(args.lexicon)
    threads = max(1, (os.cpu_count() or 1) // args.threads)  # the cores, divided among the worker threads
    if args.backend == "onnx":
        from ..onnx import OnnxVoice

        voice = OnnxVoice(voice_path(args), threads=threads, precision=args.precision, vocoder=args.vocoder,
                          lexicon=lexicon)
        return voice, voice.load
    import torch

    from ..api import Synthesizer

    warn_slow_precision(args.precision)
    synth = Synthesizer.from_pretrained(voice_path(args), device=args.device, vocoder=args.vocoder, lexicon=lexicon,
                                        precision=args.precision)

    def load() -> None:
        torch.set_num_threads(threads)
        synth.load()

    return synth, load


def _run_serve(args: argparse.Namespace) -> int:
    modules = ("fastapi", "uvicorn", "onnxruntime") if args.backend == "onnx" else ("fastapi", "uvicorn")
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            extra = "onnx" if module == "onnxruntime" else "serve"
            raise CLIError(f"tts serve{' --backend onnx' if extra == 'onnx' else ''} needs {module}, which is not "
                           f"installed: pip install 'prodiff-tts[{extra}]'") from None
    import uvicorn

    from ..serve.app import ServerSettings, create_app

    settings = ServerSettings(max_input_chars=args.max_input_chars, queue_size=args.queue_size,
                              threads=args.threads, default_steps=args.steps)
    synth, load = _load_voice(args)
    app = create_app(synth, settings)  # checks --steps against the voice
    sock = _listen(args.host, args.port)  # before loading: a taken port fails at once
    load()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"tts: serving voice {synth.voice_name!r} ({', '.join(map(str, synth.supported_steps))} steps, "
          f"default {args.steps}; vocoder {synth.vocoder_name}; backend {args.backend} {args.precision}) on "
          f"http://{shown}:{port}/v1/audio/speech with {args.threads} worker thread(s), queue {args.queue_size}",
          file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=5))
    try:
        server.run(sockets=[sock])  # Ctrl-C: uvicorn finishes the requests in progress, then re-raises it
    except KeyboardInterrupt:
        pass
    print("tts: server stopped", file=sys.stderr)
    return 0

