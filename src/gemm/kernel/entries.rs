//! Kernels of the sparse path ([`crate::gemm::sparse`]), AVX-512F and
//! AVX2: list the nonzero entries of a row segment of A, and sum listed
//! entries of many rows against a packed B panel `w` columns wide.
//!
//! Per row of C and per listed entry `(p, a)` of its row of A, the kernel
//! broadcasts `a` and adds `a·b̃[p, 0..w]` into 8 vector accumulators (one
//! FMA each, the B̃ row read from memory: one load per FMA; Zen 4 issues
//! one 64-byte load and one 512-bit FMA a cycle, or two of 32 bytes). The
//! block of a sub-block (`KB × w` floats: 32 KiB with AVX-512, 16 KiB
//! with AVX2) stays in L1 while every row of the row block runs over it.

use super::{CTile, EntryKernels, Lists};
use core::arch::x86_64::{
    __m256, __m256i, __m512, _CMP_NEQ_UQ, _mm256_add_epi32, _mm256_add_ps, _mm256_and_si256,
    _mm256_cmp_ps, _mm256_loadu_ps, _mm256_movemask_ps, _mm256_permutevar8x32_epi32,
    _mm256_permutevar8x32_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32,
    _mm256_setzero_ps, _mm256_srlv_epi32, _mm256_storeu_ps, _mm256_storeu_si256, _mm512_add_epi32,
    _mm512_add_ps, _mm512_cmp_ps_mask, _mm512_loadu_ps, _mm512_maskz_compress_epi32,
    _mm512_maskz_compress_ps, _mm512_maskz_loadu_ps, _mm512_set1_epi32, _mm512_set1_ps,
    _mm512_setr_epi32, _mm512_setzero_ps, _mm512_storeu_epi32, _mm512_storeu_ps,
};

/// Vector accumulators per row of C.
const V: usize = 8;
/// AVX-512 panel width: 8 zmm accumulators.
const W512: usize = 16 * V;
/// AVX2 panel width: 8 ymm accumulators (9 of the 16 registers with the
/// broadcast).
const W256: usize = 8 * V;

/// The AVX-512 kernels for one precision.
pub(crate) fn avx512(fused: bool) -> EntryKernels {
    EntryKernels {
        w: W512,
        sum: if fused {
            sum512::<true>
        } else {
            sum512::<false>
        },
        list: list512,
    }
}

/// The AVX2 kernels for one precision.
pub(crate) fn avx2(fused: bool) -> EntryKernels {
    EntryKernels {
        w: W256,
        sum: if fused {
            sum256::<true>
        } else {
            sum256::<false>
        },
        list: list256,
    }
}

/// Writes the nonzero entries among `len` contiguous floats at `seg` as
/// values (`vals`) and panel offsets (`offs`: `(p0 + j)·w` for entry `j`,
/// `w` = 128) and returns how many. ±0 entries are left out; NaN is kept.
///
/// # Safety
/// avx512f must be available; `seg` addresses `len` readable floats;
/// `vals` and `offs` have room for the count plus 16 (whole vectors are
/// stored, lanes past the count are scratch).
#[target_feature(enable = "avx512f")]
unsafe fn list512(seg: *const f32, len: usize, p0: u32, vals: *mut f32, offs: *mut u32) -> usize {
    let mut n = 0;
    let mut j = 0;
    // SAFETY: loads are masked to the `len` readable lanes; each store
    // writes 16 lanes at `n ≤ count so far`, inside the room of count + 16.
    unsafe {
        // Offsets of the 16 terms at j: (p0 + j + lane)·w, advanced by 16·w.
        let w = W512 as i32;
        let mut at = _mm512_add_epi32(
            _mm512_setr_epi32(
                0,
                w,
                2 * w,
                3 * w,
                4 * w,
                5 * w,
                6 * w,
                7 * w,
                8 * w,
                9 * w,
                10 * w,
                11 * w,
                12 * w,
                13 * w,
                14 * w,
                15 * w,
            ),
            _mm512_set1_epi32(p0 as i32 * w),
        );
        let step = _mm512_set1_epi32(16 * w);
        while j < len {
            let lanes = (len - j).min(16);
            let x = _mm512_maskz_loadu_ps(super::avx512::mask(lanes), seg.add(j));
            let keep = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(x, _mm512_setzero_ps());
            _mm512_storeu_ps(vals.add(n), _mm512_maskz_compress_ps(keep, x));
            _mm512_storeu_epi32(offs.add(n).cast(), _mm512_maskz_compress_epi32(keep, at));
            n += keep.count_ones() as usize;
            at = _mm512_add_epi32(at, step);
            j += 16;
        }
    }
    n
}

/// A vector register of one instruction set, as the entry kernel uses it
/// (every method is called only from a function compiled with that
/// instruction set).
trait Vector: Copy {
    /// Lanes.
    const LANES: usize;
    /// All lanes +0.
    unsafe fn zero() -> Self;
    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self;
    /// `LANES` floats from `p`.
    unsafe fn load(p: *const f32) -> Self;
    /// To `LANES` floats at `p`.
    unsafe fn store(self, p: *mut f32);
    /// `acc + a·b`, fused or a multiply then an add.
    unsafe fn madd<const FUSED: bool>(a: Self, b: Self, acc: Self) -> Self;
    /// The canonical epilogue for the first `lanes` (1 ..= `LANES`) entries
    /// at `p`: `acc + 0`, then `α·acc` (`+ β·c` unless β = 0).
    unsafe fn finish(self, p: *mut f32, lanes: usize, alpha: f32, beta: f32);
}

/// An AVX-512 register.
#[derive(Clone, Copy)]
struct Zmm(__m512);

/// An AVX2 register.
#[derive(Clone, Copy)]
struct Ymm(__m256);

// SAFETY (all methods): the caller is compiled with avx512f; pointers
// address LANES floats (`lanes` for `finish`, masked).
impl Vector for Zmm {
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm512_setzero_ps() })
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm512_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm512_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see the impl.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn madd<const FUSED: bool>(a: Self, b: Self, acc: Self) -> Self {
        Self(super::avx512::madd::<FUSED>(a.0, b.0, acc.0))
    }
    #[inline(always)]
    unsafe fn finish(self, p: *mut f32, lanes: usize, alpha: f32, beta: f32) {
        // SAFETY: see the impl; store_row touches only `lanes` floats.
        unsafe {
            let x = _mm512_add_ps(self.0, _mm512_setzero_ps());
            super::avx512::store_row(p, x, lanes, _mm512_set1_ps(alpha), beta);
        }
    }
}

// SAFETY (all methods): the caller is compiled with avx2 and fma; pointers
// address LANES floats (`lanes` for `finish`).
impl Vector for Ymm {
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm256_setzero_ps() })
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm256_set1_ps(x) })
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see the impl.
        Self(unsafe { _mm256_loadu_ps(p) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see the impl.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn madd<const FUSED: bool>(a: Self, b: Self, acc: Self) -> Self {
        Self(super::avx2::madd::<FUSED>(a.0, b.0, acc.0))
    }
    #[inline(always)]
    unsafe fn finish(self, p: *mut f32, lanes: usize, alpha: f32, beta: f32) {
        // SAFETY: see the impl; the partial path writes `lanes` floats.
        unsafe {
            let x = _mm256_add_ps(self.0, _mm256_setzero_ps());
            if lanes == 8 {
                super::avx2::store8(p, x, _mm256_set1_ps(alpha), beta);
            } else {
                let mut sums = [0.0f32; 8];
                _mm256_storeu_ps(sums.as_mut_ptr(), x);
                let row = CTile {
                    ptr: p,
                    rs: 0,
                    cs: 1,
                    m: 1,
                    n: lanes,
                    alpha,
                    beta,
                };
                super::store_scalar(&sums, 8, &row);
            }
        }
    }
}

/// One sub-block for the rows of `lists`: row `i` sums its listed
/// entries against the panel into its `w = V·LANES` accumulators, which
/// start at zero (`first`) or from `acc[i·w ..]`. Without `finish` they go
/// back to `acc`; with it (the block's last sub-block) they get `+ 0` and
/// the canonical epilogue into the tile (one row per list, `finish.n ≤ w`
/// columns, unit column stride).
///
/// # Safety
/// The CPU has `R`'s instruction set and the caller is compiled with it;
/// every offset plus `w` is inside the panel; `acc` holds `w` floats per
/// row; `finish` (if any) is a writable tile with `m` = the rows of
/// `lists`, `n ≤ w` and `cs == 1`.
#[inline(always)]
unsafe fn sum<R: Vector, const FUSED: bool>(
    lists: &Lists<'_>,
    panel: *const f32,
    acc: *mut f32,
    first: bool,
    finish: Option<&CTile>,
) {
    let w = V * R::LANES;
    let rows = lists.starts.len() - 1;
    for i in 0..rows {
        let (s, e) = (lists.starts[i] as usize, lists.starts[i + 1] as usize);
        let (vals, offs) = (&lists.vals[s..e], &lists.offs[s..e]);
        // SAFETY: acc row i holds w floats; every offset addresses a panel
        // row of w floats (caller); finish rows i < rows, lanes < n.
        unsafe {
            let mem = acc.add(i * w);
            let mut r: [R; V] = if first {
                [R::zero(); V]
            } else {
                core::array::from_fn(|v| R::load(mem.add(R::LANES * v)))
            };
            for (&a, &o) in vals.iter().zip(offs) {
                let a = R::splat(a);
                let b = panel.add(o as usize);
                for (v, x) in r.iter_mut().enumerate() {
                    *x = R::madd::<FUSED>(a, R::load(b.add(R::LANES * v)), *x);
                }
            }
            match finish {
                None => {
                    for (v, &x) in r.iter().enumerate() {
                        x.store(mem.add(R::LANES * v));
                    }
                }
                Some(t) => {
                    debug_assert!(t.cs == 1 && t.m == rows && t.n <= w);
                    let row = t.ptr.add(i * t.rs);
                    for (v, &x) in r.iter().enumerate() {
                        let lanes = t.n.saturating_sub(R::LANES * v).min(R::LANES);
                        if lanes > 0 {
                            x.finish(row.add(R::LANES * v), lanes, t.alpha, t.beta);
                        }
                    }
                }
            }
        }
    }
}

/// [`sum`] on AVX-512 (`w` = 128).
///
/// # Safety
/// avx512f must be available; otherwise as [`sum`].
#[target_feature(enable = "avx512f")]
unsafe fn sum512<const FUSED: bool>(
    lists: &Lists<'_>,
    panel: *const f32,
    acc: *mut f32,
    first: bool,
    finish: Option<&CTile>,
) {
    // SAFETY: forwarded; compiled with avx512f.
    unsafe { sum::<Zmm, FUSED>(lists, panel, acc, first, finish) }
}

/// [`sum`] on AVX2 and FMA (`w` = 64).
///
/// # Safety
/// avx2 and fma must be available; otherwise as [`sum`].
#[target_feature(enable = "avx2,fma")]
unsafe fn sum256<const FUSED: bool>(
    lists: &Lists<'_>,
    panel: *const f32,
    acc: *mut f32,
    first: bool,
    finish: Option<&CTile>,
) {
    // SAFETY: forwarded; compiled with avx2 and fma.
    unsafe { sum::<Ymm, FUSED>(lists, panel, acc, first, finish) }
}

/// For each 8-bit mask, the lanes of its set bits in increasing order,
/// 3 bits each (lane `t` of the compressed vector in bits `3t..3t + 3`).
const COMPRESS8: [u32; 256] = {
    let mut lut = [0u32; 256];
    let mut m = 0;
    while m < 256 {
        let (mut packed, mut t, mut lane) = (0u32, 0, 0);
        while lane < 8 {
            if m & (1 << lane) != 0 {
                packed |= (lane as u32) << (3 * t);
                t += 1;
            }
            lane += 1;
        }
        lut[m] = packed;
        m += 1;
    }
    lut
};

/// [`list512`] for AVX2 (offsets `(p0 + j)·w`, `w` = 64): AVX2 has no
/// compress, so each 8-lane mask picks a permutation from [`COMPRESS8`].
///
/// # Safety
/// avx2 must be available; `seg` addresses `len` readable floats; `vals`
/// and `offs` have room for the count plus 8.
#[target_feature(enable = "avx2")]
unsafe fn list256(seg: *const f32, len: usize, p0: u32, vals: *mut f32, offs: *mut u32) -> usize {
    let mut n = 0;
    let mut j = 0;
    // SAFETY: full vectors are read only while 8 entries remain (the tail
    // goes through a zero-padded copy); each store writes 8 lanes at
    // `n ≤ count so far`, inside the room of count + 8.
    unsafe {
        let w = W256 as i32;
        let mut at = _mm256_add_epi32(
            _mm256_setr_epi32(0, w, 2 * w, 3 * w, 4 * w, 5 * w, 6 * w, 7 * w),
            _mm256_set1_epi32(p0 as i32 * w),
        );
        let step = _mm256_set1_epi32(8 * w);
        let shifts = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
        let seven = _mm256_set1_epi32(7);
        while j < len {
            let x = if len - j >= 8 {
                _mm256_loadu_ps(seg.add(j))
            } else {
                let mut tail = [0.0f32; 8];
                for (t, d) in tail.iter_mut().enumerate().take(len - j) {
                    *d = *seg.add(j + t);
                }
                _mm256_loadu_ps(tail.as_ptr())
            };
            let keep = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(x, _mm256_setzero_ps()));
            let lanes: __m256i = _mm256_and_si256(
                _mm256_srlv_epi32(_mm256_set1_epi32(COMPRESS8[keep as usize] as i32), shifts),
                seven,
            );
            _mm256_storeu_ps(vals.add(n), _mm256_permutevar8x32_ps(x, lanes));
            _mm256_storeu_si256(offs.add(n).cast(), _mm256_permutevar8x32_epi32(at, lanes));
            n += keep.count_ones() as usize;
            at = _mm256_add_epi32(at, step);
            j += 8;
        }
    }
    n
}
