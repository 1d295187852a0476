#!/usr/bin/env bash
# One-shot check of the GPU path on a lent CUDA machine (issue [gpu]); logs and reports go to $OUT (default ./gpu_out).
#   bash recipes/gpu_check.sh
# 1. a venv with the CUDA build of torch in the project's range and the package; 2. the CUDA tests;
# 3. ProDiff-size teacher (model=ljspeech) on the test fixture, bf16-mixed, 300 steps: step time and peak memory;
# 4. tts benchmark --device cuda on the shipped voice (1, 2, 4 steps, batch 1 and batched).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
nvidia-smi || true
python3 -m venv .venv-gpu && . .venv-gpu/bin/activate
pip install -q --upgrade pip
pip install -q 'torch>=2.1,<2.14' && pip install -q -e ".[dev]"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
python -m pytest -q -m cuda tests/gpu 2>&1 | tee "$OUT/cuda_tests.log"
data="$OUT/fixture_prepared"
tts prepare tests/data/ljs_tiny "$data" --jobs 4
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > "$OUT/gpu_mem_mib.txt" &
mem_pid=$!
start=$(date +%s)
tts train experiment=fixture model=ljspeech trainer=gpu trainer.max_steps=300 trainer.val_check_interval=100 \
  trainer.log_every_n_steps=10 data.batch_size=16 "data.dir=$data" "run_dir=$OUT/teacher_ljspeech_size"
echo "300 bf16-mixed steps of model=ljspeech: $(( $(date +%s) - start )) s wall, including validation"
kill "$mem_pid" 2>/dev/null || true
echo "peak GPU memory used while training: $(sort -n "$OUT/gpu_mem_mib.txt" | tail -1) MiB (nvidia-smi, every 0.5 s)"
tts benchmark --device cuda --steps 1 2 4 --repeats 5 --json "$OUT/benchmark_cuda.json" | tee "$OUT/benchmark_cuda.txt"
