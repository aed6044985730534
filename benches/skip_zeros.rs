//! The first layer's products of deep5 (784 → 512) on real MNIST batches,
//! with and without `GemmConfig::skip_zeros`, on one thread: the forward
//! product `X·W₁ᵀ` (hint on A = X) and the weight gradient `Δᵀ·X` (hint on
//! B = X). Twenty batches of 100 images (`DEEPINIT_DATA` or `data/mnist`)
//! cycle, so the zero pattern is the images' own: 53 % of the pixels are
//! zero in all 8 images of a tile (the forward product's skipped terms),
//! and 60 % of the images are zero at all 8 pixels of a tile (the weight
//! gradient's). W₁ and Δ are dense. The same products on uniformly random
//! pixels (almost no zeros) show what the hint costs when it cannot pay.
//! Both forms give the same values (see `tests/gemm_skip_zeros.rs`); the
//! ratio of the two medians is the gain. Throughput counts the dense
//! product's floating-point operations (2·m·k·n).
//!
//!
//! The second group is a hidden 512 → 512 layer after a ReLU, in a
//! 784-512-512-10 network trained for 300 Adam steps on MNIST (seed 777):
//! its input H (the first layer's ReLU outputs on the same twenty
//! batches, 59 % zeros) and a Δ zero where H is (as ReLU′ makes it),
//! dense elsewhere. The forward product `H·W₂ᵀ`, the back-propagated
//! `Δ·W₂` and the weight gradient `Δᵀ·H` are hinted on A (H, Δ, Δᵀ):
//! with A at most 2/3 nonzero they take the sparse path, which skips each
//! row's own zeros.
//!
//! The third group measures the sparse path against the dense product on
//! a 100×512·512×512 product whose A has zeros scattered uniformly at
//! random (no term is zero across a tile), at 30 %, 50 % and 65 %
//! nonzero.
//!
//! `cargo bench --bench skip_zeros`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deepinit::activation::{self, Activation};
use deepinit::gemm::{GemmConfig, SkipZeros, gemm_with, gemm_workspace_len};
use deepinit::init::Init;
use deepinit::mlp::{BiasInit, Gradients, Mlp, Workspace};
use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
use deepinit::{MatMut, MatRef};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::path::Path;

const BATCH: usize = 100;
const INPUTS: usize = 784;
const HIDDEN: usize = 512;
const BATCHES: usize = 20;
/// Adam steps the network of the hidden-layer group trains for.
const STEPS: usize = 300;

/// Uniform in [−1, 1).
fn uniform(rng: &mut Xoshiro256PlusPlus) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

/// `count` batches of MNIST training images scaled to [0, 1] and their
/// labels, images picked by a seeded generator.
fn labelled(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<(Vec<f32>, Vec<u8>)> {
    // `DEEPINIT_DATA` or `data/mnist`, relative to the repository's root:
    // cargo runs a bench in its package's directory (`benches/`).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(deepinit::mnist::default_data_dir());
    let train = deepinit::mnist::load_mnist(&dir)
        .unwrap_or_else(|e| panic!("this bench runs on MNIST: {e}"))
        .train;
    (0..count)
        .map(|_| {
            let picked: Vec<usize> = (0..BATCH)
                .map(|_| rng.next_u32() as usize % train.len)
                .collect();
            let x = picked
                .iter()
                .flat_map(|&i| train.image(i))
                .map(|&p| f32::from(p) / 255.0)
                .collect();
            (x, picked.iter().map(|&i| train.labels[i]).collect())
        })
        .collect()
}

/// Twenty batches of MNIST training images scaled to [0, 1].
fn batches(rng: &mut Xoshiro256PlusPlus) -> Vec<Vec<f32>> {
    labelled(rng, BATCHES).into_iter().map(|(x, _)| x).collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(777);
    let mnist = batches(&mut rng);
    // Uniform pixels: almost no zeros, so the hint only costs.
    let dense: Vec<Vec<f32>> = (0..BATCHES)
        .map(|_| {
            (0..BATCH * INPUTS)
                .map(|_| (rng.next_u32() >> 24) as f32 / 255.0)
                .collect()
        })
        .collect();
    let w: Vec<f32> = (0..HIDDEN * INPUTS)
        .map(|_| uniform(&mut rng) * 0.08)
        .collect();
    let delta: Vec<f32> = (0..BATCH * HIDDEN)
        .map(|_| uniform(&mut rng) * 0.01)
        .collect();
    let mut ws = vec![
        0.0;
        gemm_workspace_len(HIDDEN, BATCH, INPUTS)
            .max(gemm_workspace_len(BATCH, INPUTS, HIDDEN))
    ];
    let mut z = vec![0.0; BATCH * HIDDEN];
    let mut gw = vec![0.0; HIDDEN * INPUTS];
    let w_t = MatRef::from_row_major(&w, HIDDEN, INPUTS).unwrap().t();
    let delta_t = MatRef::from_row_major(&delta, BATCH, HIDDEN).unwrap().t();
    let mut g = c.benchmark_group("skip_zeros_784_512_b100");
    g.throughput(Throughput::Elements((2 * BATCH * INPUTS * HIDDEN) as u64));
    let products = [("forward", SkipZeros::A), ("weight_gradient", SkipZeros::B)];
    for (data, xs) in [("mnist", &mnist), ("random_pixels", &dense)] {
        for (product, hinted) in products {
            for (hint, skip) in [("dense", SkipZeros::None), ("hinted", hinted)] {
                let config = GemmConfig::default().with_threads(1).with_skip_zeros(skip);
                let mut next = 0;
                g.bench_function(format!("{product}_{data}_{hint}"), |b| {
                    b.iter(|| {
                        next = (next + 1) % BATCHES;
                        let x = MatRef::from_row_major(&xs[next], BATCH, INPUTS).unwrap();
                        if hinted == SkipZeros::A {
                            // X·W₁ᵀ
                            let out = MatMut::from_row_major(&mut z, BATCH, HIDDEN).unwrap();
                            gemm_with(&config, 1.0, x, w_t, 0.0, out, &mut ws);
                        } else {
                            // Δᵀ·X
                            let out = MatMut::from_row_major(&mut gw, HIDDEN, INPUTS).unwrap();
                            gemm_with(&config, 1.0, delta_t, x, 0.0, out, &mut ws);
                        }
                        black_box((z[0], gw[0]))
                    })
                });
            }
        }
    }
    g.finish();
}

/// The hidden layer's products (see the module docs).
fn hidden(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(777);
    let sizes = [INPUTS, HIDDEN, HIDDEN, 10];
    let mut net = Mlp::new(
        &sizes,
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
    let mut grads = Gradients::new(&net);
    let mut ws = Workspace::new(&net, BATCH);
    for (x, y) in labelled(&mut rng, STEPS) {
        let x = MatRef::from_row_major(&x, BATCH, INPUTS).unwrap();
        net.loss_and_gradients(x, &y, &mut ws, &mut grads);
        opt.step(net.params_and_grads(&grads));
    }
    let mut gws = vec![0.0; gemm_workspace_len(HIDDEN, HIDDEN, HIDDEN)];
    let first = &net.layers()[0];
    // H = ReLU(X·W₁ᵀ + b₁) and a Δ with H's zeros, per batch.
    let inputs: Vec<(Vec<f32>, Vec<f32>)> = batches(&mut rng)
        .iter()
        .map(|x| {
            let mut h = vec![0.0; BATCH * HIDDEN];
            let x = MatRef::from_row_major(x, BATCH, INPUTS).unwrap();
            let out = MatMut::from_row_major(&mut h, BATCH, HIDDEN).unwrap();
            let config = GemmConfig::default().with_threads(1);
            gemm_with(
                &config,
                1.0,
                x,
                first.weight().view().t(),
                0.0,
                out,
                &mut gws,
            );
            let out = MatMut::from_row_major(&mut h, BATCH, HIDDEN).unwrap();
            activation::bias_activation(out, first.bias(), Activation::Relu);
            let delta = h
                .iter()
                .map(|&v| {
                    if v == 0.0 {
                        0.0
                    } else {
                        uniform(&mut rng) * 0.01
                    }
                })
                .collect();
            (h, delta)
        })
        .collect();
    let zeros = inputs
        .iter()
        .map(|(h, _)| h.iter().filter(|&&v| v == 0.0).count())
        .sum::<usize>() as f64
        / (BATCHES * BATCH * HIDDEN) as f64;
    eprintln!("hidden layer input: {:.1} % zeros", 100.0 * zeros);
    let w2 = net.layers()[1].weight().view();
    let mut out = vec![0.0; HIDDEN * HIDDEN];
    let mut g = c.benchmark_group("skip_zeros_hidden_512_512_b100");
    g.throughput(Throughput::Elements((2 * BATCH * HIDDEN * HIDDEN) as u64));
    for product in ["forward", "delta_w", "weight_gradient"] {
        for (hint, skip) in [("dense", SkipZeros::None), ("hinted", SkipZeros::A)] {
            let config = GemmConfig::default().with_threads(1).with_skip_zeros(skip);
            let mut next = 0;
            g.bench_function(format!("{product}_{hint}"), |b| {
                b.iter(|| {
                    next = (next + 1) % BATCHES;
                    let (h, delta) = &inputs[next];
                    let h = MatRef::from_row_major(h, BATCH, HIDDEN).unwrap();
                    let delta = MatRef::from_row_major(delta, BATCH, HIDDEN).unwrap();
                    let (a, b, rows) = match product {
                        "forward" => (h, w2.t(), BATCH), // H·W₂ᵀ
                        "delta_w" => (delta, w2, BATCH), // Δ·W₂
                        _ => (delta.t(), h, HIDDEN),     // Δᵀ·H
                    };
                    let c =
                        MatMut::from_row_major(&mut out[..rows * HIDDEN], rows, HIDDEN).unwrap();
                    gemm_with(&config, 1.0, a, b, 0.0, c, &mut gws);
                    black_box(out[0])
                })
            });
        }
    }
    g.finish();
}

/// The sparse path against the dense product by density of A.
fn density(c: &mut Criterion) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(777);
    let b: Vec<f32> = (0..HIDDEN * HIDDEN).map(|_| uniform(&mut rng)).collect();
    let b = MatRef::from_row_major(&b, HIDDEN, HIDDEN).unwrap();
    let mut ws = vec![0.0; gemm_workspace_len(BATCH, HIDDEN, HIDDEN)];
    let mut out = vec![0.0; BATCH * HIDDEN];
    let mut g = c.benchmark_group("skip_zeros_density_100_512_512");
    g.throughput(Throughput::Elements((2 * BATCH * HIDDEN * HIDDEN) as u64));
    for percent in [30u32, 50, 65] {
        let a: Vec<f32> = (0..BATCH * HIDDEN)
            .map(|_| {
                let keep = rng.next_u32() % 100 < percent;
                if keep { uniform(&mut rng) } else { 0.0 }
            })
            .collect();
        let a = MatRef::from_row_major(&a, BATCH, HIDDEN).unwrap();
        for (hint, skip) in [("dense", SkipZeros::None), ("hinted", SkipZeros::A)] {
            let config = GemmConfig::default().with_threads(1).with_skip_zeros(skip);
            g.bench_function(format!("nonzero_{percent}_{hint}"), |bench| {
                bench.iter(|| {
                    let c = MatMut::from_row_major(&mut out, BATCH, HIDDEN).unwrap();
                    gemm_with(&config, 1.0, a, b, 0.0, c, &mut ws);
                    black_box(out[0])
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench, hidden, density);
criterion_main!(benches);
