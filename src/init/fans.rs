//! Fans: the number of inputs (fan_in) and outputs (fan_out) of a unit, which
//! set the scale of the variance-preserving initializers.
//!
//! PyTorch (`torch.nn.init._calculate_fan_in_and_fan_out`), weight shape
//! [out, in, k₁, k₂, …]: receptive = k₁·k₂·…, fan_in = in·receptive,
//! fan_out = out·receptive.
//!
//! Keras (`keras.initializers._compute_fans`), kernel shape (k₁, …, in, out):
//! receptive = k₁·…, fan_in = in·receptive, fan_out = out·receptive; a scalar
//! shape () gives (1, 1) and a vector (n) gives (n, n).

use super::InitError;

/// The fans of a layer: fan_in inputs and fan_out outputs per unit.
///
/// For a dense layer with weight [out × in] (PyTorch layout) fan_in = in and
/// fan_out = out.
///
/// # Examples
///
/// ```
/// use deepinit::init::Fans;
/// let conv = Fans::from_pytorch_shape(&[64, 3, 3, 3]).unwrap();
/// assert_eq!(conv, Fans::new(27, 576));
/// let dense = Fans::from_keras_shape(&[784, 256]).unwrap();
/// assert_eq!(dense, Fans::new(784, 256));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fans {
    /// Number of inputs of a unit.
    pub fan_in: usize,
    /// Number of outputs of a unit.
    pub fan_out: usize,
}

/// Which fan a variance-scaling initializer divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FanMode {
    /// fan = fan_in: preserves the variance of the activations in the forward pass.
    In,
    /// fan = fan_out: preserves the variance of the gradients in the backward pass.
    Out,
    /// fan = (fan_in + fan_out)/2 (Glorot & Bengio's compromise, Keras `fan_avg`).
    Avg,
    /// fan = √(fan_in · fan_out) (JAX `fan_geo_avg`).
    GeoAvg,
}

impl Fans {
    /// Fans of a layer with `fan_in` inputs and `fan_out` outputs.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = deepinit::init::Fans::new(784, 256);
    /// assert_eq!((f.fan_in, f.fan_out), (784, 256));
    /// ```
    pub const fn new(fan_in: usize, fan_out: usize) -> Fans {
        Fans { fan_in, fan_out }
    }

    /// Fans of a PyTorch weight of shape [out, in, k₁, …]: fan_in = in·Πk,
    /// fan_out = out·Πk.
    ///
    /// # Errors
    ///
    /// [`InitError::ShapeTooShort`] for fewer than 2 dimensions (as PyTorch),
    /// [`InitError::ZeroFan`] if a dimension is zero, [`InitError::Overflow`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::Fans;
    /// assert_eq!(Fans::from_pytorch_shape(&[256, 784]), Ok(Fans::new(784, 256)));
    /// assert!(Fans::from_pytorch_shape(&[10]).is_err());
    /// ```
    pub fn from_pytorch_shape(shape: &[usize]) -> Result<Fans, InitError> {
        let [out, inp, kernel @ ..] = shape else {
            return Err(InitError::ShapeTooShort {
                dims: shape.len(),
                min: 2,
            });
        };
        Self::checked(*inp, *out, product(kernel)?)
    }

    /// Fans of a Keras kernel of shape (k₁, …, in, out): fan_in = in·Πk,
    /// fan_out = out·Πk; a scalar shape () gives (1, 1), a vector (n) gives (n, n).
    ///
    /// # Errors
    ///
    /// [`InitError::ZeroFan`] if a dimension is zero, [`InitError::Overflow`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::Fans;
    /// assert_eq!(Fans::from_keras_shape(&[3, 3, 16, 32]), Ok(Fans::new(144, 288)));
    /// assert_eq!(Fans::from_keras_shape(&[]), Ok(Fans::new(1, 1)));
    /// ```
    pub fn from_keras_shape(shape: &[usize]) -> Result<Fans, InitError> {
        match shape {
            [] => Ok(Fans::new(1, 1)),
            [n] => Self::checked(*n, *n, 1),
            [kernel @ .., inp, out] => Self::checked(*inp, *out, product(kernel)?),
        }
    }

    /// The fan a [`FanMode`] selects, in f64: fan_in, fan_out, (fan_in + fan_out)/2
    /// or √(fan_in · fan_out).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{FanMode, Fans};
    /// assert_eq!(Fans::new(2, 8).fan(FanMode::Avg), 5.0);
    /// assert_eq!(Fans::new(2, 8).fan(FanMode::GeoAvg), 4.0);
    /// ```
    pub fn fan(self, mode: FanMode) -> f64 {
        let (fan_in, fan_out) = (self.fan_in as f64, self.fan_out as f64);
        match mode {
            FanMode::In => fan_in,
            FanMode::Out => fan_out,
            FanMode::Avg => (fan_in + fan_out) / 2.0,
            FanMode::GeoAvg => libm::sqrt(fan_in * fan_out),
        }
    }

    /// fan_in · fan_out, the length of a row-major [fan_out × fan_in] matrix.
    pub(crate) fn matrix_len(self) -> Result<usize, InitError> {
        self.fan_in
            .checked_mul(self.fan_out)
            .ok_or(InitError::Overflow)
    }

    fn checked(fan_in: usize, fan_out: usize, receptive: usize) -> Result<Fans, InitError> {
        let fans = Fans::new(
            fan_in.checked_mul(receptive).ok_or(InitError::Overflow)?,
            fan_out.checked_mul(receptive).ok_or(InitError::Overflow)?,
        );
        fans.nonzero("fans")
    }

    /// `Ok(self)` when both fans are positive, else [`InitError::ZeroFan`].
    pub(crate) fn nonzero(self, init: &'static str) -> Result<Fans, InitError> {
        if self.fan_in == 0 || self.fan_out == 0 {
            return Err(InitError::ZeroFan {
                init,
                fan_in: self.fan_in,
                fan_out: self.fan_out,
            });
        }
        Ok(self)
    }
}

fn product(dims: &[usize]) -> Result<usize, InitError> {
    dims.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d).ok_or(InitError::Overflow)
    })
}
