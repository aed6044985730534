//! The unpacked path for narrow outputs, matrix-vector products and tiny
//! problems, where packing A would cost as much as the product.
//!
//! C is cut into 16-column strips. For each strip and each k block (see
//! [`super::kc_block`]), the strip of B is used in place when it is 16 full
//! columns with unit column stride (or any width, for kernels with masked
//! loads), and otherwise copied (zero-padded) into a `KC × 16` buffer; rows
//! of A are broadcast straight from their views, `dr` rows at a time:
//! `C[i, j0..j0+16] ← α·Σ_p A[i,p]·B[p, j0..j0+16] + β·C[i, j0..j0+16]`.
//! The accumulation order per entry is the canonical one of
//! [`crate::gemm`], so this path gives the same bits as the packed path.

#![allow(unsafe_code)]

use super::kernel::{CTile, DirectA, Kernels, STRIP};
use super::pack::{Src, pack};
use super::{Problem, kc_block};

/// Scratch the direct path needs (one packed strip).
pub(crate) const fn workspace_len(k: usize) -> usize {
    kc_block(k) * STRIP + 16
}

/// Runs the direct path.
///
/// # Safety
/// `p` must describe valid views with `m, n, k ≥ 1`, and `ws` must hold at
/// least `workspace_len(p.k)` floats.
pub(crate) unsafe fn run(ks: &Kernels, p: &Problem, ws: &mut [f32]) {
    let ws = super::blocked::align64(ws);
    for j0 in (0..p.n).step_by(STRIP) {
        let w = STRIP.min(p.n - j0);
        for pc in (0..p.k).step_by(kc_block(p.k)) {
            let kc = kc_block(p.k).min(p.k - pc);
            // SAFETY: (pc, j0) is an entry of B.
            let b0 = unsafe { p.b.ptr.add(pc * p.b.rs + j0 * p.b.cs) };
            let (bptr, ldb) = if (w == STRIP || ks.direct_masked) && p.b.cs == 1 {
                (b0, p.b.rs)
            } else {
                let src = Src {
                    ptr: b0,
                    s_line: p.b.cs,
                    s_k: p.b.rs,
                };
                // SAFETY: w columns × kc rows from (pc, j0) are inside B and
                // ws holds kc·16 floats.
                unsafe { pack(src, w, kc, STRIP, ws, ks.pack_lines) };
                (ws.as_ptr(), STRIP)
            };
            let beta = if pc == 0 { p.beta } else { 1.0 };
            for i0 in (0..p.m).step_by(ks.dr) {
                let rows = ks.dr.min(p.m - i0);
                let a = DirectA {
                    // SAFETY: (i0, pc) is an entry of A.
                    ptr: unsafe { p.a.ptr.add(i0 * p.a.rs + pc * p.a.cs) },
                    rs: p.a.rs,
                    cs: p.a.cs,
                    rows,
                };
                let tile = CTile {
                    // SAFETY: (i0, j0) is an entry of C.
                    ptr: unsafe { p.c.add(i0 * p.crs + j0 * p.ccs) },
                    rs: p.crs,
                    cs: p.ccs,
                    m: rows,
                    n: w,
                    alpha: p.alpha,
                    beta,
                };
                // SAFETY: rows × kc of A, kc × 16 of the strip and rows × w
                // of C are all inside their views / buffer.
                unsafe { (ks.direct)(kc, &a, bptr, ldb, &tile) };
            }
        }
    }
}
