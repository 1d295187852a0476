"""The package's one atomic writer (no dependencies beyond the standard library, so every layer can use it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "atomic_write_text"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], object], fsync: bool = False) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``: a kill never leaves a half-written file.

    The temporary file sits beside ``path`` (a rename across filesystems would be a copy) and its name ends
    in ``.tmp<pid>``, so a later run can tell a dead writer's leftovers from a live one's. ``fsync``: flush
    it to disk before the rename (checkpoints: a power cut must not leave an empty ``last.ckpt``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{os.getpid()}", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        if fsync:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        # mkstemp makes 0600 and some writers (safetensors) recreate the file 0600: the usual permissions
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """``atomic_write`` of a UTF-8 text file."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
