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
# The check can fail: a report of other weights (one digest digit changed)
# must be refused with exit code 1.
"$PY" - "$out/eval.json" "$out/other.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["weights_sha256"]
r["weights_sha256"] = ("1" if d[0] != "1" else "2") + d[1:]
json.dump(r, open(sys.argv[2], "w"))
PYEOF
set +e
"$PY" scripts/check_checkpoint.py "$out/model.safetensors" "$out/other.json"
code=$?
set -e
if [ "$code" -ne 1 ]; then
    echo "check_checkpoint.py accepted a report of other weights (exit $code)" >&2
    exit 1
fi
echo "check_checkpoint.py refuses a report of other weights: ok"
# Unusable input is exit code 2 with one short line: a truncated checkpoint
# (the safetensors reader's own error), and the checkpoint given as the
# report (bytes that are not text).
head -c 100 "$out/model.safetensors" > "$out/truncated.safetensors"
for args in "$out/truncated.safetensors $out/eval.json" \
            "$out/model.safetensors $out/model.safetensors"; do
    set +e
    # shellcheck disable=SC2086
    "$PY" scripts/check_checkpoint.py $args 2> "$out/stderr"
    code=$?
    set -e
    lines=$(wc -l < "$out/stderr")
    bytes=$(wc -c < "$out/stderr")
    if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ] || [ "$bytes" -gt 400 ]; then
        echo "check_checkpoint.py $args: exit $code, $lines lines, $bytes bytes on stderr:" >&2
        head -c 2000 "$out/stderr" >&2
        exit 1
    fi
done
echo "check_checkpoint.py refuses unusable input with exit 2 and one line: ok"
