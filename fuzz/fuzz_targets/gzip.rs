//! Arbitrary bytes through the gzip IDX reading path of the MNIST loader:
//! `Ok` or a typed `ReadIdxError`, never a panic, and never more memory than
//! the limit (1 MiB here) however large the stream inflates.
#![no_main]

use deepinit::idx::Idx;
use deepinit::mnist::{read_idx, read_idx_gz};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    for result in [read_idx_gz(data, LIMIT), read_idx(data, LIMIT)] {
        match result {
            Ok(bytes) => {
                assert!(bytes.len() <= LIMIT);
                assert!(Idx::parse(&bytes).is_ok());
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
