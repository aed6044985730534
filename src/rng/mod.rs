//! Portable samplers over any [`rand_core::Rng`]: uniform, standard normal and
//! Bernoulli, one value at a time or as fast slice fills.
//!
//! # Math
//!
//! - Uniform on [0, 1): u = ⌊w / 2⁸⌋ · 2⁻²⁴ for a 32-bit word w, i.e. the top
//!   24 bits of w, so every value is an exact multiple of 2⁻²⁴ (all of f32's
//!   precision at 1⁻).
//! - Standard normal N(0, 1): the ziggurat of Marsaglia & Tsang (2000), "The
//!   Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8),
//!   with 256 layers, one 32-bit word per sample in 98.5 % of the cases (see the
//!   `ziggurat` source file for the details and the table generator).
//! - Bernoulli(p): true when w < ⌊p · 2³²⌋, so P(true) = ⌊p · 2³²⌋ / 2³² (exact
//!   to 2⁻³²).
//!
//! # Word stream
//!
//! The slice fills draw one `next_u64` for every two values: element 2k uses the
//! low 32 bits, element 2k + 1 the high 32 bits (an odd last element uses the
//! low half of its own word). This halves the generator calls. Words are drawn
//! in blocks of 64 (128 values) before they are converted; the rare extra words
//! of the normal's slow path are drawn after the block's words. The one-value
//! functions use `next_u32`, so a fill is **not** the same sequence as repeated
//! single calls; each is deterministic on its own.
//!
//! # Determinism
//!
//! Only `+ − × ÷`, comparisons, exact integer → float conversions and `libm` are
//! used (never `mul_add` or the platform's math library), so a given generator
//! state gives the same bits on every target and every optimization level.
//!
//! # Examples
//!
//! ```
//! use deepinit::rng;
//! use rand_core::SeedableRng;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
//! let mut noise = [0.0f32; 1000];
//! rng::fill_normal(&mut noise, &mut rng);
//! let mean = noise.iter().sum::<f32>() / 1000.0;
//! assert!(mean.abs() < 5.0 / 1000f32.sqrt());
//! let u = rng::uniform_f32(&mut rng);
//! assert!((0.0..1.0).contains(&u));
//! ```

mod tables;
mod ziggurat;

use rand_core::Rng;

pub(crate) use ziggurat::normal_from_bits;

/// 2⁻²⁴ as f32.
const INV_TWO24: f32 = 1.0 / 16_777_216.0;

/// The uniform value in [0, 1) of the top 24 bits of `w`.
#[inline(always)]
pub(crate) fn unit_from_bits(w: u32) -> f32 {
    (w >> 8) as f32 * INV_TWO24
}

/// A uniform f32 in [0, 1) from the top 24 bits of one `next_u32`.
///
/// Every multiple of 2⁻²⁴ in [0, 1) has probability 2⁻²⁴.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let u = deepinit::rng::uniform_f32(&mut rng);
/// assert!((0.0..1.0).contains(&u) && (u * 16_777_216.0).fract() == 0.0);
/// ```
#[inline]
pub fn uniform_f32<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    unit_from_bits(rng.next_u32())
}

/// A uniform f64 in [0, 1) from the top 53 bits of one `next_u64`.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let u = deepinit::rng::uniform_f64(&mut rng);
/// assert!((0.0..1.0).contains(&u));
/// ```
#[inline]
pub fn uniform_f64<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// A standard normal N(0, 1) sample (ziggurat, Marsaglia & Tsang 2000).
///
/// Uses one `next_u32` in 98.5 % of the calls.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let z = deepinit::rng::standard_normal(&mut rng);
/// assert!(z.is_finite());
/// ```
#[inline]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    let w = rng.next_u32();
    normal_from_bits(w, rng)
}

/// The threshold t with P(w < t) = ⌊p · 2³²⌋ / 2³² for a uniform u32 word w;
/// p ≤ 0 and NaN give 0, p ≥ 1 gives 2³².
#[inline(always)]
fn bernoulli_threshold(p: f32) -> u64 {
    if p >= 1.0 {
        1 << 32
    } else if p > 0.0 {
        // Exact: p has 24 significant bits.
        (p as f64 * 4_294_967_296.0) as u64
    } else {
        0
    }
}

/// A Bernoulli(p) sample: `true` with probability ⌊p · 2³²⌋ / 2³².
///
/// `p` is clamped to [0, 1] (NaN counts as 0), so the call never panics.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// assert!(deepinit::rng::bernoulli(&mut rng, 1.0));
/// assert!(!deepinit::rng::bernoulli(&mut rng, 0.0));
/// ```
#[inline]
pub fn bernoulli<R: Rng + ?Sized>(rng: &mut R, p: f32) -> bool {
    u64::from(rng.next_u32()) < bernoulli_threshold(p)
}

/// Words drawn per block by the slice fills (2 values per word).
pub(crate) const BLOCK_WORDS: usize = 64;

/// Fills `out` with `f(word, rng)` for the words of the stream described in the
/// module docs: blocks of [`BLOCK_WORDS`] `next_u64` words are drawn first (so
/// the generator state stays in registers), then converted, low half first;
/// words a slow path of `f` needs are drawn from `rng` after its block.
#[inline(always)]
pub(crate) fn fill_words<R, G>(out: &mut [f32], rng: &mut R, mut f: G)
where
    R: Rng + ?Sized,
    G: FnMut(u32, &mut R) -> f32,
{
    let mut words = [0u64; BLOCK_WORDS];
    for block in out.chunks_mut(2 * BLOCK_WORDS) {
        let used = &mut words[..block.len().div_ceil(2)];
        for w in used.iter_mut() {
            *w = rng.next_u64();
        }
        let mut pairs = block.chunks_exact_mut(2);
        for (pair, &w) in (&mut pairs).zip(used.iter()) {
            pair[0] = f(w as u32, rng);
            pair[1] = f((w >> 32) as u32, rng);
        }
        if let ([last], Some(&w)) = (pairs.into_remainder(), used.last()) {
            *last = f(w as u32, rng);
        }
    }
}

/// Fills `out` with uniform values in [0, 1), two per `next_u64`.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
/// let mut u = [0.0f32; 64];
/// deepinit::rng::fill_uniform(&mut u, &mut rng);
/// assert!(u.iter().all(|v| (0.0..1.0).contains(v)));
/// ```
pub fn fill_uniform<R: Rng + ?Sized>(out: &mut [f32], rng: &mut R) {
    fill_words(out, rng, |w, _| unit_from_bits(w));
}

/// Fills `out` with standard normal samples, two per `next_u64` in the common
/// case (ziggurat, Marsaglia & Tsang 2000).
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
/// let mut z = [0.0f32; 64];
/// deepinit::rng::fill_normal(&mut z, &mut rng);
/// assert!(z.iter().all(|v| v.is_finite()));
/// ```
pub fn fill_normal<R: Rng + ?Sized>(out: &mut [f32], rng: &mut R) {
    fill_normal_map(out, rng, |z| z);
}

/// Fills `out` with `map(z)` for standard normal samples z, with the word
/// stream of [`fill_words`].
#[inline(always)]
pub(crate) fn fill_normal_map<R, M>(out: &mut [f32], rng: &mut R, map: M)
where
    R: Rng + ?Sized,
    M: Fn(f32) -> f32,
{
    fill_words(out, rng, |w, rng| map(normal_from_bits(w, rng)));
}

/// Samples `out[k]` = 1.0 with probability `probs[k]`, else 0.0 (e.g. binary
/// hidden units of an RBM). Probabilities are clamped to [0, 1] as in
/// [`bernoulli`].
///
/// # Panics
///
/// If `probs.len() != out.len()`.
///
/// # Examples
///
/// ```
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
/// let mut h = [0.5f32; 4];
/// deepinit::rng::fill_bernoulli(&[0.0, 1.0, 0.0, 1.0], &mut h, &mut rng);
/// assert_eq!(h, [0.0, 1.0, 0.0, 1.0]);
/// ```
pub fn fill_bernoulli<R: Rng + ?Sized>(probs: &[f32], out: &mut [f32], rng: &mut R) {
    assert_eq!(
        probs.len(),
        out.len(),
        "fill_bernoulli: probs and out lengths differ"
    );
    let mut k = 0;
    fill_words(out, rng, |w, _| {
        let hit = u64::from(w) < bernoulli_threshold(probs[k]);
        k += 1;
        if hit { 1.0 } else { 0.0 }
    });
}
