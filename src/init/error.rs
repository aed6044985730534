//! The error type of the initializers: every bad input is reported as an
//! [`InitError`] that names the initializer and the parameter, never a panic or
//! an endless loop.

use core::fmt;

/// Why an initializer refused to fill a buffer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitError {
    /// A fan the initializer needs is zero.
    ZeroFan {
        /// The initializer, e.g. `"xavier_uniform"`.
        init: &'static str,
        /// fan_in given.
        fan_in: usize,
        /// fan_out given.
        fan_out: usize,
    },
    /// A parameter is NaN or infinite, or negative (or zero) where it must not be.
    InvalidParameter {
        /// The initializer, e.g. `"normal"`.
        init: &'static str,
        /// The parameter, e.g. `"std"`.
        name: &'static str,
        /// Its value.
        value: f32,
        /// What it must be, e.g. `"finite and ≥ 0"`.
        expected: &'static str,
    },
    /// The interval is empty: low ≥ high, or a bound is NaN.
    EmptyRange {
        /// The initializer.
        init: &'static str,
        /// Lower bound.
        low: f32,
        /// Upper bound.
        high: f32,
    },
    /// The truncation interval holds a probability mass below `f64::MIN_POSITIVE`
    /// (≈ 2.2·10⁻³⁰⁸) under N(mean, std²): nothing meaningful can be sampled.
    NegligibleMass {
        /// Lower bound.
        low: f32,
        /// Upper bound.
        high: f32,
        /// The mass Φ((high − mean)/std) − Φ((low − mean)/std) computed in f64.
        mass: f64,
    },
    /// The sparsity is outside [0, 1] or NaN.
    InvalidSparsity {
        /// The value given.
        sparsity: f32,
    },
    /// The buffer length is not fan_out · fan_in, for an initializer that treats
    /// it as the row-major matrix [fan_out × fan_in].
    LengthMismatch {
        /// The initializer.
        init: &'static str,
        /// fan_out · fan_in.
        expected: usize,
        /// `out.len()`.
        actual: usize,
    },
    /// A weight shape has fewer dimensions than the convention needs.
    ShapeTooShort {
        /// Number of dimensions given.
        dims: usize,
        /// Minimum number of dimensions.
        min: usize,
    },
    /// A fan or fan_out · fan_in overflows `usize`.
    Overflow,
    /// The allocator refused the scratch an initializer needs
    /// (orthogonal's QR works on `len` f64 per buffer).
    ScratchTooLarge {
        /// The initializer.
        init: &'static str,
        /// Elements of the buffer refused.
        len: usize,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ZeroFan {
                init,
                fan_in,
                fan_out,
            } => write!(
                f,
                "{init}: fans must be positive (fan_in = {fan_in}, fan_out = {fan_out})"
            ),
            Self::InvalidParameter {
                init,
                name,
                value,
                expected,
            } => {
                write!(f, "{init}: parameter {name} = {value} must be {expected}")
            }
            Self::EmptyRange { init, low, high } => {
                write!(
                    f,
                    "{init}: empty range, low = {low} must be below high = {high}"
                )
            }
            Self::NegligibleMass { low, high, mass } => write!(
                f,
                "truncated_normal: bounds [{low}, {high}] hold negligible probability mass {mass:e}"
            ),
            Self::InvalidSparsity { sparsity } => {
                write!(f, "sparse: sparsity = {sparsity} must lie in [0, 1]")
            }
            Self::LengthMismatch {
                init,
                expected,
                actual,
            } => write!(
                f,
                "{init}: buffer holds {actual} values, expected fan_out × fan_in = {expected}"
            ),
            Self::ShapeTooShort { dims, min } => write!(
                f,
                "weight shape has {dims} dimensions, at least {min} are needed to compute fans"
            ),
            Self::Overflow => write!(f, "fan or fan_out × fan_in overflows usize"),
            Self::ScratchTooLarge { init, len } => {
                write!(f, "{init}: cannot allocate its scratch of {len} values")
            }
        }
    }
}

impl core::error::Error for InitError {}
