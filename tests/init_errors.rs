//! Every bad input gives its typed `InitError` (never a panic or an endless
//! loop), leaves the buffer untouched, and has a message that says what and
//! where.

use deepinit::init::{Distribution, FanMode, Fans, Init, InitError, Nonlinearity};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn fill(init: Init, fans: Fans, len: usize) -> Result<(), InitError> {
    let mut out = vec![7.0f32; len];
    let result = init.fill(&mut out, fans, &mut Xoshiro256PlusPlus::seed_from_u64(1));
    if result.is_err() {
        assert!(
            out.iter().all(|&v| v == 7.0),
            "{init:?} wrote into the buffer before failing"
        );
    }
    result
}

fn invalid(init: Init, name: &str) {
    match fill(init, Fans::new(4, 4), 16) {
        Err(e @ InitError::InvalidParameter { name: n, .. }) if n == name => {
            assert!(e.to_string().contains(name), "{e}");
        }
        other => panic!("{init:?}: expected InvalidParameter({name}), got {other:?}"),
    }
}

#[test]
fn zero_fans() {
    let fan_users = [
        Init::xavier_uniform(1.0),
        Init::xavier_normal(1.0),
        Init::he_uniform(),
        Init::he_normal(),
        Init::lecun_uniform(),
        Init::lecun_normal(),
        Init::kaiming_normal(Nonlinearity::Tanh, FanMode::Out),
        Init::variance_scaling(1.0, FanMode::Avg, Distribution::Normal),
        Init::eye(),
        Init::sparse(0.5, 1.0),
        #[cfg(feature = "alloc")]
        Init::orthogonal(1.0),
    ];
    for init in fan_users {
        for fans in [Fans::new(0, 4), Fans::new(4, 0), Fans::new(0, 0)] {
            let err = fill(init, fans, 0).unwrap_err();
            assert!(
                matches!(err, InitError::ZeroFan { .. }),
                "{init:?} {fans:?}: {err:?}"
            );
            assert!(err.to_string().contains(init.name()), "{err}");
        }
    }
    // Initializers that do not use the fans accept any.
    assert_eq!(fill(Init::normal(0.0, 1.0), Fans::new(0, 0), 8), Ok(()));
}

#[test]
fn non_finite_or_negative_parameters() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        invalid(Init::constant(bad), "value");
        invalid(Init::normal(bad, 1.0), "mean");
        invalid(Init::normal(0.0, bad), "std");
        invalid(Init::truncated_normal(bad, 1.0, -1.0, 1.0), "mean");
        invalid(Init::truncated_normal(0.0, bad, -1.0, 1.0), "std");
        invalid(
            Init::variance_scaling(bad, FanMode::In, Distribution::Uniform),
            "scale",
        );
        invalid(Init::xavier_uniform(bad), "gain");
        invalid(Init::xavier_normal(bad), "gain");
        invalid(
            Init::kaiming_uniform(Nonlinearity::LeakyRelu(bad), FanMode::In),
            "negative_slope",
        );
        invalid(Init::sparse(0.5, bad), "std");
        invalid(Init::uniform(bad, 1.0), "low");
        invalid(Init::uniform(-1.0, bad), "high");
        #[cfg(feature = "alloc")]
        invalid(Init::orthogonal(bad), "gain");
    }
    invalid(Init::normal(0.0, -1.0), "std");
    invalid(Init::truncated_normal(0.0, -1.0, -1.0, 1.0), "std");
    invalid(Init::truncated_normal(0.0, 0.0, -1.0, 1.0), "std");
    invalid(
        Init::variance_scaling(-1.0, FanMode::In, Distribution::Normal),
        "scale",
    );
    invalid(
        Init::variance_scaling(0.0, FanMode::In, Distribution::Normal),
        "scale",
    );
    invalid(Init::xavier_uniform(-1.0), "gain");
    invalid(Init::sparse(0.5, -0.1), "std");
    invalid(Init::uniform(-f32::MAX, f32::MAX), "high - low");
    // A finite gain whose range ±√3·gain·√(2/(fan_in + fan_out)) is wider
    // than f32 holds (it filled NaN, low + ∞·u); the largest that fits works.
    invalid(Init::xavier_uniform(f32::MAX), "gain");
    let widest = f32::MAX / 3.0f32.sqrt();
    assert_eq!(
        fill(Init::xavier_uniform(widest * 0.999), Fans::new(4, 4), 16),
        Ok(())
    );
    // A zero std is a valid (constant) normal.
    assert_eq!(fill(Init::normal(3.0, 0.0), Fans::new(1, 1), 4), Ok(()));
}

#[test]
fn empty_ranges() {
    for (low, high) in [(1.0, 1.0), (2.0, 1.0), (f32::NAN, 1.0), (0.0, f32::NAN)] {
        let err = fill(
            Init::truncated_normal(0.0, 1.0, low, high),
            Fans::new(1, 1),
            4,
        )
        .unwrap_err();
        assert!(
            matches!(err, InitError::EmptyRange { .. }),
            "{low} {high}: {err:?}"
        );
        if !low.is_nan() && !high.is_nan() {
            let err = fill(Init::uniform(low, high), Fans::new(1, 1), 4).unwrap_err();
            assert!(
                matches!(
                    err,
                    InitError::EmptyRange {
                        init: "uniform",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains("low"), "{err}");
        }
    }
}

#[test]
fn negligible_truncation_mass_is_refused_fast() {
    // [40σ, 41σ] holds ≈ 10⁻³⁴⁹ < f64::MIN_POSITIVE: refused.
    for (low, high) in [(40.0, 41.0), (-41.0, -40.0), (1e30, f32::INFINITY)] {
        let err = fill(
            Init::truncated_normal(0.0, 1.0, low, high),
            Fans::new(1, 1),
            4,
        )
        .unwrap_err();
        assert!(
            matches!(err, InitError::NegligibleMass { .. }),
            "{low} {high}: {err:?}"
        );
        assert!(err.to_string().contains("negligible"), "{err}");
    }
    // [8σ, 9σ] (mass 6·10⁻¹⁶) and [30σ, 31σ] (10⁻¹⁹⁸) are sampled, not refused.
    for (low, high) in [(8.0f32, 9.0f32), (30.0, 31.0), (-31.0, -30.0)] {
        let mut out = vec![0.0f32; 10_000];
        Init::truncated_normal(0.0, 1.0, low, high)
            .fill(
                &mut out,
                Fans::new(1, 1),
                &mut Xoshiro256PlusPlus::seed_from_u64(5),
            )
            .unwrap();
        assert!(out.iter().all(|v| (low..=high).contains(v)));
    }
}

#[test]
fn invalid_sparsity() {
    for s in [-0.1, 1.1, f32::NAN, f32::INFINITY] {
        let err = fill(Init::sparse(s, 1.0), Fans::new(4, 4), 16).unwrap_err();
        assert!(
            matches!(err, InitError::InvalidSparsity { .. }),
            "{s}: {err:?}"
        );
        assert!(err.to_string().contains("sparsity"), "{err}");
    }
}

#[test]
fn length_mismatch_for_matrix_initializers() {
    let matrix_inits = [
        Init::eye(),
        Init::sparse(0.5, 1.0),
        #[cfg(feature = "alloc")]
        Init::orthogonal(1.0),
    ];
    for init in matrix_inits {
        for len in [0, 11, 13, 24] {
            let err = fill(init, Fans::new(4, 3), len).unwrap_err();
            assert_eq!(
                err,
                InitError::LengthMismatch {
                    init: init.name(),
                    expected: 12,
                    actual: len
                }
            );
            assert!(err.to_string().contains("12"), "{err}");
        }
        assert_eq!(fill(init, Fans::new(4, 3), 12), Ok(()));
    }
    // i.i.d. initializers accept any length (e.g. a convolution kernel).
    assert_eq!(fill(Init::he_normal(), Fans::new(4, 3), 37), Ok(()));
}

#[test]
fn overflowing_fans_and_shapes() {
    let huge = Fans::new(usize::MAX, 2);
    assert_eq!(fill(Init::eye(), huge, 4), Err(InitError::Overflow));
    assert_eq!(
        Fans::from_pytorch_shape(&[2, usize::MAX, 2]),
        Err(InitError::Overflow)
    );
    assert_eq!(
        Fans::from_keras_shape(&[usize::MAX, 3, 2, 2]),
        Err(InitError::Overflow)
    );
}

#[test]
fn bad_shapes() {
    for shape in [&[][..], &[5][..]] {
        let err = Fans::from_pytorch_shape(shape).unwrap_err();
        assert_eq!(
            err,
            InitError::ShapeTooShort {
                dims: shape.len(),
                min: 2
            }
        );
        assert!(err.to_string().contains("dimensions"), "{err}");
    }
    for shape in [&[0, 3][..], &[3, 0][..], &[3, 4, 0][..]] {
        assert!(
            matches!(
                Fans::from_pytorch_shape(shape),
                Err(InitError::ZeroFan { .. })
            ),
            "{shape:?}"
        );
    }
    for shape in [&[0][..], &[3, 0][..], &[0, 3, 4][..]] {
        assert!(
            matches!(
                Fans::from_keras_shape(shape),
                Err(InitError::ZeroFan { .. })
            ),
            "{shape:?}"
        );
    }
}

#[test]
fn errors_implement_error() {
    fn is_error<E: core::error::Error>(_: &E) {}
    is_error(&InitError::Overflow);
}
