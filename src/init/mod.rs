//! Weight initializers: constant, uniform, normal, truncated normal, Xavier/Glorot,
//! Kaiming/He, LeCun, Keras variance scaling and (with `alloc`) orthogonal, plus
//! eye and sparse, with the formulas of PyTorch and Keras and **the same bits
//! for the same seed on every target**.
//!
//! # The lesson
//!
//! A layer computes y = W·x. How W starts decides whether the network learns:
//!
//! - **Constant, above all zero.** If every weight is equal, every hidden unit
//!   computes the same function of the input, receives the same gradient, and
//!   gets the same update, so the units stay identical forever: the layer acts
//!   like a single unit and never learns different features. With zeros and a
//!   ReLU or tanh network the gradients of the hidden layers are even exactly 0.
//!   Randomness is what breaks this symmetry.
//! - **N(0, 1) is too large.** Each output sums fan_in products, so
//!   Var(y) = fan_in · Var(w) · E(x²): with Var(w) = 1 and fan_in = 784 the
//!   activations grow ~28× per layer, saturate sigmoid/tanh (vanishing
//!   gradients) or explode through ReLUs. A too small constant scale such as
//!   N(0, 0.01²) shrinks them layer after layer instead.
//! - **Xavier/Glorot** (Glorot & Bengio 2010) picks Var(w) = 2/(fan_in + fan_out),
//!   keeping the variance of the activations (forward) and of the gradients
//!   (backward) roughly constant for tanh/sigmoid-like units:
//!   U(−a, a) with a = gain·√(6/(fan_in + fan_out)), or N(0, gain²·2/(fan_in + fan_out)).
//! - **He/Kaiming** (He et al. 2015) accounts for ReLU zeroing half of its inputs:
//!   Var(w) = gain²/fan with gain = √2, i.e. N(0, 2/fan_in), or U(−b, b) with
//!   b = √3·gain/√fan.
//! - **LeCun** (LeCun et al. 1998) uses Var(w) = 1/fan_in (SELU networks).
//!
//! The exact formulas, evaluated like PyTorch and Keras in f64, are listed in the
//! `params` source file and under [`Init`]'s constructors; [`Init::params`] shows
//! what a given initializer resolves to for given [`Fans`].
//!
//! # Buffer layout
//!
//! `fill(out, fans, rng)` writes every value of `out`. The i.i.d. initializers
//! accept any length (a convolution weight [out, in, k, k] has
//! out·in·k² values, with fans from [`Fans::from_pytorch_shape`]). Eye, sparse
//! and orthogonal see `out` as the row-major matrix W [fan_out × fan_in],
//! PyTorch's weight [out, in], element (i, j) at `out[i·fan_in + j]`, and need
//! `out.len() == fan_out · fan_in`.
//!
//! # Determinism
//!
//! Values are drawn with [`crate::rng`] (24-bit uniforms, ziggurat normals) and
//! transformed with `+ − × ÷`, comparisons and `libm` only; golden tests pin the
//! bits of every initializer at seed 42. The truncated normal uses Robert's
//! (1995) exact accept-reject method, which ends fast for any bounds (see the
//! `truncated` source file); bounds holding a probability mass below
//! `f64::MIN_POSITIVE` are refused.
//!
//! # Examples
//!
//! ```
//! use deepinit::init::{Fans, Init};
//! use rand_core::SeedableRng;
//!
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
//! let mut w = vec![0.0f32; 256 * 784];
//! Init::he_normal().fill(&mut w, Fans::new(784, 256), &mut rng)?;
//! let var = w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32;
//! assert!((var - 2.0 / 784.0).abs() < 0.05 * 2.0 / 784.0);
//! # Ok::<(), deepinit::init::InitError>(())
//! ```

mod error;
mod fans;
#[cfg(feature = "alloc")]
mod orthogonal;
mod params;
mod structured;
mod truncated;

pub use error::InitError;
pub use fans::{FanMode, Fans};
pub use params::{Nonlinearity, Params, gain};

use crate::rng;
use params::Kind;
use rand_core::Rng;

/// The family of distribution of [`Init::variance_scaling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distribution {
    /// U(−√(3·s), √(3·s)) for variance s.
    Uniform,
    /// N(0, s).
    Normal,
    /// N(0, σ²) truncated to ±2σ, σ = √s / 0.87962566103423978 (variance s).
    TruncatedNormal,
}

/// A weight initializer: build one with a constructor, then [`fill`](Init::fill)
/// buffers with it.
///
/// Constructors never fail; the arguments are checked by [`Init::fill`] and
/// [`Init::params`], which return an [`InitError`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Init {
    kind: Kind,
}

mod constructors;

impl Init {
    /// The constructor's name, e.g. `"xavier_uniform"` (LeCun and He
    /// initializers report the general constructor they are built from).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deepinit::init::Init::he_normal().name(), "kaiming_normal");
    /// ```
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The distribution this initializer samples for `fans`, after checking its
    /// arguments.
    ///
    /// # Errors
    ///
    /// The [`InitError`]s of [`Init::fill`] except [`InitError::LengthMismatch`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init, Params};
    /// // PyTorch: xavier_uniform_ bound = gain·√3·√(2/(fan_in + fan_out)).
    /// let p = Init::xavier_uniform(1.0).params(Fans::new(784, 256))?;
    /// assert_eq!(p, Params::Uniform { low: -0.07595545, high: 0.07595545 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub fn params(&self, fans: Fans) -> Result<Params, InitError> {
        let params = self.kind.params(fans)?;
        if let Params::TruncatedNormal {
            mean,
            std,
            low,
            high,
        } = params
        {
            if std.is_nan() || std <= 0.0 {
                let init = self.name();
                let expected = "finite and > 0";
                return Err(InitError::InvalidParameter {
                    init,
                    name: "std",
                    value: std,
                    expected,
                });
            }
            truncated::validate(mean, std, low, high)?;
        }
        Ok(params)
    }

    /// Fills `out` with initial weights for a layer with these `fans`, drawing
    /// from `rng`.
    ///
    /// The i.i.d. initializers accept any length; eye, sparse and orthogonal
    /// treat `out` as the row-major matrix [fan_out × fan_in] (see the module
    /// docs). The same `rng` state gives the same bits on every target.
    ///
    /// # Errors
    ///
    /// - [`InitError::ZeroFan`] if the initializer uses a fan that is zero;
    /// - [`InitError::InvalidParameter`] for a NaN/∞ parameter, a negative std,
    ///   gain or scale, a zero truncated-normal std or variance-scaling scale,
    ///   a Xavier gain so large that its range is wider than f32 holds;
    /// - [`InitError::EmptyRange`] if low ≥ high;
    /// - [`InitError::NegligibleMass`] for truncation bounds holding a mass below
    ///   `f64::MIN_POSITIVE`;
    /// - [`InitError::InvalidSparsity`] for a sparsity outside [0, 1];
    /// - [`InitError::LengthMismatch`] if eye, sparse or orthogonal get a buffer
    ///   whose length is not fan_out · fan_in; [`InitError::Overflow`].
    ///
    /// `out` is left untouched on error. A normal std so large that
    /// `mean + std·z` leaves f32's range (beyond ~10³⁷) gives ±∞ for those
    /// draws, as in PyTorch.
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init, InitError};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
    /// let mut w = [0.0f32; 6];
    /// Init::xavier_uniform(1.0).fill(&mut w, Fans::new(3, 2), &mut rng)?;
    /// assert!(w.iter().all(|v| v.abs() <= 1.0955)); // bound √(6/5) ≈ 1.0954
    /// let bad = Init::normal(0.0, f32::NAN).fill(&mut w, Fans::new(3, 2), &mut rng);
    /// assert!(matches!(bad, Err(InitError::InvalidParameter { name: "std", .. })));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn fill<R: Rng + ?Sized>(
        &self,
        out: &mut [f32],
        fans: Fans,
        rng: &mut R,
    ) -> Result<(), InitError> {
        match self.params(fans)? {
            Params::Constant(v) => out.fill(v),
            Params::Uniform { low, high } => {
                let width = high - low;
                rng::fill_words(out, rng, |w, _| {
                    let x = low + width * rng::unit_from_bits(w);
                    if x > high { high } else { x }
                });
            }
            Params::Normal { mean, std } => rng::fill_normal_map(out, rng, |z| mean + std * z),
            Params::TruncatedNormal {
                mean,
                std,
                low,
                high,
            } => {
                truncated::fill(out, (mean, std), (low, high), rng);
            }
            Params::Eye => {
                structured::check_len(self.name(), out, fans)?;
                structured::eye(out, fans);
            }
            Params::Sparse { sparsity, std } => {
                structured::check_len(self.name(), out, fans)?;
                structured::sparse(out, fans, sparsity, std, rng);
            }
            #[cfg(feature = "alloc")]
            Params::Orthogonal { gain } => {
                structured::check_len(self.name(), out, fans)?;
                orthogonal::orthogonal(out, fans, gain, rng)?;
            }
        }
        Ok(())
    }
}
