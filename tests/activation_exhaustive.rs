//! Exhaustive monotonicity of σ and tanh over every f32 from −∞ to +∞
//! (≈ 4.3·10⁹ values; minutes in a release build, so `#[ignore]`d:
//! `cargo test --release --test activation_exhaustive -- --ignored`).

use deepinit::activation::{sigmoid, tanh};

/// The f32 of rank `k` in the total order of non-NaN floats (−0 and +0 both).
fn ord(k: i64) -> f32 {
    if k >= 0 {
        f32::from_bits(k as u32)
    } else {
        f32::from_bits(0x8000_0000 | (-k) as u32)
    }
}

/// Number of consecutive pairs (x, next x) with f(next) < f(x), or non-finite output.
fn violations(f: fn(&mut [f32])) -> u64 {
    let top = i64::from(f32::INFINITY.to_bits());
    let mut prev = f32::NEG_INFINITY;
    let mut bad = 0;
    let mut buf = vec![0.0f32; 1 << 20];
    let mut k = -top;
    while k <= top {
        let n = buf.len().min((top - k + 1) as usize);
        for (i, v) in buf[..n].iter_mut().enumerate() {
            *v = ord(k + i as i64);
        }
        f(&mut buf[..n]);
        for &y in &buf[..n] {
            bad += u64::from(y < prev || y.is_nan());
            prev = y;
        }
        k += n as i64;
    }
    bad
}

#[test]
#[ignore = "minutes: cargo test --release --test activation_exhaustive -- --ignored"]
fn sigmoid_monotone_for_every_f32() {
    assert_eq!(violations(sigmoid), 0);
}

#[test]
#[ignore = "minutes: cargo test --release --test activation_exhaustive -- --ignored"]
fn tanh_monotone_for_every_f32() {
    assert_eq!(violations(tanh), 0);
}
