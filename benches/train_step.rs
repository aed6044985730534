//! One training step of the lesson's network — 784-256-256-10 ReLU, Xavier
//! uniform, Adam 1e-3, batch 100: pixels `u8 → x/255`, forward, softmax
//! cross-entropy, backward, Adam update — in samples per second, on one
//! thread and (feature `parallel`) two. Like PyTorch's script the steps cycle
//! through 600 different batches (here random pixels and labels, which the
//! net cannot fit: one batch repeated would drive the gradients and Adam's
//! moments into subnormal numbers and time those instead). The forward pass and forward+backward are measured too, to
//! show where the time goes. PyTorch's figure for the same work comes from
//! `../shared/bench/pytorch_step.py --threads 1` run alongside (37–40k
//! samples/s when the targets were set).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deepinit::activation::Activation;
use deepinit::init::Init;
use deepinit::mat::MatRef;
use deepinit::mlp::{BiasInit, Gradients, Mlp, Workspace};
use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const BATCH: usize = 100;
const SIZES: [usize; 4] = [784, 256, 256, 10];

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
        let px = &self.pixels[b * BATCH * SIZES[0]..(b + 1) * BATCH * SIZES[0]];
        for (x, &p) in self.x.iter_mut().zip(px) {
            *x = f32::from(p) / 255.0;
        }
        b
    }
}

fn setup(threads: usize) -> Setup {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(777);
    let net = Mlp::new(
        &SIZES,
        Activation::Relu,
        &Init::xavier_uniform(1.0),
        &BiasInit::Default,
        &mut rng,
    )
    .unwrap();
    let pixels = (0..BATCHES * BATCH * SIZES[0])
        .map(|_| (rng.next_u32() >> 24) as u8)
        .collect();
    let labels = (0..BATCHES * BATCH)
        .map(|_| (rng.next_u32() % 10) as u8)
        .collect();
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
        x: vec![0.0; BATCH * SIZES[0]],
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
        let mut s = setup(t);
        g.bench_function(format!("deepinit_adam_step_{t}t"), |b| {
            b.iter(|| {
                let k = s.next_batch();
                let y = &s.labels[k * BATCH..(k + 1) * BATCH];
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                let loss = s.net.loss_and_gradients(x, y, &mut s.ws, &mut s.grads);
                s.opt.step(s.net.params_and_grads(&s.grads));
                black_box(loss)
            })
        });
        g.bench_function(format!("deepinit_forward_backward_{t}t"), |b| {
            b.iter(|| {
                let k = s.next_batch();
                let y = &s.labels[k * BATCH..(k + 1) * BATCH];
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                black_box(s.net.loss_and_gradients(x, y, &mut s.ws, &mut s.grads))
            })
        });
        g.bench_function(format!("deepinit_forward_{t}t"), |b| {
            b.iter(|| {
                s.next_batch();
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                black_box(s.net.forward(x, &mut s.ws).read(0, 0))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
