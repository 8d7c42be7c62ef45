#!/usr/bin/env bash
# The GPU check on a CUDA machine with no network: install the wheels `python benchmarks/gpu_check.py --prepare`
# put in .whl/ (carried with the working tree) beside the machine's own torch, triton, transformers and peft, then
# run every part. Writes gpu_check.json into $OUT (or the current folder).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 DS_BUILD_OPS=0 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 benchmarks/gpu_check.py "$@"
