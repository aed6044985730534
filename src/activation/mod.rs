//! Activation functions, their backward passes, softmax and the fused
//! bias + activation pass, vectorized with `wide::f32x8` (eight lanes, scalar
//! tails padded to a full vector so every element sees identical arithmetic).
//!
//! ```text
//! relu(x)    = max(x, 0)             relu′    = [x > 0]
//! σ(x)       = 1 / (1 + e^(−x))      σ′       = y·(1 − y)      (y = σ(x))
//! tanh(x)    = (eˣ − e^(−x))/(eˣ + e^(−x))   tanh′ = 1 − y²
//! softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m),   m = maxⱼ xⱼ
//! log_softmax(x)ᵢ = (xᵢ − m) − ln Σⱼ e^(xⱼ − m)
//! ```
//!
//! The exponential is our own (Cody–Waite reduction + Cephes polynomial, see
//! the `simd` submodule; `wide`'s `exp`/`ln` are not used), so the results do
//! not depend on a platform math library and use no fused multiply-add.
//! Accuracy against an f64 reference, measured over every f32: σ ≤ 2.5 ulp
//! on [−90, 90] (2.48 at x ≈ −16.64; down into the subnormal range), tanh
//! ≤ 1.34 ulp, eˣ ≤ 1 ulp; the tests (`tests/activation*.rs`, sweeping every
//! 211th f32) hold σ and tanh to ≤ 4 ulp. σ and tanh are finite
//! and monotone for every f32 but NaN (all ≈ 4.28·10⁹ of them, walked by
//! `tests/activation_exhaustive.rs`: `cargo test --release --test
//! activation_exhaustive -- --ignored`), σ(±∞) = 1 / 0, tanh(±∞) = ±1; NaN
//! in gives NaN out. `wide` picks its instruction set when the crate is compiled (SSE2 in a
//! default x86-64 build, NEON on aarch64, scalar arrays elsewhere); on
//! x86-64 [`relu`] runs AVX-512 or AVX2 chosen at run time with the GEMM
//! kernel (`x86.rs`), where SSE2 took longer than a plain loop.
//!
//! Sources: the backward formulas follow from the chain rule (e.g. Goodfellow,
//! Bengio and Courville, *Deep Learning*, 2016, §6.3 and §6.2.2.3); the
//! max-subtracted softmax and log-sum-exp are the standard stable forms.

use crate::mat::MatMut;
use wide::f32x8;

mod simd;
mod softmax;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use softmax::{log_softmax, softmax, softmax_cross_entropy};

/// A hidden-layer nonlinearity, applied elementwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activation {
    /// y = x
    Identity,
    /// y = max(x, 0)
    Relu,
    /// y = 1 / (1 + e^(−x))
    Sigmoid,
    /// y = tanh x
    Tanh,
}

impl Activation {
    /// Applies the activation to every element of `x` in place.
    ///
    /// # Examples
    /// ```
    /// use deepinit::activation::Activation;
    /// let mut x = [-1.0, 0.0, 2.0];
    /// Activation::Relu.apply(&mut x);
    /// assert_eq!(x, [0.0, 0.0, 2.0]);
    /// ```
    pub fn apply(self, x: &mut [f32]) {
        match self {
            Self::Identity => {}
            Self::Relu => relu(x),
            Self::Sigmoid => sigmoid(x),
            Self::Tanh => tanh(x),
        }
    }

    /// Backward pass from the activation's *output* `y`:
    /// `grad ← grad · f′`, with f′ expressed through y (see the module docs).
    ///
    /// # Panics
    /// If `y.len() != grad.len()`.
    ///
    /// # Examples
    /// ```
    /// use deepinit::activation::Activation;
    /// let y = [0.5f32, 0.25];
    /// let mut grad = [1.0f32, 2.0];
    /// Activation::Sigmoid.backward(&y, &mut grad);
    /// assert_eq!(grad, [0.25, 2.0 * 0.25 * 0.75]);
    /// ```
    pub fn backward(self, y: &[f32], grad: &mut [f32]) {
        match self {
            Self::Identity => assert_eq!(y.len(), grad.len(), "y and grad lengths differ"),
            Self::Relu => relu_backward(y, grad),
            Self::Sigmoid => sigmoid_backward(y, grad),
            Self::Tanh => tanh_backward(y, grad),
        }
    }
}

/// In place: `x ← max(x, 0)`. NaN stays NaN; −0 becomes +0.
///
/// # Examples
/// ```
/// let mut x = [-2.0, 3.0];
/// deepinit::activation::relu(&mut x);
/// assert_eq!(x, [0.0, 3.0]);
/// ```
pub fn relu(x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if x86::relu(x) {
        return;
    }
    simd::map_in_place(x, simd::relu);
}

/// `grad ← grad · [y > 0]`, where `y` is relu's output: entries with `y ≤ 0`
/// become exactly 0 (even if `grad` held ∞ or NaN there).
///
/// # Panics
/// If the slices differ in length.
///
/// # Examples
/// ```
/// let mut g = [5.0, 6.0];
/// deepinit::activation::relu_backward(&[0.0, 1.5], &mut g);
/// assert_eq!(g, [0.0, 6.0]);
/// ```
pub fn relu_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len(), "y and grad lengths differ");
    simd::zip_in_place(y, grad, |g, y| {
        y.simd_le(f32x8::ZERO).select(f32x8::ZERO, g)
    });
}

/// In place: `x ← σ(x) = 1 / (1 + e^(−x))`, within 4 ulp of the exact value on
/// [−90, 90], monotone, σ(+∞) = 1, σ(−∞) = 0, NaN → NaN.
///
/// # Examples
/// ```
/// let mut x = [0.0, f32::INFINITY, f32::NEG_INFINITY];
/// deepinit::activation::sigmoid(&mut x);
/// assert_eq!(x, [0.5, 1.0, 0.0]);
/// ```
pub fn sigmoid(x: &mut [f32]) {
    simd::map_in_place(x, simd::sigmoid);
}

/// `grad ← grad · y·(1 − y)`, where `y` is sigmoid's output.
///
/// # Panics
/// If the slices differ in length.
///
/// # Examples
/// ```
/// let mut g = [2.0];
/// deepinit::activation::sigmoid_backward(&[0.5], &mut g);
/// assert_eq!(g, [0.5]);
/// ```
pub fn sigmoid_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len(), "y and grad lengths differ");
    simd::zip_in_place(y, grad, |g, y| g * (y * (f32x8::ONE - y)));
}

/// In place: `x ← tanh x`, within 4 ulp; tanh(±∞) = ±1, tanh(±0) = ±0,
/// NaN → NaN.
///
/// # Examples
/// ```
/// let mut x = [0.0, -f32::INFINITY, 0.5];
/// deepinit::activation::tanh(&mut x);
/// assert_eq!(&x[..2], &[0.0, -1.0]);
/// assert!((x[2] - 0.5f32.tanh()).abs() < 1e-7);
/// ```
pub fn tanh(x: &mut [f32]) {
    simd::map_in_place(x, simd::tanh);
}

/// `grad ← grad · (1 − y²)`, where `y` is tanh's output.
///
/// # Panics
/// If the slices differ in length.
///
/// # Examples
/// ```
/// let mut g = [4.0];
/// deepinit::activation::tanh_backward(&[0.5], &mut g);
/// assert_eq!(g, [3.0]);
/// ```
pub fn tanh_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len(), "y and grad lengths differ");
    simd::zip_in_place(y, grad, |g, y| g * (f32x8::ONE - y * y));
}

/// Fused pass over a GEMM output: `c[i][j] ← act(c[i][j] + bias[j])`.
///
/// One read and one write per element when rows are contiguous
/// (`col_stride == 1`, e.g. row-major); other layouts gather and scatter
/// eight elements at a time and get identical values.
///
/// # Panics
/// If `bias.len() != c.cols()`.
///
/// # Examples
/// ```
/// use deepinit::{MatMut, activation::{Activation, bias_activation}};
/// let mut data = [1.0, -3.0, 0.5, 0.5];
/// let c = MatMut::from_row_major(&mut data, 2, 2).unwrap();
/// bias_activation(c, &[1.0, 1.0], Activation::Relu);
/// assert_eq!(data, [2.0, 0.0, 1.5, 1.5]);
/// ```
pub fn bias_activation(c: MatMut<'_>, bias: &[f32], act: Activation) {
    assert_eq!(
        bias.len(),
        c.cols(),
        "bias length differs from the column count"
    );
    match act {
        Activation::Identity => bias_rows(c, bias, |v| v),
        Activation::Relu => bias_rows(c, bias, simd::relu),
        Activation::Sigmoid => bias_rows(c, bias, simd::sigmoid),
        Activation::Tanh => bias_rows(c, bias, simd::tanh),
    }
}

/// Row loop of [`bias_activation`], monomorphized per activation kernel.
#[inline(always)]
fn bias_rows(mut c: MatMut<'_>, bias: &[f32], f: impl Fn(f32x8) -> f32x8 + Copy) {
    let (bias_chunks, bias_tail) = bias.as_chunks::<{ simd::LANES }>();
    for i in 0..c.rows() {
        if let Some(row) = c.row_mut(i) {
            let (chunks, tail) = row.as_chunks_mut::<{ simd::LANES }>();
            for (v, b) in chunks.iter_mut().zip(bias_chunks) {
                *v = f(f32x8::new(*v) + f32x8::new(*b)).to_array();
            }
            if !tail.is_empty() {
                let n = tail.len();
                let v = f(simd::load_partial(tail) + simd::load_partial(bias_tail));
                tail.copy_from_slice(&v.to_array()[..n]);
            }
        } else {
            strided_row(&mut c, i, bias, f);
        }
    }
}

/// [`bias_activation`] on one row whose elements are not contiguous.
fn strided_row(c: &mut MatMut<'_>, i: usize, bias: &[f32], f: impl Fn(f32x8) -> f32x8) {
    for (k, b) in bias.chunks(simd::LANES).enumerate() {
        let j0 = k * simd::LANES;
        let mut v = [0.0f32; simd::LANES];
        for (t, (slot, &bj)) in v.iter_mut().zip(b).enumerate() {
            *slot = c.read(i, j0 + t) + bj;
        }
        let y = f(f32x8::new(v)).to_array();
        for (t, &yt) in y.iter().take(b.len()).enumerate() {
            c.write(i, j0 + t, yt);
        }
    }
}
