use deepinit::mlp::{BiasInit, Gradients, Mlp, Workspace};
use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
use deepinit::{activation::Activation, init::Init, mat::MatRef};
use rand_core::{Rng, SeedableRng};
use std::time::Instant;
fn main() {
    let threads: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let mut net = Mlp::new(
        &[784, 256, 256, 10],
        Activation::Relu,
        &Init::xavier_uniform(1.0),
        &BiasInit::Default,
        &mut rng,
    )
    .unwrap();
    let mut opt = Optimizer::new(
        OptimizerConfig::Adam(AdamConfig::new(1e-3)),
        &net.param_lens(),
    )
    .unwrap();
    let mut ws = Workspace::with_threads(&net, 100, threads);
    opt.set_threads(threads);
    let mut g = Gradients::new(&net);
    let nb = 50;
    let x: Vec<f32> = (0..nb * 100 * 784)
        .map(|_| (rng.next_u32() >> 24) as f32 / 255.0)
        .collect();
    let y: Vec<u8> = (0..nb * 100).map(|_| (rng.next_u32() % 10) as u8).collect();
    let (mut best_step, mut best_fb, mut best_f, mut best_a) =
        (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    for rep in 0..40 {
        let s = Instant::now();
        for k in 0..nb {
            let xv = MatRef::from_row_major(&x[k * 78400..(k + 1) * 78400], 100, 784).unwrap();
            net.loss_and_gradients(xv, &y[k * 100..(k + 1) * 100], &mut ws, &mut g);
            opt.step(net.params_and_grads(&g));
        }
        if rep > 2 {
            best_step = best_step.min(s.elapsed().as_secs_f64() / nb as f64);
        }
        let s = Instant::now();
        for k in 0..nb {
            let xv = MatRef::from_row_major(&x[k * 78400..(k + 1) * 78400], 100, 784).unwrap();
            net.loss_and_gradients(xv, &y[k * 100..(k + 1) * 100], &mut ws, &mut g);
        }
        best_fb = best_fb.min(s.elapsed().as_secs_f64() / nb as f64);
        let s = Instant::now();
        for k in 0..nb {
            let xv = MatRef::from_row_major(&x[k * 78400..(k + 1) * 78400], 100, 784).unwrap();
            net.forward(xv, &mut ws);
        }
        best_f = best_f.min(s.elapsed().as_secs_f64() / nb as f64);
        let s = Instant::now();
        for _ in 0..nb {
            opt.step(net.params_and_grads(&g));
        }
        best_a = best_a.min(s.elapsed().as_secs_f64() / nb as f64);
    }
    println!(
        "threads {threads}: step {:.0} us ({:.0} samples/s), fwd+bwd {:.0} us, fwd {:.0} us, adam alone {:.0} us",
        best_step * 1e6,
        100.0 / best_step,
        best_fb * 1e6,
        best_f * 1e6,
        best_a * 1e6
    );
}
