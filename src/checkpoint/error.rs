//! The checkpoint error type: every way a file can be unreadable, malformed,
//! or describe another network than the one asked for, with what and where.

use super::model;
use std::io;
use std::path::PathBuf;
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
    /// The header length prefix exceeds [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN).
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
    /// A tensor has a dtype that cannot be read as `f32`: a name the format
    /// does not define (in a file), or one that [`super::Checkpoint::skipped`]
    /// lists when the tensor is needed.
    UnsupportedDtype {
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: String,
    },
    /// A tensor's entry or values are invalid (see `reason`): its shape and
    /// byte range disagree, a value is not finite (or, in Adam's
    /// `exp_avg_sq`, negative), or a layer is beyond the architecture.
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
    /// A setting or the training set of the run to resume differs from the
    /// checkpoint's (resuming continues the saved run bit-identically only
    /// with its seed, batch size, activation, optimizer and training set).
    ConfigMismatch {
        /// The metadata key (`seed`, `batch_size`, `activation`,
        /// `optimizer`, a hyper-parameter such as `lr`, or, from
        /// [`Checkpoint::check_train_data`](super::Checkpoint::check_train_data),
        /// `train_samples` or `train_data_sha256`).
        key: &'static str,
        /// The checkpoint's value.
        checkpoint: String,
        /// The configuration's value.
        config: String,
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
                    "unsupported checkpoint: tensor {tensor:?} has dtype {dtype}, not one read as numbers (F32, F64, F16, BF16)"
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
            E::ConfigMismatch {
                key,
                checkpoint,
                config,
            } => write!(
                f,
                "the checkpoint's {key} is {checkpoint}, the configuration's is {config} (a resumed run keeps its settings)"
            ),
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
