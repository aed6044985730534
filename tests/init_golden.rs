//! Golden values: the exact bits of every seeded path at seed 42
//! (`Xoshiro256PlusPlus::seed_from_u64(42)`), pinned once from this
//! implementation. CI runs this file in debug, release and with
//! `-C target-cpu=native`: the bits must never change across builds or targets
//! (changing them is a breaking change of deepinit).
//!
//! Each case fills a 784×256 buffer (Fans::new(784, 256), i.e. W [256 × 784]) and
//! checks the f32 bit patterns of the first 16 values and the FNV-1a-64 hash of
//! all the bit patterns (little-endian bytes).

use deepinit::init::{Distribution, FanMode, Fans, Init, Nonlinearity};
use deepinit::rng;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const LEN: usize = 784 * 256;
const FANS: Fans = Fans::new(784, 256);

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64_bytes(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// FNV-1a-64 over the little-endian bytes of the f32 bit patterns.
fn fnv1a64(values: &[f32]) -> u64 {
    fnv1a64_bytes(values.iter().flat_map(|v| v.to_bits().to_le_bytes()))
}

fn seeded() -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(42)
}

/// Compares a buffer with its golden row; on mismatch prints the row to pin.
fn check(name: &str, values: &[f32], first: [u32; 16], hash: u64) {
    let got_first: Vec<u32> = values[..16].iter().map(|v| v.to_bits()).collect();
    let got_hash = fnv1a64(values);
    if got_first != first || got_hash != hash {
        let hex: Vec<String> = got_first.iter().map(|b| format!("0x{b:08x}")).collect();
        panic!(
            "{name}: golden mismatch, got\n    [{}],\n    0x{got_hash:016x},",
            hex.join(", ")
        );
    }
}

fn check_init(name: &str, init: Init, first: [u32; 16], hash: u64) {
    let mut out = vec![f32::NAN; LEN];
    init.fill(&mut out, FANS, &mut seeded()).unwrap();
    check(name, &out, first, hash);
}

#[test]
fn fnv1a64_reference_values() {
    // Published FNV-1a-64 test vectors (Fowler, Noll, Vo).
    assert_eq!(fnv1a64_bytes(*b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64_bytes(*b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64_bytes(*b"foobar"), 0x8594_4171_f739_67e8);
    assert_eq!(fnv1a64(&[1.0]), fnv1a64_bytes([0x00, 0x00, 0x80, 0x3f]));
}

#[test]
fn golden_constant() {
    check_init("constant", Init::constant(0.25), [0; 16], 0);
}

#[test]
fn golden_zeros() {
    check_init("zeros", Init::zeros(), [0; 16], 0);
}

#[test]
fn golden_uniform() {
    check_init("uniform", Init::uniform(-0.05, 0.05), [0; 16], 0);
}

#[test]
fn golden_normal() {
    check_init("normal", Init::normal(0.0, 0.02), [0; 16], 0);
}

#[test]
fn golden_truncated_normal() {
    check_init(
        "truncated_normal",
        Init::truncated_normal(0.0, 0.05, -0.1, 0.1),
        [0; 16],
        0,
    );
}

#[test]
fn golden_truncated_normal_narrow() {
    check_init(
        "truncated_normal_narrow",
        Init::truncated_normal(0.1, 0.05, 0.0, 0.15),
        [0; 16],
        0,
    );
}

#[test]
fn golden_truncated_normal_far_tail() {
    check_init(
        "truncated_normal_far_tail",
        Init::truncated_normal(0.0, 1.0, 8.0, 9.0),
        [0; 16],
        0,
    );
}

#[test]
fn golden_truncated_normal_left_tail() {
    check_init(
        "truncated_normal_left_tail",
        Init::truncated_normal(1.0, 0.5, -1.0, 0.0),
        [0; 16],
        0,
    );
}

#[test]
fn golden_variance_scaling_avg_truncated() {
    check_init(
        "variance_scaling_avg_truncated",
        Init::variance_scaling(2.0, FanMode::Avg, Distribution::TruncatedNormal),
        [0; 16],
        0,
    );
}

#[test]
fn golden_variance_scaling_geo_uniform() {
    check_init(
        "variance_scaling_geo_uniform",
        Init::variance_scaling(1.0, FanMode::GeoAvg, Distribution::Uniform),
        [0; 16],
        0,
    );
}

#[test]
fn golden_variance_scaling_out_normal() {
    check_init(
        "variance_scaling_out_normal",
        Init::variance_scaling(0.5, FanMode::Out, Distribution::Normal),
        [0; 16],
        0,
    );
}

#[test]
fn golden_xavier_uniform() {
    check_init("xavier_uniform", Init::xavier_uniform(1.0), [0; 16], 0);
}

#[test]
fn golden_xavier_normal() {
    check_init("xavier_normal", Init::xavier_normal(1.0), [0; 16], 0);
}

#[test]
fn golden_kaiming_uniform_leaky_out() {
    check_init(
        "kaiming_uniform_leaky_out",
        Init::kaiming_uniform(Nonlinearity::LeakyRelu(0.01), FanMode::Out),
        [0; 16],
        0,
    );
}

#[test]
fn golden_kaiming_normal_tanh_in() {
    check_init(
        "kaiming_normal_tanh_in",
        Init::kaiming_normal(Nonlinearity::Tanh, FanMode::In),
        [0; 16],
        0,
    );
}

#[test]
fn golden_he_uniform() {
    check_init("he_uniform", Init::he_uniform(), [0; 16], 0);
}

#[test]
fn golden_he_normal() {
    check_init("he_normal", Init::he_normal(), [0; 16], 0);
}

#[test]
fn golden_lecun_uniform() {
    check_init("lecun_uniform", Init::lecun_uniform(), [0; 16], 0);
}

#[test]
fn golden_lecun_normal() {
    check_init("lecun_normal", Init::lecun_normal(), [0; 16], 0);
}

#[test]
fn golden_eye() {
    check_init("eye", Init::eye(), [0; 16], 0);
}

#[test]
fn golden_sparse() {
    check_init("sparse", Init::sparse(0.1, 0.01), [0; 16], 0);
}

#[cfg(feature = "alloc")]
#[test]
fn golden_orthogonal() {
    check_init("orthogonal", Init::orthogonal(1.0), [0; 16], 0);
}

#[test]
fn golden_rng_fill_uniform() {
    let mut out = vec![f32::NAN; LEN];
    rng::fill_uniform(&mut out, &mut seeded());
    check("rng_fill_uniform", &out, [0; 16], 0);
}

#[test]
fn golden_rng_fill_normal() {
    let mut out = vec![f32::NAN; LEN];
    rng::fill_normal(&mut out, &mut seeded());
    check("rng_fill_normal", &out, [0; 16], 0);
}

#[test]
fn golden_rng_uniform_f32() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded();
    out.iter_mut().for_each(|v| *v = rng::uniform_f32(&mut r));
    check("rng_uniform_f32", &out, [0; 16], 0);
}

#[test]
fn golden_rng_standard_normal() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded();
    out.iter_mut()
        .for_each(|v| *v = rng::standard_normal(&mut r));
    check("rng_standard_normal", &out, [0; 16], 0);
}

#[test]
fn golden_rng_fill_bernoulli() {
    let mut out = vec![f32::NAN; LEN];
    let probs: Vec<f32> = (0..LEN).map(|i| (i % 101) as f32 / 100.0).collect();
    rng::fill_bernoulli(&probs, &mut out, &mut seeded());
    check("rng_fill_bernoulli", &out, [0; 16], 0);
}

#[test]
fn golden_rng_bernoulli() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded();
    out.iter_mut().enumerate().for_each(|(i, v)| {
        *v = f32::from(u8::from(rng::bernoulli(&mut r, (i % 101) as f32 / 100.0)));
    });
    check("rng_bernoulli", &out, [0; 16], 0);
}
