//! Initializer and sampler throughput (values/s), side by side with `rand_distr`
//! on the same generator (Xoshiro256PlusPlus) and the same buffers: 784×256 (an
//! MNIST first layer) and 4096×4096 (a large layer).
//!
//! Run: `cargo bench --bench init -- --warm-up-time 1 --measurement-time 3`.
//! The peers: `Uniform<f32>`, `StandardNormal`, `Normal` and a |z| ≤ 2 rejection
//! loop over `StandardNormal` for the truncated normal. Orthogonal (Householder
//! QR) has no `rand_distr` counterpart and is reported alone.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use deepinit::init::{Fans, Init, Params};
use deepinit::rng;
use rand_core::SeedableRng;
use rand_distr::{Distribution, Normal, StandardNormal, Uniform};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const SHAPES: [(usize, usize); 2] = [(784, 256), (4096, 4096)];

/// Benchmarks `ours` and `peer` (each filling the buffer) for both shapes.
fn side_by_side(
    c: &mut Criterion,
    name: &str,
    ours: impl Fn(&mut [f32], Fans, &mut Xoshiro256PlusPlus),
    peer: impl Fn(&mut [f32], Fans, &mut Xoshiro256PlusPlus),
) {
    let mut group = c.benchmark_group(name);
    for (fan_in, fan_out) in SHAPES {
        let len = fan_in * fan_out;
        if len > 1 << 20 {
            group.sample_size(10);
        }
        let fans = Fans::new(fan_in, fan_out);
        let mut buf = vec![0.0f32; len];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        let label = format!("{fan_out}x{fan_in}");
        group.throughput(Throughput::Elements(len as u64));
        group.bench_function(BenchmarkId::new("deepinit", &label), |b| {
            b.iter(|| ours(black_box(&mut buf), fans, &mut rng))
        });
        group.bench_function(BenchmarkId::new("rand_distr", &label), |b| {
            b.iter(|| peer(black_box(&mut buf), fans, &mut rng))
        });
    }
    group.finish();
}

fn fill_with(buf: &mut [f32], rng: &mut Xoshiro256PlusPlus, dist: impl Distribution<f32>) {
    for v in buf.iter_mut() {
        *v = dist.sample(rng);
    }
}

fn bench_uniform(c: &mut Criterion) {
    side_by_side(
        c,
        "uniform",
        |buf, _, rng| rng::fill_uniform(buf, rng),
        |buf, _, rng| fill_with(buf, rng, Uniform::new(0.0f32, 1.0).unwrap()),
    );
}

fn bench_normal(c: &mut Criterion) {
    side_by_side(
        c,
        "normal",
        |buf, _, rng| rng::fill_normal(buf, rng),
        |buf, _, rng| fill_with(buf, rng, StandardNormal),
    );
}

fn bench_truncated_normal(c: &mut Criterion) {
    let init = Init::truncated_normal(0.0, 1.0, -2.0, 2.0);
    side_by_side(
        c,
        "truncated_normal",
        |buf, fans, rng| init.fill(buf, fans, rng).unwrap(),
        |buf, _, rng| {
            for v in buf.iter_mut() {
                *v = loop {
                    let z: f32 = StandardNormal.sample(rng);
                    if (-2.0..=2.0).contains(&z) {
                        break z;
                    }
                };
            }
        },
    );
}

fn bench_xavier_uniform(c: &mut Criterion) {
    let init = Init::xavier_uniform(1.0);
    side_by_side(
        c,
        "xavier_uniform",
        |buf, fans, rng| init.fill(buf, fans, rng).unwrap(),
        |buf, fans, rng| {
            let Ok(Params::Uniform { low, high }) = init.params(fans) else {
                unreachable!()
            };
            fill_with(buf, rng, Uniform::new(low, high).unwrap());
        },
    );
}

fn bench_he_normal(c: &mut Criterion) {
    let init = Init::he_normal();
    side_by_side(
        c,
        "he_normal",
        |buf, fans, rng| init.fill(buf, fans, rng).unwrap(),
        |buf, fans, rng| {
            let Ok(Params::Normal { mean, std }) = init.params(fans) else {
                unreachable!()
            };
            fill_with(buf, rng, Normal::new(mean, std).unwrap());
        },
    );
}

fn bench_orthogonal(c: &mut Criterion) {
    let mut group = c.benchmark_group("orthogonal");
    let fans = Fans::new(256, 256);
    let mut buf = vec![0.0f32; 256 * 256];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    group.throughput(Throughput::Elements(buf.len() as u64));
    group.bench_function(BenchmarkId::new("deepinit", "256x256"), |b| {
        b.iter(|| {
            Init::orthogonal(1.0)
                .fill(black_box(&mut buf), fans, &mut rng)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_uniform,
    bench_normal,
    bench_truncated_normal,
    bench_xavier_uniform,
    bench_he_normal,
    bench_orthogonal
);
criterion_main!(benches);
