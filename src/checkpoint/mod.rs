//! Checkpoints: named `f32` tensors and string metadata in the safetensors
//! format, written atomically.
//!
//! Needs the `std` feature (on by default).
//!
//! A file is `N: u64 LE ‖ JSON header (N bytes, space-padded to a multiple of
//! 8) ‖ raw little-endian data`, the header mapping each tensor name to
//! `{"dtype": "F32", "shape": […], "data_offsets": [begin, end]}` plus a
//! `"__metadata__"` string map (the safetensors format description by Hugging
//! Face). The format is written and read by hand — a small JSON writer and a
//! strict, non-recursive parser — so the library keeps its dependency count
//! low. Reading never panics: every malformed, truncated or oversized input
//! returns a [`CheckpointError`] that says what is wrong and where, and the
//! memory it takes is bounded by a small multiple of the input's size.
//!
//! Values are `f32`. A file written elsewhere may hold F64, F16 or BF16
//! tensors (read into `f32`: F16 and BF16 exactly, F64 rounded to nearest)
//! and tensors of the format's other dtypes (integers, booleans, complex,
//! 4- to 8-bit floats), which are skipped by name ([`Checkpoint::skipped`]); unknown
//! keys in a tensor entry are ignored and a `null` metadata is none, as the
//! reference reader does.
//!
//! An MLP checkpoint names its tensors `layers.{i}.weight` (shape `[out, in]`,
//! as in PyTorch) and `layers.{i}.bias` (`[out]`), stores optimizer state as
//! further tensors (`optim.…`), and records how it was made in the metadata
//! (see [`keys`] and [`Checkpoint::check_model`]).
//!
//! Saving writes a temporary file next to the target, flushes it to disk
//! (`fsync`) and renames it over the target: a crash or a kill during a save
//! leaves the previous file intact (POSIX `rename(2)` is atomic).

mod error;
mod format;
mod json;
mod model;
mod state;

pub use error::CheckpointError;
pub use format::MAX_HEADER_LEN;
pub(crate) use model::join;
pub use model::{FORMAT_VERSION, keys};
pub use state::{activation_name, parse_activation, train_data_sha256};

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

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
#[derive(Clone, Default, PartialEq)]
pub struct Checkpoint {
    tensors: Vec<Tensor>,
    /// Position of each tensor in `tensors`, by name: a model's checks look
    /// up every layer's tensors, which a scan would make quadratic in the
    /// layer count.
    index: BTreeMap<String, usize>,
    metadata: BTreeMap<String, String>,
    /// Tensors of a file that were not read (their dtypes hold no f32
    /// values): `(name, dtype)`.
    skipped: Vec<(String, String)>,
}

impl core::fmt::Debug for Checkpoint {
    /// The tensors, metadata and skipped tensors (not the index, which only
    /// repeats the tensors' names).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("tensors", &self.tensors)
            .field("metadata", &self.metadata)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl Checkpoint {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a tensor; the file stores tensors in the order pushed.
    ///
    /// # Panics
    /// If `data.len()` differs from the product of `shape` (or that product
    /// overflows), or a tensor named `name` exists already, or `name` is
    /// `__metadata__`.
    pub fn push(&mut self, name: &str, shape: &[usize], data: Vec<f32>) {
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        assert_eq!(
            count,
            Some(data.len()),
            "tensor {name:?}: shape {shape:?} does not match {} values",
            data.len()
        );
        assert!(
            name != "__metadata__" && self.tensor(name).is_none(),
            "tensor name {name:?} is taken"
        );
        self.push_tensor(Tensor {
            name: name.into(),
            shape: shape.into(),
            data,
        });
    }

    /// Appends `t`, whose name is not taken.
    fn push_tensor(&mut self, t: Tensor) {
        self.index.insert(t.name.clone(), self.tensors.len());
        self.tensors.push(t);
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
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    /// The tensors of the file read that were skipped, as `(name, dtype)`:
    /// those of an integer, boolean, complex or 4- to 8-bit float dtype (a checkpoint holds
    /// `f32` values; F64, F16 and BF16 tensors are read into them). They are
    /// not written back.
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The values of tensor `name`, which must have shape `shape`.
    ///
    /// # Errors
    /// [`CheckpointError::MissingTensor`], [`CheckpointError::ShapeMismatch`],
    /// or [`CheckpointError::UnsupportedDtype`] for one of the
    /// [`skipped`](Self::skipped) tensors.
    pub fn require(&self, name: &str, shape: &[usize]) -> Result<&[f32], CheckpointError> {
        let Some(t) = self.tensor(name) else {
            if let Some((_, dtype)) = self.skipped.iter().find(|(n, _)| n == name) {
                let (tensor, dtype) = (name.into(), dtype.clone());
                return Err(CheckpointError::UnsupportedDtype { tensor, dtype });
            }
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
        read_file(path).map_err(|e| match e {
            ReadError::Io(source) => CheckpointError::Io {
                path: path.into(),
                source,
            },
            ReadError::Format(e) => e,
        })?
    }

    /// Writes the checkpoint to `path` atomically: into a new temporary
    /// file `.<name>.<tag>.tmp` in the same directory (a tag of its own for
    /// each save; never written through a file or link already there),
    /// `fsync`, then rename over `path` (and `fsync` the directory, best
    /// effort). If any step fails the temporary file is removed and a file
    /// already at `path` is left as it was; a process killed during the
    /// save may leave its temporary file behind. A symbolic link at `path`
    /// is followed: the file it points to is replaced, and the link stays.
    ///
    /// # Errors
    /// [`CheckpointError::Io`] naming the file that failed; also when `path`
    /// is neither a regular file nor absent (a directory, FIFO, socket or
    /// device, which the rename would replace), or a link to none.
    ///
    /// # Examples
    /// ```
    /// use deepinit::checkpoint::Checkpoint;
    /// let dir = std::env::temp_dir().join(format!("deepinit-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("model.safetensors");
    /// let mut ckpt = Checkpoint::new();
    /// ckpt.push("layers.0.bias", &[2], vec![0.5, -0.5]);
    /// ckpt.save(&path)?;
    /// assert_eq!(Checkpoint::load(&path)?, ckpt);
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// # Ok::<(), deepinit::checkpoint::CheckpointError>(())
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        write_atomic(&save_target(path.as_ref())?, &self.to_bytes())
    }
}

/// The file [`Checkpoint::save`] replaces: `path` when it is a regular file
/// or absent, the file a symbolic link at `path` points to (renaming over
/// the link would replace the link), and an error for anything else. A
/// program can ask before long work whether a save to `path` could go
/// through.
///
/// # Errors
/// [`CheckpointError::Io`] when `path` is neither a regular file nor absent
/// (a directory, FIFO, socket or device), is a link to none, or cannot be
/// inspected.
pub fn save_target(path: impl AsRef<Path>) -> Result<PathBuf, CheckpointError> {
    let path = path.as_ref();
    let io = |source| CheckpointError::Io {
        path: path.into(),
        source,
    };
    let not_regular = || {
        let what = "is not a regular file (saving replaces the file it names)";
        io(std::io::Error::new(std::io::ErrorKind::InvalidInput, what))
    };
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(path.into()),
        Err(e) => Err(io(e)),
        Ok(m) if m.is_file() => Ok(path.into()),
        Ok(m) if m.file_type().is_symlink() => match fs::metadata(path) {
            Ok(target) if target.is_file() => fs::canonicalize(path).map_err(io),
            Ok(_) => Err(not_regular()),
            Err(e) => Err(io(e)),
        },
        Ok(_) => Err(not_regular()),
    }
}

enum ReadError {
    Io(std::io::Error),
    Format(CheckpointError),
}

/// Reads the header first and the data only once the header's layout matches
/// the file's length, so that memory stays bounded by what the file holds.
///
/// A pipe or a character device (`/dev/stdin`, `<(zcat model.gz)`) has no
/// length up front: its data is read as it arrives, up to one byte more than
/// the header describes, and checked against the header afterwards.
fn read_file(path: &Path) -> Result<Result<Checkpoint, CheckpointError>, ReadError> {
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    read_stream(file, meta.is_file().then_some(meta.len()))
}

/// Reads a checkpoint from `file`, which holds `file_len` bytes if known.
fn read_stream(
    mut file: impl std::io::Read,
    file_len: Option<u64>,
) -> Result<Result<Checkpoint, CheckpointError>, ReadError> {
    use std::io::Read;
    let mut head = Vec::new();
    (&mut file)
        .take(8)
        .read_to_end(&mut head)
        .map_err(ReadError::Io)?;
    let n = format::header_len(&head)
        .filter(|&n| n <= MAX_HEADER_LEN)
        .unwrap_or(0);
    (&mut file)
        .take(n)
        .read_to_end(&mut head)
        .map_err(ReadError::Io)?;
    let layout = format::decode_layout(&head, file_len).map_err(ReadError::Format)?;
    // Reserve only what a regular file's length has confirmed; a stream's
    // header is unchecked, so its buffer grows with the bytes delivered.
    let mut data = Vec::with_capacity(file_len.map_or(0, |_| layout.data_len as usize));
    // One byte more than expected reveals a file that grew meanwhile, or a
    // stream that goes on past the last tensor.
    file.take(layout.data_len + 1)
        .read_to_end(&mut data)
        .map_err(ReadError::Io)?;
    Ok(format::decode_data(layout, &data))
}

/// Creates the temporary file a save writes before renaming it over `path`:
/// `.<name>.<tag>.tmp` beside it, new (`create_new`: never a file or link
/// already there, which a link planted in a shared directory could use to
/// have the save overwrite what it points to), under the first free name
/// of `tags`. Each save has its own, so concurrent saves to one path never
/// share one.
fn create_temp(
    path: &Path,
    tags: impl IntoIterator<Item = u64>,
) -> Result<(PathBuf, fs::File), CheckpointError> {
    let mut base = std::ffi::OsString::from(".");
    base.push(path.file_name().unwrap_or_default());
    let mut taken = None;
    for tag in tags {
        let mut name = base.clone();
        name.push(std::format!(".{tag:016x}.tmp"));
        let tmp = path.with_file_name(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => taken = Some((tmp, e)),
            Err(source) => return Err(CheckpointError::Io { path: tmp, source }),
        }
    }
    let (path, source) = taken.unwrap_or_else(|| {
        let none = std::io::Error::new(std::io::ErrorKind::InvalidInput, "no name to try");
        (path.into(), none)
    });
    Err(CheckpointError::Io { path, source })
}

/// Tags for [`create_temp`]: distinct within the process (a counter) and,
/// very likely, across processes (the clock and the process id, where
/// there is one: not on WASI), mixed so that they are hard to guess.
fn temp_tags() -> impl Iterator<Item = u64> {
    use core::sync::atomic::{AtomicU64, Ordering};
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    #[cfg(not(target_os = "wasi"))]
    let pid = u64::from(std::process::id());
    #[cfg(target_os = "wasi")]
    let pid = 0u64;
    // SplitMix64's finalizer: every input bit moves every output bit.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..64).map(move |_| {
        let n = SAVES.fetch_add(1, Ordering::Relaxed);
        mix(nanos ^ pid.rotate_left(32) ^ mix(n))
    })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let (tmp, mut file) = create_temp(path, temp_tags())?;
    if let Err(source) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        // Ours to remove: this save created it.
        let _ = fs::remove_file(&tmp);
        return Err(CheckpointError::Io { path: tmp, source });
    }
    drop(file);
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

#[cfg(test)]
mod tests {
    use super::{Checkpoint, ReadError, read_stream};

    /// A name that is taken (here by a link planted to make the save
    /// overwrite another file) is passed over, not written through or
    /// removed; the tags differ from save to save.
    #[cfg(unix)]
    #[test]
    fn the_temporary_file_is_always_new() {
        use super::{create_temp, temp_tags};
        use std::string::ToString;
        let dir = std::env::temp_dir().join(std::format!("deepinit-temp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.safetensors");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let planted = dir.join(std::format!(".model.safetensors.{:016x}.tmp", 7));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let (tmp, file) = create_temp(&path, [7, 8]).unwrap();
        drop(file);
        assert_eq!(
            tmp,
            dir.join(std::format!(".model.safetensors.{:016x}.tmp", 8))
        );
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
        // With every name taken the save fails, naming the last one tried.
        let err = create_temp(&path, [7, 8]).unwrap_err();
        assert!(
            err.to_string()
                .contains(".model.safetensors.0000000000000008.tmp"),
            "{err}"
        );
        let tags: std::vec::Vec<u64> = temp_tags().take(3).chain(temp_tags().take(3)).collect();
        let mut unique = tags.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 6, "{tags:x?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The stream reader (no length up front) and the in-memory one agree
    /// on every cut and every flipped byte of a checkpoint: the same
    /// checkpoint, or an error from both.
    #[test]
    fn a_stream_reads_as_the_same_bytes_in_memory() {
        let mut c = Checkpoint::new();
        c.push(
            "layers.0.weight",
            &[2, 3],
            std::vec![0.5, -1.0, 2.0, 0.0, 3.5, -0.25],
        );
        c.push("layers.0.bias", &[2], std::vec![1.0, -1.0]);
        c.set_metadata("architecture", "3,2");
        let bytes = c.to_bytes();
        let agree = |input: &[u8]| {
            let streamed = match read_stream(input, None) {
                Ok(result) => result,
                Err(ReadError::Format(e)) => Err(e),
                Err(ReadError::Io(e)) => panic!("reading a slice failed: {e}"),
            };
            match (streamed, Checkpoint::from_bytes(input)) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_bytes(), b.to_bytes()),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("stream {a:?}, memory {b:?}"),
            }
        };
        for len in 0..=bytes.len() {
            agree(&bytes[..len]);
        }
        let mut longer = bytes.clone();
        longer.push(0);
        agree(&longer);
        for i in 0..bytes.len() {
            for bit in [0x01, 0x20, 0x80] {
                let mut flipped = bytes.clone();
                flipped[i] ^= bit;
                agree(&flipped);
            }
        }
    }
}
