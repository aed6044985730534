//! Fuzz target: `gemm_with` on arbitrary dimensions, strides, α, β, kernel
//! and precision equals the canonical-order reference `gemm_naive` bit for
//! bit, and never touches stride gaps of C.
#![no_main]

use arbitrary::Arbitrary;
use deepinit::gemm::{GemmConfig, Kernel, Precision, gemm_with, gemm_workspace_len, naive::gemm_naive};
use deepinit::{MatMut, MatRef};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    m: u8,
    k: u8,
    n: u8,
    /// Extra elements per row/column (stride gaps) of A, B, C.
    gaps: [u8; 3],
    /// Whether each operand is stored column-major.
    col_major: [bool; 3],
    alpha: i8,
    beta: i8,
    kernel: u8,
    portable: bool,
    threads: u8,
    seed: u64,
}

/// Buffer, row stride and column stride of a `rows × cols` operand.
fn layout(rows: usize, cols: usize, gap: usize, col_major: bool) -> (usize, usize, usize) {
    if col_major {
        let cs = rows + gap;
        (cs * cols.max(1), 1, cs)
    } else {
        let rs = cols + gap;
        (rs * rows.max(1), rs, 1)
    }
}

fn values(len: usize, seed: &mut u64) -> Vec<f32> {
    (0..len)
        .map(|_| {
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((*seed >> 40) as f32 / (1u64 << 23) as f32) - 1.0
        })
        .collect()
}

fuzz_target!(|x: Input| {
    let (m, k, n) = (usize::from(x.m % 80), usize::from(x.k % 80), usize::from(x.n % 80));
    let g = x.gaps.map(|g| usize::from(g % 5));
    let mut seed = x.seed;
    let (la, ars, acs) = layout(m, k, g[0], x.col_major[0]);
    let (lb, brs, bcs) = layout(k, n, g[1], x.col_major[1]);
    let (lc, crs, ccs) = layout(m, n, g[2], x.col_major[2]);
    let a = values(la, &mut seed);
    let b = values(lb, &mut seed);
    let c0 = values(lc, &mut seed);
    let (alpha, beta) = (f32::from(x.alpha) / 16.0, f32::from(x.beta) / 16.0);
    let kernels: Vec<Kernel> = Kernel::ALL.into_iter().filter(|k| k.is_supported()).collect();
    let kernel = kernels[usize::from(x.kernel) % kernels.len()];
    let precision = if x.portable { Precision::Portable } else { Precision::Fast };
    let threads = usize::from(x.threads % 3) + 1;
    let av = MatRef::from_strided(&a, m, k, ars, acs).unwrap();
    let bv = MatRef::from_strided(&b, k, n, brs, bcs).unwrap();
    let mut c = c0.clone();
    let mut ws = vec![f32::NAN; gemm_workspace_len(m, k, n) * threads];
    let config = GemmConfig { kernel, precision, threads };
    gemm_with(&config, alpha, av, bv, beta, MatMut::from_strided(&mut c, m, n, crs, ccs).unwrap(), &mut ws);
    let mut r = c0.clone();
    gemm_naive(precision, alpha, av, bv, beta, MatMut::from_strided(&mut r, m, n, crs, ccs).unwrap());
    // The portable kernel's fast precision fuses only when compiled with FMA.
    let loose = kernel == Kernel::Portable && precision == Precision::Fast;
    for (i, (&got, &want)) in c.iter().zip(&r).enumerate() {
        if loose {
            let tol = (k as f32 + 4.0) * f32::EPSILON * (k as f32 + 1.0) * (1.0 + alpha.abs() + beta.abs());
            assert!((got - want).abs() <= tol, "element {i}: {got} vs {want}");
        } else {
            assert_eq!(got.to_bits(), want.to_bits(), "element {i}: {got} vs {want}");
        }
    }
});
