//! AVX-512F microkernels (x86-64, selected at run time).
//!
//! Packed kernel: an 8 × 32 tile of C held in 16 zmm accumulators; per term p
//! it prefetches the B row [`PREFETCH_ROWS`] ahead, loads two 16-lane
//! vectors of the packed B row and broadcasts the 8 packed A values:
//! `acc[i][v] ← acc[i][v] + a[p·8+i]·b[p·32 + 16v ..]` (one FMA each, or a
//! multiply then an add in the portable precision).
//! 16 independent accumulators cover the FMA latency (4 cycles) times the
//! two 512-bit FMA ports (Intel; Zen 4 issues one 512-bit FMA a cycle);
//! 8 × 32 measured faster than 12 × 32 and 14 × 32 on the Intel Xeon
//! (fewer partial tiles on power-of-two shapes, 10 loads per
//! 16 FMAs). When A is read in place and m tiles better by 10 than by 8
//! (the MLP's batch of 100), a 10 × 32 tile with 20 accumulators runs
//! instead; where rows of A must be packed anyway, the first tile of each
//! micro-panel row reads them in place and packs them as it goes.
//! Direct kernel: up to 12 rows × one 16-lane strip. Narrow kernel: 16 rows
//! of A transposed in registers 16 terms at a time, one accumulator per
//! column of C (at most 12), B broadcast from memory. Edge tiles use
//! masked loads and stores, so no lane outside the tile is touched.
//! Layout follows BLIS (van Zee & van de Geijn 2015), transposed so that
//! vectors run along rows of C.

use super::transpose::{columns16, transpose8, transpose16};
use super::{CTile, DirectA, Kernels, Terms};
use core::arch::x86_64::{
    __m512, __mmask16, _MM_HINT_T0, _mm_prefetch, _mm_store_ss, _mm256_add_ps, _mm256_loadu_ps,
    _mm256_mul_ps, _mm256_set1_ps, _mm256_storeu_ps, _mm512_add_ps, _mm512_castps512_ps128,
    _mm512_castps512_ps256, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps,
    _mm512_maskz_loadu_ps, _mm512_mul_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4,
    _mm512_storeu_ps,
};

const MR: usize = 8;
const NR: usize = 32;
const DR: usize = 12;
/// Most rows of the wide direct kernel (2 × 128: 16 accumulators). With 3
/// rows (24 accumulators) it ran at half the row-broadcast kernel's speed
/// (3×64·64×1000 41.5 against 77.2 GFLOP/s, 3×256·256×256 41.3 against
/// 66.6); 3 rows already give that kernel three independent chains.
const WIDE_ROWS: usize = 2;
/// Rows of the tall in-place tile (10 × 32: 20 accumulators).
const TALL: usize = 10;
/// Rows of the packed B panel (128 bytes each) the tile loop prefetches
/// ahead: 1 KiB, past the end of the panel into the next one, which the jr
/// loop reads next. The panel streams from L2 (32 KiB a call at kc = 256);
/// measured in one process alternating with the unprefetched loop while
/// other tenants loaded the caches: +11–15 % at 1024³, +7–12 % at 2048³,
/// +2–6 % at 512³, +2–7 % on the MLP's products; +2 % at 1024³ in a quieter
/// window; a deep5 training epoch 0.965×.
const PREFETCH_ROWS: usize = 8;

/// This instruction set's kernels (fused or portable precision).
pub(crate) fn kernels(fused: bool) -> Kernels {
    // The kernel monomorphized for the precision.
    macro_rules! pick {
        ($f:ident) => {
            if fused { $f::<true> } else { $f::<false> }
        };
    }
    Kernels {
        mr: MR,
        nr: NR,
        dr: DR,
        packed: pick!(packed),
        direct: pick!(direct),
        direct_masked: true,
        direct_wide: Some((WIDE_ROWS, pick!(direct_wide))),
        pack_lines: Some(super::transpose::pack_lines),
        packed_rows: Some(pick!(packed_rows)),
        packed_rows_tall: Some((TALL, pick!(packed_rows_tall))),
        packing_rows: Some(pick!(packing_rows)),
        narrow: Some(pick!(narrow)),
        entries: Some(super::entries::avx512(fused)),
    }
}

#[inline(always)]
pub(super) fn madd<const FUSED: bool>(a: __m512, b: __m512, acc: __m512) -> __m512 {
    // SAFETY: `#[inline(always)]` puts this body into its callers, and
    // after inlining every call lies in a function compiled with avx512f,
    // which the dispatcher runs only after detecting it: the kernels here,
    // `accumulate` (inline(always), called only from `narrow_cols`), and
    // the entry kernels through `Zmm::madd` (inline(always) too).
    unsafe {
        if FUSED {
            _mm512_fmadd_ps(a, b, acc)
        } else {
            _mm512_add_ps(_mm512_mul_ps(a, b), acc)
        }
    }
}

/// Mask of the first `lanes` (0 ..= 16) lanes.
#[inline(always)]
pub(super) fn mask(lanes: usize) -> __mmask16 {
    if lanes >= 16 {
        0xFFFF
    } else {
        ((1u32 << lanes) - 1) as __mmask16
    }
}

/// Canonical epilogue for one row segment of up to 16 contiguous entries.
///
/// # Safety
/// `p` must address `lanes` writable contiguous floats.
#[inline(always)]
pub(super) unsafe fn store_row(p: *mut f32, acc: __m512, lanes: usize, alpha: __m512, beta: f32) {
    // SAFETY: avx512f is enabled in every caller; `p` covers `lanes` floats
    // and masked lanes are neither read nor written.
    unsafe {
        let v = _mm512_mul_ps(alpha, acc);
        let out = if beta == 0.0 {
            v
        } else {
            let old = if lanes >= 16 {
                _mm512_loadu_ps(p)
            } else {
                _mm512_maskz_loadu_ps(mask(lanes), p)
            };
            _mm512_add_ps(v, _mm512_mul_ps(_mm512_set1_ps(beta), old))
        };
        if lanes >= 16 {
            _mm512_storeu_ps(p, out);
        } else {
            _mm512_mask_storeu_ps(p, mask(lanes), out);
        }
    }
}

/// Writes `R × V` accumulators (V vectors of 16 per row) into the tile.
///
/// # Safety
/// `t` must describe a writable tile of C with `t.m ≤ R`, `t.n ≤ 16·V`,
/// and `V ≤ 2` unless `t.cs == 1`.
#[inline(always)]
unsafe fn store_tile<const R: usize, const V: usize>(acc: &[[__m512; V]; R], t: &CTile) {
    if t.cs == 1 {
        // SAFETY: forwarded.
        unsafe { store_tile_unit(acc, t) };
    } else if t.rs == 1 && R <= 8 {
        // SAFETY: forwarded (V ≤ 2 when t.cs ≠ 1).
        unsafe { store_tile_columns(acc, t) };
    } else {
        let mut buf = [[0.0f32; 32]; R];
        for (i, row) in acc.iter().enumerate() {
            for (v, &a) in row.iter().enumerate() {
                // SAFETY: buf rows hold 32 ≥ 16·V floats; avx512f enabled.
                unsafe { _mm512_storeu_ps(buf[i].as_mut_ptr().add(16 * v), a) };
            }
        }
        // SAFETY: buf is row-major with leading dimension 32 and holds the
        // tile (t.m ≤ R, t.n ≤ 16·V); the caller guarantees C is writable.
        unsafe { super::store_scalar(buf.as_flattened(), 32, t) };
    }
}

/// [`store_tile`] for a tile of at most 8 rows with unit row stride (C
/// stored by columns, as the transposed orientation of a product that
/// skips zero terms of B writes it): the tile is transposed in registers,
/// 8 × 16 at a time, and every column of C gets one masked store of its
/// rows.
///
/// # Safety
/// `t` must describe a writable tile of C with `t.rs == 1`, `t.m ≤ R ≤ 8`,
/// `t.n ≤ 16·V`, `V ≤ 2`.
#[inline(always)]
unsafe fn store_tile_columns<const R: usize, const V: usize>(acc: &[[__m512; V]; R], t: &CTile) {
    let rows = mask(t.m);
    // SAFETY: avx512f is enabled. Each access is to column j < t.n at
    // `t.ptr + j·t.cs`, whose t.m rows are contiguous (t.rs == 1) and
    // inside the tile: with t.m == 8 a plain 8-float load and store cover
    // exactly those rows; otherwise `store_masked` touches only the first
    // t.m lanes. The high half of a transposed vector is moved to lanes
    // 0..8 first, so every column starts at lane 0.
    unsafe {
        let alpha = _mm512_set1_ps(t.alpha);
        // Copied out first with constant indices: indexing `acc` by the
        // loop's `v` below would keep the accumulators in memory during the
        // tile loop.
        let mut halves = [[_mm512_setzero_ps(); 8]; V];
        for (i, row) in acc.iter().enumerate() {
            for (v, &x) in row.iter().enumerate() {
                halves[v][i] = x;
            }
        }
        for (v, r) in halves.iter().enumerate() {
            let cols = transpose8(r);
            for (q, &x) in cols.iter().enumerate() {
                let high = _mm512_shuffle_f32x4::<0b01_00_11_10>(x, x);
                for (j, y) in [(16 * v + q, x), (16 * v + q + 8, high)] {
                    if j < t.n {
                        let p = t.ptr.add(j * t.cs);
                        // Full columns with plain 256-bit stores: the
                        // masked store for every column measured 4–9 %
                        // slower on the 784 → 512 weight gradient.
                        if t.m == 8 {
                            let v = _mm512_mul_ps(alpha, y);
                            let out = if t.beta == 0.0 {
                                _mm512_castps512_ps256(v)
                            } else {
                                _mm256_add_ps(
                                    _mm512_castps512_ps256(v),
                                    _mm256_mul_ps(_mm256_set1_ps(t.beta), _mm256_loadu_ps(p)),
                                )
                            };
                            _mm256_storeu_ps(p, out);
                        } else {
                            store_masked(p, y, rows, alpha, t.beta);
                        }
                    }
                }
            }
        }
    }
}

/// Canonical epilogue for the lanes of `m` at `p`.
///
/// # Safety
/// The lanes of `m` at `p` must be writable floats.
#[inline(always)]
unsafe fn store_masked(p: *mut f32, acc: __m512, m: __mmask16, alpha: __m512, beta: f32) {
    // SAFETY: avx512f is enabled in every caller; only lanes in m are
    // accessed.
    unsafe {
        let v = _mm512_mul_ps(alpha, acc);
        let out = if beta == 0.0 {
            v
        } else {
            let old = _mm512_maskz_loadu_ps(m, p);
            _mm512_add_ps(v, _mm512_mul_ps(_mm512_set1_ps(beta), old))
        };
        _mm512_mask_storeu_ps(p, m, out);
    }
}

/// [`store_tile`] for a tile with unit column stride (any `V`).
///
/// # Safety
/// `t` must describe a writable tile of C with `t.cs == 1`, `t.m ≤ R`,
/// `t.n ≤ 16·V`.
#[inline(always)]
unsafe fn store_tile_unit<const R: usize, const V: usize>(acc: &[[__m512; V]; R], t: &CTile) {
    // Rows and vectors are indexed by constants only (no `take(t.m)`), so
    // the accumulators stay in registers.
    let full = t.n >= 16 * V;
    // SAFETY: avx512f is enabled; rows < t.m and lanes < t.n stay inside
    // the tile.
    unsafe {
        let alpha = _mm512_set1_ps(t.alpha);
        for (i, row) in acc.iter().enumerate() {
            if i >= t.m {
                continue;
            }
            for (v, &a) in row.iter().enumerate() {
                let lanes = if full {
                    16
                } else {
                    t.n.saturating_sub(16 * v).min(16)
                };
                if lanes > 0 {
                    store_row(t.ptr.add(i * t.rs + 16 * v), a, lanes, alpha, t.beta);
                }
            }
        }
    }
}

/// The R × 32 tile loop (R = 8, or 10 for the tall kernel): `acc[i] +=
/// a(p, i) · b[p·32 ..]` for the terms p, then the epilogue. `a(p, i)`
/// reads A entry (i, p) from a packed panel or in place.
///
/// # Safety
/// avx512f must be available; `a(p, i)` must be readable for the terms p
/// and i < R; `b` holds `kc·32` floats (kc: the block's terms) and `t` is a
/// writable tile of at most R × 32.
#[inline(always)]
unsafe fn tile_loop<const R: usize, const FUSED: bool>(
    terms: Terms<'_>,
    a: impl Fn(usize, usize) -> f32,
    b: *const f32,
    t: &CTile,
) {
    // SAFETY: forwarded.
    unsafe { tile_loop_with::<R, FUSED>(terms, a, |_, _, _| {}, b, t) };
}

/// [`tile_loop`] that also hands every broadcast A value to `keep(p, i,
/// broadcast)` (the packing kernel stores its lane 0).
///
/// # Safety
/// As [`tile_loop`]; `keep` must be safe to call for the terms p and i < R.
#[inline(always)]
unsafe fn tile_loop_with<const R: usize, const FUSED: bool>(
    terms: Terms<'_>,
    a: impl Fn(usize, usize) -> f32,
    keep: impl Fn(usize, usize, __m512),
    b: *const f32,
    t: &CTile,
) {
    // SAFETY: avx512f is enabled by every caller (register-only).
    let mut acc = [[unsafe { _mm512_setzero_ps() }; 2]; R];
    match terms {
        Terms::All(kc) => {
            for p in 0..kc {
                // SAFETY: p < kc, a term of the block.
                unsafe { rank1::<R, FUSED>(&mut acc, p, &a, &keep, b) };
            }
        }
        Terms::Listed(list) => {
            for &p in list {
                // SAFETY: listed terms are terms of the block.
                unsafe { rank1::<R, FUSED>(&mut acc, usize::from(p), &a, &keep, b) };
            }
            for v in acc.as_flattened_mut() {
                // SAFETY: avx512f is enabled by every caller (register-only).
                *v = unsafe { _mm512_add_ps(*v, _mm512_setzero_ps()) };
            }
        }
    }
    // SAFETY: the caller guarantees the tile.
    unsafe { store_tile(&acc, t) };
}

/// One term of the tile loop: `acc[i] += a(p, i) · b[p·32 ..]`.
///
/// # Safety
/// As [`tile_loop_with`] for term `p`.
#[inline(always)]
unsafe fn rank1<const R: usize, const FUSED: bool>(
    acc: &mut [[__m512; 2]; R],
    p: usize,
    a: &impl Fn(usize, usize) -> f32,
    keep: &impl Fn(usize, usize, __m512),
    b: *const f32,
) {
    // SAFETY: row p of the packed B panel is in bounds (and a(p, i)
    // readable) by the contract; avx512f is enabled by callers. The
    // prefetched address may lie past the panel: a prefetch never faults,
    // and wrapping_add makes no in-bounds claim.
    unsafe {
        let ahead = b.wrapping_add((p + PREFETCH_ROWS) * NR);
        _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
        _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(16).cast());
        let b0 = _mm512_loadu_ps(b.add(p * NR));
        let b1 = _mm512_loadu_ps(b.add(p * NR + 16));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(a(p, i));
            keep(p, i, ai);
            row[0] = madd::<FUSED>(ai, b0, row[0]);
            row[1] = madd::<FUSED>(ai, b1, row[1]);
        }
    }
}

/// Packed 8 × 32 kernel.
///
/// # Safety
/// avx512f must be available; `a` holds `kc·8`, `b` holds `kc·32` floats and
/// `t` is a writable tile of at most 8 × 32 entries.
#[target_feature(enable = "avx512f")]
unsafe fn packed<const FUSED: bool>(terms: Terms<'_>, a: *const f32, b: *const f32, t: &CTile) {
    // SAFETY: entry (i, p) of the packed panel is a[p·8 + i], p < kc, i < 8.
    unsafe { tile_loop::<MR, FUSED>(terms, |p, i| *a.add(p * MR + i), b, t) };
}

/// Packed-B 8 × 32 kernel reading A in place: `a.rows ≤ 8` rows of unit
/// column stride, `a.rs` apart. Row pointers past `a.rows` repeat the last
/// row (valid memory; those tile rows are never stored). Same operations in
/// the same order as [`packed`], so the same bits.
///
/// # Safety
/// avx512f must be available; rows `0..a.rows` of A hold `kc` readable
/// entries with `a.cs == 1`; `b` holds `kc·32` floats; `t` is a writable tile
/// with `t.m ≤ a.rows`, `t.n ≤ 32`.
#[target_feature(enable = "avx512f")]
unsafe fn packed_rows<const FUSED: bool>(terms: Terms<'_>, a: &DirectA, b: *const f32, t: &CTile) {
    let rows = a.row_ptrs::<MR>();
    // SAFETY: entry p < kc of every (clamped) row is readable.
    unsafe { tile_loop::<MR, FUSED>(terms, |p, i| *rows[i].add(p), b, t) };
}

/// [`packed_rows`] that also packs the micro-panel it reads: `w[p·8 + i] =
/// a(i, p)`, so the jr loop's other tiles run the [`packed`] kernel on it.
/// The broadcast's lane 0 is stored as is (`vmovss`, a store-port uop): the
/// broadcast stays a load from memory and nothing is added on the FMA
/// ports. Rows of A a multiple of 4 KiB apart (always packed, see
/// `blocked::IN_PLACE_ALIAS`) that come from L3 then reach L1 once per
/// block inside a kernel whose FMAs hide part of the wait, instead of in a
/// separate transposing pass (1024³ +1–3 %, 1024×1024·1024×64 +10 %,
/// measured alternating with the separate pack in one process; figures in
/// `blocked::L2_FLOATS`). Same operations in the same order as [`packed`],
/// so the same bits.
///
/// # Safety
/// As [`packed_rows`]; `w` must be writable for `kc·8` floats and not
/// overlap A, B or C.
#[target_feature(enable = "avx512f")]
unsafe fn packing_rows<const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    t: &CTile,
    w: *mut f32,
) {
    let rows = a.row_ptrs::<MR>();
    // SAFETY: entry p < kc of every (clamped) row is readable; w[p·8 + i]
    // with p < kc, i < 8 lies inside the kc·8 floats the caller provides;
    // avx512f is enabled here.
    unsafe {
        tile_loop_with::<MR, FUSED>(
            Terms::All(kc),
            |p, i| *rows[i].add(p),
            |p, i, v| _mm_store_ss(w.add(p * MR + i), _mm512_castps512_ps128(v)),
            b,
            t,
        );
    }
}

/// [`packed_rows`] with a 10 × 32 tile, for row counts that 10 tiles
/// better than 8 (the MLP's batch of 100: 10 tiles instead of 13 computing
/// 104 rows; +3–5 % on its products, measured alternating with the 8-row
/// kernel in one process). Same operations in the same order, so the same
/// bits.
///
/// # Safety
/// As [`packed_rows`], with 10 rows in place of 8.
#[target_feature(enable = "avx512f")]
unsafe fn packed_rows_tall<const FUSED: bool>(
    terms: Terms<'_>,
    a: &DirectA,
    b: *const f32,
    t: &CTile,
) {
    let rows = a.row_ptrs::<TALL>();
    // SAFETY: entry p < kc of every (clamped) row is readable.
    unsafe { tile_loop::<TALL, FUSED>(terms, |p, i| *rows[i].add(p), b, t) };
}

/// Direct kernel body for exactly `R` rows.
///
/// # Safety
/// As [`direct`], with `a.rows == R`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn direct_rows<const R: usize, const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    ldb: usize,
    t: &CTile,
) {
    let mut acc = [[_mm512_setzero_ps(); 1]; R];
    let mut rows = [a.ptr; R];
    for (i, r) in rows.iter_mut().enumerate() {
        // SAFETY: row i < a.rows exists in A.
        *r = unsafe { a.ptr.add(i * a.rs) };
    }
    let bmask = mask(t.n);
    for p in 0..kc {
        // SAFETY: p < kc: row p of the strip and column p of each A row
        // exist; only the t.n valid columns of B are loaded.
        unsafe {
            let bp = _mm512_maskz_loadu_ps(bmask, b.add(p * ldb));
            for (i, r) in rows.iter().enumerate() {
                let ai = _mm512_set1_ps(*r.add(p * a.cs));
                acc[i][0] = madd::<FUSED>(ai, bp, acc[i][0]);
            }
        }
    }
    // SAFETY: the caller guarantees the tile.
    unsafe { store_tile(&acc, t) };
}

/// Direct kernel: `a.rows ≤ 12` rows of A in place times a 16-wide B strip.
///
/// # Safety
/// avx512f must be available; rows `0..a.rows`, columns `0..kc` of A exist;
/// `b` holds `kc` rows of `t.n` readable floats at stride `ldb`; `t` is a
/// writable tile with `t.m == a.rows`, `t.n ≤ 16`.
#[target_feature(enable = "avx512f")]
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
    go!(1 2 3 4 5 6 7 8 9 10 11 12);
}

/// Wide direct kernel body for exactly `R` rows and `V` vectors of 16
/// columns: `acc[i][v] += a(i, p) · b[p, 16v ..]` over up to `16·V`
/// columns of B read in place (masked past `t.n`). With one row the
/// row-broadcast kernel holds a single accumulator per call and waits on
/// the FMA latency every term; `V` independent ones cover it.
///
/// # Safety
/// As [`direct_wide`], with `a.rows == R` and `16·(V − 1) < t.n ≤ 16·V`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn direct_wide_rows<const R: usize, const V: usize, const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    ldb: usize,
    t: &CTile,
) {
    let mut acc = [[_mm512_setzero_ps(); V]; R];
    let last = mask(t.n - 16 * (V - 1));
    for p in 0..kc {
        // SAFETY: rows i < R = a.rows and term p < kc of A exist.
        let ai: [__m512; R] =
            core::array::from_fn(|i| unsafe { _mm512_set1_ps(*a.ptr.add(i * a.rs + p * a.cs)) });
        for v in 0..V {
            // SAFETY: row p < kc of B exists; only the t.n valid columns
            // are loaded (masked lanes are not read).
            let bv = unsafe {
                let q = b.add(p * ldb + 16 * v);
                if v + 1 < V {
                    _mm512_loadu_ps(q)
                } else {
                    _mm512_maskz_loadu_ps(last, q)
                }
            };
            for (row, &x) in acc.iter_mut().zip(&ai) {
                row[v] = madd::<FUSED>(x, bv, row[v]);
            }
        }
    }
    // SAFETY: the tile has unit column stride (the caller's contract),
    // t.m = R rows of t.n ≤ 16·V writable entries.
    unsafe { store_tile_unit(&acc, t) };
}

/// Wide direct kernel: `a.rows ≤ 2` rows of A in place (any strides)
/// times up to 128 columns of B read in place.
///
/// # Safety
/// avx512f must be available; rows `0..a.rows`, terms `0..kc` of A exist;
/// `b` holds `kc` rows of `t.n ≤ 128` readable floats at stride `ldb`; `t`
/// is a writable tile with `t.m == a.rows`, `1 ≤ t.n ≤ 128` and `t.cs == 1`.
#[target_feature(enable = "avx512f")]
unsafe fn direct_wide<const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    ldb: usize,
    t: &CTile,
) {
    macro_rules! go {
        ($r:literal: $($v:literal)*) => {
            match t.n.div_ceil(16) {
                // SAFETY: forwarded contract, a.rows == $r, t.n in
                // (16·($v − 1), 16·$v].
                $($v => unsafe { direct_wide_rows::<$r, $v, FUSED>(kc, a, b, ldb, t) },)*
                _ => unreachable!("wide direct kernel called with {} columns", t.n),
            }
        };
    }
    match a.rows {
        1 => go!(1: 1 2 3 4 5 6 7 8),
        2 => go!(2: 1 2 3 4 5 6 7 8),
        _ => unreachable!("wide direct kernel called with {} rows", a.rows),
    }
}

/// Narrow kernel body for exactly `N` columns: per block of 16 terms, the
/// 16 rows of A are read as 16 column vectors ([`columns16`], or masked
/// loads and [`transpose16`] for a last block shorter than 16), so vector
/// `q` holds column `p0 + q` of the tile's rows; then `acc[j] ← acc[j] +
/// A[.., p]·b(p, j)` for each term in order, `b(p, j)` broadcast from
/// memory. All 16 lanes carry rows of C, where the row-broadcast direct
/// kernel fills only `N` of them; the accumulators are stored as columns
/// when C's columns are contiguous, and otherwise transposed back to rows,
/// for the canonical epilogue. Each entry still accumulates over p in
/// increasing order from zero, so the bits are those of every other path.
///
/// # Safety
/// As [`narrow`], with `t.n == N`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn narrow_cols<const N: usize, const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: crate::gemm::Operand,
    t: &CTile,
) {
    let rows = a.row_ptrs::<16>();
    let mut acc = [_mm512_setzero_ps(); N];
    // SAFETY: b(p, j) for p < kc, j < N is readable by the contract.
    let bcast = |p: usize, j: usize| unsafe { _mm512_set1_ps(*b.ptr.add(p * b.rs + j * b.cs)) };
    let mut p0 = 0;
    while p0 + 16 <= kc {
        // SAFETY: terms p0..p0 + 16 ≤ kc of every (clamped) row exist.
        let cols = unsafe { columns16(&rows, p0) };
        accumulate::<N, FUSED>(&mut acc, &cols, p0, bcast);
        p0 += 16;
    }
    if p0 < kc {
        let w = kc - p0;
        let m = mask(w);
        // SAFETY: terms p0..kc of every (clamped) row exist; masked lanes
        // are not read.
        let cols = unsafe {
            transpose16(&core::array::from_fn(|i| {
                _mm512_maskz_loadu_ps(m, rows[i].add(p0))
            }))
        };
        accumulate::<N, FUSED>(&mut acc, &cols[..w], p0, bcast);
    }
    if t.rs == 1 {
        // Columns of C contiguous (the transposed orientation, e.g. x·Wᵀ
        // at batch 1): each accumulator is one column segment as it
        // stands, so no transpose back and no scalar stores (measured
        // alternating in one process: 1×784·(256×784)ᵀ 1.04×,
        // 4×784·(256×784)ᵀ 1.13×, 2×100·(784×100)ᵀ 1.26×; same bits).
        let cols: [[__m512; 1]; N] = core::array::from_fn(|j| [acc[j]]);
        let transposed = CTile {
            rs: t.cs,
            cs: 1,
            m: t.n,
            n: t.m,
            ..*t
        };
        // SAFETY: the tile's transpose is the same writable entries, N
        // rows (C's columns) of t.m ≤ 16 contiguous entries.
        unsafe { store_tile_unit(&cols, &transposed) };
        return;
    }
    let mut padded = [_mm512_setzero_ps(); 16];
    padded[..N].copy_from_slice(&acc);
    // SAFETY: register-only (avx512f enabled here).
    let out = unsafe { transpose16(&padded) };
    let out: [[__m512; 1]; 16] = core::array::from_fn(|i| [out[i]]);
    // SAFETY: the caller guarantees the tile (t.m ≤ 16 rows, t.n == N).
    unsafe { store_tile(&out, t) };
}

/// `acc[j] ← acc[j] + cols[q]·b(p0 + q, j)` for each column vector `q` in
/// order (the narrow kernel's terms `p0 ..`).
#[inline(always)]
fn accumulate<const N: usize, const FUSED: bool>(
    acc: &mut [__m512; N],
    cols: &[__m512],
    p0: usize,
    b: impl Fn(usize, usize) -> __m512,
) {
    for (q, &col) in cols.iter().enumerate() {
        for (j, acc) in acc.iter_mut().enumerate() {
            *acc = madd::<FUSED>(col, b(p0 + q, j), *acc);
        }
    }
}

/// Narrow kernel: `a.rows ≤ 16` rows of A (unit column stride) times the
/// `kc × t.n` block of B, `t.n ≤` [`NARROW_COLS`](crate::gemm::direct::NARROW_COLS),
/// vectors along the rows of C (see [`narrow_cols`]). Row pointers past
/// `a.rows` repeat the last row (valid memory; those rows are never
/// stored).
///
/// # Safety
/// avx512f must be available; rows `0..a.rows` of A hold `kc` readable
/// entries with `a.cs == 1`; entries `b.ptr + p·b.rs + j·b.cs` are readable
/// for `p < kc`, `j < t.n`; `t` is a writable tile with `t.m == a.rows`,
/// `1 ≤ t.n ≤ 12`.
#[target_feature(enable = "avx512f")]
unsafe fn narrow<const FUSED: bool>(kc: usize, a: &DirectA, b: crate::gemm::Operand, t: &CTile) {
    macro_rules! go {
        ($($n:literal)*) => {
            match t.n {
                // SAFETY: forwarded contract, t.n == $n.
                $($n => unsafe { narrow_cols::<$n, FUSED>(kc, a, b, t) },)*
                _ => unreachable!("narrow kernel called with {} columns", t.n),
            }
        };
    }
    go!(1 2 3 4 5 6 7 8 9 10 11 12);
}
