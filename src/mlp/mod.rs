//! Multi-layer perceptrons: dense layers, a hidden nonlinearity, and a linear
//! output trained with softmax cross-entropy.
//!
//! Needs the `alloc` feature.
//!
//! Layer `l` maps a batch `A₍ₗ₋₁₎` (`batch × in`, row-major) to
//! `A₍ₗ₎ = act(A₍ₗ₋₁₎·Wₗᵀ + 1·bₗᵀ)`, with `Wₗ` stored `[out × in]` as in
//! PyTorch's `nn.Linear`; the last layer is linear and its outputs are logits.
//! The loss is `L = −(1/B) Σᵢ log softmax(zᵢ)[yᵢ]`. Back-propagation
//! (Rumelhart, Hinton & Williams 1986) with `Δ = ∂L/∂Z` of a layer:
//!
//! ```text
//! ∂L/∂W = Δᵀ·A₍ₗ₋₁₎      ∂L/∂b = Σᵢ Δᵢ (column sums)      ∂L/∂A₍ₗ₋₁₎ = Δ·W
//! Δ₍ₗ₋₁₎ = ∂L/∂A₍ₗ₋₁₎ ⊙ act′(A₍ₗ₋₁₎)
//! ```
//!
//! Every product runs through [`crate::gemm::gemm`] on transposed *views*
//! (no copies), and all scratch lives in a reusable [`Workspace`]: a training
//! step allocates nothing, the optimizer's update included (for up to
//! [`crate::optim::STEP_PAIRS_INLINE`] parameter tensors), except that a
//! step on more threads than any before starts the pool's workers it needs
//! (`tests/step_allocations.rs` counts). Products with an operand full of
//! exact zeros (the images, ReLU outputs, Δ after ReLU′) skip its zero terms
//! ([`crate::gemm::SkipZeros`]): each row's own zeros on the sparse path
//! (x86-64 with AVX2 or AVX-512) when at most 2/3 of the operand is
//! nonzero, else the terms that are zero across a GEMM tile. The same values, the same bits
//! on every kernel and thread count, as long as the parameters are finite.
//! A skipped term is a product with a zero, which is 0 for a finite
//! parameter but NaN for a NaN or ∞ one: a non-finite weight may then leave
//! a logit finite on one path and NaN on another (PyTorch gives NaN on
//! every path). Training stops at the first non-finite loss, before its
//! step; check weights set by hand for NaN and ∞ before relying on the bits.
//!
//! # Determinism of construction
//! [`Mlp::new`] draws from the one `rng` it is given, layer by layer from the
//! input side: first the `out·in` weights of layer 0 (row-major, `Fans::new(in,
//! out)`), then its `out` biases, then layer 1's weights, its biases, and so on.
//! [`BiasInit::Zeros`] draws nothing. The same seed therefore gives the same
//! bits on every target (the initializers are bit-exact).

mod dense;
mod pass;

pub use dense::{BiasInit, Dense};
pub use pass::{Gradients, Workspace};

use alloc::vec::Vec;
use core::fmt;

use rand_core::Rng;

use crate::activation::Activation;
use crate::init::{Init, InitError};

/// Why a network cannot be built.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum MlpError {
    /// Fewer than two sizes (an input and an output) were given.
    TooFewSizes {
        /// Sizes given.
        len: usize,
    },
    /// A layer size is zero.
    ZeroSize {
        /// Position in the size list.
        index: usize,
    },
    /// Layer `layer` takes `found` inputs but the previous layer gives `expected`.
    ShapeMismatch {
        /// Index of the layer.
        layer: usize,
        /// Outputs of the previous layer.
        expected: usize,
        /// Inputs of this layer.
        found: usize,
    },
    /// The initializer refused a layer.
    Init {
        /// Index of the layer.
        layer: usize,
        /// What the initializer reported.
        source: InitError,
    },
    /// A layer's parameters cannot be allocated: its `in · out` weights
    /// exceed `isize::MAX` bytes, the most one allocation may hold, or the
    /// allocator refused them.
    TooLarge {
        /// Index of the layer.
        layer: usize,
    },
    /// The buffers of a [`Workspace`] for batches of `max_batch` rows
    /// cannot be allocated.
    WorkspaceTooLarge {
        /// The batch size asked for.
        max_batch: usize,
    },
    /// The gradients of layer `layer` cannot be allocated
    /// ([`Gradients::try_new`]).
    GradientsTooLarge {
        /// Index of the layer.
        layer: usize,
    },
}

impl fmt::Display for MlpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MlpError::TooFewSizes { len } => write!(
                f,
                "an MLP needs at least an input and an output size, got {len} sizes"
            ),
            MlpError::ZeroSize { index } => write!(f, "layer size {index} is zero"),
            MlpError::ShapeMismatch {
                layer,
                expected,
                found,
            } => write!(
                f,
                "layer {layer} takes {found} inputs but the previous layer gives {expected}"
            ),
            MlpError::Init { layer, source } => {
                write!(f, "cannot initialize layer {layer}: {source}")
            }
            MlpError::TooLarge { layer } => {
                write!(f, "layer {layer}'s parameters cannot be allocated")
            }
            MlpError::WorkspaceTooLarge { max_batch } => write!(
                f,
                "the buffers for batches of {max_batch} cannot be allocated"
            ),
            MlpError::GradientsTooLarge { layer } => {
                write!(f, "the gradients of layer {layer} cannot be allocated")
            }
        }
    }
}

impl core::error::Error for MlpError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            MlpError::Init { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A stack of [`Dense`] layers: `activation` after every hidden layer, linear
/// output (logits).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    layers: Vec<Dense>,
    activation: Activation,
}

impl Mlp {
    /// Builds the network `sizes[0] → sizes[1] → … → sizes[L]`, weights from
    /// `init`, biases from `bias_init`, drawing from `rng` in the order stated
    /// in the module docs.
    ///
    /// # Errors
    /// [`MlpError`] for fewer than two sizes, a zero size, a layer too large
    /// to allocate, or an initializer that refuses a layer.
    ///
    /// # Examples
    /// ```
    /// use deepinit::{activation::Activation, init::Init, mlp::{BiasInit, Mlp}};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(777);
    /// let net = Mlp::new(&[784, 256, 10], Activation::Relu,
    ///     &Init::xavier_uniform(1.0), &BiasInit::Default, &mut rng)?;
    /// assert_eq!(net.sizes(), vec![784, 256, 10]);
    /// assert_eq!(net.layers()[0].weight().rows(), 256); // [out × in]
    /// assert_eq!(net.param_count(), 784 * 256 + 256 + 256 * 10 + 10);
    /// # Ok::<(), deepinit::mlp::MlpError>(())
    /// ```
    pub fn new<R: Rng + ?Sized>(
        sizes: &[usize],
        activation: Activation,
        init: &Init,
        bias_init: &BiasInit,
        rng: &mut R,
    ) -> Result<Self, MlpError> {
        if sizes.len() < 2 {
            return Err(MlpError::TooFewSizes { len: sizes.len() });
        }
        if let Some(index) = sizes.iter().position(|&s| s == 0) {
            return Err(MlpError::ZeroSize { index });
        }
        let max_floats = isize::MAX as usize / core::mem::size_of::<f32>();
        if let Some(layer) = sizes
            .windows(2)
            .position(|p| p[0].checked_mul(p[1]).is_none_or(|n| n > max_floats))
        {
            return Err(MlpError::TooLarge { layer });
        }
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (layer, pair) in sizes.windows(2).enumerate() {
            let mut dense =
                Dense::try_zeros(pair[0], pair[1]).ok_or(MlpError::TooLarge { layer })?;
            dense
                .fill(init, bias_init, rng)
                .map_err(|source| MlpError::Init { layer, source })?;
            layers.push(dense);
        }
        Ok(Self { layers, activation })
    }

    /// Assembles a network from existing layers (e.g. read from a checkpoint).
    ///
    /// # Errors
    /// [`MlpError::TooFewSizes`] for no layers, [`MlpError::ShapeMismatch`] when
    /// a layer's input size differs from the previous layer's output size.
    pub fn from_layers(layers: Vec<Dense>, activation: Activation) -> Result<Self, MlpError> {
        if layers.is_empty() {
            return Err(MlpError::TooFewSizes { len: 0 });
        }
        for (layer, pair) in layers.windows(2).enumerate() {
            if pair[0].fan_out() != pair[1].fan_in() {
                return Err(MlpError::ShapeMismatch {
                    layer: layer + 1,
                    expected: pair[0].fan_out(),
                    found: pair[1].fan_in(),
                });
            }
        }
        Ok(Self { layers, activation })
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// The layers, mutably (shapes are fixed; values may change).
    pub fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }

    /// The hidden-layer nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// `[in, hidden…, out]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = Vec::with_capacity(self.layers.len() + 1);
        s.push(self.input_size());
        s.extend(self.layers.iter().map(Dense::fan_out));
        s
    }

    /// Inputs per sample.
    pub fn input_size(&self) -> usize {
        self.layers[0].fan_in()
    }

    /// Outputs (classes) per sample.
    pub fn output_size(&self) -> usize {
        self.layers[self.layers.len() - 1].fan_out()
    }

    /// Total number of parameters (weights and biases).
    pub fn param_count(&self) -> usize {
        self.params().map(<[f32]>::len).sum()
    }

    /// The parameter tensors in checkpoint order: `layers.0.weight` (row-major
    /// `[out × in]`), `layers.0.bias`, `layers.1.weight`, … Tensor `2l` is the
    /// weight and `2l + 1` the bias of layer `l`; optimizers index their state
    /// the same way.
    pub fn params(&self) -> impl Iterator<Item = &[f32]> {
        self.layers
            .iter()
            .flat_map(|d| [d.weight().as_slice(), d.bias()])
    }

    /// Lengths of the tensors of [`Mlp::params`], to size an optimizer.
    pub fn param_lens(&self) -> Vec<usize> {
        self.params().map(<[f32]>::len).collect()
    }

    /// Each parameter tensor, mutably, paired with its gradient in `grads`, in
    /// the order of [`Mlp::params`] — what [`crate::optim::Optimizer::step`] takes.
    ///
    /// # Panics
    /// If `grads` was made for a network of another shape.
    pub fn params_and_grads<'a>(
        &'a mut self,
        grads: &'a Gradients,
    ) -> impl Iterator<Item = (&'a mut [f32], &'a [f32])> {
        assert!(grads.fits(self), "gradients of another network shape");
        self.layers
            .iter_mut()
            .zip(grads.layers())
            .flat_map(|(p, g)| {
                let (w, b) = p.params_mut();
                [(w, g.weight().as_slice()), (b, g.bias())]
            })
    }
}
