//! The samplers of `deepinit::rng` against their distributions, with bounds of
//! 5 standard errors derived from n:
//!
//! - uniform: mean 1/2, variance 1/12 (μ₄ = 1/80), values in [0, 1) on the 2⁻²⁴
//!   grid, the documented word stream (low then high half of each `next_u64`);
//! - normal (ziggurat): mean 0, variance 1 (μ₄ = 3), and the CDF at 12 points
//!   including the tail beyond the ziggurat's base r = 3.654, each frequency
//!   within 5·√(p(1 − p)/n) of Φ(t) (at points where n·p(1 − p) ≥ 25, so
//!   that the count is near normal); the far tail (|z| > 4 and 4.5) in 2²⁴
//!   draws;
//! - Bernoulli: frequencies within 5·√(p(1 − p)/n), clamping of p.

use deepinit::rng;
use proptest::prelude::*;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn seeded(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn mean_var(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let m = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    (
        m,
        values
            .iter()
            .map(|&v| (f64::from(v) - m).powi(2))
            .sum::<f64>()
            / n,
    )
}

fn assert_moments(values: &[f32], mean: f64, var: f64, mu4: f64) {
    let n = values.len() as f64;
    let (m, v) = mean_var(values);
    assert!(
        (m - mean).abs() <= 5.0 * (var / n).sqrt(),
        "mean {m} vs {mean}"
    );
    assert!(
        (v - var).abs() <= 5.0 * ((mu4 - var * var) / n).sqrt(),
        "variance {v} vs {var}"
    );
}

fn normal_cdf(t: f64) -> f64 {
    0.5 * libm::erfc(-t / std::f64::consts::SQRT_2)
}

fn assert_normal_cdf(values: &[f32]) {
    let n = values.len() as f64;
    let points = [
        -3.9, -3.654, -3.0, -2.0, -1.0, -0.1, 0.0, 0.5, 1.5, 2.5, 3.654, 3.9,
    ];
    for t in points {
        let p = normal_cdf(t);
        // Fewer expected values and the count is too far from normal for
        // a bound in standard errors: see `normal_far_tail`.
        assert!(
            n * p * (1.0 - p) >= 25.0,
            "too few values expected below {t}"
        );
        let freq = values.iter().filter(|&&v| f64::from(v) < t).count() as f64 / n;
        let se = (p * (1.0 - p) / n).sqrt();
        assert!(
            (freq - p).abs() <= 5.0 * se + 1.0 / n,
            "P(z < {t}) = {freq} vs {p}"
        );
    }
}

#[test]
fn uniform_moments_grid_and_range() {
    let mut u = vec![0.0f32; 1 << 20];
    rng::fill_uniform(&mut u, &mut seeded(11));
    assert_moments(&u, 0.5, 1.0 / 12.0, 1.0 / 80.0);
    assert!(
        u.iter()
            .all(|&v| (0.0..1.0).contains(&v) && (v * 16_777_216.0).fract() == 0.0)
    );
    let mut r = seeded(12);
    let single: Vec<f32> = (0..1 << 18).map(|_| rng::uniform_f32(&mut r)).collect();
    assert_moments(&single, 0.5, 1.0 / 12.0, 1.0 / 80.0);
}

#[test]
fn uniform_word_stream_is_as_documented() {
    for len in [0, 1, 2, 3, 127, 128, 129, 300] {
        let mut out = vec![0.0f32; len];
        rng::fill_uniform(&mut out, &mut seeded(3));
        let mut r = seeded(3);
        let mut want = Vec::new();
        while want.len() < len {
            let w = r.next_u64();
            for half in [w as u32, (w >> 32) as u32] {
                want.push((half >> 8) as f32 / 16_777_216.0);
            }
        }
        want.truncate(len);
        assert_eq!(out, want, "len {len}");
    }
}

#[test]
fn normal_fill_distribution() {
    let mut z = vec![0.0f32; 1 << 20];
    rng::fill_normal(&mut z, &mut seeded(21));
    assert_moments(&z, 0.0, 1.0, 3.0);
    assert_normal_cdf(&z);
}

#[test]
fn normal_single_distribution() {
    let mut r = seeded(22);
    let z: Vec<f32> = (0..1 << 19).map(|_| rng::standard_normal(&mut r)).collect();
    assert_moments(&z, 0.0, 1.0, 3.0);
    assert_normal_cdf(&z);
}

/// Beyond |z| = 4 and 4.5, where the CDF check has too few values: counts
/// in 2²⁴ draws (about 1062 and 114 expected) within 5·√(n·p(1 − p)) of n·p.
#[test]
fn normal_far_tail() {
    let mut r = seeded(24);
    let mut z = vec![0.0f32; 1 << 20];
    let tails = [4.0, 4.5];
    let mut counts = [0usize; 2];
    for _ in 0..16 {
        rng::fill_normal(&mut z, &mut r);
        for (count, t) in counts.iter_mut().zip(tails) {
            *count += z.iter().filter(|v| f64::from(v.abs()) > t).count();
        }
    }
    let n = f64::from(16u32 << 20);
    for (&count, t) in counts.iter().zip(tails) {
        let p = 2.0 * normal_cdf(-t);
        let (count, expected) = (count as f64, n * p);
        assert!(
            (count - expected).abs() <= 5.0 * (expected * (1.0 - p)).sqrt(),
            "{count} values beyond |z| = {t}, {expected:.0} expected"
        );
    }
}

#[test]
fn normal_is_symmetric_and_reaches_the_tail() {
    let mut z = vec![0.0f32; 1 << 20];
    rng::fill_normal(&mut z, &mut seeded(23));
    let beyond = z.iter().filter(|v| v.abs() > 3.654_152_9).count() as f64;
    let p = 2.0 * normal_cdf(-3.654_152_9);
    let n = z.len() as f64;
    assert!(
        (beyond - n * p).abs() <= 5.0 * (n * p * (1.0 - p)).sqrt(),
        "{beyond} beyond r"
    );
    let negative = z.iter().filter(|v| v.is_sign_negative()).count() as f64;
    assert!((negative - n / 2.0).abs() <= 5.0 * (n / 4.0).sqrt());
}

#[test]
fn bernoulli_frequencies_and_clamping() {
    let n = 200_000;
    for p in [0.001f32, 0.1, 0.5, 0.9, 0.999] {
        let mut r = seeded(31);
        let hits = (0..n).filter(|_| rng::bernoulli(&mut r, p)).count() as f64;
        let (n, p) = (n as f64, f64::from(p));
        assert!(
            (hits - n * p).abs() <= 5.0 * (n * p * (1.0 - p)).sqrt(),
            "p = {p}: {hits}"
        );
    }
    let mut r = seeded(32);
    for _ in 0..10_000 {
        assert!(!rng::bernoulli(&mut r, 0.0) && !rng::bernoulli(&mut r, -1.0));
        assert!(!rng::bernoulli(&mut r, f32::NAN));
        assert!(rng::bernoulli(&mut r, 1.0) && rng::bernoulli(&mut r, 2.0));
    }
}

#[test]
fn fill_bernoulli_frequencies() {
    let probs: Vec<f32> = (0..400_000)
        .map(|i| [0.0, 0.25, 0.75, 1.0][i % 4])
        .collect();
    let mut out = vec![0.5f32; probs.len()];
    rng::fill_bernoulli(&probs, &mut out, &mut seeded(41));
    assert!(out.iter().all(|&v| v == 0.0 || v == 1.0));
    for (k, p) in [0.0f64, 0.25, 0.75, 1.0].into_iter().enumerate() {
        let hits: f64 = out.iter().skip(k).step_by(4).map(|&v| f64::from(v)).sum();
        let n = 100_000.0;
        assert!(
            (hits - n * p).abs() <= 5.0 * (n * p * (1.0 - p)).sqrt(),
            "p = {p}: {hits}"
        );
    }
}

#[test]
#[should_panic(expected = "lengths differ")]
fn fill_bernoulli_checks_lengths() {
    rng::fill_bernoulli(&[0.5; 3], &mut [0.0; 4], &mut seeded(0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn fills_are_deterministic_and_seed_dependent(len in 16usize..2000, seed: u64) {
        let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
        let normal = |s: u64| { let mut v = vec![0.0; len]; rng::fill_normal(&mut v, &mut seeded(s)); bits(v) };
        let uniform = |s: u64| { let mut v = vec![0.0; len]; rng::fill_uniform(&mut v, &mut seeded(s)); bits(v) };
        prop_assert_eq!(normal(seed), normal(seed));
        prop_assert_ne!(normal(seed), normal(seed ^ 1));
        prop_assert_eq!(uniform(seed), uniform(seed));
        prop_assert_ne!(uniform(seed), uniform(seed ^ 1));
    }
}
