//! Golden values: the exact bits of every seeded path at seed 42
//! (`Xoshiro256PlusPlus::seed_from_u64(42)`), pinned once from this
//! implementation (the table is `tests/golden/inits.rs`). CI runs this file
//! in debug, release, with `-C target-cpu=native`, on aarch64 and riscv64
//! (under QEMU) and on wasm32-wasip1 (under wasmtime), and the table on a
//! Cortex-M4F and a soft-float RISC-V core (embedded/): the bits must never
//! change across builds or targets (changing them is a breaking change of
//! deepinit).
//!
//! Each case fills a 784×256 buffer (Fans::new(784, 256), i.e. W [256 × 784])
//! or the fans its entry names, and checks the f32 bit patterns of the first
//! 16 values and the FNV-1a-64 hash of all the bit patterns (little-endian
//! bytes).

use deepinit::init::{Distribution, FanMode, Fans, Init, Nonlinearity};
use deepinit::rng;

const LEN: usize = 784 * 256;

include!("golden/support.rs");

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

fn check_init(name: &str, init: Init, fans: Fans, first: [u32; 16], hash: u64) {
    let mut out = vec![f32::NAN; fans.fan_in * fans.fan_out];
    init.fill(&mut out, fans, &mut seeded(0)).unwrap();
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

/// `golden_inits! { name[(fan_in, fan_out)]: init, [first 16 bit patterns],
/// hash; … }` defines one test per entry, filling the buffer of its fans
/// (784×256 by default) with `init` at seed 42.
macro_rules! golden_inits {
    ($($(#[$attr:meta])* $name:ident $(($($fans:expr),*))?: $init:expr, $first:expr, $hash:expr;)*) => {$(
        $(#[$attr])*
        #[test]
        fn $name() {
            check_init(stringify!($name), $init, golden_fans!($($($fans),*)?), $first, $hash);
        }
    )*};
}

include!("golden/inits.rs");

#[test]
fn golden_rng_fill_uniform() {
    let mut out = vec![f32::NAN; LEN];
    rng::fill_uniform(&mut out, &mut seeded(0));
    #[rustfmt::skip]
    check("rng_fill_uniform", &out, [
            0x3e88ecd0, 0x3f50764d, 0x3eaede6e, 0x3ea33c82, 0x3d424ed0, 0x3f7be07c, 0x3d4d8350, 0x3f337d9f,
            0x3ee908d4, 0x3f4b231c, 0x3e9ca1bc, 0x3f168d9f, 0x3e0868d4, 0x3e005c60, 0x3d6d8cb0, 0x3f1ae94e,
        ], 0xdcc6d510525fcbab);
}

#[test]
fn golden_rng_fill_normal() {
    let mut out = vec![f32::NAN; LEN];
    rng::fill_normal(&mut out, &mut seeded(0));
    #[rustfmt::skip]
    check("rng_fill_normal", &out, [
            0x3eb5c001, 0xbfc578c9, 0xbef8838c, 0xbf0407ba, 0xbd8d5175, 0x3f08169b, 0xbd6d47f9, 0xbf9e14aa,
            0x3f3d4bdb, 0x3fd5a599, 0x3ef3ad69, 0xc01331bc, 0xbe7abdb7, 0x3cdd076f, 0xbdea239f, 0x3fea85f1,
        ], 0xb86cb122ff685322);
}

#[test]
fn golden_rng_uniform_f32() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded(0);
    out.iter_mut().for_each(|v| *v = rng::uniform_f32(&mut r));
    #[rustfmt::skip]
    check("rng_uniform_f32", &out, [
            0x3f50764d, 0x3ea33c82, 0x3f7be07c, 0x3f337d9f, 0x3f4b231c, 0x3f168d9f, 0x3e005c60, 0x3f1ae94e,
            0x3e54b3cc, 0x3f6eefd6, 0x3f0f3dfa, 0x3f599b8e, 0x3f2e14e7, 0x3d8e65f8, 0x3ece5f9e, 0x3f0bc6e8,
        ], 0xfafb6f3da66c9500);
}

#[test]
fn golden_rng_standard_normal() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded(0);
    out.iter_mut()
        .for_each(|v| *v = rng::standard_normal(&mut r));
    #[rustfmt::skip]
    check("rng_standard_normal", &out, [
            0xbfc578c9, 0xbf0407ba, 0x3d6d47f9, 0x3fd5a599, 0xc01331bc, 0x3cdd076f, 0xbe3bbc5a, 0x40016d03,
            0x3f44dd26, 0x4054c0b1, 0xbf8f3ca8, 0xbda15301, 0xbec14111, 0x3f7ebd70, 0xbebbe530, 0x3d130688,
        ], 0x9df769c412b2adfa);
}

#[test]
fn golden_rng_fill_bernoulli() {
    let mut out = vec![f32::NAN; LEN];
    let probs: Vec<f32> = (0..LEN).map(|i| (i % 101) as f32 / 100.0).collect();
    rng::fill_bernoulli(&probs, &mut out, &mut seeded(0));
    #[rustfmt::skip]
    check("rng_fill_bernoulli", &out, [
            0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x3f800000, 0x00000000,
            0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x3f800000, 0x3f800000, 0x00000000,
        ], 0x02c9af3421817fd8);
}

#[test]
fn golden_rng_bernoulli() {
    let mut out = vec![f32::NAN; LEN];
    let mut r = seeded(0);
    out.iter_mut().enumerate().for_each(|(i, v)| {
        *v = f32::from(u8::from(rng::bernoulli(&mut r, (i % 101) as f32 / 100.0)));
    });
    #[rustfmt::skip]
    check("rng_bernoulli", &out, [
            0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
            0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x3f800000, 0x00000000, 0x00000000,
        ], 0xf9bee4889b00f925);
}
