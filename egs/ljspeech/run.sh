#!/usr/bin/env bash
# LJSpeech 1.1, ProDiff's recipe: teacher (encoder 4 x 256, WaveNet 20 x 256) -> distillation 4 -> 2 -> 1
# (ProDiff-exact mode: DIFFUSION=prodiff) or 8 -> 4 -> 2 -> 1 -> search -> HiFi-GAN V1 -> evaluate/benchmark.
#
#   bash egs/ljspeech/run.sh --corpus /data/LJSpeech-1.1 [--stage N] [--stop-stage M] [--dry-run]
#
# Environment: TRAINER (Hydra trainer option, default gpu), DEVICES, NODES (multi-GPU / multi-node through
# Lightning DDP; see README.md), DIFFUSION (continuous | prodiff), JOBS (prepare workers).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CORPUS="$here/data/LJSpeech-1.1"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}

DATA="$here/data/prepared"
EXP="$here/exp"
JOBS="${JOBS:-$(nproc)}"
VOICE=ljspeech
BUNDLE="$EXP/bundle"
TEACHER_EXPERIMENT=ljspeech
VOCODER_EXPERIMENT=vocoder_ljspeech
DIFFUSION="${DIFFUSION:-continuous}"
if [ "$DIFFUSION" = prodiff ]; then DISTILL_START=4; else DISTILL_START=8; fi
DISTILL_FINAL=1
SEARCH_STEPS="2 4"
TRAIN_COMMON=("trainer=${TRAINER:-gpu}" "trainer.devices=${DEVICES:-1}" "trainer.num_nodes=${NODES:-1}")
TEACHER_ARGS=("${TRAIN_COMMON[@]}" "diffusion=$DIFFUSION")
DISTILL_ARGS=("${TRAIN_COMMON[@]}" "diffusion=$DIFFUSION" "distill.steps_per_round=20000")
VOCODER_ARGS=("${TRAIN_COMMON[@]}")
EVAL_ARGS=(--items 100 --asr)

corpus_stage() {
  run "${PYTHON:-python}" "$here/local/check_corpus.py" "$CORPUS"
}

source "$here/../../recipes/pipeline.sh"
