//! End-to-end training on real MNIST (`data/mnist`).
//!
//! Release builds (`cargo test --release`) train 784-64-10 (ReLU, Xavier
//! uniform, PyTorch default biases, Adam 1e-3, batch 20, seed 777) for one
//! epoch on the first 10 000 training images (500 steps) and evaluate on the
//! full test set. Debug builds run the same on the first 2 000 training images
//! (100 steps) and 1 000 test images, because unoptimized code is ~30× slower.
//! Seed 777 gives 91.4 % (release) and 81.2 % (debug). The bounds are the
//! mean over seeds 1–12 minus 5 standard deviations of their spread, the
//! spread another target's rounding also brings (its run is another draw):
//!
//! | build | accuracy over seeds 1–12 | bound | test loss | bound |
//! |---|---|---:|---|---:|
//! | release | 90.95 % ± 0.31 | 89.4 % | 0.319 ± 0.0096 | 0.367 |
//! | debug | 80.88 % ± 1.30 | 74.4 % | 0.700 ± 0.033 | 0.867 |
//!
//! (`deepinit train --layers 784,64,10 --batch 20 --epochs 1 --train-limit
//! N --test-limit M --seed S` trains this configuration, bit for bit.)

#![cfg(feature = "std")]

mod common;

use deepinit::activation::Activation;
use deepinit::train::{TrainConfig, Trainer, evaluate};

#[test]
fn one_epoch_of_784_64_10_learns_mnist() {
    let (train_n, test_n, bound, loss_bound) = if cfg!(debug_assertions) {
        (2_000, 1_000, 0.744, 0.867)
    } else {
        (10_000, 10_000, 0.894, 0.367)
    };
    let (train, test) = common::mnist(train_n, test_n);
    let mut config = TrainConfig::new(vec![784, 64, 10]);
    config.activation = Activation::Relu;
    config.epochs = 1;
    config.batch_size = 20;
    let mut trainer = Trainer::new(config).unwrap();
    let before = evaluate(trainer.model(), &test).unwrap();
    let metrics = trainer.run(&train, &test, &mut ()).unwrap();
    assert_eq!(metrics.len(), 1);
    let m = metrics[0];
    eprintln!("before {before:?}\nafter {m:?}");
    assert!(
        m.test_accuracy >= bound,
        "accuracy {} < {bound}",
        m.test_accuracy
    );
    assert!(
        m.test_loss <= loss_bound,
        "test loss {} > {loss_bound} (before training {})",
        m.test_loss,
        before.loss
    );
    assert!(m.train_loss.is_finite() && m.samples_per_second > 0.0);
    let again = evaluate(trainer.model(), &test).unwrap();
    assert_eq!(again.accuracy, m.test_accuracy);
}
