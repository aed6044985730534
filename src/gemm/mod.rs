//! General matrix multiply on strided views: `C ← α·A·B + β·C`.
//!
//! BLIS-style (van Zee & van de Geijn, "BLIS: A Framework for Rapidly
//! Instantiating BLAS Functionality", ACM TOMS 41(3), 2015): A and B panels are
//! packed into the caller's workspace and multiplied by register-blocked
//! microkernels inside five cache-blocking loops (`blocked.rs`); narrow
//! outputs, matrix-vector products and tiny problems skip packing
//! (`direct.rs`; with AVX-512, outputs of at most 12 columns transpose A
//! in registers so that vectors run along the long side). On x86-64 the
//! microkernels use AVX-512F or AVX2+FMA chosen at run time ([`Kernel`]);
//! elsewhere `wide` vectors.
//!
//! **Determinism.** Every entry of C accumulates over k in one canonical
//! order, whatever the kernel, path, layout or thread count: k is cut into
//! blocks of [`kc_block`]`(k)` ≤ [`KC`] terms; within a block `acc ← acc + a·b` runs over
//! p in increasing order from `acc = 0` (fused in [`Precision::Fast`] on
//! FMA kernels, multiply-then-add in [`Precision::Portable`]); then
//! `c ← α·acc + β·c` for the first block (`c ← α·acc` when β = 0) and
//! `c ← α·acc + c` for the next. Work is split over rows and columns of C,
//! never over k. [`naive::gemm_naive`] computes exactly these bits.
//! [`GemmConfig::skip_zeros`] lets a product skip zero entries of one
//! operand: each row's own on the sparse path (`sparse.rs`, AVX-512 or
//! AVX2, for operands at most 2/3 nonzero), terms zero across a tile on
//! the packed path; it changes only the sign of zero sums (see
//! [`SkipZeros`]), and the bits stay the same for every path, kernel and
//! thread count.
//!
//! **Accuracy.** With `u = 2⁻²⁴`, `|ĉ − c| ≤ γ·(|α|·Σ_p |a||b| + |β||c|)` with
//! `γ ≈ (k + 2)·u` (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, §3.5).

#![allow(unsafe_code)]

use crate::mat::{MatMut, MatRef};

pub(crate) mod blocked;
pub(crate) mod direct;
pub(crate) mod kernel;
pub mod naive;
#[cfg(feature = "alloc")]
mod owned;
pub(crate) mod pack;
#[cfg(feature = "parallel")]
pub(crate) mod pool;
mod select;
pub(crate) mod sparse;
#[cfg(feature = "parallel")]
mod threads;

#[cfg(feature = "alloc")]
pub use owned::{Gemm, gemm_alloc};
pub use select::{GemmConfig, Kernel, Precision, SkipZeros, num_threads, set_num_threads};

/// Most terms of k per block (the same for every kernel: it fixes the
/// rounding). k is cut into `⌈k / KC⌉` blocks of [`kc_block`]`(k)` terms
/// (the last one shorter when needed).
pub const KC: usize = 256;

/// Terms per k block for a product with `k` terms: `⌈k / ⌈k / KC⌉⌉`, so the
/// blocks are balanced (784 → 4 × 196 rather than 3 × 256 + 16).
///
/// # Examples
/// ```
/// use deepinit::gemm::kc_block;
/// assert_eq!(kc_block(784), 196); // 4 blocks of 196, not 256 + 256 + 256 + 16
/// assert_eq!(kc_block(100), 100);
/// ```
pub const fn kc_block(k: usize) -> usize {
    if k == 0 {
        0
    } else {
        k.div_ceil(k.div_ceil(KC))
    }
}
/// The k blocks of a product with `k` terms, in order, as `(first term,
/// terms)`: blocks of [`kc_block`]`(k)`, the last one shorter when needed.
pub(crate) fn k_blocks(k: usize) -> impl Iterator<Item = (usize, usize)> {
    let kc = kc_block(k).max(1);
    (0..k).step_by(kc).map(move |pc| (pc, kc.min(k - pc)))
}

/// Rows of A per packed block (a multiple of every packed kernel's tile
/// height; the 10-row in-place tile takes blocks of 40).
pub(crate) const MC: usize = 48;
/// Columns of B per packed block (a multiple of every kernel's tile width).
pub(crate) const NC: usize = 1024;
/// Problems with `min(m, n)` at most this go to the unpacked path.
const DIRECT_MAX_SIDE: usize = 16;
/// Problems with `m·n·k` at most this go to the unpacked path. (Under
/// Miri, which interprets the code some 10⁴ times slower, products of a
/// few thousand terms take the packed path, so that `tests/gemm_miri.rs`
/// checks it on shapes Miri can afford.)
const DIRECT_MAX_VOLUME: usize = if cfg!(miri) { 8 * 8 * 8 } else { 64 * 64 * 64 };

/// A strided operand as raw parts (entry `(i, j)` at `ptr + i·rs + j·cs`).
#[derive(Clone, Copy)]
pub(crate) struct Operand {
    pub ptr: *const f32,
    pub rs: usize,
    pub cs: usize,
}

/// One `m × k · k × n` problem in raw parts, already validated.
#[derive(Clone, Copy)]
pub(crate) struct Problem {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: Operand,
    pub b: Operand,
    pub c: *mut f32,
    pub crs: usize,
    pub ccs: usize,
    pub alpha: f32,
    pub beta: f32,
    /// Whether zero entries of A may be skipped (the sparse path, or terms
    /// zero in every row of a packed micro-panel; see [`SkipZeros`]).
    /// [`Problem::t`] clears it: the flag belongs to A.
    pub skip: bool,
}

impl Problem {
    /// The same product transposed: `Cᵀ ← α·Bᵀ·Aᵀ + β·Cᵀ` (same bits).
    fn t(self) -> Self {
        let tr = |o: Operand| Operand {
            ptr: o.ptr,
            rs: o.cs,
            cs: o.rs,
        };
        Self {
            m: self.n,
            n: self.m,
            a: tr(self.b),
            b: tr(self.a),
            crs: self.ccs,
            ccs: self.crs,
            skip: false,
            ..self
        }
    }
}

/// Whether an `m×k · k×n` product runs on the direct path (no packing): a
/// side of C of at most [`DIRECT_MAX_SIDE`], or a volume of at most
/// [`DIRECT_MAX_VOLUME`]. [`gemm_workspace_len`] and the dispatch both ask
/// this, so the size asked for is the size the path uses.
const fn takes_direct(m: usize, n: usize, k: usize) -> bool {
    let side = if m < n { m } else { n };
    side <= DIRECT_MAX_SIDE || m.saturating_mul(n).saturating_mul(k) <= DIRECT_MAX_VOLUME
}

/// The most threads [`gemm_with`] gives an `m×k · k×n` product when
/// `threads` are configured: 1 on the direct path or without the `parallel`
/// feature. A workspace of this many times [`gemm_workspace_len`] loses
/// nothing, whatever `threads` is. (Used by the owning layers: the core
/// takes the caller's workspace as it is.)
#[cfg(feature = "alloc")]
pub(crate) fn useful_threads(m: usize, k: usize, n: usize, threads: usize) -> usize {
    if takes_direct(m, n, k) {
        return 1;
    }
    #[cfg(feature = "parallel")]
    let useful = threads.clamp(1, threads::max_useful(m, n, k));
    #[cfg(not(feature = "parallel"))]
    let useful = {
        let _ = threads;
        1
    };
    useful
}

/// Scratch elements [`gemm`] needs for an `m×k · k×n` product on one thread
/// (any kernel, any layout): for small products (a side of C of at most 16,
/// or at most 64³ multiply-adds; 8³ under Miri, to test the packed path
/// on small shapes) only the unpacked path's `kc·16 + 16`. [`gemm_with`] with `t` threads uses up to
/// `t · gemm_workspace_len(m, k, n)` and fewer threads if given less.
///
/// This is the size for this shape. It grows with `m` and `n`, but not
/// always with `k`: k is cut into equal blocks of [`kc_block`]`(k)` terms,
/// so k = 256 needs more than k = 257 (blocks of 256 against 129). A buffer
/// that must serve smaller products too (a training step's weight
/// gradient has k = the batch, which may be shorter) takes
/// [`gemm_workspace_len_up_to`].
///
/// # Examples
/// ```
/// use deepinit::gemm::gemm_workspace_len;
/// // A length known at compile time: the size of a `static` or stack buffer.
/// const WS_LEN: usize = gemm_workspace_len(64, 64, 64);
/// let ws = [0.0f32; WS_LEN];
/// assert!(!ws.is_empty());
/// assert_eq!(gemm_workspace_len(0, 5, 5), 0);
/// ```
pub const fn gemm_workspace_len(m: usize, k: usize, n: usize) -> usize {
    if m == 0 || n == 0 || k == 0 {
        return 0;
    }
    workspace_len(m, k, n, takes_direct(m, n, k))
}

/// Scratch elements enough for every product of at most `m×k · k×n` on one
/// thread: at least [`gemm_workspace_len`]`(m′, k′, n′)` for every
/// `m′ ≤ m, k′ ≤ k, n′ ≤ n` (the need with blocks of `min(k, KC)` terms, a
/// bound that some shapes do not reach). It differs from the largest
/// product's need only where `k > KC` and a shorter k has longer blocks
/// (at most `KC / kc_block(k)` times as much: 1.3× for k = 784).
///
/// # Examples
/// ```
/// use deepinit::gemm::{gemm_workspace_len, gemm_workspace_len_up_to};
/// let ws = gemm_workspace_len_up_to(64, 300, 784);
/// assert!((1..=300).all(|k| gemm_workspace_len(64, k, 784) <= ws));
/// assert!(gemm_workspace_len(64, 300, 784) < ws); // k = 300: blocks of 150
/// ```
pub const fn gemm_workspace_len_up_to(m: usize, k: usize, n: usize) -> usize {
    if m == 0 || n == 0 || k == 0 {
        return 0;
    }
    // Every path's need grows with the block length, and kc_block(k′) ≤
    // min(k′, KC) ≤ min(k, KC) = kc_block(min(k, KC)). A product smaller
    // than one on the unpacked path is on it too, and the packed need
    // includes the unpacked one.
    let k_block = if k < KC { k } else { KC };
    workspace_len(m, k_block, n, takes_direct(m, n, k))
}

/// The scratch of an `m×k · k×n` product (m, k, n ≥ 1): the unpacked path's
/// alone when it is the only path (`direct`), else the most any path needs.
const fn workspace_len(m: usize, k: usize, n: usize, direct: bool) -> usize {
    let d = direct::workspace_len(k);
    if direct {
        // The only path such a product takes: a firmware's matrix-vector
        // products need no room for packed panels.
        return d;
    }
    let p1 = blocked::workspace_len(m, k, n);
    let p2 = blocked::workspace_len(n, k, m);
    let s1 = sparse::workspace_len(m, k, n);
    let s2 = sparse::workspace_len(n, k, m);
    let all = [d, p1, p2, s1, s2];
    let mut most = 0;
    let mut i = 0;
    while i < all.len() {
        if all[i] > most {
            most = all[i];
        }
        i += 1;
    }
    most
}

/// `C ← α·A·B + β·C` with the selected kernel, fast precision and the
/// default thread count. When `β = 0` the old contents of C are never read;
/// when `α = 0` or `k = 0`, A and B are not read (`C ← β·C`). Entries in
/// stride gaps of C are never touched.
///
/// # Panics
/// If `a.cols() != b.rows()`, `c` is not `a.rows() × b.cols()`, or the
/// workspace is shorter than [`gemm_workspace_len`].
///
/// # Examples
/// ```
/// use deepinit::{MatMut, MatRef, gemm::{gemm, gemm_workspace_len}};
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 × 3
/// let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]; // 3 × 2
/// let mut c = [f32::NAN; 4];
/// let mut ws = vec![0.0; gemm_workspace_len(2, 3, 2)];
/// gemm(
///     1.0,
///     MatRef::from_row_major(&a, 2, 3)?,
///     MatRef::from_row_major(&b, 3, 2)?,
///     0.0,
///     MatMut::from_row_major(&mut c, 2, 2)?,
///     &mut ws,
/// );
/// assert_eq!(c, [4.0, 5.0, 10.0, 11.0]);
/// # Ok::<(), deepinit::ShapeError>(())
/// ```
pub fn gemm(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    workspace: &mut [f32],
) {
    gemm_with(&GemmConfig::default(), alpha, a, b, beta, c, workspace);
}

/// [`gemm`] with an explicit kernel, precision and thread count. Every
/// thread count gives the same bits. So does every kernel in
/// [`Precision::Portable`]; in [`Precision::Fast`] the kernels with fused
/// multiply-add agree (AVX2, AVX-512, and [`Kernel::Portable`] when the
/// crate is compiled with FMA enabled, e.g. `-C target-cpu=native` on a CPU
/// that has it), while `Kernel::Portable` compiled without FMA rounds each
/// product and sum apart and gives other bits.
///
/// # Panics
/// As [`gemm`]; also if `config.kernel` is not supported by this CPU.
pub fn gemm_with(
    config: &GemmConfig,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    workspace: &mut [f32],
) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert_eq!(
        b.rows(),
        k,
        "gemm: a.cols() = {k} but b.rows() = {}",
        b.rows()
    );
    assert!(
        c.rows() == m && c.cols() == n,
        "gemm: c is {}×{} but a·b is {m}×{n}",
        c.rows(),
        c.cols()
    );
    let need = gemm_workspace_len(m, k, n);
    assert!(
        workspace.len() >= need,
        "gemm: workspace has {} elements, needs {need}",
        workspace.len()
    );
    assert!(
        config.kernel.is_supported(),
        "gemm: kernel {:?} not supported",
        config.kernel
    );
    if m == 0 || n == 0 {
        return;
    }
    let (crs, ccs) = (c.row_stride(), c.col_stride());
    let op = |v: MatRef<'_>| Operand {
        ptr: v.as_slice().as_ptr(),
        rs: v.row_stride(),
        cs: v.col_stride(),
    };
    let p = Problem {
        m,
        n,
        k,
        a: op(a),
        b: op(b),
        c: c.into_slice().as_mut_ptr(),
        crs,
        ccs,
        alpha,
        beta,
        skip: false,
    };
    let p = match config.skip_zeros {
        SkipZeros::None => p,
        SkipZeros::A => Problem { skip: true, ..p },
        SkipZeros::B => Problem {
            skip: true,
            ..p.t()
        },
    };
    if k == 0 || alpha == 0.0 {
        // SAFETY: p.c addresses the m × n entries of the validated view c.
        unsafe { scale(&p) };
        return;
    }
    let ks = config.kernel.kernels(config.precision);
    let threads = workspace
        .len()
        .checked_div(need)
        .map_or(1, |t| t.clamp(1, config.threads.max(1)));
    // SAFETY: p was built from validated views whose borrows outlive this
    // call (C uniquely), dimensions are ≥ 1 and the workspace is long enough.
    unsafe { dispatch(&ks, &p, workspace, threads) };
}

/// `C ← β·C` (`C ← 0` when β = 0, without reading C).
///
/// # Safety
/// `p.c` with `p.crs`, `p.ccs` addresses `p.m × p.n` writable entries.
unsafe fn scale(p: &Problem) {
    for i in 0..p.m {
        for j in 0..p.n {
            // SAFETY: (i, j) is an entry of C.
            unsafe {
                let e = p.c.add(i * p.crs + j * p.ccs);
                *e = if p.beta == 0.0 { 0.0 } else { p.beta * *e };
            }
        }
    }
}

/// Picks the path and orientation.
///
/// # Safety
/// As [`blocked::run`], with `ws` holding `threads` times the one-thread need.
unsafe fn dispatch(ks: &kernel::Kernels, p: &Problem, ws: &mut [f32], threads: usize) {
    let (m, n, k) = (p.m, p.n, p.k);
    if takes_direct(m, n, k) {
        if let (Some(f), Some(q)) = (ks.narrow, narrow_orientation(p)) {
            // SAFETY: forwarded; q.n ≤ NARROW_COLS and q.a.cs == 1 by
            // construction; direct::workspace_len ≤ the one-thread need.
            unsafe { direct::run_narrow(ks, f, &q, ws) };
            return;
        }
        let q = direct_orientation(p);
        // SAFETY: forwarded; direct::workspace_len ≤ the one-thread need.
        unsafe { direct::run(ks, &q, ws) };
        return;
    }
    // Vectors run along rows of C: make the column stride the small one,
    // unless A is the operand whose zero terms are skipped.
    let q = if p.ccs > p.crs && !p.skip { p.t() } else { *p };
    #[cfg(feature = "parallel")]
    if threads > 1 {
        // SAFETY: forwarded.
        unsafe { threads::run(ks, &q, ws, threads) };
        return;
    }
    let _ = threads;
    // SAFETY: forwarded.
    unsafe { blocked::run(ks, &q, ws) };
}

/// The orientation of `p` the narrow kernel takes, if any: at most
/// [`direct::NARROW_COLS`] columns and at least 16 rows of C, with rows of
/// A contiguous along k (read 16 at a time and transposed in registers).
fn narrow_orientation(p: &Problem) -> Option<Problem> {
    let fits = |q: &Problem| q.a.cs == 1 && q.m >= 16 && q.n <= direct::NARROW_COLS;
    [*p, p.t()].into_iter().find(fits)
}

/// The direct path vectorizes along n and reads B strips in place when
/// their column stride is 1; pick the orientation that makes vectors long
/// and avoids copying.
fn direct_orientation(p: &Problem) -> Problem {
    let unit = |q: &Problem| q.b.cs == 1 || q.n == 1;
    let t = p.t();
    let (long, short) = if p.n >= p.m { (*p, t) } else { (t, *p) };
    if !unit(&long) && unit(&short) && short.n >= 8 {
        short
    } else {
        long
    }
}
