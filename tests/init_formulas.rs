//! The parameters every initializer resolves to, against values computed by
//! hand (in f64, as Python does) from the PyTorch and Keras formulas:
//!
//! ```text
//! PyTorch xavier_uniform_  a = √3 · gain·√(2/(fan_in + fan_out))
//! PyTorch xavier_normal_   std = gain·√(2/(fan_in + fan_out))
//! PyTorch kaiming_uniform_ b = √3 · gain/√fan        kaiming_normal_ std = gain/√fan
//! Keras VarianceScaling    s = scale/max(1, fan): uniform ±√(3s), normal √s,
//!                          truncated σ = √s/0.87962566103423978 on ±2σ
//! ```
//!
//! The literals below were evaluated with Python's `math` module (the code
//! path of PyTorch and Keras) and must equal ours once rounded to f32.

use deepinit::init::{Distribution, FanMode, Fans, Init, Nonlinearity, Params, gain};

const DENSE: Fans = Fans::new(784, 256);

fn uniform(bound: f64) -> Params {
    let b = bound as f32;
    Params::Uniform { low: -b, high: b }
}

fn normal(std: f64) -> Params {
    Params::Normal {
        mean: 0.0,
        std: std as f32,
    }
}

fn truncated(sigma: f64) -> Params {
    let s = sigma as f32;
    Params::TruncatedNormal {
        mean: 0.0,
        std: s,
        low: -2.0 * s,
        high: 2.0 * s,
    }
}

#[test]
fn pytorch_and_keras_table() {
    let cases: &[(&str, Init, Fans, Params)] = &[
        (
            "xavier_uniform",
            Init::xavier_uniform(1.0),
            DENSE,
            uniform(0.07595545253127499),
        ),
        (
            "xavier_normal tanh",
            Init::xavier_normal(gain(Nonlinearity::Tanh)),
            DENSE,
            normal(0.07308816827558577),
        ),
        (
            "he_uniform",
            Init::he_uniform(),
            DENSE,
            uniform(0.08748177652797065),
        ),
        (
            "kaiming_normal relu out",
            Init::kaiming_normal(Nonlinearity::Relu, FanMode::Out),
            DENSE,
            normal(0.08838834764831845),
        ),
        (
            "kaiming_normal selu in",
            Init::kaiming_normal(Nonlinearity::Selu, FanMode::In),
            Fans::new(300, 5),
            normal(0.043301270189221926),
        ),
        (
            "variance_scaling 2 avg truncated",
            Init::variance_scaling(2.0, FanMode::Avg, Distribution::TruncatedNormal),
            DENSE,
            truncated(0.07050427248982925),
        ),
        (
            "variance_scaling 1 geo_avg uniform",
            Init::variance_scaling(1.0, FanMode::GeoAvg, Distribution::Uniform),
            DENSE,
            uniform(0.08183170883849714),
        ),
        (
            "variance_scaling 0.5 out normal",
            Init::variance_scaling(0.5, FanMode::Out, Distribution::Normal),
            DENSE,
            normal(0.04419417382415922),
        ),
        (
            "lecun_uniform",
            Init::lecun_uniform(),
            DENSE,
            uniform(0.06185895741317419),
        ),
        (
            "lecun_normal",
            Init::lecun_normal(),
            DENSE,
            truncated(0.040601686940662726),
        ),
        // Hand-checkable cases: √(6/6) = 1, √3·1/√3 = 1, √(2/8)·2 = 1.
        (
            "xavier_uniform 3+3",
            Init::xavier_uniform(1.0),
            Fans::new(3, 3),
            uniform(1.0),
        ),
        (
            "he_normal fan_in 2",
            Init::he_normal(),
            Fans::new(2, 1),
            normal(1.0),
        ),
        (
            "kaiming_uniform linear fan 3",
            Init::kaiming_uniform(Nonlinearity::Linear, FanMode::In),
            Fans::new(3, 7),
            uniform(1.0),
        ),
        (
            "xavier_normal gain 2",
            Init::xavier_normal(2.0),
            Fans::new(4, 4),
            normal(1.0),
        ),
        // fan_in = 1: variance 4, std 2. (Keras's max(1, fan) never binds
        // here: fans are whole and nonzero.)
        (
            "variance_scaling 4 in normal",
            Init::variance_scaling(4.0, FanMode::In, Distribution::Normal),
            Fans::new(1, 9),
            normal(2.0),
        ),
        (
            "constant",
            Init::constant(0.5),
            DENSE,
            Params::Constant(0.5),
        ),
        (
            "uniform",
            Init::uniform(-1.0, 3.0),
            DENSE,
            Params::Uniform {
                low: -1.0,
                high: 3.0,
            },
        ),
        (
            "normal",
            Init::normal(1.0, 0.5),
            DENSE,
            Params::Normal {
                mean: 1.0,
                std: 0.5,
            },
        ),
        (
            "truncated_normal",
            Init::truncated_normal(0.0, 1.0, -2.0, 2.0),
            DENSE,
            Params::TruncatedNormal {
                mean: 0.0,
                std: 1.0,
                low: -2.0,
                high: 2.0,
            },
        ),
        ("eye", Init::eye(), DENSE, Params::Eye),
        (
            "sparse",
            Init::sparse(0.1, 0.01),
            DENSE,
            Params::Sparse {
                sparsity: 0.1,
                std: 0.01,
            },
        ),
    ];
    for (name, init, fans, want) in cases {
        assert_eq!(init.params(*fans).unwrap(), *want, "{name}");
    }
}

#[test]
fn leaky_relu_gain_and_kaiming_bound() {
    // The slope 0.2 is an f32 (0.2000000030), PyTorch's a Python float: the
    // results agree to 1 ulp of f32.
    let want = 0.15012014419226918f64;
    let got = Init::kaiming_uniform(Nonlinearity::LeakyRelu(0.2), FanMode::Out)
        .params(DENSE)
        .unwrap();
    let Params::Uniform { high, .. } = got else {
        panic!("{got:?}")
    };
    assert!(
        (f64::from(high) - want).abs() <= f64::from(f32::EPSILON) * want,
        "{high}"
    );
    let g = gain(Nonlinearity::LeakyRelu(0.01));
    assert!((f64::from(g) - (2.0f64 / 1.0001).sqrt()).abs() < 1e-7);
}

#[test]
fn gain_table() {
    assert_eq!(gain(Nonlinearity::Linear), 1.0);
    assert_eq!(gain(Nonlinearity::Sigmoid), 1.0);
    assert_eq!(gain(Nonlinearity::Tanh), (5.0f64 / 3.0) as f32);
    assert_eq!(gain(Nonlinearity::Relu), 2f64.sqrt() as f32);
    assert_eq!(gain(Nonlinearity::LeakyRelu(0.0)), 2f64.sqrt() as f32);
    assert_eq!(gain(Nonlinearity::LeakyRelu(1.0)), 1.0);
    assert_eq!(gain(Nonlinearity::Selu), 0.75);
}

#[test]
fn he_and_lecun_are_their_general_forms() {
    for fans in [DENSE, Fans::new(3, 5), Fans::new(1, 1)] {
        let p = |i: Init| i.params(fans).unwrap();
        assert_eq!(
            p(Init::he_uniform()),
            p(Init::kaiming_uniform(Nonlinearity::Relu, FanMode::In))
        );
        assert_eq!(
            p(Init::he_normal()),
            p(Init::kaiming_normal(Nonlinearity::Relu, FanMode::In))
        );
        let lecun = Init::variance_scaling(1.0, FanMode::In, Distribution::TruncatedNormal);
        assert_eq!(p(Init::lecun_normal()), p(lecun));
    }
}

#[test]
fn fans_from_shapes() {
    // PyTorch [out, in, k…].
    assert_eq!(
        Fans::from_pytorch_shape(&[256, 784]),
        Ok(Fans::new(784, 256))
    );
    assert_eq!(
        Fans::from_pytorch_shape(&[64, 3, 5, 5]),
        Ok(Fans::new(75, 1600))
    );
    assert_eq!(Fans::from_pytorch_shape(&[8, 4, 3]), Ok(Fans::new(12, 24)));
    // Keras (k…, in, out).
    assert_eq!(Fans::from_keras_shape(&[784, 256]), Ok(Fans::new(784, 256)));
    assert_eq!(
        Fans::from_keras_shape(&[5, 5, 3, 64]),
        Ok(Fans::new(75, 1600))
    );
    assert_eq!(Fans::from_keras_shape(&[7]), Ok(Fans::new(7, 7)));
    assert_eq!(Fans::from_keras_shape(&[]), Ok(Fans::new(1, 1)));
    // Both conventions agree on the same convolution.
    assert_eq!(
        Fans::from_pytorch_shape(&[32, 16, 3, 3]),
        Fans::from_keras_shape(&[3, 3, 16, 32])
    );
}

#[test]
fn fan_modes() {
    let f = Fans::new(784, 256);
    assert_eq!(f.fan(FanMode::In), 784.0);
    assert_eq!(f.fan(FanMode::Out), 256.0);
    assert_eq!(f.fan(FanMode::Avg), 520.0);
    assert_eq!(f.fan(FanMode::GeoAvg), 448.0); // √(784·256) = 28·16
}
