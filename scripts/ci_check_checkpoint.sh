#!/usr/bin/env bash
# CI step: Python reads a checkpoint written by deepinit and reproduces its
# test accuracy exactly (scripts/check_checkpoint.py). Run from the repo root.
set -euo pipefail
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check safetensors numpy
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --release -p deepinit-cli --quiet -- train --layers 784,64,10 --epochs 1 \
    --train-limit 10000 --quiet --save "$out/model.safetensors" --json "$out/train.json"
cargo run --release -p deepinit-cli --quiet -- eval --model "$out/model.safetensors" \
    --quiet --json "$out/eval.json"
"$PY" scripts/check_checkpoint.py "$out/model.safetensors" "$out/train.json"
"$PY" scripts/check_checkpoint.py "$out/model.safetensors" "$out/eval.json"
