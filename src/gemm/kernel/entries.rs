//! AVX-512F kernels of the sparse path ([`crate::gemm::sparse`]): list
//! the nonzero entries of a row segment of A, and sum listed entries of
//! many rows against a packed B panel [`W`] columns wide.
//!
//! Per row of C and per listed entry `(p, a)` of its row of A, the kernel
//! broadcasts `a` and adds `a·b[p, 0..128]` into 8 zmm accumulators (one
//! FMA each, the B row read from memory: one 64-byte load per FMA, which
//! Zen 4 issues at the rate of its one 512-bit FMA a cycle). The B panel
//! block of a sub-block (`KB × W` floats) stays in L1 while every row of
//! the row block runs over it.

use super::avx512::{madd, mask, store_row};
use super::{CTile, EntriesFn, ListFn, Lists};
use crate::gemm::sparse::W;
use core::arch::x86_64::{
    __m512, _CMP_NEQ_UQ, _mm512_add_epi32, _mm512_add_ps, _mm512_cmp_ps_mask, _mm512_loadu_ps,
    _mm512_maskz_compress_epi32, _mm512_maskz_compress_ps, _mm512_maskz_loadu_ps,
    _mm512_set1_epi32, _mm512_set1_ps, _mm512_setr_epi32, _mm512_setzero_ps, _mm512_storeu_epi32,
    _mm512_storeu_ps,
};

/// Accumulators per row: `W / 16`.
const V: usize = W / 16;

/// The kernels for one precision.
pub(crate) fn kernels(fused: bool) -> (EntriesFn, ListFn) {
    (if fused { sum::<true> } else { sum::<false> }, list)
}

/// Writes the nonzero entries among `len` contiguous floats at `seg` as
/// values (`vals`) and panel offsets (`offs`: `(p0 + j)·W` for entry `j`)
/// and returns how many. ±0 entries are left out; NaN is kept.
///
/// # Safety
/// avx512f must be available; `seg` addresses `len` readable floats;
/// `vals` and `offs` have room for the count plus 16 (whole vectors are
/// stored, lanes past the count are scratch).
#[target_feature(enable = "avx512f")]
unsafe fn list(seg: *const f32, len: usize, p0: u32, vals: *mut f32, offs: *mut u32) -> usize {
    let mut n = 0;
    let mut j = 0;
    // SAFETY: loads are masked to the `len` readable lanes; each store
    // writes 16 lanes at `n ≤ count so far`, inside the room of count + 16.
    unsafe {
        // Offsets of the 16 terms at j: (p0 + j + lane)·W, advanced by 16·W.
        let w = W as i32;
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
            let x = _mm512_maskz_loadu_ps(mask(lanes), seg.add(j));
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

/// One sub-block for the rows of `lists`: row `i` sums its listed
/// entries against the panel into its `W` accumulators, which start at
/// zero (`first`) or from `acc[i·W ..]`. Without `finish` they go back to
/// `acc`; with it (the block's last sub-block) they get `+ 0` and the
/// canonical epilogue into the tile (one row per list, `finish.n ≤ W`
/// columns, unit column stride).
///
/// # Safety
/// avx512f must be available; every offset plus `W` is inside the panel;
/// `acc` holds `W` floats per row; `finish` (if any) is a writable tile
/// with `m` = the rows of `lists`, `n ≤ W` and `cs == 1`.
#[target_feature(enable = "avx512f")]
unsafe fn sum<const FUSED: bool>(
    lists: &Lists<'_>,
    panel: *const f32,
    acc: *mut f32,
    first: bool,
    finish: Option<&CTile>,
) {
    let rows = lists.starts.len() - 1;
    for i in 0..rows {
        let (s, e) = (lists.starts[i] as usize, lists.starts[i + 1] as usize);
        let (vals, offs) = (&lists.vals[s..e], &lists.offs[s..e]);
        // SAFETY: acc row i holds W floats; every offset addresses a panel
        // row of W floats (caller); finish rows i < rows, lanes < n.
        unsafe {
            let mem = acc.add(i * W);
            let mut r: [__m512; V] = if first {
                [_mm512_setzero_ps(); V]
            } else {
                core::array::from_fn(|v| _mm512_loadu_ps(mem.add(16 * v)))
            };
            for (&a, &o) in vals.iter().zip(offs) {
                let a = _mm512_set1_ps(a);
                let b = panel.add(o as usize);
                for (v, x) in r.iter_mut().enumerate() {
                    *x = madd::<FUSED>(a, _mm512_loadu_ps(b.add(16 * v)), *x);
                }
            }
            match finish {
                None => {
                    for (v, &x) in r.iter().enumerate() {
                        _mm512_storeu_ps(mem.add(16 * v), x);
                    }
                }
                Some(t) => {
                    debug_assert!(t.cs == 1 && t.m == rows && t.n <= W);
                    let alpha = _mm512_set1_ps(t.alpha);
                    let row = t.ptr.add(i * t.rs);
                    for (v, &x) in r.iter().enumerate() {
                        let lanes = t.n.saturating_sub(16 * v).min(16);
                        if lanes > 0 {
                            let x = _mm512_add_ps(x, _mm512_setzero_ps());
                            store_row(row.add(16 * v), x, lanes, alpha, t.beta);
                        }
                    }
                }
            }
        }
    }
}
