#!/usr/bin/env python
"""Synthesize the demo corpus (LJSpeech format) from egs/demo/sentences.txt with Festival.

    python egs/demo/local/build_corpus.py                 # all sentences -> egs/demo/data/corpus
    python egs/demo/local/build_corpus.py --limit 20 --out egs/demo/data/speedtest

Resumable: run it again after an interruption and finished clips are kept.
Festival speaks the text as normalized by prodiff_tts.text.normalize.normalize_text
(``--normalizer identity`` speaks the raw sentence instead).
Use build_corpus.sh to install Festival first when it is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from festival import DEFAULT_VOICE, FestivalNotFoundError, build_festival_corpus  # egs/demo/local/festival.py

DEMO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=Path, default=DEMO / "sentences.txt")
    ap.add_argument("--out", type=Path, default=DEMO / "data" / "corpus")
    ap.add_argument("--jobs", type=int, default=2, help="parallel Festival processes")
    ap.add_argument("--voice", default=DEFAULT_VOICE)
    ap.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    ap.add_argument("--sample-rate", type=int, default=22050)
    ap.add_argument("--id-prefix", default="DEMO")
    ap.add_argument("--normalizer", choices=("project", "identity"), default="project")
    args = ap.parse_args(argv)

    sentences = [ln.strip() for ln in args.sentences.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if args.limit is not None:
        sentences = sentences[: args.limit]
    normalize = None
    if args.normalizer == "project":
        try:
            from prodiff_tts.text.normalize import normalize_text as normalize
        except ImportError as e:
            print(f"cannot import prodiff_tts.text.normalize ({e}); use --normalizer identity", file=sys.stderr)
            return 2
    print(f"{len(sentences)} sentences from {args.sentences} -> {args.out} (normalizer: {args.normalizer}, jobs: {args.jobs})")
    try:
        summary = build_festival_corpus(
            sentences, args.out, voice=args.voice, jobs=args.jobs, normalize=normalize,
            sample_rate=args.sample_rate, id_prefix=args.id_prefix,
        )
    except FestivalNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0 if summary.clips else 1


if __name__ == "__main__":
    sys.exit(main())
