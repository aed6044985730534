//! Splitting a packed GEMM over threads (feature `parallel`).
//!
//! C is cut into `t` contiguous bands, each an independent BLIS product with
//! its own share of the workspace, run on the persistent [`pool`]
//! (Smith et al., "Anatomy of High-Performance Many-Threaded Matrix
//! Multiplication", IPDPS 2014). Bands are rows of C (BLIS's "ic loop") when
//! `m ≥ n` and columns of C (the "jc loop") when `m < n`: each band packs all
//! of one operand and its share of the other, so cutting the longer side
//! repeats the smaller operand's packing (`min(m, n)·k` floats per extra
//! band). k is never split, so every entry accumulates in the canonical
//! order and the bits match one thread.

#![allow(unsafe_code)]

use super::kernel::Kernels;
use super::{Operand, Problem, blocked, pool};

/// Below this many multiply-adds a second thread costs more than it saves.
/// (Lower under Miri, as `DIRECT_MAX_VOLUME`, to check the pool on small
/// shapes.)
const MIN_VOLUME: usize = if cfg!(miri) { 1 << 10 } else { 1 << 21 };
/// Row bands start at multiples of this many rows (the AVX-512 tile
/// height), and a band has at least two grains.
const ROW_GRAIN: usize = 8;
/// Column bands start at multiples of this many columns (the AVX-512 tile
/// width).
const COL_GRAIN: usize = 32;

/// A problem and workspace that the pool's threads share.
struct Shared {
    p: Problem,
    ws: *mut f32,
    per: usize,
    /// Grains (the last one may be partial) along the split side.
    grains: usize,
    grain: usize,
    bands: usize,
    by_rows: bool,
    ks: Kernels,
}

// SAFETY: the raw pointers address A and B (read-only), C and the workspace;
// every task touches only its own band of C and its own workspace share, and
// `pool::for_each` returns only after every task has finished.
unsafe impl Sync for Shared {}

impl Shared {
    /// Runs band `i`.
    ///
    /// # Safety
    /// `i` is a band index of this split, called once per band.
    unsafe fn run_band(&self, i: usize) {
        let p = &self.p;
        let len = if self.by_rows { p.m } else { p.n };
        // Band i holds grains ⌊i·g/t⌋ .. ⌊(i+1)·g/t⌋: sizes differ by at
        // most one grain.
        let start = i * self.grains / self.bands * self.grain;
        let end = ((i + 1) * self.grains / self.bands * self.grain).min(len);
        let band = if self.by_rows {
            // SAFETY: row `start` < m of A and of C exists.
            let (a, c) = unsafe { (p.a.ptr.add(start * p.a.rs), p.c.add(start * p.crs)) };
            Problem {
                m: end - start,
                a: Operand { ptr: a, ..p.a },
                c,
                ..*p
            }
        } else {
            // SAFETY: column `start` < n of B and of C exists.
            let (b, c) = unsafe { (p.b.ptr.add(start * p.b.cs), p.c.add(start * p.ccs)) };
            Problem {
                n: end - start,
                b: Operand { ptr: b, ..p.b },
                c,
                ..*p
            }
        };
        // SAFETY: band i's share of the workspace lies inside it and no other
        // band uses it.
        let ws = unsafe { core::slice::from_raw_parts_mut(self.ws.add(i * self.per), self.per) };
        // SAFETY: the band is a valid sub-problem with its own entries of C
        // and a workspace share ≥ the one-thread need of the whole problem.
        unsafe { blocked::run(&self.ks, &band, ws) };
    }
}

/// The most threads [`run`] gives an `m × k · k × n` product, in either
/// orientation (an upper bound: the direct path for small sides uses one).
pub(crate) fn max_useful(m: usize, n: usize, k: usize) -> usize {
    let volume = m.saturating_mul(n).saturating_mul(k);
    (m.max(n) / (2 * ROW_GRAIN.min(COL_GRAIN)))
        .min(volume / MIN_VOLUME)
        .max(1)
}

/// Runs `p` on up to `threads` threads.
///
/// # Safety
/// As [`blocked::run`], with `ws` holding `threads` times the one-thread
/// workspace of `p`.
pub(crate) unsafe fn run(ks: &Kernels, p: &Problem, ws: &mut [f32], threads: usize) {
    let volume = p.m.saturating_mul(p.n).saturating_mul(p.k);
    let by_rows = p.m >= p.n;
    let (len, grain) = if by_rows {
        (p.m, ROW_GRAIN)
    } else {
        (p.n, COL_GRAIN)
    };
    let t = threads
        .min(len / (2 * grain))
        .min(volume / MIN_VOLUME)
        .max(1);
    if t == 1 {
        // SAFETY: forwarded.
        unsafe { blocked::run(ks, p, ws) };
        return;
    }
    let shared = Shared {
        p: *p,
        ws: ws.as_mut_ptr(),
        per: ws.len() / t,
        grains: len.div_ceil(grain),
        grain,
        bands: t,
        by_rows,
        ks: *ks,
    };
    // SAFETY: each index below `t` is run once; bands are disjoint and, as
    // t ≤ len / (2·grain), none is empty.
    pool::for_each(t, &|i| unsafe { shared.run_band(i) });
}
