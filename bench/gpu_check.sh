#!/usr/bin/env bash
# Chapter 6 on a machine with an NVIDIA GPU, in one go (a few minutes):
#   1. install PyCUDA (from a folder of downloaded sources/wheels if WHEELS is set,
#      for machines without network: see /work/shared/notes/cuda-without-gpu.md);
#   2. say what is available (python -m minitheano doctor);
#   3. run the gpu-marked tests and the whole chapter's tests;
#   4. time the GPU workloads (python -m bench.gpu_bench).
# Everything is written to gpu_check.log as well as shown.
# Usage: bash bench/gpu_check.sh            (from the repository root)
#        WHEELS=/path/to/wheels bash bench/gpu_check.sh
set -u
cd "$(dirname "$0")/.."
exec > >(tee gpu_check.log) 2>&1
echo "== $(date -u) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
if ! python -c "import pycuda.driver" 2>/dev/null; then
    if [ -n "${WHEELS:-}" ]; then
        pip install --no-index --find-links "$WHEELS" pycuda
    else
        pip install pycuda
    fi
fi
python -m minitheano doctor
python -m pytest tests/ch06_gpu_kernels -m "gpu or not gpu" -q -rs -p no:cacheprovider
python -m pytest tests/ch08_feedforward_nets/test_gpu_kernels.py tests/ch08_feedforward_nets/test_cuda_kernels.py -m "gpu or not gpu" -q -rs -p no:cacheprovider
python -m bench.gpu_bench
