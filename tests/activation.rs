//! Accuracy of the vectorized activations against f64 references: sweeps over
//! f32 bit patterns (so every binade is hit), special values (±0, subnormals,
//! ±∞, NaN, ±f32::MAX), monotonicity, and independence from slice position.

use deepinit::activation::{sigmoid, tanh};

/// Distance of `y` from the exact value `exact`, in units of the f32 spacing
/// at `exact` (subnormal spacing 2⁻¹⁴⁹ below f32::MIN_POSITIVE).
fn ulps(y: f32, exact: f64) -> f64 {
    let a = exact.abs();
    let e = if a < f64::from(f32::MIN_POSITIVE) {
        -126
    } else {
        a.log2().floor() as i32
    };
    let spacing = 2f64.powi(e.max(-126) - 23);
    (f64::from(y) - exact).abs() / spacing
}

fn sigmoid_ref(x: f32) -> f64 {
    1.0 / (1.0 + (-f64::from(x)).exp())
}

/// Every `stride`-th f32 bit pattern with `lo ≤ x ≤ hi`, both signs.
fn sweep(lo: f32, hi: f32, stride: u32) -> Vec<f32> {
    let mut v = Vec::new();
    for bits in (0..0x7f80_0000u32).step_by(stride as usize) {
        for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
            if (lo..=hi).contains(&x) {
                v.push(x);
            }
        }
    }
    v
}

fn max_ulps(f: fn(&mut [f32]), r: fn(f32) -> f64, xs: &[f32]) -> (f64, f32) {
    let mut y = xs.to_vec();
    f(&mut y);
    let mut worst = (0.0, 0.0);
    for (&x, &y) in xs.iter().zip(&y) {
        let u = ulps(y, r(x));
        if u > worst.0 {
            worst = (u, x);
        }
    }
    worst
}

#[test]
fn sigmoid_within_4_ulp_on_minus_90_to_90() {
    let xs = sweep(-90.0, 90.0, 211);
    assert!(xs.len() > 9_000_000);
    let (u, x) = max_ulps(sigmoid, sigmoid_ref, &xs);
    assert!(u <= 4.0, "sigmoid: {u} ulp at x = {x:e}");
}

#[test]
fn tanh_within_4_ulp() {
    let xs = sweep(-20.0, 20.0, 211);
    let (u, x) = max_ulps(tanh, |x| f64::from(x).tanh(), &xs);
    assert!(u <= 4.0, "tanh: {u} ulp at x = {x:e}");
}

#[test]
fn special_values() {
    let sub = f32::from_bits(1);
    let xs = [
        0.0,
        -0.0,
        sub,
        -sub,
        f32::MIN_POSITIVE / 3.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        f32::NAN,
        -f32::NAN,
    ];
    let mut s = xs;
    sigmoid(&mut s);
    assert_eq!(&s[..5], &[0.5; 5]);
    assert_eq!(&s[5..9], &[1.0, 0.0, 1.0, 0.0]);
    assert!(s[9].is_nan() && s[10].is_nan());
    let mut t = xs;
    tanh(&mut t);
    for i in 0..5 {
        assert_eq!(t[i].to_bits(), xs[i].to_bits(), "tanh({:e})", xs[i]);
    }
    assert_eq!(&t[5..9], &[1.0, -1.0, 1.0, -1.0]);
    assert!(t[9].is_nan() && t[10].is_nan());
}

#[test]
fn sigmoid_tail_reaches_subnormals_accurately() {
    // σ(x) ≈ eˣ is subnormal for x < −87.3; still within 4 ulp (subnormal spacing).
    let xs: Vec<f32> = (0..2000).map(|i| -87.0 - i as f32 * 0.0085).collect();
    let (u, x) = max_ulps(sigmoid, sigmoid_ref, &xs);
    assert!(u <= 4.0, "{u} ulp at {x}");
    let mut y = [-100.0f32, -103.0, -104.0, -200.0];
    sigmoid(&mut y);
    assert!(y[0] > 0.0 && y[1] > 0.0, "{y:?}");
    assert_eq!(&y[2..], &[0.0, 0.0]);
}

/// Checks `f` is nondecreasing on the consecutive f32s of `xs` (sorted).
fn assert_monotone(f: fn(&mut [f32]), xs: &[f32]) {
    let mut y = xs.to_vec();
    f(&mut y);
    for i in 1..y.len() {
        assert!(
            y[i] >= y[i - 1],
            "not monotone at {:e} → {:e}",
            xs[i - 1],
            xs[i]
        );
        assert!(y[i].is_finite());
    }
}

#[test]
fn sigmoid_and_tanh_monotone() {
    // Sorted sweep over all finite f32 with a stride, plus ±∞ ends ...
    let mut xs = sweep(-f32::MAX, f32::MAX, 4099);
    xs.extend([f32::INFINITY, f32::NEG_INFINITY, f32::MAX, -f32::MAX]);
    xs.sort_by(f32::total_cmp);
    assert_monotone(sigmoid, &xs);
    assert_monotone(tanh, &xs);
    // ... and every consecutive f32 around each place where the range
    // reduction switches n (x·log₂e = k + ½) or tanh switches formula.
    let mut centres: Vec<f32> = (-150..=150)
        .map(|k| ((k as f64 + 0.5) * std::f64::consts::LN_2) as f32)
        .collect();
    centres.extend([0.625, -0.625, 0.0]);
    for c in centres {
        let b = c.to_bits();
        let xs: Vec<f32> = if c >= 0.0 {
            (b.saturating_sub(2048)..b + 2048)
                .map(f32::from_bits)
                .collect()
        } else {
            (b - 2048..b + 2048).rev().map(f32::from_bits).collect()
        };
        assert_monotone(sigmoid, &xs);
        assert_monotone(tanh, &xs);
    }
}

#[test]
fn tails_and_positions_give_identical_bits() {
    // The same value must give the same bits whether it lands in a vector lane
    // or in the padded tail, for every slice length 0..=17.
    let base: Vec<f32> = (0..17).map(|i| (i as f32 - 8.3) * 1.7).collect();
    for (name, f) in [("sigmoid", sigmoid as fn(&mut [f32])), ("tanh", tanh)] {
        let mut full = base.clone();
        f(&mut full);
        for n in 0..=base.len() {
            for start in 0..n.min(3) {
                let mut part = base[start..n].to_vec();
                f(&mut part);
                let same = part
                    .iter()
                    .zip(&full[start..n])
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{name}: len {n}, start {start}");
            }
        }
    }
}
