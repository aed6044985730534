//! The loader on the real MNIST files in `data/mnist` (facts from
//! data/mnist/README.md), with and without checksum verification, and the
//! data-directory resolution.
#![cfg(feature = "std")]

mod child;
mod common;

use deepinit::mnist::{
    DATA_ENV, DEFAULT_DATA_DIR, MnistOptions, default_data_dir, load_mnist, load_mnist_test,
    load_mnist_with, resolve_data_dir,
};
use std::path::{Path, PathBuf};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");

#[test]
fn real_mnist_facts_with_checksums() {
    let options = MnistOptions {
        verify_checksums: true,
        ..MnistOptions::default()
    };
    let m = load_mnist_with(DIR, &options).unwrap();
    let (train, test) = (&m.train, &m.test);
    assert_eq!(
        (train.len, train.rows, train.cols, train.classes),
        (60_000, 28, 28, 10)
    );
    assert_eq!(
        (test.len, test.rows, test.cols, test.classes),
        (10_000, 28, 28, 10)
    );
    assert_eq!(train.images.len(), 60_000 * 784);
    assert_eq!(test.images.len(), 10_000 * 784);
    assert_eq!(train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(test.labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let mut counts = [0usize; 10];
    for &l in &test.labels {
        counts[usize::from(l)] += 1;
    }
    assert_eq!(
        counts,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let sum: u64 = train.images.iter().map(|&p| u64::from(p)).sum();
    let mean = sum as f64 / train.images.len() as f64;
    assert!((mean - 33.3184).abs() <= 1e-4, "mean pixel {mean}");
    assert_eq!(train.image(0).len(), 784);
    assert_eq!(train.image(59_999), &train.images[59_999 * 784..]);
}

#[test]
fn default_options_load_the_same_data() {
    let a = load_mnist(DIR).unwrap();
    assert_eq!(a.test.labels.len(), 10_000);
    assert_eq!(a.train.labels[..3], [5, 0, 4]);
}

/// The test split alone: the same data as in the whole set, with the
/// training files absent.
#[test]
fn the_test_split_loads_alone() {
    let whole = load_mnist(DIR).unwrap();
    let dir = common::scratch_path("t10k");
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
        std::fs::copy(Path::new(DIR).join(file), dir.join(file)).unwrap();
    }
    let test = load_mnist_test(&dir, &MnistOptions::default());
    let missing_train = load_mnist(&dir).is_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(test.unwrap(), whole.test);
    assert!(missing_train, "the training files were absent");
}

#[test]
fn explicit_data_dir_wins() {
    assert_eq!(
        resolve_data_dir(Some(Path::new("/x/y"))),
        PathBuf::from("/x/y")
    );
}

/// Runs `child_sees_env_dir` in a child process with `DEEPINIT_DATA` set
/// or removed.
fn in_child(env: Option<&str>, expect: &str) {
    child::run_in_child(
        "child_sees_env_dir",
        &[("DEEPINIT_TEST_EXPECT_DIR", Some(expect)), (DATA_ENV, env)],
    );
}

#[test]
#[cfg_attr(target_os = "wasi", ignore = "WASI has no child processes")]
fn env_var_then_default_in_child_processes() {
    in_child(Some("/some/where"), "/some/where");
    in_child(None, DEFAULT_DATA_DIR);
    in_child(Some(""), DEFAULT_DATA_DIR);
    assert_eq!(resolve_data_dir(None), default_data_dir());
}

#[test]
#[ignore = "run by env_var_then_default_in_child_processes"]
fn child_sees_env_dir() {
    let expect = std::env::var("DEEPINIT_TEST_EXPECT_DIR").unwrap();
    assert_eq!(default_data_dir(), PathBuf::from(expect));
    assert_eq!(resolve_data_dir(None), default_data_dir());
}
