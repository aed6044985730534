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
for t in "${TARGETS[@]}"; do
    case "$t" in
    aarch64)
        # env_var_then_default re-runs its own test binary in a child
        # process, which qemu-user cannot start without binfmt_misc.
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
            cargo test -p deepinit --release --target aarch64-unknown-linux-gnu --tests \
            -- --skip env_var_then_default
        ;;
    riscv64)
        # As aarch64; the one-epoch MNIST training test is skipped too: its
        # scalar code takes over two minutes under this emulator (it runs
        # on the other targets).
        CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_LINKER=riscv64-linux-gnu-gcc \
        CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_GNU_RUNNER="qemu-riscv64 -L /usr/riscv64-linux-gnu" \
            cargo test -p deepinit --release --target riscv64gc-unknown-linux-gnu --tests \
            -- --skip env_var_then_default --skip one_epoch_of_784_64_10_learns_mnist
        ;;
    wasm)
        CARGO_TARGET_WASM32_WASIP1_RUNNER="$PYTHON $PWD/scripts/wasi-run.py" \
            cargo test -p deepinit --release --target wasm32-wasip1 --tests
        ;;
    *) echo "unknown target $t (aarch64, riscv64 or wasm)" >&2; exit 2 ;;
    esac
done
