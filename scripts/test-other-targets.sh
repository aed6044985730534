#!/usr/bin/env bash
# Runs the library's test suite on targets other than the host, in
# emulators: aarch64 and riscv64 Linux under QEMU's user mode (the portable
# kernel: NEON on aarch64, scalar on riscv64) and wasm32-wasip1 under
# wasmtime. The golden tests (tests/init_golden.rs, tests/golden_gemm.rs)
# pin the same bits there as on x86-64: seeded weights and
# portable-precision products do not depend on the target.
#
#   scripts/test-other-targets.sh [aarch64] [riscv64] [wasm]   (default: all)
#
# Needs: the rustup targets aarch64-unknown-linux-gnu,
# riscv64gc-unknown-linux-gnu and wasm32-wasip1; Debian's qemu-user,
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross; a Python with wasmtime (PYTHON, default python3).
# .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(aarch64 riscv64 wasm)
# The suite of one Linux target under qemu-user: its triple, its gcc
# prefix, then tests to skip besides those named `…_in_child_processes`,
# which re-run their own test binary in child processes (qemu-user cannot
# start one without binfmt_misc).
linux_suite() {
    local triple=$1 gnu=$2 var
    shift 2
    var=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    env "CARGO_TARGET_${var}_LINKER=$gnu-gcc" \
        "CARGO_TARGET_${var}_RUNNER=qemu-${gnu%%-*} -L /usr/$gnu" \
        cargo test -p deepinit --release --target "$triple" --tests \
        -- --skip _in_child_processes "$@"
}

for t in "${TARGETS[@]}"; do
    case "$t" in
    aarch64) linux_suite aarch64-unknown-linux-gnu aarch64-linux-gnu ;;
    riscv64)
        # The one-epoch MNIST training test takes over two minutes of scalar
        # code under this emulator (it runs on the other targets).
        linux_suite riscv64gc-unknown-linux-gnu riscv64-linux-gnu \
            --skip one_epoch_of_784_64_10_learns_mnist
        ;;
    wasm)
        CARGO_TARGET_WASM32_WASIP1_RUNNER="$PYTHON $PWD/scripts/wasi-run.py" \
            cargo test -p deepinit --release --target wasm32-wasip1 --tests
        ;;
    *) echo "unknown target $t (aarch64, riscv64 or wasm)" >&2; exit 2 ;;
    esac
done
