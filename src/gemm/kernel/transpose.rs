//! AVX-512F transposing pack (x86-64, selected at run time with the AVX-512
//! kernels).
//!
//! Packing lines that are contiguous along k (rows of a row-major A, or
//! columns of a transposed B such as the `Wᵀ` of a dense layer's forward
//! pass) is a transpose: `panel[p·w + i] = line_i[p]`. The baseline packer
//! does it in 4 × 4 SSE blocks (four 16-byte loads and stores per 16
//! floats). Here blocks of 16 lines × 16 terms are loaded as 16 full
//! vectors, transposed in registers with 64 shuffles (unpack, then
//! 128-bit-lane shuffles) and stored as 16 vectors; 8-line panels (the
//! 8-row A micro-panels) use 8 loads, 24 shuffles and 16 half-vector stores.
//! A k tail shorter than 16 uses masked loads and stores only the rows that
//! exist. Lines left over (fewer than 8) are copied one float at a time.
//! Only data moves, so the packed panel — and every GEMM bit — is the same
//! as with the baseline packer.
//!
//! The in-register transposes ([`transpose16`], [`columns16`]) also serve
//! the AVX-512 narrow kernel, which transposes A on the fly.

use core::arch::x86_64::{
    __m512, __m512i, _mm_loadu_ps, _mm256_castpd_ps, _mm256_storeu_ps, _mm512_castps_pd,
    _mm512_castps128_ps512, _mm512_castps512_ps256, _mm512_extractf64x4_pd, _mm512_insertf32x4,
    _mm512_maskz_loadu_ps, _mm512_permutex2var_ps, _mm512_setr_epi32, _mm512_setzero_ps,
    _mm512_shuffle_f32x4, _mm512_shuffle_ps, _mm512_storeu_ps, _mm512_unpackhi_ps,
    _mm512_unpacklo_ps,
};

use super::avx512::mask;
use crate::gemm::pack::Src;

/// Packs `lines ≤ w` lines that are contiguous along k (`src.s_k == 1`) into
/// one zero-padded panel: `panel[p·w + i] = src[i, p]` for `i < lines`,
/// `p < kc`. Entries of padding lines (`lines ≤ i < w`) are left as they are
/// (the caller zeroes them).
///
/// # Safety
/// The CPU supports AVX-512F; entries `(i, p)`, `i < lines`, `p < kc` of
/// `src` are readable; `panel.len() == w·kc`.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn pack_lines(src: Src, lines: usize, kc: usize, w: usize, panel: &mut [f32]) {
    debug_assert!(src.s_k == 1 && lines <= w && panel.len() == w * kc);
    let d = panel.as_mut_ptr();
    let mut i0 = 0;
    if w.is_multiple_of(16) {
        while i0 + 16 <= lines {
            // SAFETY: lines i0..i0+16 exist (< lines) and columns
            // i0..i0+16 of every panel row are inside the panel (≤ w).
            unsafe { block16(src, i0, kc, w, d) };
            i0 += 16;
        }
    }
    if w.is_multiple_of(8) {
        while i0 + 8 <= lines {
            // SAFETY: as above with 8 lines.
            unsafe { block8(src, i0, kc, w, d) };
            i0 += 8;
        }
    }
    for i in i0..lines {
        // SAFETY: line i < lines exists and holds kc entries.
        let line = unsafe { src.ptr.add(i * src.s_line) };
        for p in 0..kc {
            // SAFETY: p < kc, i < w.
            unsafe { *d.add(p * w + i) = *line.add(p) };
        }
    }
}

/// Loads `LINES` lines at terms `p..p + n` (lanes past `n` are zero).
///
/// # Safety
/// AVX-512F; entries `(i0 + r, p + j)`, `r < LINES`, `j < n ≤ 16` of `src`
/// are readable.
#[inline(always)]
unsafe fn load<const LINES: usize>(src: Src, i0: usize, p: usize, n: usize) -> [__m512; LINES] {
    let m = mask(n);
    // SAFETY: masked-off lanes are not accessed; the others are readable by
    // the contract.
    core::array::from_fn(|r| unsafe {
        _mm512_maskz_loadu_ps(m, src.ptr.add((i0 + r) * src.s_line + p))
    })
}

/// Unpack and 32-bit shuffle stages of a transpose, per group of 4 lines:
/// returns `c` with `c[4g + j]` holding, in 128-bit lane `L`, the entries
/// `(4g .. 4g + 4, j + 4L)` of the block.
#[inline(always)]
fn stage2<const LINES: usize>(r: &[__m512; LINES]) -> [__m512; LINES] {
    let mut c = *r;
    for g in 0..LINES / 4 {
        let a = &r[4 * g..4 * g + 4];
        // SAFETY: avx512f is enabled in every caller (register-only ops).
        unsafe {
            let b0 = _mm512_unpacklo_ps(a[0], a[1]);
            let b1 = _mm512_unpackhi_ps(a[0], a[1]);
            let b2 = _mm512_unpacklo_ps(a[2], a[3]);
            let b3 = _mm512_unpackhi_ps(a[2], a[3]);
            c[4 * g] = _mm512_shuffle_ps::<0x44>(b0, b2);
            c[4 * g + 1] = _mm512_shuffle_ps::<0xEE>(b0, b2);
            c[4 * g + 2] = _mm512_shuffle_ps::<0x44>(b1, b3);
            c[4 * g + 3] = _mm512_shuffle_ps::<0xEE>(b1, b3);
        }
    }
    c
}

/// The 16 × 16 transpose of `r` in registers: lane `i` of `out[q]` is lane
/// `q` of `r[i]` (64 shuffles: two unpack/shuffle stages within 128-bit
/// lanes, then two 128-bit-lane shuffle stages).
///
/// # Safety
/// AVX-512F must be enabled in the caller (register-only operations).
#[inline(always)]
pub(crate) unsafe fn transpose16(r: &[__m512; 16]) -> [__m512; 16] {
    let c = stage2(r);
    let mut out = c;
    for j in 0..4 {
        // SAFETY: register-only shuffles (avx512f enabled by the caller).
        unsafe {
            let d0 = _mm512_shuffle_f32x4::<0x88>(c[j], c[4 + j]);
            let d1 = _mm512_shuffle_f32x4::<0xDD>(c[j], c[4 + j]);
            let e0 = _mm512_shuffle_f32x4::<0x88>(c[8 + j], c[12 + j]);
            let e1 = _mm512_shuffle_f32x4::<0xDD>(c[8 + j], c[12 + j]);
            // Output rows j, j + 4 (from the 0x88 halves) and j + 8, j + 12.
            out[j] = _mm512_shuffle_f32x4::<0x88>(d0, e0);
            out[j + 4] = _mm512_shuffle_f32x4::<0x88>(d1, e1);
            out[j + 8] = _mm512_shuffle_f32x4::<0xDD>(d0, e0);
            out[j + 12] = _mm512_shuffle_f32x4::<0xDD>(d1, e1);
        }
    }
    out
}

/// The 16 × 16 block of 16 rows at terms `p..p + 16` as column vectors:
/// lane `i` of `out[q]` is `rows[i][p + q]`. The movement across 128-bit
/// lanes is done by the loads: vector `4h + s` gathers the four terms
/// `p + 4h ..` of rows `s`, `s + 4`, `s + 8`, `s + 12` (one 128-bit load and
/// three inserts from memory), so only the in-lane 4 × 4 transposes remain
/// (32 shuffles where [`transpose16`] of 16 full rows takes 64; the narrow
/// kernel at 100×256·256×10 1.19× faster with it, measured alternating in
/// one process on a Zen 4 core, where shuffles compete with the FMAs).
///
/// # Safety
/// AVX-512F must be enabled in the caller; `rows[i][p..p + 16]` must be
/// readable for every `i`.
#[inline(always)]
pub(crate) unsafe fn columns16(rows: &[*const f32; 16], p: usize) -> [__m512; 16] {
    // A loop, not `array::from_fn`: a closure does not inherit the
    // caller's target features, and its intrinsics would stay calls.
    // SAFETY: register-only (avx512f enabled by the caller).
    let mut quads = [unsafe { _mm512_setzero_ps() }; 16];
    for (x, v) in quads.iter_mut().enumerate() {
        let (h, s) = (x / 4, x % 4);
        let quad = |l: usize| rows[4 * l + s].wrapping_add(p + 4 * h);
        // SAFETY: terms p + 4h .. p + 4h + 4 ≤ p + 16 of each row are
        // readable by the contract; avx512f is enabled by the caller.
        unsafe {
            let q = _mm512_castps128_ps512(_mm_loadu_ps(quad(0)));
            let q = _mm512_insertf32x4::<1>(q, _mm_loadu_ps(quad(1)));
            let q = _mm512_insertf32x4::<2>(q, _mm_loadu_ps(quad(2)));
            *v = _mm512_insertf32x4::<3>(q, _mm_loadu_ps(quad(3)));
        }
    }
    // In 128-bit lane L, quads[4h + s] holds row 4L + s at terms p + 4h ..
    // p + 4h + 4; the in-lane transposes turn group h into the columns
    // p + 4h + j, j < 4, each lane L holding rows 4L .. 4L + 4.
    stage2(&quads)
}

/// Transposes 16 lines from `i0` into columns `i0..i0 + 16` of the panel.
///
/// # Safety
/// AVX-512F; lines `i0..i0 + 16` of `src` hold `kc` readable entries along k
/// (`s_k == 1`); `d` addresses a `w·kc` panel with `i0 + 16 ≤ w`.
#[inline(always)]
unsafe fn block16(src: Src, i0: usize, kc: usize, w: usize, d: *mut f32) {
    for p in (0..kc).step_by(16) {
        let n = (kc - p).min(16);
        // SAFETY: forwarded from the contract (n entries from p exist);
        // avx512f is enabled by the caller.
        let t = unsafe { transpose16(&load::<16>(src, i0, p, n)) };
        for (q, &v) in t.iter().enumerate().take(n) {
            // SAFETY: row p + q < kc of the panel, columns i0..i0 + 16 ≤ w.
            unsafe { _mm512_storeu_ps(d.add((p + q) * w + i0), v) };
        }
    }
}

/// Transposes 8 lines from `i0` into columns `i0..i0 + 8` of the panel.
///
/// # Safety
/// As [`block16`] with 8 lines and `i0 + 8 ≤ w`.
#[inline(always)]
unsafe fn block8(src: Src, i0: usize, kc: usize, w: usize, d: *mut f32) {
    for p in (0..kc).step_by(16) {
        let n = (kc - p).min(16);
        // SAFETY: forwarded from the contract (n entries from p exist);
        // avx512f is enabled by the caller.
        let t = unsafe { transpose8(&load::<8>(src, i0, p, n)) };
        for (q, &v) in t.iter().enumerate() {
            // SAFETY: register-only half extraction.
            let (low, high) = unsafe {
                (
                    _mm512_castps512_ps256(v),
                    _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v))),
                )
            };
            if q < n {
                // SAFETY: row p + q < kc, columns i0..i0 + 8 ≤ w.
                unsafe { _mm256_storeu_ps(d.add((p + q) * w + i0), low) };
            }
            if q + 8 < n {
                // SAFETY: row p + q + 8 < kc, columns i0..i0 + 8 ≤ w.
                unsafe { _mm256_storeu_ps(d.add((p + q + 8) * w + i0), high) };
            }
        }
    }
}

/// The 8 × 16 transpose of `r` in registers, two columns a vector: lane
/// `i < 8` of `out[q]` is lane `q` of `r[i]`, lane `8 + i` is lane `q + 8`
/// (40 shuffles: the in-lane stages of [`transpose16`], then one
/// two-source permute per output).
///
/// # Safety
/// AVX-512F must be enabled in the caller (register-only operations).
#[inline(always)]
pub(crate) unsafe fn transpose8(r: &[__m512; 8]) -> [__m512; 8] {
    // Lane L of c[j] holds rows 0..4 of column j + 4L, lane L of c[4 + j]
    // rows 4..8: output j takes lanes 0 and 2 of both, output j + 4 lanes
    // 1 and 3.
    // SAFETY: register-only (avx512f enabled by the caller).
    let (even, odd): (__m512i, __m512i) = unsafe {
        (
            _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
            _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31),
        )
    };
    let c = stage2(r);
    let mut out = c;
    for j in 0..4 {
        // SAFETY: register-only shuffles (avx512f enabled by the caller).
        unsafe {
            out[j] = _mm512_permutex2var_ps(c[j], even, c[4 + j]);
            out[j + 4] = _mm512_permutex2var_ps(c[j], odd, c[4 + j]);
        }
    }
    out
}
