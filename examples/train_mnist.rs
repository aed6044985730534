//! Trains an MLP on MNIST and prints per-epoch metrics.
//!
//! ```text
//! cargo run --release --example train_mnist -- [--epochs 15] [--threads 1]
//!     [--layers 784,256,256,10] [--seed 777] [--batch 100] [--data data/mnist]
//! ```
//! (add `--features parallel` for `--threads 2`). Defaults: the lesson's
//! 784-256-256-10 ReLU net, Xavier-uniform weights, PyTorch default biases,
//! Adam 1e-3, batch 100.

use std::error::Error;
use std::io::Read;

use deepinit::mnist::{Dataset, Mnist};
use deepinit::train::{EpochMetrics, Observer, TrainConfig, Trainer};

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

fn read_idx(dir: &str, name: &str) -> Result<(Vec<usize>, Vec<u8>), Box<dyn Error>> {
    let file = std::fs::File::open(format!("{dir}/{name}.gz"))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes)?;
    let rank = usize::from(bytes[3]);
    let dims = (0..rank)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    Ok((dims, bytes[4 + 4 * rank..].to_vec()))
}

fn split(dir: &str, prefix: &str) -> Result<Dataset, Box<dyn Error>> {
    let (d, images) = read_idx(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let (_, labels) = read_idx(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    Ok(Dataset {
        images,
        labels,
        len: d[0],
        rows: d[1],
        cols: d[2],
        classes: 10,
    })
}

fn load_mnist(dir: &str) -> Result<Mnist, Box<dyn Error>> {
    Ok(Mnist {
        train: split(dir, "train")?,
        test: split(dir, "t10k")?,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut config = TrainConfig::new(vec![784, 256, 256, 10]);
    let mut data = String::from("data/mnist");
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
            "--data" => data = value,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    let mnist = load_mnist(&data)?;
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
