//! Eight-lane kernels (`wide::f32x8`) for eˣ, σ, tanh and relu.
//!
//! **eˣ** — Cody–Waite range reduction and a minimax polynomial, after Cephes
//! `expf` (S. L. Moshier, *Methods and Programs for Mathematical Functions*,
//! 1989; W. J. Cody and W. Waite, *Software Manual for the Elementary
//! Functions*, 1980):
//!
//! ```text
//! n = round(x·log₂e),   r = x − n·C₁ − n·C₂   (C₁ + C₂ ≈ ln 2, C₁ = 0.693359375 exact in 9 bits,
//!                                             so n·C₁ is exact for |n| < 2¹⁵), |r| ≤ ½ ln 2
//! eʳ ≈ 1 + r + r²·P(r),  P of degree 5 (Cephes coefficients)
//! eˣ = eʳ · 2^⌊n/2⌋ · 2^(n−⌊n/2⌋)
//! ```
//!
//! The two-step scaling keeps every intermediate normal, so results in the
//! subnormal range (x down to −103.97) are rounded only by the last scaling
//! beyond the polynomial's own rounding and stay within 1 ulp, and
//! x ≥ 88.73 overflows to +∞ as it should. Measured error of this eˣ: ≤ 1 ulp.
//! It uses `+ − × ÷` only (no FMA), so every target computes the same bits.
//!
//! **σ(x) = 1/(1 + e^(−x))** is evaluated literally for x ≥ −17: each rounded
//! step (e^(−x), 1 + ·, 1/·) is monotone, so σ is monotone whenever eˣ is.
//! For x < −17, fl(1 + eˣ) = 1, and σ(x) = eˣ/(1 + eˣ) is taken as eˣ, which
//! is within a relative eˣ < 4.2·10⁻⁸ of it (under one ulp; the two round
//! to different floats for 1.3 % of these x). That keeps full relative
//! accuracy down into the subnormals without the overflow of e^(−x)
//! (x < −88.7). ±∞ and ±f32::MAX give exactly 1 and 0.
//!
//! **tanh x** = sign(x)·t(|x|) with t(a) = a + a·z·Q(z), z = a², for a < 0.625
//! (Cephes `tanhf` polynomial), else t(a) = 1 − 2/(1 + e^(2a)): a chain of
//! monotone rounded steps, so t is monotone (e^(2a) = +∞ for a > 44.4 gives 1).
//!
//! NaN in gives NaN out in every function here.

use wide::{f32x8, i32x8};

/// Number of lanes.
pub(crate) const LANES: usize = 8;

const LOG2E: f32 = core::f32::consts::LOG2_E;
/// 1.5·2²³: adding and subtracting it rounds to the nearest integer (ties even).
const ROUNDER: f32 = 12_582_912.0;
const C1: f32 = 0.693_359_4;
const C2: f32 = -2.121_944_4e-4;
/// Below this, eˣ rounds to +0 (e^(−103.98) < 2^(−150)).
const EXP_LO: f32 = -104.0;
/// Lower clamp of the single-scaling exp (e^(−87) is still normal).
const NORMAL_LO: f32 = -87.0;
/// Above this, eˣ overflows to +∞ (ln(f32::MAX) ≈ 88.72).
const EXP_HI: f32 = 89.0;
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    5e-1,
];
/// Below this, fl(1 + eˣ) = 1, so σ(x) = eˣ/(1 + eˣ) rounds as eˣ (e^(−17) < 2^(−24)).
const SIGMOID_DEEP: f32 = -17.0;
const TANH_SMALL: f32 = 0.625;
const Q: [f32; 5] = [
    -5.704_988_7e-3,
    2.063_909e-2,
    -5.373_971_6e-2,
    1.333_144_2e-1,
    -3.333_328e-1,
];

/// 2ᵏ for integer-valued `k` with −126 ≤ k ≤ 127, built from its exponent bits.
#[inline(always)]
fn pow2i(k: i32x8) -> f32x8 {
    f32x8::from_bits(((k + i32x8::splat(127)) << 23u32).cast_unsigned())
}

/// eˣ in each lane (≤ 1 ulp; NaN → NaN, −∞ → 0, +∞ → +∞).
#[inline(always)]
pub(crate) fn exp(x: f32x8) -> f32x8 {
    x.is_nan().select(x, exp_non_nan(x))
}

/// eˣ for non-NaN lanes with x ≤ 88, with one scaling step: x < −87 gives
/// e^(−87) instead of a subnormal or 0. Equal to [`exp_non_nan`] bit for bit
/// on −87 ≤ x ≤ 88.
#[inline(always)]
fn exp_normal(x: f32x8) -> f32x8 {
    let xc = x.fast_max(f32x8::splat(NORMAL_LO));
    let t = xc * f32x8::splat(LOG2E) + f32x8::splat(ROUNDER);
    let n = t - f32x8::splat(ROUNDER);
    let r = xc - n * f32x8::splat(C1) - n * f32x8::splat(C2);
    let k = t.to_bits().cast_signed() - i32x8::splat(ROUNDER.to_bits().cast_signed());
    poly(r) * pow2i(k)
}

/// eʳ ≈ 1 + r + r²·P(r) for |r| ≤ ½ ln 2.
#[inline(always)]
fn poly(r: f32x8) -> f32x8 {
    let mut p = f32x8::splat(P[0]);
    for &c in &P[1..] {
        p = p * r + f32x8::splat(c);
    }
    p * (r * r) + r + f32x8::ONE
}

/// eˣ for non-NaN lanes (NaN lanes give an unspecified value; callers restore
/// NaN themselves).
#[inline(always)]
pub(crate) fn exp_non_nan(x: f32x8) -> f32x8 {
    let xc = x
        .fast_max(f32x8::splat(EXP_LO))
        .fast_min(f32x8::splat(EXP_HI));
    // t = 1.5·2²³ + n exactly, so n is also t's low mantissa bits.
    let t = xc * f32x8::splat(LOG2E) + f32x8::splat(ROUNDER);
    let n = t - f32x8::splat(ROUNDER);
    let r = xc - n * f32x8::splat(C1) - n * f32x8::splat(C2);
    let e = poly(r);
    let k = t.to_bits().cast_signed() - i32x8::splat(ROUNDER.to_bits().cast_signed());
    let k1 = k >> 1u32;
    e * pow2i(k1) * pow2i(k - k1)
}

/// σ(x) = 1/(1 + e^(−x)) in each lane.
#[inline(always)]
pub(crate) fn sigmoid(x: f32x8) -> f32x8 {
    let deep = x.simd_lt(f32x8::splat(SIGMOID_DEEP));
    let y = if deep.any() {
        // One exp serves both branches: e^x deep in the left tail, else e^(−x).
        let e = exp_non_nan(deep.select(x, -x));
        deep.select(e, f32x8::ONE / (f32x8::ONE + e))
    } else {
        // Common case: −x ≤ 17, and e^(−x) is normal or irrelevant (σ = 1).
        f32x8::ONE / (f32x8::ONE + exp_normal(-x))
    };
    x.is_nan().select(x, y)
}

/// tanh x in each lane.
#[inline(always)]
pub(crate) fn tanh(x: f32x8) -> f32x8 {
    let a = x.abs();
    let z = a * a;
    let mut q = f32x8::splat(Q[0]);
    for &c in &Q[1..] {
        q = q * z + f32x8::splat(c);
    }
    let small = a + a * z * q;
    let e = exp_non_nan(a + a);
    let large = f32x8::ONE - f32x8::splat(2.0) / (f32x8::ONE + e);
    let t = a.simd_lt(f32x8::splat(TANH_SMALL)).select(small, large);
    let y = t | (x & f32x8::splat(-0.0));
    x.is_nan().select(x, y)
}

/// max(x, 0) in each lane; NaN stays NaN, −0 becomes +0. One compare
/// and one and-not per vector: `x ≤ 0` is false for NaN, so NaN keeps its
/// bits (a compare for `x > 0` would need a second one for NaN).
#[inline(always)]
pub(crate) fn relu(x: f32x8) -> f32x8 {
    x.simd_le(f32x8::ZERO).select(f32x8::ZERO, x)
}

/// Loads up to eight values, padding with zeros.
#[inline(always)]
pub(crate) fn load_partial(s: &[f32]) -> f32x8 {
    let mut a = [0.0f32; LANES];
    a[..s.len()].copy_from_slice(s);
    f32x8::new(a)
}

/// Applies `f` to every element of `x` in place, eight at a time; the tail is
/// padded to a full vector so every element gets exactly the same arithmetic.
#[inline(always)]
pub(crate) fn map_in_place(x: &mut [f32], f: impl Fn(f32x8) -> f32x8) {
    let (chunks, tail) = x.as_chunks_mut::<LANES>();
    for c in chunks {
        *c = f(f32x8::new(*c)).to_array();
    }
    if !tail.is_empty() {
        let n = tail.len();
        tail.copy_from_slice(&f(load_partial(tail)).to_array()[..n]);
    }
}

/// `grad[i] ← f(grad[i], y[i])`, eight at a time (tail padded with zeros).
///
/// The caller has checked `y.len() == grad.len()`.
#[inline(always)]
pub(crate) fn zip_in_place(y: &[f32], grad: &mut [f32], f: impl Fn(f32x8, f32x8) -> f32x8) {
    let (gc, gt) = grad.as_chunks_mut::<LANES>();
    let (yc, yt) = y.as_chunks::<LANES>();
    for (g, yv) in gc.iter_mut().zip(yc) {
        *g = f(f32x8::new(*g), f32x8::new(*yv)).to_array();
    }
    if !gt.is_empty() {
        let n = gt.len();
        let r = f(load_partial(gt), load_partial(yt));
        gt.copy_from_slice(&r.to_array()[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |y − e^x| in units of the f32 spacing at e^x (subnormal spacing below
    /// f32::MIN_POSITIVE), against libm's f64 exp.
    fn ulps(y: f32, x: f32) -> f64 {
        let exact = libm::exp(f64::from(x));
        let e = libm::floor(libm::log2(exact)).max(-126.0);
        (f64::from(y) - exact).abs() / libm::exp2(e - 23.0)
    }

    #[test]
    fn exp_within_one_ulp_and_special_values() {
        let (mut worst, mut at) = (0.0f64, 0.0f32);
        // Every 97th f32 in [−103.9, 88.7] (≈ 2·10⁷ values), both signs.
        for bits in (0..0x42b2_0000u32).step_by(97) {
            let v = f32::from_bits(bits);
            let lanes = [v, -v, v, -v, v, -v, v, -v];
            let y = exp(f32x8::new(lanes)).to_array();
            for (&x, &y) in lanes.iter().zip(&y).take(2) {
                if x > -103.9 && x < 88.7 {
                    let u = ulps(y, x);
                    if u > worst {
                        (worst, at) = (u, x);
                    }
                }
            }
        }
        assert!(worst <= 1.0, "exp: {worst} ulp at {at:e}");
        let special = [
            f32::NEG_INFINITY,
            f32::INFINITY,
            0.0,
            -0.0,
            89.0,
            -104.0,
            1.0,
            f32::NAN,
        ];
        let y = exp(f32x8::new(special)).to_array();
        assert_eq!(&y[..6], &[0.0, f32::INFINITY, 1.0, 1.0, f32::INFINITY, 0.0]);
        assert!((y[6] - core::f32::consts::E).abs() <= f32::EPSILON * 2.0);
        assert!(y[7].is_nan());
    }
}
