//! Eye, sparse and orthogonal: the matrix initializers, on the row-major
//! W [fan_out × fan_in] (element (i, j) at `out[i·fan_in + j]`).
//!
//! - orthogonal: WᵀW = gain²·I (fan_out ≥ fan_in) or WWᵀ = gain²·I (wide),
//!   within 1e-5·gain², for square and rectangular shapes;
//! - sparse: every non-zero entry is exactly std·z for the normals z the same
//!   seed gives, every column has ⌈sparsity·fan_out⌉ zeroed rows, and each row
//!   is zeroed with probability k/fan_out (5 standard errors);
//! - eye: ones exactly on the diagonal.

use deepinit::init::{Fans, Init};
use deepinit::rng;
use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn seeded(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// max |G − gain²·I| over the Gram matrix of the rows (wide) or columns (tall).
#[cfg(feature = "alloc")]
fn gram_error(w: &[f32], rows: usize, cols: usize, gain: f64) -> f64 {
    let tall = rows >= cols;
    let (n, len) = if tall { (cols, rows) } else { (rows, cols) };
    let at = |vec: usize, k: usize| {
        f64::from(if tall {
            w[k * cols + vec]
        } else {
            w[vec * cols + k]
        })
    };
    let mut worst = 0.0f64;
    for a in 0..n {
        for b in 0..n {
            let dot: f64 = (0..len).map(|k| at(a, k) * at(b, k)).sum();
            let want = if a == b { gain * gain } else { 0.0 };
            worst = worst.max((dot - want).abs());
        }
    }
    worst
}

#[cfg(feature = "alloc")]
#[test]
fn orthogonal_square_and_rectangular() {
    let shapes = [
        (1, 1),
        (2, 2),
        (64, 64),
        (256, 256),
        (100, 30),
        (30, 100),
        (1, 17),
        (17, 1),
        (784, 10),
    ];
    for (rows, cols) in shapes {
        let gains: &[f32] = if rows * cols > 10_000 {
            &[1.0]
        } else {
            &[1.0, 0.5, std::f32::consts::SQRT_2]
        };
        for &gain in gains {
            let mut w = vec![f32::NAN; rows * cols];
            Init::orthogonal(gain)
                .fill(&mut w, Fans::new(cols, rows), &mut seeded(7))
                .unwrap();
            let err = gram_error(&w, rows, cols, f64::from(gain));
            assert!(
                err < 1e-5 * f64::from(gain * gain),
                "{rows}x{cols} gain {gain}: {err:e}"
            );
        }
    }
}

#[cfg(feature = "alloc")]
#[test]
fn orthogonal_is_not_the_identity_and_depends_on_the_seed() {
    let mut a = vec![0.0f32; 16];
    let mut b = vec![0.0f32; 16];
    Init::orthogonal(1.0)
        .fill(&mut a, Fans::new(4, 4), &mut seeded(1))
        .unwrap();
    Init::orthogonal(1.0)
        .fill(&mut b, Fans::new(4, 4), &mut seeded(2))
        .unwrap();
    assert_ne!(a, b);
    // A random orthogonal matrix has non-zero off-diagonal entries.
    assert!((0..16).filter(|k| k % 5 != 0).any(|k| a[k].abs() > 1e-3));
}

/// Haar-distributed, as PyTorch's `orthogonal_` (Q of a Gaussian matrix
/// with the signs of R's diagonal folded in, Mezzadri 2007): each entry has
/// mean 0 and variance 1/m. Over N seeds of an 8 × 8 matrix the mean of
/// W₀₀ is within 5 standard errors √(1/(m·N)) of 0; without the sign
/// correction it is about −0.29, some 50 standard errors off.
#[cfg(feature = "alloc")]
#[test]
fn orthogonal_entries_are_centred() {
    let (m, seeds) = (8usize, 4000u64);
    let mut w = vec![0.0f32; m * m];
    let mut sum = 0.0f64;
    for seed in 0..seeds {
        Init::orthogonal(1.0)
            .fill(&mut w, Fans::new(m, m), &mut seeded(seed))
            .unwrap();
        sum += f64::from(w[0]);
    }
    let mean = sum / seeds as f64;
    let se = (1.0 / (m as f64 * seeds as f64)).sqrt();
    assert!(mean.abs() <= 5.0 * se, "mean W₀₀ {mean} (SE {se})");
}

#[test]
fn eye_rectangular() {
    for (rows, cols) in [(1, 1), (3, 5), (5, 3), (4, 4)] {
        let mut w = vec![f32::NAN; rows * cols];
        Init::eye()
            .fill(&mut w, Fans::new(cols, rows), &mut seeded(0))
            .unwrap();
        for i in 0..rows {
            for j in 0..cols {
                assert_eq!(
                    w[i * cols + j],
                    if i == j { 1.0 } else { 0.0 },
                    "({i}, {j})"
                );
            }
        }
    }
}

/// k = ⌈fl(sparsity·rows)⌉ as PyTorch's ceil(sparsity·rows).
fn zeros_per_column(sparsity: f32, rows: usize) -> usize {
    ((sparsity * rows as f32).ceil() as usize).min(rows)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[cfg(feature = "alloc")]
    #[test]
    fn orthogonal_random_shapes(rows in 1usize..=40, cols in 1usize..=40, gain in 0.1f32..3.0, seed: u64) {
        let mut w = vec![f32::NAN; rows * cols];
        Init::orthogonal(gain).fill(&mut w, Fans::new(cols, rows), &mut seeded(seed)).unwrap();
        let err = gram_error(&w, rows, cols, f64::from(gain));
        prop_assert!(err < 1e-5 * f64::from(gain * gain), "{}x{} gain {}: {:e}", rows, cols, gain, err);
    }

    #[test]
    fn sparse_structure(rows in 1usize..=300, cols in 1usize..=40, sparsity in 0.0f32..=1.0,
                        std in 0.001f32..1.0, seed: u64) {
        let mut w = vec![f32::NAN; rows * cols];
        Init::sparse(sparsity, std).fill(&mut w, Fans::new(cols, rows), &mut seeded(seed)).unwrap();
        let mut z = vec![0.0f32; rows * cols];
        rng::fill_normal(&mut z, &mut seeded(seed));
        let k = zeros_per_column(sparsity, rows);
        for c in 0..cols {
            let (mut zeros, mut zero_normals) = (0, 0);
            for r in 0..rows {
                let (v, normal) = (w[r * cols + c], std * z[r * cols + c]);
                if v == 0.0 {
                    zeros += 1;
                } else {
                    prop_assert_eq!(v.to_bits(), normal.to_bits());
                }
                zero_normals += usize::from(normal == 0.0);
            }
            prop_assert!(zeros >= k && zeros <= k + zero_normals, "column {}: {} zeros, k = {}", c, zeros, k);
        }
    }
}

#[test]
fn sparse_zeroes_every_row_equally_often() {
    // 10 rows, sparsity 0.3 → k = 3: each row is zeroed in a column with
    // probability p = 0.3, independently across the 4096 columns.
    let (rows, cols) = (10, 4096);
    let mut w = vec![0.0f32; rows * cols];
    Init::sparse(0.3, 1.0)
        .fill(&mut w, Fans::new(cols, rows), &mut seeded(3))
        .unwrap();
    let p = 0.3f64;
    let se = (cols as f64 * p * (1.0 - p)).sqrt();
    for r in 0..rows {
        let count = w[r * cols..(r + 1) * cols]
            .iter()
            .filter(|&&v| v == 0.0)
            .count() as f64;
        assert!(
            (count - cols as f64 * p).abs() <= 5.0 * se,
            "row {r}: {count} zeros"
        );
    }
    // And each column has exactly 3 zeros (a normal sample is exactly 0 with
    // probability < 2⁻²³; for this seed none of the 40 960 is).
    for c in 0..cols {
        assert_eq!(
            (0..rows).filter(|r| w[r * cols + c] == 0.0).count(),
            3,
            "column {c}"
        );
    }
}

#[test]
fn sparse_ceil_matches_pytorch() {
    // PyTorch: num_zeros = ceil(sparsity · rows).
    assert_eq!(zeros_per_column(0.1, 10), 1);
    assert_eq!(zeros_per_column(0.15, 10), 2);
    assert_eq!(zeros_per_column(0.0, 10), 0);
    assert_eq!(zeros_per_column(1.0, 7), 7);
    let mut w = vec![1.0f32; 7 * 2];
    Init::sparse(1.0, 1.0)
        .fill(&mut w, Fans::new(2, 7), &mut seeded(0))
        .unwrap();
    assert!(w.iter().all(|&v| v == 0.0));
    Init::sparse(0.0, 1.0)
        .fill(&mut w, Fans::new(2, 7), &mut seeded(0))
        .unwrap();
    assert!(w.iter().all(|&v| v != 0.0));
}
