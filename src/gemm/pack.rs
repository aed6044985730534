//! Packing of A and B panels into contiguous, zero-padded micro-panels
//! (BLIS, van Zee & van de Geijn 2015, §3: "packing").
//!
//! A block `X` of `len × kc` entries (rows of A, or columns of B) is cut into
//! panels of `w` lines; panel `q` is stored k-major:
//! `dst[q·w·kc + p·w + i] = X[q·w + i, p]`, and lines past `len` are zero, so a
//! microkernel always runs on full `w`-wide panels and the padding only feeds
//! tile entries that are never stored.

#![allow(unsafe_code)]

use super::kernel::PackLinesFn;

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

/// Packs `len × kc` entries of `src` into `w`-wide zero-padded panels, with
/// `lines` (the kernel set's transposing packer, if it has one) for lines
/// contiguous along k.
///
/// # Safety
/// Every entry `(i, p)` with `i < len`, `p < kc` of `src` must be readable,
/// `dst.len() ≥ packed_len(len, kc, w)`, and `lines` (if any) must come from
/// a kernel set this CPU supports.
pub(crate) unsafe fn pack(
    src: Src,
    len: usize,
    kc: usize,
    w: usize,
    dst: &mut [f32],
    lines: Option<PackLinesFn>,
) {
    debug_assert!(dst.len() >= packed_len(len, kc, w));
    // Long contiguous blocks: the full panels by source rows, then the
    // partial one (if any) below.
    let done = if src.s_line == 1 && len >= PAGE_LINES {
        // SAFETY: forwarded.
        unsafe { pack_by_rows(src, len / w, kc, w, dst) };
        len / w
    } else {
        0
    };
    for (q, panel) in dst[..packed_len(len, kc, w)]
        .chunks_exact_mut(w * kc)
        .enumerate()
        .skip(done)
    {
        let n = (len - q * w).min(w);
        let base = Src {
            // SAFETY: line q·w < len exists in the source block.
            ptr: unsafe { src.ptr.add(q * w * src.s_line) },
            ..src
        };
        // SAFETY: forwarded: `n ≤ w` lines of kc entries from `base` exist.
        unsafe { pack_panel(base, n, kc, w, panel, lines) };
    }
}

/// Lines per 4 KiB page: blocks of contiguous lines at least this long are
/// packed by source rows (fixed k).
const PAGE_LINES: usize = 1024;

/// Source rows (pages) [`pack_by_rows`] reads side by side, so that the
/// prefetcher runs that many page streams at once: measured alternating in
/// one process against one row at a time, 1024³ 1.010–1.018 (busy: 0.99–
/// 1.00), 2048³ 1.017–1.033, 100×1024·1024×1024 (whose product is mostly
/// B's packing) 1.07–1.09; against four rows 0.99–1.02.
const ROWS_IN_FLIGHT: usize = 8;

/// Packs the first `panels` full panels of a block of lines contiguous in
/// memory (`s_line == 1`), walking the source rows [`ROWS_IN_FLIGHT`] at a
/// time from their first line to their last and scattering them into the
/// panels. Panel by panel, a block of NC = 1024 lines would read 128 bytes
/// from each of kc pages, then the next 128 bytes of each: the hardware
/// prefetcher, which follows a run within one page, never sees one. Row by
/// row, every page is read start to end (1024³ +0.7–1.4 %, measured
/// alternating with panel order in one process; −1 % at 256³, whose
/// 256-line block is cache-resident, hence the threshold).
///
/// # Safety
/// Entries `(i, p)`, `i < panels·w`, `p < kc` of `src` are readable, with
/// `src.s_line == 1`; `dst` holds at least `panels·w·kc` floats.
unsafe fn pack_by_rows(src: Src, panels: usize, kc: usize, w: usize, dst: &mut [f32]) {
    debug_assert_eq!(src.s_line, 1);
    for p0 in (0..kc).step_by(ROWS_IN_FLIGHT) {
        let rows = p0..kc.min(p0 + ROWS_IN_FLIGHT);
        for (q, panel) in dst.chunks_exact_mut(w * kc).take(panels).enumerate() {
            for p in rows.clone() {
                // SAFETY: entries (q·w .. q·w + w, p) exist (p < kc,
                // q < panels) and are contiguous.
                unsafe { copy_line(src.ptr.add(p * src.s_k + q * w), &mut panel[p * w..][..w]) };
            }
        }
    }
}

/// Packs one panel of `lines ≤ w` lines.
///
/// # Safety
/// Entries `(i, p)`, `i < lines`, `p < kc` of `src` are readable;
/// `panel.len() == w·kc`; `fast` as in [`pack`].
#[inline]
unsafe fn pack_panel(
    src: Src,
    lines: usize,
    kc: usize,
    w: usize,
    panel: &mut [f32],
    fast: Option<PackLinesFn>,
) {
    debug_assert_eq!(panel.len(), w * kc);
    if lines < w {
        panel.fill(0.0);
    }
    if src.s_line == 1 {
        // Lines contiguous: each k-row of the panel is one short copy.
        for (p, row) in panel.chunks_exact_mut(w).enumerate() {
            // SAFETY: entries (0..lines, p) are contiguous and readable.
            unsafe { copy_line(src.ptr.add(p * src.s_k), &mut row[..lines]) };
        }
    } else if let (1, Some(fast)) = (src.s_k, fast) {
        // SAFETY: forwarded (lines contiguous along k, CPU support by the
        // caller's contract).
        unsafe { fast(src, lines, kc, w, panel) };
    } else if src.s_k == 1 {
        // Each line is contiguous along k: transpose 4 × 4 blocks.
        let full = lines / 4 * 4;
        for i0 in (0..full).step_by(4) {
            // SAFETY: lines i0..i0+4 exist and hold kc entries each.
            unsafe { transpose4_lines(src, i0, kc, w, panel) };
        }
        for i in full..lines {
            // SAFETY: line i < lines exists.
            let line = unsafe { src.ptr.add(i * src.s_line) };
            for (p, d) in panel.iter_mut().skip(i).step_by(w).enumerate() {
                // SAFETY: p < kc because the panel has exactly kc rows of w.
                *d = unsafe { *line.add(p) };
            }
        }
    } else {
        // General strides: copy one k-row at a time.
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

/// Packs lines `i0..i0+4` (each contiguous along k) into columns
/// `i0..i0+4` of the panel: `panel[p·w + i0 + r] = line_{i0+r}[p]`.
///
/// # Safety
/// Lines `i0..i0+4` of `src` hold `kc` readable entries with `s_k == 1`;
/// `panel.len() == w·kc` and `i0 + 4 ≤ w`.
#[inline]
unsafe fn transpose4_lines(src: Src, i0: usize, kc: usize, w: usize, panel: &mut [f32]) {
    // SAFETY: line i0 + r exists for r < 4.
    let l: [*const f32; 4] =
        core::array::from_fn(|r| unsafe { src.ptr.add((i0 + r) * src.s_line) });
    let d = panel.as_mut_ptr();
    #[cfg(target_arch = "x86_64")]
    let full = kc / 4 * 4;
    #[cfg(target_arch = "x86_64")]
    for p in (0..full).step_by(4) {
        use core::arch::x86_64::{
            _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps,
            _mm_unpacklo_ps,
        };
        // SAFETY: SSE is part of the x86-64 baseline; entries p..p+4 of each
        // line are readable and rows p..p+4 of the panel have room for
        // columns i0..i0+4.
        unsafe {
            let r0 = _mm_loadu_ps(l[0].add(p));
            let r1 = _mm_loadu_ps(l[1].add(p));
            let r2 = _mm_loadu_ps(l[2].add(p));
            let r3 = _mm_loadu_ps(l[3].add(p));
            let t0 = _mm_unpacklo_ps(r0, r1);
            let t1 = _mm_unpacklo_ps(r2, r3);
            let t2 = _mm_unpackhi_ps(r0, r1);
            let t3 = _mm_unpackhi_ps(r2, r3);
            _mm_storeu_ps(d.add(p * w + i0), _mm_movelh_ps(t0, t1));
            _mm_storeu_ps(d.add((p + 1) * w + i0), _mm_movehl_ps(t1, t0));
            _mm_storeu_ps(d.add((p + 2) * w + i0), _mm_movelh_ps(t2, t3));
            _mm_storeu_ps(d.add((p + 3) * w + i0), _mm_movehl_ps(t3, t2));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let full = 0;
    for p in full..kc {
        for (r, line) in l.iter().enumerate() {
            // SAFETY: p < kc, r < 4 (see the function contract).
            unsafe { *d.add(p * w + i0 + r) = *line.add(p) };
        }
    }
}

/// Copies `dst.len()` contiguous floats from `src`, with fixed-size copies
/// for the common tile widths (a runtime-length copy would call `memcpy`
/// once per packed row).
///
/// # Safety
/// `src` must address `dst.len()` readable floats.
#[inline(always)]
unsafe fn copy_line(src: *const f32, dst: &mut [f32]) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match dst.len() {
                // SAFETY: the caller guarantees $n readable floats.
                $($n => dst.copy_from_slice(unsafe { &*src.cast::<[f32; $n]>() }),)*
                n => {
                    for (i, d) in dst.iter_mut().enumerate().take(n) {
                        // SAFETY: i < dst.len().
                        *d = unsafe { *src.add(i) };
                    }
                }
            }
        };
    }
    fixed!(128 64 32 16 8 6);
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// `dst[q·w·kc + p·w + i] = src(q·w + i, p)`, zero past `len`.
    fn reference(data: &[f32], src: (usize, usize), len: usize, kc: usize, w: usize) -> Vec<f32> {
        let mut out = vec![0.0; packed_len(len, kc, w)];
        for l in 0..len {
            for p in 0..kc {
                out[l / w * w * kc + p * w + l % w] = data[l * src.0 + p * src.1];
            }
        }
        out
    }

    /// Every packing path (contiguous copy, 4 × 4 transposes, the AVX-512
    /// transposing packer, general strides) writes exactly the reference
    /// panels, for every panel width the kernels use, partial panels, k
    /// tails of every length mod 16, and zero padding. (Row-order packing
    /// of long blocks: `long_contiguous_blocks_match_the_reference`.)
    #[test]
    fn every_packing_path_matches_the_reference() {
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut fast: Vec<Option<PackLinesFn>> = vec![None];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            fast.push(Some(crate::gemm::kernel::transpose::pack_lines));
        }
        let (lines, terms) = (70, 61);
        let data: Vec<f32> = (0..lines * terms).map(|i| i as f32 + 0.5).collect();
        // (stride between lines, stride along k)
        for strides in [(terms, 1), (1, lines), (3, 69)] {
            for w in [6, 8, 16, 32] {
                for len in 0..=lines.min(if strides.0 == 3 { 23 } else { lines }) {
                    for kc in [1, 2, 15, 16, 17, 31, 32, 33, 47, 61] {
                        let want = reference(&data, strides, len, kc, w);
                        for &f in &fast {
                            let src = Src {
                                ptr: data.as_ptr(),
                                s_line: strides.0,
                                s_k: strides.1,
                            };
                            let mut got = vec![f32::NAN; want.len()];
                            // SAFETY: every entry (i, p), i < len, p < kc,
                            // lies in `data` for these strides; `got` holds
                            // packed_len floats; `f` was detected.
                            unsafe { pack(src, len, kc, w, &mut got, f) };
                            assert!(
                                want.iter()
                                    .zip(&got)
                                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                                "strides {strides:?}, w {w}, len {len}, kc {kc}, fast {}",
                                f.is_some()
                            );
                        }
                    }
                }
            }
        }
    }

    /// Blocks of at least [`PAGE_LINES`] contiguous lines, packed by rows,
    /// write exactly the reference panels, with and without a partial last
    /// panel and a partial last group of [`ROWS_IN_FLIGHT`] rows.
    #[test]
    fn long_contiguous_blocks_match_the_reference() {
        let (lines, terms) = (PAGE_LINES + 45, 19);
        let data: Vec<f32> = (0..lines * terms).map(|i| i as f32 + 0.5).collect();
        for w in [6, 8, 16, 32] {
            for len in [PAGE_LINES, PAGE_LINES + 1, PAGE_LINES + 31, lines] {
                for kc in [1, 2, 5, 8, 9, 17, 19] {
                    let want = reference(&data, (1, lines), len, kc, w);
                    let src = Src {
                        ptr: data.as_ptr(),
                        s_line: 1,
                        s_k: lines,
                    };
                    let mut got = vec![f32::NAN; want.len()];
                    // SAFETY: entries (i, p), i < len ≤ lines, p < kc ≤
                    // terms lie in `data`; `got` holds packed_len floats.
                    unsafe { pack(src, len, kc, w, &mut got, None) };
                    assert!(
                        want.iter()
                            .zip(&got)
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "w {w}, len {len}, kc {kc}"
                    );
                }
            }
        }
    }
}
