//! Activations with x86-64 vector widths chosen at run time (with the GEMM
//! kernel, [`Kernel::selected`]): `wide` fixes its instruction set when the
//! crate is compiled (SSE2 in a default build), and relu, one compare and
//! one select per vector, is limited by instruction count there: 1M
//! elements took 1.5× a plain loop's time (measured on a Zen 4 core).
//!
//! Each function is the plain per-element loop compiled for the wider
//! instruction set (LLVM vectorizes it); the arithmetic is exactly that of
//! the `wide` kernels, so the bits are the same.

#![allow(unsafe_code)]

use crate::gemm::Kernel;

/// [`super::relu`] with AVX-512 or AVX2 when the selected kernel has them;
/// returns `false` (nothing done) otherwise.
pub(super) fn relu(x: &mut [f32]) -> bool {
    match Kernel::selected() {
        // SAFETY: the selected kernel is supported, so avx512f is available.
        Kernel::Avx512 => unsafe { relu_avx512(x) },
        // SAFETY: the AVX2 kernel is supported, so avx2 is available.
        Kernel::Avx2 => unsafe { relu_avx2(x) },
        _ => return false,
    }
    true
}

/// `x ≤ 0 → +0`, otherwise `x` (NaN stays NaN: the compare is false).
#[inline(always)]
fn relu_loop(x: &mut [f32]) {
    for v in x {
        *v = if *v <= 0.0 { 0.0 } else { *v };
    }
}

/// # Safety
/// avx512f must be available.
#[target_feature(enable = "avx512f")]
unsafe fn relu_avx512(x: &mut [f32]) {
    relu_loop(x);
}

/// # Safety
/// avx2 must be available.
#[target_feature(enable = "avx2")]
unsafe fn relu_avx2(x: &mut [f32]) {
    relu_loop(x);
}
