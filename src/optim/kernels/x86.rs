//! Adam's element-wise update with x86-64 intrinsics (AVX-512F: 16 lanes,
//! AVX: 8 lanes), selected at run time with the GEMM kernel.
//!
//! Each lane performs exactly the operations of the portable kernel in its
//! order — `g + λp`, `m + (1−β₁)(g − m)`, `vβ₂ + ((1−β₂)g)g`, the flush of
//! tiny moments, `p + (s·m)/(√v + ε′)` — with separate multiplies and adds
//! (never fused) and IEEE 754 `sqrt` and `÷`, which are correctly rounded at
//! every vector width (IEEE 754-2019 §5.4.1). So the bits equal the scalar
//! code's; the tests below check it on every supported path.

#![allow(unsafe_code)]

use core::arch::x86_64::*;

use super::AdamScalars;
use crate::gemm::Kernel;

/// How far ahead (in floats: 1 KiB) the loops ask for the four arrays. The
/// update streams four arrays at once (19 MB for the deep network, mostly
/// out of cache); the hardware prefetcher alone leaves the loop waiting.
/// Measured on 1.2 M parameters, same process, interleaved: −6…−12 % in
/// cache, −9…−12 % after 64 MB of other traffic.
const AHEAD: usize = 256;

/// Asks for the cache line `AHEAD` floats past entry `i` of each array.
#[inline(always)]
fn prefetch(i: usize, p: *const f32, g: *const f32, m: *const f32, v: *const f32) {
    for base in [p, g, m, v] {
        // SAFETY: a prefetch never faults and reads nothing architecturally;
        // `wrapping_add` keeps the address computation defined past the end.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(i + AHEAD).cast::<i8>()) };
    }
}

/// Updates the longest prefix of the slices (equal lengths, checked by the
/// caller) that the best available instruction set handles in whole
/// vectors, and returns its length (0 when no x86 path applies).
pub(super) fn adam(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: &AdamScalars,
) -> usize {
    debug_assert!(g.len() == p.len() && m.len() == p.len() && v.len() == p.len());
    match Kernel::selected() {
        // SAFETY: the selected kernel is supported, so avx512f is available.
        Kernel::Avx512 => unsafe { adam_avx512(p, g, m, v, s) },
        // SAFETY: the AVX2 kernel is supported, so avx (a subset) is available.
        Kernel::Avx2 => unsafe { adam_avx(p, g, m, v, s) },
        _ => 0,
    }
}

/// The AVX-512F body: whole 16-lane vectors, returns how many were updated.
///
/// # Safety
/// avx512f must be available; the four slices have equal lengths.
#[target_feature(enable = "avx512f")]
unsafe fn adam_avx512(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: &AdamScalars,
) -> usize {
    let n = p.len() - p.len() % 16;
    let decay = s.weight_decay != 0.0;
    let w = _mm512_set1_ps(s.weight_decay);
    let b1 = _mm512_set1_ps(s.one_minus_beta1);
    let b2 = _mm512_set1_ps(s.beta2);
    let c2 = _mm512_set1_ps(s.one_minus_beta2);
    let eps = _mm512_set1_ps(s.eps * s.bc2_sqrt);
    let step = _mm512_set1_ps(s.neg_step_size * s.bc2_sqrt);
    let tiny = _mm512_set1_ps(s.flush_below);
    let zero = _mm512_setzero_ps();
    let flush = |x: __m512| {
        let small = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(_mm512_abs_ps(x), tiny);
        _mm512_mask_mov_ps(x, small, zero)
    };
    let (pp, gp, mp, vp) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
    for i in (0..n).step_by(16) {
        prefetch(i, pp, gp, mp, vp);
        // SAFETY: i + 16 ≤ n ≤ the length of every slice; unaligned loads and
        // stores; p, m, v are distinct `&mut` slices.
        unsafe {
            let pv = _mm512_loadu_ps(pp.add(i));
            let mut gv = _mm512_loadu_ps(gp.add(i));
            if decay {
                gv = _mm512_add_ps(gv, _mm512_mul_ps(w, pv));
            }
            let mv = _mm512_loadu_ps(mp.add(i));
            let mv = flush(_mm512_add_ps(mv, _mm512_mul_ps(b1, _mm512_sub_ps(gv, mv))));
            let vv = _mm512_mul_ps(_mm512_loadu_ps(vp.add(i)), b2);
            let vv = flush(_mm512_add_ps(vv, _mm512_mul_ps(_mm512_mul_ps(c2, gv), gv)));
            let den = _mm512_add_ps(_mm512_sqrt_ps(vv), eps);
            let pv = _mm512_add_ps(pv, _mm512_div_ps(_mm512_mul_ps(step, mv), den));
            _mm512_storeu_ps(pp.add(i), pv);
            _mm512_storeu_ps(mp.add(i), mv);
            _mm512_storeu_ps(vp.add(i), vv);
        }
    }
    n
}

/// The AVX body: whole 8-lane vectors, returns how many were updated.
///
/// # Safety
/// avx must be available; the four slices have equal lengths.
#[target_feature(enable = "avx")]
unsafe fn adam_avx(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: &AdamScalars,
) -> usize {
    let n = p.len() - p.len() % 8;
    let decay = s.weight_decay != 0.0;
    let w = _mm256_set1_ps(s.weight_decay);
    let b1 = _mm256_set1_ps(s.one_minus_beta1);
    let b2 = _mm256_set1_ps(s.beta2);
    let c2 = _mm256_set1_ps(s.one_minus_beta2);
    let eps = _mm256_set1_ps(s.eps * s.bc2_sqrt);
    let step = _mm256_set1_ps(s.neg_step_size * s.bc2_sqrt);
    let tiny = _mm256_set1_ps(s.flush_below);
    let sign = _mm256_set1_ps(-0.0);
    let flush = |x: __m256| {
        let small = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_andnot_ps(sign, x), tiny);
        _mm256_andnot_ps(small, x)
    };
    let (pp, gp, mp, vp) = (p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr());
    for i in (0..n).step_by(8) {
        if i % 16 == 0 {
            // One request per 64-byte line.
            prefetch(i, pp, gp, mp, vp);
        }
        // SAFETY: i + 8 ≤ n ≤ the length of every slice; unaligned loads and
        // stores; p, m, v are distinct `&mut` slices.
        unsafe {
            let pv = _mm256_loadu_ps(pp.add(i));
            let mut gv = _mm256_loadu_ps(gp.add(i));
            if decay {
                gv = _mm256_add_ps(gv, _mm256_mul_ps(w, pv));
            }
            let mv = _mm256_loadu_ps(mp.add(i));
            let mv = flush(_mm256_add_ps(mv, _mm256_mul_ps(b1, _mm256_sub_ps(gv, mv))));
            let vv = _mm256_mul_ps(_mm256_loadu_ps(vp.add(i)), b2);
            let vv = flush(_mm256_add_ps(vv, _mm256_mul_ps(_mm256_mul_ps(c2, gv), gv)));
            let den = _mm256_add_ps(_mm256_sqrt_ps(vv), eps);
            let pv = _mm256_add_ps(pv, _mm256_div_ps(_mm256_mul_ps(step, mv), den));
            _mm256_storeu_ps(pp.add(i), pv);
            _mm256_storeu_ps(mp.add(i), mv);
            _mm256_storeu_ps(vp.add(i), vv);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::super::{FLUSH_BELOW, adam_wide, flush};
    use super::*;
    use alloc::vec::Vec;

    /// Values spanning signs, magnitudes, tiny moments, zeros and NaN.
    fn data(n: usize, salt: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| {
                let h = (i ^ salt).wrapping_mul(0x9E37_79B9).rotate_left(13);
                match h % 11 {
                    0 => 0.0,
                    1 => FLUSH_BELOW * 1.5,
                    2 => -FLUSH_BELOW * 0.5,
                    3 if salt == 3 => f32::NAN,
                    _ => (h as f32 / u32::MAX as f32 - 0.5) * (1 << (h % 7)) as f32 * 1e-3,
                }
            })
            .collect()
    }

    fn scalars(weight_decay: f32) -> AdamScalars {
        AdamScalars {
            one_minus_beta1: 0.1,
            beta2: 0.999,
            one_minus_beta2: 0.001,
            bc2_sqrt: 0.054,
            eps: 1e-8,
            neg_step_size: -0.0053,
            weight_decay,
            flush_below: FLUSH_BELOW,
        }
    }

    type Body = unsafe fn(&mut [f32], &[f32], &mut [f32], &mut [f32], &AdamScalars) -> usize;

    fn check(body: Body, lanes: usize) {
        for (n, wd) in [(16 * 9 + 13, 0.0), (200, 0.01), (7, 0.0)] {
            let s = scalars(wd);
            let g = data(n, 1);
            let (mut p0, mut m0, mut v0) = (data(n, 2), data(n, 3), data(n, 4));
            for v in &mut v0 {
                *v = flush(v.abs(), FLUSH_BELOW);
            }
            let (mut p1, mut m1, mut v1) = (p0.clone(), m0.clone(), v0.clone());
            adam_wide(&mut p0, &g, &mut m0, &mut v0, s);
            // SAFETY: the caller checked the instruction set; equal lengths.
            let done = unsafe { body(&mut p1, &g, &mut m1, &mut v1, &s) };
            assert_eq!(done, n - n % lanes);
            adam_wide(
                &mut p1[done..],
                &g[done..],
                &mut m1[done..],
                &mut v1[done..],
                s,
            );
            // Any NaN stands for every NaN: Rust leaves the sign and payload
            // of a NaN result unspecified (Miri picks them at random).
            let bits = |x: &[f32]| {
                x.iter()
                    .map(|f| if f.is_nan() { u32::MAX } else { f.to_bits() })
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(&p0), bits(&p1), "parameters, n = {n}");
            assert_eq!(bits(&m0), bits(&m1), "first moments, n = {n}");
            assert_eq!(bits(&v0), bits(&v1), "second moments, n = {n}");
        }
    }

    #[test]
    fn avx512_matches_portable_bits() {
        if Kernel::Avx512.is_supported() {
            check(adam_avx512, 16);
        } else {
            #[cfg(feature = "std")]
            std::eprintln!("skipped: this CPU lacks AVX-512");
        }
    }

    #[test]
    fn avx_matches_portable_bits() {
        if Kernel::Avx2.is_supported() {
            check(adam_avx, 8);
        } else {
            #[cfg(feature = "std")]
            std::eprintln!("skipped: this CPU lacks AVX2 and FMA");
        }
    }
}
