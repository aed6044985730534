//! Checkpoints: named `f32` tensors and string metadata in the safetensors
//! format, written atomically.
//!
//! A file is `N: u64 LE ‖ JSON header (N bytes) ‖ raw little-endian data` (see
//! [`format`](self) below and the safetensors format description by Hugging
//! Face). The format is written and read by hand — a small JSON writer and a
//! strict, non-recursive parser — so the library keeps its dependency count
//! low. Reading never panics: every malformed, truncated or oversized input
//! returns a [`CheckpointError`] that says what is wrong and where, and nothing
//! is allocated beyond the size of the input.
//!
//! An MLP checkpoint names its tensors `layers.{i}.weight` (shape `[out, in]`,
//! as in PyTorch) and `layers.{i}.bias` (`[out]`), stores optimizer state as
//! further tensors (`optim.…`), and records how it was made in the metadata
//! (see [`keys`] and [`Checkpoint::check_model`]).
//!
//! Saving writes a temporary file next to the target, flushes it to disk
//! (`fsync`) and renames it over the target: a crash or a kill during a save
//! leaves the previous file intact (POSIX `rename(2)` is atomic).

mod format;
mod json;
mod model;
mod state;

pub use format::MAX_HEADER_LEN;
pub use model::{FORMAT_VERSION, keys};
pub use state::{activation_name, parse_activation};

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

/// Why a checkpoint cannot be read, written or used.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading or writing `path` failed.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The input ends before `what` is complete.
    Truncated {
        /// The part that is cut off.
        what: &'static str,
        /// Bytes needed from the start of the file.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// The header length prefix exceeds [`MAX_HEADER_LEN`].
    HeaderTooLarge {
        /// The declared length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The header is not UTF-8.
    HeaderNotUtf8 {
        /// Byte offset of the first invalid byte inside the header.
        offset: usize,
    },
    /// The header is not the JSON the format prescribes.
    Syntax {
        /// Byte offset inside the header.
        offset: usize,
        /// What was expected or found.
        what: &'static str,
    },
    /// A tensor or metadata key appears twice.
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A tensor has a dtype other than `F32`.
    UnsupportedDtype {
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: String,
    },
    /// A tensor's entry is inconsistent (its shape and byte range disagree).
    BadTensor {
        /// The tensor.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// The tensors do not tile the data section exactly.
    DataLayout {
        /// What is wrong.
        reason: String,
    },
    /// A tensor the model needs is absent.
    MissingTensor {
        /// Its name.
        name: String,
    },
    /// A tensor has another shape than the model needs.
    ShapeMismatch {
        /// The tensor.
        name: String,
        /// The shape needed.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A metadata entry the model needs is absent.
    MissingMetadata {
        /// Its key.
        key: &'static str,
    },
    /// A metadata entry cannot be understood.
    BadMetadata {
        /// Its key.
        key: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The checkpoint describes another network than the one asked for.
    ArchitectureMismatch {
        /// Layer sizes asked for.
        expected: Vec<usize>,
        /// Layer sizes in the checkpoint.
        found: Vec<usize>,
    },
}

impl core::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use CheckpointError as E;
        match self {
            E::Io { path, source } => write!(f, "{}: {source}", path.display()),
            E::Truncated {
                what,
                needed,
                available,
            } => {
                write!(
                    f,
                    "truncated checkpoint: the {what} needs {needed} bytes, the file has {available}"
                )
            }
            E::HeaderTooLarge { len, max } => {
                write!(
                    f,
                    "corrupt checkpoint: header length {len} exceeds the limit {max}"
                )
            }
            E::HeaderNotUtf8 { offset } => {
                write!(
                    f,
                    "corrupt checkpoint: header is not UTF-8 (byte {offset} of the header)"
                )
            }
            E::Syntax { offset, what } => {
                write!(
                    f,
                    "corrupt checkpoint: {what} at byte {offset} of the header"
                )
            }
            E::DuplicateName { name } => write!(f, "corrupt checkpoint: {name:?} appears twice"),
            E::UnsupportedDtype { tensor, dtype } => {
                write!(
                    f,
                    "unsupported checkpoint: tensor {tensor:?} has dtype {dtype}, only F32 is read"
                )
            }
            E::BadTensor { tensor, reason } => {
                write!(f, "corrupt checkpoint: tensor {tensor:?}: {reason}")
            }
            E::DataLayout { reason } => write!(f, "corrupt checkpoint: {reason}"),
            E::MissingTensor { name } => write!(f, "checkpoint lacks tensor {name:?}"),
            E::ShapeMismatch {
                name,
                expected,
                found,
            } => {
                write!(
                    f,
                    "checkpoint tensor {name:?} has shape {found:?}, expected {expected:?}"
                )
            }
            E::MissingMetadata { key } => write!(f, "checkpoint lacks metadata {key:?}"),
            E::BadMetadata {
                key,
                value,
                expected,
            } => {
                write!(
                    f,
                    "checkpoint metadata {key:?} is {value:?}, expected {expected}"
                )
            }
            E::ArchitectureMismatch { expected, found } => write!(
                f,
                "checkpoint is of another architecture: it has layers {}, expected {}",
                model::join(found),
                model::join(expected)
            ),
        }
    }
}

impl core::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A named `f32` tensor, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    name: String,
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// The tensor's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its shape; `data().len()` is the product of the dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Its values, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }
}

/// Tensors in file order plus a string-to-string metadata map.
///
/// # Examples
/// ```
/// use deepinit::checkpoint::Checkpoint;
/// let mut ckpt = Checkpoint::new();
/// ckpt.push("layers.0.weight", &[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// ckpt.set_metadata("seed", "777");
/// let bytes = ckpt.to_bytes();
/// assert_eq!(bytes.len() % 8, 0); // 8-byte prefix, padded header, 6 × 4 data bytes
/// let back = Checkpoint::from_bytes(&bytes)?;
/// assert_eq!(back, ckpt);
/// assert_eq!(back.tensor("layers.0.weight").unwrap().shape(), &[2, 3]);
/// # Ok::<(), deepinit::checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checkpoint {
    tensors: Vec<Tensor>,
    metadata: BTreeMap<String, String>,
}

impl Checkpoint {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a tensor; the file stores tensors in the order pushed.
    ///
    /// # Panics
    /// If `data.len()` differs from the product of `shape`, or a tensor named
    /// `name` exists already, or `name` is `__metadata__`.
    pub fn push(&mut self, name: &str, shape: &[usize], data: Vec<f32>) {
        let count: usize = shape.iter().product();
        assert_eq!(
            count,
            data.len(),
            "tensor {name:?}: shape {shape:?} does not match {} values",
            data.len()
        );
        assert!(
            name != "__metadata__" && self.tensor(name).is_none(),
            "tensor name {name:?} is taken"
        );
        self.tensors.push(Tensor {
            name: name.into(),
            shape: shape.into(),
            data,
        });
    }

    /// Sets a metadata entry, replacing an earlier value.
    pub fn set_metadata(&mut self, key: &str, value: &str) {
        self.metadata.insert(key.into(), value.into());
    }

    /// The metadata value of `key`.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// All metadata, sorted by key.
    pub fn metadata_map(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The tensors, in file order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The values of tensor `name`, which must have shape `shape`.
    ///
    /// # Errors
    /// [`CheckpointError::MissingTensor`] or [`CheckpointError::ShapeMismatch`].
    pub fn require(&self, name: &str, shape: &[usize]) -> Result<&[f32], CheckpointError> {
        let Some(t) = self.tensor(name) else {
            return Err(CheckpointError::MissingTensor { name: name.into() });
        };
        if t.shape != shape {
            let (expected, found) = (shape.to_vec(), t.shape.clone());
            return Err(CheckpointError::ShapeMismatch {
                name: name.into(),
                expected,
                found,
            });
        }
        Ok(&t.data)
    }

    /// The safetensors bytes of this checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        format::encode(self)
    }

    /// Parses safetensors bytes, checking every length, offset and shape.
    ///
    /// # Errors
    /// A [`CheckpointError`] naming the first problem found; never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        format::decode(bytes)
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// [`CheckpointError::Io`] if the file cannot be read, else as
    /// [`from_bytes`](Self::from_bytes).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Writes the checkpoint to `path` atomically: into `.<name>.tmp` in the
    /// same directory, `fsync`, then rename over `path` (and `fsync` the
    /// directory, best effort). If any step fails the temporary file is
    /// removed and a file already at `path` is left as it was.
    ///
    /// # Errors
    /// [`CheckpointError::Io`] naming the file that failed.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        write_atomic(path.as_ref(), &self.to_bytes())
    }
}

/// The temporary file [`Checkpoint::save`] writes before renaming it to `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".tmp");
    path.with_file_name(name)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let tmp = temp_path(path);
    let written = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        // The temporary file may be a directory or absent; nothing else to undo.
        let _ = fs::remove_file(&tmp);
        return Err(CheckpointError::Io {
            path: tmp,
            source: e,
        });
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(CheckpointError::Io {
            path: path.into(),
            source: e,
        });
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Persist the rename itself; some platforms cannot open a directory.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
