//! Activation kernels against plain scalar loops over `libm` in the same run:
//! sigmoid, relu and tanh over 1M elements, softmax over 100×10 logits
//! (one MNIST output batch). Target: sigmoid/relu ≥ 4× the scalar loop.
//!
//! `cargo bench --bench activation -- --warm-up-time 1 --measurement-time 3`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use deepinit::activation;
use std::hint::black_box;

const N: usize = 1 << 20;

fn input(n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f32 * 0.618_034).fract() * 2.0 - 1.0) * scale)
        .collect()
}

fn scalar_sigmoid(x: &mut [f32]) {
    for v in x {
        *v = 1.0 / (1.0 + libm::expf(-*v));
    }
}

fn scalar_relu(x: &mut [f32]) {
    for v in x {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

fn scalar_tanh(x: &mut [f32]) {
    for v in x {
        *v = libm::tanhf(*v);
    }
}

fn scalar_softmax(x: &mut [f32], cols: usize) {
    for row in x.chunks_exact_mut(cols) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0;
        for v in row.iter_mut() {
            *v = libm::expf(*v - m);
            s += *v;
        }
        for v in row.iter_mut() {
            *v /= s;
        }
    }
}

type Kernel = fn(&mut [f32]);

fn elementwise(c: &mut Criterion, name: &str, ours: Kernel, scalar: Kernel, scale: f32) {
    let x = input(N, scale);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("deepinit", |b| {
        b.iter_batched_ref(|| x.clone(), |v| ours(black_box(v)), BatchSize::LargeInput)
    });
    g.bench_function("scalar-libm", |b| {
        b.iter_batched_ref(
            || x.clone(),
            |v| scalar(black_box(v)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    elementwise(c, "sigmoid_1M", activation::sigmoid, scalar_sigmoid, 8.0);
    elementwise(c, "relu_1M", activation::relu, scalar_relu, 8.0);
    elementwise(c, "tanh_1M", activation::tanh, scalar_tanh, 4.0);
    let x = input(100 * 10, 6.0);
    let mut g = c.benchmark_group("softmax_100x10");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("deepinit", |b| {
        b.iter_batched_ref(
            || x.clone(),
            |v| activation::softmax(black_box(v), 10),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("scalar-libm", |b| {
        b.iter_batched_ref(
            || x.clone(),
            |v| scalar_softmax(black_box(v), 10),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(activation_benches, benches);
criterion_main!(activation_benches);
