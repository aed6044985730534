//! Every path of the GEMM's `unsafe` code on shapes small enough for Miri:
//! the direct and narrow paths, the packed path across a KC block, the
//! sparse path, and the thread pool, on every kernel the build supports,
//! with operands in every layout (stride gaps hold sentinels that must
//! stay untouched). Under Miri the library lowers the volumes at which
//! products leave the direct path and take a second thread, so these
//! shapes reach the packed and threaded code; natively they are a quick
//! extra check of the direct paths. CI runs this file under Miri with
//! AVX2 enabled, which also covers the portable kernel:
//!
//! ```text
//! RUSTFLAGS="-C target-feature=+avx2,+fma" MIRIFLAGS=-Zmiri-ignore-leaks \
//!     cargo +nightly miri test -p deepinit --features parallel --test gemm_miri
//! ```
//!
//! (`-Zmiri-ignore-leaks`: the pool's worker threads live as long as the
//! process, by design, and Miri reports threads still running at exit.)

mod gemm_common;

use deepinit::gemm::{
    GemmConfig, Kernel, Precision, SkipZeros, gemm_with, gemm_workspace_len, naive::gemm_naive,
};
use deepinit::{MatMut, MatRef};
use gemm_common::{Buf, Gen, Layout, gamma, reference};

/// Operands of one shape and layout: with `zeros`, about 60 % of A's and
/// B's entries are ±0 (for the zero-skipping paths).
struct Operands {
    a: Buf,
    b: Buf,
    layout_c: Layout,
    zeros: bool,
}

impl Operands {
    fn new(
        (m, k, n): (usize, usize, usize),
        (la, lb, lc): (Layout, Layout, Layout),
        zeros: bool,
    ) -> Self {
        let mut g = Gen((m * 1_000_000 + k * 1000 + n) as u64);
        let mut entry = move |_, _| {
            let v = g.f32();
            match v {
                _ if !zeros || v > 0.2 => v,
                _ if v > -0.2 => -0.0,
                _ => 0.0,
            }
        };
        let a = Buf::new(m, k, la, f32::NAN, &mut entry);
        let b = Buf::new(k, n, lb, f32::NAN, &mut entry);
        Self {
            a,
            b,
            layout_c: lc,
            zeros,
        }
    }

    /// C before the product; its stride gaps hold −7.
    fn c0(&self) -> Buf {
        Buf::new(self.a.rows, self.b.cols, self.layout_c, -7.0, |i, j| {
            0.25 * (i as f32 - j as f32)
        })
    }

    /// `C ← 1.5·A·B − 0.5·C`: the entries, row-major, and the buffer.
    fn product(&self, run: impl FnOnce(MatRef<'_>, MatRef<'_>, MatMut<'_>)) -> (Vec<f32>, Buf) {
        let mut c = self.c0();
        run(self.a.view(), self.b.view(), c.view_mut());
        let (m, n) = (self.a.rows, self.b.cols);
        let v = c.view();
        ((0..m * n).map(|t| v.read(t / n, t % n)).collect(), c)
    }
}

/// Runs every supported kernel in both precisions on the operands and
/// checks that no stride gap of C changed and that the result is the
/// canonical one, bit for bit (a skipped zero term may change only the
/// sign of a zero sum). Under Miri the fused canonical order is not
/// computed (`libm::fmaf` runs x86 assembly there, or in software
/// slower than the product itself): the fused results must be within the
/// rounding bound of an f64 reference and identical across kernels.
fn check(ops: &Operands, threads: usize, skip: SkipZeros) {
    let (m, k, n) = (ops.a.rows, ops.a.cols, ops.b.cols);
    let canonical = |p| ops.product(|a, b, c| gemm_naive(p, 1.5, a, b, -0.5, c)).0;
    let unfused = canonical(Precision::Portable);
    let mut fused = (!cfg!(miri)).then(|| canonical(Precision::Fast));
    let c0 = ops.c0();
    let (val, mag) = reference(1.5, ops.a.view(), ops.b.view(), -0.5, c0.view());
    let same = |x: &[f32], y: &[f32]| {
        x.iter()
            .zip(y)
            .all(|(p, q)| p.to_bits() == q.to_bits() || (ops.zeros && *p == 0.0 && *q == 0.0))
    };
    for kernel in Kernel::ALL.into_iter().filter(|k| k.is_supported()) {
        for precision in [Precision::Fast, Precision::Portable] {
            let config = GemmConfig::default()
                .with_kernel(kernel)
                .with_precision(precision)
                .with_threads(threads)
                .with_skip_zeros(skip);
            let mut ws = vec![f32::NAN; gemm_workspace_len(m, k, n) * threads];
            let (got, c) = ops.product(|a, b, c| gemm_with(&config, 1.5, a, b, -0.5, c, &mut ws));
            let what = format!(
                "{m}×{k}×{n} {:?} {:?} {:?} {kernel:?} {precision:?} {threads} threads {skip:?}",
                ops.a.layout, ops.b.layout, ops.layout_c
            );
            for (t, (&x, &is_entry)) in c.data.iter().zip(&c.is_entry()).enumerate() {
                assert!(
                    is_entry || x.to_bits() == (-7.0f32).to_bits(),
                    "{what}: gap {t} of C changed"
                );
            }
            for (t, &x) in got.iter().enumerate() {
                let err = (f64::from(x) - val[t]).abs();
                assert!(
                    err <= gamma(k) * mag[t],
                    "{what}: C[{t}] = {x}, exact {}",
                    val[t]
                );
            }
            // The portable kernel fuses only where the build has FMA.
            let canonical = match (precision, &fused) {
                (Precision::Portable, _) => same(&got, &unfused),
                (_, Some(f)) => {
                    same(&got, f) || (kernel == Kernel::Portable && same(&got, &unfused))
                }
                // Under Miri: the first fused result stands for the others.
                (_, None) => {
                    fused = Some(got);
                    true
                }
            };
            assert!(canonical, "{what}: not the canonical bits");
        }
    }
}

fn run(
    shapes: &[(usize, usize, usize)],
    layouts: &[(Layout, Layout, Layout)],
    threads: usize,
    skips: &[SkipZeros],
) {
    for &shape in shapes {
        for &layouts in layouts {
            let plain = Operands::new(shape, layouts, false);
            let sparse = Operands::new(shape, layouts, true);
            for &skip in skips {
                let ops = if skip == SkipZeros::None {
                    &plain
                } else {
                    &sparse
                };
                check(ops, threads, skip);
            }
        }
    }
}

use Layout::{ColGap, ColMajor, RowGap, RowMajor};

/// Direct (5×7×9, 17×9×18) and narrow (20×30×3 and its transpose).
#[test]
fn direct_and_narrow_paths() {
    run(
        &[(5, 7, 9), (20, 30, 3), (3, 30, 20), (17, 9, 18)],
        &[
            (RowMajor, RowMajor, RowMajor),
            (ColMajor, RowGap(2), ColGap(1)),
        ],
        1,
        &[SkipZeros::None],
    );
}

/// Packed (under Miri), with and without zero skipping (the sparse path
/// where the kernel has one and C's rows are contiguous); then k across
/// KC.
#[test]
fn packed_and_sparse_paths() {
    run(
        &[(24, 20, 28)],
        &[
            (RowMajor, RowMajor, RowMajor),
            (ColMajor, RowGap(2), ColGap(1)),
        ],
        1,
        &[SkipZeros::None, SkipZeros::A, SkipZeros::B],
    );
    run(
        &[(20, 260, 17)],
        &[(RowMajor, RowMajor, RowMajor)],
        1,
        &[SkipZeros::None, SkipZeros::A],
    );
}

/// Two and three threads (under Miri, with its data-race detector), rows
/// of C across MC.
#[cfg(feature = "parallel")]
#[test]
fn thread_pool() {
    run(
        &[(50, 30, 40)],
        &[(RowMajor, RowMajor, RowMajor)],
        2,
        &[SkipZeros::None],
    );
    run(
        &[(50, 30, 40)],
        &[(ColMajor, RowMajor, RowGap(1))],
        3,
        &[SkipZeros::A],
    );
}
