//! Row-wise softmax, log-softmax and the softmax cross-entropy loss with its
//! gradient, on row-major matrices stored in slices.
//!
//! ```text
//! m = maxⱼ xⱼ,   s = Σⱼ e^(xⱼ − m)
//! softmax(x)ᵢ     = e^(xᵢ − m) / s
//! log_softmax(x)ᵢ = (xᵢ − m) − ln s
//! loss(x, ℓ)      = −log_softmax(x)_ℓ = ln s − (x_ℓ − m)     (log-sum-exp form)
//! ∂loss/∂xᵢ       = softmax(x)ᵢ − [i = ℓ]
//! ```
//!
//! Subtracting the row maximum makes every exponent ≤ 0, so no exponential
//! overflows and the largest term is exactly 1 (s ≥ 1, ln s ≥ 0): the loss
//! and log-softmax are finite for finite logits whose row spans less than
//! `f32::MAX` (Goodfellow, Bengio and Courville, *Deep Learning*, 2016, §4.1
//! and §6.2.2.3). A wider row, such as `[f32::MAX, −f32::MAX]`, has values
//! beyond f32's range: `xᵢ − m` rounds to −∞, as the exact result would. Rows narrower than 16 (e.g. the 10
//! MNIST classes) are shifted by their maxima first and exponentiated in one
//! pass over the whole buffer, so no vector lanes are wasted on row tails. Rows containing NaN give NaN; rows
//! containing +∞ or only −∞ give NaN (∞ − ∞).

use super::simd::{self, LANES};
use wide::f32x8;

/// Rows narrower than this take the whole-buffer exp path.
const NARROW: usize = 2 * LANES;

/// The largest element of `row` (−∞ for an empty row; NaNs are skipped).
fn row_max(row: &[f32]) -> f32 {
    let (chunks, tail) = row.as_chunks::<LANES>();
    let mut m = f32x8::splat(f32::NEG_INFINITY);
    for c in chunks {
        m = m.max(f32x8::new(*c));
    }
    let m = m.to_array().into_iter().fold(f32::NEG_INFINITY, f32::max);
    tail.iter().copied().fold(m, f32::max)
}

/// `row[i] ← e^(row[i] − m)`; returns `Σᵢ e^(row[i] − m)`, summed in a fixed order.
fn exp_shifted(row: &mut [f32], m: f32) -> f32 {
    let mv = f32x8::splat(m);
    let (chunks, tail) = row.as_chunks_mut::<LANES>();
    let mut acc = f32x8::ZERO;
    for c in chunks {
        let e = simd::exp(f32x8::new(*c) - mv);
        acc += e;
        *c = e.to_array();
    }
    let mut sum = acc.reduce_add();
    if !tail.is_empty() {
        let n = tail.len();
        let e = simd::exp(simd::load_partial(tail) - mv).to_array();
        tail.copy_from_slice(&e[..n]);
        sum += tail.iter().sum::<f32>();
    }
    sum
}

/// `Σᵢ e^(row[i] − m)` without storing the exponentials.
fn sum_exp_shifted(row: &[f32], m: f32) -> f32 {
    let mv = f32x8::splat(m);
    let (chunks, tail) = row.as_chunks::<LANES>();
    let mut acc = f32x8::ZERO;
    for c in chunks {
        acc += simd::exp(f32x8::new(*c) - mv);
    }
    let e = simd::exp(simd::load_partial(tail) - mv).to_array();
    acc.reduce_add() + e[..tail.len()].iter().sum::<f32>()
}

/// `row[i] ← row[i] · scale`, eight at a time.
fn scale_row(row: &mut [f32], scale: f32) {
    let s = f32x8::splat(scale);
    simd::map_in_place(row, |v| v * s);
}

/// Row-wise softmax of the row-major matrix `x` with `cols` columns, in place,
/// max-subtracted: `x[r][i] ← e^(x[r][i] − m) / Σⱼ e^(x[r][j] − m)`.
///
/// Each output is within a few ulp of the exact value plus the rounding of
/// `x − m` (relative error ≲ |x − m|·2⁻²⁴); every row sums to 1 within
/// `cols` ulp.
///
/// # Panics
/// If `cols == 0` or `x.len()` is not a multiple of `cols`.
///
/// # Examples
/// ```
/// let mut x = [0.0, 0.0, 1000.0, 1000.0];
/// deepinit::activation::softmax(&mut x, 2);
/// assert_eq!(x, [0.5; 4]);
/// ```
pub fn softmax(x: &mut [f32], cols: usize) {
    assert!(
        cols > 0 && x.len().is_multiple_of(cols),
        "x.len() must be a multiple of cols > 0"
    );
    if cols < NARROW {
        // Narrow rows (e.g. 10 classes): one exp pass over the whole buffer
        // instead of a padded vector tail per row.
        for row in x.chunks_exact_mut(cols) {
            shift_by_max(row);
        }
        simd::map_in_place(x, simd::exp);
        for row in x.chunks_exact_mut(cols) {
            let inv = 1.0 / row.iter().sum::<f32>();
            row.iter_mut().for_each(|v| *v *= inv);
        }
        return;
    }
    for row in x.chunks_exact_mut(cols) {
        let m = row_max(row);
        let s = exp_shifted(row, m);
        scale_row(row, 1.0 / s);
    }
}

/// Row-wise log-softmax of the row-major matrix `x` with `cols` columns, in
/// place: `x[r][i] ← (x[r][i] − m) − ln Σⱼ e^(x[r][j] − m)`.
///
/// Finite for finite inputs (no `ln 0`, unlike `ln(softmax(x))`), except
/// where the exact value is below `−f32::MAX`: in a row that spans more than
/// `f32::MAX` (`[f32::MAX, −f32::MAX]` gives `[0, −∞]`).
///
/// # Panics
/// If `cols == 0` or `x.len()` is not a multiple of `cols`.
///
/// # Examples
/// ```
/// let mut x = [0.0, -200.0];
/// deepinit::activation::log_softmax(&mut x, 2);
/// assert_eq!(x, [0.0, -200.0]);
/// ```
pub fn log_softmax(x: &mut [f32], cols: usize) {
    assert!(
        cols > 0 && x.len().is_multiple_of(cols),
        "x.len() must be a multiple of cols > 0"
    );
    for row in x.chunks_exact_mut(cols) {
        let m = row_max(row);
        let ln_s = libm::logf(sum_exp_shifted(row, m));
        let (mv, lv) = (f32x8::splat(m), f32x8::splat(ln_s));
        simd::map_in_place(row, |v| (v - mv) - lv);
    }
}

/// Mean softmax cross-entropy of the row-major `logits` (`labels.len()` rows ×
/// `classes`) against integer `labels`; writes `∂loss/∂logits` =
/// `(softmax − onehot) / rows` into `grad` and returns the mean loss
/// (accumulated in f64, log-sum-exp form: finite for finite logits unless
/// a row's loss passes `f32::MAX`, as for logits `[f32::MAX, −f32::MAX]`
/// and label 1).
/// With no rows the loss is 0.
///
/// # Panics
/// If the shapes disagree, `classes == 0`, or a label is ≥ `classes`
/// (checked before anything is written).
///
/// # Examples
/// ```
/// let logits = [0.0f32, 0.0];
/// let mut grad = [0.0f32; 2];
/// let loss = deepinit::activation::softmax_cross_entropy(&logits, &[1], 2, &mut grad);
/// assert!((loss - core::f32::consts::LN_2).abs() < 1e-7);
/// assert_eq!(grad, [0.5, -0.5]);
/// ```
pub fn softmax_cross_entropy(
    logits: &[f32],
    labels: &[u8],
    classes: usize,
    grad: &mut [f32],
) -> f32 {
    assert!(classes > 0, "classes must be > 0");
    assert_eq!(
        logits.len(),
        labels.len() * classes,
        "logits must be rows × classes"
    );
    assert_eq!(
        grad.len(),
        logits.len(),
        "grad must have the shape of logits"
    );
    assert!(
        labels.iter().all(|&l| usize::from(l) < classes),
        "every label must be < classes ({classes})"
    );
    if labels.is_empty() {
        return 0.0;
    }
    let scale = 1.0 / labels.len() as f32;
    let mut loss = 0.0f64;
    if classes < NARROW {
        return cross_entropy_narrow(logits, labels, classes, grad);
    }
    let rows = logits
        .chunks_exact(classes)
        .zip(grad.chunks_exact_mut(classes));
    for ((x, g), &label) in rows.zip(labels) {
        let l = usize::from(label);
        let m = row_max(x);
        g.copy_from_slice(x);
        let s = exp_shifted(g, m);
        loss += f64::from(libm::logf(s)) - (f64::from(x[l]) - f64::from(m));
        scale_row(g, scale / s);
        g[l] -= scale;
    }
    (loss / labels.len() as f64) as f32
}

/// [`softmax_cross_entropy`] for narrow rows, with one exp pass over the
/// whole buffer (shapes already checked, at least one row).
fn cross_entropy_narrow(logits: &[f32], labels: &[u8], classes: usize, grad: &mut [f32]) -> f32 {
    let scale = 1.0 / labels.len() as f32;
    let mut loss = 0.0f64;
    grad.copy_from_slice(logits);
    for (g, &label) in grad.chunks_exact_mut(classes).zip(labels) {
        let x_l = g[usize::from(label)];
        let m = shift_by_max(g);
        loss -= f64::from(x_l) - f64::from(m);
    }
    simd::map_in_place(grad, simd::exp);
    for (g, &label) in grad.chunks_exact_mut(classes).zip(labels) {
        let s = g.iter().sum::<f32>();
        loss += f64::from(libm::logf(s));
        let k = scale / s;
        g.iter_mut().for_each(|v| *v *= k);
        g[usize::from(label)] -= scale;
    }
    (loss / labels.len() as f64) as f32
}

/// `row[i] ← row[i] − m` with m the row maximum; returns m.
fn shift_by_max(row: &mut [f32]) -> f32 {
    let m = row_max(row);
    row.iter_mut().for_each(|v| *v -= m);
    m
}
