//! Microkernels: the innermost loop of the BLIS algorithm (van Zee & van de
//! Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality",
//! ACM TOMS 41(3), 2015).
//!
//! A microkernel computes one `mr × nr` tile of `C ← α·A·B + β·C` over a block
//! of `kc` terms. Every kernel accumulates each entry in the *canonical order*:
//!
//! ```text
//! acc ← 0;  for p in 0..kc { acc ← acc + a[i,p]·b[p,j] }      (fused or not)
//! c   ← α·acc            when β = 0 (old c never read)
//! c   ← α·acc + β·c      otherwise (two roundings, never fused)
//! ```
//!
//! (a packed kernel may be given a list of the block's terms instead,
//! [`Terms::Listed`]: it sums those in the same order and finishes with
//! `acc ← acc + 0`; see [`SkipZeros`](super::SkipZeros)),
//! so the result depends neither on the instruction set nor on the tile shape:
//! AVX-512, AVX2 and the portable kernel give identical bits for the same
//! [`Precision`](super::Precision) whenever the hardware rounds the same way
//! (always for `Portable`; `Fast` uses a fused multiply-add where available).
//!
//! Kernel shapes per instruction set:
//! - *packed*: `a` and `b` are packed micro-panels (`a[p·mr + i]`, `b[p·nr + j]`),
//!   or `a` is read in place when its rows are contiguous along k (AVX2 and
//!   AVX-512; AVX-512 also has a taller in-place tile, see
//!   [`Kernels::rows_for`]), or read in place and packed as it goes (the
//!   *packing tile*, [`Kernels::packing_rows`]);
//! - *direct*: `rows ≤ dr` rows of A are read in place with any strides and a
//!   16-column strip of B is read with unit column stride (used when packing
//!   would dominate: narrow outputs, matrix-vector, tiny problems).
//! - *wide direct* (AVX-512): one or two rows of A in place times up to 128
//!   columns of B (8 or 16 accumulators; matrix-vector products).
//! - *narrow* (AVX-512): up to 16 rows of A read in place 16 terms at a time
//!   and transposed in registers, so vectors run along the rows of C, times
//!   at most [`NARROW_COLS`](super::direct::NARROW_COLS) columns of B
//!   broadcast from memory (the 10-class output layer, matrix-vector
//!   products with rows of A contiguous).
//! - *sparse* (AVX-512 and AVX2, [`crate::gemm::sparse`]): per row of C,
//!   the listed nonzero entries of its row of A, each times one row of a
//!   packed B panel of 8 vectors (128 columns with AVX-512, 64 with AVX2).

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
#[cfg(target_arch = "x86_64")]
pub(crate) mod entries;
pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod transpose;

/// Width of the B strip a direct kernel reads per call.
pub(crate) const STRIP: usize = 16;

/// Where a tile of C lives and how to update it.
#[derive(Clone, Copy)]
pub(crate) struct CTile {
    /// Entry `(0, 0)` of the tile.
    pub ptr: *mut f32,
    /// Row stride of C in elements.
    pub rs: usize,
    /// Column stride of C in elements.
    pub cs: usize,
    /// Rows of the tile that exist in C (≤ the kernel's mr).
    pub m: usize,
    /// Columns of the tile that exist in C (≤ the kernel's nr).
    pub n: usize,
    /// α.
    pub alpha: f32,
    /// β (0 means: do not read C).
    pub beta: f32,
}

/// The A operand of a direct kernel: `rows` rows read in place.
#[derive(Clone, Copy)]
pub(crate) struct DirectA {
    /// Entry `(0, p0)` of the first row.
    pub ptr: *const f32,
    /// Row stride of A.
    pub rs: usize,
    /// Column stride of A.
    pub cs: usize,
    /// Rows in this block (1 ..= the kernel's dr).
    pub rows: usize,
}

impl DirectA {
    /// The first-entry pointers of an `R`-row micro-panel read in place;
    /// rows past `self.rows` repeat the last row (valid memory; the kernels
    /// never store those tile rows).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub(crate) fn row_ptrs<const R: usize>(&self) -> [*const f32; R] {
        debug_assert!(self.cs == 1 && (1..=R).contains(&self.rows));
        core::array::from_fn(|i| self.ptr.wrapping_add(i.min(self.rows - 1) * self.rs))
    }
}

/// The terms of a k block that a packed kernel sums into each entry.
#[derive(Clone, Copy)]
pub(crate) enum Terms<'a> {
    /// Terms `0..kc` in order.
    All(usize),
    /// The listed terms (increasing, each below the block's kc) in order,
    /// then `acc ← acc + 0` (a zero sum becomes +0): the kernel skips the
    /// terms that are zero in every row of its A micro-panel (see
    /// [`crate::gemm::SkipZeros`]).
    Listed(&'a [u16]),
}

/// Packed kernel: `(terms, a_panel, b_panel, c)`.
pub(crate) type PackedFn = unsafe fn(Terms<'_>, *const f32, *const f32, &CTile);
/// Direct kernel: `(kc, a, b_strip, b_row_stride, c)`; it reads `c.n` (or
/// all 16, see [`Kernels::direct_masked`]) columns of each strip row.
pub(crate) type DirectFn = unsafe fn(usize, &DirectA, *const f32, usize, &CTile);

/// Packed-B kernel that reads A in place: `(terms, a, b_panel, c)` with `a`
/// holding `rows ≤ mr` rows of unit column stride.
pub(crate) type RowsFn = unsafe fn(Terms<'_>, &DirectA, *const f32, &CTile);

/// Packing in-place kernel: `(kc, a, b_panel, c, a_panel)`, a [`RowsFn`]
/// that also writes the `mr`-row micro-panel of A it reads into `a_panel`
/// (`a_panel[p·mr + i] = a(i, p)`, rows past `a.rows` repeating the last
/// row, as the kernel reads them).
pub(crate) type PackingRowsFn = unsafe fn(usize, &DirectA, *const f32, &CTile, *mut f32);

/// Narrow kernel: `(kc, a, b, c)` for `c.n ≤`
/// [`NARROW_COLS`](super::direct::NARROW_COLS) columns with vectors along
/// the rows of C: `a` holds up to 16 rows of unit column stride, read in
/// blocks of 16 terms and transposed in registers; every entry of `b`
/// (`kc × c.n`, any strides) is broadcast from memory.
pub(crate) type NarrowFn = unsafe fn(usize, &DirectA, super::Operand, &CTile);

/// The listed entries of one sub-block for the rows of a row block (see
/// [`crate::gemm::sparse`]): row `i` has entries `starts[i] ..
/// starts[i + 1]`, each a value of A and the offset of its B̃ row.
#[derive(Clone, Copy)]
// Only the x86-64 entry kernels read the lists; elsewhere no kernel set has
// one, and the sparse path that builds them is never chosen.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Lists<'a> {
    /// `rows + 1` increasing indices into `vals` and `offs`.
    pub starts: &'a [u32],
    /// Nonzero entries of A.
    pub vals: &'a [f32],
    /// Their B̃ rows: `p·w` for term `p` of the k block (`w`: the panel
    /// width).
    pub offs: &'a [u32],
}

/// Sparse-path kernel: `(lists, panel, acc, first, finish)` sums the
/// listed entries of one sub-block for every row of a row block, as
/// `entries::sum512`.
pub(crate) type EntriesFn = unsafe fn(&Lists<'_>, *const f32, *mut f32, bool, Option<&CTile>);

/// Sparse-path lister: `(seg, len, p0, vals, offs) -> count` writes the
/// nonzero entries of a contiguous row segment (offsets `(p0 + j)·w` for
/// the kernel set's panel width `w`), as `entries::list512`.
pub(crate) type ListFn = unsafe fn(*const f32, usize, u32, *mut f32, *mut u32) -> usize;

/// One instruction set's sparse-path kernels.
#[derive(Clone, Copy)]
pub(crate) struct EntryKernels {
    /// Columns of a packed B panel (the accumulators of one row of C).
    pub w: usize,
    /// The kernel.
    pub sum: EntriesFn,
    /// The lister (offsets in rows of `w` floats).
    pub list: ListFn,
}

/// Transposing packer for one panel of lines contiguous along k:
/// `(src, lines, kc, w, panel)`, as [`transpose::pack_lines`].
pub(crate) type PackLinesFn = unsafe fn(super::pack::Src, usize, usize, usize, &mut [f32]);

/// One instruction set's kernels and tile sizes.
#[derive(Clone, Copy)]
pub(crate) struct Kernels {
    /// Rows of a packed tile.
    pub mr: usize,
    /// Columns of a packed tile.
    pub nr: usize,
    /// Maximum rows of a direct block.
    pub dr: usize,
    /// Packed kernel.
    pub packed: PackedFn,
    /// Direct kernel.
    pub direct: DirectFn,
    /// Whether the direct kernel reads only the first `c.n` columns of the B
    /// strip (masked loads), so a narrow unit-stride strip needs no copy.
    pub direct_masked: bool,
    /// A direct kernel for at most the given number of rows over up to
    /// 128 columns of B (unit column stride, as C's), if this instruction
    /// set has one (matrix-vector products, see `direct::run`).
    pub direct_wide: Option<(usize, DirectFn)>,
    /// A faster packer for lines contiguous along k, if this instruction
    /// set has one (the baseline packer is used otherwise).
    pub pack_lines: Option<PackLinesFn>,
    /// The packed kernel with A read in place (rows of unit column stride
    /// need no packing), if this instruction set has one.
    pub packed_rows: Option<RowsFn>,
    /// A taller in-place kernel `(rows, kernel)` with the same `nr`, for m
    /// that it tiles with fewer wasted rows than `mr` (100 = 10 × 10
    /// rows, where 8-row tiles compute 104).
    pub packed_rows_tall: Option<(usize, RowsFn)>,
    /// The `mr`-row in-place kernel that packs A as it reads it, for rows
    /// of unit column stride that are packed anyway (see
    /// `blocked::IN_PLACE_ALIAS`) and come from L3 (`blocked::L2_FLOATS`):
    /// the first tile of each micro-panel row packs A for the other tiles,
    /// so no separate pass reads A.
    pub packing_rows: Option<PackingRowsFn>,
    /// The narrow kernel, if this instruction set has one (see
    /// `direct::run_narrow`).
    pub narrow: Option<NarrowFn>,
    /// The sparse path's kernels, if this instruction set has them (see
    /// [`crate::gemm::sparse`]).
    pub entries: Option<EntryKernels>,
}

impl Kernels {
    /// The in-place kernel for `m` rows and its tile height: the tall one
    /// when it computes fewer rows than `mr`-row tiles do (ties keep `mr`).
    pub(crate) fn rows_for(&self, m: usize) -> Option<(usize, RowsFn)> {
        let base = self.packed_rows?;
        Some(match self.packed_rows_tall {
            Some((h, f)) if m.next_multiple_of(h) < m.next_multiple_of(self.mr) => (h, f),
            _ => (self.mr, base),
        })
    }
}

/// Writes an accumulated tile `acc` (row-major, leading dimension `ld`) into C
/// in the canonical epilogue order.
///
/// # Safety
/// `t.ptr` with strides `t.rs`, `t.cs` must address `t.m × t.n` writable
/// entries, and `acc` must hold at least `(t.m − 1)·ld + t.n` values.
#[inline(always)]
pub(crate) unsafe fn store_scalar(acc: &[f32], ld: usize, t: &CTile) {
    for i in 0..t.m {
        for j in 0..t.n {
            let v = t.alpha * acc[i * ld + j];
            // SAFETY: (i, j) is inside the tile, which the caller guarantees
            // is addressable.
            unsafe {
                let p = t.ptr.add(i * t.rs + j * t.cs);
                *p = if t.beta == 0.0 { v } else { v + t.beta * *p };
            }
        }
    }
}
