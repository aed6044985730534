//! Optimizer steps against PyTorch 2.15 (`torch.optim.Adam` / `torch.optim.SGD`
//! on CPU, float32): nine parameters (one 8-lane SIMD chunk and a scalar tail),
//! three steps with fixed gradients. The expected values were printed by PyTorch
//! with this script (`p`, `gs` below; `o.step()` after setting `p.grad`):
//!
//! ```text
//! p = torch.tensor(P0, requires_grad=True); o = torch.optim.Adam([p], lr=0.01)
//! for g in GRADS: o.zero_grad(); p.grad = torch.tensor(g); o.step(); print(p)
//! ```

#![cfg(feature = "alloc")]

use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig, SgdConfig};

const P0: [f32; 9] = [0.5, -1.25, 2.0, 0.0, 3.0, -0.1, 0.7, 1.1, -2.2];
const GRADS: [[f32; 9]; 3] = [
    [0.1, -0.2, 0.3, 1.0, -1.5, 0.05, 0.0, 2.0, -0.7],
    [-0.3, 0.25, 0.1, -1.0, 0.5, 0.02, 0.4, -2.0, 0.9],
    [0.2, 0.2, -0.6, 0.3, 0.3, -0.04, -0.1, 1.0, 0.05],
];

/// Runs three steps and checks step `t` against PyTorch within
/// `t · ε_f32 · (|want| + 0.1)`: PyTorch's CPU kernels contract `p + (−lr)·g`
/// into one FMA, which differs from two roundings by about an ulp per step,
/// and those differences carry over to later steps. A wrong formula (e.g. a
/// missing bias correction or dampening) is off by 10⁻⁴ or more.
fn check(config: OptimizerConfig, expected: [[f64; 9]; 3]) {
    let mut opt = Optimizer::new(config, &[9]).unwrap();
    let mut p = P0;
    for (t, (g, want)) in GRADS.iter().zip(expected).enumerate() {
        opt.step([(&mut p[..], &g[..])]);
        for (i, (&got, &want)) in p.iter().zip(&want).enumerate() {
            let want = want as f32; // PyTorch printed its f32 values exactly
            let tol = (t + 1) as f32 * f32::EPSILON * (want.abs() + 0.1);
            assert!(
                (got - want).abs() <= tol,
                "step {} param {i}: got {got:e}, PyTorch {want:e}",
                t + 1
            );
        }
    }
    assert_eq!(opt.steps(), 3);
}

#[test]
fn adam_defaults_match_pytorch() {
    check(OptimizerConfig::Adam(AdamConfig::new(0.01)), ADAM_DEFAULT);
}

#[test]
fn adam_with_weight_decay_and_betas_matches_pytorch() {
    let c = AdamConfig {
        lr: 0.05,
        beta1: 0.8,
        beta2: 0.99,
        weight_decay: 0.1,
        ..AdamConfig::new(0.05)
    };
    check(OptimizerConfig::Adam(c), ADAM_WD);
}

#[test]
fn plain_sgd_matches_pytorch() {
    check(OptimizerConfig::Sgd(SgdConfig::new(0.1)), SGD);
}

#[test]
fn sgd_momentum_matches_pytorch() {
    let c = SgdConfig {
        momentum: 0.9,
        ..SgdConfig::new(0.1)
    };
    check(OptimizerConfig::Sgd(c), SGD_MOMENTUM);
}

#[test]
fn sgd_nesterov_with_weight_decay_matches_pytorch() {
    let c = SgdConfig {
        momentum: 0.9,
        nesterov: true,
        weight_decay: 0.01,
        ..SgdConfig::new(0.1)
    };
    check(OptimizerConfig::Sgd(c), SGD_NESTEROV);
}

const ADAM_DEFAULT: [[f64; 9]; 3] = [
    [
        0.49000000953674316,
        -1.2400000095367432,
        1.9900000095367432,
        -0.009999999776482582,
        3.009999990463257,
        -0.10999999940395355,
        0.699999988079071,
        1.090000033378601,
        -2.190000057220459,
    ],
    [
        0.49494192004203796,
        -1.2416273355484009,
        1.9812893867492676,
        -0.00947368424385786,
        3.0140020847320557,
        -0.11898574978113174,
        0.6925586462020874,
        1.0905263423919678,
        -2.1917624473571777,
    ],
    [
        0.49475404620170593,
        -1.2460801601409912,
        1.983804702758789,
        -0.010402292013168335,
        3.0158495903015137,
        -0.12074853479862213,
        0.6885284185409546,
        1.088779091835022,
        -2.193403720855713,
    ],
];
const ADAM_WD: [[f64; 9]; 3] = [
    [
        0.45000001788139343,
        -1.2000000476837158,
        1.9500000476837158,
        -0.05000000074505806,
        3.049999952316284,
        -0.14999999105930328,
        0.6499999761581421,
        1.0500000715255737,
        -2.1500000953674316,
    ],
    [
        0.4679040312767029,
        -1.1853837966918945,
        1.9029136896133423,
        -0.044319845736026764,
        3.05421781539917,
        -0.18614494800567627,
        0.6065798401832581,
        1.052868127822876,
        -2.148252248764038,
    ],
    [
        0.45513448119163513,
        -1.1831493377685547,
        1.8956003189086914,
        -0.04755135253071785,
        3.043287515640259,
        -0.1716952621936798,
        0.578186571598053,
        1.0418914556503296,
        -2.141934633255005,
    ],
];
const SGD: [[f64; 9]; 3] = [
    [
        0.49000000953674316,
        -1.2300000190734863,
        1.9700000286102295,
        -0.10000000149011612,
        3.1500000953674316,
        -0.10500000417232513,
        0.699999988079071,
        0.9000000357627869,
        -2.130000114440918,
    ],
    [
        0.5200000405311584,
        -1.2549999952316284,
        1.9600000381469727,
        0.0,
        3.1000001430511475,
        -0.10700000077486038,
        0.6599999666213989,
        1.100000023841858,
        -2.2200000286102295,
    ],
    [
        0.5000000596046448,
        -1.274999976158142,
        2.0199999809265137,
        -0.030000001192092896,
        3.070000171661377,
        -0.10300000011920929,
        0.6699999570846558,
        1.0,
        -2.2250001430511475,
    ],
];
const SGD_MOMENTUM: [[f64; 9]; 3] = [
    [
        0.49000000953674316,
        -1.2300000190734863,
        1.9700000286102295,
        -0.10000000149011612,
        3.1500000953674316,
        -0.10500000417232513,
        0.699999988079071,
        0.9000000357627869,
        -2.130000114440918,
    ],
    [
        0.5110000371932983,
        -1.2369999885559082,
        1.9329999685287476,
        -0.08999999612569809,
        3.2350001335144043,
        -0.11150000244379044,
        0.6599999666213989,
        0.9200000166893005,
        -2.1570000648498535,
    ],
    [
        0.5099000334739685,
        -1.2632999420166016,
        1.9596999883651733,
        -0.11099999397993088,
        3.2815001010894775,
        -0.11335000395774841,
        0.6339999437332153,
        0.8379999995231628,
        -2.186300039291382,
    ],
];
const SGD_NESTEROV: [[f64; 9]; 3] = [
    [
        0.4800499975681305,
        -1.209625005722046,
        1.9392000436782837,
        -0.1899999976158142,
        3.2792999744415283,
        -0.10931000113487244,
        0.698669970035553,
        0.7179100513458252,
        -2.0628199577331543,
    ],
    [
        0.5276328921318054,
        -1.2376142740249634,
        1.890595555305481,
        -0.08063900470733643,
        3.2971394062042236,
        -0.11687131226062775,
        0.6207755208015442,
        0.9336550235748291,
        -2.1714186668395996,
    ],
    [
        0.504887044429779,
        -1.2770417928695679,
        1.9680047035217285,
        -0.12923189997673035,
        3.297881603240967,
        -0.11415281891822815,
        0.6051198244094849,
        0.7566976547241211,
        -2.1953883171081543,
    ],
];
