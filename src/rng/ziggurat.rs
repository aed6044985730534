//! Standard normal sampling by the ziggurat method of Marsaglia & Tsang (2000),
//! "The Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8),
//! with 256 layers of equal area v under f(x) = exp(−x²/2).
//!
//! One 32-bit word w gives one sample in the common case (98.5 %):
//!
//! ```text
//! i = w & 255            layer
//! s = bit 8 of w         sign
//! j = w >> 9             23-bit magnitude, u = j / 2²³ ∈ [0, 1)
//! x = j · (X[i] / 2²³)   accepted at once if j < K[i] = ⌊2²³ · X[i+1] / X[i]⌋
//! ```
//!
//! The integer test `j < K[i]` is the rectangle test `|x| < X[i+1]` of the paper done
//! on integers. Otherwise, for layer 0 the sample comes from the tail x > r by
//! Marsaglia's method (x = −ln U₁ / r, y = −ln U₂, accept when 2y ≥ x²,
//! return r + x); for the other layers it is kept when a uniform height
//! `y ∈ [F[i], F[i+1])` lies under the curve, y < exp(−x²/2) (the wedge test, in
//! f32 with `libm::expf`), else a fresh word is drawn. The sign bit is
//! independent of the magnitude, so it is applied once at the end.
//!
//! Unlike Marsaglia's `RNOR`, the layer index and the magnitude use disjoint bits
//! (Doornik 2005 shows the correlation that shared bits create).
//!
//! Portability: the fast path is one exact u32 → f32 conversion and one IEEE
//! multiplication; the slow paths use `+ − × ÷`, comparisons, `libm::expf` and
//! `libm::log`. Every operation is deterministic, so the output bits are the
//! same on every target. The multipliers K, W and the f32 densities are derived
//! from the committed f64 tables by `const` evaluation, which follows IEEE
//! arithmetic exactly.

use super::tables::{F, X};
use rand_core::Rng;

/// 2²³: the magnitude has 23 bits.
const TWO23: f64 = 8_388_608.0;

/// Acceptance thresholds `K[i] = ⌊2²³ · X[i+1] / X[i]⌋` (`K[255] = 0`: the top layer
/// always goes to the wedge test).
const K: [u32; 256] = {
    let mut k = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        k[i] = (X[i + 1] / X[i] * TWO23) as u32;
        i += 1;
    }
    k
};

/// Scales `W[i] = X[i] / 2²³` rounded to f32, so that `x = j · W[i]`.
const W: [f32; 256] = {
    let mut w = [0f32; 256];
    let mut i = 0;
    while i < 256 {
        w[i] = (X[i] / TWO23) as f32;
        i += 1;
    }
    w
};

/// The densities `F[i]` rounded to f32, for the wedge test.
const F32: [f32; 257] = {
    let mut f = [0f32; 257];
    let mut i = 0;
    while i < 257 {
        f[i] = F[i] as f32;
        i += 1;
    }
    f
};

/// A standard normal sample from the 32-bit word `w`; draws more words from
/// `rng` only in the rare slow path (1.5 % of the words).
#[inline(always)]
pub(crate) fn normal_from_bits<R: Rng + ?Sized>(w: u32, rng: &mut R) -> f32 {
    let i = (w & 255) as usize;
    let j = w >> 9;
    let magnitude = if j < K[i] {
        j as f32 * W[i]
    } else {
        slow_magnitude(i, j, rng)
    };
    f32::from_bits(magnitude.to_bits() ^ ((w & 0x100) << 23))
}

/// The wedge and tail paths: returns |x| for a rejected fast test in layer `i`
/// with magnitude bits `j`.
#[cold]
#[inline(never)]
fn slow_magnitude<R: Rng + ?Sized>(mut i: usize, mut j: u32, rng: &mut R) -> f32 {
    loop {
        if i == 0 {
            return tail(rng);
        }
        let x = j as f32 * W[i];
        let r = rng.next_u64();
        let u = super::unit_from_bits((r >> 32) as u32);
        if F32[i] + (F32[i + 1] - F32[i]) * u < libm::expf(-0.5 * x * x) {
            return x;
        }
        let w = r as u32;
        i = (w & 255) as usize;
        j = w >> 9;
        if j < K[i] {
            return j as f32 * W[i];
        }
    }
}

/// A sample of |x| conditioned on |x| > r (Marsaglia 1964, as in Marsaglia &
/// Tsang 2000): x = −ln U₁ / r, y = −ln U₂ with U ∈ (0, 1], accept when 2y ≥ x².
fn tail<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    let r = X[1];
    loop {
        let x = -libm::log(open_unit(rng.next_u64())) / r;
        let y = -libm::log(open_unit(rng.next_u64()));
        if y + y >= x * x {
            return (r + x) as f32;
        }
    }
}

/// A uniform f64 in (0, 1] from the top 53 bits of `w`.
#[inline]
fn open_unit(w: u64) -> f64 {
    ((w >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{println, vec::Vec};

    fn density(x: f64) -> f64 {
        libm::exp(-0.5 * x * x)
    }

    /// Recomputes the tables from Marsaglia & Tsang's r and v; this is also the
    /// generator: a table that differs is printed as Rust source (see it with
    /// `cargo test --lib tables_match -- --nocapture`) before the test fails.
    #[test]
    fn tables_match_generating_formula() {
        const R: f64 = 3.654_152_885_361_009; // the paper's 3.6541528853610088 as f64
        const V: f64 = 4.92867323399e-3;
        let mut x = [0.0f64; 257];
        x[0] = V / density(R);
        x[1] = R;
        for i in 1..255 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(V / x[i] + density(x[i])));
        }
        let f: Vec<f64> = x.iter().map(|&v| density(v)).collect();
        for (name, got, want) in [("X", &X[..], &x[..]), ("F", &F[..], &f[..])] {
            if got
                .iter()
                .zip(want)
                .any(|(a, b)| a.to_bits() != b.to_bits())
            {
                println!("const {name}: [f64; 257] = {want:?};");
                panic!("table {name} differs from its generating formula");
            }
        }
        // The top layer closes: its area equals v to 2e-9 relative.
        let top = x[255] * (1.0 - density(x[255]));
        assert!((top - V).abs() < 2e-9 * V, "top layer area {top}");
    }

    #[test]
    fn thresholds_are_conservative() {
        for i in 0..255 {
            // The largest accepted magnitude stays inside the next layer.
            let j = K[i] - 1;
            assert!((j as f64) * X[i] / TWO23 < X[i + 1], "layer {i}");
        }
        assert_eq!(K[255], 0);
    }

    /// The tail sampler draws |x| > r with the normal's conditional law:
    /// P(X > t | X > r) = erfc(t/√2) / erfc(r/√2), checked at four points
    /// within 5 standard errors √(p(1 − p)/n) of n draws. Without the
    /// acceptance step (a plain exponential excess) the frequency at r + 0.5
    /// would be 0.161 against 0.125, some 50 standard errors off.
    #[test]
    fn tail_follows_the_normal_beyond_r() {
        use rand_core::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 200_000;
        let draws: Vec<f32> = (0..n).map(|_| tail(&mut rng)).collect();
        let r = X[1];
        let upper = |t: f64| libm::erfc(t * core::f64::consts::FRAC_1_SQRT_2);
        assert!(draws.iter().all(|&x| f64::from(x) >= r as f32 as f64));
        for dt in [0.1, 0.25, 0.5, 1.0] {
            let t = r + dt;
            let p = upper(t) / upper(r);
            let seen = draws.iter().filter(|&&x| f64::from(x) > t).count() as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (seen - p).abs() <= 5.0 * se,
                "P(X > r + {dt}): {seen} against {p} ± {se}"
            );
        }
    }
}
