// What the golden values are computed with, shared by their tests and the
// firmware in embedded/ (each includes this file; the includer
// brings `Vec` into scope).

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64_bytes(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// FNV-1a-64 over the little-endian bytes of the f32 bit patterns.
fn fnv1a64<'a>(values: impl IntoIterator<Item = &'a f32>) -> u64 {
    fnv1a64_bytes(values.into_iter().flat_map(|v| v.to_bits().to_le_bytes()))
}

/// The generator of every golden value: xoshiro256++ seeded with
/// `42 ^ stream` (stream 0 for the initializers).
fn seeded(stream: u64) -> rand_xoshiro::Xoshiro256PlusPlus {
    <rand_xoshiro::Xoshiro256PlusPlus as rand_core::SeedableRng>::seed_from_u64(42 ^ stream)
}
