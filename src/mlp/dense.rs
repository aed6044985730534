//! One fully connected layer `y = x·Wᵀ + b`, `W` stored `[out × in]` as in
//! PyTorch's `nn.Linear`, and how its bias is initialized.
//!
//! PyTorch's default bias (`nn.Linear.reset_parameters`) is
//! `U(−1/√fan_in, 1/√fan_in)`.

use alloc::vec;
use alloc::vec::Vec;

use rand_core::Rng;

use crate::init::{Fans, Init, InitError};
use crate::matrix::{Matrix, try_zeroed};

/// How a layer's bias starts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum BiasInit {
    /// PyTorch's `nn.Linear` default: `U(−1/√fan_in, 1/√fan_in)`.
    Default,
    /// All zeros (draws nothing from the rng).
    Zeros,
    /// Any initializer, called with `Fans::new(fan_in, fan_out)` of the layer.
    Init(Init),
}

/// A fully connected layer: `weight` is `[out × in]`, `bias` has `out` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    weight: Matrix,
    bias: Vec<f32>,
}

impl Dense {
    /// A `fan_in → fan_out` layer: fills the weights from `init`, then the
    /// biases from `bias_init`, both drawing from `rng` in that order.
    ///
    /// # Errors
    /// What the initializer reports (e.g. a zero fan).
    ///
    /// # Panics
    /// As [`Dense::zeros`]. [`crate::mlp::Mlp::new`] reports a layer too large
    /// for memory as [`crate::mlp::MlpError::TooLarge`] instead.
    ///
    /// # Examples
    /// ```
    /// use deepinit::{init::Init, mlp::{BiasInit, Dense}};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    /// let d = Dense::new(4, 3, &Init::constant(0.5), &BiasInit::Zeros, &mut rng)?;
    /// assert_eq!((d.weight().rows(), d.weight().cols()), (3, 4));
    /// assert_eq!(d.bias(), &[0.0; 3]);
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub fn new<R: Rng + ?Sized>(
        fan_in: usize,
        fan_out: usize,
        init: &Init,
        bias_init: &BiasInit,
        rng: &mut R,
    ) -> Result<Self, InitError> {
        let mut layer = Self::zeros(fan_in, fan_out);
        layer.fill(init, bias_init, rng)?;
        Ok(layer)
    }

    /// Fills the weights from `init`, then the biases from `bias_init`.
    pub(super) fn fill<R: Rng + ?Sized>(
        &mut self,
        init: &Init,
        bias_init: &BiasInit,
        rng: &mut R,
    ) -> Result<(), InitError> {
        let fans = Fans::new(self.fan_in(), self.fan_out());
        init.fill(self.weight.as_mut_slice(), fans, rng)?;
        match bias_init {
            BiasInit::Zeros => self.bias.fill(0.0),
            BiasInit::Default => {
                // As PyTorch: the bound is computed in double precision.
                let bound = (1.0 / libm::sqrt(self.fan_in() as f64)) as f32;
                Init::uniform(-bound, bound).fill(&mut self.bias, fans, rng)?;
            }
            BiasInit::Init(b) => b.fill(&mut self.bias, fans, rng)?,
        }
        Ok(())
    }

    /// A layer from its parameters.
    ///
    /// # Panics
    /// If `bias.len() != weight.rows()`.
    pub fn from_parts(weight: Matrix, bias: Vec<f32>) -> Self {
        assert_eq!(
            bias.len(),
            weight.rows(),
            "a [out × in] weight needs `out` biases"
        );
        Self { weight, bias }
    }

    /// A layer of zeros (the shape of a gradient).
    ///
    /// # Panics
    /// If `fan_in·fan_out` overflows `usize`; an allocation the allocator
    /// refuses aborts, as `vec!` does ([`crate::mlp::Mlp::new`] reports
    /// both as errors).
    pub fn zeros(fan_in: usize, fan_out: usize) -> Self {
        Self {
            weight: Matrix::zeros(fan_out, fan_in),
            bias: vec![0.0; fan_out],
        }
    }

    /// A layer of zeros, or `None` if its parameters cannot be allocated.
    pub(super) fn try_zeros(fan_in: usize, fan_out: usize) -> Option<Self> {
        Some(Self {
            weight: Matrix::try_zeros(fan_out, fan_in).ok()?,
            bias: try_zeroed(fan_out)?,
        })
    }

    /// Inputs of the layer (`weight.cols()`).
    pub fn fan_in(&self) -> usize {
        self.weight.cols()
    }

    /// Outputs of the layer (`weight.rows()`).
    pub fn fan_out(&self) -> usize {
        self.weight.rows()
    }

    /// The `[out × in]` weight.
    pub fn weight(&self) -> &Matrix {
        &self.weight
    }

    /// The `out` biases.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// Weight entries (row-major) and biases, mutably, at once.
    pub fn params_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        (self.weight.as_mut_slice(), &mut self.bias)
    }
}
