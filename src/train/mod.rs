//! The MNIST training harness: seeded shuffling, minibatches, evaluation,
//! metrics, progress callbacks and bit-identical resumption.
//!
//! Needs the `std` feature (on by default).
//!
//! One epoch `e` (numbered from 0 internally) visits the training set in the
//! order of a Fisher–Yates permutation drawn from
//! `Xoshiro256PlusPlus::seed_from_u64(seed)` advanced by `(e + 1)·2¹⁹²` steps
//! ([`epoch_rng`]); the initial weights come from the same generator without
//! the jump ([`init_rng`]). So the order of epoch `e` depends only on
//! `(seed, e)`: resuming at epoch `e` needs no RNG state, and the streams never
//! overlap. Each epoch takes `⌊n / batch⌋` minibatches (`drop_last`, as the
//! lesson's DataLoader), scales their `u8` pixels to `x/255` into one reused
//! `f32` buffer (the dataset is never converted as a whole), and runs forward,
//! backward and one optimizer step per batch. Then the model is evaluated on
//! the test set.
//!
//! The library never prints: progress goes to an [`Observer`].

mod batch;
mod trainer;

pub use batch::{EVAL_BATCH, epoch_permutation, epoch_rng, evaluate, init_rng};
pub use trainer::{TrainState, Trainer};

use std::string::String;
use std::vec::Vec;

use crate::activation::Activation;
use crate::init::Init;
use crate::mlp::{BiasInit, MlpError};
use crate::optim::{AdamConfig, OptimError, OptimizerConfig};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Layer sizes `[in, hidden…, classes]`, e.g. `[784, 256, 256, 10]`.
    pub layers: Vec<usize>,
    /// Hidden nonlinearity.
    pub activation: Activation,
    /// Weight initializer.
    pub init: Init,
    /// Bias initializer.
    pub bias_init: BiasInit,
    /// Optimizer and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Minibatch size (> 0).
    pub batch_size: usize,
    /// Total number of epochs.
    pub epochs: usize,
    /// Seed of the weights and of every epoch's shuffle.
    pub seed: u64,
    /// Threads for the matrix products (≥ 1; more than one needs feature
    /// `parallel` and is otherwise ignored). Results do not depend on it.
    pub threads: usize,
}

impl TrainConfig {
    /// The lesson's run for `layers`: ReLU, Xavier-uniform weights, PyTorch
    /// default biases, Adam 1e-3, batch 100, 15 epochs, seed 777, 1 thread.
    pub fn new(layers: Vec<usize>) -> Self {
        Self {
            layers,
            activation: Activation::Relu,
            init: Init::xavier_uniform(1.0),
            bias_init: BiasInit::Default,
            optimizer: OptimizerConfig::Adam(AdamConfig::new(1e-3)),
            batch_size: 100,
            epochs: 15,
            seed: 777,
            threads: 1,
        }
    }
}

/// Metrics of one finished epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochMetrics {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean of the minibatch losses of the training pass.
    pub train_loss: f64,
    /// Mean cross-entropy on the test set after the epoch.
    pub test_loss: f64,
    /// Fraction of the test set classified correctly, in [0, 1].
    pub test_accuracy: f64,
    /// Wall-clock seconds of the training pass (evaluation excluded).
    pub seconds: f64,
    /// Training samples per second of the training pass.
    pub samples_per_second: f64,
}

/// Loss and accuracy of a model on a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction classified correctly, in [0, 1].
    pub accuracy: f64,
    /// Samples classified correctly.
    pub correct: usize,
    /// Samples evaluated.
    pub len: usize,
}

/// Where training stands after a minibatch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchProgress {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Minibatch number within the epoch, from 1.
    pub batch: usize,
    /// Minibatches in the epoch.
    pub batches: usize,
    /// Loss of this minibatch.
    pub loss: f32,
}

/// Receives progress; every method has an empty default. `()` ignores all;
/// a closure taking `&EpochMetrics` observes the epochs.
///
/// # Examples
/// ```
/// use deepinit::mnist::Dataset;
/// use deepinit::train::{EpochMetrics, TrainConfig, Trainer};
/// // Four 1×2 images of two classes.
/// let data = Dataset { images: vec![0, 9, 200, 250, 10, 0, 240, 220],
///     labels: vec![0, 1, 0, 1], len: 4, rows: 1, cols: 2, classes: 2 };
/// let mut config = TrainConfig::new(vec![2, 3, 2]);
/// (config.batch_size, config.epochs) = (2, 3);
/// let mut epochs = Vec::new();
/// let mut trainer = Trainer::new(config)?;
/// trainer.run(&data, &data, &mut |m: &EpochMetrics| epochs.push(m.epoch))?;
/// assert_eq!(epochs, [1, 2, 3]);
/// # Ok::<(), deepinit::train::TrainError>(())
/// ```
pub trait Observer {
    /// After every minibatch step.
    fn on_batch(&mut self, progress: &BatchProgress) {
        let _ = progress;
    }
    /// After every epoch's evaluation.
    fn on_epoch(&mut self, metrics: &EpochMetrics) {
        let _ = metrics;
    }
}

impl Observer for () {}

impl<F: FnMut(&EpochMetrics)> Observer for F {
    fn on_epoch(&mut self, metrics: &EpochMetrics) {
        self(metrics);
    }
}

/// Why training cannot start or go on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// The network cannot be built from the configuration or state.
    Model(MlpError),
    /// The optimizer or its saved state is invalid.
    Optimizer(OptimError),
    /// `batch_size` or `threads` is zero.
    ZeroSize {
        /// `"batch_size"` or `"threads"`.
        what: &'static str,
    },
    /// A dataset does not fit the network.
    Dataset {
        /// `"train"` or `"test"`.
        split: &'static str,
        /// What is wrong.
        reason: DatasetMismatch,
    },
    /// The training set has fewer samples than one minibatch.
    TooFewSamples {
        /// Training samples.
        len: usize,
        /// Minibatch size.
        batch_size: usize,
    },
    /// A resumed state's model differs from the configuration.
    StateMismatch {
        /// `"layers"` or `"activation"`.
        what: &'static str,
        /// The state's (e.g. `784,256,10` or `relu`).
        state: String,
        /// The configuration's.
        config: String,
    },
    /// A resumed optimizer has taken another number of steps than the
    /// epochs completed make with this training set (a state from another
    /// training set or batch size, or an edited one).
    ResumedSteps {
        /// Steps the optimizer state records.
        steps: u64,
        /// Epochs completed times minibatches per epoch.
        expected: u64,
    },
    /// A minibatch loss was NaN or ±∞; training stopped before its update.
    NonFiniteLoss {
        /// Epoch number, from 1.
        epoch: usize,
        /// Minibatch number within the epoch, from 1.
        batch: usize,
        /// The loss.
        loss: f32,
    },
}

/// How a dataset disagrees with the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatasetMismatch {
    /// `rows · cols` differs from the network's input size.
    InputSize {
        /// Network inputs.
        expected: usize,
        /// Pixels per image.
        found: usize,
    },
    /// Number of classes differs from the network's outputs.
    Classes {
        /// Network outputs.
        expected: usize,
        /// Dataset classes.
        found: usize,
    },
    /// Buffer lengths disagree with `len`, `rows`, `cols`: `len` images of
    /// `pixels` bytes need `len · pixels` image bytes and `len` labels.
    Lengths {
        /// Samples (`len`).
        len: usize,
        /// Pixels per image (`rows · cols`).
        pixels: usize,
        /// Bytes in `images`.
        images: usize,
        /// Entries in `labels`.
        labels: usize,
    },
    /// A set to evaluate on (the test set) holds no samples.
    Empty,
    /// The training set holds more samples than its shuffle indexes
    /// (`u32::MAX`, see [`epoch_permutation`]).
    TooManySamples {
        /// Samples (`len`).
        len: usize,
    },
    /// Label at `index` is not below the number of classes.
    Label {
        /// Sample index.
        index: usize,
        /// Its label.
        label: u8,
    },
}

impl core::fmt::Display for DatasetMismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DatasetMismatch::InputSize { expected, found } => write!(
                f,
                "images have {found} pixels but the network takes {expected} inputs"
            ),
            DatasetMismatch::Classes { expected, found } => {
                write!(f, "{found} classes but the network has {expected} outputs")
            }
            DatasetMismatch::Lengths {
                len,
                pixels,
                images,
                labels,
            } => write!(
                f,
                "{len} images of {pixels} pixels need {} image bytes and {len} labels, the buffers hold {images} and {labels}",
                len.saturating_mul(pixels)
            ),
            DatasetMismatch::Empty => f.write_str("it holds no samples to evaluate on"),
            DatasetMismatch::TooManySamples { len } => write!(
                f,
                "it holds {len} samples, more than the {} a shuffle indexes",
                u32::MAX
            ),
            DatasetMismatch::Label { index, label } => {
                write!(f, "label {label} of sample {index} is out of range")
            }
        }
    }
}

impl core::fmt::Display for TrainError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TrainError::Model(e) => write!(f, "model: {e}"),
            TrainError::Optimizer(e) => write!(f, "optimizer: {e}"),
            TrainError::ZeroSize { what } => write!(f, "{what} must be at least 1"),
            TrainError::Dataset { split, reason } => write!(f, "{split} set: {reason}"),
            TrainError::TooFewSamples { len, batch_size } => write!(
                f,
                "the training set has {len} samples, fewer than one batch of {batch_size}"
            ),
            TrainError::StateMismatch {
                what,
                state,
                config,
            } => write!(
                f,
                "the saved model has {what} {state}, the configuration {config}"
            ),
            TrainError::ResumedSteps { steps, expected } => write!(
                f,
                "the saved optimizer has taken {steps} steps, but the epochs completed on this training set make {expected}"
            ),
            TrainError::NonFiniteLoss { epoch, batch, loss } => write!(
                f,
                "loss became {loss} at epoch {epoch}, batch {batch}; training stopped"
            ),
        }
    }
}

impl core::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            TrainError::Model(e) => Some(e),
            TrainError::Optimizer(e) => Some(e),
            _ => None,
        }
    }
}

impl From<MlpError> for TrainError {
    fn from(e: MlpError) -> Self {
        TrainError::Model(e)
    }
}

impl From<OptimError> for TrainError {
    fn from(e: OptimError) -> Self {
        TrainError::Optimizer(e)
    }
}
