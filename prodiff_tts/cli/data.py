"""``tts prepare``: an LJSpeech-format corpus -> feature cache, manifest, vocab and statistics."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import positive_int


def add_prepare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="LJSpeech-format corpus -> feature cache, manifest, vocab, stats")
    p.add_argument("corpus", type=Path, help="directory with metadata.csv and wavs/")
    p.add_argument("out", type=Path, help="output directory (resumable)")
    p.add_argument("--jobs", type=positive_int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--val-size", type=int, default=50)
    p.add_argument("--test-size", type=int, default=100)
    p.add_argument("--no-trim", action="store_true", help="keep leading/trailing silence")
    p.add_argument("--loudness", type=float, default=None, metavar="DBFS", help="normalize RMS level to DBFS")
    p.add_argument("--no-resample", action="store_true", help="skip clips at another sample rate")
    p.add_argument("--max-seconds", type=float, default=20.0)
    p.add_argument("--min-seconds", type=float, default=0.5)
    p.set_defaults(func=_run_prepare)


def _run_prepare(args: argparse.Namespace) -> int:
    from ..data.prepare import PrepareConfig, prepare_corpus

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
