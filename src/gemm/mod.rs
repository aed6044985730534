//! General matrix multiply on strided views: `C ← α·A·B + β·C`.
//!
//! Work in progress: this is the plain reference loop; the BLIS-style packed,
//! SIMD implementation replaces it.

use crate::mat::{MatMut, MatRef};

/// Scratch elements [`gemm`] needs for an `m×k · k×n` product.
pub const fn gemm_workspace_len(m: usize, k: usize, n: usize) -> usize {
    let _ = (m, k, n);
    0
}

/// `C ← α·A·B + β·C`. When `β = 0` the old contents of `C` are never read.
///
/// # Panics
/// If `a.cols() != b.rows()`, `c` is not `a.rows() × b.cols()`, or the
/// workspace is shorter than [`gemm_workspace_len`].
pub fn gemm(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    mut c: MatMut<'_>,
    workspace: &mut [f32],
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert_eq!(b.rows(), k, "gemm: a.cols() != b.rows()");
    assert!(
        c.rows() == m && c.cols() == n,
        "gemm: c has the wrong shape"
    );
    assert!(
        workspace.len() >= gemm_workspace_len(m, k, n),
        "gemm: workspace too short"
    );
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc += a.read(i, p) * b.read(p, j);
            }
            let v = if beta == 0.0 {
                alpha * acc
            } else {
                alpha * acc + beta * c.read(i, j)
            };
            c.write(i, j, v);
        }
    }
}
