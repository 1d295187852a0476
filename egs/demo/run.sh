#!/usr/bin/env bash
# Demo voice: a Festival-built LJSpeech-format corpus (cmu_us_slt_arctic_hts), trained end to end on CPU.
#   bash egs/demo/run.sh [--stage N] [--stop-stage M] [--dry-run]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CORPUS="$here/data/corpus"
DATA="$here/data/prepared"
EXP="$here/exp"
JOBS="${JOBS:-2}"
TEACHER_EXPERIMENT=demo
VOCODER_EXPERIMENT=vocoder_demo
VOICE=slt_demo
BUNDLE="$here/exp/bundle"
# sized for one 3-hour session on 2 CPU cores (egs/demo/README.md has the timings)
DISTILL_ARGS=(distill.steps_per_round=800 trainer.threads=1)
# reconstruction-only, as shipped (a GAN phase, ~1.2 s a step on 2 idle threads, is untried by ear); the shipped vocoder
# is this run's best validation checkpoint (step 7,500), the stage's export is its last (step 8,000)
VOCODER_ARGS=(trainer.max_steps=8000 trainer.threads=1)
EXPORT_ARGS=(--weights-dtype float16 --teacher-steps 8 16)  # students serve 4, 2, 1; float16 keeps it < 60 MB
EVAL_ARGS=(--steps 1 2 4 8 --asr)

corpus_stage() {
  run bash "$here/local/build_corpus.sh"
}

source "$here/../../recipes/pipeline.sh"
