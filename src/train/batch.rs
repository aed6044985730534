//! Seeded epoch orders, minibatch assembly (`u8` pixels → `x/255` in a reused
//! buffer) and evaluation in batches.
//!
//! The shuffle is Fisher–Yates (Knuth, TAOCP vol. 2, Algorithm P) from the
//! last position down, with `j` uniform in `[0, i]` drawn by rejection from
//! 32-bit outputs (no modulo bias), so the order is exact and portable.

use std::vec::Vec;

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{DatasetMismatch, Evaluation, TrainError};
use crate::mat::MatRef;
use crate::mlp::{Mlp, MlpError, Workspace};
use crate::mnist::Dataset;

/// Samples per evaluation batch (the last one may be smaller): evaluation
/// holds the activations of this many rows through every layer.
pub const EVAL_BATCH: usize = 1000;

/// The generator of the initial weights: `seed_from_u64(seed)`.
pub fn init_rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// The generator of epoch `epoch`'s shuffle (from 0): [`init_rng`] advanced by
/// `(epoch + 1)·2¹⁹²` steps.
pub fn epoch_rng(seed: u64, epoch: usize) -> Xoshiro256PlusPlus {
    let mut rng = init_rng(seed);
    rng.jump_ce(epoch as u64 + 1, 192);
    rng
}

/// Writes the order in which epoch `epoch` (from 0) visits `n` samples.
///
/// # Panics
/// If `n > u32::MAX`.
///
/// # Examples
/// ```
/// let mut a = Vec::new();
/// deepinit::train::epoch_permutation(777, 3, 10, &mut a);
/// let mut sorted = a.clone();
/// sorted.sort();
/// assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
/// ```
pub fn epoch_permutation(seed: u64, epoch: usize, n: usize, order: &mut Vec<u32>) {
    let n32 = u32::try_from(n).expect("at most 2³² samples");
    order.clear();
    order.extend(0..n32);
    let mut rng = epoch_rng(seed, epoch);
    for i in (1..n).rev() {
        let j = uniform_below(&mut rng, i as u32 + 1);
        order.swap(i, j as usize);
    }
}

/// Uniform in `[0, bound)`, `bound ≥ 1`, by rejection of the top partial range.
fn uniform_below<R: Rng + ?Sized>(rng: &mut R, bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX - bound + 1) % bound;
    loop {
        let x = rng.next_u32();
        if x <= zone {
            return x % bound;
        }
    }
}

/// [`check_dataset`] for a set to evaluate on, which must also hold a
/// sample: the mean loss and accuracy of none are undefined (they read as 0,
/// a perfect loss).
pub(super) fn check_eval_set(
    model: &Mlp,
    data: &Dataset,
    split: &'static str,
) -> Result<(), TrainError> {
    check_dataset(model, data, split)?;
    if data.len == 0 {
        let reason = DatasetMismatch::Empty;
        return Err(TrainError::Dataset { split, reason });
    }
    Ok(())
}

/// Checks that `data` fits `model` (sizes, buffer lengths, labels).
pub(super) fn check_dataset(
    model: &Mlp,
    data: &Dataset,
    split: &'static str,
) -> Result<(), TrainError> {
    let err = |reason| Err(TrainError::Dataset { split, reason });
    // A product that overflows cannot be the network's input size.
    let pixels = data.rows.saturating_mul(data.cols);
    if pixels != model.input_size() {
        return err(DatasetMismatch::InputSize {
            expected: model.input_size(),
            found: pixels,
        });
    }
    if data.classes != model.output_size() {
        return err(DatasetMismatch::Classes {
            expected: model.output_size(),
            found: data.classes,
        });
    }
    if data.labels.len() != data.len || data.len.checked_mul(pixels) != Some(data.images.len()) {
        return err(DatasetMismatch::Lengths {
            len: data.len,
            pixels,
            images: data.images.len(),
            labels: data.labels.len(),
        });
    }
    if let Some(index) = data
        .labels
        .iter()
        .position(|&l| usize::from(l) >= data.classes)
    {
        return err(DatasetMismatch::Label {
            index,
            label: data.labels[index],
        });
    }
    Ok(())
}

/// Copies the `rows` samples `sample(0) … sample(rows − 1)` of `data` into
/// `x` as `pixel/255` and their labels into `y` (capacity reused), in two
/// halves on two threads when worth it (see `par::halves`; the values do
/// not depend on it).
///
/// Shuffled samples lie anywhere in the image buffer and miss every cache; a
/// first pass touches one byte per 64-byte line of every image, so these
/// independent loads overlap, and the conversion pass then reads from cache.
pub(super) fn fill_batch(
    data: &Dataset,
    rows: usize,
    sample: &(dyn Fn(usize) -> usize + Sync),
    x: &mut Vec<f32>,
    y: &mut Vec<u8>,
    threads: usize,
) {
    let pixels = data.rows * data.cols;
    y.clear();
    y.extend((0..rows).map(|r| data.labels[sample(r)]));
    // Every entry below is overwritten: only grow, never clear.
    x.resize(rows * pixels, 0.0);
    crate::par::halves(x, pixels, threads, |x, start| {
        let first = start / pixels.max(1);
        let images = || {
            (first..first + x.len() / pixels.max(1)).map(|r| {
                let i = sample(r);
                &data.images[i * pixels..(i + 1) * pixels]
            })
        };
        let touched = images().fold(0u8, |t, img| img.iter().step_by(64).fold(t, |t, &p| t ^ p));
        core::hint::black_box(touched);
        for (img, out) in images().zip(x.chunks_exact_mut(pixels.max(1))) {
            crate::mnist::scale(img, out);
        }
    });
}

/// Reusable buffers to evaluate one model shape.
#[derive(Debug, Clone)]
pub(super) struct Evaluator {
    ws: Workspace,
    x: Vec<f32>,
    y: Vec<u8>,
    threads: usize,
}

/// Empty buffers with room for the pixels and labels of `batch` samples of
/// `inputs` pixels.
pub(super) fn batch_buffers(
    batch: usize,
    inputs: usize,
) -> Result<(Vec<f32>, Vec<u8>), TrainError> {
    let too_large = TrainError::Model(MlpError::WorkspaceTooLarge { max_batch: batch });
    let mut x = Vec::new();
    let mut y = Vec::new();
    let pixels = batch.checked_mul(inputs).ok_or(too_large.clone())?;
    x.try_reserve_exact(pixels).map_err(|_| too_large.clone())?;
    y.try_reserve_exact(batch).map_err(|_| too_large)?;
    Ok((x, y))
}

impl Evaluator {
    pub(super) fn new(model: &Mlp, threads: usize) -> Result<Self, TrainError> {
        let (x, y) = batch_buffers(EVAL_BATCH, model.input_size())?;
        Ok(Self {
            ws: Workspace::try_with_threads(model, EVAL_BATCH, threads)?,
            x,
            y,
            threads,
        })
    }

    /// Mean loss and accuracy over all of `data` (checked by the caller).
    pub(super) fn run(&mut self, model: &Mlp, data: &Dataset) -> Evaluation {
        let mut loss = 0.0;
        let mut correct = 0;
        for start in (0..data.len).step_by(EVAL_BATCH) {
            let end = (start + EVAL_BATCH).min(data.len);
            fill_batch(
                data,
                end - start,
                &|r| start + r,
                &mut self.x,
                &mut self.y,
                self.threads,
            );
            let x = MatRef::from_row_major(&self.x, end - start, model.input_size())
                .unwrap_or_else(|_| unreachable!("batch buffer holds rows·inputs"));
            let (l, c) = model.evaluate_batch(x, &self.y, &mut self.ws);
            loss += l;
            correct += c;
        }
        // Not 0: `check_eval_set` refuses an empty set.
        let n = data.len as f64;
        Evaluation {
            loss: loss / n,
            accuracy: correct as f64 / n,
            correct,
            len: data.len,
        }
    }
}

/// Mean cross-entropy and accuracy of `model` on all of `data`, in batches of
/// 1000 (pixels scaled to `x/255`).
///
/// # Errors
/// [`TrainError::Dataset`] when the data does not fit the model or holds no
/// sample; [`TrainError::Model`] ([`crate::mlp::MlpError::WorkspaceTooLarge`])
/// when the evaluation's buffers cannot be allocated.
pub fn evaluate(model: &Mlp, data: &Dataset) -> Result<Evaluation, TrainError> {
    check_eval_set(model, data, "evaluation")?;
    Ok(Evaluator::new(model, 1)?.run(model, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn uniform_below_stays_in_range_and_hits_every_value() {
        let mut rng = init_rng(1);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[uniform_below(&mut rng, 7) as usize] += 1;
        }
        // Each count is Binomial(7000, 1/7): mean 1000, sd ≈ 29.3; 5 sd ≈ 147.
        assert!(seen.iter().all(|&c| c.abs_diff(1000) < 147), "{seen:?}");
        assert_eq!(uniform_below(&mut rng, 1), 0);
    }

    #[test]
    fn epoch_orders_differ_between_epochs_and_repeat_per_seed() {
        let (mut a, mut b, mut c) = (vec![], vec![], vec![]);
        epoch_permutation(5, 0, 100, &mut a);
        epoch_permutation(5, 1, 100, &mut b);
        epoch_permutation(5, 0, 100, &mut c);
        assert_ne!(a, b);
        assert_eq!(a, c);
    }
}
