//! Activation functions and their backward passes on `f32` slices.
//!
//! Work in progress: plain scalar versions; the `wide`-vectorized kernels replace them.

use crate::mat::MatMut;

/// A hidden-layer nonlinearity, applied elementwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activation {
    /// y = x
    Identity,
    /// y = max(x, 0)
    Relu,
    /// y = 1 / (1 + e^(−x))
    Sigmoid,
    /// y = tanh x
    Tanh,
}

/// In place: `x ← max(x, 0)`.
pub fn relu(x: &mut [f32]) {
    for v in x {
        *v = if *v > 0.0 { *v } else { 0.0 };
    }
}

/// `grad ← grad · [y > 0]`, where `y` is relu's output.
///
/// # Panics
/// If the slices differ in length.
pub fn relu_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len());
    for (g, &y) in grad.iter_mut().zip(y) {
        if y <= 0.0 {
            *g = 0.0;
        }
    }
}

/// In place: `x ← 1 / (1 + e^(−x))`.
pub fn sigmoid(x: &mut [f32]) {
    for v in x {
        *v = 1.0 / (1.0 + libm::expf(-*v));
    }
}

/// `grad ← grad · y·(1 − y)`, where `y` is sigmoid's output.
///
/// # Panics
/// If the slices differ in length.
pub fn sigmoid_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len());
    for (g, &y) in grad.iter_mut().zip(y) {
        *g *= y * (1.0 - y);
    }
}

/// In place: `x ← tanh x`.
pub fn tanh(x: &mut [f32]) {
    for v in x {
        *v = libm::tanhf(*v);
    }
}

/// `grad ← grad · (1 − y²)`, where `y` is tanh's output.
///
/// # Panics
/// If the slices differ in length.
pub fn tanh_backward(y: &[f32], grad: &mut [f32]) {
    assert_eq!(y.len(), grad.len());
    for (g, &y) in grad.iter_mut().zip(y) {
        *g *= 1.0 - y * y;
    }
}

/// Row-wise softmax of the row-major matrix `x` with `cols` columns, in place.
///
/// # Panics
/// If `cols == 0` or `x.len()` is not a multiple of `cols`.
pub fn softmax(x: &mut [f32], cols: usize) {
    assert!(cols > 0 && x.len() % cols == 0);
    for row in x.chunks_exact_mut(cols) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = libm::expf(*v - max);
            sum += *v;
        }
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}

/// Mean softmax cross-entropy of the row-major `logits` (`labels.len()` rows ×
/// `classes`) against integer `labels`; writes `∂loss/∂logits` =
/// `(softmax − onehot) / rows` into `grad` and returns the mean loss.
///
/// # Panics
/// If the shapes disagree or a label is ≥ `classes`.
pub fn softmax_cross_entropy(
    logits: &[f32],
    labels: &[u8],
    classes: usize,
    grad: &mut [f32],
) -> f32 {
    assert_eq!(logits.len(), labels.len() * classes);
    assert_eq!(grad.len(), logits.len());
    grad.copy_from_slice(logits);
    softmax(grad, classes);
    let scale = 1.0 / labels.len() as f32;
    let mut loss = 0.0f64;
    for (row, &l) in grad.chunks_exact_mut(classes).zip(labels) {
        let l = usize::from(l);
        assert!(l < classes);
        loss -= f64::from(libm::logf(row[l].max(f32::MIN_POSITIVE)));
        row[l] -= 1.0;
        for v in row.iter_mut() {
            *v *= scale;
        }
    }
    (loss / labels.len().max(1) as f64) as f32
}

/// Fused pass over a GEMM output: `c[i][j] ← act(c[i][j] + bias[j])`.
///
/// # Panics
/// If `bias.len() != c.cols()`.
pub fn bias_activation(mut c: MatMut<'_>, bias: &[f32], act: Activation) {
    assert_eq!(bias.len(), c.cols());
    for i in 0..c.rows() {
        for j in 0..c.cols() {
            let v = c.read(i, j) + bias[j];
            c.write(i, j, v);
        }
    }
    for i in 0..c.rows() {
        if let Some(row) = c.row_mut(i) {
            match act {
                Activation::Identity => {}
                Activation::Relu => relu(row),
                Activation::Sigmoid => sigmoid(row),
                Activation::Tanh => tanh(row),
            }
        }
    }
}
