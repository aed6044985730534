//! Arbitrary bytes through the zero-copy IDX parser: `Ok` or a typed
//! `IdxError`, never a panic; a successful parse must be self-consistent.
#![no_main]

use deepinit::idx::{Header, Idx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = Header::parse(data);
    match Idx::parse(data) {
        Ok(idx) => {
            let h = header.expect("a valid file has a valid header");
            assert_eq!(h.total_len(), data.len());
            assert_eq!(idx.data().len(), idx.len() * idx.dtype().size());
            assert_eq!(idx.dims().count(), idx.rank());
            // A zero dimension empties the array whatever the others
            // (whose product may not fit in usize).
            let product = if idx.dims().any(|d| d == 0) {
                Some(0)
            } else {
                idx.dims().try_fold(1usize, |n, d| n.checked_mul(d))
            };
            assert_eq!(product, Some(idx.len()));
            if idx.len() > 0 {
                assert!(idx.f64_at(idx.len() - 1).is_some());
                assert!(idx.f32_at(0).is_some());
            }
            assert!(idx.f64_at(idx.len()).is_none());
            assert_eq!(idx.u8_data().is_some(), idx.dtype().code() == 0x08);
        }
        Err(e) => {
            // Display must work for every error.
            let _ = e.to_string();
        }
    }
});
