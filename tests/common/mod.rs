//! Shared test helpers: MNIST subsets from `data/mnist`.
//!
//! Temporary: a minimal IDX-gz reader until the crate's loader lands; it reads
//! only u8 IDX files and checks the magic numbers.

#![allow(dead_code)]

use std::io::Read;

use deepinit::mnist::Dataset;

fn read_idx(name: &str) -> (Vec<usize>, Vec<u8>) {
    let path = format!("{}/data/mnist/{name}.gz", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(&bytes[..3], &[0, 0, 8], "{path}: not a u8 IDX file");
    let rank = usize::from(bytes[3]);
    let dims: Vec<usize> = (0..rank)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    (dims, bytes[4 + 4 * rank..].to_vec())
}

fn split(prefix: &str, take: usize) -> Dataset {
    let (dims, images) = read_idx(&format!("{prefix}-images-idx3-ubyte"));
    let (_, labels) = read_idx(&format!("{prefix}-labels-idx1-ubyte"));
    let len = take.min(dims[0]);
    Dataset {
        images: images[..len * dims[1] * dims[2]].to_vec(),
        labels: labels[..len].to_vec(),
        len,
        rows: dims[1],
        cols: dims[2],
        classes: 10,
    }
}

fn subset(d: &Dataset, take: usize) -> Dataset {
    let len = take.min(d.len);
    let pixels = d.rows * d.cols;
    Dataset {
        images: d.images[..len * pixels].to_vec(),
        labels: d.labels[..len].to_vec(),
        len,
        ..*d
    }
}

/// The first `train` training and `test` test images of MNIST (files read
/// once per test binary).
pub fn mnist(train: usize, test: usize) -> (Dataset, Dataset) {
    static FULL: std::sync::OnceLock<(Dataset, Dataset)> = std::sync::OnceLock::new();
    let (tr, te) = FULL.get_or_init(|| (split("train", usize::MAX), split("t10k", usize::MAX)));
    (subset(tr, train), subset(te, test))
}
