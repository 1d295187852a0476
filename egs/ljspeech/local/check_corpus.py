#!/usr/bin/env python
"""Check a downloaded LJSpeech-1.1 before preparing it: check_corpus.py CORPUS_DIR [--no-strict-checksum]."""

import argparse
import sys

from prodiff_tts.data.ljspeech import CorpusError, check_ljspeech, read_metadata


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus")
    ap.add_argument("--no-strict-checksum", action="store_true", help="accept an edited metadata.csv")
    ap.add_argument("--layout-only", action="store_true", help="any LJSpeech-format corpus (the tiny preset)")
    args = ap.parse_args()
    try:
        if args.layout_only:
            utts, problems = read_metadata(args.corpus)
            print(f"LJSpeech-format corpus: {len(utts)} rows, {len(problems)} unusable")
            return 0
        report = check_ljspeech(args.corpus, strict_checksum=not args.no_strict_checksum)
    except CorpusError as e:
        print(f"check_corpus: error: {e}", file=sys.stderr)
        return 2
    print(f"LJSpeech-1.1 OK: {report['clips']} clips, metadata.csv sha256 {report['metadata_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
