//! Initializes the first layer of an MNIST network (W [256 × 784]) with every
//! initializer at seed 42 and prints what it resolves to and the statistics of
//! the weights, then pushes a random input through ten such layers to show why
//! the scale matters: with N(0, 1) the activations explode and with a small
//! fixed scale they vanish; He keeps them at the input's scale. Xavier,
//! derived for activations symmetric about zero (tanh, or none), lets them
//! shrink by about √2 a ReLU layer (35× over these ten), which is why He added
//! the factor 2 for ReLU.
//!
//! Run: `cargo run --example init_weights`.

use deepinit::init::{Distribution, FanMode, Fans, Init, InitError, Nonlinearity};
use deepinit::rng;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn stats(w: &[f32]) -> (f64, f64, f32, f32) {
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = w
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let min = w.iter().copied().fold(f32::INFINITY, f32::min);
    let max = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (mean, var.sqrt(), min, max)
}

/// Std of the activations after `depth` ReLU layers of width `width`.
fn activation_std(init: Init, width: usize, depth: usize) -> Result<f64, InitError> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut x = vec![0.0f32; width];
    rng::fill_normal(&mut x, &mut rng);
    let mut w = vec![0.0f32; width * width];
    for _ in 0..depth {
        init.fill(&mut w, Fans::new(width, width), &mut rng)?;
        x = w
            .chunks_exact(width)
            .map(|row| row.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>().max(0.0))
            .collect();
    }
    Ok(stats(&x).1)
}

fn main() -> Result<(), InitError> {
    let fans = Fans::new(784, 256);
    let inits = [
        ("zeros", Init::zeros()),
        ("normal(0, 1)", Init::normal(0.0, 1.0)),
        ("normal(0, 0.01)", Init::normal(0.0, 0.01)),
        ("uniform(-0.05, 0.05)", Init::uniform(-0.05, 0.05)),
        (
            "truncated_normal(0, 0.05, ±0.1)",
            Init::truncated_normal(0.0, 0.05, -0.1, 0.1),
        ),
        ("xavier_uniform(1)", Init::xavier_uniform(1.0)),
        ("xavier_normal(1)", Init::xavier_normal(1.0)),
        ("he_uniform", Init::he_uniform()),
        ("he_normal", Init::he_normal()),
        (
            "kaiming_normal(tanh, out)",
            Init::kaiming_normal(Nonlinearity::Tanh, FanMode::Out),
        ),
        ("lecun_uniform", Init::lecun_uniform()),
        ("lecun_normal", Init::lecun_normal()),
        (
            "variance_scaling(2, avg, trunc)",
            Init::variance_scaling(2.0, FanMode::Avg, Distribution::TruncatedNormal),
        ),
        ("eye", Init::eye()),
        ("sparse(0.1, 0.01)", Init::sparse(0.1, 0.01)),
        #[cfg(feature = "alloc")]
        ("orthogonal(1)", Init::orthogonal(1.0)),
    ];
    println!("W [256 × 784], seed 42\n");
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>10}",
        "initializer", "mean", "std", "min", "max"
    );
    let mut w = vec![0.0f32; 784 * 256];
    for (name, init) in inits {
        init.fill(&mut w, fans, &mut Xoshiro256PlusPlus::seed_from_u64(42))?;
        let (mean, std, min, max) = stats(&w);
        println!("{name:<32} {mean:>10.5} {std:>10.5} {min:>10.5} {max:>10.5}");
        println!("{:<32} {:?}", "", init.params(fans)?);
    }
    println!("\nstd of the activations after 10 ReLU layers of width 256 (input std 1):");
    for (name, init) in [
        ("normal(0, 1)", Init::normal(0.0, 1.0)),
        ("normal(0, 0.01)", Init::normal(0.0, 0.01)),
        ("xavier_normal(1)", Init::xavier_normal(1.0)),
        ("he_normal", Init::he_normal()),
    ] {
        println!("{name:<32} {:>12.4e}", activation_std(init, 256, 10)?);
    }
    match Init::truncated_normal(0.0, 1.0, 40.0, 41.0).fill(
        &mut w,
        fans,
        &mut Xoshiro256PlusPlus::seed_from_u64(1),
    ) {
        Err(e) => println!("\nrefused: {e}"),
        Ok(()) => println!("\n[40σ, 41σ] sampled"),
    }
    Ok(())
}
