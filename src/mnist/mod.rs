//! Loader for datasets in the MNIST format (Y. LeCun, C. Cortes and
//! C. J. C. Burges, "THE MNIST DATABASE of handwritten digits"): four IDX
//! files per directory, raw or gzip-compressed, named either
//! `train-images-idx3-ubyte[.gz]` or `train-images.idx3-ubyte[.gz]` (same for
//! `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`).
//!
//! Needs the `std` feature (on by default).
//!
//! Images are u8 IDX arrays of shape n × rows × cols, labels u8 arrays of
//! shape n with every label < 10. Pixels stay u8 in memory (47 MB for the
//! MNIST training set instead of 188 MB as f32); scale them as x/255 per batch.
//! Each file is streamed with its size bounded by its own header (see
//! [`read_idx`]); optionally every file is checked against the SHA-256 listed
//! in a `SHA256SUMS` file in the same directory, as `sha256sum -c` would
//! (its GNU and BSD `--tag` lines, names bare or prefixed with `./`).
//! Any dataset in this format loads (e.g. Fashion-MNIST).

use crate::idx::{DataType, Idx};
use crate::sha256::{Sha256, to_hex};
use std::format;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

mod error;
mod read;

pub use error::MnistError;
use read::Hashing;
pub use read::{ReadIdxError, read_idx, read_idx_gz};

/// Number of classes of an MNIST-format dataset (labels are 0‥9).
pub const CLASSES: usize = 10;
/// Environment variable naming the data directory.
pub const DATA_ENV: &str = "DEEPINIT_DATA";
/// Data directory used when neither an explicit one nor [`DATA_ENV`] is given.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";

/// One split of an MNIST-format dataset: `len` images of `rows × cols` `u8`
/// pixels, stored image after image, row-major, and one label per image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Pixels, `len · rows · cols` bytes.
    pub images: Vec<u8>,
    /// Labels, `len` bytes, each `< classes`.
    pub labels: Vec<u8>,
    /// Number of images.
    pub len: usize,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Number of classes (10 for MNIST).
    pub classes: usize,
}

impl Dataset {
    /// Pixels per image, `rows · cols`.
    #[must_use]
    pub fn image_len(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`.
    ///
    /// # Panics
    /// If `i ≥ len`.
    #[must_use]
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(
            i < self.len,
            "image {i} out of range for {} images",
            self.len
        );
        let n = self.image_len();
        &self.images[i * n..(i + 1) * n]
    }

    /// Writes images `range` into `out` as the network sees them, each
    /// pixel `p` as `p / 255` in `[0, 1]`, image after image: the row-major
    /// `range.len() × image_len()` input of [`crate::mlp::Mlp::forward`] and
    /// [`crate::mlp::Mlp::predict`], scaled as training and
    /// [`crate::train::evaluate`] scale it.
    ///
    /// # Panics
    /// If `range` is not within `0..len`, or `out.len()` is not
    /// `range.len() · image_len()`.
    ///
    /// # Examples
    /// ```
    /// use deepinit::mnist::Dataset;
    /// let data = Dataset {
    ///     images: vec![0, 255, 51, 102, 0, 0],
    ///     labels: vec![1, 0, 0],
    ///     len: 3,
    ///     rows: 1,
    ///     cols: 2,
    ///     classes: 2,
    /// };
    /// let mut x = [9.0; 4];
    /// data.scale_images(0..2, &mut x);
    /// assert_eq!(x, [0.0, 1.0, 0.2, 0.4]);
    /// ```
    pub fn scale_images(&self, range: core::ops::Range<usize>, out: &mut [f32]) {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "images {range:?} out of range for {} images",
            self.len
        );
        let n = self.image_len();
        assert_eq!(
            out.len(),
            range.len() * n,
            "room for {} images of {n} pixels",
            range.len()
        );
        scale(&self.images[range.start * n..range.end * n], out);
    }
}

/// `out[i] = pixels[i] / 255`.
#[inline]
pub(crate) fn scale(pixels: &[u8], out: &mut [f32]) {
    for (o, &p) in out.iter_mut().zip(pixels) {
        *o = f32::from(p) / 255.0;
    }
}

/// The training and test splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// 60 000 images for MNIST.
    pub train: Dataset,
    /// 10 000 images for MNIST.
    pub test: Dataset,
}

/// Options of [`load_mnist_with`]; [`Default`] is what [`load_mnist`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistOptions {
    /// Check every file (as stored, e.g. the `.gz`) against `SHA256SUMS` in
    /// the same directory; a missing `SHA256SUMS` or entry is an error.
    /// Default `false`.
    pub verify_checksums: bool,
    /// Largest accepted declared size of one decompressed file, in bytes.
    /// Default 1 GiB (MNIST's largest file is 47 MB).
    pub max_file_bytes: usize,
    /// Required image size (rows, cols); `None` accepts any size (train and
    /// test must still agree). Default `Some((28, 28))`.
    pub image_size: Option<(usize, usize)>,
}

impl Default for MnistOptions {
    fn default() -> Self {
        Self {
            verify_checksums: false,
            max_file_bytes: 1 << 30,
            image_size: Some((28, 28)),
        }
    }
}

/// The data directory from [`DATA_ENV`] if set and non-empty, else
/// [`DEFAULT_DATA_DIR`] (relative to the working directory).
#[must_use]
pub fn default_data_dir() -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    }
}

/// `explicit` if given (e.g. a `--data DIR` flag), else [`default_data_dir`].
#[must_use]
pub fn resolve_data_dir(explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(default_data_dir, Path::to_path_buf)
}

/// Loads both splits from `dir` with [`MnistOptions::default`].
///
/// # Errors
/// See [`load_mnist_with`].
///
/// # Examples
/// ```
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
/// let mnist = deepinit::mnist::load_mnist(dir)?;
/// assert_eq!((mnist.train.len, mnist.test.len), (60_000, 10_000));
/// assert_eq!(&mnist.test.labels[..3], &[7, 2, 1]);
/// # Ok::<(), deepinit::mnist::MnistError>(())
/// ```
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<Mnist, MnistError> {
    load_mnist_with(dir, &MnistOptions::default())
}

/// Loads both splits from `dir`.
///
/// # Errors
/// A [`MnistError`] naming the file: missing (listing every path tried),
/// something else under its name (a directory), unreadable, not IDX, larger
/// than declared or than the limit, not u8 of the right rank/size,
/// image/label counts differing, a label ≥ 10, or (with `verify_checksums`)
/// a SHA-256 mismatch or missing entry.
pub fn load_mnist_with(dir: impl AsRef<Path>, options: &MnistOptions) -> Result<Mnist, MnistError> {
    let dir = dir.as_ref();
    let sums = if options.verify_checksums {
        Some(Sums::load(dir)?)
    } else {
        None
    };
    let train = load_split(dir, "train", options, options.image_size, sums.as_ref())?;
    let size = options.image_size.or(Some((train.rows, train.cols)));
    let test = load_split(dir, "t10k", options, size, sums.as_ref())?;
    Ok(Mnist { train, test })
}

/// Loads only the test split (`t10k-images…`, `t10k-labels…`) from `dir`:
/// enough to evaluate a trained model, with no training files present or
/// read.
///
/// # Errors
/// As [`load_mnist_with`], for the two test files.
pub fn load_mnist_test(
    dir: impl AsRef<Path>,
    options: &MnistOptions,
) -> Result<Dataset, MnistError> {
    let dir = dir.as_ref();
    let sums = if options.verify_checksums {
        Some(Sums::load(dir)?)
    } else {
        None
    };
    load_split(dir, "t10k", options, options.image_size, sums.as_ref())
}

/// The names of every file the loader may read in a data directory: each of
/// the four files in the four accepted spellings (`.gz` or raw, `-idx3-ubyte`
/// or `.idx3-ubyte`), and `SHA256SUMS`. A program that writes into the data
/// directory can refuse these names.
///
/// # Examples
/// ```
/// let names = deepinit::mnist::file_names();
/// assert_eq!(names.len(), 17);
/// assert!(names.iter().any(|n| n == "t10k-labels.idx1-ubyte.gz"));
/// ```
#[must_use]
pub fn file_names() -> Vec<String> {
    let files = [
        ("train", "images", 3),
        ("train", "labels", 1),
        ("t10k", "images", 3),
        ("t10k", "labels", 1),
    ];
    let mut names: Vec<String> = files
        .iter()
        .flat_map(|&(split, kind, rank)| candidates(Path::new(""), split, kind, rank))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.push("SHA256SUMS".into());
    names
}

/// The accepted paths of one file, in the order they are tried.
fn candidates(dir: &Path, split: &str, kind: &str, rank: u8) -> [PathBuf; 4] {
    let dash = format!("{split}-{kind}-idx{rank}-ubyte");
    let dot = format!("{split}-{kind}.idx{rank}-ubyte");
    [
        dir.join(format!("{dash}.gz")),
        dir.join(&dash),
        dir.join(format!("{dot}.gz")),
        dir.join(&dot),
    ]
}

fn find(dir: &Path, split: &str, kind: &str, rank: u8) -> Result<PathBuf, MnistError> {
    let tried = candidates(dir, split, kind, rank);
    if let Some(p) = tried.iter().find(|p| p.is_file()) {
        return Ok(p.clone());
    }
    // Something that is no file under an accepted name is named as such,
    // not as missing.
    for p in &tried {
        let what = match (std::fs::symlink_metadata(p), std::fs::metadata(p)) {
            (Err(_), _) => continue,
            (Ok(_), Ok(m)) if m.is_dir() => "a directory, not a data file",
            (Ok(_), Ok(_)) => "not a regular file (a FIFO, socket or device)",
            (Ok(_), Err(_)) => "a symbolic link that cannot be followed (to nothing, or in a loop)",
        };
        return Err(MnistError::NotAFile {
            path: p.clone(),
            what,
        });
    }
    Err(MnistError::MissingFile {
        tried: tried.to_vec(),
    })
}

/// The type and rank in the header of the IDX file at `path` (gzip or raw),
/// if its header reads; the rest of the file is not looked at.
fn peek_header(path: &Path) -> Option<(DataType, usize)> {
    let mut file = BufReader::new(File::open(path).ok()?);
    let head = if is_gzip(path) {
        read::read_header(&mut flate2::read::MultiGzDecoder::new(file))
    } else {
        read::read_header(&mut file)
    }
    .ok()?;
    let header = crate::idx::Header::parse(&head).ok()?;
    Some((header.dtype(), header.rank()))
}

/// Reads one u8 IDX file of the given rank; returns its data bytes and dims.
fn load_u8(
    path: &Path,
    rank: usize,
    what: &str,
    options: &MnistOptions,
    sums: Option<&Sums>,
) -> Result<(Vec<u8>, [usize; 3]), MnistError> {
    let unexpected = |dtype: DataType, found: usize| {
        (dtype != DataType::U8 || found != rank).then(|| MnistError::Format {
            path: path.to_path_buf(),
            detail: format!(
                "expected u8 {what} of rank {rank}, found {} of rank {found}",
                dtype.name()
            ),
        })
    };
    // The header first: a file of another type (f32 images) is named as
    // such, not as too short for the size its type would need. Not when
    // checking digests: a mismatch explains a damaged file best.
    if sums.is_none()
        && let Some(e) = peek_header(path).and_then(|(dtype, found)| unexpected(dtype, found))
    {
        return Err(e);
    }
    let mut bytes = read_file(path, options, sums)?;
    let idx = Idx::parse(&bytes).map_err(|source| MnistError::Idx {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(e) = unexpected(idx.dtype(), idx.rank()) {
        return Err(e);
    }
    let mut dims = [1; 3];
    for (d, v) in dims.iter_mut().zip(idx.dims()) {
        *d = v;
    }
    let header_len = idx.header().header_len();
    bytes.drain(..header_len);
    Ok((bytes, dims))
}

fn load_split(
    dir: &Path,
    split: &str,
    options: &MnistOptions,
    size: Option<(usize, usize)>,
    sums: Option<&Sums>,
) -> Result<Dataset, MnistError> {
    let images_path = find(dir, split, "images", 3)?;
    let labels_path = find(dir, split, "labels", 1)?;
    let (images, [len, rows, cols]) = load_u8(&images_path, 3, "images", options, sums)?;
    // An empty file may declare images of any size: one must still fit.
    if rows.checked_mul(cols).is_none() {
        let detail = format!("images of {rows}×{cols} pixels do not fit in memory");
        return Err(MnistError::Format {
            path: images_path,
            detail,
        });
    }
    if let Some((r, c)) = size.filter(|&s| s != (rows, cols)) {
        let detail = format!("images are {rows}×{cols}, expected {r}×{c}");
        return Err(MnistError::Format {
            path: images_path,
            detail,
        });
    }
    let (labels, [count, ..]) = load_u8(&labels_path, 1, "labels", options, sums)?;
    if count != len {
        return Err(MnistError::CountMismatch {
            images_path,
            images: len,
            labels_path,
            labels: count,
        });
    }
    if let Some(index) = labels.iter().position(|&l| usize::from(l) >= CLASSES) {
        let label = labels[index];
        return Err(MnistError::BadLabel {
            path: labels_path,
            index,
            label,
            classes: CLASSES,
        });
    }
    Ok(Dataset {
        images,
        labels,
        len,
        rows,
        cols,
        classes: CLASSES,
    })
}

/// Whether the file at `path` is read as gzip: its name ends in `.gz`.
fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Streams one file (gzip if [`is_gzip`]), checking its SHA-256
/// over the bytes as stored when `sums` is given.
fn read_file(
    path: &Path,
    options: &MnistOptions,
    sums: Option<&Sums>,
) -> Result<Vec<u8>, MnistError> {
    let io_err = |source| MnistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut src = Hashing {
        inner: BufReader::new(file),
        hasher: sums.map(|_| Sha256::new()),
    };
    let limit = options.max_file_bytes;
    let result = if is_gzip(path) {
        read_idx_gz(&mut src, limit)
    } else {
        read_idx(&mut src, limit)
    };
    if let Some(sums) = sums {
        // Hash the rest of the file too, so the digest covers it as stored;
        // a mismatch explains a parse failure better than the failure itself.
        io::copy(&mut src, &mut io::sink()).map_err(io_err)?;
        let digest = src.hasher.take().unwrap_or_default().finalize();
        sums.check(path, &to_hex(&digest))?;
    }
    result.map_err(|e| MnistError::from_read(path.to_path_buf(), e))
}

/// The entries of a `SHA256SUMS` file: (file name, lowercase hex digest).
struct Sums {
    path: PathBuf,
    entries: Vec<(String, String)>,
}

impl Sums {
    fn load(dir: &Path) -> Result<Self, MnistError> {
        let path = dir.join("SHA256SUMS");
        // Anything there but a file (a directory) is for the read to report.
        if !path.exists() {
            return Err(MnistError::MissingFile {
                tried: std::vec![path],
            });
        }
        let bytes = std::fs::read(&path).map_err(|source| MnistError::Io {
            path: path.clone(),
            source,
        })?;
        // Each line on its own, as `sha256sum -c` reads them: a line naming
        // a file in another encoding does not hide the others.
        let text = String::from_utf8_lossy(&bytes);
        let entries = text
            .lines()
            .filter_map(Self::parse_line)
            .map(|(name, hex)| (name.to_string(), hex.to_ascii_lowercase()))
            .collect();
        Ok(Self { path, entries })
    }

    /// One line of `sha256sum` output as (file name, hex digest): either
    /// `HEX  NAME` (`HEX *NAME` in binary mode) or the BSD form that
    /// `sha256sum --tag` writes, `SHA256 (NAME) = HEX`. A leading `./` is
    /// dropped, since the files are looked up in the list's own directory.
    /// Lines of neither form, or whose digest is not 64 hex digits (blank
    /// lines, comments), are skipped, as `sha256sum -c` skips them.
    fn parse_line(line: &str) -> Option<(&str, &str)> {
        let line = line.trim();
        let (name, hex) = match line.strip_prefix("SHA256 (") {
            Some(tagged) => tagged.rsplit_once(") = ")?,
            None => {
                let (hex, name) = line.split_once(char::is_whitespace)?;
                let name = name.trim_start();
                (name.strip_prefix('*').unwrap_or(name), hex)
            }
        };
        let digest = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        digest.then_some((name.strip_prefix("./").unwrap_or(name), hex))
    }

    fn check(&self, file: &Path, actual: &[u8; 64]) -> Result<(), MnistError> {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut listed = self.entries.iter().filter(|(n, _)| *n == name).peekable();
        if listed.peek().is_none() {
            return Err(MnistError::ChecksumMissing {
                sums: self.path.clone(),
                file: name,
            });
        }
        let actual = String::from_utf8_lossy(actual).into_owned();
        // Every line that names the file must match, as `sha256sum -c`
        // checks every line.
        if let Some((_, expected)) = listed.find(|(_, expected)| *expected != actual) {
            let (path, expected) = (file.to_path_buf(), expected.clone());
            return Err(MnistError::ChecksumMismatch {
                path,
                expected,
                actual,
            });
        }
        Ok(())
    }
}
