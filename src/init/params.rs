//! From an initializer and the fans to the parameters of the distribution it
//! samples, with the formulas of PyTorch (`torch.nn.init`) and Keras
//! (`keras.initializers.VarianceScaling`), evaluated in f64 in the same order as
//! their Python code and rounded once to f32:
//!
//! ```text
//! xavier_uniform   std = gain·√(2/(fan_in + fan_out)),  bound = √3·std
//! xavier_normal    std = gain·√(2/(fan_in + fan_out))
//! kaiming_uniform  std = gain(nl)/√fan,                 bound = √3·std
//! kaiming_normal   std = gain(nl)/√fan
//! variance_scaling s = scale / max(1, fan)
//!   Uniform          bound = √(3·s)
//!   Normal           std = √s
//!   TruncatedNormal  std = √s / 0.87962566103423978, truncated to ±2·std
//! ```
//!
//! 0.87962566103423978 is the standard deviation of N(0, 1) truncated to [−2, 2],
//! so the truncated samples have variance s. The gain table is PyTorch's
//! `calculate_gain`.

use super::{Distribution, FanMode, Fans, InitError, truncated};

/// A nonlinearity, for [`gain`] and the Kaiming initializers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nonlinearity {
    /// Identity (also for convolutions without activation): gain 1.
    Linear,
    /// Logistic sigmoid: gain 1.
    Sigmoid,
    /// tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2.
    Relu,
    /// Leaky ReLU with this negative slope: gain √(2/(1 + slope²)).
    LeakyRelu(f32),
    /// SELU: gain 3/4.
    Selu,
}

/// The recommended gain of PyTorch's `calculate_gain`, in f64.
pub(super) fn gain_f64(nl: Nonlinearity) -> f64 {
    match nl {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => libm::sqrt(2.0),
        Nonlinearity::LeakyRelu(slope) => {
            let slope = f64::from(slope);
            libm::sqrt(2.0 / (1.0 + slope * slope))
        }
        Nonlinearity::Selu => 3.0 / 4.0,
    }
}

/// The recommended gain for a nonlinearity (PyTorch `calculate_gain`): the factor
/// that keeps the variance of the activations stable through the layer.
///
/// | nonlinearity | gain |
/// |---|---|
/// | Linear, Sigmoid | 1 |
/// | Tanh | 5/3 |
/// | Relu | √2 |
/// | LeakyRelu(a) | √(2/(1 + a²)) |
/// | Selu | 3/4 |
///
/// # Examples
///
/// ```
/// use deepinit::init::{gain, Nonlinearity};
/// assert_eq!(gain(Nonlinearity::Relu), core::f32::consts::SQRT_2);
/// assert_eq!(gain(Nonlinearity::Tanh), 5.0 / 3.0);
/// ```
pub fn gain(nl: Nonlinearity) -> f32 {
    gain_f64(nl) as f32
}

/// The parameters an [`Init`](super::Init) resolves to for given fans: the
/// distribution that [`Init::fill`](super::Init::fill) samples.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Params {
    /// Every value is this constant.
    Constant(f32),
    /// Uniform on [low, high] (high is reached only by rounding).
    Uniform {
        /// Lower bound.
        low: f32,
        /// Upper bound.
        high: f32,
    },
    /// Normal N(mean, std²).
    Normal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        std: f32,
    },
    /// N(mean, std²) conditioned on [low, high].
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mean: f32,
        /// Standard deviation of the untruncated normal.
        std: f32,
        /// Lower bound.
        low: f32,
        /// Upper bound.
        high: f32,
    },
    /// The identity matrix [fan_out × fan_in] (ones on the diagonal).
    Eye,
    /// N(0, std²) with ⌈sparsity · fan_out⌉ zeros in every column.
    Sparse {
        /// Fraction of zeros per column.
        sparsity: f32,
        /// Standard deviation of the non-zero values.
        std: f32,
    },
    /// A (semi-)orthogonal matrix times gain.
    #[cfg(feature = "alloc")]
    Orthogonal {
        /// Scale factor.
        gain: f32,
    },
}

/// What an [`Init`](super::Init) holds: the constructor and its arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Constant(f32),
    Uniform {
        low: f32,
        high: f32,
    },
    Normal {
        mean: f32,
        std: f32,
    },
    TruncatedNormal {
        mean: f32,
        std: f32,
        low: f32,
        high: f32,
    },
    VarianceScaling {
        scale: f32,
        mode: FanMode,
        dist: Distribution,
    },
    Xavier {
        gain: f32,
        dist: Distribution,
    },
    Kaiming {
        nl: Nonlinearity,
        mode: FanMode,
        dist: Distribution,
    },
    Eye,
    Sparse {
        sparsity: f32,
        std: f32,
    },
    #[cfg(feature = "alloc")]
    Orthogonal {
        gain: f32,
    },
}

const FINITE: &str = "finite";
const NON_NEGATIVE: &str = "finite and ≥ 0";
const POSITIVE: &str = "finite and > 0";

/// `Ok(value)` if it satisfies `expected`, else [`InitError::InvalidParameter`].
fn check(
    init: &'static str,
    name: &'static str,
    value: f32,
    expected: &'static str,
) -> Result<f32, InitError> {
    let ok = value.is_finite()
        && match expected {
            NON_NEGATIVE => value >= 0.0,
            POSITIVE => value > 0.0,
            _ => true,
        };
    if ok {
        Ok(value)
    } else {
        Err(InitError::InvalidParameter {
            init,
            name,
            value,
            expected,
        })
    }
}

impl Kind {
    /// The name of the constructor, for error messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Constant(_) => "constant",
            Kind::Uniform { .. } => "uniform",
            Kind::Normal { .. } => "normal",
            Kind::TruncatedNormal { .. } => "truncated_normal",
            Kind::VarianceScaling { .. } => "variance_scaling",
            Kind::Xavier {
                dist: Distribution::Uniform,
                ..
            } => "xavier_uniform",
            Kind::Xavier { .. } => "xavier_normal",
            Kind::Kaiming {
                dist: Distribution::Uniform,
                ..
            } => "kaiming_uniform",
            Kind::Kaiming { .. } => "kaiming_normal",
            Kind::Eye => "eye",
            Kind::Sparse { .. } => "sparse",
            #[cfg(feature = "alloc")]
            Kind::Orthogonal { .. } => "orthogonal",
        }
    }

    /// Validates the arguments and resolves them against `fans`.
    pub(super) fn params(self, fans: Fans) -> Result<Params, InitError> {
        let init = self.name();
        match self {
            Kind::Constant(v) => Ok(Params::Constant(check(init, "value", v, FINITE)?)),
            Kind::Uniform { low, high } => uniform(init, low, high),
            Kind::Normal { mean, std } => Ok(Params::Normal {
                mean: check(init, "mean", mean, FINITE)?,
                std: check(init, "std", std, NON_NEGATIVE)?,
            }),
            Kind::TruncatedNormal {
                mean,
                std,
                low,
                high,
            } => {
                check(init, "mean", mean, FINITE)?;
                check(init, "std", std, POSITIVE)?;
                truncated::validate(mean, std, low, high)?;
                Ok(Params::TruncatedNormal {
                    mean,
                    std,
                    low,
                    high,
                })
            }
            Kind::VarianceScaling { scale, mode, dist } => {
                check(init, "scale", scale, POSITIVE)?;
                let fan = fans.nonzero(init)?.fan(mode);
                // √(s) of an f32 scale: always finite.
                Ok(variance_scaling(f64::from(scale) / fan.max(1.0), dist))
            }
            Kind::Xavier { gain, dist } => {
                check(init, "gain", gain, NON_NEGATIVE)?;
                let fans = fans.nonzero(init)?;
                let sum = fans.fan_in as f64 + fans.fan_out as f64;
                let params = from_std(f64::from(gain) * libm::sqrt(2.0 / sum), dist);
                representable(init, "gain", gain, params)
            }
            Kind::Kaiming { nl, mode, dist } => {
                if let Nonlinearity::LeakyRelu(slope) = nl {
                    check(init, "negative_slope", slope, FINITE)?;
                }
                let gain = gain_f64(nl);
                check(init, "gain", gain as f32, NON_NEGATIVE)?;
                let fan = fans.nonzero(init)?.fan(mode);
                Ok(from_std(gain / libm::sqrt(fan), dist))
            }
            Kind::Eye => fans.nonzero(init).map(|_| Params::Eye),
            Kind::Sparse { sparsity, std } => sparse(init, sparsity, std, fans),
            #[cfg(feature = "alloc")]
            Kind::Orthogonal { gain } => {
                check(init, "gain", gain, FINITE)?;
                fans.nonzero(init)?;
                Ok(Params::Orthogonal { gain })
            }
        }
    }
}

/// What a gain or scale must be beyond finite: small enough that the bound,
/// std and range's width it resolves to are finite in f32.
const REPRESENTABLE: &str = "small enough for the resolved bounds and std to be finite in f32";

/// `params`, resolved from parameter `name` = `value`, if f32 holds them: a
/// uniform range of infinite width would fill NaN (`low + ∞·u`), an
/// infinite std ±∞.
fn representable(
    init: &'static str,
    name: &'static str,
    value: f32,
    params: Params,
) -> Result<Params, InitError> {
    let finite = match params {
        Params::Uniform { low, high } | Params::TruncatedNormal { low, high, .. } => {
            (high - low).is_finite()
        }
        Params::Normal { std, .. } => std.is_finite(),
        _ => true,
    };
    if finite {
        Ok(params)
    } else {
        Err(InitError::InvalidParameter {
            init,
            name,
            value,
            expected: REPRESENTABLE,
        })
    }
}

/// U(low, high) given by the user: finite bounds, low < high, finite width.
fn uniform(init: &'static str, low: f32, high: f32) -> Result<Params, InitError> {
    check(init, "low", low, FINITE)?;
    check(init, "high", high, FINITE)?;
    if low.partial_cmp(&high) != Some(core::cmp::Ordering::Less) {
        return Err(InitError::EmptyRange { init, low, high });
    }
    check(init, "high - low", high - low, FINITE)?;
    Ok(Params::Uniform { low, high })
}

/// Sparse: sparsity in [0, 1], std finite and ≥ 0, positive fans.
fn sparse(init: &'static str, sparsity: f32, std: f32, fans: Fans) -> Result<Params, InitError> {
    if !(0.0..=1.0).contains(&sparsity) {
        return Err(InitError::InvalidSparsity { sparsity });
    }
    check(init, "std", std, NON_NEGATIVE)?;
    fans.nonzero(init)?;
    Ok(Params::Sparse { sparsity, std })
}

/// PyTorch: N(0, std²), or U(−bound, bound) with bound = √3·std.
fn from_std(std: f64, dist: Distribution) -> Params {
    match dist {
        Distribution::Uniform => {
            let bound = (libm::sqrt(3.0) * std) as f32;
            Params::Uniform {
                low: -bound,
                high: bound,
            }
        }
        Distribution::Normal => Params::Normal {
            mean: 0.0,
            std: std as f32,
        },
        Distribution::TruncatedNormal => truncated_two_sigma(std),
    }
}

/// Keras `VarianceScaling` with s = scale / max(1, fan).
fn variance_scaling(s: f64, dist: Distribution) -> Params {
    match dist {
        Distribution::Uniform => {
            let bound = libm::sqrt(3.0 * s) as f32;
            Params::Uniform {
                low: -bound,
                high: bound,
            }
        }
        Distribution::Normal => Params::Normal {
            mean: 0.0,
            std: libm::sqrt(s) as f32,
        },
        Distribution::TruncatedNormal => truncated_two_sigma(libm::sqrt(s)),
    }
}

/// N(0, σ²) truncated to ±2σ with σ = std / 0.87962566103423978, whose variance
/// is std².
fn truncated_two_sigma(std: f64) -> Params {
    let sigma = (std / 0.879_625_661_034_239_8) as f32;
    Params::TruncatedNormal {
        mean: 0.0,
        std: sigma,
        low: -2.0 * sigma,
        high: 2.0 * sigma,
    }
}
