//! AVX2 + FMA microkernels (x86-64, selected at run time).
//!
//! Packed kernel: a 6 × 16 tile of C in 12 ymm accumulators; per term p it
//! loads two 8-lane vectors of the packed B row and broadcasts 6 packed A
//! values: `acc[i][v] ← acc[i][v] + a[p·6+i]·b[p·16 + 8v ..]` (one FMA, or a
//! multiply then an add in the portable precision). Direct kernel: up to 6
//! rows × a 16-wide strip (two ymm). 12 accumulators + 2 B vectors + 1
//! broadcast fit the 16 ymm registers (the classic Haswell sgemm shape of
//! BLIS, van Zee & van de Geijn 2015, transposed so vectors run along rows).

use super::{CTile, DirectA, Kernels, Terms};
use core::arch::x86_64::{
    __m256, _mm_store_ss, _mm256_add_ps, _mm256_castps256_ps128, _mm256_fmadd_ps, _mm256_loadu_ps,
    _mm256_mul_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

const MR: usize = 6;
const NR: usize = 16;
const DR: usize = 6;

/// This instruction set's kernels (fused or portable precision).
pub(crate) fn kernels(fused: bool) -> Kernels {
    Kernels {
        mr: MR,
        nr: NR,
        dr: DR,
        packed: if fused {
            packed::<true>
        } else {
            packed::<false>
        },
        direct: if fused {
            direct::<true>
        } else {
            direct::<false>
        },
        direct_masked: false,
        direct_wide: None,
        pack_lines: None,
        packed_rows: Some(if fused {
            packed_rows::<true>
        } else {
            packed_rows::<false>
        }),
        packed_rows_tall: None,
        packing_rows: Some(if fused {
            packing_rows::<true>
        } else {
            packing_rows::<false>
        }),
        narrow: None,
        entries: Some(super::entries::avx2(fused)),
    }
}

#[inline(always)]
pub(super) fn madd<const FUSED: bool>(a: __m256, b: __m256, acc: __m256) -> __m256 {
    // SAFETY: `#[inline(always)]` puts this body into its callers, and
    // after inlining every call lies in a function compiled with avx2 and
    // fma, which the dispatcher runs only after detecting them (the entry
    // kernels reach it through `Ymm::madd`, inline(always) too).
    unsafe {
        if FUSED {
            _mm256_fmadd_ps(a, b, acc)
        } else {
            _mm256_add_ps(_mm256_mul_ps(a, b), acc)
        }
    }
}

/// Canonical epilogue for 8 contiguous entries at `p`: `α·acc`, plus
/// `β·c` unless β = 0 (C is then not read).
///
/// # Safety
/// avx2 must be enabled in the caller; `p` addresses 8 writable floats.
#[inline(always)]
pub(super) unsafe fn store8(p: *mut f32, acc: __m256, alpha: __m256, beta: f32) {
    // SAFETY: avx2 enabled by the caller; p covers 8 floats.
    unsafe {
        let x = _mm256_mul_ps(alpha, acc);
        let out = if beta == 0.0 {
            x
        } else {
            _mm256_add_ps(x, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(p)))
        };
        _mm256_storeu_ps(p, out);
    }
}

/// Writes `R × 2` accumulators into the tile (vector path for full rows of a
/// unit-stride C, scalar path otherwise).
///
/// # Safety
/// `t` must describe a writable tile of C with `t.m ≤ R`, `t.n ≤ 16`.
#[inline(always)]
unsafe fn store_tile<const R: usize>(acc: &[[__m256; 2]; R], t: &CTile) {
    if t.cs == 1 && t.n == 16 {
        // SAFETY: avx2 enabled; each of the t.m rows has 16 contiguous
        // writable entries.
        unsafe {
            let alpha = _mm256_set1_ps(t.alpha);
            for (i, row) in acc.iter().enumerate() {
                if i >= t.m {
                    continue;
                }
                for (v, &a) in row.iter().enumerate() {
                    store8(t.ptr.add(i * t.rs + 8 * v), a, alpha, t.beta);
                }
            }
        }
    } else {
        let mut buf = [[0.0f32; 16]; R];
        for (i, row) in acc.iter().enumerate() {
            for (v, &a) in row.iter().enumerate() {
                // SAFETY: buf rows hold 16 floats; avx2 enabled.
                unsafe { _mm256_storeu_ps(buf[i].as_mut_ptr().add(8 * v), a) };
            }
        }
        // SAFETY: buf holds the tile row-major (ld 16); tile is writable.
        unsafe { super::store_scalar(buf.as_flattened(), 16, t) };
    }
}

/// The 6 × 16 tile loop: `acc[i] += a(p, i) · b[p·16 ..]` for the terms p,
/// then the epilogue. `a(p, i)` reads A entry (i, p) from a packed panel or
/// in place.
///
/// # Safety
/// avx2 and fma must be available; `a(p, i)` must be readable for the
/// terms p and i < 6; `b` holds `kc·16` floats (kc: the block's terms) and
/// `t` is a writable tile of at most 6 × 16.
#[inline(always)]
unsafe fn tile_loop<const FUSED: bool>(
    terms: Terms<'_>,
    a: impl Fn(usize, usize) -> f32,
    b: *const f32,
    t: &CTile,
) {
    // SAFETY: forwarded.
    unsafe { tile_loop_with::<FUSED>(terms, a, |_, _, _| {}, b, t) };
}

/// [`tile_loop`] that also hands every broadcast A value to `keep(p, i,
/// broadcast)` (the packing kernel stores its lane 0).
///
/// # Safety
/// As [`tile_loop`]; `keep` must be safe to call for the terms p and i < 6.
#[inline(always)]
unsafe fn tile_loop_with<const FUSED: bool>(
    terms: Terms<'_>,
    a: impl Fn(usize, usize) -> f32,
    keep: impl Fn(usize, usize, __m256),
    b: *const f32,
    t: &CTile,
) {
    // SAFETY: avx is enabled by every caller (register-only).
    let mut acc = [[unsafe { _mm256_setzero_ps() }; 2]; MR];
    match terms {
        Terms::All(kc) => {
            for p in 0..kc {
                // SAFETY: p < kc, a term of the block.
                unsafe { rank1::<FUSED>(&mut acc, p, &a, &keep, b) };
            }
        }
        Terms::Listed(list) => {
            for &p in list {
                // SAFETY: listed terms are terms of the block.
                unsafe { rank1::<FUSED>(&mut acc, usize::from(p), &a, &keep, b) };
            }
            for v in acc.as_flattened_mut() {
                // SAFETY: avx is enabled by every caller (register-only).
                *v = unsafe { _mm256_add_ps(*v, _mm256_setzero_ps()) };
            }
        }
    }
    // SAFETY: the caller guarantees the tile.
    unsafe { store_tile(&acc, t) };
}

/// One term of the tile loop: `acc[i] += a(p, i) · b[p·16 ..]`.
///
/// # Safety
/// As [`tile_loop_with`] for term `p`.
#[inline(always)]
unsafe fn rank1<const FUSED: bool>(
    acc: &mut [[__m256; 2]; MR],
    p: usize,
    a: &impl Fn(usize, usize) -> f32,
    keep: &impl Fn(usize, usize, __m256),
    b: *const f32,
) {
    // SAFETY: row p of the packed B panel is in bounds (and a(p, i)
    // readable) by the contract; avx2 and fma are enabled by callers.
    unsafe {
        let b0 = _mm256_loadu_ps(b.add(p * NR));
        let b1 = _mm256_loadu_ps(b.add(p * NR + 8));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm256_set1_ps(a(p, i));
            keep(p, i, ai);
            row[0] = madd::<FUSED>(ai, b0, row[0]);
            row[1] = madd::<FUSED>(ai, b1, row[1]);
        }
    }
}

/// Packed 6 × 16 kernel.
///
/// # Safety
/// avx2 and fma must be available; `a` holds `kc·6`, `b` holds `kc·16`
/// floats and `t` is a writable tile of at most 6 × 16 entries.
#[target_feature(enable = "avx2,fma")]
unsafe fn packed<const FUSED: bool>(terms: Terms<'_>, a: *const f32, b: *const f32, t: &CTile) {
    // SAFETY: entry (i, p) of the packed panel is a[p·6 + i], p < kc, i < 6.
    unsafe { tile_loop::<FUSED>(terms, |p, i| *a.add(p * MR + i), b, t) };
}

/// Packed-B 6 × 16 kernel reading A in place: `a.rows ≤ 6` rows of unit
/// column stride, `a.rs` apart. Row pointers past `a.rows` repeat the last
/// row (valid memory; those tile rows are never stored). Same operations in
/// the same order as [`packed`], so the same bits.
///
/// # Safety
/// avx2 and fma must be available; rows `0..a.rows` of A hold `kc` readable
/// entries with `a.cs == 1`; `b` holds `kc·16` floats; `t` is a writable
/// tile with `t.m ≤ a.rows`, `t.n ≤ 16`.
#[target_feature(enable = "avx2,fma")]
unsafe fn packed_rows<const FUSED: bool>(terms: Terms<'_>, a: &DirectA, b: *const f32, t: &CTile) {
    let rows = a.row_ptrs::<MR>();
    // SAFETY: entry p < kc of every (clamped) row is readable.
    unsafe { tile_loop::<FUSED>(terms, |p, i| *rows[i].add(p), b, t) };
}

/// [`packed_rows`] that also packs the micro-panel it reads: `w[p·6 + i] =
/// a(i, p)` (the broadcast's lane 0 stored as is; see the AVX-512
/// `packing_rows`). Same operations in the same order as [`packed`], so the
/// same bits.
///
/// # Safety
/// As [`packed_rows`]; `w` must be writable for `kc·6` floats and not
/// overlap A, B or C.
#[target_feature(enable = "avx2,fma")]
unsafe fn packing_rows<const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    t: &CTile,
    w: *mut f32,
) {
    let rows = a.row_ptrs::<MR>();
    // SAFETY: entry p < kc of every (clamped) row is readable; w[p·6 + i]
    // with p < kc, i < 6 lies inside the kc·6 floats the caller provides;
    // avx2 is enabled here.
    unsafe {
        tile_loop_with::<FUSED>(
            Terms::All(kc),
            |p, i| *rows[i].add(p),
            |p, i, v| _mm_store_ss(w.add(p * MR + i), _mm256_castps256_ps128(v)),
            b,
            t,
        );
    }
}

/// Direct kernel body for exactly `R` rows.
///
/// # Safety
/// As [`direct`], with `a.rows == R`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn direct_rows<const R: usize, const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    ldb: usize,
    t: &CTile,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    for p in 0..kc {
        // SAFETY: p < kc: row p of the strip and column p of each A row exist.
        unsafe {
            let b0 = _mm256_loadu_ps(b.add(p * ldb));
            let b1 = _mm256_loadu_ps(b.add(p * ldb + 8));
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm256_set1_ps(*a.ptr.add(i * a.rs + p * a.cs));
                row[0] = madd::<FUSED>(ai, b0, row[0]);
                row[1] = madd::<FUSED>(ai, b1, row[1]);
            }
        }
    }
    // SAFETY: the caller guarantees the tile.
    unsafe { store_tile(&acc, t) };
}

/// Direct kernel: `a.rows ≤ 6` rows of A in place times a 16-wide B strip.
///
/// # Safety
/// avx2 and fma must be available; rows `0..a.rows`, columns `0..kc` of A
/// exist; `b` holds `kc` rows of 16 readable floats at stride `ldb`; `t` is a
/// writable tile with `t.m == a.rows`, `t.n ≤ 16`.
#[target_feature(enable = "avx2,fma")]
unsafe fn direct<const FUSED: bool>(kc: usize, a: &DirectA, b: *const f32, ldb: usize, t: &CTile) {
    macro_rules! go {
        ($($r:literal)*) => {
            match a.rows {
                // SAFETY: forwarded contract, a.rows == $r.
                $($r => unsafe { direct_rows::<$r, FUSED>(kc, a, b, ldb, t) },)*
                _ => {}
            }
        };
    }
    go!(1 2 3 4 5 6);
}
