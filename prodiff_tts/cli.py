"""The ``tts`` command. Each subcommand parses its own options and calls the library.

Errors the user can fix (bad text, options, paths, files) end with one line on stderr and exit 2;
set TTS_DEBUG=1 to see the full traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


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
    print(f"splits: {s.splits}; audio: {s.hours:.3f} h")
    print(f"wall time {s.seconds:.1f} s, {s.clips_per_second:.2f} clips/s with {args.jobs or os.cpu_count()} jobs")
    print(f"written to {args.out}/ (manifest.jsonl, vocab.json, stats.json, features/, skipped.jsonl)")
    return 0


# --- main ------------------------------------------------------------------------------------------------

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_prepare]


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="tts", description="prodiff-tts: fast diffusion text-to-speech")
    parser.add_argument("--version", action="version", version=f"prodiff-tts {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
