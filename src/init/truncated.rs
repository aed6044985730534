//! The truncated normal N(μ, σ²) conditioned on [low, high], sampled exactly
//! by the accept-reject scheme of Robert (1995), "Simulation of truncated normal
//! variables", Statistics and Computing 5, 121–125, on the standardized bounds
//! α = (low − μ)/σ, β = (high − μ)/σ:
//!
//! - 0 ∈ [α, β] and β − α ≥ √(2π): propose z ~ N(0, 1) (the ziggurat), keep
//!   it when low ≤ μ + σ·z ≤ high. Acceptance ≥ 0.49.
//! - 0 ∈ [α, β], narrower: propose z ~ U(α, β), keep with probability
//!   exp(−z²/2). Acceptance ≥ 0.49.
//! - α > 0 and β − α < 2√e/(α + √(α² + 4))·exp((α² − α√(α² + 4))/4): propose
//!   z ~ U(α, β), keep with probability exp((α² − z²)/2).
//! - α > 0 otherwise: propose z = α + E/λ, E ~ Exp(1), with
//!   λ = (α + √(α² + 4))/2; reject z > β, keep with probability
//!   exp(−(z − λ)²/2). Far tails such as [8σ, 9σ] accept about 99 proposals in 100.
//! - β < 0: the mirror image of the case α > 0.
//!
//! Every case accepts a proposal with probability bounded away from 0, so the
//! loops end fast for any bounds holding a mass of at least `f64::MIN_POSITIVE`;
//! smaller masses are refused by [`validate`] with [`InitError::NegligibleMass`].
//! The arithmetic is f64 `+ − × ÷`, comparisons and `libm` (`exp`, `log`,
//! `sqrt`, `erf`, `erfc`), so the samples are the same on every target. Results
//! are rounded to f32 and clamped into [low, high].

use super::InitError;
use crate::rng::{self, normal_from_bits};
use core::f64::consts::{FRAC_1_SQRT_2, PI};
use rand_core::Rng;

/// Φ(β) − Φ(α) in f64, from `erfc` in the tails (no cancellation) and `erf`
/// around 0.
pub(super) fn mass(alpha: f64, beta: f64) -> f64 {
    if alpha >= 1.0 {
        0.5 * (libm::erfc(alpha * FRAC_1_SQRT_2) - libm::erfc(beta * FRAC_1_SQRT_2))
    } else if beta <= -1.0 {
        0.5 * (libm::erfc(-beta * FRAC_1_SQRT_2) - libm::erfc(-alpha * FRAC_1_SQRT_2))
    } else {
        0.5 * (libm::erf(beta * FRAC_1_SQRT_2) - libm::erf(alpha * FRAC_1_SQRT_2))
    }
}

fn standardize(mean: f32, std: f32, low: f32, high: f32) -> (f64, f64) {
    let (mean, std) = (f64::from(mean), f64::from(std));
    (
        (f64::from(low) - mean) / std,
        (f64::from(high) - mean) / std,
    )
}

/// Checks low < high (neither NaN; ±∞ allowed) and a mass of at least
/// `f64::MIN_POSITIVE`; `mean` finite and `std` > 0 are checked by the caller.
pub(super) fn validate(mean: f32, std: f32, low: f32, high: f32) -> Result<(), InitError> {
    if low.partial_cmp(&high) != Some(core::cmp::Ordering::Less) {
        return Err(InitError::EmptyRange {
            init: "truncated_normal",
            low,
            high,
        });
    }
    let (alpha, beta) = standardize(mean, std, low, high);
    let mass = mass(alpha, beta);
    if mass.is_nan() || mass < f64::MIN_POSITIVE {
        return Err(InitError::NegligibleMass { low, high, mass });
    }
    Ok(())
}

/// The non-normal proposals of Robert (1995) for standardized bounds [a, b].
enum Proposal {
    /// z ~ U(a, b), kept with probability exp((shift − z²)/2).
    Uniform { a: f64, b: f64, shift: f64 },
    /// z = a + E/λ, kept if z ≤ b and with probability exp(−(z − λ)²/2).
    Exponential { a: f64, b: f64, lambda: f64 },
}

/// The proposal for [α, β]; `None` means the normal proposal. One-sided
/// negative intervals are mirrored (the caller flips the sign back).
fn proposal(alpha: f64, beta: f64) -> Option<Proposal> {
    if alpha <= 0.0 && beta >= 0.0 {
        if beta - alpha >= libm::sqrt(2.0 * PI) {
            None
        } else {
            Some(Proposal::Uniform {
                a: alpha,
                b: beta,
                shift: 0.0,
            })
        }
    } else {
        let (a, b) = if alpha > 0.0 {
            (alpha, beta)
        } else {
            (-beta, -alpha)
        };
        let root = libm::sqrt(a * a + 4.0);
        let width = 2.0 * libm::sqrt(core::f64::consts::E) / (a + root)
            * libm::exp((a * a - a * root) / 4.0);
        Some(if b - a < width {
            Proposal::Uniform { a, b, shift: a * a }
        } else {
            Proposal::Exponential {
                a,
                b,
                lambda: (a + root) / 2.0,
            }
        })
    }
}

/// One accepted standardized sample of a proposal.
fn sample<R: Rng + ?Sized>(p: &Proposal, rng: &mut R) -> f64 {
    loop {
        match *p {
            Proposal::Uniform { a, b, shift } => {
                let z = a + (b - a) * rng::uniform_f64(rng);
                if rng::uniform_f64(rng) < libm::exp((shift - z * z) / 2.0) {
                    return z;
                }
            }
            Proposal::Exponential { a, b, lambda } => {
                let e = -libm::log(1.0 - rng::uniform_f64(rng));
                let z = a + e / lambda;
                let d = z - lambda;
                if z <= b && rng::uniform_f64(rng) < libm::exp(-d * d / 2.0) {
                    return z;
                }
            }
        }
    }
}

/// Fills `out` with N(mean, std²) truncated to [low, high]; the parameters must
/// have passed [`validate`].
pub(super) fn fill<R: Rng + ?Sized>(
    out: &mut [f32],
    (mean, std): (f32, f32),
    (low, high): (f32, f32),
    rng: &mut R,
) {
    let (alpha, beta) = standardize(mean, std, low, high);
    let Some(p) = proposal(alpha, beta) else {
        rng::fill_words(out, rng, |w, rng| {
            let x = mean + std * normal_from_bits(w, rng);
            if low <= x && x <= high {
                x
            } else {
                resample_normal((mean, std), (low, high), rng)
            }
        });
        return;
    };
    let sign = if beta < 0.0 { -1.0 } else { 1.0 };
    let (mean, std) = (f64::from(mean), f64::from(std));
    for v in out.iter_mut() {
        let x = (mean + std * (sign * sample(&p, rng))) as f32;
        *v = x.clamp(low, high);
    }
}

/// The retries of the normal proposal, one `next_u32` word each (kept out of
/// line: the first proposal is accepted with probability ≥ 0.49, 0.95 for ±2σ).
#[cold]
#[inline(never)]
fn resample_normal<R: Rng + ?Sized>(
    (mean, std): (f32, f32),
    (low, high): (f32, f32),
    rng: &mut R,
) -> f32 {
    loop {
        let w = rng.next_u32();
        let x = mean + std * normal_from_bits(w, rng);
        if low <= x && x <= high {
            return x;
        }
    }
}
