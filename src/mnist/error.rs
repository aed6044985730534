//! [`MnistError`]: everything that can go wrong loading an MNIST-format
//! directory, each case naming the file (and index) involved.

use super::read::ReadIdxError;
use crate::idx::IdxError;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::string::String;
use std::vec::Vec;

/// Why an MNIST-format dataset could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum MnistError {
    /// None of the accepted names of a file exists.
    MissingFile {
        /// Every path that was tried, in order.
        tried: Vec<PathBuf>,
    },
    /// Reading a file failed (including corrupt gzip data).
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file is not valid IDX.
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: IdxError,
    },
    /// A file's header declares more bytes than the configured limit.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Declared size in bytes.
        declared: usize,
        /// [`MnistOptions::max_file_bytes`](super::MnistOptions::max_file_bytes).
        limit: usize,
    },
    /// Data continues after the size a file's header declares.
    TrailingData {
        /// The file.
        path: PathBuf,
        /// Declared size in bytes.
        declared: usize,
    },
    /// None of the accepted names is a file, but one names something else:
    /// a directory, a FIFO, socket or device, or a symbolic link that cannot
    /// be followed.
    NotAFile {
        /// The first such path, in the order the names are tried.
        path: PathBuf,
        /// What it is, e.g. `"a directory, not a data file"`.
        what: &'static str,
    },
    /// Valid IDX, but not what the MNIST format requires here (u8 images of
    /// rank 3, u8 labels of rank 1, the expected image size).
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected and found.
        detail: String,
    },
    /// An image file and its label file disagree on the number of items.
    CountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Its number of images.
        images: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Its number of labels.
        labels: usize,
    },
    /// A label is not below the number of classes.
    BadLabel {
        /// The label file.
        path: PathBuf,
        /// Index of the first bad label.
        index: usize,
        /// Its value.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// A file's SHA-256 differs from its `SHA256SUMS` entry.
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// Hex digest listed in `SHA256SUMS`.
        expected: String,
        /// Hex digest of the file.
        actual: String,
    },
    /// Checksums were requested but `SHA256SUMS` has no entry for a file.
    ChecksumMissing {
        /// The `SHA256SUMS` file.
        sums: PathBuf,
        /// The file name without an entry.
        file: String,
    },
}

impl MnistError {
    /// Attaches `path` to an error of [`read_idx`](super::read_idx).
    pub(crate) fn from_read(path: PathBuf, e: ReadIdxError) -> Self {
        match e {
            ReadIdxError::Io(source) => Self::Io { path, source },
            ReadIdxError::Idx(source) => Self::Idx { path, source },
            ReadIdxError::TooLarge { declared, limit } => Self::TooLarge {
                path,
                declared,
                limit,
            },
            ReadIdxError::TrailingData { declared } => Self::TrailingData { path, declared },
        }
    }
}

impl fmt::Display for MnistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingFile { tried } => {
                write!(f, "file not found; tried:")?;
                for (i, p) in tried.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}", p.display())?;
                }
                Ok(())
            }
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Idx { path, source } => write!(f, "{}: {source}", path.display()),
            Self::TooLarge {
                path,
                declared,
                limit,
            } => write!(
                f,
                "{}: header declares {declared} bytes, more than the limit of {limit}",
                path.display()
            ),
            Self::TrailingData { path, declared } => write!(
                f,
                "{}: data continues after the {declared} bytes the header declares",
                path.display()
            ),
            Self::Format { path, detail } => write!(f, "{}: {detail}", path.display()),
            Self::NotAFile { path, what } => write!(f, "{}: {what}", path.display()),
            Self::CountMismatch {
                images_path,
                images,
                labels_path,
                labels,
            } => write!(
                f,
                "{} has {images} images but {} has {labels} labels",
                images_path.display(),
                labels_path.display()
            ),
            Self::BadLabel {
                path,
                index,
                label,
                classes,
            } => write!(
                f,
                "{}: label {label} at index {index} is not below {classes} classes",
                path.display()
            ),
            Self::ChecksumMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{}: SHA-256 mismatch: expected {expected}, found {actual}",
                path.display()
            ),
            Self::ChecksumMissing { sums, file } => {
                write!(
                    f,
                    "{}: no SHA-256 entry for {file} (a line of 64 hex digits, then the name)",
                    sums.display()
                )
            }
        }
    }
}

impl std::error::Error for MnistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Idx { source, .. } => Some(source),
            _ => None,
        }
    }
}
