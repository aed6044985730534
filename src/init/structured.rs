//! Initializers that treat the buffer as the row-major matrix W [fan_out × fan_in]
//! (PyTorch's weight [out, in]): element (i, j) is `out[i · fan_in + j]`.
//!
//! - eye: W = I (ones where i = j), as `torch.nn.init.eye_`; it keeps the
//!   identity of the inputs in the outputs (Le, Jaitly & Hinton 2015 for RNNs).
//! - sparse: W ~ N(0, std²) then, in every column, k = ⌈sparsity · fan_out⌉
//!   entries chosen uniformly at random are set to zero, as
//!   `torch.nn.init.sparse_` (Martens 2010, "Deep learning via Hessian-free
//!   optimization"). PyTorch draws a random permutation per column; here the k
//!   rows are chosen by selection sampling (Knuth, TAOCP vol. 2, Algorithm S):
//!   row r is chosen with probability (k − chosen)/(rows − r), which needs no
//!   memory. k is computed in f32 (⌈fl(sparsity · rows)⌉), so sparsity 0.1 of
//!   10 rows zeroes exactly 1. PyTorch computes it in f64 from a Python
//!   float, so where the product lies within rounding of a whole number the
//!   two k can differ by one either way (sparsity 0.3 of 10 rows: 3 here,
//!   ⌈3.0000000000000004⌉ = 4 in PyTorch; 0.09 of 300 rows: 28 here, 27 in
//!   PyTorch).

use super::{Fans, InitError};
use crate::rng;
use rand_core::Rng;

/// Checks that `out` is the matrix [fan_out × fan_in].
pub(super) fn check_len(init: &'static str, out: &[f32], fans: Fans) -> Result<(), InitError> {
    let expected = fans.matrix_len()?;
    if out.len() != expected {
        return Err(InitError::LengthMismatch {
            init,
            expected,
            actual: out.len(),
        });
    }
    Ok(())
}

/// W = I [fan_out × fan_in]; `out` has the checked length.
pub(super) fn eye(out: &mut [f32], fans: Fans) {
    for (i, row) in out.chunks_exact_mut(fans.fan_in).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = if i == j { 1.0 } else { 0.0 };
        }
    }
}

/// Number of zeros per column: ⌈fl(sparsity · rows)⌉, at most rows.
pub(super) fn zeros_per_column(sparsity: f32, rows: usize) -> usize {
    (libm::ceilf(sparsity * rows as f32) as usize).min(rows)
}

/// Sparse N(0, std²) [fan_out × fan_in]; `out` has the checked length.
pub(super) fn sparse<R: Rng + ?Sized>(
    out: &mut [f32],
    fans: Fans,
    sparsity: f32,
    std: f32,
    rng: &mut R,
) {
    rng::fill_normal_map(out, rng, |z| std * z);
    let (rows, cols) = (fans.fan_out, fans.fan_in);
    let zeros = zeros_per_column(sparsity, rows);
    for c in 0..cols {
        let mut needed = zeros as u64;
        for r in 0..rows {
            if needed == 0 {
                break;
            }
            // A uniform integer in [0, rows − r) (multiply-shift, bias ≤ 2⁻³²·rows).
            let left = (rows - r) as u64;
            if (u64::from(rng.next_u32()) * left) >> 32 < needed {
                out[r * cols + c] = 0.0;
                needed -= 1;
            }
        }
    }
}
