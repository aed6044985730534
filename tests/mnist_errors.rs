//! The loader on synthetic MNIST-format directories: raw and .gz files in
//! both naming conventions, other image sizes, and one test per error
//! (wrong magic, truncated, trailing bytes, count mismatch, label ≥ 10,
//! missing file, gzip bomb, checksum mismatch/missing, wrong type, limit).
#![cfg(feature = "std")]

mod common;

use deepinit::idx::IdxError;
use deepinit::mnist::{
    MnistError, MnistOptions, ReadIdxError, load_mnist, load_mnist_with, read_idx_gz,
};
use deepinit::sha256::{digest, to_hex};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = common::scratch_path(&format!("mnist-{n}"));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn idx_u8(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend(data);
    b
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Images for `n` items of `rows × cols` (pixel k = k mod 251) and labels i mod 10.
fn split_files(n: u32, rows: u32, cols: u32) -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..n * rows * cols).map(|k| (k % 251) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    (idx_u8(&[n, rows, cols], &pixels), idx_u8(&[n], &labels))
}

/// Writes a full dataset: `style` 0 = `-idx3-ubyte.gz`, 1 = raw dashes,
/// 2 = `.idx3-ubyte.gz`, 3 = raw dots.
fn write_dataset(dir: &Path, style: usize, rows: u32, cols: u32) {
    for (split, n) in [("train", 12), ("t10k", 5)] {
        let (images, labels) = split_files(n, rows, cols);
        for (kind, rank, bytes) in [("images", 3, images), ("labels", 1, labels)] {
            let sep = if style < 2 { '-' } else { '.' };
            let name = format!("{split}-{kind}{sep}idx{rank}-ubyte");
            if style.is_multiple_of(2) {
                std::fs::write(dir.join(name + ".gz"), gz(&bytes)).unwrap();
            } else {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
}

fn write_sums(dir: &Path) {
    let mut sums = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let hex = to_hex(&digest(&std::fs::read(e.path()).unwrap()));
        let name = e.file_name().into_string().unwrap();
        sums += &format!("{}  {name}\n", std::str::from_utf8(&hex).unwrap());
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

#[test]
fn raw_and_gz_in_both_naming_conventions() {
    for style in 0..4 {
        let d = TempDir::new();
        write_dataset(&d.0, style, 28, 28);
        let m = load_mnist(&d.0).unwrap_or_else(|e| panic!("style {style}: {e}"));
        assert_eq!(
            (m.train.len, m.test.len, m.train.rows, m.test.cols),
            (12, 5, 28, 28)
        );
        assert_eq!(m.train.labels, (0..12).map(|i| i % 10).collect::<Vec<u8>>());
        assert_eq!(m.test.images[..3], [0, 1, 2]);
        assert_eq!(m.train.images[251], 0);
    }
}

#[test]
fn other_image_sizes_need_image_size_none() {
    let d = TempDir::new();
    write_dataset(&d.0, 0, 5, 3);
    let e = load_mnist(&d.0).unwrap_err();
    assert!(matches!(e, MnistError::Format { .. }), "{e}");
    assert!(
        e.to_string().contains("images are 5×3, expected 28×28"),
        "{e}"
    );
    let options = MnistOptions {
        image_size: None,
        ..MnistOptions::default()
    };
    let m = load_mnist_with(&d.0, &options).unwrap();
    assert_eq!(
        (m.train.rows, m.train.cols, m.train.image_len()),
        (5, 3, 15)
    );
}

/// An empty file may declare images of any size; one image must still fit
/// in usize (70 000² pixels do not on 32-bit targets: wasm32, Cortex-M).
#[test]
fn empty_sets_of_huge_images() {
    let d = TempDir::new();
    for split in ["train", "t10k"] {
        let images = idx_u8(&[0, 70_000, 70_000], &[]);
        std::fs::write(d.0.join(format!("{split}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(
            d.0.join(format!("{split}-labels-idx1-ubyte")),
            idx_u8(&[0], &[]),
        )
        .unwrap();
    }
    let options = MnistOptions {
        image_size: None,
        ..MnistOptions::default()
    };
    match (
        load_mnist_with(&d.0, &options),
        70_000usize.checked_mul(70_000),
    ) {
        (Ok(m), Some(pixels)) => assert_eq!((m.train.len, m.train.image_len()), (0, pixels)),
        (Err(e @ MnistError::Format { .. }), None) => {
            assert!(e.to_string().contains("do not fit in memory"), "{e}");
        }
        (other, _) => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_lists_every_path_tried() {
    let d = TempDir::new();
    write_dataset(&d.0, 1, 28, 28);
    std::fs::remove_file(d.0.join("t10k-labels-idx1-ubyte")).unwrap();
    let e = load_mnist(&d.0).unwrap_err();
    let MnistError::MissingFile { tried } = &e else {
        panic!("{e}")
    };
    assert_eq!(tried.len(), 4);
    let msg = e.to_string();
    for name in [
        "t10k-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte",
        "t10k-labels.idx1-ubyte.gz",
        "t10k-labels.idx1-ubyte",
    ] {
        assert!(tried.contains(&d.0.join(name)), "{name}");
        assert!(msg.contains(&d.0.join(name).display().to_string()), "{msg}");
    }
}

/// Something other than a file under an accepted name, with no file under
/// the others, is named for what it is, not reported missing.
#[cfg(unix)]
#[test]
fn a_directory_or_dangling_link_is_not_a_missing_file() {
    let d = TempDir::new();
    write_dataset(&d.0, 1, 28, 28);
    let labels = d.0.join("t10k-labels-idx1-ubyte");
    std::fs::remove_file(&labels).unwrap();
    let dot = d.0.join("t10k-labels.idx1-ubyte");
    std::os::unix::fs::symlink(d.0.join("absent"), &dot).unwrap();
    std::fs::create_dir(&labels).unwrap();
    let check = |path: &Path, what: &str| {
        let e = load_mnist(&d.0).unwrap_err();
        assert!(
            matches!(&e, MnistError::NotAFile { path: p, what: w } if p == path && *w == what),
            "{e:?}"
        );
        assert!(e.to_string().contains(what), "{e}");
    };
    // The directory's name is tried before the link's.
    check(&labels, "a directory, not a data file");
    std::fs::remove_dir(&labels).unwrap();
    check(
        &dot,
        "a symbolic link that cannot be followed (to nothing, or in a loop)",
    );
}

/// Replaces one file of a raw (style 1) dataset and returns the load error.
fn corrupt(name: &str, bytes: Vec<u8>) -> (TempDir, MnistError) {
    let d = TempDir::new();
    write_dataset(&d.0, 1, 28, 28);
    std::fs::write(d.0.join(name), bytes).unwrap();
    let e = load_mnist(&d.0).unwrap_err();
    (d, e)
}

#[test]
fn wrong_magic_truncated_and_trailing_name_the_file() {
    let (images, labels) = split_files(12, 28, 28);
    let mut bad = images.clone();
    bad[0] = 1;
    let (d, e) = corrupt("train-images-idx3-ubyte", bad);
    let path = d.0.join("train-images-idx3-ubyte");
    assert!(
        matches!(&e, MnistError::Idx { path: p, source: IdxError::BadMagic { .. } } if *p == path)
    );
    assert!(e.to_string().contains("train-images-idx3-ubyte"), "{e}");
    let (_d, e) = corrupt(
        "train-images-idx3-ubyte",
        images[..images.len() - 1].to_vec(),
    );
    let want = IdxError::Truncated {
        expected: images.len(),
        found: images.len() - 1,
    };
    assert!(matches!(e, MnistError::Idx { source, .. } if source == want));
    let mut long = labels.clone();
    long.push(3);
    let (_d, e) = corrupt("train-labels-idx1-ubyte", long);
    assert!(
        matches!(e, MnistError::TrailingData { declared: 20, .. }),
        "{e}"
    );
}

#[test]
fn count_mismatch_bad_label_and_wrong_type() {
    let (_, labels) = split_files(11, 28, 28);
    let (_d, e) = corrupt("train-labels-idx1-ubyte", labels);
    assert!(
        matches!(
            e,
            MnistError::CountMismatch {
                images: 12,
                labels: 11,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("12 images but"), "{e}");
    let mut labels: Vec<u8> = (0..5).collect();
    labels[3] = 10;
    let (_d, e) = corrupt("t10k-labels-idx1-ubyte", idx_u8(&[5], &labels));
    assert!(
        matches!(
            e,
            MnistError::BadLabel {
                index: 3,
                label: 10,
                ..
            }
        ),
        "{e}"
    );
    let mut f32_labels = idx_u8(&[5], &[0; 20]);
    f32_labels[2] = 0x0D;
    let (_d, e) = corrupt("t10k-labels-idx1-ubyte", f32_labels);
    assert!(
        e.to_string()
            .contains("expected u8 labels of rank 1, found f32 of rank 1"),
        "{e}"
    );
    // The type is checked before the length: an f32 file with a u8 file's
    // bytes is named for its type, not as truncated (raw and gzip).
    let (images, _) = split_files(12, 28, 28);
    let mut f32_images = images.clone();
    f32_images[2] = 0x0D;
    let (_d, e) = corrupt("train-images-idx3-ubyte", f32_images.clone());
    assert!(
        matches!(&e, MnistError::Format { detail, .. }
            if detail == "expected u8 images of rank 3, found f32 of rank 3"),
        "{e}"
    );
    let d = TempDir::new();
    write_dataset(&d.0, 1, 28, 28);
    std::fs::remove_file(d.0.join("train-images-idx3-ubyte")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&f32_images).unwrap();
    std::fs::write(d.0.join("train-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();
    let e = load_mnist(&d.0).unwrap_err();
    assert!(matches!(&e, MnistError::Format { .. }), "{e}");
    // Checking digests, a changed file is a digest mismatch first.
    let d = TempDir::new();
    write_dataset(&d.0, 1, 28, 28);
    write_sums(&d.0);
    std::fs::write(d.0.join("train-images-idx3-ubyte"), f32_images).unwrap();
    let verify = MnistOptions {
        verify_checksums: true,
        ..MnistOptions::default()
    };
    let e = load_mnist_with(&d.0, &verify).unwrap_err();
    assert!(matches!(&e, MnistError::ChecksumMismatch { .. }), "{e}");
}

#[test]
fn checksums_pass_then_mismatch_then_missing() {
    let d = TempDir::new();
    write_dataset(&d.0, 0, 28, 28);
    write_sums(&d.0);
    let on = MnistOptions {
        verify_checksums: true,
        ..MnistOptions::default()
    };
    load_mnist_with(&d.0, &on).unwrap();
    // The other lines `sha256sum` writes: `HEX *./NAME` (`sha256sum -b ./*`)
    // and the BSD form (`sha256sum --tag`).
    let sums = std::fs::read_to_string(d.0.join("SHA256SUMS")).unwrap();
    for (style, rewrite) in [
        (
            "binary ./",
            (|hex: &str, name: &str| format!("{hex} *./{name}")) as fn(&str, &str) -> String,
        ),
        ("--tag", |hex, name| format!("SHA256 ({name}) = {hex}")),
    ] {
        let lines: String = sums
            .lines()
            .map(|l| l.split_once("  ").unwrap())
            .map(|(hex, name)| rewrite(hex, name) + "\n")
            .collect();
        std::fs::write(d.0.join("SHA256SUMS"), lines).unwrap();
        load_mnist_with(&d.0, &on).unwrap_or_else(|e| panic!("{style}: {e}"));
    }
    // A line in another encoding than UTF-8 (a Latin-1 file name) hides
    // none of the others.
    let mut latin1 = sums.clone().into_bytes();
    latin1.extend_from_slice(&[b'0'; 64]);
    latin1.extend_from_slice(b"  caf\xe9.txt\n");
    std::fs::write(d.0.join("SHA256SUMS"), latin1).unwrap();
    load_mnist_with(&d.0, &on).unwrap();
    // A second line for a file that names another digest fails it, before
    // or after the right one, as `sha256sum -c` fails it.
    let right = sums.lines().find(|l| l.contains("train-images")).unwrap();
    let (_, name) = right.split_once("  ").unwrap();
    let wrong = format!("{}  {name}\n", "0".repeat(64));
    for listed in [format!("{sums}{wrong}"), format!("{wrong}{sums}")] {
        std::fs::write(d.0.join("SHA256SUMS"), listed).unwrap();
        let err = load_mnist_with(&d.0, &on).unwrap_err();
        assert!(
            matches!(&err, MnistError::ChecksumMismatch { path, expected, .. }
                if path.ends_with(name) && *expected == "0".repeat(64)),
            "{err}"
        );
    }
    // The same digest twice is no conflict.
    std::fs::write(d.0.join("SHA256SUMS"), format!("{right}\n{sums}")).unwrap();
    load_mnist_with(&d.0, &on).unwrap();
    // A malformed line is no entry (as `sha256sum -c` skips it), not a
    // mismatch against its garbage.
    let garbled = sums.replacen(&sums[..64], "zz", 1);
    std::fs::write(d.0.join("SHA256SUMS"), garbled).unwrap();
    let err = load_mnist_with(&d.0, &on).unwrap_err();
    assert!(matches!(err, MnistError::ChecksumMissing { .. }), "{err}");
    write_sums(&d.0);
    // Same content, different compression: valid data, different file bytes.
    let (images, _) = split_files(5, 28, 28);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&images).unwrap();
    let path = d.0.join("t10k-images-idx3-ubyte.gz");
    std::fs::write(&path, e.finish().unwrap()).unwrap();
    load_mnist(&d.0).unwrap();
    let err = load_mnist_with(&d.0, &on).unwrap_err();
    assert!(
        matches!(&err, MnistError::ChecksumMismatch { path: p, .. } if *p == path),
        "{err}"
    );
    write_sums(&d.0);
    let sums = std::fs::read_to_string(d.0.join("SHA256SUMS")).unwrap();
    let kept: String = sums
        .lines()
        .filter(|l| !l.contains("train-labels"))
        .map(|l| l.to_string() + "\n")
        .collect();
    std::fs::write(d.0.join("SHA256SUMS"), kept).unwrap();
    let err = load_mnist_with(&d.0, &on).unwrap_err();
    assert!(
        matches!(&err, MnistError::ChecksumMissing { file, .. } if file == "train-labels-idx1-ubyte.gz")
    );
    std::fs::remove_file(d.0.join("SHA256SUMS")).unwrap();
    let err = load_mnist_with(&d.0, &on).unwrap_err();
    assert!(matches!(err, MnistError::MissingFile { .. }));
    // A directory in its place is there, and unreadable as a list.
    std::fs::create_dir(d.0.join("SHA256SUMS")).unwrap();
    let err = load_mnist_with(&d.0, &on).unwrap_err();
    assert!(
        matches!(&err, MnistError::Io { path, .. } if path.ends_with("SHA256SUMS")),
        "{err}"
    );
}

/// Counts the compressed bytes the decoder pulls.
struct Counting<'a>(&'a [u8], usize);

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n;
        Ok(n)
    }
}

#[test]
fn gzip_bomb_is_rejected_after_the_declared_size() {
    // Header declares 10 labels; the stream then inflates to 64 MiB of zeros.
    let mut bomb = idx_u8(&[10], &[1; 10]);
    bomb.resize(bomb.len() + (64 << 20), 0);
    let packed = gz(&bomb);
    assert!(packed.len() < bomb.len() / 100);
    let mut src = Counting(&packed, 0);
    let e = read_idx_gz(&mut src, 1 << 30).unwrap_err();
    assert!(
        matches!(e, ReadIdxError::TrailingData { declared: 18 }),
        "{e}"
    );
    // Decompression stopped at once: only the first buffer of input was pulled.
    assert!(src.1 < packed.len(), "{} of {}", src.1, packed.len());
    // A header declaring more than the limit (2 GiB, a size even a 32-bit
    // usize holds) is refused before reading data.
    let huge = gz(&idx_u8(&[1 << 16, 1 << 15], &[]));
    let e = read_idx_gz(&huge[..], 1 << 30).unwrap_err();
    assert!(
        matches!(
            e,
            ReadIdxError::TooLarge {
                limit: 0x4000_0000,
                ..
            }
        ),
        "{e}"
    );
    // Several members are read one after another, as `zcat` does (`cat
    // a.gz b.gz`); bytes after the last that are no member are an error, not
    // ignored.
    let whole = idx_u8(&[3], &[1, 2, 3]);
    let two = [gz(&whole[..6]), gz(&whole[6..])].concat();
    assert_eq!(read_idx_gz(&two[..], 100).unwrap(), whole);
    let junk = [gz(&whole), b"junk".to_vec()].concat();
    let e = read_idx_gz(&junk[..], 100).unwrap_err();
    assert!(matches!(e, ReadIdxError::Io(_)), "{e}");
    // The message says the data was whole: the junk came after it.
    assert!(
        e.to_string()
            .contains("after the 11 bytes the header declares"),
        "{e}"
    );
    let longer = [gz(&whole), gz(&[4])].concat();
    assert!(matches!(
        read_idx_gz(&longer[..], 100),
        Err(ReadIdxError::TrailingData { .. })
    ));
    // A corrupt stream is an I/O error, never a panic.
    let mut bad = gz(&idx_u8(&[3], &[1, 2, 3]));
    let n = bad.len();
    bad[n - 6] ^= 0xff; // CRC-32 of the member
    assert!(matches!(
        read_idx_gz(&bad[..], 100),
        Err(ReadIdxError::Io(_))
    ));
}

#[test]
fn gzip_bomb_in_a_dataset_names_the_file() {
    let mut bomb = idx_u8(&[5], &[1; 5]);
    bomb.resize(bomb.len() + (8 << 20), 0);
    let d = TempDir::new();
    write_dataset(&d.0, 0, 28, 28);
    std::fs::write(d.0.join("t10k-labels-idx1-ubyte.gz"), gz(&bomb)).unwrap();
    let e = load_mnist(&d.0).unwrap_err();
    assert!(
        matches!(e, MnistError::TrailingData { declared: 13, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("t10k-labels-idx1-ubyte.gz"), "{e}");
}
