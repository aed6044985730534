//! The packed BLIS path: five loops around a microkernel (van Zee & van de
//! Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality",
//! ACM TOMS 41(3), 2015, Fig. 2), plus the split over rows for threads.
//!
//! ```text
//! 5th loop  jc: columns of C and B in blocks of NC
//! 4th loop  pc: k in blocks of KC; pack B[pc.., jc..] → B̃ (KC × NC, L2)
//! 3rd loop  ic: rows of C and A in blocks of MC; pack A[ic.., pc..] → Ã
//!               (skipped when rows of A are contiguous along k and the
//!               kernel reads them in place, or, for rows 4 KiB apart that
//!               come from L3, packs them in its first tile)
//! 2nd loop  ir: MR-tall micro-panels of Ã (one stays in L1 for the jr loop)
//!               [skipping zeros: list the terms p at which the micro-panel
//!               has a nonzero entry]
//! 1st loop  jr: NR-wide micro-panels of B̃ (streamed from L2)
//! kernel    p : kc rank-1 updates of an MR × NR tile held in registers
//!               [skipping zeros: the listed terms only, then acc + 0]
//! ```
//!
//! The first KC block applies β; later blocks add with β = 1 (so a β = 0 call
//! never reads the old C). Splitting over rows or columns never changes the
//! order in which an entry accumulates over k.

#![allow(unsafe_code)]

use super::kernel::{CTile, DirectA, Kernels, PackingRowsFn, RowsFn, Terms};
use super::pack::{Src, pack, packed_len};
use super::{KC, MC, NC, Problem, k_blocks, kc_block};

/// Rows of A whose stride is a multiple of this many floats (4 KiB) are
/// packed even when the kernel set can read them in place: the rows of a
/// micro-panel then share L1 sets with each other and with the streaming B
/// panel (measured: −3 % at 2048³ in place, ±2 % at 1024³), whereas
/// in place gains 3–9 % on 128³…512³ and the MLP's 100×784·784×256.
const IN_PLACE_ALIAS: usize = 1024;

/// Scratch the packed path needs for an `m × k · k × n` problem (any kernel).
pub(crate) const fn workspace_len(m: usize, k: usize, n: usize) -> usize {
    let kc = kc_block(k);
    let mc = if m < MC { m } else { MC };
    let nc = if n < NC { n } else { NC };
    // +31 covers rounding up to any tile size ≤ 32; +32 aligns both buffers
    // to 64 bytes.
    (mc + 31) * kc + (nc + 31) * kc + 32
}

/// Floats of A, B and C together above which they cannot all stay in the
/// 2 MiB L2 of the Intel Xeon where this was measured (Zen 4 has 1 MiB;
/// not re-measured there): A then arrives from L3 whatever
/// packs it, and the packing tile (see [`run`]) overlaps that wait with
/// its multiply-adds. Below it A is L2-resident, and a separate pack is
/// the cheaper of the two (measured alternating in one process, rows
/// 4 KiB apart: 57×1024·1024×70 0.97–0.98, 200×1024·1024×64 0.98,
/// 100×1024·1024×256 1.00 with the packing tile; above: 1024×1024·1024×64
/// 1.10, 256×1024·1024×1024 1.04, 1024³ 1.03).
const L2_FLOATS: usize = 1 << 19;

/// Runs the five loops on one problem, or the sparse path when A is
/// hinted and sparse enough for it (see [`super::sparse::takes`]).
///
/// # Safety
/// `p` must describe valid views (every entry of A and B readable, every
/// entry of C writable and not aliased), with `m, n, k ≥ 1`, and `ws` must
/// hold at least `workspace_len(p.m, p.k, p.n)` floats.
pub(crate) unsafe fn run(ks: &Kernels, p: &Problem, ws: &mut [f32]) {
    // SAFETY: A's entries are readable (caller).
    if let Some(sparse) = unsafe { super::sparse::takes(ks, p) } {
        // SAFETY: forwarded; the workspace covers the sparse path's need
        // (`gemm_workspace_len` includes it).
        unsafe { super::sparse::run(ks, sparse, p, ws) };
        return;
    }
    let floats = (p.m * p.k)
        .saturating_add(p.k * p.n)
        .saturating_add(p.m * p.n);
    // SAFETY: forwarded.
    unsafe { run_with(ks, p, ws, floats > L2_FLOATS) };
}

/// [`run`], with the packing tile allowed or not (`far`: the operands do
/// not fit in L2).
///
/// # Safety
/// As [`run`].
pub(crate) unsafe fn run_with(ks: &Kernels, p: &Problem, ws: &mut [f32], far: bool) {
    let (mr, nr) = (ks.mr, ks.nr);
    // Rows of A contiguous along k are read in place when the kernel set can
    // (no packing; the rows of a micro-panel stay in L1 across the jr loop),
    // unless they lie a multiple of 4 KiB apart. The in-place kernel's tile
    // height may differ from mr (see `Kernels::rows_for`).
    let in_place = if p.a.cs == 1 && !p.a.rs.is_multiple_of(IN_PLACE_ALIAS) {
        ks.rows_for(p.m)
    } else {
        None
    };
    // Rows contiguous along k but packed anyway (4 KiB apart) are packed by
    // the first kernel of each micro-panel row when they come from L3 and
    // the kernel set can.
    // Not when skipping zero terms: the listed terms come from the packed
    // micro-panel (or from A in place), before its first tile.
    let packing = match in_place {
        None if p.a.cs == 1 && far && !p.skip => ks.packing_rows,
        _ => None,
    };
    let tile_m = in_place.map_or(mr, |(h, _)| h);
    // Row blocks hold whole tiles (MC is a multiple of mr; 40 rows for the
    // 10-row tile).
    let mc_max = MC / tile_m * tile_m;
    let a_len = packed_len(p.m.min(MC), kc_block(p.k), mr);
    let (wa, wb) = align64(ws).split_at_mut(a_len.next_multiple_of(16));
    let wb = align64(wb);
    // 5th loop: column blocks of C and B.
    for jc in (0..p.n).step_by(NC) {
        let nc = NC.min(p.n - jc);
        // 4th loop: blocks of the k dimension.
        for (pc, kc) in k_blocks(p.k) {
            // SAFETY: (pc, jc) starts a kc × nc block of B; wb is large
            // enough by the workspace contract.
            unsafe { pack_b(ks, p, (pc, kc), (jc, nc), nr, wb) };
            let beta = if pc == 0 { p.beta } else { 1.0 };
            // 3rd loop: row blocks of C and A.
            for ic in (0..p.m).step_by(mc_max) {
                let mc = mc_max.min(p.m - ic);
                let a_src = Src {
                    // SAFETY: (ic, pc) is an entry of A.
                    ptr: unsafe { p.a.ptr.add(ic * p.a.rs + pc * p.a.cs) },
                    s_line: p.a.rs,
                    s_k: p.a.cs,
                };
                if in_place.is_none() && packing.is_none() {
                    // SAFETY: mc rows × kc columns from (ic, pc) are inside A.
                    unsafe { pack(a_src, mc, kc, mr, wa, ks.pack_lines) };
                }
                let blk = Block {
                    ic,
                    jc,
                    pc,
                    mc,
                    nc,
                    kc,
                    beta,
                };
                // SAFETY: the packed panels cover the block; C covers it.
                unsafe { macro_loops(ks, p, &blk, wa, wb, in_place, packing) };
            }
        }
    }
}

/// Packs the `kc × nc` block of B at `(pc, jc)` (the 4th loop's B̃) into
/// `w`-wide panels.
///
/// # Safety
/// The block lies inside `p.b`; `dst` holds `packed_len(nc, kc, w)`
/// floats; `ks` is a kernel set this CPU supports.
pub(crate) unsafe fn pack_b(
    ks: &Kernels,
    p: &Problem,
    (pc, kc): (usize, usize),
    (jc, nc): (usize, usize),
    w: usize,
    dst: &mut [f32],
) {
    let src = Src {
        // SAFETY: (pc, jc) is an entry of B (caller).
        ptr: unsafe { p.b.ptr.add(pc * p.b.rs + jc * p.b.cs) },
        s_line: p.b.cs,
        s_k: p.b.rs,
    };
    // SAFETY: nc columns × kc rows from (pc, jc) are inside B, dst is
    // large enough (caller).
    unsafe { pack(src, nc, kc, w, dst, ks.pack_lines) };
}

/// One (ic, jc) block of C with its packed operands.
struct Block {
    ic: usize,
    jc: usize,
    pc: usize,
    mc: usize,
    nc: usize,
    kc: usize,
    beta: f32,
}

/// The 2nd and 1st loops over micro-panels of the packed block.
///
/// # Safety
/// `wb` holds the packed panels of B for the block, and `wa` those of A
/// unless `in_place` is given (A is then read from `p` in tiles of the
/// given height) or `packing` is (the first tile of each micro-panel row
/// packs it into `wa`, which must hold the block's packed length, and A's
/// rows have unit column stride); the block lies inside C.
#[inline]
unsafe fn macro_loops(
    ks: &Kernels,
    p: &Problem,
    blk: &Block,
    wa: &mut [f32],
    wb: &[f32],
    in_place: Option<(usize, RowsFn)>,
    packing: Option<PackingRowsFn>,
) {
    let (nr, kc) = (ks.nr, blk.kc);
    let mr = in_place.map_or(ks.mr, |(h, _)| h);
    let mut list = [0u16; KC];
    // 2nd loop: MR-tall micro-panels of Ã.
    for ir in (0..blk.mc).step_by(mr) {
        let i = blk.ic + ir;
        let rows = DirectA {
            // SAFETY: (i, pc) is an entry of A.
            ptr: unsafe { p.a.ptr.add(i * p.a.rs + blk.pc * p.a.cs) },
            rs: p.a.rs,
            cs: p.a.cs,
            rows: mr.min(blk.mc - ir),
        };
        let terms = if !p.skip {
            Terms::All(kc)
        } else if in_place.is_some() {
            // SAFETY: rows i.. of A hold kc entries from pc with unit stride.
            Terms::Listed(unsafe { nonzero_rows(&rows, kc, &mut list) })
        } else {
            Terms::Listed(nonzero_panel(&wa[ir * kc..][..mr * kc], mr, &mut list))
        };
        // 1st loop: NR-wide micro-panels of B̃.
        for jr in (0..blk.nc).step_by(nr) {
            let j = blk.jc + jr;
            let tile = CTile {
                // SAFETY: (i, j) is an entry of C.
                ptr: unsafe { p.c.add(i * p.crs + j * p.ccs) },
                rs: p.crs,
                cs: p.ccs,
                m: mr.min(blk.mc - ir),
                n: nr.min(blk.nc - jr),
                alpha: p.alpha,
                beta: blk.beta,
            };
            let b = wb[jr * kc..].as_ptr();
            if let Some((_, kernel)) = in_place {
                // SAFETY: rows i..i + tile.m of A hold kc entries from pc
                // with unit stride; micro-panel jr/nr holds kc·nr packed
                // floats; the tile lies inside C; listed terms are < kc.
                unsafe { kernel(terms, &rows, b, &tile) };
                continue;
            }
            let wa_ir = &mut wa[ir * kc..][..mr * kc];
            if let (0, Some(packing)) = (jr, packing) {
                // SAFETY: as for the in-place kernel above; wa_ir holds
                // kc·mr floats of the workspace, which overlaps no operand.
                unsafe { packing(kc, &rows, b, &tile, wa_ir.as_mut_ptr()) };
                continue;
            }
            // SAFETY: micro-panels ir/mr (packed above, or by this row's
            // first tile) and jr/nr hold kc·mr and kc·nr packed floats; the
            // tile lies inside C; listed terms are < kc.
            unsafe { (ks.packed)(terms, wa_ir.as_ptr(), b, &tile) };
        }
    }
}

/// Lists in `list` the terms p < kc at which some line of a packed
/// micro-panel (`panel[p·mr + i]`, `mr` lines) is not zero.
fn nonzero_panel<'l>(panel: &[f32], mr: usize, list: &'l mut [u16; KC]) -> &'l [u16] {
    let bits = panel
        .chunks_exact(mr)
        .map(|col| col.iter().fold(0, |acc, x| acc | x.to_bits()));
    listed(bits, list)
}

/// Lists in `list` the terms p < kc at which some row of `a` (rows of unit
/// column stride) is not zero.
///
/// # Safety
/// Rows `0..a.rows` of `a` hold `kc ≤ KC` readable entries.
unsafe fn nonzero_rows<'l>(a: &DirectA, kc: usize, list: &'l mut [u16; KC]) -> &'l [u16] {
    let mut any = [0u32; KC];
    for i in 0..a.rows {
        // SAFETY: row i < a.rows holds kc readable entries (caller).
        let row = unsafe { core::slice::from_raw_parts(a.ptr.add(i * a.rs), kc) };
        for (o, x) in any.iter_mut().zip(row) {
            *o |= x.to_bits();
        }
    }
    listed(any[..kc].iter().copied(), list)
}

/// The indices p (at most KC of them) whose OR of entry bit patterns
/// `bits[p]` is not that of ±0, written into `list`.
fn listed(bits: impl Iterator<Item = u32>, list: &mut [u16; KC]) -> &[u16] {
    let mut len = 0;
    for (p, b) in bits.enumerate() {
        // Always written, counted only when some entry is not ±0: no
        // branch (len ≤ p < KC).
        list[len] = p as u16;
        len += usize::from(b << 1 != 0);
    }
    &list[..len]
}

/// The part of `ws` that starts on a 64-byte boundary (at most 15 floats are
/// skipped), so that packed rows never straddle cache lines.
pub(crate) fn align64(ws: &mut [f32]) -> &mut [f32] {
    let skip = ws.as_ptr().align_offset(64).min(ws.len());
    &mut ws[skip..]
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::gemm::naive::gemm_naive;
    use crate::gemm::{Kernel, Operand, Precision};
    use std::vec;
    use std::vec::Vec;

    /// `C` after `run_with` on a product whose A rows lie `lda` apart.
    #[allow(clippy::too_many_arguments)]
    fn product(
        kernel: Kernel,
        precision: Precision,
        (m, k, n, lda): (usize, usize, usize, usize),
        a: &[f32],
        b: &[f32],
        beta: f32,
        c0: &[f32],
        far: bool,
    ) -> Vec<u32> {
        let mut c = c0.to_vec();
        let p = Problem {
            m,
            n,
            k,
            a: Operand {
                ptr: a.as_ptr(),
                rs: lda,
                cs: 1,
            },
            b: Operand {
                ptr: b.as_ptr(),
                rs: n,
                cs: 1,
            },
            c: c.as_mut_ptr(),
            crs: n,
            ccs: 1,
            alpha: 0.75,
            beta,
            skip: false,
        };
        let mut ws = vec![0.0; workspace_len(m, k, n)];
        assert!(a.len() >= (m - 1) * lda + k && b.len() == k * n && c.len() == m * n);
        // SAFETY: p describes the slices checked above (A's rows lda apart
        // hold k entries, B and C row-major), m, n, k ≥ 1, and ws holds
        // workspace_len floats.
        unsafe { run_with(&kernel.kernels(precision), &p, &mut ws, far) };
        c.iter().map(|x| x.to_bits()).collect()
    }

    /// The packing tile (forced on small problems) gives the bits of the
    /// separate pack, and for the portable precision those of the
    /// canonical `gemm_naive`, on every kernel this CPU supports: rows of A
    /// 4 KiB apart, partial micro-panels (down to one row), one and two full
    /// row blocks, partial column tiles, one column tile only, one term and
    /// several k blocks, β = 0 over NaN and β ≠ 0.
    #[test]
    fn packing_tile_gives_the_same_bits() {
        let lda = 1024;
        for (m, k, n) in [
            (57, 1024, 70),
            (9, 600, 33),
            (50, 300, 32),
            (1, 1, 1),
            (8, 1, 64),
            (17, 257, 65),
            (96, 40, 100),
        ] {
            let dims = (m, k, n, lda);
            let a: Vec<f32> = (0..m * lda)
                .map(|i| ((i * 7919) % 1013) as f32 / 512.0 - 1.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104_729) % 997) as f32 / 499.0 - 1.0)
                .collect();
            for beta in [0.0f32, -0.5] {
                let c0: Vec<f32> = (0..m * n)
                    .map(|i| {
                        if beta == 0.0 {
                            f32::NAN
                        } else {
                            i as f32 / 7.0
                        }
                    })
                    .collect();
                let mut canon = c0.clone();
                gemm_naive(
                    Precision::Portable,
                    0.75,
                    crate::MatRef::from_strided(&a, m, k, lda, 1).unwrap(),
                    crate::MatRef::from_row_major(&b, k, n).unwrap(),
                    beta,
                    crate::MatMut::from_row_major(&mut canon, m, n).unwrap(),
                );
                let canon: Vec<u32> = canon.iter().map(|x| x.to_bits()).collect();
                for kernel in Kernel::ALL.into_iter().filter(|k| k.is_supported()) {
                    for precision in [Precision::Fast, Precision::Portable] {
                        let run = |far| product(kernel, precision, dims, &a, &b, beta, &c0, far);
                        let tile = run(true);
                        let what =
                            std::format!("{m}×{k}×{n}, {kernel:?}, {precision:?}, β = {beta}");
                        assert_eq!(tile, run(false), "{what}");
                        if precision == Precision::Portable {
                            assert_eq!(tile, canon, "{what}");
                        }
                    }
                }
            }
        }
    }
}
