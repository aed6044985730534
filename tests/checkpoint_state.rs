//! Training state through a checkpoint file: resuming from it continues a run
//! bit-identically, for Adam and for SGD with momentum.
#![cfg(feature = "std")]

mod common;

use deepinit::checkpoint::{Checkpoint, CheckpointError, train_data_sha256};
use deepinit::mnist::Dataset;
use deepinit::optim::{AdamConfig, OptimizerConfig, SgdConfig};
use deepinit::train::{TrainConfig, Trainer};

/// `len` 4×4 images of 3 classes: class c brightens row c (a learnable task).
fn dataset(len: usize, salt: u32) -> Dataset {
    let mut images = Vec::with_capacity(len * 16);
    let mut labels = Vec::with_capacity(len);
    let mut h = 0x9e37_79b9u32 ^ salt;
    for i in 0..len {
        let c = (i % 3) as u8;
        for p in 0..16 {
            h = h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (h >> 27) as u8;
            images.push(if p / 4 == usize::from(c) {
                200 + noise
            } else {
                noise
            });
        }
        labels.push(c);
    }
    Dataset {
        images,
        labels,
        len,
        rows: 4,
        cols: 4,
        classes: 3,
    }
}

fn config(optimizer: OptimizerConfig, epochs: usize) -> TrainConfig {
    let mut c = TrainConfig::new(vec![16, 8, 3]);
    c.optimizer = optimizer;
    c.batch_size = 10;
    c.epochs = epochs;
    c.seed = 5;
    c
}

fn bits(t: &Trainer) -> Vec<u32> {
    t.model()
        .params()
        .flat_map(|p| p.iter().map(|v| v.to_bits()))
        .collect()
}

fn resume_matches_one_run(name: &str, optimizer: OptimizerConfig) {
    let (train, test) = (dataset(60, 1), dataset(30, 2));
    let mut whole = Trainer::new(config(optimizer, 3)).unwrap();
    whole.run(&train, &test, &mut ()).unwrap();

    let mut first = Trainer::new(config(optimizer, 1)).unwrap();
    first.run(&train, &test, &mut ()).unwrap();
    let path = common::scratch_path(&format!("state-{name}")).with_extension("safetensors");
    Checkpoint::from_train_state(&first.state(), first.config())
        .save(&path)
        .unwrap();

    let loaded = Checkpoint::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.optimizer_config().unwrap(), optimizer);
    // An edited learning rate outside the optimizer's domain is reported as
    // that entry, not carried into a comparison where NaN ≠ NaN.
    for bad in ["NaN", "-0.1", "1e300"] {
        let mut edited = loaded.clone();
        edited.set_metadata("lr", bad);
        match edited.optimizer_config() {
            Err(CheckpointError::BadMetadata { key: "lr", .. }) => {}
            other => panic!("lr {bad}: {other:?}"),
        }
    }
    assert_eq!(loaded.run_position().unwrap(), (5, 10, 1));
    // A damaged optimizer buffer is refused by name: NaN in any, or a
    // negative second moment (Adam's √v).
    let edits: &[(&str, f32)] = match optimizer {
        OptimizerConfig::Adam(_) => &[
            ("optim.0.bias.exp_avg", f32::NAN),
            ("optim.0.weight.exp_avg_sq", -1e-3),
        ],
        _ => &[("optim.0.weight.momentum_buffer", f32::INFINITY)],
    };
    for &(name, bad) in edits {
        let edited = common::with_value(&loaded, name, 3, bad);
        match edited.to_train_state(&config(optimizer, 3)) {
            Err(CheckpointError::BadTensor { tensor, reason }) => {
                assert_eq!(tensor, name);
                assert!(reason.contains("index 3"), "{reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let state = loaded.to_train_state(&config(optimizer, 3)).unwrap();
    assert_eq!(state, first.state());
    let mut rest = Trainer::resume(config(optimizer, 3), state).unwrap();
    rest.run(&train, &test, &mut ()).unwrap();
    assert_eq!(bits(&rest), bits(&whole));
    assert_ne!(
        bits(&first),
        bits(&whole),
        "the later epochs changed the weights"
    );
}

#[test]
fn adam_resume_is_bit_identical() {
    resume_matches_one_run("adam", OptimizerConfig::Adam(AdamConfig::new(3e-3)));
}

#[test]
fn sgd_momentum_resume_is_bit_identical() {
    let sgd = SgdConfig {
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        weight_decay: 1e-4,
    };
    resume_matches_one_run("sgd", OptimizerConfig::Sgd(sgd));
}

#[test]
fn resume_with_another_architecture_or_optimizer_is_refused() {
    let adam = OptimizerConfig::Adam(AdamConfig::new(1e-3));
    let t = Trainer::new(config(adam, 1)).unwrap();
    let c = Checkpoint::from_train_state(&t.state(), t.config());
    let mut other = config(adam, 1);
    other.layers = vec![16, 9, 3];
    let err = c.to_train_state(&other).unwrap_err();
    assert!(
        matches!(err, CheckpointError::ArchitectureMismatch { .. }),
        "{err}"
    );
    let sgd = OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        ..SgdConfig::new(0.1)
    });
    let mismatch = |err: CheckpointError, key: &str, saved: &str, asked: &str| match err {
        CheckpointError::ConfigMismatch {
            key: k,
            checkpoint,
            config,
        } => assert_eq!((k, &*checkpoint, &*config), (key, saved, asked)),
        other => panic!("{key}: {other:?}"),
    };
    let err = c.to_train_state(&config(sgd, 1)).unwrap_err();
    mismatch(err, "optimizer", "adam", "sgd");
    // Each setting a resumed run keeps, changed alone, is named with both
    // values.
    let mut asked = config(adam, 1);
    asked.seed = 6;
    mismatch(c.to_train_state(&asked).unwrap_err(), "seed", "5", "6");
    let mut asked = config(adam, 1);
    asked.batch_size = 20;
    mismatch(
        c.to_train_state(&asked).unwrap_err(),
        "batch_size",
        "10",
        "20",
    );
    let mut asked = config(adam, 1);
    asked.activation = deepinit::activation::Activation::Tanh;
    mismatch(
        c.to_train_state(&asked).unwrap_err(),
        "activation",
        "relu",
        "tanh",
    );
    let other_beta2 = OptimizerConfig::Adam(AdamConfig {
        beta2: 0.99,
        ..AdamConfig::new(1e-3)
    });
    mismatch(
        c.to_train_state(&config(other_beta2, 1)).unwrap_err(),
        "beta2",
        "0.999",
        "0.99",
    );
    let model = c.to_mlp(None).unwrap();
    assert_eq!(&model, t.model());
}

#[test]
fn train_config_restores_the_saved_settings() {
    let sgd = OptimizerConfig::Sgd(SgdConfig {
        lr: 0.05,
        momentum: 0.9,
        nesterov: true,
        weight_decay: 1e-4,
    });
    let mut saved = config(sgd, 2);
    saved.activation = deepinit::activation::Activation::Sigmoid;
    let mut t = Trainer::new(saved.clone()).unwrap();
    t.run(&dataset(60, 1), &dataset(30, 2), &mut ()).unwrap();
    let c = Checkpoint::from_train_state(&t.state(), t.config());
    let restored = c.train_config().unwrap();
    assert_eq!(
        (
            &restored.layers,
            restored.activation,
            restored.optimizer,
            restored.seed,
            restored.batch_size,
            restored.epochs
        ),
        (&saved.layers, saved.activation, sgd, 5, 10, 2)
    );
    assert_eq!(c.to_train_state(&restored).unwrap(), t.state());
}

#[test]
fn the_recorded_training_set_is_checked() {
    let adam = OptimizerConfig::Adam(AdamConfig::new(1e-3));
    let t = Trainer::new(config(adam, 1)).unwrap();
    let mut c = Checkpoint::from_train_state(&t.state(), t.config());
    let train = dataset(60, 1);
    // Without the entries (as from_train_state writes it), nothing to check.
    assert!(c.check_train_data(&dataset(30, 9)).is_ok());
    c.set_train_data(train.len, &train_data_sha256(&train));
    assert!(c.check_train_data(&train).is_ok());
    let mismatch = |err: CheckpointError, key: &str| match err {
        CheckpointError::ConfigMismatch { key: k, .. } => assert_eq!(k, key),
        other => panic!("{key}: {other:?}"),
    };
    mismatch(
        c.check_train_data(&dataset(59, 1)).unwrap_err(),
        "train_samples",
    );
    // As many images, other pixels: the digest tells them apart.
    mismatch(
        c.check_train_data(&dataset(60, 2)).unwrap_err(),
        "train_data_sha256",
    );
    // The digest is SHA-256 of the labels, then the pixels.
    let mut bytes = train.labels.clone();
    bytes.extend_from_slice(&train.images);
    let want = deepinit::sha256::to_hex(&deepinit::sha256::digest(&bytes));
    assert_eq!(train_data_sha256(&train).as_bytes(), want);
}
