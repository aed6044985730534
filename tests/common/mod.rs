//! Shared test helpers: MNIST subsets from `data/mnist`, checkpoints with one
//! value edited.

#![allow(dead_code)]

use deepinit::mnist::{Dataset, Mnist, load_mnist};

fn subset(d: &Dataset, take: usize) -> Dataset {
    let len = take.min(d.len);
    Dataset {
        images: d.images[..len * d.image_len()].to_vec(),
        labels: d.labels[..len].to_vec(),
        len,
        ..*d
    }
}

/// The first `train` training and `test` test images of MNIST (the files are
/// read once per test binary).
pub fn mnist(train: usize, test: usize) -> (Dataset, Dataset) {
    static FULL: std::sync::OnceLock<Mnist> = std::sync::OnceLock::new();
    let full = FULL.get_or_init(|| {
        load_mnist(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist")).expect("data/mnist")
    });
    (subset(&full.train, train), subset(&full.test, test))
}

/// A scratch path `CARGO_TARGET_TMPDIR/deepinit-{name}-{nanoseconds}`, new
/// for each call in practice, so that concurrent runs of the tests do not
/// share files (process ids, the usual tag, do not exist on WASI).
pub fn scratch_path(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("deepinit-{name}-{nanos}"))
}

/// `c` with value `index` of tensor `name` set to `value` (every other
/// tensor and the metadata as they are).
#[cfg(feature = "std")]
pub fn with_value(
    c: &deepinit::checkpoint::Checkpoint,
    name: &str,
    index: usize,
    value: f32,
) -> deepinit::checkpoint::Checkpoint {
    let mut edited = deepinit::checkpoint::Checkpoint::new();
    for (k, v) in c.metadata_map() {
        edited.set_metadata(k, v);
    }
    for t in c.tensors() {
        let mut data = t.data().to_vec();
        if t.name() == name {
            data[index] = value;
        }
        edited.push(t.name(), t.shape(), data);
    }
    edited
}
