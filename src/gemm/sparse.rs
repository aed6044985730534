//! The sparse path: a product hinted with [`SkipZeros::A`](super::SkipZeros)
//! whose A is mostly zeros sums, for each row of C, only that row's
//! nonzero entries of A (where the packed path skips a term only when it
//! is zero in every row of a tile).
//!
//! ```text
//! jc: columns of C and B in blocks of NCS
//!   pc: k in the canonical blocks; pack B[pc.., jc..] → B̃, panels w wide
//!     ic: rows of C and A in blocks of MCS; list the nonzero entries of
//!         each row, per sub-block of KB terms: (a[i,p], p·w)
//!       panel q of B̃ (w columns: 128 with AVX-512, 64 with AVX2)
//!         sub-block s (KB × w floats of the panel: ≤ 32 KiB, stays in L1)
//!           row i: acc ← (s = 0 ? 0 : saved);  acc ← acc + a·b̃[p] for
//!                  its listed entries;  save, or (last s) acc + 0 and
//!                  the canonical epilogue
//! ```
//!
//! Each entry of C sums its nonzero terms of every k block in increasing
//! order from zero and finishes with `+ 0`, as the packed path's listed
//! terms do, so the bits are those of the packed path with the hint (see
//! [`SkipZeros`](super::SkipZeros)). The kernel reads one B̃ row per
//! multiply-add instead of reusing it over a tile's rows, so the path pays
//! only when most entries are zero: it runs when at most
//! [`MAX_DENSITY`] of A is nonzero, C has unit column stride and the
//! instruction set has the kernels (AVX-512, AVX2).

#![allow(unsafe_code)]

use super::blocked::{align64, pack_b};
use super::kernel::{CTile, EntryKernels, Kernels, Lists};
use super::pack::{Src, pack, packed_len};
use super::{Problem, k_blocks, kc_block};

/// Widest B̃ panel of any kernel set (AVX-512: 8 zmm accumulators per row
/// of C).
const W_MAX: usize = 128;
/// Terms per sub-block: a sub-block of a panel is `KB × w` floats (32 KiB
/// at the widest).
pub(crate) const KB: usize = 64;
/// Rows of A listed at a time.
const MCS: usize = 128;
/// Columns of B packed at a time (B̃ holds at most `NCS × KC` floats,
/// 512 KiB).
const NCS: usize = 512;
/// The sparse path runs when at most this fraction of A's entries is
/// nonzero, as `(numerator, denominator)`.
pub(crate) const MAX_DENSITY: (usize, usize) = (2, 3);

/// Scratch the sparse path needs for an `m × k · k × n` problem: none
/// where no kernel set has the path (off x86-64, so firmware sizes its
/// buffers for the packed path alone).
pub(crate) const fn workspace_len(m: usize, k: usize, n: usize) -> usize {
    if !cfg!(target_arch = "x86_64") {
        return 0;
    }
    let kc = kc_block(k);
    let mc = if m < MCS { m } else { MCS };
    let nc = (if n < NCS { n } else { NCS }).next_multiple_of(W_MAX);
    let subs = kc.div_ceil(KB);
    // B̃, the packed A slab, values and offsets (16 floats of slack each),
    // sub-block starts, accumulators, and 16 floats per buffer to align.
    nc * kc + mc * subs * KB + 2 * (mc * kc + 16) + (mc * subs + 1) + mc * W_MAX + 6 * 16
}

/// Whether `p` takes the sparse path on kernel set `ks`: A hinted, C with
/// unit column stride, the kernels present, and at most [`MAX_DENSITY`]
/// of A nonzero (counted here, stopping as soon as it is exceeded).
///
/// # Safety
/// `p.a` addresses `p.m × p.k` readable entries.
pub(crate) unsafe fn takes(ks: &Kernels, p: &Problem) -> Option<EntryKernels> {
    if !p.skip || p.ccs != 1 {
        return None;
    }
    let kernels = ks.entries?;
    let limit = p.m.saturating_mul(p.k).saturating_mul(MAX_DENSITY.0) / MAX_DENSITY.1;
    // Lines along the contiguous side of A.
    let (lines, len, s_line, s) = if p.a.cs == 1 || p.a.rs != 1 {
        (p.m, p.k, p.a.rs, p.a.cs)
    } else {
        (p.k, p.m, p.a.cs, 1)
    };
    let mut nonzero = 0;
    for l in 0..lines {
        // SAFETY: line l holds `len` readable entries `s` apart.
        let line = unsafe { p.a.ptr.add(l * s_line) };
        nonzero += (0..len)
            // SAFETY: as above.
            .map(|j| usize::from(unsafe { *line.add(j * s) }.to_bits() << 1 != 0))
            .sum::<usize>();
        if nonzero > limit {
            return None;
        }
    }
    Some(kernels)
}

/// Runs `p` on the sparse path.
///
/// # Safety
/// As [`super::blocked::run`], with `ek` from [`takes`] for `ks`
/// and `p` (so `p.ccs == 1`), and `ws` holding at least
/// `workspace_len(p.m, p.k, p.n)` floats.
pub(crate) unsafe fn run(ks: &Kernels, ek: EntryKernels, p: &Problem, ws: &mut [f32]) {
    let EntryKernels { w, sum, list } = ek;
    debug_assert_eq!(p.ccs, 1);
    let kc_max = kc_block(p.k);
    let mc_max = MCS.min(p.m);
    let subs_max = kc_max.div_ceil(KB);
    let ents = mc_max * kc_max + 16;
    let (wb, rest) = align64(ws).split_at_mut(NCS.min(p.n).next_multiple_of(w) * kc_max);
    let (slab, rest) = align64(rest).split_at_mut(mc_max * subs_max * KB);
    let (vals, rest) = rest.split_at_mut(ents);
    let (offs, rest) = rest.split_at_mut(ents);
    let (starts, rest) = rest.split_at_mut(mc_max * subs_max + 1);
    let acc = align64(rest);
    debug_assert!(w <= W_MAX && acc.len() >= mc_max * w);
    // SAFETY: f32 and u32 have the same size and alignment and every bit
    // pattern is valid for both; the two slices are disjoint parts of ws.
    let (offs, starts) = unsafe {
        (
            core::slice::from_raw_parts_mut(offs.as_mut_ptr().cast::<u32>(), offs.len()),
            core::slice::from_raw_parts_mut(starts.as_mut_ptr().cast::<u32>(), starts.len()),
        )
    };
    for jc in (0..p.n).step_by(NCS) {
        let nc = NCS.min(p.n - jc);
        for (pc, kc) in k_blocks(p.k) {
            // SAFETY: (pc, jc) starts a kc × nc block of B; wb holds
            // packed_len(nc, kc, w) floats; ks is this CPU's (caller).
            unsafe { pack_b(ks, p, (pc, kc), (jc, nc), w, wb) };
            let beta = if pc == 0 { p.beta } else { 1.0 };
            let subs = kc.div_ceil(KB);
            for ic in (0..p.m).step_by(MCS) {
                let mc = MCS.min(p.m - ic);
                // SAFETY: (ic, pc) is an entry of A.
                let a0 = unsafe { p.a.ptr.add(ic * p.a.rs + pc * p.a.cs) };
                // Row segments of KB terms: in place when rows of A are
                // contiguous along k, else from a slab packed by sub-block
                // (`slab[(s·mc + i)·KB + j] = a(ic + i, pc + s·KB + j)`).
                let (base, s_row, s_sub) = if p.a.cs == 1 {
                    (a0, p.a.rs, KB)
                } else {
                    let src = Src {
                        ptr: a0,
                        s_line: p.a.cs,
                        s_k: p.a.rs,
                    };
                    debug_assert!(slab.len() >= packed_len(kc, mc, KB));
                    // SAFETY: kc terms × mc rows from (ic, pc) are inside A.
                    unsafe { pack(src, kc, mc, KB, slab, ks.pack_lines) };
                    (slab.as_ptr(), KB, mc * KB)
                };
                let mut n = 0;
                starts[0] = 0;
                for s in 0..subs {
                    let len = KB.min(kc - s * KB);
                    for i in 0..mc {
                        // SAFETY: the segment holds `len` readable entries
                        // (a row of A or of the slab); vals and offs have
                        // room for mc·kc entries plus 16.
                        n += unsafe {
                            list(
                                base.add(i * s_row + s * s_sub),
                                len,
                                (s * KB) as u32,
                                vals[n..].as_mut_ptr(),
                                offs[n..].as_mut_ptr(),
                            )
                        };
                        starts[s * mc + i + 1] = n as u32;
                    }
                }
                for (q, jr) in (0..nc).step_by(w).enumerate() {
                    let panel = wb[q * w * kc..].as_ptr();
                    let tile = CTile {
                        // SAFETY: (ic, jc + jr) is an entry of C.
                        ptr: unsafe { p.c.add(ic * p.crs + (jc + jr) * p.ccs) },
                        rs: p.crs,
                        cs: p.ccs,
                        m: mc,
                        n: w.min(nc - jr),
                        alpha: p.alpha,
                        beta,
                    };
                    for s in 0..subs {
                        let finish = (s + 1 == subs).then_some(&tile);
                        let lists = Lists {
                            starts: &starts[s * mc..=s * mc + mc],
                            vals,
                            offs,
                        };
                        // SAFETY: the starts of sub-block s index its
                        // listed entries, whose offsets are rows < kc of
                        // this panel (kc·w floats); acc holds mc·w floats;
                        // the tile (mc rows) lies inside C with unit column
                        // stride; `sum` is the CPU's (from `takes`).
                        unsafe { sum(&lists, panel, acc.as_mut_ptr(), s == 0, finish) };
                    }
                }
            }
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::gemm::naive::gemm_naive;
    use crate::gemm::{Kernel, Operand, Precision, blocked};
    use crate::{MatMut, MatRef};
    use std::vec;
    use std::vec::Vec;

    /// Uniform in [−1, 1) from a counter (splitmix64).
    fn unit(state: &mut u64) -> f32 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (((z ^ (z >> 31)) >> 40) as f32) / (1u64 << 23) as f32 - 1.0
    }

    /// One product on the sparse path and on the packed path with the hint
    /// (`blocked::run_with`, the listed tiles), and the canonical product.
    struct Case {
        m: usize,
        k: usize,
        n: usize,
        /// A's strides (row, column).
        a_strides: (usize, usize),
        /// Fraction of A's entries that are zero (a tenth of them −0).
        zeros: f32,
        alpha: f32,
        beta: f32,
    }

    impl Case {
        fn check(&self, kernel: Kernel, precision: Precision, seed: u64) {
            let Case { m, k, n, .. } = *self;
            let (ars, acs) = self.a_strides;
            let mut s = seed;
            let a_len = (m - 1) * ars + (k - 1) * acs + 1;
            let mut a = vec![f32::NAN; a_len];
            for i in 0..m {
                for p in 0..k {
                    let u = (unit(&mut s) + 1.0) / 2.0;
                    a[i * ars + p * acs] = if u < self.zeros / 10.0 {
                        -0.0
                    } else if u < self.zeros {
                        0.0
                    } else {
                        unit(&mut s)
                    };
                }
            }
            let b: Vec<f32> = (0..k * n).map(|_| unit(&mut s)).collect();
            // C rows padded by 3 (stride gaps hold NaN and must stay).
            let ldc = n + 3;
            let c0: Vec<f32> = (0..m * ldc)
                .map(|t| {
                    if self.beta == 0.0 || t % ldc >= n {
                        f32::NAN
                    } else {
                        unit(&mut s)
                    }
                })
                .collect();
            let ks = kernel.kernels(precision);
            let run = |sparse: bool| {
                let mut c = c0.clone();
                let p = Problem {
                    m,
                    n,
                    k,
                    a: Operand {
                        ptr: a.as_ptr(),
                        rs: ars,
                        cs: acs,
                    },
                    b: Operand {
                        ptr: b.as_ptr(),
                        rs: n,
                        cs: 1,
                    },
                    c: c.as_mut_ptr(),
                    crs: ldc,
                    ccs: 1,
                    alpha: self.alpha,
                    beta: self.beta,
                    skip: true,
                };
                // Both paths' needs: `gemm_workspace_len` asks only for the
                // unpacked path's on the small shapes, which `gemm` runs there.
                let need =
                    workspace_len(m, k, n).max(super::super::blocked::workspace_len(m, k, n));
                let mut ws = vec![f32::NAN; need];
                // SAFETY: p describes the buffers above (A's entries at
                // i·ars + p·acs < a_len, B and C row-major with C's rows
                // ldc apart), m, n, k ≥ 1, ws holds the one-thread need
                // and the kernels are those `takes` returns for this CPU.
                unsafe {
                    if sparse {
                        let kernels = takes(&ks, &p).expect("sparse path taken");
                        run(&ks, kernels, &p, &mut ws);
                    } else {
                        blocked::run_with(&ks, &p, &mut ws, false);
                    }
                }
                c
            };
            let (got, tiles) = (run(true), run(false));
            let mut canon = c0.clone();
            gemm_naive(
                precision,
                self.alpha,
                MatRef::from_strided(&a, m, k, ars, acs).unwrap(),
                MatRef::from_row_major(&b, k, n).unwrap(),
                self.beta,
                MatMut::from_strided(&mut canon, m, n, ldc, 1).unwrap(),
            );
            let what = std::format!(
                "{m}×{k}×{n}, A strides {:?}, zeros {}, α {} β {}, {kernel:?} {precision:?}",
                self.a_strides,
                self.zeros,
                self.alpha,
                self.beta
            );
            for (t, ((&x, &y), &z)) in got.iter().zip(&tiles).zip(&canon).enumerate() {
                assert_eq!(x.to_bits(), y.to_bits(), "C[{t}] against the tiles: {what}");
                assert!(
                    x.to_bits() == z.to_bits() || (x == 0.0 && z == 0.0),
                    "C[{t}] = {x} against the canonical {z}: {what}"
                );
            }
        }
    }

    /// The sparse path gives the bits of the packed path with the hint,
    /// and the canonical product up to zero signs: several row blocks
    /// (m > MCS), column blocks (n > NCS) with a partial last panel, k
    /// blocks with a partial sub-block, A in place (row-major), from a
    /// slab (column-major, any strides), α and β (0 over NaN, nonzero),
    /// rows of A with no entry, both precisions; every kernel set that
    /// has the path.
    #[test]
    fn sparse_path_gives_the_bits_of_the_tiles() {
        for kernel in Kernel::ALL
            .into_iter()
            .filter(|k| k.is_supported() && k.kernels(Precision::Fast).entries.is_some())
        {
            bits_of_the_tiles(kernel);
        }
    }

    fn bits_of_the_tiles(kernel: Kernel) {
        let shapes = [
            (260, 300, 600), // 3 row blocks, 2 column blocks, 2 k blocks
            (100, 512, 512),
            (37, 100, 129), // partial sub-block, one full and one 1-wide panel
            (17, 65, 200),
        ];
        let mut cases = Vec::new();
        for a_strides in [|_, k| (k + 5, 1), |m, _| (1, m + 2), |_, k| (3 * k, 3)] {
            for zeros in [0.5f32, 0.9, 1.0] {
                for (alpha, beta) in [(1.0f32, 0.0f32), (-0.75, 0.5)] {
                    for precision in [Precision::Fast, Precision::Portable] {
                        cases.push((a_strides, zeros, alpha, beta, precision));
                    }
                }
            }
        }
        let mut seed = 1;
        for (m, k, n) in shapes {
            // Every 7th of the 36 combinations on the large shapes still
            // covers each layout, density, (α, β) and precision.
            let step = if m * k * n > 4_000_000 { 7 } else { 1 };
            for &(a_strides, zeros, alpha, beta, precision) in cases.iter().step_by(step) {
                let case = Case {
                    m,
                    k,
                    n,
                    a_strides: a_strides(m, k),
                    zeros,
                    alpha,
                    beta,
                };
                case.check(kernel, precision, seed);
                seed += 1;
            }
        }
    }

    /// `takes` counts A's nonzero entries (any layout) against
    /// `MAX_DENSITY`, and needs the hint and unit column stride in C.
    #[test]
    fn takes_follows_the_density_limit() {
        let Some(kernel) = Kernel::ALL
            .into_iter()
            .find(|k| k.is_supported() && k.kernels(Precision::Fast).entries.is_some())
        else {
            return;
        };
        let ks = kernel.kernels(Precision::Fast);
        let (m, k) = (30, 60);
        let limit = m * k * MAX_DENSITY.0 / MAX_DENSITY.1;
        let mut c = [0.0f32; 1];
        for nonzero in [0, 1, limit, limit + 1, m * k] {
            for (rs, cs) in [(k, 1), (1, m)] {
                // The first `nonzero` entries in memory order are 1, the
                // rest −0 (counted as zero).
                let a: Vec<f32> = (0..m * k)
                    .map(|t| if t < nonzero { 1.0 } else { -0.0 })
                    .collect();
                let p = Problem {
                    m,
                    n: 8,
                    k,
                    a: Operand {
                        ptr: a.as_ptr(),
                        rs,
                        cs,
                    },
                    b: Operand {
                        ptr: a.as_ptr(),
                        rs: 0,
                        cs: 0,
                    },
                    c: c.as_mut_ptr(),
                    crs: 0,
                    ccs: 1,
                    alpha: 1.0,
                    beta: 0.0,
                    skip: true,
                };
                // SAFETY: A's m × k entries lie in `a` for both layouts
                // (takes reads only A).
                let take = |p: &Problem| unsafe { takes(&ks, p) }.is_some();
                assert_eq!(take(&p), nonzero <= limit, "{nonzero} nonzero, {rs}, {cs}");
                assert!(!take(&Problem { skip: false, ..p }));
                assert!(!take(&Problem { ccs: 2, ..p }));
            }
        }
    }
}
