//! Temporary stand-in for the weight initializers (the `init` branch replaces
//! this file): only the API the MLP needs, U(low, high) from 24 random bits.

use rand_core::Rng;

/// Fan-in and fan-out of a weight tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fans {
    /// Inputs per unit.
    pub fan_in: usize,
    /// Outputs per unit.
    pub fan_out: usize,
}

impl Fans {
    /// Fans from their values.
    pub const fn new(fan_in: usize, fan_out: usize) -> Self {
        Self { fan_in, fan_out }
    }
}

/// Why an initializer cannot fill a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// A fan is zero.
    ZeroFan,
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("zero fan")
    }
}

impl core::error::Error for InitError {}

/// A weight initializer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Every entry `v`.
    Constant(f32),
    /// U(low, high).
    Uniform(f32, f32),
    /// Xavier uniform with this gain.
    XavierUniform(f32),
    /// He uniform (relu, fan_in).
    HeUniform,
}

impl Init {
    /// Every entry `v`.
    pub fn constant(v: f32) -> Init {
        Init::Constant(v)
    }
    /// U(low, high).
    pub fn uniform(low: f32, high: f32) -> Init {
        Init::Uniform(low, high)
    }
    /// Xavier uniform.
    pub fn xavier_uniform(gain: f32) -> Init {
        Init::XavierUniform(gain)
    }
    /// He uniform.
    pub fn he_uniform() -> Init {
        Init::HeUniform
    }

    /// Fills `out`.
    ///
    /// # Errors
    /// [`InitError::ZeroFan`].
    pub fn fill<R: Rng + ?Sized>(
        &self,
        out: &mut [f32],
        fans: Fans,
        rng: &mut R,
    ) -> Result<(), InitError> {
        if fans.fan_in == 0 || fans.fan_out == 0 {
            return Err(InitError::ZeroFan);
        }
        let (lo, hi) = match *self {
            Init::Constant(v) => {
                out.fill(v);
                return Ok(());
            }
            Init::Uniform(l, h) => (l, h),
            Init::XavierUniform(g) => {
                let b = g * libm::sqrtf(6.0 / (fans.fan_in + fans.fan_out) as f32);
                (-b, b)
            }
            Init::HeUniform => {
                let b = libm::sqrtf(6.0 / fans.fan_in as f32);
                (-b, b)
            }
        };
        for v in out {
            let u = (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0);
            *v = lo + (hi - lo) * u;
        }
        Ok(())
    }
}
