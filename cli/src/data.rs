//! Where the data comes from: `--data DIR`, else `$DEEPINIT_DATA`, else
//! `data/mnist` (and the repository's copy when run from elsewhere), loaded
//! with `deepinit::mnist::load_mnist_with` (checking `SHA256SUMS` with
//! `--verify-data`), optionally cut to the first N images; `eval` loads the
//! test files alone.

use crate::Failure;
use deepinit::mnist::{Dataset, Mnist, MnistError, MnistOptions, load_mnist_test, load_mnist_with};
use std::path::{Path, PathBuf};

/// The data directory to use (an empty `--data` or `$DEEPINIT_DATA` counts
/// as not given: clap takes an empty `--data` over the variable, which is
/// therefore read again here).
pub fn data_dir(given: Option<&String>) -> PathBuf {
    let env = std::env::var("DEEPINIT_DATA").ok();
    if let Some(dir) = [given.cloned(), env]
        .into_iter()
        .flatten()
        .find(|d| !d.is_empty())
    {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("data/mnist");
    if local.is_dir() {
        return local;
    }
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist"));
    if repo.is_dir() { repo } else { local }
}

/// Keeps the first `n` images of `d` (all if `n` is `None` or too large).
pub fn limit(d: &mut Dataset, n: Option<usize>) {
    if let Some(n) = n
        && n < d.len
    {
        d.len = n;
        d.images.truncate(n * d.rows * d.cols);
        d.labels.truncate(n);
    }
}

/// The data directory, refused if it names something other than a directory.
fn checked_dir(dir: Option<&String>) -> Result<PathBuf, Failure> {
    let dir = data_dir(dir);
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::input(format!(
            "cannot load MNIST from {}: not a directory (--data names the directory of the four files)",
            dir.display()
        )));
    }
    Ok(dir)
}

fn options(verify: bool) -> MnistOptions {
    MnistOptions {
        verify_checksums: verify,
        ..MnistOptions::default()
    }
}

fn load_error(dir: &Path) -> impl Fn(MnistError) -> Failure {
    move |e| Failure::input(format!("cannot load MNIST from {}: {e}", dir.display()))
}

/// Loads the data (checking `SHA256SUMS` if `verify`), with limits applied.
pub fn load(
    verify: bool,
    dir: Option<&String>,
    train_limit: Option<usize>,
    test_limit: Option<usize>,
) -> Result<Mnist, Failure> {
    let dir = checked_dir(dir)?;
    let mut data = load_mnist_with(&dir, &options(verify)).map_err(load_error(&dir))?;
    limit(&mut data.train, train_limit);
    limit(&mut data.test, test_limit);
    if data.test.len == 0 {
        return Err(Failure::input(format!(
            "the test set in {} holds no images",
            dir.display()
        )));
    }
    Ok(data)
}

/// Loads the test set alone (`eval`: no training files needed or read).
pub fn load_test(
    verify: bool,
    dir: Option<&String>,
    test_limit: Option<usize>,
) -> Result<Dataset, Failure> {
    let dir = checked_dir(dir)?;
    let mut test = load_mnist_test(&dir, &options(verify)).map_err(load_error(&dir))?;
    limit(&mut test, test_limit);
    if test.len == 0 {
        return Err(Failure::input(format!(
            "the test set in {} holds no images",
            dir.display()
        )));
    }
    Ok(test)
}
