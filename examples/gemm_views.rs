//! GEMM on strided views, as a dense layer uses it: `C ← α·A·B + β·C` with
//! caller-owned scratch (no allocation inside), transposes and sub-blocks as
//! free views, every kernel this CPU has giving the same bits, the
//! portable precision whose bits are the same on every target, and the
//! zero-skipping hint that leaves the values as they are.
//!
//! Run: `cargo run --release --example gemm_views`. From the repository's
//! root the library has `parallel` (the program's package turns it on);
//! with `-p deepinit`, add `--features parallel`, or the 2-thread runs use
//! one thread.

use deepinit::gemm::{
    GemmConfig, Kernel, Precision, SkipZeros, gemm, gemm_with, gemm_workspace_len,
};
use deepinit::{MatMut, MatRef, ShapeError};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Seeded test data, uniform in [-1, 1).
fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..len)
        .map(|_| (rng.next_u32() >> 8) as f32 / 8_388_608.0 - 1.0)
        .collect()
}

fn main() -> Result<(), ShapeError> {
    // A layer of 784 inputs and 256 outputs on a batch of 100, weights stored
    // [out × in] as in PyTorch.
    let (batch, inputs, outputs) = (100, 784, 256);
    let x = data(batch * inputs, 1);
    let w = data(outputs * inputs, 2);
    let xv = MatRef::from_row_major(&x, batch, inputs)?;
    let wv = MatRef::from_row_major(&w, outputs, inputs)?;

    // Forward: Y = X·Wᵀ. `t()` swaps the strides: no copy.
    let mut y = vec![0.0f32; batch * outputs];
    let mut ws = vec![0.0f32; gemm_workspace_len(batch, inputs, outputs)];
    gemm(
        1.0,
        xv,
        wv.t(),
        0.0,
        MatMut::from_row_major(&mut y, batch, outputs)?,
        &mut ws,
    );
    // One entry against an f64 dot product: a sum of k rounded products
    // errs by at most γ_k·Σ|x||w|, γ_k ≈ k·2⁻²⁴; the check allows k·2⁻²³.
    let (i, j) = (37, 201);
    let exact: f64 = (0..inputs)
        .map(|p| f64::from(x[i * inputs + p]) * f64::from(w[j * inputs + p]))
        .sum();
    let bound: f64 = (0..inputs)
        .map(|p| f64::from(x[i * inputs + p].abs()) * f64::from(w[j * inputs + p].abs()))
        .sum::<f64>()
        * inputs as f64
        * f64::from(f32::EPSILON);
    let err = (f64::from(y[i * outputs + j]) - exact).abs();
    println!(
        "Y = X·Wᵀ ({batch}×{inputs} · {inputs}×{outputs}): Y[{i},{j}] = {:.6}, |error| {err:.2e} ≤ {bound:.2e}",
        y[i * outputs + j]
    );
    assert!(err <= bound);

    // Backward, weight gradient of the first 10 neurons only: ∂W[0..10] =
    // Δ[:, 0..10]ᵀ·X, with Δ = Y here, written into a 10 × 784 window of a
    // larger buffer whose row stride leaves a gap of 16 floats. The gap is
    // never touched.
    let delta = MatRef::from_row_major(&y, batch, outputs)?.submatrix(0, 0, batch, 10);
    let stride = inputs + 16;
    let mut grad = vec![f32::NAN; 10 * stride];
    let mut ws = vec![0.0f32; gemm_workspace_len(10, batch, inputs)];
    gemm(
        1.0,
        delta.t(),
        xv,
        0.0,
        MatMut::from_strided(&mut grad, 10, inputs, stride, 1)?,
        &mut ws,
    );
    let gaps_untouched = grad
        .chunks(stride)
        .all(|row| row[inputs..].iter().all(|v| v.is_nan()));
    println!(
        "∂W[0..10] = Δᵀ·X into a strided window: finite {}, gaps untouched {gaps_untouched}",
        grad.chunks(stride)
            .all(|row| row[..inputs].iter().all(|v| v.is_finite()))
    );
    assert!(gaps_untouched);

    // Each entry accumulates over k in one fixed order, so every thread
    // count and kernel gives the same bits: in the portable precision all
    // kernels; in the fast one the fused-multiply-add kernels (AVX2,
    // AVX-512), as the portable kernel fuses only where its build allows.
    let run = |config: GemmConfig| -> Result<Vec<f32>, ShapeError> {
        let mut out = vec![0.0f32; batch * outputs];
        let mut ws = vec![0.0f32; 2 * gemm_workspace_len(batch, inputs, outputs)];
        gemm_with(
            &config,
            1.0,
            xv,
            wv.t(),
            0.0,
            MatMut::from_row_major(&mut out, batch, outputs)?,
            &mut ws,
        );
        Ok(out)
    };
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    for precision in [Precision::Fast, Precision::Portable] {
        let mut reference = None;
        let kernels = Kernel::ALL.into_iter().filter(|&k| {
            k.is_supported() && (precision == Precision::Portable || k != Kernel::Portable)
        });
        for kernel in kernels {
            for threads in [1, 2] {
                let out = bits(&run(GemmConfig::default()
                    .with_kernel(kernel)
                    .with_precision(precision)
                    .with_threads(threads))?);
                let same = *reference.get_or_insert_with(|| out.clone()) == out;
                println!(
                    "{precision:?} precision, {kernel:?} kernel, {threads} thread(s): same bits as the first {same}"
                );
                assert!(same);
            }
        }
    }

    // Inputs full of exact zeros (an image's black border, ReLU outputs):
    // with the hint each row sums only its nonzero entries (the sparse
    // path, A at most 2/3 nonzero on AVX-512 or AVX2), or the packed
    // kernels skip the terms that are zero in every row of a tile. The
    // values do not change (a zero sum comes out +0 whatever the path).
    let sparse: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(e, &v)| {
            let pixel = e % inputs;
            if !(200..600).contains(&pixel) || v < 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect();
    let sv = MatRef::from_row_major(&sparse, batch, inputs)?;
    let product = |skip: SkipZeros| -> Result<Vec<f32>, ShapeError> {
        let mut out = vec![0.0f32; batch * outputs];
        let mut ws = vec![0.0f32; gemm_workspace_len(batch, inputs, outputs)];
        let config = GemmConfig::default().with_skip_zeros(skip);
        gemm_with(
            &config,
            1.0,
            sv,
            wv.t(),
            0.0,
            MatMut::from_row_major(&mut out, batch, outputs)?,
            &mut ws,
        );
        Ok(out)
    };
    let zeros = sparse.iter().filter(|&&v| v == 0.0).count() as f64 / sparse.len() as f64;
    let same = product(SkipZeros::None)? == product(SkipZeros::A)?;
    println!(
        "X with {:.0} % zeros, SkipZeros::A: the same values as without the hint {same}",
        100.0 * zeros
    );
    assert!(same);
    println!("selected kernel on this CPU: {:?}", Kernel::selected());
    Ok(())
}
