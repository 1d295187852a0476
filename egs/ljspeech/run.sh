#!/usr/bin/env bash
# LJSpeech 1.1, ProDiff's recipe: teacher (encoder 4 x 256, WaveNet 20 x 256) -> distillation 4 -> 2 -> 1
# (ProDiff-exact mode: DIFFUSION=prodiff) or 8 -> 4 -> 2 -> 1 -> search -> HiFi-GAN V1, fine-tuned on the voice's
# own mels -> evaluate/benchmark.
#
#   bash egs/ljspeech/run.sh --corpus /data/LJSpeech-1.1 [--stage N] [--stop-stage M] [--dry-run]
#   bash egs/ljspeech/run.sh --preset tiny --corpus tests/data/ljs_tiny --exp DIR   # every stage, tiny, in minutes
#
# Environment: TRAINER (Hydra trainer option, default gpu), DEVICES, NODES (multi-GPU / multi-node through
# Lightning DDP; see README.md), DIFFUSION (continuous | prodiff), JOBS (prepare workers).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CORPUS="$here/data/LJSpeech-1.1"
PRESET=ljspeech
EXP="$here/exp"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --corpus) CORPUS="$2"; shift 2 ;;
    --preset) PRESET="$2"; shift 2 ;;
    --exp) EXP="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}

DATA="$EXP/data/prepared"
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
# stage 7: HiFi-GAN fine-tuned on the voice's own teacher-forced 2-step mels, as HiFi-GAN's authors fine-tune on
# their acoustic model's; it replaces the stage-4 vocoder in the bundle
OWN_MELS_VOCODER_EXPERIMENT=vocoder_ljspeech
OWN_MELS_VOCODER_ARGS=("${TRAIN_COMMON[@]}" "vocoder.init_from=$EXP/vocoder/export" "trainer.max_steps=100000")
OWN_MELS_EXPORT_ARGS=(--default bundle)
EVAL_ARGS=(--items 100 --asr)
CHECK_ARGS=()

if [ "$PRESET" = tiny ]; then  # the same stages on a tiny model and corpus (tests/data/ljs_tiny), on CPU
  JOBS=1
  TEACHER_EXPERIMENT=fixture
  VOCODER_EXPERIMENT=vocoder_fixture
  DISTILL_START=4
  SEARCH_STEPS="2"
  TRAIN_COMMON=("trainer=cpu")
  TEACHER_ARGS=("${TRAIN_COMMON[@]}" "trainer.max_steps=20" "trainer.val_check_interval=10")
  DISTILL_ARGS=("${TRAIN_COMMON[@]}" "distill.steps_per_round=3" "distill.eval_items=2")
  VOCODER_ARGS=()
  OWN_MELS_VOCODER_EXPERIMENT=vocoder_fixture
  OWN_MELS_VOCODER_ARGS=("vocoder.init_from=$EXP/vocoder/export" "vocoder.mel_only_steps=0")
  SEARCH_ARGS=("search.population=4" "search.iterations=1" "search.stage2_iterations=1" "search.items=2"
               "search.split=test")
  EVAL_ARGS=(--items 2 --steps 2)
  BENCH_ARGS=(--steps 2 --repeats 1 --warmup 0 --max-words 10 --threads 1)
  CHECK_ARGS=(--layout-only)
elif [ "$PRESET" != ljspeech ]; then
  echo "unknown preset: $PRESET (ljspeech | tiny)" >&2; exit 2
fi

corpus_stage() {
  run "${PYTHON:-python}" "$here/local/check_corpus.py" "$CORPUS" ${CHECK_ARGS[@]+"${CHECK_ARGS[@]}"}
}

source "$here/../../recipes/pipeline.sh"
