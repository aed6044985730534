//! Portable microkernels written with `wide::f32x8` (any target).
//!
//! Packed kernel: a 6 × 16 tile of C in 6 × 2 `f32x8` accumulators, per term
//! `acc[i][v] ← acc[i][v] + a[p·6+i]·b[p·16 + 8v ..]`. In the fast precision
//! the update is `wide`'s `mul_add` (a fused multiply-add only when the crate
//! is compiled with FMA enabled); in the portable precision it is a multiply
//! then an add, both rounded to f32 by IEEE 754 — identical bits on every
//! target. The direct kernel reads up to 6 rows of A in place. Same tile
//! shape as the AVX2 kernel (BLIS, van Zee & van de Geijn 2015).

use super::{CTile, DirectA, Kernels, Terms};
use wide::f32x8;

const MR: usize = 6;
const NR: usize = 16;
const DR: usize = 6;

/// This target's portable kernels (fused where `wide` fuses, or portable).
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
        packed_rows: None,
        packed_rows_tall: None,
        packing_rows: None,
        narrow: None,
        entries: None,
    }
}

#[inline(always)]
fn madd<const FUSED: bool>(a: f32x8, b: f32x8, acc: f32x8) -> f32x8 {
    if FUSED {
        a.mul_add(b, acc)
    } else {
        a * b + acc
    }
}

/// Loads 8 floats.
///
/// # Safety
/// `p` must address 8 readable floats.
#[inline(always)]
unsafe fn load8(p: *const f32) -> f32x8 {
    // SAFETY: the caller guarantees 8 readable floats; read_unaligned has no
    // alignment requirement.
    f32x8::new(unsafe { p.cast::<[f32; 8]>().read_unaligned() })
}

/// Stores `R × 2` accumulators into the tile through a row-major buffer.
///
/// # Safety
/// `t` must describe a writable tile with `t.m ≤ R ≤ 6`, `t.n ≤ 16`.
#[inline(always)]
unsafe fn store_tile<const R: usize>(acc: &[[f32x8; 2]; R], t: &CTile) {
    let mut buf = [[0.0f32; 16]; 6];
    for (i, row) in acc.iter().enumerate() {
        buf[i][..8].copy_from_slice(&row[0].to_array());
        buf[i][8..].copy_from_slice(&row[1].to_array());
    }
    // SAFETY: buf holds the tile row-major (ld 16); the caller guarantees C.
    unsafe { super::store_scalar(buf.as_flattened(), 16, t) };
}

/// Packed 6 × 16 kernel.
///
/// # Safety
/// `a` holds `kc·6`, `b` holds `kc·16` floats (kc: the block's terms) and
/// `t` is a writable tile of at most 6 × 16 entries.
unsafe fn packed<const FUSED: bool>(terms: Terms<'_>, a: *const f32, b: *const f32, t: &CTile) {
    let mut acc = [[f32x8::ZERO; 2]; MR];
    match terms {
        Terms::All(kc) => {
            for p in 0..kc {
                // SAFETY: p < kc, a term of the block.
                unsafe { rank1::<FUSED>(&mut acc, p, a, b) };
            }
        }
        Terms::Listed(list) => {
            for &p in list {
                // SAFETY: listed terms are terms of the block.
                unsafe { rank1::<FUSED>(&mut acc, usize::from(p), a, b) };
            }
            for v in acc.as_flattened_mut() {
                *v += f32x8::ZERO;
            }
        }
    }
    // SAFETY: the caller guarantees the tile.
    unsafe { store_tile(&acc, t) };
}

/// One term of the packed kernel: `acc[i] += a[p·6 + i] · b[p·16 ..]`.
///
/// # Safety
/// Row p of both packed panels is in bounds.
#[inline(always)]
unsafe fn rank1<const FUSED: bool>(
    acc: &mut [[f32x8; 2]; MR],
    p: usize,
    a: *const f32,
    b: *const f32,
) {
    // SAFETY: row p of both packed panels is in bounds (caller).
    unsafe {
        let b0 = load8(b.add(p * NR));
        let b1 = load8(b.add(p * NR + 8));
        let ap = a.add(p * MR);
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = f32x8::splat(*ap.add(i));
            row[0] = madd::<FUSED>(ai, b0, row[0]);
            row[1] = madd::<FUSED>(ai, b1, row[1]);
        }
    }
}

/// Direct kernel body for exactly `R` rows.
///
/// # Safety
/// As [`direct`], with `a.rows == R`.
#[inline(always)]
unsafe fn direct_rows<const R: usize, const FUSED: bool>(
    kc: usize,
    a: &DirectA,
    b: *const f32,
    ldb: usize,
    t: &CTile,
) {
    let mut acc = [[f32x8::ZERO; 2]; R];
    for p in 0..kc {
        // SAFETY: p < kc: row p of the strip and column p of each A row exist.
        unsafe {
            let b0 = load8(b.add(p * ldb));
            let b1 = load8(b.add(p * ldb + 8));
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = f32x8::splat(*a.ptr.add(i * a.rs + p * a.cs));
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
/// Rows `0..a.rows`, columns `0..kc` of A exist; `b` holds `kc` rows of 16
/// readable floats at stride `ldb`; `t` is a writable tile with
/// `t.m == a.rows`, `t.n ≤ 16`.
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
