"""The ``tts`` parser and the dispatch to the commands, with the one-line error and its exit status."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from .common import EXIT_USAGE, CLIError, OneLineParser
from .data import add_prepare
from .evaluate import add_benchmark, add_compare, add_evaluate, add_evaluate_vocoder
from .onnx import add_export_onnx
from .serve import add_serve
from .synthesize import add_synthesize, add_voices
from .train import add_distill, add_export, add_export_vocoder, add_generate_mels, add_search, add_train

COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_prepare, add_train, add_distill, add_search, add_export, add_export_vocoder, add_generate_mels,
    add_synthesize, add_serve, add_voices, add_benchmark, add_evaluate, add_evaluate_vocoder, add_compare,
    add_export_onnx]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

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
