#!/usr/bin/env bash
# Interleaved speed comparison of `deepinit train` with the reference PyTorch
# script of the same lesson: ROUNDS times, one deepinit run then one PyTorch
# run, each printing its median epoch (training pass) and the ratio.
#
#   scripts/speed-vs-pytorch.sh ROUNDS mlp3|deep5 THREADS EPOCHS
#
# PYTORCH_MLP: the reference script (default scripts/pytorch_mlp.py);
# PYTHON: an interpreter with torch and numpy (default python3). Shared
# machines drift by a quarter within an hour: compare only rows of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:?rounds}; ARCH=${2:?mlp3 or deep5}; THREADS=${3:?threads}; EPOCHS=${4:?epochs}
PYTORCH_MLP=${PYTORCH_MLP:-scripts/pytorch_mlp.py}
PYTHON=${PYTHON:-python3}
case "$ARCH" in
    mlp3) LAYERS=784,256,256,10 ;;
    deep5) LAYERS=784,512,512,512,512,10 ;;
    *) echo "arch must be mlp3 or deep5" >&2; exit 2 ;;
esac
cargo build --release -q -p deepinit-cli
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for _ in $(seq "$ROUNDS"); do
    target/release/deepinit train --layers "$LAYERS" --init xavier-uniform \
        --epochs "$EPOCHS" --threads "$THREADS" --quiet --json "$TMP/d.json"
    MNIST_DIR=$PWD/data/mnist "$PYTHON" "$PYTORCH_MLP" --arch "$ARCH" --init xavier \
        --epochs "$EPOCHS" --threads "$THREADS" --out "$TMP/p.json" >/dev/null
    python3 - "$TMP/d.json" "$TMP/p.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
a = statistics.median(e["seconds"] for e in d["epochs"])
b = statistics.median(p["epoch_secs"])
print(f"deepinit {a:.3f} s  pytorch {b:.3f} s  ratio {a / b:.3f}", flush=True)
PY
done
