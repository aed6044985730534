//! Training state ↔ checkpoint: the model's layers, the optimizer's buffers
//! and the hyper-parameters needed to continue a run bit-identically.
//!
//! Optimizer buffer `s` (PyTorch's names: `exp_avg`, `exp_avg_sq` for Adam,
//! `momentum_buffer` for SGD) of parameter `p` is stored as tensor
//! `optim.{p / 2}.{weight|bias}.{s}` with the parameter's shape; the step count
//! `t` (which Adam's bias corrections 1 − βᵗ need) is metadata `optim_step`.
//! Floats in metadata are written with Rust's shortest round-trip `Display`, so
//! they parse back to the same bits.

use super::model::{bias_name, finite, keys, weight_name};
use super::{Checkpoint, CheckpointError, FORMAT_VERSION};
use crate::activation::Activation;
use crate::matrix::Matrix;
use crate::mlp::{Dense, Mlp};
use crate::mnist::Dataset;
use crate::optim::{AdamConfig, OptimError, OptimizerConfig, OptimizerState, SgdConfig, Slot};
use crate::sha256::{Sha256, to_hex_string};
use crate::train::{TrainConfig, TrainState};
use std::string::{String, ToString};
use std::vec::Vec;

// Extra metadata keys of a training-state checkpoint.
const LR: &str = "lr";
const MOMENTUM: &str = "momentum";
const NESTEROV: &str = "nesterov";
const WEIGHT_DECAY: &str = "weight_decay";
const BETA1: &str = "beta1";
const BETA2: &str = "beta2";
const EPS: &str = "eps";
const BATCH: &str = "batch_size";
const OPTIM_STEP: &str = "optim_step";

/// The activations' metadata names, as an error lists them.
const ACTIVATIONS: &str = "identity, relu, sigmoid or tanh";

/// The metadata name of an activation.
pub fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Identity => "identity",
        Activation::Relu => "relu",
        Activation::Sigmoid => "sigmoid",
        Activation::Tanh => "tanh",
    }
}

/// The activation named `name` (`identity`, `relu`, `sigmoid`, `tanh`).
pub fn parse_activation(name: &str) -> Option<Activation> {
    Some(match name {
        "identity" => Activation::Identity,
        "relu" => Activation::Relu,
        "sigmoid" => Activation::Sigmoid,
        "tanh" => Activation::Tanh,
        _ => return None,
    })
}

/// The metadata entries that describe `optimizer`, its name first, in the
/// order [`Checkpoint::from_train_state`] writes them.
fn optimizer_entries(optimizer: &OptimizerConfig) -> Vec<(&'static str, String)> {
    let num = |v: f64| v.to_string();
    match *optimizer {
        OptimizerConfig::Adam(a) => std::vec![
            (keys::OPTIMIZER, "adam".into()),
            (LR, num(a.lr)),
            (BETA1, num(a.beta1)),
            (BETA2, num(a.beta2)),
            (EPS, num(a.eps)),
            (WEIGHT_DECAY, num(a.weight_decay)),
        ],
        OptimizerConfig::Sgd(s) => std::vec![
            (keys::OPTIMIZER, "sgd".into()),
            (LR, num(s.lr)),
            (MOMENTUM, num(s.momentum)),
            (NESTEROV, s.nesterov.to_string()),
            (WEIGHT_DECAY, num(s.weight_decay)),
        ],
    }
}

/// SHA-256 (hex) of a training set's labels followed by its pixels, as
/// [`keys::TRAIN_DATA_SHA256`] stores it: a resumed run must see the same
/// images in the same order, not only as many (0.2 s for MNIST's 60 000).
pub fn train_data_sha256(data: &Dataset) -> String {
    let mut h = Sha256::new();
    h.update(&data.labels);
    h.update(&data.images);
    to_hex_string(&h.finalize())
}

fn slot_name(param: usize, slot: &str) -> String {
    let kind = if param.is_multiple_of(2) {
        "weight"
    } else {
        "bias"
    };
    std::format!("optim.{}.{kind}.{slot}", param / 2)
}

impl Checkpoint {
    /// A checkpoint of `model` alone, with the layout version, architecture and
    /// activation in its metadata (what [`to_mlp`](Self::to_mlp) needs).
    pub fn from_mlp(model: &Mlp) -> Checkpoint {
        let mut c = Checkpoint::new();
        c.set_metadata(keys::FORMAT_VERSION, FORMAT_VERSION);
        c.set_metadata(keys::ARCHITECTURE, &super::model::join(&model.sizes()));
        c.set_metadata(keys::ACTIVATION, activation_name(model.activation()));
        for (i, layer) in model.layers().iter().enumerate() {
            let w = layer.weight();
            c.push(
                &weight_name(i),
                &[w.rows(), w.cols()],
                w.as_slice().to_vec(),
            );
            c.push(&bias_name(i), &[layer.fan_out()], layer.bias().to_vec());
        }
        c
    }

    /// A checkpoint of a training run: the model, every optimizer buffer, and
    /// the configuration (seed, batch size, optimizer and its
    /// hyper-parameters, epochs completed). The caller adds how the weights
    /// were initialized ([`keys::INIT`], [`keys::BIAS_INIT`]) in its own words.
    ///
    /// # Panics
    /// If `state.optimizer` holds a buffer for a parameter the model lacks,
    /// or of another length than its parameter: a state assembled by hand
    /// ([`Trainer::state`](crate::train::Trainer::state) gives a consistent
    /// one).
    pub fn from_train_state(state: &TrainState, config: &TrainConfig) -> Checkpoint {
        let mut c = Checkpoint::from_mlp(&state.model);
        let lens = state.model.param_lens();
        let layer_shape = |p: usize| {
            let layer = &state.model.layers()[p / 2];
            if p.is_multiple_of(2) {
                std::vec![layer.fan_out(), layer.fan_in()]
            } else {
                std::vec![layer.fan_out()]
            }
        };
        for slot in &state.optimizer.slots {
            debug_assert_eq!(lens[slot.param], slot.values.len());
            c.push(
                &slot_name(slot.param, slot.name),
                &layer_shape(slot.param),
                slot.values.clone(),
            );
        }
        c.set_metadata(OPTIM_STEP, &state.optimizer.step.to_string());
        c.set_metadata(keys::EPOCH, &state.next_epoch.to_string());
        c.set_metadata(keys::SEED, &config.seed.to_string());
        c.set_metadata(BATCH, &config.batch_size.to_string());
        for (key, value) in optimizer_entries(&config.optimizer) {
            c.set_metadata(key, &value);
        }
        c
    }

    /// Records the training set of the run: its number of images and their
    /// digest ([`train_data_sha256`], computed once by the caller, who may
    /// save after every epoch), for
    /// [`check_train_data`](Self::check_train_data).
    pub fn set_train_data(&mut self, samples: usize, sha256: &str) {
        self.set_metadata(keys::TRAIN_SAMPLES, &samples.to_string());
        self.set_metadata(keys::TRAIN_DATA_SHA256, sha256);
    }

    /// Refuses a training set other than the one recorded by
    /// [`set_train_data`](Self::set_train_data): each epoch's shuffle
    /// depends on the number of images, and a resumed run continues the
    /// saved one only on the same images. Entries the checkpoint lacks
    /// (one written without them) are not checked.
    ///
    /// # Errors
    /// [`CheckpointError::ConfigMismatch`] for [`keys::TRAIN_SAMPLES`] (the
    /// counts) or [`keys::TRAIN_DATA_SHA256`] (the digests).
    pub fn check_train_data(&self, data: &Dataset) -> Result<(), CheckpointError> {
        let mismatch = |key, checkpoint: &str, config: String| {
            Err(CheckpointError::ConfigMismatch {
                key,
                checkpoint: checkpoint.into(),
                config,
            })
        };
        if let Some(n) = self.metadata(keys::TRAIN_SAMPLES)
            && n != data.len.to_string()
        {
            return mismatch(keys::TRAIN_SAMPLES, n, data.len.to_string());
        }
        if let Some(digest) = self.metadata(keys::TRAIN_DATA_SHA256) {
            let ours = train_data_sha256(data);
            if digest != ours {
                return mismatch(keys::TRAIN_DATA_SHA256, digest, ours);
            }
        }
        Ok(())
    }

    /// Rebuilds the network, after [`check_model`](Self::check_model) with
    /// `expected` layer sizes (or any with `None`).
    ///
    /// # Errors
    /// As [`check_model`](Self::check_model) and [`layer`](Self::layer) (a
    /// non-finite parameter), or [`CheckpointError::BadMetadata`] for an
    /// unknown activation.
    pub fn to_mlp(&self, expected: Option<&[usize]>) -> Result<Mlp, CheckpointError> {
        let sizes = self.check_model(expected)?;
        let name = self.require_metadata(keys::ACTIVATION)?;
        let Some(activation) = parse_activation(name) else {
            return Err(CheckpointError::BadMetadata {
                key: keys::ACTIVATION,
                value: name.into(),
                expected: ACTIVATIONS,
            });
        };
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (i, pair) in sizes.windows(2).enumerate() {
            let (w, b) = self.layer(i, pair[0], pair[1])?;
            let weight = Matrix::from_vec(w.to_vec(), pair[1], pair[0])
                .unwrap_or_else(|_| unreachable!("check_model checked the shape"));
            layers.push(Dense::from_parts(weight, b.to_vec()));
        }
        Ok(Mlp::from_layers(layers, activation).unwrap_or_else(|_| unreachable!("sizes chain")))
    }

    /// The optimizer configuration stored by [`from_train_state`](Self::from_train_state).
    ///
    /// # Errors
    /// [`CheckpointError::MissingMetadata`] or [`CheckpointError::BadMetadata`]
    /// (also for a number the optimizer refuses, keyed by its entry).
    pub fn optimizer_config(&self) -> Result<OptimizerConfig, CheckpointError> {
        let f = |k| self.parse_metadata::<f64>(k, "a number");
        let name = self.require_metadata(keys::OPTIMIZER)?;
        let config = match name {
            "adam" => OptimizerConfig::Adam(AdamConfig {
                lr: f(LR)?,
                beta1: f(BETA1)?,
                beta2: f(BETA2)?,
                eps: f(EPS)?,
                weight_decay: f(WEIGHT_DECAY)?,
            }),
            "sgd" => OptimizerConfig::Sgd(SgdConfig {
                lr: f(LR)?,
                momentum: f(MOMENTUM)?,
                nesterov: self.parse_metadata(NESTEROV, "true or false")?,
                weight_decay: f(WEIGHT_DECAY)?,
            }),
            _ => {
                let (value, expected) = (name.into(), "adam or sgd");
                return Err(CheckpointError::BadMetadata {
                    key: keys::OPTIMIZER,
                    value,
                    expected,
                });
            }
        };
        // A number outside its domain (an edited lr of NaN, a β of 1) is
        // reported as the entry it came from.
        config.validate().map_err(|e| match e {
            OptimError::InvalidHyperParameter { name, value } => CheckpointError::BadMetadata {
                key: name,
                value: value.to_string(),
                expected: "a value the optimizer accepts (see Optimizer::new)",
            },
            e => CheckpointError::BadMetadata {
                key: keys::OPTIMIZER,
                value: e.to_string(),
                expected: "a valid optimizer",
            },
        })?;
        Ok(config)
    }

    /// The seed, batch size and epochs completed stored by
    /// [`from_train_state`](Self::from_train_state).
    ///
    /// # Errors
    /// [`CheckpointError::MissingMetadata`] or [`CheckpointError::BadMetadata`].
    pub fn run_position(&self) -> Result<(u64, usize, usize), CheckpointError> {
        let seed = self.parse_metadata(keys::SEED, "an unsigned integer")?;
        let batch = self.parse_metadata(BATCH, "an unsigned integer")?;
        let epoch = self.parse_metadata(keys::EPOCH, "an unsigned integer")?;
        Ok((seed, batch, epoch))
    }

    /// The configuration of the saved run, to resume it with
    /// [`to_train_state`](Self::to_train_state) and
    /// [`Trainer::resume`](crate::train::Trainer::resume): its layers,
    /// activation, optimizer, seed and batch size, and `epochs` set to the
    /// epochs completed (raise it to train further). `init`, `bias_init` and
    /// `threads` keep [`TrainConfig::new`]'s defaults: a resumed run draws
    /// no initial weights, and the thread count does not change results.
    ///
    /// # Errors
    /// As [`check_model`](Self::check_model),
    /// [`optimizer_config`](Self::optimizer_config) and
    /// [`run_position`](Self::run_position);
    /// [`CheckpointError::BadMetadata`] for an unknown activation.
    pub fn train_config(&self) -> Result<TrainConfig, CheckpointError> {
        let mut config = TrainConfig::new(self.check_model(None)?);
        let name = self.require_metadata(keys::ACTIVATION)?;
        config.activation = parse_activation(name).ok_or_else(|| CheckpointError::BadMetadata {
            key: keys::ACTIVATION,
            value: name.into(),
            expected: ACTIVATIONS,
        })?;
        config.optimizer = self.optimizer_config()?;
        (config.seed, config.batch_size, config.epochs) = self.run_position()?;
        Ok(config)
    }

    /// The training state to continue from: the model (checked against
    /// `config.layers`), the buffers of `config.optimizer`, and the next
    /// epoch, once `config` agrees with the saved run. (The training set is
    /// checked apart, by [`check_train_data`](Self::check_train_data).)
    ///
    /// # Errors
    /// [`CheckpointError::ConfigMismatch`] when `config`'s activation, seed,
    /// batch size or optimizer (its kind or a hyper-parameter) differs from
    /// the checkpoint's ([`train_config`](Self::train_config) gives one that
    /// agrees; to go on with other hyper-parameters, e.g. a lower lr of the
    /// same optimizer, read the state with that one and pass the changed
    /// configuration to [`Trainer::resume`](crate::train::Trainer::resume),
    /// which does not compare them); as [`to_mlp`](Self::to_mlp),
    /// [`optimizer_config`](Self::optimizer_config) and
    /// [`run_position`](Self::run_position);
    /// [`CheckpointError::MissingTensor`] or [`CheckpointError::ShapeMismatch`]
    /// for an absent or misshapen optimizer buffer, [`CheckpointError::BadTensor`]
    /// for one holding NaN or ±∞ (or a negative Adam second moment).
    pub fn to_train_state(&self, config: &TrainConfig) -> Result<TrainState, CheckpointError> {
        let model = self.to_mlp(Some(&config.layers))?;
        let mismatch = |key, checkpoint: String, config: String| {
            Err(CheckpointError::ConfigMismatch {
                key,
                checkpoint,
                config,
            })
        };
        if model.activation() != config.activation {
            let name = |a| String::from(activation_name(a));
            return mismatch(
                keys::ACTIVATION,
                name(model.activation()),
                name(config.activation),
            );
        }
        let (seed, batch, next_epoch) = self.run_position()?;
        if seed != config.seed {
            return mismatch(keys::SEED, seed.to_string(), config.seed.to_string());
        }
        if batch != config.batch_size {
            let asked = config.batch_size.to_string();
            return mismatch(BATCH, batch.to_string(), asked);
        }
        let stored = self.optimizer_config()?;
        if stored != config.optimizer {
            // The first entry that differs: the optimizer's name, or one of
            // its hyper-parameters (distinct numbers print differently).
            let (ours, theirs) = (
                optimizer_entries(&stored),
                optimizer_entries(&config.optimizer),
            );
            let (key, a, b) = ours
                .into_iter()
                .zip(theirs)
                .find(|(a, b)| a != b)
                .map_or((keys::OPTIMIZER, String::new(), String::new()), |(a, b)| {
                    (a.0, a.1, b.1)
                });
            return mismatch(key, a, b);
        }
        let step = self.parse_metadata(OPTIM_STEP, "an unsigned integer")?;
        let mut slots = Vec::new();
        for (param, shape) in model
            .layers()
            .iter()
            .flat_map(|l| [std::vec![l.fan_out(), l.fan_in()], std::vec![l.fan_out()]])
            .enumerate()
        {
            for &name in config.optimizer.slot_names() {
                let tensor = slot_name(param, name);
                let values = finite(&tensor, self.require(&tensor, &shape)?)?;
                // Adam's √v of a negative second moment would be NaN.
                if let Some(i) = values.iter().position(|&v| v < 0.0)
                    && name == "exp_avg_sq"
                {
                    return Err(CheckpointError::BadTensor {
                        tensor,
                        reason: std::format!("value {} at index {i}: it must be ≥ 0", values[i]),
                    });
                }
                let values = values.to_vec();
                slots.push(Slot {
                    param,
                    name,
                    values,
                });
            }
        }
        Ok(TrainState {
            model,
            optimizer: OptimizerState { step, slots },
            next_epoch,
        })
    }
}
