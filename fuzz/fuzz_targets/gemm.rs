//! Fuzz target: `gemm_with` on arbitrary dimensions, strides, α, β, kernel,
//! precision and zero-skipping hint equals the canonical-order reference
//! `gemm_naive` bit for bit (up to the sign of zeros with the hint, on
//! operands with whole zero terms and scattered zeros), and never touches
//! stride gaps of C.
#![no_main]

use arbitrary::Arbitrary;
use deepinit::gemm::{
    GemmConfig, Kernel, Precision, SkipZeros, gemm_with, gemm_workspace_len, naive::gemm_naive,
};
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
    /// 0: no hint, 1: A, 2: B.
    skip: u8,
    /// Zero every term p ≡ `sparse` (mod 4) of A and B, and about a third
    /// of the other entries, when below 4.
    sparse: u8,
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
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((*seed >> 40) as f32 / (1u64 << 23) as f32) - 1.0
        })
        .collect()
}

fuzz_target!(|x: Input| {
    let (m, k, n) = (
        usize::from(x.m % 80),
        usize::from(x.k % 80),
        usize::from(x.n % 80),
    );
    let g = x.gaps.map(|g| usize::from(g % 5));
    let mut seed = x.seed;
    let (la, ars, acs) = layout(m, k, g[0], x.col_major[0]);
    let (lb, brs, bcs) = layout(k, n, g[1], x.col_major[1]);
    let (lc, crs, ccs) = layout(m, n, g[2], x.col_major[2]);
    let mut a = values(la, &mut seed);
    let mut b = values(lb, &mut seed);
    if x.sparse < 4 {
        let dead = usize::from(x.sparse);
        for (rows, cols, rs, cs, buf, term_is_col) in [
            (m, k, ars, acs, &mut a, true),
            (k, n, brs, bcs, &mut b, false),
        ] {
            for i in 0..rows {
                for j in 0..cols {
                    let e = &mut buf[i * rs + j * cs];
                    let p = if term_is_col { j } else { i };
                    if p % 4 == dead || e.to_bits() % 3 == 0 {
                        *e = 0.0;
                    }
                }
            }
        }
    }
    let c0 = values(lc, &mut seed);
    let (alpha, beta) = (f32::from(x.alpha) / 16.0, f32::from(x.beta) / 16.0);
    let kernels: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| k.is_supported())
        .collect();
    let kernel = kernels[usize::from(x.kernel) % kernels.len()];
    let precision = if x.portable {
        Precision::Portable
    } else {
        Precision::Fast
    };
    let threads = usize::from(x.threads % 3) + 1;
    let av = MatRef::from_strided(&a, m, k, ars, acs).unwrap();
    let bv = MatRef::from_strided(&b, k, n, brs, bcs).unwrap();
    let mut c = c0.clone();
    let mut ws = vec![f32::NAN; gemm_workspace_len(m, k, n) * threads];
    let skip_zeros = [SkipZeros::None, SkipZeros::A, SkipZeros::B][usize::from(x.skip % 3)];
    let config = GemmConfig::default()
        .with_kernel(kernel)
        .with_precision(precision)
        .with_threads(threads)
        .with_skip_zeros(skip_zeros);
    gemm_with(
        &config,
        alpha,
        av,
        bv,
        beta,
        MatMut::from_strided(&mut c, m, n, crs, ccs).unwrap(),
        &mut ws,
    );
    let mut r = c0.clone();
    gemm_naive(
        precision,
        alpha,
        av,
        bv,
        beta,
        MatMut::from_strided(&mut r, m, n, crs, ccs).unwrap(),
    );
    // The portable kernel's fast precision fuses only when compiled with FMA.
    let loose = kernel == Kernel::Portable && precision == Precision::Fast;
    for (i, (&got, &want)) in c.iter().zip(&r).enumerate() {
        if loose {
            let tol = (k as f32 + 4.0)
                * f32::EPSILON
                * (k as f32 + 1.0)
                * (1.0 + alpha.abs() + beta.abs());
            assert!((got - want).abs() <= tol, "element {i}: {got} vs {want}");
        } else if skip_zeros == SkipZeros::None {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "element {i}: {got} vs {want}"
            );
        } else {
            // Zero sums may come out +0 where the canonical order gives −0.
            assert!(
                got.to_bits() == want.to_bits() || (got == 0.0 && want == 0.0),
                "element {i}: {got} vs {want}"
            );
        }
    }
});
