"""Helpers of the robustness tests: the CLI run in-process, the one-line-error check, subprocess settings."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
TINY = DATA / "ljs_tiny"


@pytest.fixture
def tts(capsys):
    """``tts(*argv) -> (exit status, stdout, stderr)``: the real entry point, in this process."""
    from prodiff_tts.cli import main

    def run(*argv):
        capsys.readouterr()
        code = main([str(a) for a in argv])
        cap = capsys.readouterr()
        return code, cap.out, cap.err

    return run


def error_lines(err: str) -> list[str]:
    """The lines of stderr that `tts` wrote, without its warnings (Lightning's log lines are left out)."""
    return [ln for ln in err.splitlines() if re.match(r"tts( \w+)?: ", ln) and not ln.startswith("tts: warning")]


@pytest.fixture
def one_line_error():
    def check(code, err, *fragments):
        assert code == 2, err
        lines = error_lines(err)
        assert len(lines) == 1 and re.match(r"tts( \w+)?: error: ", lines[0]), err
        assert "Traceback" not in err and "internal error" not in err, err
        for f in fragments:
            assert f in lines[0], lines[0]
        return lines[0]

    return check


def subprocess_env() -> dict:
    """For `tts` run as a child process: one torch thread, no tty, the package importable as installed."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("TTS_DEBUG", None)
    return env


def tts_exe() -> list[str]:
    exe = Path(sys.executable).with_name("tts")
    return [str(exe)] if exe.exists() else [shutil.which("tts") or "tts"]


def copy_clips(dst: Path, copies: int, prefix: str) -> list[str]:
    """An LJSpeech-format corpus in ``dst``: ``copies`` copies of every ljs_tiny clip under new ids."""
    (dst / "wavs").mkdir(parents=True, exist_ok=True)
    rows = [line.split("|") for line in (TINY / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    out = []
    for k in range(copies):
        for uid, *text in rows:
            new = f"{prefix}{k}-{uid}"
            shutil.copyfile(TINY / "wavs" / f"{uid}.wav", dst / "wavs" / f"{new}.wav")
            out.append("|".join([new, *text]))
    (dst / "metadata.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    return [line.split("|")[0] for line in out]


@pytest.fixture
def make_corpus():
    """``make_corpus(dst, copies, prefix) -> ids``, see :func:`copy_clips`."""
    return copy_clips


@pytest.fixture
def child():
    """``(argv prefix of the tts executable, environment)`` for running `tts` as a child process."""
    return tts_exe(), subprocess_env()
