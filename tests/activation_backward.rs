//! Backward passes against central finite differences of f64 references,
//! `Activation::apply`/`backward` against the free functions, and the fused
//! bias + activation pass on every view layout.

use deepinit::MatMut;
use deepinit::activation::{
    Activation, bias_activation, relu, relu_backward, sigmoid, sigmoid_backward, tanh,
    tanh_backward,
};

type Forward = fn(&mut [f32]);
type Backward = fn(&[f32], &mut [f32]);

const ACTS: [Activation; 4] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
];

fn xs() -> Vec<f32> {
    (0..203).map(|i| (i as f32 - 101.3) * 0.071).collect()
}

/// Central difference of `f` at `x` in f64 (truncation error ≈ h²·|f‴|/6 ≤ 1e-10).
fn fd(f: fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-5;
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// `bwd` against `upstream · f′(x)` by finite differences. The bound: y
/// carries ≤ 4 ulp (≤ 4·2⁻²³ < 5e-7 on [−1, 1]), which moves f′ written in y
/// by at most `lipschitz` (the largest |d f′/dy|) times that; computing
/// `g · f′(y)` in f32 rounds at most 3 times, each by at most 2⁻²⁴ of an
/// intermediate ≤ `max_slope` (an absolute bound: 1 − y² cancels near
/// |y| = 1); both times an upstream gradient ≤ 2; 1e-9 covers the finite
/// difference.
fn check_backward(
    fwd: fn(&mut [f32]),
    bwd: fn(&[f32], &mut [f32]),
    reference: fn(f64) -> f64,
    lipschitz: f64,
    max_slope: f64,
) {
    let x = xs();
    let mut y = x.clone();
    fwd(&mut y);
    let upstream: Vec<f32> = (0..x.len()).map(|i| 0.5 + (i % 7) as f32 * 0.25).collect();
    let mut grad = upstream.clone();
    bwd(&y, &mut grad);
    let tol = 2.0 * (lipschitz * 5e-7 + max_slope * 3.0 * f64::from(f32::EPSILON) / 2.0) + 1e-9;
    for i in 0..x.len() {
        let want = f64::from(upstream[i]) * fd(reference, f64::from(x[i]));
        assert!(
            (f64::from(grad[i]) - want).abs() <= tol,
            "x = {}: {} vs {want} (tolerance {tol:e})",
            x[i],
            grad[i]
        );
    }
}

#[test]
fn sigmoid_backward_matches_finite_differences() {
    // f′ = y(1 − y): |d f′/dy| = |1 − 2y| ≤ 1, f′ ≤ 1/4.
    check_backward(
        sigmoid,
        sigmoid_backward,
        |x| 1.0 / (1.0 + (-x).exp()),
        1.0,
        0.25,
    );
}

#[test]
fn tanh_backward_matches_finite_differences() {
    // f′ = 1 − y²: |d f′/dy| = 2|y| ≤ 2, f′ ≤ 1.
    check_backward(tanh, tanh_backward, f64::tanh, 2.0, 1.0);
}

#[test]
fn relu_backward_matches_finite_differences_away_from_zero() {
    // f′ is 0 or 1 whatever the error of y > 0; g·1 is exact.
    check_backward(relu, relu_backward, |x| x.max(0.0), 0.0, 0.0);
}

#[test]
fn relu_backward_zeroes_even_non_finite_gradients() {
    let y = [0.0, 0.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let mut g = [
        f32::NAN,
        f32::INFINITY,
        7.0,
        1.0,
        f32::NAN,
        2.0,
        3.0,
        4.0,
        5.0,
        6.0,
    ];
    relu_backward(&y, &mut g);
    assert_eq!(g[..4], [0.0, 0.0, 7.0, 0.0]);
    assert!(g[4].is_nan());
    assert_eq!(g[5..], [0.0, 0.0, 0.0, 0.0, 6.0]);
}

#[test]
fn relu_propagates_nan_and_clears_negative_zero() {
    let mut x = [f32::NAN, -0.0, -1.0, 2.0, f32::NEG_INFINITY, f32::INFINITY];
    relu(&mut x);
    assert!(x[0].is_nan());
    assert_eq!(x[1].to_bits(), 0);
    assert_eq!(x[2..], [0.0, 2.0, 0.0, f32::INFINITY]);
}

/// Every element of a long slice (vector bodies of every width and a
/// tail) against relu's rule, bit for bit: `x ≤ 0 → +0`, NaN and positive
/// values unchanged (payload included).
#[test]
fn relu_rule_holds_across_vectors_and_tail() {
    let specials = [
        f32::NAN,
        f32::from_bits(0xFFC0_0001),
        -0.0,
        0.0,
        -1.5,
        2.5,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::MIN_POSITIVE / 4.0,
        -f32::MIN_POSITIVE / 4.0,
        f32::MAX,
        -f32::MAX,
    ];
    // 1003 = 62 vectors of 16 + 11, with the specials at every offset.
    let x: Vec<f32> = (0..1003)
        .map(|i| specials[(i * 7) % specials.len()])
        .collect();
    let mut y = x.clone();
    relu(&mut y);
    for (i, (&a, &b)) in x.iter().zip(&y).enumerate() {
        let want = if a <= 0.0 { 0 } else { a.to_bits() };
        assert_eq!(b.to_bits(), want, "relu({a:?}) at {i}");
    }
}

#[test]
fn apply_and_backward_agree_with_free_functions() {
    let funcs: [(Forward, Backward); 3] = [
        (relu, relu_backward),
        (sigmoid, sigmoid_backward),
        (tanh, tanh_backward),
    ];
    for (act, (f, b)) in ACTS[1..].iter().zip(funcs) {
        let (mut a, mut c) = (xs(), xs());
        act.apply(&mut a);
        f(&mut c);
        assert_eq!(a, c, "{act:?}");
        let (mut ga, mut gc) = (xs(), xs());
        act.backward(&a, &mut ga);
        b(&c, &mut gc);
        assert_eq!(ga, gc, "{act:?}");
    }
    let mut x = xs();
    Activation::Identity.apply(&mut x);
    assert_eq!(x, xs());
    Activation::Identity.backward(&xs(), &mut x);
    assert_eq!(x, xs());
}

#[test]
#[should_panic(expected = "lengths differ")]
fn backward_rejects_mismatched_lengths() {
    Activation::Tanh.backward(&[0.0; 3], &mut [0.0; 2]);
}

/// act(c + bias) computed element by element through `apply` on a copy.
fn expected(c: &[f32], rows: usize, cols: usize, bias: &[f32], act: Activation) -> Vec<f32> {
    let mut v: Vec<f32> = (0..rows * cols).map(|k| c[k] + bias[k % cols]).collect();
    act.apply(&mut v);
    v
}

#[test]
fn bias_activation_every_layout() {
    for act in ACTS {
        for (rows, cols) in [(0, 3), (1, 1), (3, 7), (5, 8), (4, 17)] {
            let c0: Vec<f32> = (0..rows * cols)
                .map(|k| (k as f32 * 0.37).sin() * 4.0)
                .collect();
            let bias: Vec<f32> = (0..cols).map(|j| j as f32 * 0.1 - 0.4).collect();
            let want = expected(&c0, rows, cols, &bias, act);
            // Row-major.
            let mut a = c0.clone();
            bias_activation(
                MatMut::from_row_major(&mut a, rows, cols).unwrap(),
                &bias,
                act,
            );
            assert_eq!(a, want, "{act:?} {rows}x{cols} row-major");
            // Column-major storage viewed as rows × cols (col_stride = rows).
            let mut t: Vec<f32> = vec![0.0; rows * cols];
            for i in 0..rows {
                for j in 0..cols {
                    t[j * rows + i] = c0[i * cols + j];
                }
            }
            // (A cols × 0 row-major view is rejected by the view constructor.)
            if let Ok(view) = MatMut::from_row_major(&mut t, cols, rows) {
                bias_activation(view.t(), &bias, act);
            }
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(t[j * rows + i], want[i * cols + j], "{act:?} col-major");
                }
            }
            // A submatrix with NaN sentinels in the gaps, which must stay untouched.
            let stride = cols + 3;
            let mut g = vec![f32::NAN; (rows + 1) * stride];
            for i in 0..rows {
                g[(i + 1) * stride + 2..(i + 1) * stride + 2 + cols]
                    .copy_from_slice(&c0[i * cols..(i + 1) * cols]);
            }
            let full = MatMut::from_row_major(&mut g, rows + 1, stride).unwrap();
            bias_activation(full.submatrix(1, 2, rows, cols), &bias, act);
            for (k, v) in g.iter().enumerate() {
                let (i, j) = (k / stride, k % stride);
                if i >= 1 && (2..2 + cols).contains(&j) {
                    assert_eq!(*v, want[(i - 1) * cols + j - 2]);
                } else {
                    assert!(v.is_nan(), "gap ({i}, {j}) written");
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "bias length")]
fn bias_activation_rejects_wrong_bias_length() {
    let mut d = [0.0; 6];
    bias_activation(
        MatMut::from_row_major(&mut d, 2, 3).unwrap(),
        &[0.0; 2],
        Activation::Relu,
    );
}
