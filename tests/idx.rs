//! The IDX parser on hand-built files of every type code, every error with its
//! reported values, property-based round trips, and the real MNIST labels.

use deepinit::idx::{DataType, Header, Idx, IdxError, header_len};
use proptest::prelude::*;

const TYPES: [DataType; 6] = [
    DataType::U8,
    DataType::I8,
    DataType::I16,
    DataType::I32,
    DataType::F32,
    DataType::F64,
];

/// Encodes an IDX file of `dtype` with `dims` whose elements are `values`.
fn encode(dtype: DataType, dims: &[u32], values: &[f64]) -> Vec<u8> {
    let mut b = vec![0, 0, dtype.code(), dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    for &v in values {
        match dtype {
            DataType::U8 => b.push(v as u8),
            DataType::I8 => b.push(v as i8 as u8),
            DataType::I16 => b.extend((v as i16).to_be_bytes()),
            DataType::I32 => b.extend((v as i32).to_be_bytes()),
            DataType::F32 => b.extend((v as f32).to_be_bytes()),
            DataType::F64 => b.extend(v.to_be_bytes()),
        }
    }
    b
}

#[test]
fn every_type_code_reads_back() {
    let values = [0.0, 1.0, 100.0, 7.0, 120.0, 3.0];
    for dtype in TYPES {
        let bytes = encode(dtype, &[2, 3], &values);
        let idx = Idx::parse(&bytes).unwrap();
        assert_eq!(DataType::from_code(dtype.code()), Some(dtype));
        assert_eq!((idx.dtype(), idx.rank(), idx.len()), (dtype, 2, 6));
        assert_eq!(idx.dims().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(idx.shape::<2>(), Some([2, 3]));
        assert_eq!(idx.shape::<3>(), None);
        assert_eq!(idx.data().len(), 6 * dtype.size());
        for (i, &v) in values.iter().enumerate() {
            assert_eq!(idx.f64_at(i), Some(v), "{dtype:?}[{i}]");
            assert_eq!(idx.f32_at(i), Some(v as f32));
        }
        assert_eq!(idx.f64_at(6), None);
        assert_eq!(idx.f32_at(usize::MAX), None);
        assert_eq!(idx.u8_data().is_some(), dtype == DataType::U8);
    }
}

#[test]
fn signed_and_float_values_are_big_endian() {
    let i = encode(DataType::I8, &[2], &[-128.0, -1.0]);
    assert_eq!(Idx::parse(&i).unwrap().f64_at(0), Some(-128.0));
    let i = encode(DataType::I16, &[1], &[-30000.0]);
    assert_eq!(&i[8..], &[0x8a, 0xd0]);
    assert_eq!(Idx::parse(&i).unwrap().f32_at(0), Some(-30000.0));
    let i = encode(DataType::I32, &[1], &[16_777_217.0]);
    let idx = Idx::parse(&i).unwrap();
    assert_eq!(idx.f64_at(0), Some(16_777_217.0));
    assert_eq!(idx.f32_at(0), Some(16_777_216.0)); // rounded to nearest f32
    let i = encode(DataType::F32, &[1], &[-1.5]);
    assert_eq!(&i[8..], &[0xbf, 0xc0, 0, 0]);
    let i = encode(DataType::F64, &[1], &[0.1]);
    assert_eq!(Idx::parse(&i).unwrap().f64_at(0), Some(0.1));
}

#[test]
fn rank_zero_and_empty_and_rank_255() {
    let scalar = encode(DataType::U8, &[], &[9.0]);
    let idx = Idx::parse(&scalar).unwrap();
    assert_eq!(
        (idx.rank(), idx.len(), idx.u8_data()),
        (0, 1, Some(&[9u8][..]))
    );
    let empty = encode(DataType::F64, &[3, 0, 5], &[]);
    let idx = Idx::parse(&empty).unwrap();
    assert!(idx.is_empty());
    assert_eq!(idx.dims().collect::<Vec<_>>(), [3, 0, 5]);
    let dims = [1u32; 255];
    let big_rank = encode(DataType::I16, &dims, &[-2.0]);
    let idx = Idx::parse(&big_rank).unwrap();
    assert_eq!((idx.rank(), idx.dims().len(), idx.len()), (255, 255, 1));
    assert_eq!(idx.header().header_len(), 4 + 4 * 255);
}

#[test]
fn errors_report_what_and_where() {
    let good = encode(DataType::U8, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let mut bad = good.clone();
    bad[1] = 0x42;
    let e = Idx::parse(&bad).unwrap_err();
    assert_eq!(e, IdxError::BadMagic { found: [0, 0x42] });
    assert!(e.to_string().contains("0x42"), "{e}");
    let mut bad = good.clone();
    bad[2] = 0x0A;
    let e = Idx::parse(&bad).unwrap_err();
    assert_eq!(e, IdxError::UnknownType { code: 0x0A });
    assert!(e.to_string().contains("0x0a at offset 2"), "{e}");
    for cut in [0, 3, 4, 11, 12, 15] {
        let e = Idx::parse(&good[..cut]).unwrap_err();
        let expected = if cut < 4 {
            4
        } else if cut < 12 {
            12
        } else {
            16
        };
        assert_eq!(
            e,
            IdxError::Truncated {
                expected,
                found: cut
            },
            "cut {cut}"
        );
    }
    let mut long = good.clone();
    long.push(0);
    let e = Idx::parse(&long).unwrap_err();
    assert_eq!(
        e,
        IdxError::TrailingBytes {
            expected: 16,
            found: 17
        }
    );
    assert!(e.to_string().contains("offset 16"), "{e}");
}

#[test]
fn dimension_products_that_overflow_are_rejected() {
    // u32::MAX³ overflows a 64-bit usize at the third dimension, a 32-bit
    // one (wasm32, Cortex-M) at the second.
    let dim = if usize::BITS == 64 { 2 } else { 1 };
    let bytes = encode(DataType::U8, &[u32::MAX, u32::MAX, u32::MAX], &[]);
    let e = Idx::parse(&bytes).unwrap_err();
    assert_eq!(
        e,
        IdxError::DimensionOverflow {
            dim,
            value: u32::MAX
        }
    );
    assert!(e.to_string().contains(&format!("dimension {dim}")), "{e}");
    // Elements fit but the byte count (× 8 for f64) does not.
    let bytes = encode(DataType::F64, &[1 << 31, 1 << 31, 1 << 2], &[]);
    assert!(matches!(
        Idx::parse(&bytes),
        Err(IdxError::DimensionOverflow { .. })
    ));
    // A huge declaration: just truncated input where usize holds its size
    // (64-bit targets), an overflow at its second dimension where it does
    // not (32-bit targets: wasm32, Cortex-M).
    let bytes = encode(DataType::U8, &[u32::MAX, 2], &[]);
    let e = Idx::parse(&bytes).unwrap_err();
    let size = (u32::MAX as usize)
        .checked_mul(2)
        .and_then(|n| n.checked_add(12));
    let expected = match size {
        Some(expected) => IdxError::Truncated {
            expected,
            found: 12,
        },
        None => IdxError::DimensionOverflow { dim: 1, value: 2 },
    };
    assert_eq!(e, expected);
    // A zero dimension makes the array empty on every target, wherever it
    // stands: the product of the others need not fit.
    for dims in [
        [u32::MAX, u32::MAX, u32::MAX, 0],
        [0, u32::MAX, u32::MAX, u32::MAX],
        [70_000, 70_000, 0, 70_000],
    ] {
        let bytes = encode(DataType::F64, &dims, &[]);
        let idx = Idx::parse(&bytes).unwrap_or_else(|e| panic!("{dims:?}: {e}"));
        assert_eq!(idx.len(), 0, "{dims:?}");
    }
}

#[test]
fn header_helpers() {
    assert_eq!(header_len([0, 0, 0x0D, 255]), Ok(4 + 1020));
    assert_eq!(
        header_len([1, 0, 0x08, 1]),
        Err(IdxError::BadMagic { found: [1, 0] })
    );
    let bytes = encode(DataType::F32, &[4, 5], &[]);
    let h = Header::parse(&bytes).unwrap(); // data absent: the header alone parses
    assert_eq!((h.len(), h.data_len(), h.total_len()), (20, 80, 92));
}

#[test]
fn works_in_a_const_like_static_context() {
    static FILE: &[u8] = &[0, 0, 0x08, 1, 0, 0, 0, 3, 5, 0, 4];
    let idx = Idx::parse(FILE).unwrap();
    assert_eq!(idx.u8_data(), Some(&[5u8, 0, 4][..]));
}

#[cfg(feature = "std")]
#[test]
fn real_mnist_test_labels() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/mnist/t10k-labels-idx1-ubyte.gz"
    );
    let gz = std::fs::read(path).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
    let idx = Idx::parse(&raw).unwrap();
    assert_eq!(idx.shape::<1>(), Some([10_000]));
    assert_eq!(
        &idx.u8_data().unwrap()[..10],
        &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    );
}

proptest! {
    #[test]
    fn round_trip(t in 0usize..6, dims in proptest::collection::vec(0u32..5, 0..5), seed in any::<u64>()) {
        let dtype = TYPES[t];
        let n: usize = dims.iter().map(|&d| d as usize).product();
        let values: Vec<f64> = (0..n)
            .map(|i| ((seed.wrapping_mul(i as u64 + 1) >> 40) % 100) as f64)
            .collect();
        let bytes = encode(dtype, &dims, &values);
        let idx = Idx::parse(&bytes).unwrap();
        prop_assert_eq!(idx.len(), n);
        prop_assert_eq!(idx.dims().collect::<Vec<_>>(), dims.iter().map(|&d| d as usize).collect::<Vec<_>>());
        for (i, &v) in values.iter().enumerate() {
            prop_assert_eq!(idx.f64_at(i), Some(v));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(idx) = Idx::parse(&bytes) {
            prop_assert_eq!(idx.header().total_len(), bytes.len());
            for i in 0..idx.len() {
                prop_assert!(idx.f64_at(i).is_some());
            }
        }
    }
}
