"""The ``tts`` command. Each subcommand parses its own options and calls the library.

Errors the user can fix (bad text, options, paths, files) end with one line on stderr and exit 2;
set TTS_DEBUG=1 to see the full traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return v


# --- prepare ---------------------------------------------------------------------------------------------


def _add_prepare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="LJSpeech-format corpus -> feature cache, manifest, vocab, stats")
    p.add_argument("corpus", type=Path, help="directory with metadata.csv and wavs/")
    p.add_argument("out", type=Path, help="output directory (resumable)")
    p.add_argument("--jobs", type=_positive_int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--val-size", type=int, default=50)
    p.add_argument("--test-size", type=int, default=100)
    p.add_argument("--no-trim", action="store_true", help="keep leading/trailing silence")
    p.add_argument("--loudness", type=float, default=None, metavar="DBFS", help="normalize RMS level to DBFS")
    p.add_argument("--no-resample", action="store_true", help="skip clips at another sample rate")
    p.add_argument("--max-seconds", type=float, default=20.0)
    p.add_argument("--min-seconds", type=float, default=0.5)
    p.set_defaults(func=_run_prepare)


def _run_prepare(args: argparse.Namespace) -> int:
    from .data.prepare import PrepareConfig, prepare_corpus

    cfg = PrepareConfig(
        trim_top_db=None if args.no_trim else 40.0,
        loudness_dbfs=args.loudness,
        resample=not args.no_resample,
        val_size=args.val_size,
        test_size=args.test_size,
        max_seconds=args.max_seconds,
        min_seconds=args.min_seconds,
    )
    s = prepare_corpus(args.corpus, args.out, cfg, jobs=args.jobs, progress=sys.stderr.isatty())
    print(f"prepared {s.prepared} clips, reused {s.reused} from an earlier run, skipped {sum(s.skipped.values())}")
    for reason, n in sorted(s.skipped.items()):
        print(f"  skipped {n:5d}  {reason}")
    if s.resampled:
        print(f"  resampled {s.resampled} clips to the configured sample rate")
    if s.discarded:
        print(f"  discarded {s.discarded} cached clips of an earlier run with other settings")
    print(f"splits: {s.splits}; audio: {s.hours:.3f} h")
    print(f"wall time {s.seconds:.1f} s, {s.clips_per_second:.2f} clips/s with {args.jobs or os.cpu_count()} jobs")
    print(f"written to {args.out}/ (manifest.jsonl, vocab.json, stats.json, features/, skipped.jsonl)")
    return 0


# --- synthesize --------------------------------------------------------------------------------------------


def _speed(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not 0.1 <= v <= 10.0:
        raise argparse.ArgumentTypeError(f"speed must be between 0.1 and 10, got {value}")
    return v


def _add_voice_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--model", type=Path, default=None, help="voice bundle directory (default: the default voice)")
    g.add_argument("--voice", default=None, metavar="NAME", help="an installed voice by name (`tts voices`)")


def _voice_path(args: argparse.Namespace) -> Path:
    from .voices import default_model_path, find_voice

    if getattr(args, "voice", None):
        return find_voice(args.voice)
    return args.model or default_model_path()


def _add_voices(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voices", help="installed voices, their step counts and vocoders",
                       description="Voices found in $PRODIFF_TTS_VOICES, the source tree's pretrained/ and the "
                                   "install's share/prodiff-tts/voices, first of each name wins.")
    p.set_defaults(func=_run_voices)


def _run_voices(args: argparse.Namespace) -> int:
    from .voices import DEFAULT_VOICE, list_voices, voice_dirs

    voices = list_voices()
    if not voices:
        raise CLIError("no voice installed (searched: " + ", ".join(map(str, voice_dirs())) + ")")
    print("| voice | steps | searched schedules | vocoder | path |\n|---|---|---|---|---|")
    for v in voices:
        mark = " (default)" if v.name == DEFAULT_VOICE else ""
        print(f"| {v.name}{mark} | {' '.join(map(str, v.steps))} | {' '.join(map(str, v.searched_steps)) or '-'} "
              f"| {'own (' + v.vocoder + '/) or griffin-lim' if v.vocoder else 'griffin-lim'} | {v.path} |")
    return 0


def _add_synthesize(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="text -> wav with a voice bundle",
                       description="Synthesize speech. An existing output file is replaced (atomically: it is "
                                   "either the old file or the complete new one, never a partial write). "
                                   "'-o -' streams a wav and --output-raw raw PCM to standard output sentence by "
                                   "sentence (messages go to standard error); --json-input reads one JSON object "
                                   "per line from standard input, as Piper does.")
    p.add_argument("text", nargs="?", help="text to speak; '-' reads standard input")
    p.add_argument("--text-file", type=Path, help="read the text from a UTF-8 file")
    p.add_argument("-o", "--output", default=None, metavar="OUT.wav",
                   help="wav to write (default output.wav); '-' streams a wav to standard output")
    p.add_argument("--output-raw", action="store_true",
                   help="stream raw 16-bit little-endian mono PCM at the voice's sample rate to standard output")
    p.add_argument("--json-input", action="store_true",
                   help="one JSON object per line on standard input: text, and optionally output_file, steps, "
                        "speed, seed; a bad line is reported on standard error and the others go on")
    _add_voice_args(p)
    p.add_argument("--steps", type=_positive_int, default=2, help="diffusion steps (default 2)")
    p.add_argument("--schedule", choices=["searched", "uniform"], default="searched",
                   help="timesteps: the searched schedule for this step count when the voice has one, or uniform")
    p.add_argument("--vocoder", default=None,
                   help="griffin-lim, a saved vocoder (directory), or the voice's own (default when it has one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed", type=_speed, default=1.0, help="speaking rate factor (>1 is faster)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=_run_synthesize)


def _read_text(args: argparse.Namespace) -> str:
    if args.text_file is not None:
        if args.text is not None:
            raise CLIError("give either TEXT or --text-file, not both")
        try:
            return args.text_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CLIError(f"{args.text_file} is not UTF-8 text") from None
    if args.text is None:
        raise CLIError("no text given (TEXT, '-' for standard input, or --text-file)")
    if args.text == "-":
        return sys.stdin.read()
    return args.text


def _check_output(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CLIError(f"output {path} is a directory")
    if not parent.is_dir():
        raise CLIError(f"output directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"output directory {parent} is not writable")
    if path.suffix.lower() != ".wav":
        raise CLIError(f"output must be a .wav file, got {path.name}")


def _check_stdout_for_audio() -> None:
    if sys.stdout.isatty():
        raise CLIError("standard output is a terminal: redirect it to a file or a player "
                       "(e.g. tts synthesize TEXT -o - | aplay)")


class _AudioOut:
    """Audio to standard output as it comes: a wav header of unknown length (``-o -``) or raw PCM."""

    def __init__(self, sample_rate: int, wav_header: bool) -> None:
        self.sample_rate = sample_rate
        self.header = wav_header

    def write(self, pieces) -> int:
        from .serve.encoding import pcm16, wav_header

        sys.stdout.flush()
        out = sys.stdout.buffer
        written = 0
        try:
            for piece in pieces:
                head = wav_header(self.sample_rate) if self.header else b""
                self.header = False  # the header goes out with the first audio: a failure before it leaves nothing
                out.write(head + pcm16(piece))
                out.flush()
                written += len(piece)
        except BrokenPipeError:
            with contextlib.suppress(OSError, ValueError, AttributeError):  # no second error at exit's flush
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise CLIError("standard output was closed before the audio was complete") from None
        return written


def _print_warnings(caught) -> None:
    for msg in sorted({str(c.message) for c in caught}):
        print(f"tts: warning: {msg}", file=sys.stderr)


def _load_synthesizer(args: argparse.Namespace):
    from .api import Synthesizer

    synth = Synthesizer.from_pretrained(_voice_path(args), device=args.device, vocoder=args.vocoder)
    plan = synth.plan(args.steps, args.schedule)  # validates --steps before any work
    synth.load()  # dictionary, espeak, vocoder: counted as loading, not as synthesis
    return synth, plan


def _run_synthesize(args: argparse.Namespace) -> int:
    import time
    import warnings

    if args.json_input:
        return _run_json_input(args)
    if args.output_raw and args.output is not None:
        raise CLIError("give either -o/--output or --output-raw, not both")
    to_stdout = args.output_raw or args.output == "-"
    text = _read_text(args)
    output = None if to_stdout else Path(args.output or "output.wav")
    if output is None:
        _check_stdout_for_audio()
    else:
        _check_output(output)
    from .audio import write_wav_stream
    t_load = time.perf_counter()
    synth, plan = _load_synthesizer(args)
    load_seconds = time.perf_counter() - t_load
    sr = synth.audio.sample_rate
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:  # text warnings come before any audio
        warnings.simplefilter("always")
        # to a pipe one sentence at a time (the first audio after one sentence), to a file 8 at a time
        pieces = synth.stream(text, steps=args.steps, seed=args.seed, speed=args.speed, schedule=args.schedule,
                              batch_size=1 if to_stdout else 8)
    _print_warnings(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if output is None:
            samples = _AudioOut(sr, wav_header=not args.output_raw).write(pieces)
        else:
            # written batch by batch into a temp file beside the output, renamed at the end: bounded memory for
            # any length of text, and an existing output is replaced only by a complete file
            samples = write_wav_stream(output, pieces, sr)
        elapsed = time.perf_counter() - t0
    _print_warnings(caught)
    seconds = samples / sr
    where = output if output is not None else f"standard output ({'raw PCM' if args.output_raw else 'wav'})"
    print(f"wrote {where}: {seconds:.2f} s of audio at {sr} Hz; {args.steps} steps ({plan.source} schedule, "
          f"{plan.denoiser} denoiser), vocoder {synth.vocoder_name}; loading {load_seconds:.2f} s, synthesis "
          f"{elapsed:.2f} s, RTF {elapsed / max(seconds, 1e-9):.3f}", file=sys.stderr if output is None else sys.stdout)
    return 0


JSON_LINE_KEYS = ("text", "output_file", "steps", "speed", "seed")


def _json_line_job(line: str, args: argparse.Namespace) -> tuple[dict, list[str]]:
    """One --json-input line -> (settings of that line, unknown keys). CLIError for a bad line."""
    import json
    import math

    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise CLIError(f"not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise CLIError(f"expected a JSON object, got {type(d).__name__}")
    text = d.get("text")
    if not isinstance(text, str):
        raise CLIError("'text' must be a string" if "text" in d else "no 'text'")
    job = {"text": text, "output_file": d.get("output_file"), "steps": d.get("steps", args.steps),
           "speed": d.get("speed", args.speed), "seed": d.get("seed", args.seed)}
    for key in ("steps", "seed"):
        if not isinstance(job[key], int) or isinstance(job[key], bool):
            raise CLIError(f"'{key}' must be an integer, got {job[key]!r}")
    if job["seed"] < 0:
        raise CLIError(f"'seed' must be >= 0, got {job['seed']}")
    speed = job["speed"]
    if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not math.isfinite(speed) \
            or not 0.1 <= speed <= 10.0:
        raise CLIError(f"'speed' must be a number between 0.1 and 10, got {speed!r}")
    out = job["output_file"]
    if out is not None:
        if not isinstance(out, str) or not out:
            raise CLIError(f"'output_file' must be a path, got {out!r}")
        job["output_file"] = Path(out)
        _check_output(job["output_file"])
    elif not args.output_raw:
        raise CLIError("no 'output_file' (give one, or run with --output-raw for standard output)")
    return job, sorted(set(d) - set(JSON_LINE_KEYS))


def _stdin_lines():
    """(line number, text) of standard input, decoded as UTF-8 line by line: a line that is not UTF-8 comes as
    None (an error of that line alone)."""
    raw = getattr(sys.stdin, "buffer", None)
    for n, line in enumerate(raw if raw is not None else sys.stdin, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                yield n, None
                continue
        yield n, line


def _run_json_input(args: argparse.Namespace) -> int:
    import time
    import warnings

    if args.text is not None or args.text_file is not None:
        raise CLIError("--json-input reads its texts from standard input: it takes no TEXT or --text-file")
    if args.output is not None:
        raise CLIError("--json-input writes each line's output_file (or, with --output-raw, standard output): "
                       "it takes no -o")
    if args.output_raw:
        _check_stdout_for_audio()
    from .audio import write_wav_stream

    synth, _ = _load_synthesizer(args)
    sr = synth.audio.sample_rate
    audio_out = _AudioOut(sr, wav_header=False) if args.output_raw else None
    done = failed = 0
    status = 0
    for n, line in _stdin_lines():
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise CLIError("not UTF-8 text")
            job, unknown = _json_line_job(line, args)
            if unknown:
                print(f"tts: warning: line {n}: ignored unknown key(s): {', '.join(unknown)}", file=sys.stderr)
            plan = synth.plan(job["steps"], args.schedule)
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pieces = synth.stream(job["text"], steps=job["steps"], seed=job["seed"], speed=job["speed"],
                                      schedule=args.schedule, batch_size=8 if job["output_file"] else 1)
            for msg in sorted({str(c.message) for c in caught}):
                print(f"tts: warning: line {n}: {msg}", file=sys.stderr)
            if job["output_file"] is not None:
                samples = write_wav_stream(job["output_file"], pieces, sr)
            else:
                samples = audio_out.write(pieces)
        except CLIError as e:
            if audio_out is not None and "standard output was closed" in str(e):
                raise  # nowhere to write the rest
            failed += 1
            status = max(status, EXIT_USAGE)
            print(f"tts: error: line {n}: {e}", file=sys.stderr)
            continue
        except Exception as e:  # one bad line does not stop the batch
            if os.environ.get("TTS_DEBUG"):
                raise
            failed += 1
            known = isinstance(e, (ValueError, OSError))
            status = max(status, EXIT_USAGE if known else 1)
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"tts: {'error' if known else f'internal error ({type(e).__name__})'}: line {n}: {msg}",
                  file=sys.stderr)
            continue
        done += 1
        seconds = samples / sr
        where = job["output_file"] or "standard output"
        print(f"tts: line {n}: wrote {where}: {seconds:.2f} s of audio, {job['steps']} steps ({plan.source} "
              f"schedule), synthesis {time.perf_counter() - t0:.2f} s", file=sys.stderr)
        if job["output_file"] is not None and audio_out is None:
            print(job["output_file"], flush=True)  # as Piper: the written paths on standard output
    print(f"tts: {done} line(s) synthesized, {failed} failed", file=sys.stderr)
    return status


# --- serve ----------------------------------------------------------------------------------------------


def _port(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port), got {value}")
    return v


def _non_negative_int(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return v


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="OpenAI-compatible speech server: POST /v1/audio/speech",
                       description="Load a voice once and serve it over HTTP (FastAPI + uvicorn; pip install "
                                   "'prodiff-tts[serve]'): POST /v1/audio/speech with OpenAI's body (model, input, "
                                   "voice, response_format wav|pcm|flac, speed) plus steps and seed; wav and pcm "
                                   "stream sentence by sentence. GET /v1/models, GET /health.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free port)")
    _add_voice_args(p)
    p.add_argument("--max-input-chars", type=_positive_int, default=4096,
                   help="longest input of a request, in characters (default 4096, as OpenAI; longer: 413)")
    p.add_argument("--queue-size", type=_non_negative_int, default=16,
                   help="requests admitted to wait beyond those being synthesized (default 16; more: 429)")
    p.add_argument("--threads", type=_positive_int, default=1,
                   help="synthesis worker threads (default 1); torch gets the CPU cores divided among them")
    p.add_argument("--steps", type=_positive_int, default=2, help="steps of a request without 'steps' (default 2)")
    p.add_argument("--vocoder", default=None,
                   help="griffin-lim, a saved vocoder (directory), or the voice's own (default when it has one)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"], default="info")
    p.set_defaults(func=_run_serve)


def _listen(host: str, port: int):
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as e:
        raise CLIError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _run_serve(args: argparse.Namespace) -> int:
    for module in ("fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            raise CLIError(f"tts serve needs {module}, which is not installed: "
                           "pip install 'prodiff-tts[serve]'") from None
    import torch
    import uvicorn

    from .api import Synthesizer
    from .serve.app import ServerSettings, create_app

    settings = ServerSettings(max_input_chars=args.max_input_chars, queue_size=args.queue_size,
                              threads=args.threads, default_steps=args.steps)
    synth = Synthesizer.from_pretrained(_voice_path(args), device=args.device, vocoder=args.vocoder)
    app = create_app(synth, settings)  # checks --steps against the voice
    sock = _listen(args.host, args.port)  # before loading: a taken port fails at once
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.threads))
    synth.load()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"tts: serving voice {synth.config.voice!r} ({', '.join(map(str, synth.supported_steps))} steps, "
          f"default {args.steps}; vocoder {synth.vocoder_name}) on http://{shown}:{port}/v1/audio/speech "
          f"with {args.threads} worker thread(s), queue {args.queue_size}", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=5))
    try:
        server.run(sockets=[sock])  # Ctrl-C: uvicorn finishes the requests in progress, then re-raises it
    except KeyboardInterrupt:
        pass
    print("tts: server stopped", file=sys.stderr)
    return 0


# --- train / export ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _config_errors(*extra: type[Exception]):
    """Hydra / OmegaConf errors (unknown option, wrong type) become one-line CLI errors."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        yield
    except (HydraException, OmegaConfBaseException, *extra) as e:
        raise CLIError(f"bad configuration: {str(e).strip().splitlines()[0]}") from None


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train with Hydra overrides, e.g. experiment=demo trainer.max_steps=1000",
                       description="Compose prodiff_tts/configs/train.yaml with Hydra overrides and train. "
                                   "Resumes from <run_dir>/checkpoints/last.ckpt when it exists.")
    p.add_argument("overrides", nargs="*", help="Hydra overrides (group=option, key=value)")
    p.add_argument("--print-config", action="store_true", help="print the composed config and exit")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from .training.run import compose_config, train

    with _config_errors():
        if args.print_config:
            print(OmegaConf.to_yaml(compose_config(args.overrides), resolve=True))
            return 0
        path = train(args.overrides)
    print(f"checkpoint: {path}")
    return 0


def _add_distill(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("distill", help="progressive distillation: teacher=<ckpt> [overrides]",
                       description="Halve the DDIM steps per round (distill.start_steps -> distill.final_steps). "
                                   "Hydra overrides as for `tts train`; `teacher=X` is short for distill.teacher=X.")
    p.add_argument("overrides", nargs="*")
    p.set_defaults(func=_run_distill)


def _run_distill(args: argparse.Namespace) -> int:
    from .training.run import train

    overrides = [f"distill.{o}" if o.startswith("teacher=") else o for o in args.overrides]
    if not any(o.startswith("distill.teacher=") for o in overrides):
        raise CLIError("give the teacher checkpoint: tts distill teacher=RUN/checkpoints/last.ckpt")
    if not any(o.startswith("run_dir=") for o in overrides):
        overrides.append("run_dir=exp/distill")
    with _config_errors():
        path = train(["task=distill", *overrides])
    print(f"students and tables in {path}/")
    return 0


def _add_search(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="evolutionary search of timesteps and layer masks: model=<ckpt|bundle> steps=K",
                       description="Two-stage AutoDiffusion-style search for a K-step schedule; writes schedule.json. "
                                   "Hydra overrides; `model=` and `steps=` are short for search.model / search.steps.")
    p.add_argument("overrides", nargs="*")
    p.set_defaults(func=_run_search)


def _run_search(args: argparse.Namespace) -> int:
    from omegaconf import OmegaConf

    from .search.run import SearchSettings, run_search
    from .training.run import compose_config

    short = ("model=", "steps=")
    overrides = [f"search.{o}" if o.startswith(short) else o for o in args.overrides]
    if not any(o.startswith("run_dir=") for o in overrides):
        overrides.append("run_dir=exp/search")
    with _config_errors(TypeError):
        cfg = compose_config(overrides)
        sc = OmegaConf.to_container(cfg.search, resolve=True)
        if not sc.pop("model"):
            raise CLIError("give the model: tts search model=<teacher checkpoint or bundle> steps=K")
        out = sc.pop("out")
        settings = SearchSettings(**sc)
    if cfg.trainer.get("threads"):  # as in train and distill: leaves the other cores to jobs beside it
        import torch

        torch.set_num_threads(int(cfg.trainer.threads))
    r = run_search(cfg.search.model, cfg.data.dir, settings, cfg.run_dir, out, progress=sys.stderr.isatty())
    print(f"{r['denoiser']} at {r['steps']} steps, fitness on {r['held_out']['items']} '{r['held_out']['split']}' "
          f"utterances (lower is better):")
    print("| schedule | timesteps | fitness | mel L1 | Frechet | layer evals |")
    print("|---|---|---|---|---|---|")
    rows = [("uniform", r["uniform"], None), ("searched", r["searched"], None)]
    if "layer_skipping" in r:
        ls = r["layer_skipping"]
        rows.append(("searched + layer skipping", ls, f"{sum(map(sum, ls['layer_masks']))}/{ls['max_layer_evaluations']}"))
    for name, d, evals in rows:
        ts = ", ".join(f"{t:.3f}" for t in d["timesteps"])
        print(f"| {name} | {ts} | {d['fitness']:.4f} | {d['mel_l1']:.4f} | {d['frechet']:.2f} | {evals or 'all'} |")
    if "layer_skipping" in r:
        print(f"layer skipping saves {100 * r['layer_skipping']['flops_saved']:.1f}% of denoiser FLOPs; "
              f"{'used' if r['layer_masks'] else 'not used (worse than uniform)'} by synthesis")
    print(f"{r['fitness_evaluations']} candidates evaluated in {r['search_seconds']} s; written to {r['written_to']}")
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="teacher checkpoint (+ students, schedules, vocoder) -> voice bundle")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("out", type=Path, help="bundle directory")
    p.add_argument("--voice", default="voice", help="voice name stored in the bundle")
    p.add_argument("--distilled", type=Path, help="a `tts distill` run directory: add its students")
    p.add_argument("--vocoder", type=Path, help="a trained vocoder (directory or checkpoint) to ship")
    p.add_argument("--teacher-steps", type=_positive_int, nargs="+", default=[4, 8, 16, 32], metavar="K",
                   help="step counts the teacher serves (default 4 8 16 32; students add their own)")
    p.add_argument("--weights-dtype", choices=["float32", "float16"], default="float32",
                   help="storage precision of the weight files (float16 halves the bundle; it runs in float32)")
    p.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from .training.export import export_bundle

    cfg = export_bundle(args.checkpoint, args.out, voice=args.voice, distilled=args.distilled, vocoder=args.vocoder,
                        teacher_steps=tuple(sorted(set(args.teacher_steps))), weights_dtype=args.weights_dtype)
    print(f"exported {args.checkpoint} -> {args.out}/ (denoisers: {[d.name for d in cfg.denoisers]})")
    return 0


def _add_generate_mels(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate-mels", help="teacher-forced mels of a voice on its corpus, for vocoder fine-tuning",
                       description="Runs the voice on each recording of a `tts prepare` directory with the "
                                   "recording's own durations (the voice's aligner), pitch and energy, so that every "
                                   "generated frame describes the same stretch of audio, and writes OUT/{id}.npy "
                                   "(natural-log mel [n_mels, frames]) for vocoder.data.mel_dir. Existing files are "
                                   "kept unless --overwrite, so an interrupted run continues.")
    p.add_argument("bundle", type=Path, help="a voice bundle (`tts export`) whose corpus PREPARED is")
    p.add_argument("data", type=Path, help="the `tts prepare` directory of the voice's corpus")
    p.add_argument("out", type=Path, help="output directory of the .npy files")
    p.add_argument("--steps", type=_positive_int, default=4, help="sampling steps (default 4)")
    p.add_argument("--schedule", choices=["searched", "uniform"], default="searched")
    p.add_argument("--splits", nargs="+", default=["train", "val"], help="manifest splits (default train val)")
    p.add_argument("--batch-size", type=_positive_int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="regenerate files that exist")
    p.set_defaults(func=_run_generate_mels)


def _run_generate_mels(args: argparse.Namespace) -> int:
    from .training.generated_mels import generate_mels

    s = generate_mels(args.bundle, args.data, args.out, steps=args.steps, schedule=args.schedule, splits=args.splits,
                      batch_size=args.batch_size, seed=args.seed, overwrite=args.overwrite, progress=_progress)
    print(f"wrote {s['written']} mels to {args.out}/ ({s['kept']} kept); {s['steps']} steps, {s['schedule']} "
          f"schedule, {s['denoiser']} denoiser; train a vocoder on them with vocoder.data.mel_dir={args.out}")
    return 0


# --- benchmark / evaluate --------------------------------------------------------------------------------


def _check_report_path(path: Path | None, suffix: str, option: str) -> None:
    if path is None:
        return
    if path.suffix.lower() != suffix:
        raise CLIError(f"{option} must name a {suffix} file, got {path.name}")
    if path.is_dir():
        raise CLIError(f"{option} {path} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"{option}: directory {parent} does not exist")


def _check_vocoder_names(names: Sequence[str]) -> None:
    from .vocoders import VOCODER_NAMES

    for name in names:
        if name not in (*VOCODER_NAMES, "bundle"):
            raise CLIError(f"unknown vocoder {name!r}; choose from {', '.join(VOCODER_NAMES)}, or 'bundle' "
                           "(the voice's own)")


def _progress(msg: str) -> None:
    if sys.stderr.isatty():
        print(f"  {msg}", file=sys.stderr, flush=True)


def _add_benchmark(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmark", help="real-time factor of a voice: acoustic model and end to end",
                       description="RTF = synthesis wall time / duration of the audio produced, after warm-up, "
                                   "median and min-max of the repeats, on fixed English texts of 5 to 200 words; "
                                   "denoiser FLOPs and achieved GFLOP/s against a matmul peak, time to first audio, "
                                   "a stage breakdown and PASS/MISS lines for the speed targets. The --json schema "
                                   "is documented in prodiff_tts/bench/benchmark.py.")
    _add_voice_args(p)
    p.add_argument("--steps", type=_positive_int, nargs="+", default=None, metavar="K",
                   help="step counts (default: each of 1 2 4 8 the voice supports, plus the teacher's largest)")
    p.add_argument("--vocoders", nargs="+", default=None, metavar="NAME",
                   help="end-to-end vocoders (default: griffin-lim, and 'bundle' when the voice has one)")
    p.add_argument("--batch-size", type=_positive_int, default=8, help="sentences per call of the batched rows")
    p.add_argument("--repeats", type=_positive_int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before each measurement (default 1)")
    p.add_argument("--threads", type=_positive_int, default=2, help="torch threads (default 2)")
    p.add_argument("--max-words", type=_positive_int, default=None, help="only the texts of at most this many words")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--plot", type=Path, default=None, metavar="PATH.png", help="RTF vs steps and vs text length")
    p.set_defaults(func=_run_benchmark)


def _run_benchmark(args: argparse.Namespace) -> int:
    _check_report_path(args.json, ".json", "--json")
    _check_report_path(args.plot, ".png", "--plot")
    _check_vocoder_names(args.vocoders or [])
    if args.warmup < 0:
        raise CLIError(f"--warmup must be >= 0, got {args.warmup}")
    from .bench.benchmark import BenchmarkSettings, format_report, run_benchmark, write_report

    settings = BenchmarkSettings(steps=args.steps, vocoders=args.vocoders, batch_size=args.batch_size,
                                 repeats=args.repeats, warmup=args.warmup, threads=args.threads,
                                 max_words=args.max_words, device=args.device)
    report = run_benchmark(_voice_path(args), settings, progress=_progress)
    print(format_report(report))
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    if args.plot:
        from .bench.plots import plot_benchmark

        plot_benchmark(args.plot, report["results"])
        print(f"wrote {args.plot}")
    return 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="quality of a voice on held-out utterances of a prepared corpus",
                       description="Free-running synthesis (predicted durations, fixed seeds) of held-out texts, "
                                   "scored against the recordings along a DTW path: log-mel L1, MCD (dB), F0 RMSE "
                                   "(Hz) and voicing error of the vocoded audio; distance to the teacher for "
                                   "distilled students; the teacher-forced mel L1 for comparison; optional WER/CER "
                                   "with an offline recognizer (--asr, needs pip install 'prodiff-tts[asr]'). With "
                                   "--texts FILE --asr instead of --data: any sentences, scored by the recognizer "
                                   "alone.")
    _add_voice_args(p)
    p.add_argument("--data", type=Path, default=None, help="a `tts prepare` output directory")
    p.add_argument("--texts", type=Path, default=None, metavar="FILE",
                   help="any sentences (one per line), scored by the recognizer (needs --asr); with --data, "
                        "that corpus' recordings are the reference set of GV, modulation spectrum and Fréchet")
    p.add_argument("--split", default="test", help="split of the manifest (default test)")
    p.add_argument("--items", type=_positive_int, default=20, help="utterances to score (default 20)")
    p.add_argument("--steps", type=_positive_int, nargs="+", default=None, metavar="K",
                   help="step counts (default: each of 1 2 4 8 the voice supports, plus the teacher's largest)")
    p.add_argument("--schedules", nargs="+", choices=["uniform", "searched"], default=["uniform", "searched"])
    p.add_argument("--vocoder", nargs="+", default=None, metavar="VOCODER",
                   help="one or more of: griffin-lim, a saved vocoder (directory), 'bundle' (default: the voice's "
                        "own if any); every step plan is scored through each")
    p.add_argument("--asr", nargs="?", const="whisper", default=None, choices=["whisper", "pocketsphinx"],
                   help="WER/CER with an offline recognizer: whisper (default; faster-whisper tiny.en, extra "
                        "'eval'; also gives the Whisper-embedding Fréchet) or pocketsphinx (extra 'asr')")
    p.add_argument("--asr-model", default=None, metavar="DIR",
                   help="a faster-whisper model directory for --asr whisper (default: the bundled tiny.en)")
    p.add_argument("--bands-plot", type=Path, default=None, metavar="PATH.png",
                   help="per-band GV ratio and modulation-spectrum distance of every row")
    p.add_argument("--alignments", type=Path, default=None, metavar="DIR",
                   help="reference word end times (<DIR>/<id>.words, e.g. the demo corpus's Festival alignments): "
                        "report the word-boundary error of the learned alignment")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=_positive_int, default=2, help="torch threads (default 2)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--plot", type=Path, default=None, metavar="PATH.png", help="mels: recording vs generated")
    p.set_defaults(func=_run_evaluate)


def recognizer_check(args: argparse.Namespace) -> None:
    """Fail early, in one line, when the recognizer asked for cannot be loaded."""
    if args.asr_model is not None and args.asr != "whisper":
        raise CLIError("--asr-model needs --asr whisper")
    if args.asr:
        from .bench.asr import make_recognizer

        make_recognizer(args.asr, args.asr_model, threads=1)


def _run_evaluate(args: argparse.Namespace) -> int:
    _check_report_path(args.json, ".json", "--json")
    _check_report_path(args.plot, ".png", "--plot")
    _check_report_path(args.bands_plot, ".png", "--bands-plot")
    if args.texts is not None:
        return _run_evaluate_texts(args)
    if args.data is None:
        raise CLIError("give --data PREPARED (held-out recordings) or --texts FILE --asr (any sentences)")
    if not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    recognizer_check(args)
    import torch

    from .bench.benchmark import write_report
    from .bench.evaluate import evaluate_bundle, format_evaluation

    torch.set_num_threads(args.threads)
    report = evaluate_bundle(_voice_path(args), args.data, split=args.split, items=args.items,
                             steps=args.steps, schedules=args.schedules, vocoders=args.vocoder, asr=args.asr,
                             asr_model=args.asr_model, seed=args.seed, device=args.device,
                             keep_mels=3 if args.plot else 0, progress=_progress)
    mels = report.pop("_mels", None)
    if args.alignments is not None:
        from .api import Synthesizer
        from .bench.alignment import word_boundary_errors

        model = Synthesizer(_voice_path(args), device=args.device, vocoder="griffin-lim").model
        report["alignment"] = word_boundary_errors(model, args.data, args.alignments, split=args.split,
                                                   items=args.items)
    print(format_evaluation(report))
    if "alignment" in report:
        a = report["alignment"]
        print(f"learned alignment vs reference word ends ({a['utterances']} utterances, {a['words']} words, "
              f"{a['skipped']} skipped): mean {a['mean_ms']:.1f} ms, median {a['median_ms']:.1f} ms, "
              f"{100 * a['within_20ms']:.0f}% within 20 ms, {100 * a['within_50ms']:.0f}% within 50 ms")
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    _write_bands_plot(args.bands_plot, report["results"])
    if args.plot and mels:
        from .bench.plots import plot_mels

        plot_mels(args.plot, mels["ids"], mels["grid"], mels["columns"])
        print(f"wrote {args.plot}")
    return 0


def _write_bands_plot(path: Path | None, results: list[dict]) -> None:
    rows = [r for r in results if r.get("gv_per_band") is not None]
    if path is None or not rows:
        return
    import numpy as np

    from .bench.oversmoothing import plot_oversmoothing

    plot_oversmoothing(path, [(f"{r['steps']} steps {r['schedule']}, {r['vocoder']}", np.asarray(r["gv_per_band"]),
                               np.asarray(r["ms_per_band"])) for r in rows])
    print(f"wrote {path}")


def _run_evaluate_texts(args: argparse.Namespace) -> int:
    if args.alignments is not None or args.plot is not None:
        raise CLIError("--texts scores sentences without recordings: it takes no --alignments or --plot")
    if not args.asr:
        raise CLIError("--texts needs --asr: without recordings only the recognizer can score the speech")
    if not args.texts.is_file():
        raise CLIError(f"text file not found: {args.texts}")
    if args.data is not None and not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    _check_report_path(args.bands_plot, ".png", "--bands-plot")
    recognizer_check(args)
    import torch

    from .bench.benchmark import write_report
    from .bench.intelligibility import evaluate_texts, format_intelligibility, read_texts

    torch.set_num_threads(args.threads)
    report = evaluate_texts(_voice_path(args), read_texts(args.texts), steps=args.steps,
                            schedules=args.schedules, vocoders=args.vocoder, seed=args.seed, device=args.device,
                            asr=args.asr, asr_model=args.asr_model, reference_data=args.data,
                            reference_split=args.split, reference_items=args.items, progress=_progress)
    print(format_intelligibility(report))
    _write_bands_plot(args.bands_plot, report["results"])
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    return 0


def _add_evaluate_vocoder(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate-vocoder", help="resynthesis quality and CPU speed of vocoders on held-out recordings",
                       description="The log-mel of each held-out recording is vocoded and the log-mel of the result "
                                   "scored against it, frame by frame: log-mel L1, MCD (dB), F0 RMSE (Hz) and voicing "
                                   "error; CPU real-time factor = vocoding time / audio duration with fixed torch "
                                   "threads. The --json schema is in prodiff_tts/bench/vocoder_eval.py.")
    p.add_argument("data", type=Path, help="a `tts prepare` output directory")
    p.add_argument("--vocoders", nargs="+", default=["griffin-lim"], metavar="VOCODER",
                   help="griffin-lim, or a trained vocoder (directory or .safetensors); default griffin-lim")
    p.add_argument("--split", default="test", help="split of the manifest (default test)")
    p.add_argument("--items", type=_positive_int, default=20, help="utterances to score (default 20)")
    p.add_argument("--threads", type=_positive_int, default=2, help="torch threads (default 2)")
    p.add_argument("--asr", nargs="?", const="whisper", default=None, choices=["whisper", "pocketsphinx"],
                   help="also WER/CER of the resynthesized speech (and, for whisper, the Whisper-embedding Fréchet)")
    p.add_argument("--asr-model", default=None, metavar="DIR", help="a faster-whisper model directory")
    p.add_argument("--oracles", action="store_true",
                   help="also split the error into magnitude and phase: rows that put the recording's own phase "
                        "under Griffin-Lim's (and each trained iSTFT vocoder's) magnitude, and Griffin-Lim's phase "
                        "under the recording's magnitude")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the full report as JSON")
    p.set_defaults(func=_run_evaluate_vocoder)


def _run_evaluate_vocoder(args: argparse.Namespace) -> int:
    _check_report_path(args.json, ".json", "--json")
    if not args.data.is_dir():
        raise CLIError(f"prepared data directory not found: {args.data}")
    from .bench.benchmark import write_report
    from .bench.vocoder_eval import evaluate_vocoders, format_vocoder_evaluation

    # unknown names and unloadable weights raise ValueError (one line, exit 2) before any scoring
    report = evaluate_vocoders(args.data, args.vocoders, split=args.split, items=args.items, threads=args.threads,
                               oracles=args.oracles, progress=_progress, asr=args.asr, asr_model=args.asr_model)
    print(format_vocoder_evaluation(report))
    if args.json:
        write_report(args.json, report)
        print(f"wrote {args.json}")
    return 0


# --- main ------------------------------------------------------------------------------------------------

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_prepare, _add_train, _add_distill, _add_search, _add_export, _add_generate_mels, _add_synthesize, _add_serve, _add_voices, _add_benchmark, _add_evaluate,
                                                                  _add_evaluate_vocoder]


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = OneLineParser(prog="tts", description="prodiff-tts: fast diffusion text-to-speech")
    parser.add_argument("--version", action="version", version=f"prodiff-tts {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # usage errors and --help / --version: return the status instead of exiting
        return int(e.code or 0)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("tts: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line for the user; the traceback on request
        if os.environ.get("TTS_DEBUG"):
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        known = isinstance(e, (CLIError, ValueError, FileNotFoundError, PermissionError, OSError))
        prefix = "error" if known else f"internal error ({type(e).__name__})"
        print(f"tts: {prefix}: {msg}", file=sys.stderr)
        return EXIT_USAGE if known else 1


if __name__ == "__main__":
    sys.exit(main())
