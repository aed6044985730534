//! Statistical properties of every random initializer over random fans
//! (1..=4096), lengths and seeds (proptest):
//!
//! - the sample mean is within 5 standard errors σ/√n of the distribution's mean;
//! - the sample variance (1/n) is within 5 standard errors √((μ₄ − σ⁴)/n) of σ²,
//!   μ₄ being the 4th central moment of the distribution (uniform: w⁴/80,
//!   normal: 3σ⁴, truncated normal: from the moment recurrence below);
//! - bounded distributions never leave their bounds;
//! - the same seed gives the same bits, another seed other values.
//!
//! The expected moments come from each initializer's resolved `params`; that
//! the parameters themselves follow the papers (gains, fans, the 0.8796…
//! truncation factor) is pinned exactly by `tests/init_formulas.rs`, and
//! `variance_scaling`'s truncated normal is checked against s/fan directly
//! below.
//!
//! A false failure needs a 5σ deviation: about 6·10⁻⁷ per check for a
//! normal statistic (more for the skewed variance of a one-sided truncated
//! normal); a run makes about 1150 checks, so about 10⁻³ per run.

use deepinit::init::{Distribution, FanMode, Fans, Init, Nonlinearity, Params};
use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Standard normal density.
fn phi(x: f64) -> f64 {
    if x.is_infinite() {
        0.0
    } else {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

/// x^k·φ(x), 0 at ±∞.
fn xk_phi(x: f64, k: i32) -> f64 {
    if x.is_infinite() {
        0.0
    } else {
        x.powi(k) * phi(x)
    }
}

/// Mean, variance and 4th central moment of N(0, 1) truncated to [a, b], from
/// E[Zᵏ] = (k−1)·E[Zᵏ⁻²] + (aᵏ⁻¹φ(a) − bᵏ⁻¹φ(b))/Z, Z = Φ(b) − Φ(a).
fn truncated_standard_moments(a: f64, b: f64) -> (f64, f64, f64) {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let mass = if a >= 0.0 {
        0.5 * (libm::erfc(a * r) - libm::erfc(b * r))
    } else if b <= 0.0 {
        0.5 * (libm::erfc(-b * r) - libm::erfc(-a * r))
    } else {
        0.5 * (libm::erf(b * r) - libm::erf(a * r))
    };
    let term = |k: i32| (xk_phi(a, k) - xk_phi(b, k)) / mass;
    let m1 = term(0);
    let m2 = 1.0 + term(1);
    let m3 = 2.0 * m1 + term(2);
    let m4 = 3.0 * m2 + term(3);
    let var = m2 - m1 * m1;
    let mu4 = m4 - 4.0 * m1 * m3 + 6.0 * m1 * m1 * m2 - 3.0 * m1.powi(4);
    (m1, var, mu4)
}

/// (mean, variance, 4th central moment, bounds) of the distribution `p`.
fn moments(p: Params) -> (f64, f64, f64, Option<(f32, f32)>) {
    match p {
        Params::Uniform { low, high } => {
            let w = f64::from(high) - f64::from(low);
            let mean = (f64::from(low) + f64::from(high)) / 2.0;
            (mean, w * w / 12.0, w.powi(4) / 80.0, Some((low, high)))
        }
        Params::Normal { mean, std } => {
            let s2 = f64::from(std).powi(2);
            (f64::from(mean), s2, 3.0 * s2 * s2, None)
        }
        Params::TruncatedNormal {
            mean,
            std,
            low,
            high,
        } => {
            let (m, s) = (f64::from(mean), f64::from(std));
            let (a, b) = ((f64::from(low) - m) / s, (f64::from(high) - m) / s);
            let (m1, var, mu4) = truncated_standard_moments(a, b);
            (m + s * m1, s * s * var, s.powi(4) * mu4, Some((low, high)))
        }
        other => panic!("not an i.i.d. distribution: {other:?}"),
    }
}

/// The sample mean and the (1/n) sample variance, in f64.
fn sample_mean_var(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let m = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let v = values
        .iter()
        .map(|&x| (f64::from(x) - m).powi(2))
        .sum::<f64>()
        / n;
    (m, v)
}

/// Checks the sample against the moments of `init` for `fans`.
fn check_sample(init: Init, fans: Fans, values: &[f32]) -> Result<(), TestCaseError> {
    let (mean, var, mu4, bounds) = moments(init.params(fans).unwrap());
    let n = values.len() as f64;
    let (m, v) = sample_mean_var(values);
    let se_mean = (var / n).sqrt();
    let se_var = ((mu4 - var * var) / n).sqrt();
    prop_assert!(
        (m - mean).abs() <= 5.0 * se_mean,
        "{init:?} {fans:?}: mean {m} vs {mean} (SE {se_mean})"
    );
    prop_assert!(
        (v - var).abs() <= 5.0 * se_var,
        "{init:?} {fans:?}: var {v} vs {var} (SE {se_var})"
    );
    if let Some((low, high)) = bounds {
        prop_assert!(
            values.iter().all(|x| (low..=high).contains(x)),
            "{init:?}: out of [{low}, {high}]"
        );
    }
    Ok(())
}

/// Every random i.i.d. initializer, with parameters that do not depend on fans
/// chosen as PyTorch/Keras users would.
fn random_inits() -> Vec<Init> {
    vec![
        Init::uniform(-0.3, 0.7),
        Init::normal(0.5, 0.02),
        Init::truncated_normal(0.0, 1.0, -2.0, 2.0),
        Init::truncated_normal(0.1, 0.05, 0.0, 0.15),
        Init::truncated_normal(0.0, 1.0, 8.0, 9.0),
        Init::truncated_normal(0.0, 1.0, -1.5, -0.5),
        Init::truncated_normal(0.0, 1.0, 0.5, f32::INFINITY),
        Init::variance_scaling(2.0, FanMode::Avg, Distribution::TruncatedNormal),
        Init::variance_scaling(1.0, FanMode::GeoAvg, Distribution::Uniform),
        Init::variance_scaling(0.5, FanMode::Out, Distribution::Normal),
        Init::xavier_uniform(1.0),
        Init::xavier_normal(5.0 / 3.0),
        Init::kaiming_uniform(Nonlinearity::LeakyRelu(0.2), FanMode::Out),
        Init::kaiming_normal(Nonlinearity::Selu, FanMode::In),
        Init::he_uniform(),
        Init::he_normal(),
        Init::lecun_uniform(),
        Init::lecun_normal(),
    ]
}

fn filled(init: Init, fans: Fans, len: usize, seed: u64) -> Vec<f32> {
    let mut out = vec![f32::NAN; len];
    init.fill(&mut out, fans, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
        .unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn moments_and_bounds(fan_in in 1usize..=4096, fan_out in 1usize..=4096,
                          len in 2000usize..=12_000, seed: u64) {
        let fans = Fans::new(fan_in, fan_out);
        for init in random_inits() {
            check_sample(init, fans, &filled(init, fans, len, seed))?;
        }
    }

    #[test]
    fn seeds_decide_the_bits(fan_in in 1usize..=4096, fan_out in 1usize..=4096,
                             len in 16usize..=300, seed: u64) {
        let fans = Fans::new(fan_in, fan_out);
        for init in random_inits() {
            let a = filled(init, fans, len, seed);
            let b = filled(init, fans, len, seed);
            let c = filled(init, fans, len, seed.wrapping_add(1));
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&a), bits(&b));
            prop_assert_ne!(bits(&a), bits(&c), "{:?}: seeds {} and {} agree", init, seed, seed.wrapping_add(1));
        }
    }
}

#[test]
fn keras_truncated_normal_has_the_requested_variance() {
    // The 0.87962566103423978 correction: N(0, σ²) truncated to ±2σ has
    // variance (0.8796…·σ)², so variance_scaling's samples have variance s.
    let (_, var, mu4) = truncated_standard_moments(-2.0, 2.0);
    assert!(
        (var.sqrt() - 0.879_625_661_034_239_8).abs() < 1e-12,
        "{}",
        var.sqrt()
    );
    // The samples themselves: variance s/fan within 5 standard errors
    // √((μ₄ − σ⁴)/n), with μ₄ and σ⁴ of the truncated normal scaled to that
    // variance. Without the correction the variance would be 0.774·s/fan.
    for (scale, mode, want) in [
        (2.0f32, FanMode::In, 2.0 / 100.0),
        (1.0, FanMode::Avg, 1.0 / 1050.0),
    ] {
        let init = Init::variance_scaling(scale, mode, Distribution::TruncatedNormal);
        let values = filled(init, Fans::new(100, 2000), 200_000, 5);
        let n = values.len() as f64;
        let (_, v) = sample_mean_var(&values);
        let k = want / var; // the standard variable's scale²
        let se = ((mu4 - var * var) * k * k / n).sqrt();
        assert!(
            (v - want).abs() <= 5.0 * se,
            "{mode:?}: var {v} vs {want} (SE {se})"
        );
    }
}
