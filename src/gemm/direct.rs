//! The unpacked path for narrow outputs, matrix-vector products and tiny
//! problems, where packing A would cost as much as the product.
//!
//! C is cut into 16-column strips. For each strip and each k block (see
//! [`super::kc_block`]), the strip of B is used in place when it is 16 full
//! columns with unit column stride (or any width, for kernels with masked
//! loads), and otherwise copied (zero-padded) into a `KC × 16` buffer; rows
//! of A are broadcast straight from their views, `dr` rows at a time:
//! `C[i, j0..j0+16] ← α·Σ_p A[i,p]·B[p, j0..j0+16] + β·C[i, j0..j0+16]`.
//! With AVX-512, outputs of at most [`NARROW_COLS`] columns whose rows of
//! A are contiguous along k take [`run_narrow`] instead, and one or two
//! rows of C with B and C of unit column stride take [`run_wide`] (128
//! columns a call).
//! The accumulation order per entry is the canonical one of
//! [`crate::gemm`], so this path gives the same bits as the packed path.

#![allow(unsafe_code)]

use super::kernel::{CTile, DirectA, Kernels, NarrowFn, STRIP};
use super::pack::{Src, pack};
use super::{Operand, Problem, k_blocks, kc_block};

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
    if let Some((rows, wide)) = ks.direct_wide
        && p.m <= rows
        && p.b.cs == 1
        && p.ccs == 1
    {
        // SAFETY: forwarded, with the wide kernel's conditions checked.
        unsafe { run_wide(wide, p) };
        return;
    }
    let ws = super::blocked::align64(ws);
    for j0 in (0..p.n).step_by(STRIP) {
        let w = STRIP.min(p.n - j0);
        for (pc, kc) in k_blocks(p.k) {
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

/// Rows of C per narrow-kernel call (one 16-lane vector).
const NARROW_ROWS: usize = 16;

/// Most columns of C the narrow kernel takes. Its cost per 16 rows and term
/// is about `n + 2` vector operations (n FMAs, the transpose), against 16
/// for the row-broadcast kernel's masked vectors; measured alternating in
/// one process on a Zen 4 core (m = 100, k = 256): 1.9× at n = 2, 1.4× at
/// n = 10, 1.09× at n = 12, 1.03× at 13, slower from 14 on.
pub(crate) const NARROW_COLS: usize = 12;

/// The narrow path for `n ≤ NARROW_COLS` columns of C with rows of A
/// contiguous along k: the narrow kernel `f` on blocks of 16 rows of C,
/// 16 terms of A at a time transposed in registers so that all 16 lanes of
/// a vector carry rows of C (the row-broadcast kernel of [`run`] fills only
/// n of them). The `r = m mod 16` rows left go to the narrow kernel in one
/// partly filled block when `r ≥ n + 2` (its cost per term is about `n + 2`
/// vector operations, the row-broadcast kernel's about one per row;
/// measured break-even at r = n + 2) and to [`run`] otherwise.
///
/// # Safety
/// As [`run`], with `p.n ≤ NARROW_COLS` and `p.a.cs == 1`.
pub(crate) unsafe fn run_narrow(ks: &Kernels, f: NarrowFn, p: &Problem, ws: &mut [f32]) {
    debug_assert!(p.n <= NARROW_COLS && p.a.cs == 1);
    let rem = p.m % NARROW_ROWS;
    let full = if rem >= p.n + 2 { p.m } else { p.m - rem };
    for i0 in (0..full).step_by(NARROW_ROWS) {
        let rows = NARROW_ROWS.min(full - i0);
        for (pc, kc) in k_blocks(p.k) {
            let a = DirectA {
                // SAFETY: (i0, pc) is an entry of A.
                ptr: unsafe { p.a.ptr.add(i0 * p.a.rs + pc) },
                rs: p.a.rs,
                cs: 1,
                rows,
            };
            let b = Operand {
                // SAFETY: (pc, 0) is an entry of B.
                ptr: unsafe { p.b.ptr.add(pc * p.b.rs) },
                ..p.b
            };
            let tile = CTile {
                // SAFETY: (i0, 0) is an entry of C.
                ptr: unsafe { p.c.add(i0 * p.crs) },
                rs: p.crs,
                cs: p.ccs,
                m: rows,
                n: p.n,
                alpha: p.alpha,
                beta: if pc == 0 { p.beta } else { 1.0 },
            };
            // SAFETY: `rows` rows × kc terms of A from (i0, pc), kc × n of
            // B from (pc, 0) and rows × n of C from (i0, 0) are inside
            // their views.
            unsafe { f(kc, &a, b, &tile) };
        }
    }
    if full < p.m {
        let rest = Problem {
            m: p.m - full,
            a: Operand {
                // SAFETY: row `full` < m of A exists.
                ptr: unsafe { p.a.ptr.add(full * p.a.rs) },
                ..p.a
            },
            // SAFETY: row `full` < m of C exists.
            c: unsafe { p.c.add(full * p.crs) },
            ..*p
        };
        // SAFETY: the last rows of a valid problem form a valid problem.
        unsafe { run(ks, &rest, ws) };
    }
}

/// Columns of C per wide-kernel call.
const WIDE_COLS: usize = 128;

/// A few rows of C (at most the wide kernel's) with B and C of unit column
/// stride: the wide direct kernel on 128 columns at a time, so that one
/// row still has eight independent accumulators (measured alternating in
/// one process on a Zen 4 core against 16-column strips: 1×784·784×256
/// 1.93×, 1×256·256×784 1.71×, 2×784·784×256 1.73×, 1×20·20×300 2.57×,
/// 1×100·100×17 1.44×, 1×100·100×10 1.01×; same bits).
///
/// # Safety
/// As [`run`], with `p.m` at most the wide kernel's rows, `p.b.cs == 1`
/// and `p.ccs == 1`.
unsafe fn run_wide(f: super::kernel::DirectFn, p: &Problem) {
    for j0 in (0..p.n).step_by(WIDE_COLS) {
        let w = WIDE_COLS.min(p.n - j0);
        for (pc, kc) in k_blocks(p.k) {
            let a = DirectA {
                // SAFETY: (0, pc) is an entry of A.
                ptr: unsafe { p.a.ptr.add(pc * p.a.cs) },
                rs: p.a.rs,
                cs: p.a.cs,
                rows: p.m,
            };
            let tile = CTile {
                // SAFETY: (0, j0) is an entry of C.
                ptr: unsafe { p.c.add(j0) },
                rs: p.crs,
                cs: 1,
                m: p.m,
                n: w,
                alpha: p.alpha,
                beta: if pc == 0 { p.beta } else { 1.0 },
            };
            // SAFETY: the m rows × kc terms of A from (0, pc), kc rows × w
            // columns of B from (pc, j0) (unit column stride) and m × w of
            // C from (0, j0) are inside their views.
            unsafe { f(kc, &a, p.b.ptr.add(pc * p.b.rs + j0), p.b.rs, &tile) };
        }
    }
}
