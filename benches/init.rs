//! Initializer and sampler throughput (values/s), side by side with `rand_distr`
//! on the same generator (Xoshiro256PlusPlus) and the same buffers:
//! 784×256 (an MNIST first layer) and 4096×4096 (a large layer).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use deepinit::rng;
use rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal, Uniform};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const SHAPES: [(usize, usize); 2] = [(784, 256), (4096, 4096)];

fn label(rows: usize, cols: usize) -> String {
    format!("{rows}x{cols}")
}

fn bench_uniform(c: &mut Criterion) {
    let mut group = c.benchmark_group("uniform");
    for (rows, cols) in SHAPES {
        let mut buf = vec![0.0f32; rows * cols];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        group.throughput(Throughput::Elements((rows * cols) as u64));
        group.bench_function(BenchmarkId::new("deepinit", label(rows, cols)), |b| {
            b.iter(|| rng::fill_uniform(black_box(&mut buf), &mut rng))
        });
        let dist = Uniform::new(0.0f32, 1.0).unwrap();
        group.bench_function(BenchmarkId::new("rand_distr", label(rows, cols)), |b| {
            b.iter(|| {
                for v in black_box(&mut buf).iter_mut() {
                    *v = dist.sample(&mut rng);
                }
            })
        });
    }
    group.finish();
}

fn bench_normal(c: &mut Criterion) {
    let mut group = c.benchmark_group("normal");
    for (rows, cols) in SHAPES {
        let mut buf = vec![0.0f32; rows * cols];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        group.throughput(Throughput::Elements((rows * cols) as u64));
        group.bench_function(BenchmarkId::new("deepinit", label(rows, cols)), |b| {
            b.iter(|| rng::fill_normal(black_box(&mut buf), &mut rng))
        });
        group.bench_function(BenchmarkId::new("rand_distr", label(rows, cols)), |b| {
            b.iter(|| {
                for v in black_box(&mut buf).iter_mut() {
                    *v = StandardNormal.sample(&mut rng);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_uniform, bench_normal);
criterion_main!(benches);
