#!/usr/bin/env python3
"""Check that a deepinit checkpoint is a valid safetensors file that Python reads.

Loads the checkpoint with the `safetensors` package, runs the MLP's forward pass
in numpy (float32, x = pixel/255, h = act(x·Wᵀ + b), argmax of the last layer)
on the MNIST test set read from the .gz IDX files with gzip + numpy, and compares
the number of correctly classified images with the one deepinit reported in its
`--json` output (`deepinit train --json` or `deepinit eval --json`). It also
hashes the parameters as deepinit does (SHA-256 of `layers.{i}.weight`,
`layers.{i}.bias` as little-endian float32, layer by layer) and compares the
digest with the report's `weights_sha256`, so the report must be of this very
checkpoint. Exits 1 on a mismatch, 2 on unusable input.

    pip install safetensors numpy
    deepinit train --epochs 1 --save model.safetensors --json run.json
    python3 scripts/check_checkpoint.py model.safetensors run.json [--data data/mnist]
"""

import argparse
import gzip
import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file


def read_idx_gz(path: Path) -> np.ndarray:
    """Reads a gzip-compressed IDX file of unsigned bytes (type code 0x08)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an IDX file of u8 (magic {data[:4].hex()})")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {body.size} values, header says {dims}")
    return body.reshape(dims)


ACTIVATIONS = {
    "relu": lambda h: np.maximum(h, np.float32(0)),
    "sigmoid": lambda h: (np.float32(1) / (np.float32(1) + np.exp(-h))).astype(np.float32),
    "tanh": np.tanh,
    "identity": lambda h: h,
}


def forward(tensors: dict, metadata: dict, x: np.ndarray) -> np.ndarray:
    """Logits of the MLP stored in `tensors` for the rows of `x`."""
    sizes = [int(s) for s in metadata["architecture"].split(",")]
    act = ACTIVATIONS[metadata["activation"]]
    h = x
    for i in range(len(sizes) - 1):
        w, b = tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]
        if w.shape != (sizes[i + 1], sizes[i]) or b.shape != (sizes[i + 1],):
            raise ValueError(f"layer {i}: shapes {w.shape}, {b.shape} do not match {sizes}")
        h = (h @ w.T + b).astype(np.float32)
        if i + 2 < len(sizes):
            h = act(h)
    return h


def weights_sha256(tensors: dict, layers: int) -> str:
    """deepinit's `weights_sha256`: the parameters in checkpoint order as `<f4` bytes."""
    h = hashlib.sha256()
    for i in range(layers):
        for kind in ("weight", "bias"):
            h.update(np.ascontiguousarray(tensors[f"layers.{i}.{kind}"], dtype="<f4").tobytes())
    return h.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("report", type=Path, help="deepinit's --json output")
    parser.add_argument("--data", type=Path, default=Path("data/mnist"))
    args = parser.parse_args()

    try:
        tensors = load_file(str(args.checkpoint))
        with safe_open(str(args.checkpoint), framework="np") as f:
            metadata = f.metadata() or {}
        report = json.loads(args.report.read_text())
        images = read_idx_gz(args.data / "t10k-images-idx3-ubyte.gz")
        labels = read_idx_gz(args.data / "t10k-labels-idx1-ubyte.gz")
        n = int(report["test_samples"])
        expected = int(report["test_correct"])
        if not 0 < n <= len(labels):
            raise ValueError(f"the report's test_samples {n} is not in 1..{len(labels)}")
        layers = len(metadata["architecture"].split(",")) - 1
        digest = weights_sha256(tensors, layers)
        x = images[:n].reshape(n, -1).astype(np.float32) / np.float32(255)
        logits = forward(tensors, metadata, x)
    except (OSError, ValueError, KeyError, TypeError, IndexError, struct.error, SafetensorError) as e:
        # The safetensors reader raises its own error type; a binary file
        # given as the report raises one that holds all its bytes: one line,
        # cut short, without control characters.
        text = " ".join(f"{type(e).__name__}: {e}".split())
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
        if len(text) > 300:
            text = text[:300] + " …"
        print(f"check_checkpoint: cannot read the inputs: {text}", file=sys.stderr)
        return 2

    if digest != report.get("weights_sha256"):
        print(
            f"check_checkpoint: MISMATCH: the checkpoint's weights hash to {digest}, "
            f"the report names {report.get('weights_sha256')}",
            file=sys.stderr,
        )
        return 1
    predicted = logits.argmax(axis=1)
    correct = int((predicted == labels[:n]).sum())
    top2 = np.sort(logits, axis=1)[:, -2:]
    close = int((top2[:, 1] - top2[:, 0] < 1e-4).sum())
    print(
        f"{args.checkpoint}: {len(tensors)} tensors, architecture {metadata.get('architecture')}, "
        f"numpy {correct}/{n} correct ({100 * correct / n:.2f} %), deepinit {expected}/{n}"
    )
    if correct != expected:
        print(
            f"check_checkpoint: MISMATCH: numpy counts {correct} correct, deepinit {expected} "
            f"({close} images have a top-2 logit margin below 1e-4)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
