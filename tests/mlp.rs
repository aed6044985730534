//! MLP construction (draw order, errors), forward pass against a plain
//! reference, and workspace reuse across batch sizes.

#![cfg(feature = "alloc")]

use deepinit::activation::Activation;
use deepinit::init::{Fans, Init};
use deepinit::mat::MatRef;
use deepinit::matrix::Matrix;
use deepinit::mlp::{BiasInit, Dense, Gradients, Mlp, MlpError, Workspace};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

#[test]
fn draws_weights_then_biases_layer_by_layer() {
    let init = Init::xavier_uniform(1.0);
    let net = Mlp::new(
        &[6, 4, 3],
        Activation::Relu,
        &init,
        &BiasInit::Default,
        &mut rng(9),
    )
    .unwrap();
    let mut r = rng(9);
    let mut expect: Vec<Vec<f32>> = Vec::new();
    for (fan_in, fan_out) in [(6, 4), (4, 3)] {
        let mut w = vec![0.0; fan_in * fan_out];
        init.fill(&mut w, Fans::new(fan_in, fan_out), &mut r)
            .unwrap();
        let bound = (1.0 / (fan_in as f64).sqrt()) as f32;
        let mut b = vec![0.0; fan_out];
        Init::uniform(-bound, bound)
            .fill(&mut b, Fans::new(fan_in, fan_out), &mut r)
            .unwrap();
        expect.push(w);
        expect.push(b);
    }
    let got: Vec<Vec<f32>> = net.params().map(<[f32]>::to_vec).collect();
    assert_eq!(got, expect);
}

#[test]
fn same_seed_same_bits_other_seed_other_bits() {
    let make = |seed| {
        Mlp::new(
            &[8, 5, 2],
            Activation::Tanh,
            &Init::he_uniform(),
            &BiasInit::Zeros,
            &mut rng(seed),
        )
        .unwrap()
    };
    let bits = |m: &Mlp| {
        m.params()
            .flatten()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&make(1)), bits(&make(1)));
    assert_ne!(bits(&make(1)), bits(&make(2)));
    assert!(
        make(1)
            .layers()
            .iter()
            .all(|d| d.bias().iter().all(|&b| b == 0.0))
    );
}

#[test]
fn bad_shapes_are_typed_errors() {
    let init = Init::constant(0.1);
    let e = Mlp::new(&[3], Activation::Relu, &init, &BiasInit::Zeros, &mut rng(0));
    assert_eq!(e.unwrap_err(), MlpError::TooFewSizes { len: 1 });
    let e = Mlp::new(
        &[3, 0, 2],
        Activation::Relu,
        &init,
        &BiasInit::Zeros,
        &mut rng(0),
    );
    assert_eq!(e.unwrap_err(), MlpError::ZeroSize { index: 1 });
    // Weights past the addressable memory: an error, not an overflow panic
    // or an allocation failure (the check comes before any allocation).
    for sizes in [[784, usize::MAX / 2, 10], [784, usize::MAX / 1000, 10]] {
        let e = Mlp::new(
            &sizes,
            Activation::Relu,
            &init,
            &BiasInit::Zeros,
            &mut rng(0),
        );
        assert_eq!(e.unwrap_err(), MlpError::TooLarge { layer: 0 });
    }
    let layers = vec![Dense::zeros(3, 4), Dense::zeros(5, 2)];
    let e = Mlp::from_layers(layers, Activation::Relu).unwrap_err();
    assert_eq!(
        e,
        MlpError::ShapeMismatch {
            layer: 1,
            expected: 4,
            found: 5
        }
    );
    assert!(e.to_string().contains("layer 1"));
}

/// Plain triple loop in f64: act(x·Wᵀ + b) per hidden layer, linear output;
/// returns the logits and a bound on the error of any f32 evaluation of
/// them. Per layer, an f32 sum of k products and a bias (any order, fused
/// or not) is off by at most γₖ₊₁·(Σ|w||a| + |b|), γₙ = n·u/(1 − n·u),
/// u = 2⁻²⁴ (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1),
/// plus Σ|w|·(the error of its inputs); ReLU does not increase it. (The
/// f64 sums' own error, n·2⁻⁵³ of the same magnitudes, is far inside γₙ's
/// excess over n·u.)
fn reference_forward(net: &Mlp, x: &[f32], rows: usize) -> (Vec<f64>, Vec<f64>) {
    let gamma = |n: usize| {
        let nu = n as f64 * f64::from(f32::EPSILON) / 2.0;
        nu / (1.0 - nu)
    };
    let mut a: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut err = vec![0.0f64; a.len()];
    let last = net.layers().len() - 1;
    for (l, d) in net.layers().iter().enumerate() {
        let (fan_in, fan_out) = (d.fan_in(), d.fan_out());
        let (mut out, mut out_err) = (vec![0.0; rows * fan_out], vec![0.0; rows * fan_out]);
        for r in 0..rows {
            for j in 0..fan_out {
                let w = d.weight().row(j);
                let b = f64::from(d.bias()[j]);
                let (mut z, mut magnitude, mut carried) = (b, b.abs(), 0.0);
                for k in 0..fan_in {
                    let (ak, wk) = (a[r * fan_in + k], f64::from(w[k]));
                    z += ak * wk;
                    magnitude += (ak.abs() + err[r * fan_in + k]) * wk.abs();
                    carried += err[r * fan_in + k] * wk.abs();
                }
                out[r * fan_out + j] = if l < last { z.max(0.0) } else { z };
                out_err[r * fan_out + j] = carried + gamma(fan_in + 1) * magnitude;
            }
        }
        (a, err) = (out, out_err);
    }
    (a, err)
}

#[test]
fn forward_matches_reference_and_workspace_serves_smaller_batches() {
    let net = Mlp::new(
        &[7, 9, 5, 3],
        Activation::Relu,
        &Init::xavier_uniform(1.0),
        &BiasInit::Default,
        &mut rng(3),
    )
    .unwrap();
    let x: Vec<f32> = (0..11 * 7)
        .map(|i| ((i * 37) % 19) as f32 / 19.0 - 0.3)
        .collect();
    let mut ws = Workspace::new(&net, 11);
    for rows in [11, 4, 1] {
        let (want, bound) = reference_forward(&net, &x[..rows * 7], rows);
        let got = net.forward(
            MatRef::from_row_major(&x[..rows * 7], rows, 7).unwrap(),
            &mut ws,
        );
        assert_eq!((got.rows(), got.cols()), (rows, 3));
        for r in 0..rows {
            for j in 0..3 {
                let (g, w, e) = (f64::from(got.read(r, j)), want[r * 3 + j], bound[r * 3 + j]);
                assert!((g - w).abs() <= e, "({r},{j}): {g} vs {w} ± {e:e}");
            }
        }
    }
}

/// A workspace serves every batch up to its size: the weight gradient's k is
/// the batch, cut into equal blocks, so 256 rows (blocks of 256) need more
/// scratch than 257 (blocks of 129); sized for 257 rows alone, 256 panicked.
/// Every shorter batch gives the bits a workspace of its own size gives.
#[test]
fn a_workspace_serves_every_shorter_batch() {
    let net = Mlp::new(
        &[784, 20],
        Activation::Relu,
        &Init::xavier_uniform(1.0),
        &BiasInit::Default,
        &mut rng(7),
    )
    .unwrap();
    let x: Vec<f32> = (0..300 * 784)
        .map(|i| ((i * 31) % 17) as f32 / 17.0)
        .collect();
    let labels: Vec<u8> = (0..300).map(|i| (i % 10) as u8).collect();
    let mut big = Workspace::new(&net, 300);
    for rows in [256, 200, 129, 1] {
        let xv = MatRef::from_row_major(&x[..rows * 784], rows, 784).unwrap();
        let mut own = Workspace::new(&net, rows);
        let (mut g_big, mut g_own) = (Gradients::new(&net), Gradients::new(&net));
        let l_big = net.loss_and_gradients(xv, &labels[..rows], &mut big, &mut g_big);
        let l_own = net.loss_and_gradients(xv, &labels[..rows], &mut own, &mut g_own);
        assert_eq!(l_big.to_bits(), l_own.to_bits(), "{rows} rows");
        assert_eq!(g_big, g_own, "{rows} rows");
    }
}

/// A workspace whose buffers cannot be allocated is an error: sizes that
/// overflow, more than `isize::MAX` bytes, or (on 64-bit targets) a batch of
/// 2⁴⁰ rows of 4096 values, petabytes no allocator gives.
#[test]
fn workspaces_too_large_to_allocate_are_errors() {
    let net = Mlp::new(
        &[2, 4096, 2],
        Activation::Relu,
        &Init::constant(0.0),
        &BiasInit::Zeros,
        &mut rng(1),
    )
    .unwrap();
    let mut batches = vec![usize::MAX, isize::MAX as usize / 4 / 4096 + 1];
    if cfg!(target_pointer_width = "64") {
        batches.push(1 << (usize::BITS - 24));
    }
    for max_batch in batches {
        assert_eq!(
            Workspace::try_with_threads(&net, max_batch, 1).unwrap_err(),
            MlpError::WorkspaceTooLarge { max_batch },
        );
    }
    let ws = Workspace::try_with_threads(&net, 3, 1).unwrap();
    assert_eq!(ws.max_batch(), 3);
}

#[test]
fn evaluate_batch_counts_argmax_hits() {
    // One layer, identity weights: the logits are the inputs themselves.
    let w = Matrix::from_vec(vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 3, 3).unwrap();
    let net = Mlp::from_layers(vec![Dense::from_parts(w, vec![0.0; 3])], Activation::Relu).unwrap();
    let x = [0.0f32, 2.0, 1.0, 5.0, 0.0, 0.0];
    let mut ws = Workspace::new(&net, 2);
    let (loss_sum, correct) =
        net.evaluate_batch(MatRef::from_row_major(&x, 2, 3).unwrap(), &[1, 2], &mut ws);
    assert_eq!(correct, 1);
    // −log softmax: row 0 label 1: log(1+e²+e) − 2; row 1 label 2: log(e⁵+2) − 0.
    let e = std::f64::consts::E;
    let want = (1.0 + e * e + e).ln() - 2.0 + (e.powi(5) + 2.0).ln();
    assert!((loss_sum - want).abs() < 1e-5, "{loss_sum} vs {want}");
}

/// One layer of identity weights: the logits are the inputs themselves.
fn identity_net(n: usize) -> Mlp {
    let mut w = vec![0.0; n * n];
    w.iter_mut().step_by(n + 1).for_each(|d| *d = 1.0);
    let w = Matrix::from_vec(w, n, n).unwrap();
    Mlp::from_layers(vec![Dense::from_parts(w, vec![0.0; n])], Activation::Relu).unwrap()
}

/// A NaN logit never wins: zero weights and the biases `[NaN, 1, 0.5]` make
/// every row's logits those biases (the product of a NaN input spreads it to
/// every logit of its row, so the NaN is put in the bias).
#[test]
fn predict_never_takes_a_nan() {
    let w = Matrix::from_vec(vec![0.0; 6], 3, 2).unwrap();
    let b = vec![f32::NAN, 1.0, 0.5];
    let net = Mlp::from_layers(vec![Dense::from_parts(w, b)], Activation::Relu).unwrap();
    let mut ws = Workspace::new(&net, 2);
    let mut classes = [9u8; 2];
    let x = [0.5, 1.0, 0.0, 0.0];
    net.predict(
        MatRef::from_row_major(&x, 2, 2).unwrap(),
        &mut ws,
        &mut classes,
    );
    assert_eq!(classes, [1, 1]);
}

#[test]
#[should_panic(expected = "300 classes do not fit in u8")]
fn predict_refuses_more_classes_than_u8_holds() {
    let net = identity_net(300);
    let mut x = vec![0.0f32; 300];
    x[299] = 1.0;
    let mut ws = Workspace::new(&net, 1);
    net.predict(
        MatRef::from_row_major(&x, 1, 300).unwrap(),
        &mut ws,
        &mut [0],
    );
}

/// A label beyond the outputs is refused even when the logits are NaN (the
/// loss would be NaN before the labels are used).
#[test]
#[should_panic(expected = "label 7 is not below the network's 3 outputs")]
fn a_bad_label_is_refused_before_the_loss() {
    let w = Matrix::from_vec(vec![0.0; 6], 3, 2).unwrap();
    let net = Mlp::from_layers(
        vec![Dense::from_parts(w, vec![f32::NAN; 3])],
        Activation::Relu,
    )
    .unwrap();
    let mut ws = Workspace::new(&net, 1);
    let mut grads = Gradients::new(&net);
    let x = MatRef::from_row_major(&[0.5, 1.0], 1, 2).unwrap();
    net.loss_and_gradients(x, &[7], &mut ws, &mut grads);
}
