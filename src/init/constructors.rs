//! The constructors of [`Init`], one per initializer of PyTorch's
//! `torch.nn.init` and Keras' `keras.initializers` (formulas in each doc).

use super::params::Kind;
use super::{Distribution, FanMode, Init, Nonlinearity};

impl Init {
    const fn of(kind: Kind) -> Init {
        Init { kind }
    }

    /// Every weight = `value` (PyTorch `constant_`). Breaks nothing and learns
    /// nothing: all hidden units stay identical (see the module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [1.0f32; 4];
    /// Init::constant(0.5).fill(&mut w, Fans::new(2, 2), &mut rng)?;
    /// assert_eq!(w, [0.5; 4]);
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn constant(value: f32) -> Init {
        Init::of(Kind::Constant(value))
    }

    /// Every weight = 0 (PyTorch `zeros_`): the worst start of all.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deepinit::init::Init::zeros(), deepinit::init::Init::constant(0.0));
    /// ```
    pub const fn zeros() -> Init {
        Init::constant(0.0)
    }

    /// U(low, high) (PyTorch `uniform_`): x = low + (high − low)·u, u ∈ [0, 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [0.0f32; 100];
    /// Init::uniform(-0.1, 0.1).fill(&mut w, Fans::new(10, 10), &mut rng)?;
    /// assert!(w.iter().all(|v| (-0.1..=0.1).contains(v)));
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn uniform(low: f32, high: f32) -> Init {
        Init::of(Kind::Uniform { low, high })
    }

    /// N(mean, std²) (PyTorch `normal_`).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [0.0f32; 100];
    /// Init::normal(0.0, 0.01).fill(&mut w, Fans::new(10, 10), &mut rng)?;
    /// assert!(w.iter().all(|v| v.abs() < 0.1));
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn normal(mean: f32, std: f32) -> Init {
        Init::of(Kind::Normal { mean, std })
    }

    /// N(mean, std²) conditioned on the absolute bounds [low, high] (PyTorch
    /// `trunc_normal_`), sampled exactly (Robert 1995).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [0.0f32; 100];
    /// // A far tail: [8σ, 9σ] is sampled fast, not refused.
    /// Init::truncated_normal(0.0, 1.0, 8.0, 9.0).fill(&mut w, Fans::new(10, 10), &mut rng)?;
    /// assert!(w.iter().all(|v| (8.0..=9.0).contains(v)));
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn truncated_normal(mean: f32, std: f32, low: f32, high: f32) -> Init {
        Init::of(Kind::TruncatedNormal {
            mean,
            std,
            low,
            high,
        })
    }

    /// Keras `VarianceScaling(scale, mode, distribution)`: variance
    /// s = scale / max(1, fan); U(±√(3s)), N(0, s), or N(0, σ²) truncated to
    /// ±2σ with σ = √s / 0.87962566103423978.
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Distribution, FanMode, Fans, Init, Params};
    /// let init = Init::variance_scaling(2.0, FanMode::In, Distribution::Normal);
    /// let p = init.params(Fans::new(8, 3))?;
    /// assert_eq!(p, Params::Normal { mean: 0.0, std: 0.5 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn variance_scaling(scale: f32, mode: FanMode, dist: Distribution) -> Init {
        Init::of(Kind::VarianceScaling { scale, mode, dist })
    }

    /// Glorot & Bengio (2010), PyTorch `xavier_uniform_`: U(−a, a) with
    /// a = √3·gain·√(2/(fan_in + fan_out)) = gain·√(6/(fan_in + fan_out)).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init, Params};
    /// let p = Init::xavier_uniform(1.0).params(Fans::new(3, 3))?;
    /// assert_eq!(p, Params::Uniform { low: -1.0, high: 1.0 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn xavier_uniform(gain: f32) -> Init {
        Init::of(Kind::Xavier {
            gain,
            dist: Distribution::Uniform,
        })
    }

    /// Glorot & Bengio (2010), PyTorch `xavier_normal_`:
    /// N(0, std²) with std = gain·√(2/(fan_in + fan_out)).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init, Params};
    /// let p = Init::xavier_normal(1.0).params(Fans::new(1, 1))?;
    /// assert_eq!(p, Params::Normal { mean: 0.0, std: 1.0 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn xavier_normal(gain: f32) -> Init {
        Init::of(Kind::Xavier {
            gain,
            dist: Distribution::Normal,
        })
    }

    /// He et al. (2015), PyTorch `kaiming_uniform_`: U(−b, b) with
    /// b = √3·gain(nl)/√fan.
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{FanMode, Fans, Init, Nonlinearity, Params};
    /// let init = Init::kaiming_uniform(Nonlinearity::Linear, FanMode::Out);
    /// let p = init.params(Fans::new(5, 3))?;
    /// assert_eq!(p, Params::Uniform { low: -1.0, high: 1.0 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn kaiming_uniform(nl: Nonlinearity, mode: FanMode) -> Init {
        Init::of(Kind::Kaiming {
            nl,
            mode,
            dist: Distribution::Uniform,
        })
    }

    /// He et al. (2015), PyTorch `kaiming_normal_`: N(0, std²) with
    /// std = gain(nl)/√fan.
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{FanMode, Fans, Init, Nonlinearity, Params};
    /// let init = Init::kaiming_normal(Nonlinearity::Linear, FanMode::In);
    /// assert_eq!(init.params(Fans::new(4, 9))?, Params::Normal { mean: 0.0, std: 0.5 });
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn kaiming_normal(nl: Nonlinearity, mode: FanMode) -> Init {
        Init::of(Kind::Kaiming {
            nl,
            mode,
            dist: Distribution::Normal,
        })
    }

    /// He uniform: [`Init::kaiming_uniform`] for ReLU and fan_in,
    /// U(±√(6/fan_in)).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{FanMode, Init, Nonlinearity};
    /// assert_eq!(Init::he_uniform(), Init::kaiming_uniform(Nonlinearity::Relu, FanMode::In));
    /// ```
    pub const fn he_uniform() -> Init {
        Init::kaiming_uniform(Nonlinearity::Relu, FanMode::In)
    }

    /// He normal: [`Init::kaiming_normal`] for ReLU and fan_in, N(0, 2/fan_in)
    /// (PyTorch's default arguments; Keras' `HeNormal` truncates instead).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{FanMode, Init, Nonlinearity};
    /// assert_eq!(Init::he_normal(), Init::kaiming_normal(Nonlinearity::Relu, FanMode::In));
    /// ```
    pub const fn he_normal() -> Init {
        Init::kaiming_normal(Nonlinearity::Relu, FanMode::In)
    }

    /// LeCun uniform (Keras `LecunUniform`): variance scaling with scale 1,
    /// fan_in, uniform: U(±√(3/fan_in)).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Distribution, FanMode, Init};
    /// let same = Init::variance_scaling(1.0, FanMode::In, Distribution::Uniform);
    /// assert_eq!(Init::lecun_uniform(), same);
    /// ```
    pub const fn lecun_uniform() -> Init {
        Init::variance_scaling(1.0, FanMode::In, Distribution::Uniform)
    }

    /// LeCun normal (Keras `LecunNormal`): variance scaling with scale 1,
    /// fan_in, truncated normal (variance 1/fan_in after truncation at ±2σ).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Distribution, FanMode, Init};
    /// let same = Init::variance_scaling(1.0, FanMode::In, Distribution::TruncatedNormal);
    /// assert_eq!(Init::lecun_normal(), same);
    /// ```
    pub const fn lecun_normal() -> Init {
        Init::variance_scaling(1.0, FanMode::In, Distribution::TruncatedNormal)
    }

    /// The identity matrix [fan_out × fan_in] (PyTorch `eye_`).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [9.0f32; 6];
    /// Init::eye().fill(&mut w, Fans::new(3, 2), &mut rng)?;
    /// assert_eq!(w, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn eye() -> Init {
        Init::of(Kind::Eye)
    }

    /// Sparse N(0, std²) [fan_out × fan_in] with ⌈sparsity·fan_out⌉ zeros in
    /// every column (PyTorch `sparse_`, Martens 2010).
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [0.0f32; 40];
    /// Init::sparse(0.5, 0.01).fill(&mut w, Fans::new(4, 10), &mut rng)?;
    /// for c in 0..4 {
    ///     assert!((0..10).filter(|r| w[r * 4 + c] == 0.0).count() >= 5);
    /// }
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    pub const fn sparse(sparsity: f32, std: f32) -> Init {
        Init::of(Kind::Sparse { sparsity, std })
    }

    /// gain · a (semi-)orthogonal matrix [fan_out × fan_in] (PyTorch
    /// `orthogonal_`, Saxe et al. 2014): WᵀW = gain²·I if fan_out ≥ fan_in,
    /// else WWᵀ = gain²·I. Needs the `alloc` feature (its QR factorization
    /// allocates); the other initializers are in the `no_std` core.
    ///
    /// # Examples
    ///
    /// ```
    /// use deepinit::init::{Fans, Init};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let mut w = [0.0f32; 4];
    /// Init::orthogonal(1.0).fill(&mut w, Fans::new(2, 2), &mut rng)?;
    /// let dot = w[0] * w[1] + w[2] * w[3]; // columns are orthonormal
    /// assert!(dot.abs() < 1e-6 && (w[0] * w[0] + w[2] * w[2] - 1.0).abs() < 1e-6);
    /// # Ok::<(), deepinit::init::InitError>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub const fn orthogonal(gain: f32) -> Init {
        Init::of(Kind::Orthogonal { gain })
    }
}
