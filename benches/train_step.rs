//! One training step of the lesson's network — 784-256-256-10 ReLU, Xavier
//! uniform, Adam 1e-3, batch 100: forward, softmax cross-entropy, backward,
//! Adam update — in samples per second, on one thread and (feature
//! `parallel`) two. The forward pass and forward+backward are measured too, to
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
    x: Vec<f32>,
    y: Vec<u8>,
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
    // Pixels k/255 as the harness feeds them; labels 0..9.
    let x = (0..BATCH * SIZES[0])
        .map(|_| f32::from((rng.next_u32() >> 24) as u8) / 255.0)
        .collect();
    let y = (0..BATCH).map(|_| (rng.next_u32() % 10) as u8).collect();
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
        x,
        y,
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
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                let loss = s.net.loss_and_gradients(x, &s.y, &mut s.ws, &mut s.grads);
                s.opt.step(s.net.params_and_grads(&s.grads));
                black_box(loss)
            })
        });
        g.bench_function(format!("deepinit_forward_backward_{t}t"), |b| {
            b.iter(|| {
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                black_box(s.net.loss_and_gradients(x, &s.y, &mut s.ws, &mut s.grads))
            })
        });
        g.bench_function(format!("deepinit_forward_{t}t"), |b| {
            b.iter(|| {
                let x = MatRef::from_row_major(&s.x, BATCH, SIZES[0]).unwrap();
                black_box(s.net.forward(x, &mut s.ws).read(0, 0))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
