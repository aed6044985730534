//! The packed BLIS path: five loops around a microkernel (van Zee & van de
//! Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality",
//! ACM TOMS 41(3), 2015, Fig. 2), plus the split over rows for threads.
//!
//! ```text
//! 5th loop  jc: columns of C and B in blocks of NC     (B block lives in L3)
//! 4th loop  pc: k in blocks of KC; pack B[pc.., jc..] → B̃ (KC × NC)
//! 3rd loop  ic: rows of C and A in blocks of MC; pack A[ic.., pc..] → Ã (MC × KC, L2)
//! 2nd loop  jr: NR-wide micro-panels of B̃          (stays in L1)
//! 1st loop  ir: MR-tall micro-panels of Ã
//! kernel    p : kc rank-1 updates of an MR × NR tile held in registers
//! ```
//!
//! The first KC block applies β; later blocks add with β = 1 (so a β = 0 call
//! never reads the old C). Splitting over rows or columns never changes the
//! order in which an entry accumulates over k.

#![allow(unsafe_code)]

use super::kernel::{CTile, Kernels};
use super::pack::{Src, pack, packed_len};
use super::{MC, NC, Problem, kc_block};

/// Scratch the packed path needs for an `m × k · k × n` problem (any kernel).
pub(crate) const fn workspace_len(m: usize, k: usize, n: usize) -> usize {
    let kc = kc_block(k);
    let mc = if m < MC { m } else { MC };
    let nc = if n < NC { n } else { NC };
    // +31 covers rounding up to any tile size ≤ 32; +32 aligns both buffers
    // to 64 bytes.
    (mc + 31) * kc + (nc + 31) * kc + 32
}

/// Runs the five loops on one problem.
///
/// # Safety
/// `p` must describe valid views (every entry of A and B readable, every
/// entry of C writable and not aliased), with `m, n, k ≥ 1`, and `ws` must
/// hold at least `workspace_len(p.m, p.k, p.n)` floats.
pub(crate) unsafe fn run(ks: &Kernels, p: &Problem, ws: &mut [f32]) {
    let (mr, nr) = (ks.mr, ks.nr);
    let a_len = packed_len(p.m.min(MC), kc_block(p.k), mr);
    let (wa, wb) = align64(ws).split_at_mut(a_len.next_multiple_of(16));
    let wb = align64(wb);
    // 5th loop: column blocks of C and B.
    for jc in (0..p.n).step_by(NC) {
        let nc = NC.min(p.n - jc);
        // 4th loop: blocks of the k dimension.
        for pc in (0..p.k).step_by(kc_block(p.k)) {
            let kc = kc_block(p.k).min(p.k - pc);
            let b_src = Src {
                // SAFETY: (pc, jc) is an entry of B.
                ptr: unsafe { p.b.ptr.add(pc * p.b.rs + jc * p.b.cs) },
                s_line: p.b.cs,
                s_k: p.b.rs,
            };
            // SAFETY: nc columns × kc rows from (pc, jc) are inside B; wb is
            // large enough by the workspace contract.
            unsafe { pack(b_src, nc, kc, nr, wb, ks.pack_lines) };
            let beta = if pc == 0 { p.beta } else { 1.0 };
            // 3rd loop: row blocks of C and A.
            for ic in (0..p.m).step_by(MC) {
                let mc = MC.min(p.m - ic);
                let a_src = Src {
                    // SAFETY: (ic, pc) is an entry of A.
                    ptr: unsafe { p.a.ptr.add(ic * p.a.rs + pc * p.a.cs) },
                    s_line: p.a.rs,
                    s_k: p.a.cs,
                };
                // SAFETY: mc rows × kc columns from (ic, pc) are inside A.
                unsafe { pack(a_src, mc, kc, mr, wa, ks.pack_lines) };
                let blk = Block {
                    ic,
                    jc,
                    mc,
                    nc,
                    kc,
                    beta,
                };
                // SAFETY: the packed panels cover the block; C covers it.
                unsafe { macro_loops(ks, p, &blk, wa, wb) };
            }
        }
    }
}

/// One (ic, jc) block of C with its packed operands.
struct Block {
    ic: usize,
    jc: usize,
    mc: usize,
    nc: usize,
    kc: usize,
    beta: f32,
}

/// The 2nd and 1st loops over micro-panels of the packed block.
///
/// # Safety
/// `wa`, `wb` hold the packed panels of the block; the block lies inside C.
#[inline]
unsafe fn macro_loops(ks: &Kernels, p: &Problem, blk: &Block, wa: &[f32], wb: &[f32]) {
    let (mr, nr, kc) = (ks.mr, ks.nr, blk.kc);
    // 2nd loop: NR-wide micro-panels of B̃.
    for ir in (0..blk.mc).step_by(mr) {
        // 1st loop: MR-tall micro-panels of Ã.
        for jr in (0..blk.nc).step_by(nr) {
            let (i, j) = (blk.ic + ir, blk.jc + jr);
            let tile = CTile {
                // SAFETY: (i, j) is an entry of C.
                ptr: unsafe { p.c.add(i * p.crs + j * p.ccs) },
                rs: p.crs,
                cs: p.ccs,
                m: mr.min(blk.mc - ir),
                n: nr.min(blk.nc - jr),
                alpha: p.alpha,
                beta: blk.beta,
            };
            // SAFETY: micro-panels ir/mr and jr/nr hold kc·mr and kc·nr
            // packed floats; the tile lies inside C.
            unsafe { (ks.packed)(kc, wa[ir * kc..].as_ptr(), wb[jr * kc..].as_ptr(), &tile) };
        }
    }
}

/// The part of `ws` that starts on a 64-byte boundary (at most 15 floats are
/// skipped), so that packed rows never straddle cache lines.
pub(crate) fn align64(ws: &mut [f32]) -> &mut [f32] {
    let skip = ws.as_ptr().align_offset(64).min(ws.len());
    &mut ws[skip..]
}
