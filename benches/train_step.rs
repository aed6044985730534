//! One training step of the lesson's network — 784-256-256-10 ReLU, Xavier
//! uniform, Adam 1e-3, batch 100: pixels `u8 → x/255`, forward, softmax
//! cross-entropy, backward, Adam update — in samples per second, on one
//! thread and (feature `parallel`) two; the same step of the deep network
//! 784-512-512-512-512-10 on one thread; and Adam's update alone, in and out
//! of cache. Like PyTorch's script the steps cycle through 600 different
//! batches of the real MNIST training images (`data/mnist`, a seeded
//! shuffle), so the network trains as the iterations go (one batch repeated
//! would drive the gradients and Adam's moments into subnormal numbers and
//! time those instead). The images' zeros let the first layer skip terms
//! (`gemm::SkipZeros`); `deepinit_adam_step_1t_random_pixels` runs the same
//! step on uniformly random pixels (almost no zeros), which shows what the
//! step costs without that help. The forward pass and forward+backward are
//! measured too, to show where the time goes. PyTorch's figure for the
//! same work comes from `scripts/pytorch_step.py --threads 1` run
//! alongside (37–40k samples/s when the targets were set).
//!
//! `cargo bench --bench train_step -- adam_step_1t` (add `--features
//! parallel` for the two-thread rows).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deepinit::activation::Activation;
use deepinit::init::Init;
use deepinit::mat::MatRef;
use deepinit::mlp::{BiasInit, Gradients, Mlp, Workspace};
use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::path::Path;

const BATCH: usize = 100;
const INPUTS: usize = 784;
/// The lesson's network and the deep one of `deepinit compare --arch deep5`.
const MLP3: [usize; 4] = [784, 256, 256, 10];
const DEEP5: [usize; 6] = [784, 512, 512, 512, 512, 10];

struct Setup {
    net: Mlp,
    opt: Optimizer,
    grads: Gradients,
    ws: Workspace,
    pixels: Vec<u8>,
    labels: Vec<u8>,
    x: Vec<f32>,
    next: usize,
}

const BATCHES: usize = 600;

impl Setup {
    /// Scales the next batch into `x`; returns its labels.
    fn next_batch(&mut self) -> usize {
        let b = self.next;
        self.next = (b + 1) % BATCHES;
        let px = &self.pixels[b * BATCH * INPUTS..(b + 1) * BATCH * INPUTS];
        for (x, &p) in self.x.iter_mut().zip(px) {
            *x = f32::from(p) / 255.0;
        }
        b
    }

    /// Forward and backward on the next batch; the loss.
    fn forward_backward(&mut self) -> f32 {
        let k = self.next_batch();
        let y = &self.labels[k * BATCH..(k + 1) * BATCH];
        let x = MatRef::from_row_major(&self.x, BATCH, INPUTS).unwrap();
        self.net
            .loss_and_gradients(x, y, &mut self.ws, &mut self.grads)
    }

    /// One full step on the next batch: forward, backward, Adam; the loss.
    fn adam_step(&mut self) -> f32 {
        let loss = self.forward_backward();
        self.opt.step(self.net.params_and_grads(&self.grads));
        loss
    }
}

/// The pixels a step trains on.
#[derive(Clone, Copy)]
enum Data {
    /// 600 batches of the MNIST training images in a seeded random order.
    Mnist,
    /// Uniformly random pixels and labels.
    RandomPixels,
}

/// The first 600 batches of a seeded shuffle of the MNIST training set
/// (`DEEPINIT_DATA` or `data/mnist`): pixels and labels.
fn mnist_batches(rng: &mut Xoshiro256PlusPlus) -> (Vec<u8>, Vec<u8>) {
    // `DEEPINIT_DATA` or `data/mnist`, relative to the repository's root:
    // cargo runs a bench in its package's directory (`benches/`).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(deepinit::mnist::default_data_dir());
    let train = deepinit::mnist::load_mnist(&dir)
        .unwrap_or_else(|e| panic!("the step bench trains on MNIST: {e}"))
        .train;
    let mut order: Vec<usize> = (0..train.len).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.next_u32() as usize % (i + 1));
    }
    let picked = &order[..BATCHES * BATCH];
    let pixels = picked
        .iter()
        .flat_map(|&i| train.image(i))
        .copied()
        .collect();
    let labels = picked.iter().map(|&i| train.labels[i]).collect();
    (pixels, labels)
}

fn setup(sizes: &[usize], threads: usize, data: Data) -> Setup {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(777);
    let net = Mlp::new(
        sizes,
        Activation::Relu,
        &Init::xavier_uniform(1.0),
        &BiasInit::Default,
        &mut rng,
    )
    .unwrap();
    let (pixels, labels) = match data {
        Data::Mnist => mnist_batches(&mut rng),
        Data::RandomPixels => (
            (0..BATCHES * BATCH * INPUTS)
                .map(|_| (rng.next_u32() >> 24) as u8)
                .collect(),
            (0..BATCHES * BATCH)
                .map(|_| (rng.next_u32() % 10) as u8)
                .collect(),
        ),
    };
    let opt = Optimizer::new(
        OptimizerConfig::Adam(AdamConfig::new(1e-3)),
        &net.param_lens(),
    )
    .unwrap();
    Setup {
        grads: Gradients::new(&net),
        ws: Workspace::with_threads(&net, BATCH, threads),
        net,
        opt,
        pixels,
        labels,
        x: vec![0.0; BATCH * INPUTS],
        next: 0,
    }
}

fn bench_step(c: &mut Criterion) {
    let mut threads = vec![1];
    if cfg!(feature = "parallel") {
        threads.push(2);
    }
    let mut g = c.benchmark_group("train_step_784_256_256_10_b100");
    g.throughput(Throughput::Elements(BATCH as u64));
    for t in threads {
        let mut s = setup(&MLP3, t, Data::Mnist);
        g.bench_function(format!("deepinit_adam_step_{t}t"), |b| {
            b.iter(|| black_box(s.adam_step()))
        });
        g.bench_function(format!("deepinit_forward_backward_{t}t"), |b| {
            b.iter(|| black_box(s.forward_backward()))
        });
        g.bench_function(format!("deepinit_forward_{t}t"), |b| {
            b.iter(|| {
                s.next_batch();
                let x = MatRef::from_row_major(&s.x, BATCH, INPUTS).unwrap();
                black_box(s.net.forward(x, &mut s.ws).read(0, 0))
            })
        });
    }
    let mut s = setup(&MLP3, 1, Data::RandomPixels);
    g.bench_function("deepinit_adam_step_1t_random_pixels", |b| {
        b.iter(|| black_box(s.adam_step()))
    });
    g.finish();
}

/// The full step of the deep network (`--arch deep5`, 1.19 M parameters), the
/// work of `deepinit train --layers 784,512,512,512,512,10`.
fn bench_deep5(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step_784_512x4_10_b100");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut s = setup(&DEEP5, 1, Data::Mnist);
    g.bench_function("deepinit_adam_step_1t", |b| {
        b.iter(|| black_box(s.adam_step()))
    });
    g.finish();
}

/// Adam's update alone, in parameters per second, on one thread: 65 536
/// parameters (its four arrays, 1 MiB, stay in L2) and deep5's 1.19 M
/// (19 MB, streamed from L3 every step). Each parameter costs a correctly
/// rounded √ and ÷ (one divider unit serves both) besides its 28 bytes of
/// traffic; the gap between the two sizes is the memory side.
fn bench_adam(c: &mut Criterion) {
    let mut g = c.benchmark_group("adam_update");
    for n in [65_536, 1_195_018] {
        g.throughput(Throughput::Elements(n as u64));
        let mut opt = Optimizer::new(OptimizerConfig::Adam(AdamConfig::new(1e-3)), &[n]).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut p: Vec<f32> = (0..n).map(|_| uniform(&mut rng) * 0.1).collect();
        // Gradients of the size training sees, never zero (zero moments
        // would be flushed and time a different path).
        let grad: Vec<f32> = (0..n).map(|_| (uniform(&mut rng) + 1.5) * 1e-3).collect();
        g.bench_function(format!("deepinit_{n}"), |b| {
            b.iter(|| opt.step([(&mut p[..], &grad[..])]))
        });
    }
    g.finish();
}

/// Uniform in [−1, 1).
fn uniform(rng: &mut Xoshiro256PlusPlus) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

criterion_group!(benches, bench_step, bench_deep5, bench_adam);
criterion_main!(benches);
