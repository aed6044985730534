//! `GemmConfig::skip_zeros`: with sparse operands (whole zero terms across
//! a tile, scattered zeros, −0 entries) every hinted product equals the
//! canonical product without the hint except for the sign of zero entries,
//! and all hinted runs — A or B hint, every kernel, both precisions' own
//! family, 1–3 threads — give the same bits; a zero sum that the canonical
//! order leaves as −0 comes out +0.

mod gemm_common;

use deepinit::gemm::{
    GemmConfig, Kernel, Precision, SkipZeros, gemm_with, gemm_workspace_len, naive::gemm_naive,
};
use deepinit::{MatMut, MatRef};
use gemm_common::{Buf, Gen, Layout, bits, layout};
use proptest::prelude::*;

fn kernels() -> Vec<Kernel> {
    Kernel::ALL
        .into_iter()
        .filter(|k| k.is_supported())
        .collect()
}

/// A sparse operand: each term (the shared dimension) is zero in every line
/// with probability `dead`, other entries are zero with probability `holes`
/// (a quarter of those −0), the rest uniform in [−1, 1).
#[allow(clippy::too_many_arguments)]
fn sparse(
    rows: usize,
    cols: usize,
    term_is_row: bool,
    layout: Layout,
    dead: f32,
    holes: f32,
    g: &mut Gen,
) -> Buf {
    let terms = if term_is_row { rows } else { cols };
    let unit = |g: &mut Gen| (g.f32() + 1.0) / 2.0;
    let dead_terms: Vec<bool> = (0..terms).map(|_| unit(g) < dead).collect();
    Buf::new(rows, cols, layout, f32::NAN, |i, j| {
        let t = if term_is_row { i } else { j };
        let u = unit(g);
        if dead_terms[t] || u < holes {
            if u < holes / 4.0 { -0.0 } else { 0.0 }
        } else {
            g.f32()
        }
    })
}

/// `C` (entries only, row-major) after one product.
#[allow(clippy::too_many_arguments)]
fn run(config: &GemmConfig, alpha: f32, a: &Buf, b: &Buf, beta: f32, c0: &Buf) -> Vec<f32> {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mut c = Buf {
        data: c0.data.clone(),
        ..*c0
    };
    let mut ws = vec![f32::NAN; gemm_workspace_len(m, k, n) * config.threads];
    gemm_with(
        config,
        alpha,
        a.view(),
        b.view(),
        beta,
        c.view_mut(),
        &mut ws,
    );
    c.entries()
}

fn canonical(precision: Precision, alpha: f32, a: &Buf, b: &Buf, beta: f32, c0: &Buf) -> Vec<f32> {
    let mut c = Buf {
        data: c0.data.clone(),
        ..*c0
    };
    gemm_naive(precision, alpha, a.view(), b.view(), beta, c.view_mut());
    c.entries()
}

/// One case: the operands' shapes, layouts and sparsity, α, β and the
/// seed of the values.
#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    n: usize,
    k: usize,
    la: Layout,
    lb: Layout,
    lc: Layout,
    dead: f32,
    holes: f32,
    alpha: f32,
    beta: f32,
    seed: u64,
}

/// Every hinted run of `case` (A or B hint, every kernel, 1–3 threads)
/// against the canonical product and against the other runs of its family.
fn check(case: Case) -> Result<(), TestCaseError> {
    let Case {
        m,
        n,
        k,
        la,
        lb,
        lc,
        dead,
        holes,
        alpha,
        beta,
        seed,
    } = case;
    let mut g = Gen(seed);
    let a = sparse(m, k, false, la, dead, holes, &mut g);
    let b = sparse(k, n, true, lb, dead, holes, &mut g);
    let c0 = Buf::new(m, n, lc, f32::NAN, |i, j| {
        if beta == 0.0 {
            f32::NAN
        } else {
            0.25 * (i as f32 - j as f32)
        }
    });
    for precision in [Precision::Fast, Precision::Portable] {
        let canon = canonical(precision, alpha, &a, &b, beta, &c0);
        let unfused = canonical(Precision::Portable, alpha, &a, &b, beta, &c0);
        // One set of bits per family: fused (the canonical fast order)
        // or not.
        let mut family: [Option<Vec<u32>>; 2] = [None, None];
        for kernel in kernels() {
            // The portable kernel fuses only where the target has an
            // FMA (wide's mul_add): its unhinted run says which.
            let plain = GemmConfig::default()
                .with_kernel(kernel)
                .with_precision(precision)
                .with_threads(1);
            let dense = bits(&run(&plain, alpha, &a, &b, beta, &c0));
            let fused = dense == bits(&canon);
            prop_assert!(
                fused || (kernel == Kernel::Portable && dense == bits(&unfused)),
                "unhinted {:?} {:?} not canonical",
                kernel,
                precision
            );
            let expect = if fused { &canon } else { &unfused };
            for threads in [1, 2, 3] {
                for skip in [SkipZeros::A, SkipZeros::B] {
                    let config = GemmConfig::default()
                        .with_kernel(kernel)
                        .with_precision(precision)
                        .with_threads(threads)
                        .with_skip_zeros(skip);
                    let got = run(&config, alpha, &a, &b, beta, &c0);
                    for (t, (&x, &y)) in got.iter().zip(expect).enumerate() {
                        prop_assert!(
                            x.to_bits() == y.to_bits() || (x == 0.0 && y == 0.0),
                            "C[{}] = {} against {} ({:?}, {:?}, {} threads, {:?})",
                            t,
                            x,
                            y,
                            kernel,
                            precision,
                            threads,
                            skip
                        );
                    }
                    // Kernels of one family agree bit for bit whatever
                    // the tiles and threads.
                    match &family[usize::from(fused)] {
                        None => family[usize::from(fused)] = Some(bits(&got)),
                        Some(f) => prop_assert_eq!(
                            f,
                            &bits(&got),
                            "{:?} {:?} {} threads {:?}",
                            kernel,
                            precision,
                            threads,
                            skip
                        ),
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn hinted_products_equal_the_canonical_up_to_zero_signs(
        // Large enough for the packed path (min(m, n) > 16, m·n·k > 64³),
        // small enough to keep the reference cheap; k crosses KC = 256.
        m in 40usize..100,
        n in 40usize..100,
        k in prop_oneof![100usize..140, 250usize..600],
        la in layout(),
        lb in layout(),
        lc in layout(),
        dead in prop_oneof![Just(0.0f32), Just(0.5), Just(0.9), Just(1.0)],
        holes in prop_oneof![Just(0.0f32), Just(0.5), Just(0.95)],
        alpha in prop_oneof![Just(1.0f32), Just(-0.5), -2.0f32..2.0],
        beta in prop_oneof![Just(0.0f32), Just(1.0), Just(-0.5)],
        seed in any::<u64>(),
    ) {
        prop_assume!(m * n * k > 64 * 64 * 64);
        check(Case { m, n, k, la, lb, lc, dead, holes, alpha, beta, seed })?;
    }
}

/// The shapes above seldom reach the 2²¹ multiply-adds a second thread
/// needs (one case in 80): these do, in row bands (2 and 3 of them) and in
/// column bands, with k across KC, so that the threaded hinted paths are
/// checked on every run.
#[test]
fn hinted_products_split_over_threads() {
    let shapes = [(96, 96, 600), (200, 160, 300), (64, 256, 300)];
    for (i, (m, n, k)) in shapes.into_iter().enumerate() {
        let case = Case {
            m,
            n,
            k,
            la: [Layout::RowMajor, Layout::ColGap(1), Layout::ColMajor][i],
            lb: [Layout::ColMajor, Layout::RowGap(2), Layout::RowMajor][i],
            lc: [Layout::RowGap(1), Layout::RowMajor, Layout::ColMajor][i],
            dead: 0.5,
            holes: 0.5,
            alpha: -0.5,
            beta: [0.0, 1.0, -0.5][i],
            seed: 0x5eed + i as u64,
        };
        if let Err(e) = check(case) {
            panic!("{case:?}: {e}");
        }
    }
}

/// A sum whose only nonzero term underflows to −0 under a fused
/// multiply-add stays −0 in the canonical fast order (the zero terms that
/// follow are −0 too), and comes out +0 with the hint, on every kernel and
/// thread count (without fusing, the sum is +0 either way).
#[test]
fn a_zero_sum_comes_out_positive() {
    // m·n·k above 2·2²¹, so that two threads split the product; k within
    // one block of KC = 256 terms (a second block's partial sum, +0, would
    // turn the −0 into +0).
    let (m, k, n) = (136, 250, 128);
    let mut a = vec![0.0f32; m * k];
    let mut b = vec![-1.0f32; k * n];
    a[0] = 1e-30;
    b[0] = -1e-30;
    let mut canon = vec![f32::NAN; m * n];
    gemm_naive(
        Precision::Fast,
        1.0,
        MatRef::from_row_major(&a, m, k).unwrap(),
        MatRef::from_row_major(&b, k, n).unwrap(),
        0.0,
        MatMut::from_row_major(&mut canon, m, n).unwrap(),
    );
    assert_eq!(canon[0].to_bits(), (-0.0f32).to_bits(), "canonical −0");
    for kernel in kernels() {
        for threads in [1, 2] {
            for skip in [SkipZeros::None, SkipZeros::A, SkipZeros::B] {
                let mut c = vec![f32::NAN; m * n];
                let mut ws = vec![0.0; gemm_workspace_len(m, k, n) * threads];
                let config = GemmConfig::default()
                    .with_kernel(kernel)
                    .with_precision(Precision::Fast)
                    .with_threads(threads)
                    .with_skip_zeros(skip);
                gemm_with(
                    &config,
                    1.0,
                    MatRef::from_row_major(&a, m, k).unwrap(),
                    MatRef::from_row_major(&b, k, n).unwrap(),
                    0.0,
                    MatMut::from_row_major(&mut c, m, n).unwrap(),
                    &mut ws,
                );
                let what = format!("{kernel:?}, {threads} threads, {skip:?}");
                match (skip, kernel) {
                    // The x86 kernels fuse; the portable one where the
                    // target has an FMA.
                    (SkipZeros::None, Kernel::Portable) => assert!(c[0] == 0.0, "{what}"),
                    (SkipZeros::None, _) => {
                        assert_eq!(c[0].to_bits(), (-0.0f32).to_bits(), "{what}")
                    }
                    _ => assert_eq!(c[0].to_bits(), 0.0f32.to_bits(), "{what}"),
                }
                // Every other entry sums −1e-30·0 and zeros: the canonical
                // bits (+0 or −0 as the order gives them) up to the sign.
                assert!(c.iter().zip(&canon).all(|(x, y)| x == y), "{what}");
            }
        }
    }
}
