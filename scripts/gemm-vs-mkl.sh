#!/usr/bin/env bash
# 1024³ single-thread GEMM of deepinit beside Intel MKL (PyTorch's torch.mm
# with one thread), alternated ROUNDS times in one window: each round runs
# the GEMM bench's quick table for 1024³ (FMA peak, deepinit, matrixmultiply,
# gemm: medians of 15 interleaved rounds) and then 15 timings of torch.mm
# (median and best, GFLOP/s).
#
#   scripts/gemm-vs-mkl.sh ROUNDS
#
# PYTHON: an interpreter with torch (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?rounds}
PYTHON=${PYTHON:-python3}
for _ in $(seq "$ROUNDS"); do
    GEMM_ROUNDS=15 GEMM_QUICK="1024^3" cargo bench -q --bench gemm 2>/dev/null |
        grep -E "^FMA peak|^1024"
    MKL_NUM_THREADS=1 OMP_NUM_THREADS=1 "$PYTHON" - <<'PY'
import statistics, time, torch
torch.set_num_threads(1)
n = 1024
a, b, c = torch.rand(n, n), torch.rand(n, n), torch.empty(n, n)
rates = []
for _ in range(15):
    t = time.perf_counter()
    for _ in range(5):
        torch.mm(a, b, out=c)
    rates.append(2 * n**3 / ((time.perf_counter() - t) / 5) / 1e9)
print(f"torch.mm (MKL) 1024^3, 1 thread: median {statistics.median(rates):.1f}"
      f" best {max(rates):.1f} GFLOP/s", flush=True)
PY
done
