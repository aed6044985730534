//! Golden values of `Precision::Portable` GEMM: the exact bits of seeded
//! products, pinned once from this implementation. Portable precision rounds
//! every product, then every sum (never fused), in one order over k, so the
//! bits must be the same from every kernel and thread count, in every build,
//! and on every target: CI runs this file natively, with
//! `-C target-cpu=native`, on aarch64 and riscv64 (under QEMU) and on
//! wasm32-wasip1 (under wasmtime), and its table (`tests/golden/gemm.rs`) on
//! a Cortex-M4F and a soft-float RISC-V core (embedded/).
//!
//! Each case checks that every kernel and thread count gives the bits of
//! `gemm_naive` (the definition, one scalar operation at a time), then the
//! FNV-1a-64 hash of the f32 bit patterns of C (row by row, little-endian
//! bytes) and its first entries against the pinned values.

use deepinit::gemm::naive::gemm_naive;
use deepinit::gemm::{GemmConfig, Kernel, Precision, gemm_with, gemm_workspace_len};

include!("golden/support.rs");

/// Every (kernel, threads) this build and CPU can run.
fn configs() -> Vec<GemmConfig> {
    let threads: &[usize] = if cfg!(feature = "parallel") {
        &[1, 2]
    } else {
        &[1]
    };
    Kernel::ALL
        .into_iter()
        .filter(|k| k.is_supported())
        .flat_map(|kernel| {
            threads.iter().map(move |&threads| {
                GemmConfig::default()
                    .with_kernel(kernel)
                    .with_precision(Precision::Portable)
                    .with_threads(threads)
            })
        })
        .collect()
}

fn run(name: &str, case: &Case) {
    let (a_data, b_data, c0) = case.operands();
    let (a, b) = case.views(&a_data, &b_data).unwrap();
    // The definition, one scalar operation at a time, in the canonical order.
    let mut reference = c0.clone();
    gemm_naive(
        Precision::Portable,
        case.alpha,
        a,
        b,
        case.beta,
        case.c(&mut reference).unwrap(),
    );
    // Room for two threads: with one thread's workspace `gemm_with` runs on
    // one thread whatever the configuration says.
    let mut ws = vec![0.0; 2 * gemm_workspace_len(case.m, case.k, case.n)];
    for config in configs() {
        let mut c_data = c0.clone();
        let c = case.c(&mut c_data).unwrap();
        gemm_with(&config, case.alpha, a, b, case.beta, c, &mut ws);
        let n = case.n;
        let gaps_kept = c_data
            .chunks(case.c_stride)
            .zip(c0.chunks(case.c_stride))
            .all(|(got, old)| got[n..].iter().zip(&old[n..]).all(|(x, y)| x == y));
        assert!(gaps_kept, "{}: {config:?} wrote into C's gaps", name);
        let same = c_data
            .iter()
            .zip(&reference)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{}: {config:?} differs from gemm_naive", name);
        let (first, hash) = case.digest(&c_data);
        if hash != case.hash || first != case.first {
            let hex: Vec<String> = first.iter().map(|b| format!("0x{b:08x}")).collect();
            panic!(
                "{}: {config:?}: golden mismatch, got\n    first: [{}],\n    hash: 0x{hash:016x},",
                name,
                hex.join(", ")
            );
        }
    }
}

/// `golden_gemm! { name: Case { … }; … }` defines one test per case.
macro_rules! golden_gemm {
    ($($name:ident: Case { $($field:ident: $value:expr),* $(,)? };)*) => {$(
        #[test]
        fn $name() {
            run(stringify!($name), &Case { $($field: $value),* });
        }
    )*};
}

include!("golden/gemm.rs");
