"""What every command shares: the one-line error, the parser, argument types, paths of reports and outputs,
voice selection, progress lines and Hydra's configuration errors. No heavy import at module level."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from pathlib import Path

EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and exit status 2.

    For the commands that take Hydra overrides (``overrides`` positional), :func:`takes_overrides` lets the
    options stand anywhere among the overrides and refuses the ``key=value`` forms that became options."""

    intermixed = False
    moved: dict[str, str] = {}  # key of a refused key=value override -> the option that replaced it

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if not self.intermixed or getattr(self, "_mixing", False):
            return super().parse_known_args(args, namespace)
        self._mixing = True  # parse_known_intermixed_args calls parse_known_args itself
        try:
            ns, extras = self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False
        for o in getattr(ns, "overrides", None) or ():
            key = o.split("=", 1)[0]
            if "=" in o and key in self.moved:
                self.error(f"{key}=... is no longer accepted: give {self.moved[key]}")
        return ns, extras


def takes_overrides(p: OneLineParser, help: str = "Hydra overrides (group=option, key=value)",
                    moved: dict[str, str] | None = None) -> None:
    """Free Hydra overrides for the training configs, with the command's options anywhere among them."""
    p.add_argument("overrides", nargs="*", metavar="OVERRIDE", help=help)
    p.intermixed = True
    p.moved = dict(moved or {})


def override_value(value: object) -> str:
    """``value`` as the right-hand side of a Hydra override, quoted when it is more than a plain path (spaces,
    commas, brackets, quotes, ``=`` or ``${``), so that an option's value reaches the config unchanged."""
    s = str(value)
    if re.fullmatch(r"[A-Za-z0-9_./+-]+", s):
        return s
    s = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", s)  # backslashes before a quote, then the quote
    s = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, s)  # and before the closing quote
    return "'" + s.replace("${", "\\${") + "'"


# --- argument types --------------------------------------------------------------------------------------


def _int_at_least(value: str, minimum: int, what: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value!r}") from None
    if v < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return v


def positive_int(value: str) -> int:
    return _int_at_least(value, 1, "a positive integer")


def non_negative_int(value: str) -> int:
    return _int_at_least(value, 0, "an integer >= 0")


def speed_factor(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not 0.1 <= v <= 10.0:
        raise argparse.ArgumentTypeError(f"speed must be between 0.1 and 10, got {value}")
    return v


def port_number(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port), got {value}")
    return v


# --- voices ----------------------------------------------------------------------------------------------


def add_voice_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--model", type=Path, default=None, help="voice bundle directory (default: the default voice)")
    g.add_argument("--voice", default=None, metavar="NAME", help="an installed voice by name (`tts voices`)")


def voice_path(args: argparse.Namespace) -> Path:
    from ..voices import default_model_path, find_voice

    if getattr(args, "voice", None):
        return find_voice(args.voice)
    return args.model or default_model_path()


def add_precision_arg(p: argparse.ArgumentParser, backends: bool = False) -> None:
    if backends:
        p.add_argument("--backend", choices=["torch", "onnx"], default="torch",
                       help="torch (a voice bundle), or onnx: --model DIR made by `tts export-onnx`, run with "
                            "onnxruntime and numpy (the step counts and schedule are the exported ones)")
    p.add_argument("--precision", choices=["fp32", "bf16", "int8"] if backends else ["fp32", "bf16"], default="fp32",
                   help="fp32; bf16: denoiser weights (and a trained vocoder) in bfloat16, torch backend, pays "
                        "only on CPUs with native bfloat16 (AVX-512 BF16 or AMX)"
                        + ("; int8: the onnx backend's int8 step graphs (export with --int8)" if backends else ""))


def check_backend(args: argparse.Namespace) -> None:
    """The options of :func:`add_precision_arg` (``backends=True``) against the others: --backend onnx takes
    --model DIR (or --voice), fp32 or int8, the CPU and the exported schedule (where the command has
    --schedule); int8 needs the onnx backend."""
    if args.backend == "onnx":
        if args.precision == "bf16":
            raise CLIError("--precision bf16 is for the torch backend; the onnx backend runs fp32 or int8")
        if args.model is None and args.voice is None:
            raise CLIError("--backend onnx needs --model DIR, a directory made by `tts export-onnx`")
        if getattr(args, "schedule", "searched") != "searched":
            raise CLIError("--backend onnx serves the schedule chosen at export (tts export-onnx --schedule)")
        if args.device != "cpu":
            raise CLIError("--backend onnx runs on the CPU only")
    elif args.precision == "int8":
        raise CLIError("--precision int8 needs --backend onnx (a `tts export-onnx --int8` directory)")


def warn_slow_precision(precision: str) -> None:
    """One line on standard error when bf16 is asked for on a CPU that emulates it."""
    from ..precision import native_bf16

    if precision == "bf16" and not native_bf16():
        print("tts: warning: this CPU has no native bfloat16 (AVX-512 BF16 or AMX): bf16 runs many times slower "
              "than fp32 here", file=sys.stderr)


# --- paths, messages -------------------------------------------------------------------------------------


def check_output(path: Path) -> None:
    """A wav to write: in a writable directory that exists, not a directory itself."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CLIError(f"output {path} is a directory")
    if not parent.is_dir():
        raise CLIError(f"output directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"output directory {parent} is not writable")
    if path.suffix.lower() != ".wav":
        raise CLIError(f"output must be a .wav file, got {path.name}")


def check_report_path(path: Path | None, suffix: str, option: str) -> None:
    if path is None:
        return
    if path.suffix.lower() != suffix:
        raise CLIError(f"{option} must name a {suffix} file, got {path.name}")
    if path.is_dir():
        raise CLIError(f"{option} {path} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"{option}: directory {parent} does not exist")


def progress(msg: str) -> None:
    if sys.stderr.isatty():
        print(f"  {msg}", file=sys.stderr, flush=True)


def print_warnings(caught) -> None:
    for msg in sorted({str(c.message) for c in caught}):
        print(f"tts: warning: {msg}", file=sys.stderr)


@contextlib.contextmanager
def config_errors(*extra: type[Exception]):
    """Hydra / OmegaConf errors (unknown option, wrong type) become one-line CLI errors."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        yield
    except (HydraException, OmegaConfBaseException, *extra) as e:
        raise CLIError(f"bad configuration: {str(e).strip().splitlines()[0]}") from None


def load_lexicon(path: Path | None):
    """The --lexicon file, read before the voice is loaded (a bad line fails at once)."""
    if path is None:
        return None
    from ..text import Lexicon

    if path.is_dir():
        raise CLIError(f"--lexicon {path} is a directory")
    return Lexicon.load(path)
