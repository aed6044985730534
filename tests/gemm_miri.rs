//! Every path of the GEMM's `unsafe` code that Miri can run, on shapes
//! small enough for it: the direct path (more than one row tile, k across
//! a KC block), the packed path (rows across MC, k across KC), the sparse
//! path, and the thread pool, on every kernel the build supports, with
//! operands in every layout (stride gaps hold sentinels that must stay
//! untouched). Under Miri the library lowers the volumes at which
//! products leave the direct path and take a second thread, so these
//! shapes reach the packed and threaded code; natively they are a quick
//! extra check. CI runs this file under Miri with AVX2 and FMA enabled,
//! so that the AVX2 kernels run beside the portable ones (the AVX-512
//! kernels, and with them the narrow path, use instructions Miri lacks);
//! the command is in `.ci/run`.

mod gemm_common;

use deepinit::gemm::{
    GemmConfig, Kernel, Precision, SkipZeros, gemm_with, gemm_workspace_len, kc_block,
    naive::gemm_naive,
};
use deepinit::{MatMut, MatRef};
use gemm_common::{Buf, Gen, Layout, bits};

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
        (c.entries(), c)
    }
}

/// `C ← 1.5·A·B − 0.5·C` in the canonical fused order, with `f32::mul_add`
/// (which Miri computes exactly, where `gemm_naive`'s `libm::fmaf` runs
/// x86 assembly or a slow software path): each k block of
/// [`kc_block`]`(k)` terms sums `acc ← fma(a, b, acc)` from 0, then
/// `C ← α·acc + β·C` with β = 1 after the first block.
fn fused_canonical(ops: &Operands) -> Vec<f32> {
    let (a, b, c0) = (ops.a.view(), ops.b.view(), ops.c0());
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let c0 = c0.view();
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let mut c = c0.read(i, j);
            for p0 in (0..k).step_by(kc_block(k)) {
                let mut acc = 0.0f32;
                for p in p0..k.min(p0 + kc_block(k)) {
                    acc = a.read(i, p).mul_add(b.read(p, j), acc);
                }
                let beta = if p0 == 0 { -0.5 } else { 1.0 };
                c = 1.5 * acc + beta * c;
            }
            out.push(c);
        }
    }
    out
}

/// Runs every supported kernel in both precisions on the operands and
/// checks that no stride gap of C changed and that the result is the
/// canonical one, bit for bit (a skipped zero term may change only the
/// sign of a zero sum).
fn check(ops: &Operands, threads: usize, skip: SkipZeros) {
    let (m, k, n) = (ops.a.rows, ops.a.cols, ops.b.cols);
    let unfused = ops
        .product(|a, b, c| gemm_naive(Precision::Portable, 1.5, a, b, -0.5, c))
        .0;
    let fused = fused_canonical(ops);
    if !cfg!(miri) {
        // The reference above is the library's canonical order.
        let naive = ops.product(|a, b, c| gemm_naive(Precision::Fast, 1.5, a, b, -0.5, c));
        assert_eq!(bits(&naive.0), bits(&fused), "fused reference");
    }
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
            // The portable kernel fuses only where the build has FMA.
            let canonical = match precision {
                Precision::Portable => same(&got, &unfused),
                _ => same(&got, &fused) || (kernel == Kernel::Portable && same(&got, &unfused)),
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

/// The direct path: one row tile (5×7×9, and 20×30×3 turned), several
/// (16×7×40), k across KC (9×260×17).
#[test]
fn direct_path() {
    run(
        &[(5, 7, 9), (20, 30, 3), (16, 7, 40), (9, 260, 17)],
        &[
            (RowMajor, RowMajor, RowMajor),
            (ColMajor, RowGap(2), ColGap(1)),
        ],
        1,
        &[SkipZeros::None],
    );
}

/// Packed (under Miri), with and without zero skipping (the sparse path
/// where the kernel has one and C's rows are contiguous); then rows across
/// MC (52×9×20) and k across KC (20×260×17).
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
        &[(52, 9, 20), (20, 260, 17)],
        &[(RowMajor, RowMajor, RowMajor)],
        1,
        &[SkipZeros::None, SkipZeros::A],
    );
}

/// Two and three threads (under Miri, with its data-race detector).
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
