//! Orthogonal initialization (Saxe, McClelland & Ganguli 2014, "Exact solutions
//! to the nonlinear dynamics of learning in deep linear neural networks"), as
//! `torch.nn.init.orthogonal_`:
//!
//! 1. M ~ N(0, 1) of shape [rows × cols] = [fan_out × fan_in] (row-major, the
//!    normals in buffer order);
//! 2. A = M if rows ≥ cols, else A = Mᵀ, so A is m × n with m ≥ n;
//! 3. A = Q·R by Householder QR (Golub & Van Loan, Matrix Computations,
//!    Alg. 5.2.1), Q thin m × n formed by backward accumulation (LAPACK `dorg2r`);
//! 4. Q ← Q·diag(sign(R₁₁), …, sign(Rₙₙ)): the unique QR with R's diagonal
//!    positive, which makes Q Haar-distributed (Mezzadri 2007);
//! 5. W = gain·Q (or gain·Qᵀ when rows < cols), so WᵀW = gain²·I (tall) or
//!    WWᵀ = gain²·I (wide).
//!
//! The factorization runs in f64 with sequential sums, `+ − × ÷` and
//! `libm::sqrt` only: the result is the same on every target.

use super::{Fans, InitError};
use crate::rng;
use alloc::vec::Vec;
use rand_core::Rng;

/// Fills `out` (length fan_out · fan_in, checked) with gain · a (semi-)orthogonal
/// matrix.
///
/// # Errors
/// [`InitError::ScratchTooLarge`] if the allocator refuses the f64 scratch
/// (two buffers of fan_out · fan_in values); `out` and `rng` are then
/// untouched.
pub(super) fn orthogonal<R: Rng + ?Sized>(
    out: &mut [f32],
    fans: Fans,
    gain: f32,
    rng: &mut R,
) -> Result<(), InitError> {
    let (rows, cols) = (fans.fan_out, fans.fan_in);
    let tall = rows >= cols;
    let (m, n) = if tall { (rows, cols) } else { (cols, rows) };
    // `m · n` is `out.len()`, checked by the caller.
    let scratch = |len: usize, value: f64| {
        let mut v = Vec::new();
        v.try_reserve_exact(len)
            .map_err(|_| InitError::ScratchTooLarge {
                init: "orthogonal",
                len,
            })?;
        v.resize(len, value);
        Ok(v)
    };
    let (mut a, mut q) = (scratch(m * n, 0.0)?, scratch(m * n, 0.0)?);
    let (mut tau, mut sign) = (scratch(n, 0.0)?, scratch(n, 1.0)?);
    rng::fill_normal(out, rng);
    // A column-major m × n: column j of A is column j of M (tall) or row j of M.
    for i in 0..rows {
        for j in 0..cols {
            let (r, c) = if tall { (i, j) } else { (j, i) };
            a[c * m + r] = f64::from(out[i * cols + j]);
        }
    }
    householder_qr(&mut a, m, n, &mut tau, &mut sign);
    form_q(&a, m, n, &tau, &mut q);
    let gain = f64::from(gain);
    for i in 0..rows {
        for j in 0..cols {
            let (r, c) = if tall { (i, j) } else { (j, i) };
            out[i * cols + j] = (gain * sign[c] * q[c * m + r]) as f32;
        }
    }
    Ok(())
}

/// In-place Householder QR of the column-major m × n `a` (m ≥ n): on return the
/// column k below the diagonal holds the reflector vₖ (its first entry included) with
/// Hₖ = I − τₖ·vₖ·vₖᵀ, and `sign[k]` = sign(Rₖₖ) (1 for 0).
fn householder_qr(a: &mut [f64], m: usize, n: usize, tau: &mut [f64], sign: &mut [f64]) {
    for k in 0..n {
        let (done, rest) = a.split_at_mut((k + 1) * m);
        let v = &mut done[k * m + k..];
        let norm2: f64 = v.iter().map(|x| x * x).sum();
        let norm = libm::sqrt(norm2);
        if norm == 0.0 {
            tau[k] = 0.0;
            continue;
        }
        let x0 = v[0];
        let alpha = if x0 >= 0.0 { -norm } else { norm };
        sign[k] = if alpha < 0.0 { -1.0 } else { 1.0 };
        v[0] = x0 - alpha;
        tau[k] = 2.0 / (norm2 - x0 * x0 + v[0] * v[0]);
        for col in rest.chunks_exact_mut(m) {
            reflect(&v[..], &mut col[k..], tau[k]);
        }
    }
}

/// x ← (I − τ·v·vᵀ)·x.
fn reflect(v: &[f64], x: &mut [f64], tau: f64) {
    let dot: f64 = v.iter().zip(x.iter()).map(|(a, b)| a * b).sum();
    let s = tau * dot;
    for (xi, vi) in x.iter_mut().zip(v) {
        *xi -= s * vi;
    }
}

/// The thin Q = H₀·H₁·…·Hₙ₋₁·[Iₙ; 0] (m × n, column-major) into `q`, which
/// holds m · n zeros.
fn form_q(a: &[f64], m: usize, n: usize, tau: &[f64], q: &mut [f64]) {
    for j in 0..n {
        q[j * m + j] = 1.0;
    }
    for k in (0..n).rev() {
        let v = &a[k * m + k..(k + 1) * m];
        // Columns j < k are still eⱼ, untouched by Hₖ.
        for col in q[k * m..].chunks_exact_mut(m) {
            reflect(v, &mut col[k..], tau[k]);
        }
    }
}
