#!/usr/bin/env bash
# Corpus-independent prodiff-tts pipeline. An egs/<corpus>/run.sh sets the variables below, defines
# `corpus_stage` (build or check its corpus), then sources this file:
#
#   CORPUS   LJSpeech-format corpus dir        DATA     prepared cache dir        EXP  experiment dir
#   TEACHER_EXPERIMENT / VOCODER_EXPERIMENT    Hydra experiment names            VOICE, BUNDLE
#   JOBS     worker processes for prepare      TEACHER_ARGS / VOCODER_ARGS  extra Hydra overrides (arrays)
#
# Options: --stage N --stop-stage M (inclusive) --dry-run (print each command, run nothing).
# Every stage resumes: rerunning a stage continues from its last checkpoint / cached files.
set -euo pipefail

stage=0
stop_stage=100
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage="$2"; shift 2 ;;
    --stop-stage) stop_stage="$2"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option: $1 (use --stage N --stop-stage M --dry-run)" >&2; exit 2 ;;
  esac
done

run() {
  echo "+ $*"
  if ! $dry_run; then "$@"; fi
}

want() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

TEACHER_ARGS=("${TEACHER_ARGS[@]+"${TEACHER_ARGS[@]}"}")
VOCODER_ARGS=("${VOCODER_ARGS[@]+"${VOCODER_ARGS[@]}"}")

if want 0; then echo "== stage 0: corpus"; corpus_stage; fi
if want 1; then
  echo "== stage 1: prepare features"
  run tts prepare "$CORPUS" "$DATA" --jobs "$JOBS"
fi
if want 2; then
  echo "== stage 2: teacher"
  run tts train "experiment=$TEACHER_EXPERIMENT" "data.dir=$DATA" "run_dir=$EXP/teacher" "${TEACHER_ARGS[@]}"
fi
if want 5; then
  echo "== stage 5: vocoder"
  run tts train "experiment=$VOCODER_EXPERIMENT" "data.dir=$DATA" "run_dir=$EXP/vocoder" "${VOCODER_ARGS[@]}"
fi
if want 8; then
  echo "== stage 8: export bundle"
  run tts export "$EXP/teacher/checkpoints/last.ckpt" "$BUNDLE" --voice "$VOICE"
fi
