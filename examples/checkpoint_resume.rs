//! The library's training loop end to end: train an MLP on MNIST, save a
//! checkpoint, read its configuration back, resume, and check that the
//! resumed run ends with the same bits as one uninterrupted run; then
//! predict a few test digits.
//!
//! ```text
//! cargo run --release --example checkpoint_resume -- [DATA_DIR]
//! ```
//! The data directory defaults to `$DEEPINIT_DATA`, then `data/mnist`. The
//! checkpoint goes to the system's temporary directory and is removed.

use deepinit::checkpoint::Checkpoint;
use deepinit::mat::MatRef;
use deepinit::mlp::Workspace;
use deepinit::mnist::{load_mnist, resolve_data_dir};
use deepinit::train::{EpochMetrics, TrainConfig, Trainer};
use std::error::Error;

/// Any `FnMut(&EpochMetrics)` is an observer: this one prints a line per
/// epoch.
fn print(m: &EpochMetrics) {
    println!(
        "  epoch {}  train loss {:.4}  test accuracy {:.2} %",
        m.epoch,
        m.train_loss,
        m.test_accuracy * 100.0
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args().nth(1).map(std::path::PathBuf::from);
    let mnist = load_mnist(resolve_data_dir(dir.as_deref()))?;
    let (train, test) = (&mnist.train, &mnist.test);

    // A small network: 784-64-10, Xavier-uniform weights, Adam 1e-3.
    let mut config = TrainConfig::new(vec![784, 64, 10]);
    config.epochs = 3;
    config.seed = 7;

    println!("three epochs in one run:");
    let mut whole = Trainer::new(config.clone())?;
    whole.run(train, test, &mut print)?;

    println!("two epochs, a checkpoint, then the third:");
    let mut first = Trainer::new(TrainConfig {
        epochs: 2,
        ..config.clone()
    })?;
    first.run(train, test, &mut print)?;
    let path = std::env::temp_dir().join(format!(
        "deepinit-example-{}.safetensors",
        std::process::id()
    ));
    Checkpoint::from_train_state(&first.state(), first.config()).save(&path)?;

    let saved = Checkpoint::load(&path);
    std::fs::remove_file(&path)?;
    let saved = saved?;
    // The saved seed, batch size and optimizer come back with the file;
    // `epochs` is the count completed: raise it to train further.
    let mut resumed = saved.train_config()?;
    resumed.epochs = 3;
    let state = saved.to_train_state(&resumed)?;
    let mut rest = Trainer::resume(resumed, state)?;
    rest.run(train, test, &mut print)?;

    let bits = |t: &Trainer| -> Vec<u32> {
        t.model()
            .params()
            .flat_map(|p| p.iter().map(|v| v.to_bits()))
            .collect()
    };
    if bits(&rest) != bits(&whole) {
        return Err("the resumed run differs from the uninterrupted one".into());
    }
    println!("the resumed run has the same weights as the uninterrupted one, bit for bit");

    // Predict the first ten test digits, scaled as training scales them.
    let (n, net) = (10, rest.model());
    let mut x = vec![0.0; n * test.image_len()];
    test.scale_images(0..n, &mut x);
    let mut classes = [0u8; 10];
    net.predict(
        MatRef::from_row_major(&x, n, test.image_len())?,
        &mut Workspace::new(net, n),
        &mut classes,
    );
    println!("predicted {classes:?}");
    println!("labels    {:?}", &test.labels[..n]);
    Ok(())
}
