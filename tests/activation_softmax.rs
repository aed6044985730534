//! softmax, log_softmax and softmax_cross_entropy against f64 references,
//! with tolerances derived from the f32 rounding of x − m (≤ ½ulp(x − m)
//! absolute in the exponent), the exp error (≤ 4 ulp) and the row sum
//! (≤ cols·ε relative).

use deepinit::activation::{log_softmax, softmax, softmax_cross_entropy};

const EPS: f64 = f32::EPSILON as f64;

/// Deterministic test data: a small LCG mapped to [−scale, scale].
fn data(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn ref_row(row: &[f32]) -> (f64, f64) {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let s: f64 = row
        .iter()
        .map(|&v| (f64::from(v) - f64::from(m)).exp())
        .sum();
    (f64::from(m), s)
}

const SHAPES: [usize; 9] = [1, 2, 7, 8, 9, 10, 16, 17, 784];

#[test]
fn softmax_matches_f64() {
    for (t, &cols) in SHAPES.iter().enumerate() {
        for scale in [1e-3f32, 1.0, 30.0, 80.0] {
            let x = data(cols * 5, t as u64 * 31 + scale as u64, scale);
            let mut y = x.clone();
            softmax(&mut y, cols);
            for (xr, yr) in x.chunks(cols).zip(y.chunks(cols)) {
                let (m, s) = ref_row(xr);
                for (&xi, &yi) in xr.iter().zip(yr) {
                    let d = f64::from(xi) - m;
                    let r = d.exp() / s;
                    let tol = r * (6.0 * EPS + d.abs() * EPS / 2.0 + cols as f64 * EPS) + 1e-44;
                    assert!((f64::from(yi) - r).abs() <= tol, "cols {cols}: {yi} vs {r}");
                }
                let sum: f64 = yr.iter().map(|&v| f64::from(v)).sum();
                assert!((sum - 1.0).abs() <= 2.0 * cols as f64 * EPS, "sum {sum}");
            }
        }
    }
}

#[test]
fn log_softmax_matches_f64() {
    for (t, &cols) in SHAPES.iter().enumerate() {
        for scale in [1e-3f32, 1.0, 30.0, 1e4] {
            let x = data(cols * 5, t as u64 * 17 + 3, scale);
            let mut y = x.clone();
            log_softmax(&mut y, cols);
            for (xr, yr) in x.chunks(cols).zip(y.chunks(cols)) {
                let (m, s) = ref_row(xr);
                for (&xi, &yi) in xr.iter().zip(yr) {
                    let r = (f64::from(xi) - m) - s.ln();
                    let tol = 2.0 * EPS * r.abs() + (4.0 + cols as f64) * EPS;
                    assert!((f64::from(yi) - r).abs() <= tol, "cols {cols}: {yi} vs {r}");
                }
            }
        }
    }
}

#[test]
fn special_values() {
    let sub = f32::from_bits(3);
    let mut x = [0.0, -0.0, sub, -sub];
    softmax(&mut x, 4);
    assert_eq!(x, [0.25; 4]);
    let mut x = [f32::MAX, -f32::MAX, f32::NEG_INFINITY, 0.0];
    softmax(&mut x, 4);
    assert_eq!(x, [1.0, 0.0, 0.0, 0.0]);
    let mut x = [f32::MAX, -f32::MAX];
    log_softmax(&mut x, 2);
    assert_eq!(x, [0.0, f32::NEG_INFINITY]);
    // NaN anywhere in a row makes the row NaN, other rows are untouched.
    let mut x = [1.0, f32::NAN, 2.0, 0.0, 0.0, 0.0];
    softmax(&mut x, 3);
    assert!(x[..3].iter().all(|v| v.is_nan()));
    assert!(x[3..].iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-7));
    let mut x = [f32::NAN, 1.0];
    log_softmax(&mut x, 2);
    assert!(x.iter().all(|v| v.is_nan()));
}

#[test]
fn cross_entropy_loss_and_gradient_match_f64() {
    let classes = 10;
    let rows = 13;
    let logits = data(rows * classes, 99, 12.0);
    let labels: Vec<u8> = (0..rows).map(|i| (i * 7 % classes) as u8).collect();
    let mut grad = vec![f32::NAN; logits.len()];
    let loss = softmax_cross_entropy(&logits, &labels, classes, &mut grad);
    let mut want = 0.0;
    for (r, (xr, &l)) in logits.chunks(classes).zip(&labels).enumerate() {
        let (m, s) = ref_row(xr);
        want += s.ln() - (f64::from(xr[usize::from(l)]) - m);
        for j in 0..classes {
            let p = (f64::from(xr[j]) - m).exp() / s;
            let g = (p - f64::from(u8::from(j == usize::from(l)))) / rows as f64;
            let got = f64::from(grad[r * classes + j]);
            assert!((got - g).abs() <= 40.0 * EPS / rows as f64, "{got} vs {g}");
        }
    }
    want /= rows as f64;
    assert!(
        (f64::from(loss) - want).abs() <= 8.0 * EPS * want,
        "{loss} vs {want}"
    );
}

#[test]
fn cross_entropy_is_finite_for_extreme_logits() {
    let logits = [1e30f32, -1e30, 0.0, -f32::MAX, f32::MAX, 5.0];
    let mut grad = [0.0; 6];
    let loss = softmax_cross_entropy(&logits, &[1, 0], 3, &mut grad);
    // Row 0: −log_softmax at −1e30 is 2e30; row 1: at −f32::MAX it is
    // 2·f32::MAX, which only f64 holds; the mean still rounds to a finite f32.
    let want = (2e30f64 + 2.0 * f64::from(f32::MAX)) / 2.0;
    assert!(loss.is_finite());
    assert_eq!(loss, want as f32);
    assert_eq!(grad, [0.5, -0.5, 0.0, -0.5, 0.5, 0.0]);
}

#[test]
fn cross_entropy_of_no_rows_is_zero() {
    assert_eq!(softmax_cross_entropy(&[], &[], 10, &mut []), 0.0);
}

#[test]
#[should_panic(expected = "every label must be < classes")]
fn cross_entropy_rejects_label_out_of_range() {
    let mut g = [0.0; 2];
    softmax_cross_entropy(&[0.0, 1.0], &[2], 2, &mut g);
}

#[test]
#[should_panic(expected = "multiple of cols")]
fn softmax_rejects_ragged_input() {
    softmax(&mut [0.0; 5], 2);
}
