//! The per-element update rules of Adam and SGD, in PyTorch's operation order,
//! eight lanes at a time with `wide` (only `+ − × ÷` and `sqrt`, all correctly
//! rounded in IEEE 754, so a lane gives the same bits as the scalar tail).
//! On x86-64 Adam runs AVX-512F or AVX intrinsics chosen at run time with the
//! GEMM kernel ([`crate::gemm::Kernel::selected`]), same operations in the
//! same order, hence the same bits (`x86.rs`).

use wide::f32x8;

#[cfg(target_arch = "x86_64")]
mod x86;

/// Scalars of one Adam step, already cast to `f32` as PyTorch does.
#[derive(Debug, Clone, Copy)]
pub(super) struct AdamScalars {
    /// `1 − β₁` (the `lerp` weight).
    pub one_minus_beta1: f32,
    /// `β₂`.
    pub beta2: f32,
    /// `1 − β₂`.
    pub one_minus_beta2: f32,
    /// `√(1 − β₂ᵗ)`.
    pub bc2_sqrt: f32,
    /// `ε`.
    pub eps: f32,
    /// `−lr / (1 − β₁ᵗ)`.
    pub neg_step_size: f32,
    /// L2 weight decay `λ` (0 for none).
    pub weight_decay: f32,
    /// Moments of smaller magnitude are set to zero ([`flush_threshold`]).
    pub flush_below: f32,
}

/// `g ← g + λp; m ← m + (1−β₁)(g − m); v ← β₂v + ((1−β₂)g)g;
/// p ← p + (−α√c₂)·m / (√v + ε√c₂)` with `α = lr/(1 − β₁ᵗ)`, `c₂ = 1 − β₂ᵗ`.
///
/// PyTorch evaluates the last step as `p + (−α)·m / (√v/√c₂ + ε)`, with two
/// divisions; multiplying through by `√c₂` is the same number in exact
/// arithmetic, differs by about an ulp in f32, and is 25 % faster here.
///
/// # Panics
/// If the four slices differ in length.
pub(super) fn adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamScalars) {
    let n = p.len();
    assert!(
        g.len() == n && m.len() == n && v.len() == n,
        "adam: lengths differ"
    );
    if s.eps * s.bc2_sqrt == 0.0 {
        adam_without_eps(p, g, m, v, s);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let (p, g, m, v) = {
        let done = x86::adam(p, g, m, v, &s);
        (&mut p[done..], &g[done..], &mut m[done..], &mut v[done..])
    };
    adam_wide(p, g, m, v, s);
}

/// [`adam`] with `wide` vectors (equal lengths checked by the caller).
fn adam_wide(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamScalars) {
    let split = p.len() - p.len() % 8;
    let (p8, pt) = p.split_at_mut(split);
    let (m8, mt) = m.split_at_mut(split);
    let (v8, vt) = v.split_at_mut(split);
    let (g8, gt) = g.split_at(split);
    let w = f32x8::splat(s.weight_decay);
    let b1 = f32x8::splat(s.one_minus_beta1);
    let b2 = f32x8::splat(s.beta2);
    let c2 = f32x8::splat(s.one_minus_beta2);
    // α·m/(√v/√c₂ + ε) = (α√c₂)·m/(√v + ε√c₂): one division instead of two.
    let eps = f32x8::splat(s.eps * s.bc2_sqrt);
    let step = f32x8::splat(s.neg_step_size * s.bc2_sqrt);
    let tiny = f32x8::splat(s.flush_below);
    let chunks = p8
        .chunks_exact_mut(8)
        .zip(m8.chunks_exact_mut(8))
        .zip(v8.chunks_exact_mut(8).zip(g8.chunks_exact(8)));
    for ((pc, mc), (vc, gc)) in chunks {
        let pv = f32x8::new(to8(pc));
        let mut gv = f32x8::new(to8(gc));
        if s.weight_decay != 0.0 {
            gv += w * pv;
        }
        let mv = f32x8::new(to8(mc));
        let mv = flush8(mv + b1 * (gv - mv), tiny);
        let vv = flush8(f32x8::new(to8(vc)) * b2 + c2 * gv * gv, tiny);
        let pv = pv + step * mv / (vv.sqrt() + eps);
        pc.copy_from_slice(&pv.to_array());
        mc.copy_from_slice(&mv.to_array());
        vc.copy_from_slice(&vv.to_array());
    }
    for (((p, m), v), &g) in pt.iter_mut().zip(mt).zip(vt).zip(gt) {
        let mut g = g;
        if s.weight_decay != 0.0 {
            g += s.weight_decay * *p;
        }
        *m = flush(*m + s.one_minus_beta1 * (g - *m), s.flush_below);
        *v = flush(*v * s.beta2 + s.one_minus_beta2 * g * g, s.flush_below);
        let denom = libm::sqrtf(*v) + s.eps * s.bc2_sqrt;
        *p += (s.neg_step_size * s.bc2_sqrt) * *m / denom;
    }
}

/// [`adam`] when `ε√(1 − β₂ᵗ)` is 0 in f32: the same operations (hence the
/// same bits), except that a parameter whose `√v` is 0 is not moved. Its
/// step would be 0/0 = NaN (no gradient yet) or m/0 = ±∞ (gradients whose
/// squares underflow), where any ε > 0 gives 0 or a finite step.
fn adam_without_eps(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamScalars) {
    let step = s.neg_step_size * s.bc2_sqrt;
    for (((p, m), v), &g) in p.iter_mut().zip(m).zip(v).zip(g) {
        let g = decayed(g, *p, s.weight_decay);
        *m = flush(*m + s.one_minus_beta1 * (g - *m), s.flush_below);
        *v = flush(*v * s.beta2 + s.one_minus_beta2 * g * g, s.flush_below);
        let denom = libm::sqrtf(*v);
        if denom != 0.0 {
            *p += step * *m / denom;
        }
    }
}

/// Moments below this magnitude (2⁻¹⁰⁰ ≈ 7.9·10⁻³¹) are set to zero.
///
/// Without it, the first moment of a weight whose gradient has become zero
/// (e.g. of an input pixel that is 0 in every later batch) decays by β₁ per
/// step into the subnormal range, where x86 arithmetic is ~50× slower: on
/// MNIST ~2 % of the moments sit there, doubling the cost of the Adam step.
/// Flushing is negligible only beside a large enough `ε̂ = ε√(1 − β₂ᵗ)`, the
/// denominator's floor ([`flush_threshold`]).
pub(super) const FLUSH_BELOW: f32 = 1.0 / (1u128 << 100) as f32;

/// The smallest `ε̂ = ε√(1 − β₂ᵗ)` beside which the moments are flushed:
/// 2⁻³². The update is `lr·c·m/(√v + ε̂)` with `c = √(1 − β₂ᵗ)/(1 − β₁ᵗ)`,
/// so a flushed first moment then changes it by less than
/// `lr·c·2⁻¹⁰⁰/ε̂ = lr·c·2⁻⁶⁸` (c ≤ 1 at every step with the default betas:
/// then below half an ulp of a parameter above `lr·2⁻⁴⁴`), and a flushed
/// second moment (`√v < 2⁻⁵⁰`) the denominator
/// `√v + ε̂` by less than 2⁻¹⁸ of itself. With a smaller ε̂ (ε = 0 is
/// allowed) `√v` alone may set the step, and flushing `v` while `m` is not
/// flushed would turn the step into `m/0`.
const MIN_FLUSH_EPS: f32 = 1.0 / (1u64 << 32) as f32;

/// The magnitude below which one step's moments are flushed to zero:
/// [`FLUSH_BELOW`], or 0 (nothing is flushed) when `eps_hat` (= `ε√(1 − β₂ᵗ)`)
/// is below [`MIN_FLUSH_EPS`].
pub(super) fn flush_threshold(eps_hat: f32) -> f32 {
    if eps_hat >= MIN_FLUSH_EPS {
        FLUSH_BELOW
    } else {
        0.0
    }
}

#[inline(always)]
pub(super) fn flush(x: f32, below: f32) -> f32 {
    if x.abs() < below { 0.0 } else { x }
}

#[inline(always)]
fn flush8(x: f32x8, below: f32x8) -> f32x8 {
    // NaN compares false and is kept, as in the scalar `flush`.
    x & !x.abs().simd_lt(below)
}

/// Parameters at least this long are updated by two threads (feature
/// `parallel`): each half costs ~40 µs for 784×256 weights, a hand-off to
/// the pool's worker a few µs.
#[cfg(feature = "parallel")]
const PARALLEL_MIN: usize = 1 << 16;

/// [`adam`] on up to `threads` threads (two halves of a long parameter; the
/// update is element-wise, so the bits do not depend on the split).
pub(super) fn adam_threads(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    s: AdamScalars,
    threads: usize,
) {
    #[cfg(feature = "parallel")]
    if threads > 1 && p.len() >= PARALLEL_MIN && g.len() == p.len() {
        let half = (p.len() / 2) & !7;
        let (p0, p1) = p.split_at_mut(half);
        let (g0, g1) = g.split_at(half);
        let (m0, m1) = m.split_at_mut(half);
        let (v0, v1) = v.split_at_mut(half);
        crate::gemm::pool::join(|| adam(p0, g0, m0, v0, s), || adam(p1, g1, m1, v1, s));
        return;
    }
    let _ = threads;
    adam(p, g, m, v, s);
}

/// Scalars of one SGD step.
#[derive(Debug, Clone, Copy)]
pub(super) struct SgdScalars {
    /// `−lr`.
    pub neg_lr: f32,
    /// `μ`.
    pub momentum: f32,
    /// L2 weight decay `λ`.
    pub weight_decay: f32,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// First step: the momentum buffer starts as the gradient.
    pub first: bool,
}

/// `g ← g + λp`; with momentum `b ← g` (first step) or `b ← μb + g`, then
/// `g ← g + μb` (Nesterov) or `g ← b`; `p ← p + (−lr)g` (PyTorch, dampening 0).
pub(super) fn sgd(p: &mut [f32], g: &[f32], buf: Option<&mut [f32]>, s: SgdScalars) {
    assert_eq!(p.len(), g.len(), "sgd: lengths differ");
    match buf {
        None => {
            for (p, &g) in p.iter_mut().zip(g) {
                let g = decayed(g, *p, s.weight_decay);
                *p += s.neg_lr * g;
            }
        }
        Some(buf) => {
            assert_eq!(buf.len(), p.len(), "sgd: lengths differ");
            for ((p, &g), b) in p.iter_mut().zip(g).zip(buf) {
                let g = decayed(g, *p, s.weight_decay);
                *b = if s.first { g } else { *b * s.momentum + g };
                let d = if s.nesterov { g + s.momentum * *b } else { *b };
                *p += s.neg_lr * d;
            }
        }
    }
}

/// `g + λp`, or `g` itself when `λ = 0` (as PyTorch, which skips the term).
#[inline(always)]
fn decayed(g: f32, p: f32, weight_decay: f32) -> f32 {
    if weight_decay != 0.0 {
        g + weight_decay * p
    } else {
        g
    }
}

#[inline(always)]
fn to8(s: &[f32]) -> [f32; 8] {
    let mut a = [0.0; 8];
    a.copy_from_slice(s);
    a
}
