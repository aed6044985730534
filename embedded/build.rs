//! Puts the board's memory layout, as memory.x, where the runtime's link.x
//! looks for it: QEMU's mps2-an386 for the Cortex-M4F, its virt board for
//! riscv32.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let layout = match arch.as_str() {
        "riscv32" => "memory-riscv-virt.x",
        _ => "memory-mps2-an386.x",
    };
    fs::copy(layout, out.join("memory.x")).expect("copy the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={layout}");
}
