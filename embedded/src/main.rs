//! deepinit's golden values, computed on microcontroller cores.
//!
//! The firmware fills every initializer's buffer (784×256, or the entry's
//! fans) at seed 42 and runs every portable-precision GEMM case, exactly as
//! `tests/init_golden.rs` and `tests/golden_gemm.rs` do on the host, and
//! compares the bits with the same tables (`tests/golden/`, included
//! below). It prints one line per value
//! over semihosting and exits QEMU with status 0 only if every value matched:
//! the seeded weights and the portable products of the chip are the host's,
//! bit for bit. It also checks that memory the heap cannot give is an
//! error, not an abort: orthogonal's QR scratch at 784×256 on the Cortex-M4F
//! board, and an MLP whose weights exceed the heap, on both boards.
//!
//! Two cores, two kinds of arithmetic: a Cortex-M4F (single-precision FPU,
//! f64 in software), `cargo run --release` in this directory (needs the
//! `thumbv7em-none-eabihf` target and `qemu-system-arm`), and a RISC-V core
//! without an FPU (every float operation in software),
//! `cargo run --release --target riscv32imac-unknown-none-elf` (needs that
//! target and `qemu-system-riscv32`).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::mem::MaybeUninit;
#[cfg(target_arch = "arm")]
use cortex_m_rt::entry;
#[cfg(target_arch = "arm")]
use cortex_m_semihosting::{debug, hprintln};
use deepinit::activation::Activation;
use deepinit::gemm::{GemmConfig, Kernel, Precision, gemm_with, gemm_workspace_len};
use deepinit::init::{Distribution, FanMode, Fans, Init, InitError, Nonlinearity};
use deepinit::mlp::{BiasInit, Gradients, Mlp, MlpError};
use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
use embedded_alloc::LlffHeap;
#[cfg(target_arch = "riscv32")]
use riscv_rt::entry;
#[cfg(target_arch = "riscv32")]
use riscv_semihosting::{debug, hprintln};

/// The heap. The mps2-an386 board has 4 MiB of RAM: 3 MiB hold the largest
/// GEMM case (the 100×784·(256×784)ᵀ product, about 1.4 MB of operands) and
/// leave the rest to the stack. On the virt board the firmware has 64 MiB.
#[cfg(target_arch = "arm")]
const HEAP_BYTES: usize = 3 << 20;
#[cfg(not(target_arch = "arm"))]
const HEAP_BYTES: usize = 16 << 20;

/// Table entries a board cannot hold, with the error the initializer must
/// report instead of aborting: orthogonal's f64 QR scratch at 784×256 (two
/// buffers of 1.6 MB) does not fit the 3 MiB heap beside its 0.8 MB output.
#[cfg(target_arch = "arm")]
const REFUSED: &[(&str, InitError)] = &[(
    "orthogonal",
    InitError::ScratchTooLarge {
        init: "orthogonal",
        len: 784 * 256,
    },
)];
#[cfg(not(target_arch = "arm"))]
const REFUSED: &[(&str, InitError)] = &[];

/// The heap's memory (in .bss).
static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

include!("../../tests/golden/support.rs");

/// Prints the outcome of one value; true if it matched.
fn report(name: &str, first: &[u32], hash: u64, want_first: &[u32], want_hash: u64) -> bool {
    let ok = first == want_first && hash == want_hash;
    if ok {
        hprintln!("ok       {}", name);
    } else {
        hprintln!(
            "MISMATCH {}: first {:08x?}, hash {:016x}",
            name,
            first,
            hash
        );
    }
    ok
}

/// Fills the buffer of `fans` with `init` at seed 42 and checks it.
fn check_init(name: &str, init: Init, fans: Fans, first: [u32; 16], hash: u64) -> bool {
    let mut out = vec![f32::NAN; fans.fan_in * fans.fan_out];
    if let Some((_, refusal)) = REFUSED.iter().find(|(refused, _)| *refused == name) {
        let result = init.fill(&mut out, fans, &mut seeded(0));
        let ok = result == Err(*refusal) && out.iter().all(|v| v.is_nan());
        if ok {
            hprintln!("ok       {} refused on this board: {}", name, refusal);
        } else {
            hprintln!("MISMATCH {}: {:?} instead of {:?}", name, result, refusal);
        }
        return ok;
    }
    if let Err(e) = init.fill(&mut out, fans, &mut seeded(0)) {
        hprintln!("MISMATCH {}: {}", name, e);
        return false;
    }
    let got: Vec<u32> = out[..16].iter().map(|v| v.to_bits()).collect();
    report(name, &got, fnv1a64(&out), &first, hash)
}

/// Expands the init table into one function that checks every entry (the
/// firmware builds deepinit with `alloc`, so every entry's init exists and
/// the entries' `cfg` attributes are dropped).
macro_rules! golden_inits {
    ($($(#[$attr:meta])* $name:ident $(($($fans:expr),*))?: $init:expr, $first:expr, $hash:expr;)*) => {
        /// Checks every initializer; returns the number of mismatches.
        fn check_inits() -> usize {
            let mut failed = 0;
            $(failed += usize::from(!check_init(
                stringify!($name),
                $init,
                golden_fans!($($($fans),*)?),
                $first,
                $hash,
            ));)*
            failed
        }
    };
}

include!("../../tests/golden/inits.rs");

/// Runs one case with the portable kernel and precision and checks C.
fn check_gemm(name: &str, case: &Case) -> bool {
    let (a_data, b_data, mut c_data) = case.operands();
    let (Ok((a, b)), Ok(c)) = (case.views(&a_data, &b_data), case.c(&mut c_data)) else {
        hprintln!("MISMATCH {}: a shape the table gives is invalid", name);
        return false;
    };
    let config = GemmConfig::default()
        .with_kernel(Kernel::Portable)
        .with_precision(Precision::Portable)
        .with_threads(1);
    let mut ws = vec![0.0; gemm_workspace_len(case.m, case.k, case.n)];
    gemm_with(&config, case.alpha, a, b, case.beta, c, &mut ws);
    let (first, hash) = case.digest(&c_data);
    report(name, &first, hash, &case.first, case.hash)
}

/// Expands the GEMM table into one function that checks every case.
macro_rules! golden_gemm {
    ($($name:ident: Case { $($field:ident: $value:expr),* $(,)? };)*) => {
        /// Checks every GEMM case; returns the number of mismatches.
        fn check_gemms() -> usize {
            let mut failed = 0;
            $(failed += usize::from(!check_gemm(
                concat!("gemm ", stringify!($name)),
                &Case { $($field: $value),* },
            ));)*
            failed
        }
    };
}

include!("../../tests/golden/gemm.rs");

#[entry]
fn main() -> ! {
    // SAFETY: HEAP_MEM is used nowhere else, main runs once, and `init` is
    // called once, before any allocation; the pointer is taken without
    // creating a reference to the `static mut`.
    unsafe { HEAP.init((&raw mut HEAP_MEM).cast::<u8>() as usize, HEAP_BYTES) };
    let failed = check_inits() + check_gemms() + check_networks();
    if failed == 0 {
        hprintln!("all golden values match");
        exit(debug::EXIT_SUCCESS)
    } else {
        hprintln!("{} golden values differ", failed);
        exit(debug::EXIT_FAILURE)
    }
}

/// Networks on the heap: one whose first layer's weights exceed the whole
/// heap is an error (`MlpError::TooLarge`), not an allocation abort; a
/// small one is built, with its gradients and Adam's state. Returns the
/// number of failures.
fn check_networks() -> usize {
    let build = |hidden: usize| {
        Mlp::new(
            &[784, hidden, 10],
            Activation::Relu,
            &Init::xavier_uniform(1.0),
            &BiasInit::Default,
            &mut seeded(0),
        )
    };
    let mut failed = 0;
    let too_wide = HEAP_BYTES / (784 * 4) + 1;
    match build(too_wide) {
        Err(e @ MlpError::TooLarge { layer: 0 }) => {
            hprintln!("ok       mlp 784-{}-10 refused: {}", too_wide, e);
        }
        other => {
            hprintln!("MISMATCH mlp 784-{}-10: {:?}", too_wide, other.map(|_| ()));
            failed += 1;
        }
    }
    let small = build(64).and_then(|net| Ok((Gradients::try_new(&net)?, net)));
    let adam = OptimizerConfig::Adam(AdamConfig::new(1e-3));
    match small.map(|(_, net)| Optimizer::new(adam, &net.param_lens()).map(|_| net)) {
        Ok(Ok(net)) if net.param_count() == 784 * 64 + 64 + 64 * 10 + 10 => {
            hprintln!("ok       mlp 784-64-10 built, with its gradients and Adam's state");
        }
        other => {
            hprintln!("MISMATCH mlp 784-64-10: {:?}", other.map(|r| r.map(|_| ())));
            failed += 1;
        }
    }
    failed
}

/// Ends the run with `status` through semihosting (QEMU exits with it; on a
/// chip, semihosting needs a debugger attached); should that return, the
/// core sleeps.
fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    loop {
        #[cfg(target_arch = "arm")]
        cortex_m::asm::wfi();
        #[cfg(target_arch = "riscv32")]
        riscv::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    exit(debug::EXIT_FAILURE)
}
