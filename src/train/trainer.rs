//! The [`Trainer`]: model, optimizer and the next epoch, plus the buffers one
//! epoch reuses. Its [`TrainState`] is all a checkpoint must keep: resuming
//! from the state after epoch `k` continues bit-identically, because epoch
//! `k`'s shuffle depends only on `(seed, k)` (see [`super::epoch_rng`]).

use std::string::String;
use std::time::Instant;
use std::vec::Vec;

use super::batch::{
    Evaluator, batch_buffers, check_dataset, check_eval_set, epoch_permutation, fill_batch,
    init_rng,
};
use super::{BatchProgress, DatasetMismatch, EpochMetrics, Observer, TrainConfig, TrainError};
use crate::checkpoint::{activation_name, join};
use crate::mat::MatRef;
use crate::mlp::{Gradients, Mlp, Workspace};
use crate::mnist::Dataset;
use crate::optim::{Optimizer, OptimizerState};

/// What a checkpoint stores to resume a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainState {
    /// The network after `next_epoch` epochs.
    pub model: Mlp,
    /// The optimizer's state after those epochs.
    pub optimizer: OptimizerState,
    /// Epochs completed; training continues with this (0-based) epoch.
    pub next_epoch: usize,
}

/// A training run in progress.
///
/// # Examples
/// Train, save the state after one epoch, resume it, and get the same bits:
/// ```
/// use deepinit::mnist::Dataset;
/// use deepinit::train::{TrainConfig, Trainer};
/// // 40 "images" of 2×2 pixels, class = whether the first pixel is bright.
/// let images: Vec<u8> = (0..160u32).map(|i| (i * 97 % 256) as u8).collect();
/// let labels = images.chunks(4).map(|p| u8::from(p[0] > 127)).collect();
/// let data = Dataset { images, labels, len: 40, rows: 2, cols: 2, classes: 2 };
/// let mut config = TrainConfig::new(vec![4, 8, 2]);
/// config.batch_size = 10;
/// config.epochs = 2;
///
/// let mut full = Trainer::new(config.clone())?;
/// let metrics = full.run(&data, &data, &mut ())?;
/// assert_eq!(metrics.len(), 2);
///
/// let mut first = Trainer::new(config.clone())?;
/// first.train_epoch(&data, &data, &mut ())?;
/// let mut resumed = Trainer::resume(config, first.state())?;
/// resumed.run(&data, &data, &mut ())?;
/// assert_eq!(resumed.model(), full.model());
/// # Ok::<(), deepinit::train::TrainError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Trainer {
    config: TrainConfig,
    model: Mlp,
    optimizer: Optimizer,
    next_epoch: usize,
    ws: Workspace,
    grads: Gradients,
    eval: Evaluator,
    x: Vec<f32>,
    y: Vec<u8>,
    order: Vec<u32>,
    /// Built by [`Trainer::resume`], and its step count not checked yet.
    resumed: bool,
}

impl Trainer {
    /// Starts a run: weights from [`super::init_rng`]`(config.seed)` as
    /// [`Mlp::new`] documents, a fresh optimizer, epoch 0.
    ///
    /// # Errors
    /// [`TrainError`] for a zero batch size or thread count, or a network or
    /// optimizer that cannot be built, including memory the allocator
    /// refuses: the parameters ([`crate::mlp::MlpError::TooLarge`]), their
    /// gradients ([`crate::mlp::MlpError::GradientsTooLarge`]), the
    /// optimizer's state ([`crate::optim::OptimError::StateTooLarge`]) or
    /// the buffers for a batch ([`crate::mlp::MlpError::WorkspaceTooLarge`]).
    pub fn new(config: TrainConfig) -> Result<Self, TrainError> {
        let mut rng = init_rng(config.seed);
        let model = Mlp::new(
            &config.layers,
            config.activation,
            &config.init,
            &config.bias_init,
            &mut rng,
        )?;
        let optimizer = Optimizer::new(config.optimizer, &model.param_lens())?;
        Self::assemble(config, model, optimizer, 0)
    }

    /// Continues a run from `state` (saved by [`Trainer::state`] under the same
    /// `config`, to be trained on the same training set).
    ///
    /// The next [`train_epoch`](Self::train_epoch) checks that the optimizer
    /// has taken one step per minibatch of every epoch completed, as a run
    /// on that training set does.
    ///
    /// # Errors
    /// [`TrainError::StateMismatch`] when the model's sizes or activation differ
    /// from `config`, [`TrainError::Optimizer`] when the optimizer state does
    /// not fit, and the errors of [`Trainer::new`].
    pub fn resume(config: TrainConfig, state: TrainState) -> Result<Self, TrainError> {
        let mismatch = |what, state: String, config: String| {
            Err(TrainError::StateMismatch {
                what,
                state,
                config,
            })
        };
        if state.model.sizes() != config.layers {
            return mismatch("layers", join(&state.model.sizes()), join(&config.layers));
        }
        if state.model.activation() != config.activation {
            let name = |a| String::from(activation_name(a));
            return mismatch(
                "activation",
                name(state.model.activation()),
                name(config.activation),
            );
        }
        let mut optimizer = Optimizer::new(config.optimizer, &state.model.param_lens())?;
        optimizer.load_state(&state.optimizer)?;
        let mut trainer = Self::assemble(config, state.model, optimizer, state.next_epoch)?;
        trainer.resumed = true;
        Ok(trainer)
    }

    fn assemble(
        config: TrainConfig,
        model: Mlp,
        optimizer: Optimizer,
        next_epoch: usize,
    ) -> Result<Self, TrainError> {
        if config.batch_size == 0 {
            return Err(TrainError::ZeroSize { what: "batch_size" });
        }
        if config.threads == 0 {
            return Err(TrainError::ZeroSize { what: "threads" });
        }
        let mut optimizer = optimizer;
        optimizer.set_threads(config.threads);
        let batch = config.batch_size;
        let (x, y) = batch_buffers(batch, model.input_size())?;
        Ok(Self {
            ws: Workspace::try_with_threads(&model, batch, config.threads)?,
            grads: Gradients::try_new(&model)?,
            eval: Evaluator::new(&model, config.threads)?,
            x,
            y,
            order: Vec::new(),
            config,
            model,
            optimizer,
            next_epoch,
            resumed: false,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The network as trained so far.
    pub fn model(&self) -> &Mlp {
        &self.model
    }

    /// The optimizer and its state.
    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    /// Epochs completed (the 0-based index of the next one).
    pub fn next_epoch(&self) -> usize {
        self.next_epoch
    }

    /// `true` once `config.epochs` epochs are done.
    pub fn is_finished(&self) -> bool {
        self.next_epoch >= self.config.epochs
    }

    /// A copy of everything needed to resume (model, optimizer state, epoch).
    pub fn state(&self) -> TrainState {
        TrainState {
            model: self.model.clone(),
            optimizer: self.optimizer.state(),
            next_epoch: self.next_epoch,
        }
    }

    /// Consumes the trainer and returns the model.
    pub fn into_model(self) -> Mlp {
        self.model
    }

    /// Trains the remaining epochs (from [`Trainer::next_epoch`] up to
    /// `config.epochs`) and returns their metrics.
    ///
    /// # Errors
    /// As [`Trainer::train_epoch`]; the epochs finished before the error stay
    /// applied.
    pub fn run(
        &mut self,
        train: &Dataset,
        test: &Dataset,
        observer: &mut dyn Observer,
    ) -> Result<Vec<EpochMetrics>, TrainError> {
        let mut all = Vec::new();
        while !self.is_finished() {
            all.push(self.train_epoch(train, test, observer)?);
        }
        Ok(all)
    }

    /// Trains one epoch on `train`, evaluates on `test`, reports both to
    /// `observer` and advances [`Trainer::next_epoch`]. It does so even past
    /// `config.epochs` (the count [`Trainer::run`] and
    /// [`Trainer::is_finished`] go by): the epoch's shuffle comes from the
    /// seed and the epoch's index, so epoch `n` is the same whether or not a
    /// run planned it.
    ///
    /// # Errors
    /// [`TrainError::Dataset`] when a set does not fit the network (or the
    /// test set is empty, or the training set holds more than 2³² − 1
    /// samples),
    /// [`TrainError::TooFewSamples`] when `train` holds less than one batch,
    /// [`TrainError::NonFiniteLoss`] when a minibatch loss is NaN or ±∞ (the
    /// model then holds the parameters of the step before),
    /// [`TrainError::ResumedSteps`] on the first epoch after
    /// [`Trainer::resume`] when the optimizer's step count does not fit.
    pub fn train_epoch(
        &mut self,
        train: &Dataset,
        test: &Dataset,
        observer: &mut dyn Observer,
    ) -> Result<EpochMetrics, TrainError> {
        // The shuffle indexes the samples in u32 (`epoch_permutation`).
        if u32::try_from(train.len).is_err() {
            let reason = DatasetMismatch::TooManySamples { len: train.len };
            return Err(TrainError::Dataset {
                split: "train",
                reason,
            });
        }
        check_dataset(&self.model, train, "train")?;
        check_eval_set(&self.model, test, "test")?;
        let batch = self.config.batch_size;
        let batches = train.len / batch;
        if batches == 0 {
            return Err(TrainError::TooFewSamples {
                len: train.len,
                batch_size: batch,
            });
        }
        if self.resumed {
            let expected = (self.next_epoch as u64).saturating_mul(batches as u64);
            let steps = self.optimizer.steps();
            if steps != expected {
                return Err(TrainError::ResumedSteps { steps, expected });
            }
            self.resumed = false;
        }
        let epoch = self.next_epoch + 1;
        let start = Instant::now();
        epoch_permutation(
            self.config.seed,
            self.next_epoch,
            train.len,
            &mut self.order,
        );
        let mut loss_sum = 0.0f64;
        for b in 0..batches {
            let loss = self.step(train, b * batch..(b + 1) * batch);
            if !loss.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    epoch,
                    batch: b + 1,
                    loss,
                });
            }
            loss_sum += f64::from(loss);
            observer.on_batch(&BatchProgress {
                epoch,
                batch: b + 1,
                batches,
                loss,
            });
        }
        let seconds = start.elapsed().as_secs_f64();
        let test_eval = self.eval.run(&self.model, test);
        self.next_epoch += 1;
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / batches as f64,
            test_loss: test_eval.loss,
            test_accuracy: test_eval.accuracy,
            seconds,
            samples_per_second: (batches * batch) as f64 / seconds.max(f64::MIN_POSITIVE),
        };
        observer.on_epoch(&metrics);
        Ok(metrics)
    }

    /// One minibatch (positions `range` of this epoch's order): forward,
    /// backward and, when the loss is finite, the optimizer step.
    fn step(&mut self, train: &Dataset, range: core::ops::Range<usize>) -> f32 {
        let rows = range.len();
        let order = &self.order[range];
        fill_batch(
            train,
            rows,
            &|r| order[r] as usize,
            &mut self.x,
            &mut self.y,
            self.config.threads,
        );
        let x = MatRef::from_row_major(&self.x, rows, self.model.input_size())
            .unwrap_or_else(|_| unreachable!("batch buffer holds rows·inputs"));
        let loss = self
            .model
            .loss_and_gradients(x, &self.y, &mut self.ws, &mut self.grads);
        if loss.is_finite() {
            self.optimizer
                .step(self.model.params_and_grads(&self.grads));
        }
        loss
    }
}
