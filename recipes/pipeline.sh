#!/usr/bin/env bash
# Corpus-independent prodiff-tts pipeline. An egs/<corpus>/run.sh sets the variables below, defines
# `corpus_stage` (build or check its corpus), then sources this file:
#
#   CORPUS  LJSpeech-format corpus dir     DATA  prepared cache dir     EXP  experiment dir
#   JOBS    prepare workers                VOICE, BUNDLE (bundle dir, written by stage 5)
#   TEACHER_EXPERIMENT, VOCODER_EXPERIMENT   Hydra experiments of the teacher and vocoder (VOCODER_EXPERIMENT
#                                            empty: no neural vocoder, the voice speaks through Griffin-Lim)
#   DISTILL_START / DISTILL_FINAL            distillation from K0 steps down to this many
#   SEARCH_STEPS                             step counts whose schedule is searched (stage 6)
#   OWN_MELS_VOCODER_EXPERIMENT              stage 7 (empty: skipped): a vocoder fine-tuned on the voice's own
#                                            OWN_MELS_STEPS-step mels (default 2), exported into the bundle
#   TEACHER_ARGS, VOCODER_ARGS, DISTILL_ARGS, EXPORT_ARGS, SEARCH_ARGS, OWN_MELS_VOCODER_ARGS,
#   OWN_MELS_EXPORT_ARGS, EVAL_ARGS, BENCH_ARGS   extra arguments (arrays)
# Options: --stage N --stop-stage M (inclusive) --dry-run (print each command, run nothing).
# Stages: 0 corpus, 1 prepare, 2 teacher, 3 distill, 4 vocoder, 5 export, 6 search, 7 vocoder on the voice's
# own mels, 8 evaluate, 9 benchmark. Every stage resumes from its checkpoints / cached files.
set -euo pipefail

stage=0
stop_stage=100
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage="$2"; shift 2 ;;
    --stop-stage) stop_stage="$2"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option: $1 (use --stage N --stop-stage M --dry-run)" >&2; exit 2 ;;
  esac
done

run() {
  echo "+ $*"
  if ! $dry_run; then "$@"; fi
}

want() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

: "${DISTILL_START:=8}" "${DISTILL_FINAL:=1}" "${SEARCH_STEPS:=2 4}" "${OWN_MELS_STEPS:=2}"
for a in TEACHER_ARGS VOCODER_ARGS DISTILL_ARGS EXPORT_ARGS SEARCH_ARGS OWN_MELS_VOCODER_ARGS OWN_MELS_EXPORT_ARGS \
  EVAL_ARGS BENCH_ARGS; do
  declare -p "$a" >/dev/null 2>&1 || declare -a "$a=()"
done

if want 0; then echo "== stage 0: corpus"; corpus_stage; fi
if want 1; then
  echo "== stage 1: prepare features"
  run tts prepare "$CORPUS" "$DATA" --jobs "$JOBS"
fi
if want 2; then
  echo "== stage 2: teacher"
  run tts train "experiment=$TEACHER_EXPERIMENT" "data.dir=$DATA" "run_dir=$EXP/teacher" ${TEACHER_ARGS[@]+"${TEACHER_ARGS[@]}"}
fi
if want 3; then
  echo "== stage 3: progressive distillation $DISTILL_START -> $DISTILL_FINAL steps"
  run tts distill --teacher "$EXP/teacher/checkpoints/last.ckpt" "experiment=$TEACHER_EXPERIMENT" "data.dir=$DATA" \
    "run_dir=$EXP/distill" "distill.start_steps=$DISTILL_START" "distill.final_steps=$DISTILL_FINAL" \
    ${DISTILL_ARGS[@]+"${DISTILL_ARGS[@]}"}
fi
vocoder_args=()
[ -n "${VOCODER_EXPERIMENT:-}" ] && vocoder_args=(--vocoder "$EXP/vocoder/export")
if want 4 && [ -z "${VOCODER_EXPERIMENT:-}" ]; then echo "== stage 4: vocoder: none (Griffin-Lim)"; fi
if want 4 && [ -n "${VOCODER_EXPERIMENT:-}" ]; then
  echo "== stage 4: vocoder"
  run tts train "experiment=$VOCODER_EXPERIMENT" "data.dir=$DATA" "run_dir=$EXP/vocoder" ${VOCODER_ARGS[@]+"${VOCODER_ARGS[@]}"}
fi
if want 5; then
  echo "== stage 5: export bundle"
  run tts export "$EXP/teacher/checkpoints/last.ckpt" "$BUNDLE" --voice "$VOICE" --distilled "$EXP/distill" \
    ${vocoder_args[@]+"${vocoder_args[@]}"} ${EXPORT_ARGS[@]+"${EXPORT_ARGS[@]}"}
fi
if want 6; then
  echo "== stage 6: schedule search"
  for k in $SEARCH_STEPS; do
    run tts search --model "$BUNDLE" --steps "$k" "experiment=$TEACHER_EXPERIMENT" "data.dir=$DATA" \
      "run_dir=$EXP/search" ${SEARCH_ARGS[@]+"${SEARCH_ARGS[@]}"}
  done
fi
if want 7 && [ -z "${OWN_MELS_VOCODER_EXPERIMENT:-}" ]; then echo "== stage 7: vocoder on the voice's own mels: none"; fi
if want 7 && [ -n "${OWN_MELS_VOCODER_EXPERIMENT:-}" ]; then
  # the voice's own mels (teacher-forced, so frames match the recordings) teach the vocoder what it will be given
  echo "== stage 7: vocoder on the voice's own $OWN_MELS_STEPS-step mels"
  run tts generate-mels "$BUNDLE" "$DATA" "$EXP/own_mels_k$OWN_MELS_STEPS" --steps "$OWN_MELS_STEPS" --schedule searched
  run tts train "experiment=$OWN_MELS_VOCODER_EXPERIMENT" "data.dir=$DATA" "run_dir=$EXP/vocoder_own_mels" \
    "vocoder.data.mel_dir=$EXP/own_mels_k$OWN_MELS_STEPS" ${OWN_MELS_VOCODER_ARGS[@]+"${OWN_MELS_VOCODER_ARGS[@]}"}
  run tts export-vocoder "$EXP/vocoder_own_mels/checkpoints/last.ckpt" "$BUNDLE" \
    ${OWN_MELS_EXPORT_ARGS[@]+"${OWN_MELS_EXPORT_ARGS[@]}"}
fi
if want 8; then
  echo "== stage 8: evaluate"
  run tts evaluate --model "$BUNDLE" --data "$DATA" --json "$EXP/evaluate.json" --plot "$EXP/evaluate.png" \
    ${EVAL_ARGS[@]+"${EVAL_ARGS[@]}"}
fi
if want 9; then
  echo "== stage 9: benchmark"
  run tts benchmark --model "$BUNDLE" --json "$EXP/benchmark.json" --plot "$EXP/benchmark.png" \
    ${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}
fi
