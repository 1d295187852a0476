"""``tts voices`` and ``tts synthesize``: text to a wav file, to standard output as a wav (``-o -``) or raw PCM
(``--output-raw``) sentence by sentence, or one JSON request per line of standard input (``--json-input``);
pronunciation control (inline ``[[PHONEMES]]``, ``--ssml``, ``--lexicon``) and word timestamps / subtitles
(``--timestamps``, ``--subtitles``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from .common import (EXIT_USAGE, CLIError, add_precision_arg, add_voice_args, check_backend, check_output,
                     check_report_path, load_lexicon, positive_int, print_warnings, speed_factor, voice_path,
                     warn_slow_precision)


def add_voices(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voices", help="installed voices, their step counts and vocoders",
                       description="Voices found in $PRODIFF_TTS_VOICES, the source tree's pretrained/ and the "
                                   "install's share/prodiff-tts/voices, first of each name wins.")
    p.set_defaults(func=_run_voices)


def _run_voices(args: argparse.Namespace) -> int:
    from ..voices import DEFAULT_VOICE, list_voices, voice_dirs

    voices = list_voices()
    if not voices:
        raise CLIError("no voice installed (searched: " + ", ".join(map(str, voice_dirs())) + ")")
    print("| voice | steps | searched schedules | vocoder | path |\n|---|---|---|---|---|")
    for v in voices:
        mark = " (default)" if v.name == DEFAULT_VOICE else ""
        # the one it speaks through first, then the other it can be asked for (--vocoder bundle|griffin-lim)
        own = f"own ({v.vocoder}/)" if v.vocoder else None
        first, other = (own, "griffin-lim") if v.default_vocoder == "bundle" and own else ("griffin-lim", own)
        vocoders = f"{first}, or {other}" if other else first
        print(f"| {v.name}{mark} | {' '.join(map(str, v.steps))} | {' '.join(map(str, v.searched_steps)) or '-'} "
              f"| {vocoders} | {v.path} |")
    return 0


def add_synthesize(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help="text -> wav with a voice bundle",
                       description="Synthesize speech. An existing output file is replaced (atomically: it is "
                                   "either the old file or the complete new one, never a partial write). "
                                   "'-o -' streams a wav and --output-raw raw PCM to standard output sentence by "
                                   "sentence (messages go to standard error); --json-input reads one JSON object "
                                   "per line from standard input, as Piper does. Text may hold inline phonemes "
                                   "[[HH AH0 L OW1]] and, when it starts with <speak> (or with --ssml), SSML-lite: "
                                   "<break>, <say-as>, <sub>, <phoneme>, <prosody rate>.")
    p.add_argument("text", nargs="?", help="text to speak; '-' reads standard input")
    p.add_argument("--text-file", type=Path, help="read the text from a UTF-8 file")
    p.add_argument("-o", "--output", default=None, metavar="OUT.wav",
                   help="wav to write (default output.wav); '-' streams a wav to standard output")
    p.add_argument("--output-raw", action="store_true",
                   help="stream raw 16-bit little-endian mono PCM at the voice's sample rate to standard output")
    p.add_argument("--json-input", action="store_true",
                   help="one JSON object per line on standard input: text, and optionally output_file, steps, "
                        "speed, seed, ssml, timestamps_file, subtitles_file; a bad line is reported on standard "
                        "error and the others go on")
    p.add_argument("--ssml", action="store_true",
                   help="read the text as SSML-lite even without <speak> (default: when it starts with <speak>)")
    p.add_argument("--lexicon", type=Path, default=None, metavar="FILE",
                   help="user lexicon: one 'word<TAB>PHONEMES' (ARPAbet) per line, consulted before CMUdict and "
                        "espeak")
    p.add_argument("--timestamps", type=Path, default=None, metavar="OUT.json",
                   help="also write word and phoneme timings (seconds) as JSON")
    p.add_argument("--subtitles", type=Path, default=None, metavar="OUT.srt|OUT.vtt",
                   help="also write subtitles (SubRip or WebVTT, by the suffix) from the word timings")
    add_voice_args(p)
    p.add_argument("--steps", type=positive_int, default=2, help="diffusion steps (default 2)")
    p.add_argument("--schedule", choices=["searched", "uniform"], default="searched",
                   help="timesteps: the searched schedule for this step count when the voice has one, or uniform")
    p.add_argument("--vocoder", default=None,
                   help="griffin-lim, a saved vocoder (directory), or the voice's own (default when it has one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed", type=speed_factor, default=1.0, help="speaking rate factor (>1 is faster)")
    p.add_argument("--device", default="cpu")
    add_precision_arg(p, backends=True)
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
        from ..serve.encoding import pcm16, wav_header

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


def _check_timing_paths(timestamps: Path | None, subtitles: Path | None,
                        options: tuple[str, str] = ("--timestamps", "--subtitles")) -> None:
    """The timestamps must go to a .json and the subtitles to a .srt or .vtt file, in a directory that exists."""
    check_report_path(timestamps, ".json", options[0])
    if subtitles is not None:
        if subtitles.suffix.lower() not in (".srt", ".vtt"):
            raise CLIError(f"{options[1]} must name a .srt or .vtt file, got {subtitles.name}")
        check_report_path(subtitles, subtitles.suffix.lower(), options[1])


class _Timings:
    """The word and phoneme timings of a stream, collected as its audio goes by."""

    def __init__(self) -> None:
        self.words: list = []
        self.phonemes: list = []

    def audio(self, timed_pieces):
        for piece in timed_pieces:
            self.words += piece.words
            self.phonemes += piece.phonemes
            yield piece.audio

    def write(self, timestamps: Path | None, subtitles: Path | None, sample_rate: int, seconds: float) -> None:
        from ..fileio import atomic_write_text
        from ..subtitles import format_subtitles, subtitle_format
        from ..timestamps import timestamps_document, timestamps_json

        if timestamps is not None:
            doc = timestamps_document(self.words, self.phonemes, sample_rate, seconds)
            atomic_write_text(timestamps, timestamps_json(doc))
        if subtitles is not None:
            atomic_write_text(subtitles, format_subtitles(self.words, subtitle_format(subtitles)))


class _OnnxSynthesizer:
    """An :class:`~prodiff_tts.onnx.OnnxVoice` behind the calls this command makes of a Synthesizer (its step
    plans are fixed at export, so the schedule argument is not passed on)."""

    def __init__(self, voice) -> None:
        self.voice = voice
        self.vocoder_name = voice.vocoder_name
        self.sample_rate = voice.sample_rate

    def plan(self, steps: int, schedule: str):
        return self.voice.plan(steps)

    def stream(self, text: str, schedule: str, **kwargs):
        return self.voice.stream(text, **kwargs)

    def stream_with_timestamps(self, text: str, schedule: str, **kwargs):
        return self.voice.stream_with_timestamps(text, **kwargs)

    def load(self) -> "_OnnxSynthesizer":
        self.voice.load()
        return self


def _load_synthesizer(args: argparse.Namespace):
    check_backend(args)
    lexicon = load_lexicon(args.lexicon)
    if args.backend == "onnx":
        from ..onnx import OnnxVoice

        synth = _OnnxSynthesizer(OnnxVoice(voice_path(args), threads=max(1, os.cpu_count() or 1),
                                           precision=args.precision, vocoder=args.vocoder, lexicon=lexicon))
        plan = synth.plan(args.steps, args.schedule)
        synth.load()
        return synth, plan
    from ..api import Synthesizer  # imports torch: not on the onnx path

    warn_slow_precision(args.precision)
    synth = Synthesizer.from_pretrained(voice_path(args), device=args.device, vocoder=args.vocoder, lexicon=lexicon,
                                        precision=args.precision)
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
        check_output(output)
    _check_timing_paths(args.timestamps, args.subtitles)
    timed = args.timestamps is not None or args.subtitles is not None
    from ..audio import write_wav_stream
    t_load = time.perf_counter()
    synth, plan = _load_synthesizer(args)
    load_seconds = time.perf_counter() - t_load
    sr = synth.sample_rate
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:  # text warnings come before any audio
        warnings.simplefilter("always")
        # to a pipe one sentence at a time (the first audio after one sentence), to a file 8 at a time
        kwargs = dict(steps=args.steps, seed=args.seed, speed=args.speed, schedule=args.schedule,
                      batch_size=1 if to_stdout else 8, ssml=True if args.ssml else None)
        timings = _Timings()
        pieces = timings.audio(synth.stream_with_timestamps(text, **kwargs)) if timed else synth.stream(text, **kwargs)
    print_warnings(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if output is None:
            samples = _AudioOut(sr, wav_header=not args.output_raw).write(pieces)
        else:
            # written batch by batch into a temp file beside the output, renamed at the end: bounded memory for
            # any length of text, and an existing output is replaced only by a complete file
            samples = write_wav_stream(output, pieces, sr)
        elapsed = time.perf_counter() - t0
    print_warnings(caught)
    seconds = samples / sr
    if timed:  # after the audio: a failure midway writes neither
        timings.write(args.timestamps, args.subtitles, sr, seconds)
    where = output if output is not None else f"standard output ({'raw PCM' if args.output_raw else 'wav'})"
    print(f"wrote {where}: {seconds:.2f} s of audio at {sr} Hz; {args.steps} steps ({plan.source} schedule, "
          f"{plan.denoiser} denoiser), vocoder {synth.vocoder_name}; loading {load_seconds:.2f} s, synthesis "
          f"{elapsed:.2f} s, RTF {elapsed / max(seconds, 1e-9):.3f}", file=sys.stderr if output is None else sys.stdout)
    return 0


JSON_LINE_KEYS = ("text", "output_file", "steps", "speed", "seed", "ssml", "timestamps_file", "subtitles_file")


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
           "speed": d.get("speed", args.speed), "seed": d.get("seed", args.seed),
           "ssml": d.get("ssml", True if args.ssml else None)}
    if job["ssml"] is not None and not isinstance(job["ssml"], bool):
        raise CLIError(f"'ssml' must be true or false, got {job['ssml']!r}")
    for key in ("timestamps_file", "subtitles_file"):
        path = d.get(key)
        if path is not None and (not isinstance(path, str) or not path):
            raise CLIError(f"'{key}' must be a path, got {path!r}")
        job[key] = Path(path) if path is not None else None
    _check_timing_paths(job["timestamps_file"], job["subtitles_file"], ("'timestamps_file'", "'subtitles_file'"))
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
        check_output(job["output_file"])
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
    from ..audio import write_wav_stream

    synth, _ = _load_synthesizer(args)
    sr = synth.sample_rate
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
            timed = job["timestamps_file"] is not None or job["subtitles_file"] is not None
            timings = _Timings()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                kwargs = dict(steps=job["steps"], seed=job["seed"], speed=job["speed"], schedule=args.schedule,
                              batch_size=8 if job["output_file"] else 1, ssml=job["ssml"])
                pieces = (timings.audio(synth.stream_with_timestamps(job["text"], **kwargs)) if timed
                          else synth.stream(job["text"], **kwargs))
            for msg in sorted({str(c.message) for c in caught}):
                print(f"tts: warning: line {n}: {msg}", file=sys.stderr)
            if job["output_file"] is not None:
                samples = write_wav_stream(job["output_file"], pieces, sr)
            else:
                samples = audio_out.write(pieces)
            if timed:
                timings.write(job["timestamps_file"], job["subtitles_file"], sr, samples / sr)
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

