//! Splitting a packed GEMM over threads (feature `parallel`).
//!
//! Rows of C are cut into `t` contiguous bands, each with its own share of
//! the workspace; each band is an independent BLIS product (BLIS's "ic loop"
//! parallelism, Smith et al., "Anatomy of High-Performance Many-Threaded
//! Matrix Multiplication", IPDPS 2014). k is never split, so every entry
//! accumulates in the canonical order and the bits match one thread.

#![allow(unsafe_code)]

use super::kernel::Kernels;
use super::{Problem, blocked};

/// Below this many multiply-adds a second thread costs more than it saves.
const MIN_VOLUME: usize = 1 << 21;
/// Bands are multiples of this many rows (a multiple of every tile height).
const ROW_GRAIN: usize = 48;

/// A problem band that may be sent to another thread.
struct Band(Problem);

// SAFETY: a band's raw pointers address A and B (read-only, shared) and a
// set of rows of C that no other band touches; the scope joins every thread
// before the borrows behind the pointers end.
unsafe impl Send for Band {}

/// Runs `p` on up to `threads` threads.
///
/// # Safety
/// As [`blocked::run`], with `ws` holding `threads` times the one-thread
/// workspace of `p`.
pub(crate) unsafe fn run(ks: &Kernels, p: &Problem, ws: &mut [f32], threads: usize) {
    let volume = p.m.saturating_mul(p.n).saturating_mul(p.k);
    let t = threads.min(p.m / ROW_GRAIN).min(volume / MIN_VOLUME).max(1);
    if t == 1 {
        // SAFETY: forwarded.
        unsafe { blocked::run(ks, p, ws) };
        return;
    }
    let per = ws.len() / t;
    let band_rows = p.m.div_ceil(t).div_ceil(ROW_GRAIN) * ROW_GRAIN;
    std::thread::scope(|s| {
        let mut rest = &mut ws[..];
        for i0 in (0..p.m).step_by(band_rows) {
            let (mine, tail) = rest.split_at_mut(per);
            rest = tail;
            // SAFETY: row i0 < m of A exists.
            let a_ptr = unsafe { p.a.ptr.add(i0 * p.a.rs) };
            // SAFETY: row i0 < m of C exists.
            let c_ptr = unsafe { p.c.add(i0 * p.crs) };
            let band = Band(Problem {
                m: band_rows.min(p.m - i0),
                a: super::Operand { ptr: a_ptr, ..p.a },
                c: c_ptr,
                ..*p
            });
            let ks = *ks;
            let work = move || {
                let band = band;
                // SAFETY: the band is a valid sub-problem with its own rows
                // of C and its own workspace share (≥ the one-thread need of
                // the whole problem, hence of the band).
                unsafe { blocked::run(&ks, &band.0, mine) };
            };
            if i0 + band_rows >= p.m {
                work();
            } else {
                s.spawn(work);
            }
        }
    });
}
