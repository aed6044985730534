//! First-order optimizers with PyTorch's semantics: SGD with momentum /
//! Nesterov / weight decay (`torch.optim.SGD`, dampening 0) and Adam
//! (`torch.optim.Adam`, Kingma & Ba 2015, with L2 weight decay added to the
//! gradient as PyTorch does — not AdamW).
//!
//! Needs the `alloc` feature.
//!
//! ```text
//! SGD:  g ← ∇ + λθ;  b ← g (t = 1) | μb + g;  d ← g + μb (Nesterov) | b;  θ ← θ − η·d
//! Adam: g ← ∇ + λθ;  m ← m + (1−β₁)(g − m);  v ← β₂v + (1−β₂)g²;
//!       θ ← θ − η/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//! ```
//!
//! Hyper-parameters are `f64`, like Python floats: bias corrections are
//! computed in double precision and cast to `f32` where PyTorch casts them.
//! The element-wise updates follow PyTorch's operation order, except that
//! Adam's step is computed with one division, that its first moment is
//! always `m + (1−β₁)(g − m)` (PyTorch's `lerp` switches to the equal
//! `g − β₁(g − m)` for β₁ ≤ 0.5, an ulp apart), and that Adam's moments are flushed
//! to zero below 2⁻¹⁰⁰ so the update never computes with (50× slower)
//! subnormal numbers, as long as `ε√(1 − β₂ᵗ)` is at least 2⁻³² (from the
//! first step with the default ε = 10⁻⁸ and β₂ = 0.999): a flushed first
//! moment changes an update by less than `lr·2⁻⁶⁸·√(1 − β₂ᵗ)/(1 − β₁ᵗ)`
//! (at most `lr·2⁻⁶⁸` with the default betas), a flushed second moment its
//! denominator by less than 2⁻¹⁸ of itself. With a smaller ε (ε = 0 is
//! allowed) nothing is flushed, where `m/√v` alone sets the step; with
//! `ε√(1 − β₂ᵗ)` = 0 in f32, a parameter whose `v` is 0 (no gradient yet, or
//! gradients below ~10⁻²³ whose squares underflow) stays in place, where
//! the step would be 0/0 or m/0 (PyTorch gives NaN or ±∞). The tests match
//! PyTorch 2.15 to about an ulp per step.
//! The whole state (step count and one buffer per parameter and slot) can be
//! exported with [`Optimizer::state`] and restored with
//! [`Optimizer::load_state`], so a checkpoint resumes bit-identically.

mod kernels;
mod state;

pub use state::{OptimError, OptimizerState, Slot};

/// The parameter pairs [`Optimizer::step`] holds without allocating: two per
/// layer (weights, biases), so a network of 16 layers. More pairs are held in
/// a `Vec`.
pub const STEP_PAIRS_INLINE: usize = 32;

use alloc::vec::Vec;

use crate::matrix::try_zeroed;
use kernels::{AdamScalars, SgdScalars};

/// `torch.optim.SGD` hyper-parameters (dampening is always 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate η (> 0).
    pub lr: f64,
    /// Momentum μ ≥ 0 (0: plain SGD, no buffer).
    pub momentum: f64,
    /// Nesterov momentum (needs μ > 0).
    pub nesterov: bool,
    /// L2 penalty λ ≥ 0 added to the gradient.
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

/// `torch.optim.Adam` hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate η (> 0), PyTorch default 1e-3.
    pub lr: f64,
    /// β₁ ∈ [0, 1), default 0.9.
    pub beta1: f64,
    /// β₂ ∈ [0, 1), default 0.999.
    pub beta2: f64,
    /// ε ≥ 0, default 1e-8.
    pub eps: f64,
    /// L2 penalty λ ≥ 0 added to the gradient, default 0.
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self::new(1e-3)
    }
}

impl AdamConfig {
    /// PyTorch's defaults with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Which optimizer, with its hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum OptimizerConfig {
    /// Stochastic gradient descent.
    Sgd(SgdConfig),
    /// Adam.
    Adam(AdamConfig),
}

impl OptimizerConfig {
    /// Names of the per-parameter state buffers, in the order of
    /// [`OptimizerState::slots`]: `["exp_avg", "exp_avg_sq"]` for Adam (as in
    /// PyTorch's `state_dict`), `["momentum_buffer"]` for SGD with momentum,
    /// none for plain SGD.
    pub fn slot_names(&self) -> &'static [&'static str] {
        match self {
            OptimizerConfig::Adam(_) => &["exp_avg", "exp_avg_sq"],
            OptimizerConfig::Sgd(c) if c.momentum != 0.0 => &["momentum_buffer"],
            OptimizerConfig::Sgd(_) => &[],
        }
    }

    /// Checks every hyper-parameter against its domain (see [`Optimizer::new`]).
    pub(crate) fn validate(&self) -> Result<(), OptimError> {
        let bad =
            |name: &'static str, value: f64| Err(OptimError::InvalidHyperParameter { name, value });
        let (lr, wd) = match self {
            OptimizerConfig::Sgd(c) => (c.lr, c.weight_decay),
            OptimizerConfig::Adam(c) => (c.lr, c.weight_decay),
        };
        // The updates run in f32: each value must be representable there
        // (finite once cast, lr not 0). A finite lr can still be large
        // enough for a step to overflow, which is divergence, not bad input.
        let f32_finite = |x: f64| (x as f32).is_finite();
        if !(lr > 0.0 && f32_finite(lr) && lr as f32 > 0.0) {
            return bad("lr", lr);
        }
        if !(wd >= 0.0 && f32_finite(wd)) {
            return bad("weight_decay", wd);
        }
        match *self {
            OptimizerConfig::Sgd(c) if !(c.momentum >= 0.0 && f32_finite(c.momentum)) => {
                bad("momentum", c.momentum)
            }
            OptimizerConfig::Sgd(c) if c.nesterov && c.momentum == 0.0 => bad("momentum", 0.0),
            OptimizerConfig::Adam(c) if !(0.0..1.0).contains(&c.beta1) => bad("beta1", c.beta1),
            OptimizerConfig::Adam(c) if !(0.0..1.0).contains(&c.beta2) => bad("beta2", c.beta2),
            OptimizerConfig::Adam(c) if !(c.eps >= 0.0 && f32_finite(c.eps)) => bad("eps", c.eps),
            _ => Ok(()),
        }
    }
}

/// An optimizer with its state for a fixed list of parameter tensors.
/// Equality compares configuration, parameter lengths, step count and
/// buffers (not threads).
#[derive(Debug, Clone)]
pub struct Optimizer {
    config: OptimizerConfig,
    step: u64,
    /// `slots[p · slot_names().len() + s]`: slot `s` of parameter `p`.
    buffers: Vec<Vec<f32>>,
    lens: Vec<usize>,
    threads: usize,
}

impl PartialEq for Optimizer {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.step == other.step
            && self.lens == other.lens
            && self.buffers == other.buffers
    }
}

impl Optimizer {
    /// A fresh optimizer (step 0, zero buffers) for parameters of the given
    /// lengths (e.g. [`crate::mlp::Mlp::param_lens`]).
    ///
    /// # Errors
    /// [`OptimError::InvalidHyperParameter`] for lr ≤ 0, negative decay or
    /// momentum, Nesterov without momentum, β outside [0, 1), negative ε, NaN/∞,
    /// or a value that is ∞ in f32 (lr also one that is 0 in f32);
    /// [`OptimError::StateTooLarge`] when the allocator refuses a buffer.
    ///
    /// # Examples
    /// ```
    /// use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig};
    /// let mut opt = Optimizer::new(OptimizerConfig::Adam(AdamConfig::new(0.1)), &[2])?;
    /// let mut p = [1.0f32, -1.0];
    /// opt.step([(&mut p[..], &[0.5f32, -2.0][..])]);
    /// // Adam's first step moves every parameter by ≈ lr against its gradient's sign.
    /// assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] + 0.9).abs() < 1e-6);
    /// # Ok::<(), deepinit::optim::OptimError>(())
    /// ```
    pub fn new(config: OptimizerConfig, param_lens: &[usize]) -> Result<Self, OptimError> {
        config.validate()?;
        let slots = config.slot_names().len();
        let mut buffers = Vec::with_capacity(param_lens.len() * slots);
        for (param, &len) in param_lens.iter().enumerate() {
            for _ in 0..slots {
                buffers.push(try_zeroed(len).ok_or(OptimError::StateTooLarge { param, len })?);
            }
        }
        Ok(Self {
            config,
            step: 0,
            buffers,
            lens: param_lens.to_vec(),
            threads: 1,
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Lets Adam update long parameters on up to `threads` threads (feature
    /// `parallel`; ignored without it, and 0 counts as 1). The update is
    /// element-wise, so the results do not depend on it.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Steps taken so far (PyTorch's `state["step"]`), saturating at
    /// `u64::MAX`.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One update of every parameter from its gradient. `params` yields
    /// `(parameter, gradient)` pairs in the order given to [`Optimizer::new`]
    /// (e.g. [`crate::mlp::Mlp::params_and_grads`]).
    ///
    /// Allocates nothing for up to [`STEP_PAIRS_INLINE`] pairs (a network
    /// of 16 layers), which are held on the stack while they are checked
    /// (on more threads than any step before, the pool's new workers
    /// allocate as they start).
    ///
    /// # Panics
    /// If the number of pairs or a length differs from the construction;
    /// then nothing has been updated (the pairs are checked first).
    pub fn step<'a, I>(&mut self, params: I)
    where
        I: IntoIterator<Item = (&'a mut [f32], &'a [f32])>,
    {
        let mut inline: [(&mut [f32], &[f32]); STEP_PAIRS_INLINE] =
            core::array::from_fn(|_| (&mut [][..], &[][..]));
        let mut spilled = Vec::new();
        let mut count = 0;
        for pair in params {
            match inline.get_mut(count) {
                Some(slot) => *slot = pair,
                None => spilled.push(pair),
            }
            count += 1;
        }
        let used = count.min(STEP_PAIRS_INLINE);
        assert_eq!(
            count,
            self.lens.len(),
            "optimizer: {count} parameters given, built for {}",
            self.lens.len()
        );
        let pairs = || inline[..used].iter().chain(&spilled);
        for (i, ((p, g), &len)) in pairs().zip(&self.lens).enumerate() {
            assert!(
                p.len() == len && g.len() == len,
                "optimizer: parameter {i} has another length"
            );
        }
        // Saturates (a restored state may say u64::MAX): by then Adam's bias
        // corrections are 1 and stay so (`adam_scalars` caps t too).
        self.step = self.step.saturating_add(1);
        let t = self.step;
        let slots = self.config.slot_names().len();
        let pairs = inline[..used].iter_mut().chain(&mut spilled);
        for (i, (p, g)) in pairs.enumerate() {
            let (p, g) = (&mut **p, &**g);
            let bufs = &mut self.buffers[i * slots..(i + 1) * slots];
            match self.config {
                OptimizerConfig::Adam(c) => {
                    let (m, v) = bufs.split_at_mut(1);
                    let s = adam_scalars(&c, t);
                    kernels::adam_threads(p, g, &mut m[0], &mut v[0], s, self.threads);
                }
                OptimizerConfig::Sgd(c) => {
                    let s = SgdScalars {
                        neg_lr: -(c.lr as f32),
                        momentum: c.momentum as f32,
                        weight_decay: c.weight_decay as f32,
                        nesterov: c.nesterov,
                        first: t == 1,
                    };
                    kernels::sgd(p, g, bufs.first_mut().map(|b| &mut b[..]), s);
                }
            }
        }
    }
}

/// PyTorch's single-tensor Adam: corrections in f64, then cast to f32.
fn adam_scalars(c: &AdamConfig, t: u64) -> AdamScalars {
    let t = i32::try_from(t).unwrap_or(i32::MAX);
    let bc1 = 1.0 - libm::pow(c.beta1, f64::from(t));
    let bc2 = 1.0 - libm::pow(c.beta2, f64::from(t));
    let (bc2_sqrt, eps) = (libm::sqrt(bc2) as f32, c.eps as f32);
    AdamScalars {
        one_minus_beta1: (1.0 - c.beta1) as f32,
        beta2: c.beta2 as f32,
        one_minus_beta2: (1.0 - c.beta2) as f32,
        bc2_sqrt,
        eps,
        neg_step_size: (-(c.lr / bc1)) as f32,
        weight_decay: c.weight_decay as f32,
        flush_below: kernels::flush_threshold(eps * bc2_sqrt),
    }
}
