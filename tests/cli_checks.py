"""Assertions shared by the CLI tests (importable because tests/conftest.py puts tests/ on sys.path)."""

from __future__ import annotations


def one_line_error(capsys, code: int, *fragments: str) -> str:
    """The command exited 2 with exactly one ``... error: ...`` line on stderr holding every fragment."""
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and " error: " in lines[0] and "Traceback" not in err, err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]
