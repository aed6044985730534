"""Runs a wasm32-wasip1 program (a test binary, say) in wasmtime:

    python scripts/wasi-run.py PROGRAM.wasm [ARGS...]

Cargo uses it as the target's runner (CARGO_TARGET_WASM32_WASIP1_RUNNER),
so `cargo test --target wasm32-wasip1` runs the tests in a wasm engine
(`pip install wasmtime`, 50.0.1 in CI). The program sees the host's file
system at "/" (tests name their files by absolute paths) and the
environment; its exit code, or 134 after a trap (a Rust panic aborts), is
the runner's.
"""

import os
import sys

import wasmtime


def main() -> int:
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, sys.argv[1])
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = sys.argv[1:]
    wasi.env = list(os.environ.items())
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir("/", "/")
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        print(f"wasi-run: {e}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main())
