//! Packing of A and B panels into contiguous, zero-padded micro-panels
//! (BLIS, van Zee & van de Geijn 2015, §3: "packing").
//!
//! A block `X` of `len × kc` entries (rows of A, or columns of B) is cut into
//! panels of `w` lines; panel `q` is stored k-major:
//! `dst[q·w·kc + p·w + i] = X[q·w + i, p]`, and lines past `len` are zero, so a
//! microkernel always runs on full `w`-wide panels and the padding only feeds
//! tile entries that are never stored.

#![allow(unsafe_code)]

/// A strided source block: entry `(i, p)` is at `ptr + i·s_line + p·s_k`.
#[derive(Clone, Copy)]
pub(crate) struct Src {
    /// Entry `(0, 0)`.
    pub ptr: *const f32,
    /// Stride between lines (the dimension cut into panels).
    pub s_line: usize,
    /// Stride along k.
    pub s_k: usize,
}

/// Elements [`pack`] writes for `len` lines, `kc` terms and panel width `w`.
pub(crate) const fn packed_len(len: usize, kc: usize, w: usize) -> usize {
    len.div_ceil(w) * w * kc
}

/// Packs `len × kc` entries of `src` into `w`-wide zero-padded panels.
///
/// # Safety
/// Every entry `(i, p)` with `i < len`, `p < kc` of `src` must be readable, and
/// `dst.len() ≥ packed_len(len, kc, w)`.
pub(crate) unsafe fn pack(src: Src, len: usize, kc: usize, w: usize, dst: &mut [f32]) {
    debug_assert!(dst.len() >= packed_len(len, kc, w));
    for (q, panel) in dst[..packed_len(len, kc, w)]
        .chunks_exact_mut(w * kc)
        .enumerate()
    {
        let lines = (len - q * w).min(w);
        let base = Src {
            // SAFETY: line q·w < len exists in the source block.
            ptr: unsafe { src.ptr.add(q * w * src.s_line) },
            ..src
        };
        // SAFETY: forwarded: lines ≤ w lines of kc entries from `base` exist.
        unsafe { pack_panel(base, lines, kc, w, panel) };
    }
}

/// Packs one panel of `lines ≤ w` lines.
///
/// # Safety
/// Entries `(i, p)`, `i < lines`, `p < kc` of `src` are readable;
/// `panel.len() == w·kc`.
#[inline]
unsafe fn pack_panel(src: Src, lines: usize, kc: usize, w: usize, panel: &mut [f32]) {
    debug_assert_eq!(panel.len(), w * kc);
    if lines < w {
        panel.fill(0.0);
    }
    if src.s_k == 1 && src.s_line != 1 {
        // Each line is contiguous along k: read it sequentially.
        for i in 0..lines {
            // SAFETY: line i < lines exists.
            let line = unsafe { src.ptr.add(i * src.s_line) };
            for (p, d) in panel.iter_mut().skip(i).step_by(w).enumerate() {
                // SAFETY: p < kc because the panel has exactly kc rows of w.
                *d = unsafe { *line.add(p) };
            }
        }
    } else {
        // Lines contiguous (or general strides): copy one k-row at a time.
        for (p, row) in panel.chunks_exact_mut(w).enumerate() {
            // SAFETY: p < kc.
            let src_row = unsafe { src.ptr.add(p * src.s_k) };
            for (i, d) in row[..lines].iter_mut().enumerate() {
                // SAFETY: i < lines.
                *d = unsafe { *src_row.add(i * src.s_line) };
            }
        }
    }
}
