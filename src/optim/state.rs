//! Export and import of an optimizer's state (for checkpoints), and its errors.
//!
//! The state is the step count `t` and, for every parameter tensor `p` and
//! every slot name `s` of [`OptimizerConfig::slot_names`](super::OptimizerConfig::slot_names), one `f32` buffer of
//! the parameter's length — PyTorch's `state_dict()["state"][p][s]`.

use alloc::vec::Vec;
use core::fmt;

use super::Optimizer;

/// One state buffer: slot `name` of parameter tensor `param`.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Index of the parameter tensor (checkpoint order, see
    /// [`crate::mlp::Mlp::params`]).
    pub param: usize,
    /// Slot name: `"exp_avg"`, `"exp_avg_sq"` or `"momentum_buffer"`.
    pub name: &'static str,
    /// The buffer, as long as the parameter.
    pub values: Vec<f32>,
}

/// Everything an [`Optimizer`] remembers between steps.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    /// Steps taken.
    pub step: u64,
    /// Buffers, parameter by parameter, each parameter's slots in the order of
    /// [`OptimizerConfig::slot_names`](super::OptimizerConfig::slot_names).
    pub slots: Vec<Slot>,
}

/// Why an optimizer cannot be built or its state cannot be loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum OptimError {
    /// A hyper-parameter is outside its domain.
    InvalidHyperParameter {
        /// Its name (`lr`, `momentum`, `beta1`, …).
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The state has another number of buffers than the optimizer needs.
    SlotCount {
        /// Buffers needed.
        expected: usize,
        /// Buffers given.
        found: usize,
    },
    /// Buffer `index` is for another parameter/slot or has another length.
    SlotMismatch {
        /// Position in [`OptimizerState::slots`].
        index: usize,
        /// Length needed.
        expected_len: usize,
        /// Length given.
        found_len: usize,
    },
    /// A state buffer of parameter `param` (`len` floats) cannot be
    /// allocated.
    StateTooLarge {
        /// Position in the parameter lengths given.
        param: usize,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OptimError::InvalidHyperParameter { name, value } => {
                // The domains `Optimizer::new` checks (the updates run in f32).
                let domain = match name {
                    "lr" => "it must be > 0, and neither 0 nor ∞ in f32",
                    "beta1" | "beta2" => "it must be in [0, 1)",
                    // 0 is refused only with Nesterov momentum.
                    "momentum" if value == 0.0 => "Nesterov momentum needs momentum > 0",
                    _ => "it must be ≥ 0, and finite in f32",
                };
                write!(
                    f,
                    "invalid optimizer hyper-parameter {name} = {value:?}: {domain}"
                )
            }
            OptimError::SlotCount { expected, found } => write!(
                f,
                "optimizer state has {found} buffers, this optimizer needs {expected}"
            ),
            OptimError::SlotMismatch {
                index,
                expected_len,
                found_len,
            } => write!(
                f,
                "optimizer state buffer {index} is for another parameter or slot \
                 (length {found_len}, expected {expected_len})"
            ),
            OptimError::StateTooLarge { param, len } => write!(
                f,
                "cannot allocate the state of parameter {param} ({len} floats)"
            ),
        }
    }
}

impl core::error::Error for OptimError {}

impl Optimizer {
    /// A copy of the state: step count and every buffer.
    ///
    /// # Examples
    /// ```
    /// use deepinit::optim::{Optimizer, OptimizerConfig, SgdConfig};
    /// let cfg = OptimizerConfig::Sgd(SgdConfig { momentum: 0.9, ..SgdConfig::new(0.1) });
    /// let mut a = Optimizer::new(cfg, &[3])?;
    /// a.step([(&mut [1.0f32; 3][..], &[1.0f32; 3][..])]);
    /// let state = a.state();
    /// assert_eq!((state.step, state.slots[0].name), (1, "momentum_buffer"));
    /// let mut b = Optimizer::new(cfg, &[3])?;
    /// b.load_state(&state)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), deepinit::optim::OptimError>(())
    /// ```
    pub fn state(&self) -> OptimizerState {
        let names = self.config.slot_names();
        let slots = self
            .buffers
            .iter()
            .enumerate()
            .map(|(i, b)| Slot {
                param: i / names.len(),
                name: names[i % names.len()],
                values: b.clone(),
            })
            .collect();
        OptimizerState {
            step: self.step,
            slots,
        }
    }

    /// Replaces the state with `state` (made by [`Optimizer::state`] of an
    /// optimizer of the same kind and parameter lengths).
    ///
    /// # Errors
    /// [`OptimError::SlotCount`] or [`OptimError::SlotMismatch`]; `self` is
    /// unchanged then.
    pub fn load_state(&mut self, state: &OptimizerState) -> Result<(), OptimError> {
        let names = self.config.slot_names();
        if state.slots.len() != self.buffers.len() {
            return Err(OptimError::SlotCount {
                expected: self.buffers.len(),
                found: state.slots.len(),
            });
        }
        for (i, s) in state.slots.iter().enumerate() {
            let expected_len = self.buffers[i].len();
            if s.param != i / names.len()
                || s.name != names[i % names.len()]
                || s.values.len() != expected_len
            {
                return Err(OptimError::SlotMismatch {
                    index: i,
                    expected_len,
                    found_len: s.values.len(),
                });
            }
        }
        for (b, s) in self.buffers.iter_mut().zip(&state.slots) {
            b.copy_from_slice(&s.values);
        }
        self.step = state.step;
        Ok(())
    }
}
