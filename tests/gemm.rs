//! GEMM against an f64 reference (tolerance `γ_k·Σ|α||a||b| + |β||c|`), and
//! against the canonical-order reference `gemm_naive` bit for bit, over
//! shapes 0…70, every layout, α/β in {0, 1, −0.5, random}, every kernel this
//! CPU supports and both precisions; NaN sentinels in C (β = 0) and in every
//! stride gap.

#[cfg(feature = "std")]
mod child;
mod gemm_common;

use deepinit::gemm::{
    GemmConfig, Kernel, Precision, gemm_with, gemm_workspace_len, naive::gemm_naive,
};
use gemm_common::{Buf, Gen, Layout, gamma, layout, reference};
use proptest::prelude::*;

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![
            0usize, 1, 2, 3, 5, 7, 13, 16, 17, 31, 32, 33, 47, 61, 64, 67, 70
        ]),
        0usize..=70,
    ]
}

fn scalar() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(1.0), Just(-0.5), -2.0f32..2.0]
}

fn kernel() -> impl Strategy<Value = Kernel> {
    let ks: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| k.is_supported())
        .collect();
    prop::sample::select(ks)
}

/// Whether the kernel's `Fast` precision fuses (the portable kernel fuses only
/// when the crate is compiled with FMA; its bits then match one of the two).
fn fast_matches(kernel: Kernel, got: &[f32], fused: &[f32], unfused: &[f32]) -> bool {
    let eq = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits());
    match kernel {
        Kernel::Portable => eq(got, fused) || eq(got, unfused),
        _ => eq(got, fused),
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    (m, k, n): (usize, usize, usize),
    (la, lb, lc): (Layout, Layout, Layout),
    alpha: f32,
    beta: f32,
    kernel: Kernel,
    precision: Precision,
    threads: usize,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut g = Gen(seed);
    let a = Buf::new(m, k, la, f32::NAN, |_, _| g.f32());
    let b = Buf::new(k, n, lb, f32::NAN, |_, _| g.f32());
    let c_init = if beta == 0.0 { f32::NAN } else { 0.25 };
    let c0 = Buf::new(m, n, lc, -7.0, |i, j| {
        if beta == 0.0 {
            f32::NAN
        } else {
            c_init * (i as f32 - j as f32)
        }
    });
    let mut c = Buf {
        data: c0.data.clone(),
        ..c0
    };
    let c0 = Buf::new(m, n, lc, -7.0, |i, j| {
        if beta == 0.0 {
            f32::NAN
        } else {
            c_init * (i as f32 - j as f32)
        }
    });
    let (val, mag) = reference(alpha, a.view(), b.view(), beta, c0.view());
    let mut ws = vec![f32::NAN; gemm_workspace_len(m, k, n) * threads];
    let config = GemmConfig::default()
        .with_kernel(kernel)
        .with_precision(precision)
        .with_threads(threads);
    gemm_with(
        &config,
        alpha,
        a.view(),
        b.view(),
        beta,
        c.view_mut(),
        &mut ws,
    );
    // Gaps untouched (the sentinel is −7, never a result of these inputs).
    for (idx, (&x, &e)) in c.data.iter().zip(&c.is_entry()).enumerate() {
        if !e {
            prop_assert_eq!(x.to_bits(), (-7.0f32).to_bits(), "gap {} changed", idx);
        }
    }
    let gam = gamma(k);
    let v = c.view_mut();
    let mut got = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let x = v.read(i, j);
            got[i * n + j] = x;
            let err = (f64::from(x) - val[i * n + j]).abs();
            prop_assert!(
                x.is_finite() && err <= gam * mag[i * n + j],
                "C[{},{}] = {} vs {} (bound {})",
                i,
                j,
                x,
                val[i * n + j],
                gam * mag[i * n + j]
            );
        }
    }
    // Bit-exact against the canonical order.
    let canon = |p: Precision| {
        let mut c = Buf {
            data: c0.data.clone(),
            rows: m,
            cols: n,
            layout: lc,
        };
        gemm_naive(p, alpha, a.view(), b.view(), beta, c.view_mut());
        c.entries()
    };
    let unfused = canon(Precision::Portable);
    if precision == Precision::Portable {
        prop_assert!(
            got.iter()
                .zip(&unfused)
                .all(|(p, q)| p.to_bits() == q.to_bits()),
            "not canonical (portable)"
        );
    } else {
        prop_assert!(
            fast_matches(kernel, &got, &canon(Precision::Fast), &unfused),
            "not canonical (fast)"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn matches_reference(
        m in dim(), k in dim(), n in dim(),
        la in layout(), lb in layout(), lc in layout(),
        alpha in scalar(), beta in scalar(),
        kernel in kernel(),
        portable in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let precision = if portable { Precision::Portable } else { Precision::Fast };
        check((m, k, n), (la, lb, lc), alpha, beta, kernel, precision, 1, seed)?;
    }
}

/// Shapes that cross every blocking boundary (MC = 48, KC = 256, NC = 1024)
/// and the packed/direct/narrow switches, on every supported kernel, with A packed
/// (column-major, or rows 4 KiB apart) and read in place (rows contiguous
/// along k, with and without gaps, partial row tiles). The packing tile
/// that takes over A's packing when the operands exceed L2 is checked on
/// small shapes by a unit test in `gemm::blocked`.
#[test]
fn crosses_block_boundaries() {
    let shapes = [
        (197, 40, 40),
        (20, 600, 24),
        (18, 20, 1030),
        (40, 257, 50),
        (17, 17, 17),
        (45, 1024, 40),
        // Rows 4 KiB apart in two row blocks (48 + 9) and three column
        // tiles (32 + 32 + 6).
        (57, 1024, 70),
        // Row counts the AVX-512 10-row in-place tile takes, in row blocks
        // of 40 (100 = 40 + 40 + 20, 90 = 40 + 40 + 10); 70 and 33 columns
        // end in partial column tiles.
        (100, 300, 70),
        (90, 120, 33),
        // Narrow outputs (AVX-512 narrow kernel when A's rows are
        // contiguous, either orientation): 6 blocks of 16 rows + 4 rows
        // left to the row-broadcast kernel, k in 4 blocks of 196 = 12·16 + 4
        // terms; 15 rows left (≥ n + 2) in a partly filled block, k = 37;
        // 12 columns, 13 rows left (< n + 2); matrix-vector either side.
        (100, 784, 10),
        (63, 37, 3),
        (45, 64, 12),
        (40, 100, 1),
        (1, 300, 40),
        // One or two rows of C over 128-column calls (AVX-512 wide direct
        // kernel when B and C have unit column stride): 128 + 128 + 44
        // columns with k in 4 blocks; 128 + 2 columns; 17 columns.
        (1, 784, 300),
        (2, 37, 130),
        (2, 100, 17),
    ];
    for (s, &(m, k, n)) in shapes.iter().enumerate() {
        for kernel in Kernel::ALL.into_iter().filter(|k| k.is_supported()) {
            for precision in [Precision::Fast, Precision::Portable] {
                for (la, lb, lc) in [
                    (Layout::RowMajor, Layout::RowMajor, Layout::RowMajor),
                    (Layout::ColGap(2), Layout::RowGap(1), Layout::ColMajor),
                    (Layout::RowGap(3), Layout::ColMajor, Layout::RowGap(2)),
                ] {
                    check(
                        (m, k, n),
                        (la, lb, lc),
                        0.75,
                        0.0,
                        kernel,
                        precision,
                        1,
                        s as u64,
                    )
                    .unwrap();
                    check(
                        (m, k, n),
                        (la, lb, lc),
                        1.0,
                        -0.5,
                        kernel,
                        precision,
                        1,
                        s as u64,
                    )
                    .unwrap();
                }
            }
        }
    }
}

fn run_bits(m: usize, k: usize, n: usize, kernel: Kernel, threads: usize) -> Vec<u32> {
    let mut g = Gen(42);
    let a: Vec<f32> = (0..m * k).map(|_| g.f32()).collect();
    let b: Vec<f32> = (0..k * n).map(|_| g.f32()).collect();
    let mut c: Vec<f32> = (0..m * n).map(|_| g.f32()).collect();
    let mut ws = vec![0.0; gemm_workspace_len(m, k, n) * threads];
    let config = GemmConfig::default()
        .with_kernel(kernel)
        .with_precision(Precision::Fast)
        .with_threads(threads);
    gemm_with(
        &config,
        1.5,
        deepinit::MatRef::from_row_major(&a, m, k).unwrap(),
        deepinit::MatRef::from_row_major(&b, k, n).unwrap(),
        0.5,
        deepinit::MatMut::from_row_major(&mut c, m, n).unwrap(),
        &mut ws,
    );
    c.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn avx2_and_avx512_give_identical_bits() {
    if !(Kernel::Avx2.is_supported() && Kernel::Avx512.is_supported()) {
        eprintln!("skipped: this CPU lacks AVX2 or AVX-512");
        return;
    }
    for (m, k, n) in [
        (300, 700, 290),
        (100, 256, 10),
        (1, 300, 513),
        (64, 64, 64),
        (100, 784, 256),
    ] {
        assert_eq!(
            run_bits(m, k, n, Kernel::Avx2, 1),
            run_bits(m, k, n, Kernel::Avx512, 1),
            "{m}×{k}×{n}"
        );
    }
}

#[cfg(feature = "parallel")]
#[test]
fn one_and_two_threads_give_identical_bits() {
    let kernel = Kernel::best();
    // Row bands (m ≥ n), column bands (the MLP's 100×784·784×256 and
    // 256×100·100×784), bands ending in a partial grain, and 3 bands; and
    // rows of A 4 KiB apart with operands beyond L2 (the packing tile, B
    // packed by rows).
    for (m, k, n) in [
        (400, 300, 350),
        (257, 513, 129),
        (100, 784, 256),
        (256, 100, 784),
        (200, 1024, 1024),
    ] {
        let one = run_bits(m, k, n, kernel, 1);
        for threads in [2, 3] {
            assert_eq!(
                one,
                run_bits(m, k, n, kernel, threads),
                "{m}×{k}×{n}, {threads} threads"
            );
        }
    }
}

#[test]
#[should_panic(expected = "a.cols()")]
fn dimension_mismatch_panics() {
    let x = [0.0f32; 6];
    let mut c = [0.0f32; 4];
    let a = deepinit::MatRef::from_row_major(&x, 2, 3).unwrap();
    deepinit::gemm::gemm(
        1.0,
        a,
        a,
        0.0,
        deepinit::MatMut::from_row_major(&mut c, 2, 2).unwrap(),
        &mut [],
    );
}

#[test]
#[should_panic(expected = "workspace")]
fn short_workspace_panics() {
    let x = [0.0f32; 64 * 64];
    let mut c = [0.0f32; 64 * 64];
    let a = deepinit::MatRef::from_row_major(&x, 64, 64).unwrap();
    let mut ws = vec![0.0; gemm_workspace_len(64, 64, 64) - 1];
    deepinit::gemm::gemm(
        1.0,
        a,
        a,
        0.0,
        deepinit::MatMut::from_row_major(&mut c, 64, 64).unwrap(),
        &mut ws,
    );
}

#[cfg(feature = "alloc")]
/// The owning forms give the same bits as `gemm` with a caller workspace,
/// and the runner's workspace grows across differently sized calls. A
/// runner configured for any number of threads sizes its workspace for the
/// threads a product can use (`usize::MAX` overflowed the size).
#[test]
fn owning_forms_match_gemm() {
    use deepinit::gemm::{Gemm, gemm, gemm_alloc};
    let mut runner = Gemm::new();
    let mut many = Gemm::with_config(GemmConfig::default().with_threads(usize::MAX));
    for (m, k, n) in [
        (3, 5, 7),
        (70, 33, 90),
        (1, 600, 20),
        (20, 20, 1),
        (160, 100, 256),
    ] {
        let mut g = Gen((m * 1000 + n) as u64);
        let a: Vec<f32> = (0..m * k).map(|_| g.f32()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| g.f32()).collect();
        let c0: Vec<f32> = (0..m * n).map(|_| g.f32()).collect();
        let av = deepinit::MatRef::from_row_major(&a, m, k).unwrap();
        let bv = deepinit::MatRef::from_row_major(&b, k, n).unwrap();
        let run = |f: &mut dyn FnMut(deepinit::MatMut<'_>)| {
            let mut c = c0.clone();
            f(deepinit::MatMut::from_row_major(&mut c, m, n).unwrap());
            c.iter().map(|x| x.to_bits()).collect::<Vec<u32>>()
        };
        let mut ws = vec![0.0; gemm_workspace_len(m, k, n)];
        let want = run(&mut |c| gemm(0.5, av, bv, -1.0, c, &mut ws));
        assert_eq!(run(&mut |c| gemm_alloc(0.5, av, bv, -1.0, c)), want);
        assert_eq!(run(&mut |c| runner.run(0.5, av, bv, -1.0, c)), want);
        assert_eq!(run(&mut |c| many.run(0.5, av, bv, -1.0, c)), want);
    }
}

/// A small product (a side of C of at most 16, or at most 64³ terms) runs
/// unpacked and asks only for that path's scratch, `kc·16 + 16` floats, so
/// a firmware's matrix-vector products fit a small static buffer. Each
/// kernel, with and without skipping zeros, runs in exactly that much
/// (NaN-filled, and the floats past it untouched) and gives the reference
/// bits.
#[test]
#[cfg_attr(miri, ignore = "under Miri the packed path starts at 8³ terms")]
fn small_products_need_only_the_unpacked_scratch() {
    use deepinit::gemm::SkipZeros;
    assert_eq!(gemm_workspace_len(1, 784, 128), 196 * 16 + 16); // kc = 196
    assert_eq!(gemm_workspace_len(4, 784, 256), 196 * 16 + 16);
    assert_eq!(gemm_workspace_len(64, 64, 64), 64 * 16 + 16);
    for (m, k, n) in [
        (1, 784, 128),
        (4, 784, 256),
        (64, 64, 64),
        (300, 5, 16),
        (16, 300, 500),
    ] {
        let mut g = Gen((m * 7 + k * 3 + n) as u64);
        // Zeros in both operands, so that skipping them has work to do.
        let mut fill = |len: usize| -> Vec<f32> {
            (0..len)
                .map(|_| if g.f32() > 0.3 { g.f32() } else { 0.0 })
                .collect()
        };
        let (a, b) = (fill(m * k), fill(k * n));
        let av = deepinit::MatRef::from_row_major(&a, m, k).unwrap();
        let bv = deepinit::MatRef::from_row_major(&b, k, n).unwrap();
        let mut want = vec![0.0; m * n];
        let cw = deepinit::MatMut::from_row_major(&mut want, m, n).unwrap();
        gemm_naive(Precision::Portable, 1.0, av, bv, 0.0, cw);
        let need = gemm_workspace_len(m, k, n);
        for kernel in Kernel::ALL.into_iter().filter(|k| k.is_supported()) {
            for skip in [SkipZeros::None, SkipZeros::A, SkipZeros::B] {
                let config = GemmConfig::default()
                    .with_kernel(kernel)
                    .with_precision(Precision::Portable)
                    .with_skip_zeros(skip);
                let mut ws = vec![f32::NAN; need + 64];
                let mut c = vec![0.0; m * n];
                let cv = deepinit::MatMut::from_row_major(&mut c, m, n).unwrap();
                gemm_with(&config, 1.0, av, bv, 0.0, cv, &mut ws[..need]);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&c), bits(&want), "{m}×{k}·{k}×{n} {kernel:?} {skip:?}");
                assert!(
                    ws[need..].iter().all(|x| x.is_nan()),
                    "wrote past the workspace"
                );
            }
        }
    }
}

/// `gemm_workspace_len_up_to` covers every smaller product, though the
/// exact need is not monotone in k (equal k blocks: 256 terms need more
/// than 257), and equals the exact need while k ≤ KC.
#[test]
fn workspace_up_to_covers_every_smaller_product() {
    use deepinit::gemm::{KC, gemm_workspace_len_up_to};
    assert!(gemm_workspace_len(300, 256, 784) > gemm_workspace_len(300, 257, 784));
    for (m, n) in [(1, 128), (16, 300), (100, 784), (300, 20), (784, 256)] {
        for k in [100, 256, 300, 784, 1100] {
            let most = gemm_workspace_len_up_to(m, k, n);
            if k <= KC {
                assert_eq!(most, gemm_workspace_len(m, k, n), "{m}×{k}·{k}×{n}");
            }
            for kk in 1..=k {
                for (mm, nn) in [(m, n), (m.div_ceil(2), n), (m, n.div_ceil(3)), (1, 1)] {
                    assert!(
                        gemm_workspace_len(mm, kk, nn) <= most,
                        "{mm}×{kk}·{kk}×{nn} needs more than up_to({m}, {k}, {n}) = {most}"
                    );
                }
            }
        }
    }
}

#[test]
fn kernel_names_round_trip() {
    for (k, name) in Kernel::ALL.into_iter().zip(["portable", "avx2", "avx512"]) {
        assert_eq!(Kernel::from_name(name), Some(k));
    }
    assert_eq!(Kernel::from_name("sse"), None);
    assert!(Kernel::best().is_supported() && Kernel::selected().is_supported());
}

/// `DEEPINIT_KERNEL` picks the kernel (and with it the x86 ReLU and Adam
/// code): a supported name, spaces trimmed, wins; an unknown or
/// unsupported one, or none, leaves the fastest. Each case runs in a child
/// process: the choice is cached, and tests must not set their own
/// environment.
#[cfg(feature = "std")]
#[test]
#[cfg_attr(target_os = "wasi", ignore = "WASI has no child processes")]
fn deepinit_kernel_picks_the_kernel_in_child_processes() {
    let best = Kernel::best();
    let or_best = |k: Kernel| if k.is_supported() { k } else { best };
    let cases = [
        (Some("portable"), Kernel::Portable),
        (Some(" avx2\n"), or_best(Kernel::Avx2)),
        (Some("avx512"), or_best(Kernel::Avx512)),
        (Some("AVX2"), best),
        (Some("fastest"), best),
        (Some(""), best),
        (None, best),
    ];
    for (value, expected) in cases {
        child::run_in_child(
            "child_sees_the_selected_kernel",
            &[
                (
                    "DEEPINIT_TEST_EXPECT_KERNEL",
                    Some(&format!("{expected:?}")),
                ),
                ("DEEPINIT_KERNEL", value),
            ],
        );
    }
}

#[cfg(feature = "std")]
#[test]
#[ignore = "run by deepinit_kernel_picks_the_kernel_in_child_processes"]
fn child_sees_the_selected_kernel() {
    let expect = std::env::var("DEEPINIT_TEST_EXPECT_KERNEL").unwrap();
    assert_eq!(format!("{:?}", Kernel::selected()), expect);
}
