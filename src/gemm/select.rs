//! Kernel choice, precision and thread count.
//!
//! The kernel is chosen once per process: the best instruction set the CPU
//! reports (`is_x86_feature_detected!` with `std`, the compile-time
//! `target_feature`s without), unless `DEEPINIT_KERNEL=portable|avx2|avx512`
//! (std only) forces one; the choice is cached in an atomic. A [`GemmConfig`]
//! picks a kernel explicitly. None of these choices changes a result bit in
//! [`Precision::Portable`], nor in [`Precision::Fast`] among the kernels that
//! fuse multiply-adds (AVX2, AVX-512; [`Kernel::Portable`] only when the
//! crate is compiled with FMA): see the determinism contract in
//! [`crate::gemm`] and [`gemm_with`](super::gemm_with).

use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use super::kernel::{self, Kernels};

/// A GEMM microkernel family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kernel {
    /// `wide::f32x8` kernels: any target, vectorized as far as the crate's
    /// compile-time target features allow.
    Portable,
    /// x86-64 AVX2 + FMA intrinsics (6 × 16 tiles).
    Avx2,
    /// x86-64 AVX-512F intrinsics (8 × 32 tiles).
    Avx512,
}

/// Rounding of the inner products.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Precision {
    /// Fused multiply-add where the kernel has it (one rounding per term).
    #[default]
    Fast,
    /// Multiply, round, add, round: the same bits on every target and kernel.
    Portable,
}

impl Kernel {
    /// Every kernel, slowest first.
    pub const ALL: [Kernel; 3] = [Kernel::Portable, Kernel::Avx2, Kernel::Avx512];

    /// Whether this CPU can run the kernel.
    ///
    /// # Examples
    /// ```
    /// use deepinit::gemm::Kernel;
    /// assert!(Kernel::Portable.is_supported());
    /// ```
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            Kernel::Avx2 => has_avx2(),
            Kernel::Avx512 => has_avx512(),
        }
    }

    /// The kernel `gemm` uses: `DEEPINIT_KERNEL` if set to a supported
    /// kernel (std only), else the fastest supported one. Cached after the
    /// first call.
    pub fn selected() -> Kernel {
        match SELECTED.load(Ordering::Relaxed) {
            1 => Kernel::Portable,
            2 => Kernel::Avx2,
            3 => Kernel::Avx512,
            _ => {
                let k = env_kernel().unwrap_or_else(Kernel::best);
                SELECTED.store(k as u8 + 1, Ordering::Relaxed);
                k
            }
        }
    }

    /// The fastest kernel this CPU supports (ignores `DEEPINIT_KERNEL`).
    pub fn best() -> Kernel {
        *Kernel::ALL
            .iter()
            .rev()
            .find(|k| k.is_supported())
            .unwrap_or(&Kernel::Portable)
    }

    /// Parses `"portable"`, `"avx2"` or `"avx512"`.
    pub fn from_name(name: &str) -> Option<Kernel> {
        match name {
            "portable" => Some(Kernel::Portable),
            "avx2" => Some(Kernel::Avx2),
            "avx512" => Some(Kernel::Avx512),
            _ => None,
        }
    }

    pub(crate) fn kernels(self, precision: Precision) -> Kernels {
        let fused = precision == Precision::Fast;
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => kernel::avx2::kernels(fused),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => kernel::avx512::kernels(fused),
            _ => kernel::portable::kernels(fused),
        }
    }
}

static SELECTED: AtomicU8 = AtomicU8::new(0);
static THREADS: AtomicUsize = AtomicUsize::new(0);

#[cfg(feature = "std")]
fn env_kernel() -> Option<Kernel> {
    let name = std::env::var("DEEPINIT_KERNEL").ok()?;
    Kernel::from_name(name.trim()).filter(|k| k.is_supported())
}

#[cfg(not(feature = "std"))]
fn env_kernel() -> Option<Kernel> {
    None
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn has_avx512() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

#[cfg(all(target_arch = "x86_64", not(feature = "std")))]
fn has_avx2() -> bool {
    cfg!(all(target_feature = "avx2", target_feature = "fma"))
}

#[cfg(all(target_arch = "x86_64", not(feature = "std")))]
fn has_avx512() -> bool {
    cfg!(target_feature = "avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn has_avx2() -> bool {
    false
}

#[cfg(not(target_arch = "x86_64"))]
fn has_avx512() -> bool {
    false
}

/// Sets the number of threads large GEMMs may use (feature `parallel`;
/// otherwise ignored). `0` restores the default: all available cores.
/// Results are bit-identical for every thread count.
pub fn set_num_threads(threads: usize) {
    THREADS.store(threads, Ordering::Relaxed);
}

/// Threads a large GEMM uses by default (1 without feature `parallel`). The
/// default core count is queried once and cached.
pub fn num_threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        static AVAILABLE: AtomicUsize = AtomicUsize::new(0);
        match THREADS.load(Ordering::Relaxed) {
            0 => match AVAILABLE.load(Ordering::Relaxed) {
                0 => {
                    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
                    AVAILABLE.store(n, Ordering::Relaxed);
                    n
                }
                n => n,
            },
            t => t,
        }
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Explicit choices for [`gemm_with`](super::gemm_with): start from
/// [`GemmConfig::default`] and change what you need (the struct may gain
/// fields, so it is not built literally outside the crate).
///
/// # Examples
/// ```
/// use deepinit::gemm::{GemmConfig, Precision, SkipZeros};
/// let config = GemmConfig::default()
///     .with_precision(Precision::Portable)
///     .with_threads(1)
///     .with_skip_zeros(SkipZeros::A);
/// assert_eq!(config.threads, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GemmConfig {
    /// Microkernel family (must be supported by the CPU).
    pub kernel: Kernel,
    /// Rounding of the inner products.
    pub precision: Precision,
    /// Threads for large problems (≥ 1; more than 1 needs feature `parallel`).
    pub threads: usize,
    /// Which operand's zero entries the product may skip (default: none).
    pub skip_zeros: SkipZeros,
}

/// Which operand's zero entries a product may skip: a hint for operands
/// with many exact zeros (images with a black background, ReLU outputs
/// and their gradients), which changes no value.
///
/// Two paths skip zeros (the product is first turned so that the hinted
/// operand is A):
/// - *sparse path* (AVX-512 or AVX2, when at most 2/3 of A's entries are
///   nonzero, counted before the product, and C has unit column stride):
///   each row of C sums only its own nonzero entries of A, each against a
///   row of a packed B panel (see `gemm::sparse` in the source);
/// - otherwise the *packed path* skips a term `p` of a tile when the
///   hinted operand's entries of term `p` are ±0 in every row of the
///   tile's micro-panel (8 or 10 rows with AVX-512, 6 with AVX2 and the
///   portable kernel).
///
/// Either way each entry sums the remaining terms in the canonical order
/// and is finished as `acc ← acc + 0` before the epilogue:
///
/// ```text
/// acc ← 0;  for p in 0..kc, unless skipped { acc ← acc + a[i,p]·b[p,j] }
/// acc ← acc + 0                                  (a zero sum becomes +0)
/// c   ← α·acc (+ β·c)                             (as without skipping)
/// ```
///
/// A zero term leaves a sum unchanged except for the sign of a zero (−0 + 0
/// = +0), so `acc` equals the canonical sum or both are zeros, and after
/// `+ 0` the bits no longer depend on which terms were skipped: every
/// path, kernel and thread count still gives the same bits, equal to the
/// product without the hint except that a zero sum is +0 where the
/// canonical order could leave −0 (only when products underflow). The
/// hint assumes the other operand is finite: `0·∞` and `0·NaN` terms may
/// be skipped rather than give NaN. Small products that take the unpacked
/// path (narrow outputs, matrix-vector) compute every term.
///
/// The pay-off is the fraction of skipped terms (`cargo bench --bench
/// skip_zeros`, one thread, Zen 4): on MNIST images (81 % zeros) a
/// 784 → 512 layer's forward product runs 2.5× faster with
/// [`SkipZeros::A`] (sparse path), its weight gradient 2.0× with
/// [`SkipZeros::B`] (60 % of the terms of 8 pixels are zero in all 8);
/// a hidden 512 → 512 layer's three products on ReLU outputs that are
/// 55 % zeros run 1.5× faster. The sparse path reads one B row per
/// multiply-add: on a 100×512·512×512 product with zeros scattered at
/// random it runs 2.0× as fast as the dense product at 30 % nonzero,
/// 1.3–1.4× at 50 % and 1.14× at 65 %; above 2/3 the packed path runs,
/// which finds nothing to skip in scattered zeros (6 % slower than dense
/// at 70 %). On dense operands the hint only costs: A is counted, and
/// each micro-panel scanned before its first tile (3–7 % on the
/// 784 → 512 products with random pixels).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SkipZeros {
    /// Every term is computed.
    #[default]
    None,
    /// Entries of A that are zero (each row's own on the sparse path,
    /// terms zero in every row of a tile on the packed path).
    A,
    /// Terms whose entries of B are zero (in every column of a tile): the
    /// product runs as `Cᵀ = Bᵀ·Aᵀ`, so C is written by columns.
    B,
}

impl Default for GemmConfig {
    /// [`Kernel::selected`], [`Precision::Fast`], [`num_threads`],
    /// [`SkipZeros::None`].
    fn default() -> Self {
        Self {
            kernel: Kernel::selected(),
            precision: Precision::Fast,
            threads: num_threads(),
            skip_zeros: SkipZeros::None,
        }
    }
}

impl GemmConfig {
    /// This configuration with another microkernel family.
    #[must_use]
    pub const fn with_kernel(self, kernel: Kernel) -> Self {
        Self { kernel, ..self }
    }

    /// This configuration with another rounding.
    #[must_use]
    pub const fn with_precision(self, precision: Precision) -> Self {
        Self { precision, ..self }
    }

    /// This configuration with another thread count.
    #[must_use]
    pub const fn with_threads(self, threads: usize) -> Self {
        Self { threads, ..self }
    }

    /// This configuration with another zero-skipping hint.
    #[must_use]
    pub const fn with_skip_zeros(self, skip_zeros: SkipZeros) -> Self {
        Self { skip_zeros, ..self }
    }
}
