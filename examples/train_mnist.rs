//! Trains an MLP on MNIST and prints per-epoch metrics.
//!
//! ```text
//! cargo run --release --example train_mnist -- [--epochs 15] [--threads 1]
//!     [--layers 784,256,256,10] [--seed 777] [--batch 100] [--data DIR]
//! ```
//! (from the repository's root the library has `parallel`, which `--threads
//! 2` needs: the program's package turns it on; with `-p deepinit`, add
//! `--features parallel`). Defaults: the lesson's
//! 784-256-256-10 ReLU net, Xavier-uniform weights, PyTorch default biases,
//! Adam 1e-3, batch 100. The data directory defaults to `$DEEPINIT_DATA`, then
//! `data/mnist`.

use deepinit::mnist::{load_mnist, resolve_data_dir};
use deepinit::train::{EpochMetrics, Observer, TrainConfig, Trainer};
use std::error::Error;

/// Prints one line per epoch.
struct Print;

impl Observer for Print {
    fn on_epoch(&mut self, m: &EpochMetrics) {
        println!(
            "epoch {:>2}  train loss {:.4}  test loss {:.4}  test acc {:.2} %  {:.3} s  {:.0} samples/s",
            m.epoch,
            m.train_loss,
            m.test_loss,
            m.test_accuracy * 100.0,
            m.seconds,
            m.samples_per_second
        );
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut config = TrainConfig::new(vec![784, 256, 256, 10]);
    let mut data = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--epochs" => config.epochs = value.parse()?,
            "--threads" => config.threads = value.parse()?,
            "--seed" => config.seed = value.parse()?,
            "--batch" => config.batch_size = value.parse()?,
            "--layers" => {
                config.layers = value.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--data" => data = Some(std::path::PathBuf::from(value)),
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    let mnist = load_mnist(resolve_data_dir(data.as_deref()))?;
    println!(
        "{:?} {:?}, {:?}, batch {}, seed {}, {} thread(s)",
        config.layers,
        config.activation,
        config.optimizer,
        config.batch_size,
        config.seed,
        config.threads
    );
    let mut trainer = Trainer::new(config)?;
    let metrics = trainer.run(&mnist.train, &mnist.test, &mut Print)?;
    let mut secs: Vec<f64> = metrics.iter().map(|m| m.seconds).collect();
    secs.sort_by(f64::total_cmp);
    if let Some(&median) = secs.get(secs.len() / 2) {
        println!("median epoch {median:.3} s");
    }
    Ok(())
}
