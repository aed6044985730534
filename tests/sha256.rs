//! SHA-256 against the NIST example vectors (FIPS 180-4 examples, as listed in
//! NIST's "Cryptographic Standards and Guidelines: Examples with Intermediate
//! Values") and the MNIST archives against `data/mnist/SHA256SUMS`.

use deepinit::sha256::{Sha256, digest, to_hex};

fn hex(d: &[u8; 32]) -> String {
    String::from_utf8(to_hex(d).to_vec()).unwrap()
}

#[test]
fn empty_message() {
    assert_eq!(
        hex(&digest(b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn abc() {
    assert_eq!(
        hex(&digest(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn message_448_bits() {
    let m = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_eq!(m.len() * 8, 448);
    assert_eq!(
        hex(&digest(m)),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
}

#[test]
fn message_896_bits() {
    let m = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_eq!(m.len() * 8, 896);
    assert_eq!(
        hex(&digest(m)),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    );
}

#[test]
fn one_million_a_in_uneven_pieces() {
    let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    let all = vec![b'a'; 1_000_000];
    assert_eq!(hex(&digest(&all)), expected);
    // Same message fed in pieces that straddle block boundaries.
    let mut h = Sha256::new();
    let mut rest = &all[..];
    let mut piece = 1;
    while !rest.is_empty() {
        let n = piece.min(rest.len());
        h.update(&rest[..n]);
        rest = &rest[n..];
        piece = piece * 7 % 131 + 1;
    }
    assert_eq!(hex(&h.finalize()), expected);
}

#[test]
fn padding_edges_agree_between_one_shot_and_bytewise() {
    // Lengths around the 55/56/64-byte padding boundaries.
    let data: Vec<u8> = (0..200u32).map(|i| (i * 31 + 7) as u8).collect();
    for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200] {
        let mut h = Sha256::new();
        for b in &data[..len] {
            h.update(core::slice::from_ref(b));
        }
        assert_eq!(h.finalize(), digest(&data[..len]), "len {len}");
    }
}

#[test]
fn mnist_archives_match_sha256sums() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (want, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(dir.join(name.trim())).unwrap();
        assert_eq!(hex(&digest(&bytes)), want.trim(), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}
