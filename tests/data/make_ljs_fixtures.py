#!/usr/bin/env python
"""Rebuild the LJSpeech-format fixtures tests/data/ljs_tiny and tests/data/ljs_bad.

    python tests/data/make_ljs_fixtures.py

Needs Festival (apt-get install festival festvox-us-slt-hts). ljs_tiny: 20 short
clips synthesized by build_festival_corpus (egs/demo/local/festival.py), with
Festival's word/phone alignments. ljs_bad: 4 good clips copied from ljs_tiny plus
one row per defect that `tts prepare` must survive (see ljs_bad/README.md).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from prodiff_tts.text.normalize import normalize_text

HERE = Path(__file__).resolve().parent
TINY = HERE / "ljs_tiny"
BAD = HERE / "ljs_bad"
FESTIVAL = HERE.parents[1] / "egs" / "demo" / "local" / "festival.py"  # the demo recipe's corpus builder


def _load_festival():  # type: ignore[no-untyped-def]
    """The recipe module egs/demo/local/festival.py, loaded by path (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("demo_festival", FESTIVAL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


SENTENCES = [
    "The cat sat on the mat.",
    "Dr. Smith arrived at noon.",
    "We bought 12 eggs today.",
    "Is the kettle boiling yet?",
    "What a lovely morning!",
    "She sells fresh bread daily.",
    "Mr. Brown paid $5.",
    "Meet me at 7:15pm.",
    "Turn left on Main St.",
    "The FBI called twice.",
    "Birds sing in the spring.",
    "My brother plays the violin.",
    "Please close the window.",
    "The river froze in January.",
    "Prices rose 5%.",
    "He ran 3 km.",
    "Where did you put the keys?",
    "Thick fog covered the valley.",
    "Quick, grab the umbrella!",
    "It happened on May 5th, 2021.",
]
BAD_README = """# ljs_bad: an LJSpeech-format corpus with broken entries

Rebuilt by `tests/data/make_ljs_fixtures.py`. `tts prepare` must skip and report
every BAD row (with its ID and reason) and keep the four good TINY rows.

| row | defect | wav |
|---|---|---|
| TINY-00001, -00003, -00005, -00013 | none (copies from ljs_tiny, with alignments) | good |
| BAD-01 | the wav file is missing | absent |
| BAD-02 | the wav file is empty (0 bytes, no header) | 0 bytes |
| BAD-03 | the wav has a valid header and zero samples | 44 bytes |
| BAD-04 | the wav is stereo (22050 Hz, 16-bit, 2 channels) | stereo |
| BAD-05 | the row has two columns (no normalized text) | good |
| BAD-06 | the line is Latin-1, not UTF-8 ("café" as byte 0xE9) | good |
"""

GOOD_IN_BAD = ["TINY-00001", "TINY-00003", "TINY-00005", "TINY-00013"]


def build_tiny() -> None:
    shutil.rmtree(TINY, ignore_errors=True)
    summary = _load_festival().build_festival_corpus(SENTENCES, TINY, jobs=2, normalize=normalize_text, id_prefix="TINY")
    assert summary.clips == len(SENTENCES), summary
    (TINY / "build_summary.json").unlink()  # wall times: not fixture material


def build_bad() -> None:
    shutil.rmtree(BAD, ignore_errors=True)
    (BAD / "wavs").mkdir(parents=True)
    (BAD / "alignments").mkdir()
    rows: dict[str, str] = {}
    for line in (TINY / "metadata.csv").read_text(encoding="utf-8").splitlines():
        rows[line.split("|", 1)[0]] = line
    lines: list[bytes] = []
    for clip_id in GOOD_IN_BAD:
        shutil.copy(TINY / "wavs" / f"{clip_id}.wav", BAD / "wavs" / f"{clip_id}.wav")
        for ext in ("words", "segs", "txt"):
            shutil.copy(TINY / "alignments" / f"{clip_id}.{ext}", BAD / "alignments" / f"{clip_id}.{ext}")
        lines.append(rows[clip_id].encode("utf-8"))
    good_wav = TINY / "wavs" / f"{GOOD_IN_BAD[0]}.wav"
    audio, sr = sf.read(good_wav, dtype="int16")

    # BAD-01: the row's wav does not exist.
    lines.append(b"BAD-01|This clip has no wav file.|this clip has no wav file .")
    # BAD-02: empty wav (0 bytes, not even a header).
    (BAD / "wavs" / "BAD-02.wav").write_bytes(b"")
    lines.append(b"BAD-02|This wav file is empty.|this wav file is empty .")
    # BAD-03: a valid WAV header with zero samples.
    sf.write(BAD / "wavs" / "BAD-03.wav", np.zeros(0, dtype=np.int16), sr, subtype="PCM_16")
    lines.append(b"BAD-03|This wav has no samples.|this wav has no samples .")
    # BAD-04: stereo.
    sf.write(BAD / "wavs" / "BAD-04.wav", np.stack([audio, audio], axis=1), sr, subtype="PCM_16")
    lines.append(b"BAD-04|This wav is stereo.|this wav is stereo .")
    # BAD-05: a row with only two columns (the wav itself is fine).
    shutil.copy(good_wav, BAD / "wavs" / "BAD-05.wav")
    lines.append(b"BAD-05|This row lacks its normalized column.")
    # BAD-06: a line that is not UTF-8 (Latin-1 bytes; the wav itself is fine).
    shutil.copy(good_wav, BAD / "wavs" / "BAD-06.wav")
    lines.append("BAD-06|The caf\u00e9 is not UTF-8.|the caf\u00e9 is not utf eight .".encode("latin-1"))
    (BAD / "metadata.csv").write_bytes(b"\n".join(lines) + b"\n")
    (BAD / "README.md").write_text(BAD_README, encoding="utf-8")


if __name__ == "__main__":
    build_tiny()
    build_bad()
    print(f"wrote {TINY} and {BAD}")
