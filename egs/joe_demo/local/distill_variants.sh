#!/usr/bin/env bash
# [distill] comparison on the joe voice: plain progressive distillation (ProDiff) against the same rounds with
# an adversarial term (ADD-style mel discriminator) in the 4 -> 2 round, both from the same teacher, one
# thread each (the plain run goes on to 1 step).
#   bash egs/joe_demo/local/distill_variants.sh [ADV_WEIGHT]
# Each run resumes from its round checkpoints; the round tables land in exp/distill/k*/table.md and
# exp/distill_adv_wADV_WEIGHT/k2/table.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
adv="${1:-0.02}"
common=(experiment=demo "data.dir=$here/data/prepared" distill.start_steps=4 distill.steps_per_round=800
  trainer.threads=1)
tts distill --teacher "$here/exp/teacher/checkpoints/last.ckpt" "${common[@]}" distill.final_steps=1 \
  "run_dir=$here/exp/distill" \
  > "$here/logs/distill.log" 2>&1 &
tts distill --teacher "$here/exp/teacher/checkpoints/last.ckpt" "${common[@]}" distill.final_steps=2 \
  "run_dir=$here/exp/distill_adv_w$adv" "distill.adversarial_weight=$adv" distill.adversarial_max_steps=2 > "$here/logs/distill_adv_w$adv.log" 2>&1 &
wait
