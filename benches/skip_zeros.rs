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
//! `cargo bench --bench skip_zeros`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deepinit::gemm::{GemmConfig, SkipZeros, gemm_with, gemm_workspace_len};
use deepinit::{MatMut, MatRef};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const BATCH: usize = 100;
const INPUTS: usize = 784;
const HIDDEN: usize = 512;
const BATCHES: usize = 20;

/// Uniform in [−1, 1).
fn uniform(rng: &mut Xoshiro256PlusPlus) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

/// Twenty batches of MNIST training images scaled to [0, 1], images
/// picked by a seeded generator.
fn batches(rng: &mut Xoshiro256PlusPlus) -> Vec<Vec<f32>> {
    let dir = deepinit::mnist::default_data_dir();
    let train = deepinit::mnist::load_mnist(&dir)
        .unwrap_or_else(|e| panic!("this bench runs on MNIST: {e}"))
        .train;
    (0..BATCHES)
        .map(|_| {
            (0..BATCH)
                .flat_map(|_| train.image(rng.next_u32() as usize % train.len))
                .map(|&p| f32::from(p) / 255.0)
                .collect()
        })
        .collect()
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

criterion_group!(benches, bench);
criterion_main!(benches);
