//! Reference GEMM: three plain loops, for tests, fuzzing and benchmarks.
//!
//! [`gemm_naive`] computes `C ← α·A·B + β·C` entry by entry in the canonical
//! order of [`crate::gemm`] (k in blocks of [`kc_block`]`(k)` terms; inside a
//! block `acc ← fma(a, b, acc)` for [`Precision::Fast`] via `libm::fmaf`, or
//! `acc ← a·b + acc` for [`Precision::Portable`]; then `c ← α·acc + β·c`), so
//! it reproduces the fast kernels' bits exactly on hardware with FMA. It is
//! slow (no blocking, one scalar operation at a time) and needs no workspace.

use super::{Precision, kc_block};
use crate::mat::{MatMut, MatRef};

/// `C ← α·A·B + β·C` by the definition, in the canonical accumulation order.
/// When `β = 0` the old C is not read; when `α = 0` or `k = 0`, `C ← β·C`
/// and A, B are not read.
///
/// # Panics
/// If `a.cols() != b.rows()` or `c` is not `a.rows() × b.cols()`.
///
/// # Examples
/// ```
/// use deepinit::{MatMut, MatRef, gemm::{Precision, naive::gemm_naive}};
/// let a = [1.0, 2.0, 3.0, 4.0];
/// let mut c = [f32::NAN; 4];
/// let a = MatRef::from_row_major(&a, 2, 2)?;
/// gemm_naive(Precision::Portable, 1.0, a, a.t(), 0.0, MatMut::from_row_major(&mut c, 2, 2)?);
/// assert_eq!(c, [5.0, 11.0, 11.0, 25.0]);
/// # Ok::<(), deepinit::ShapeError>(())
/// ```
pub fn gemm_naive(
    precision: Precision,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    mut c: MatMut<'_>,
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert_eq!(b.rows(), k, "gemm_naive: a.cols() != b.rows()");
    assert!(
        c.rows() == m && c.cols() == n,
        "gemm_naive: c has the wrong shape"
    );
    for i in 0..m {
        for j in 0..n {
            if k == 0 || alpha == 0.0 {
                let v = if beta == 0.0 {
                    0.0
                } else {
                    beta * c.read(i, j)
                };
                c.write(i, j, v);
                continue;
            }
            let kb = kc_block(k);
            for p0 in (0..k).step_by(kb) {
                let mut acc = 0.0f32;
                for p in p0..k.min(p0 + kb) {
                    let (x, y) = (a.read(i, p), b.read(p, j));
                    acc = match precision {
                        Precision::Portable => x * y + acc,
                        _ => libm::fmaf(x, y, acc),
                    };
                }
                let beta = if p0 == 0 { beta } else { 1.0 };
                let v = alpha * acc;
                let v = if beta == 0.0 {
                    v
                } else {
                    v + beta * c.read(i, j)
                };
                c.write(i, j, v);
            }
        }
    }
}
