//! Bounded streaming of one IDX file from a reader (raw or gzip).
//!
//! The 4-byte magic and the dimensions are read first; they declare the exact
//! file size S = 4 + 4·rank + len·size. Then exactly S − header bytes are read
//! and one more read must report end of stream. The buffer grows with the
//! bytes delivered — by at most their count or [`CHUNK`], whichever is larger,
//! and never past S — so it never holds more than min(S, 2·D + 1 MiB) bytes
//! when the stream has delivered D, and a tiny file that declares a large
//! size costs at most 1 MiB before it is found truncated. A gzip bomb (a tiny
//! archive that inflates to gigabytes) is rejected after at most S + 1
//! decompressed bytes. Either way S ≤ `max_bytes`.

use crate::idx::{self, Header, Idx, IdxError};
use crate::sha256::Sha256;
use std::fmt;
use std::io::{self, Read};
use std::vec::Vec;

/// The first growth of the buffer (1 MiB); later ones double it.
const CHUNK: usize = 1 << 20;

/// Why an IDX stream could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadIdxError {
    /// The reader failed (for gzip input this includes corrupt compressed
    /// data and CRC mismatches).
    Io(io::Error),
    /// The bytes are not valid IDX (bad magic, unknown type, truncated, …).
    Idx(IdxError),
    /// The header declares a file larger than the caller's limit.
    TooLarge {
        /// Declared size in bytes (header + data).
        declared: usize,
        /// The limit.
        limit: usize,
    },
    /// The stream continues after the declared data (e.g. a gzip bomb).
    TrailingData {
        /// Declared size in bytes (header + data); more followed.
        declared: usize,
    },
}

impl fmt::Display for ReadIdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "read failed: {e}"),
            Self::Idx(e) => write!(f, "{e}"),
            Self::TooLarge { declared, limit } => write!(
                f,
                "IDX header declares {declared} bytes, more than the limit of {limit}"
            ),
            Self::TrailingData { declared } => write!(
                f,
                "data continues after the {declared} bytes the IDX header declares"
            ),
        }
    }
}

impl std::error::Error for ReadIdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Idx(e) => Some(e),
            _ => None,
        }
    }
}

impl From<IdxError> for ReadIdxError {
    fn from(e: IdxError) -> Self {
        Self::Idx(e)
    }
}

impl From<io::Error> for ReadIdxError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Reads into `buf[from..]` until full or end of stream; returns bytes filled.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads the header of an IDX file from `reader`: the magic number and the
/// dimensions it announces, nothing after them. Its bytes parse with
/// [`Header::parse`].
pub(crate) fn read_header(reader: &mut impl Read) -> Result<Vec<u8>, ReadIdxError> {
    let mut magic = [0u8; 4];
    let got = fill(reader, &mut magic)?;
    if got < 4 {
        return Err(IdxError::Truncated {
            expected: 4,
            found: got,
        }
        .into());
    }
    let header_len = idx::header_len(magic)?;
    let mut buf = std::vec![0u8; header_len];
    buf[..4].copy_from_slice(&magic);
    let got = 4 + fill(reader, &mut buf[4..])?;
    if got < header_len {
        return Err(IdxError::Truncated {
            expected: header_len,
            found: got,
        }
        .into());
    }
    Ok(buf)
}

/// Reads one complete IDX file (header + data, exactly as declared) from
/// `reader` and validates it; returns its bytes (parse them with
/// [`Idx::parse`], which cannot fail on them).
///
/// # Errors
/// [`ReadIdxError::Io`] if the reader fails, [`ReadIdxError::Idx`] for invalid
/// or truncated data, [`ReadIdxError::TooLarge`] if the header declares more
/// than `max_bytes`, [`ReadIdxError::TrailingData`] if the stream is longer.
///
/// # Examples
/// ```
/// let file = [0u8, 0, 0x08, 1, 0, 0, 0, 2, 7, 9];
/// let bytes = deepinit::mnist::read_idx(&file[..], 1 << 20)?;
/// assert_eq!(bytes, file);
/// # Ok::<(), deepinit::mnist::ReadIdxError>(())
/// ```
pub fn read_idx<R: Read>(mut reader: R, max_bytes: usize) -> Result<Vec<u8>, ReadIdxError> {
    let mut buf = read_header(&mut reader)?;
    let declared = Header::parse(&buf)?.total_len();
    if declared > max_bytes {
        return Err(ReadIdxError::TooLarge {
            declared,
            limit: max_bytes,
        });
    }
    while buf.len() < declared {
        let filled = buf.len();
        let grow = (declared - filled).min(filled.max(CHUNK));
        // Exact: the capacity stays at most `declared`, and `resize` then
        // finds it and does not reallocate.
        buf.reserve_exact(grow);
        buf.resize(filled + grow, 0);
        let got = fill(&mut reader, &mut buf[filled..])?;
        if got < grow {
            return Err(IdxError::Truncated {
                expected: declared,
                found: filled + got,
            }
            .into());
        }
    }
    // What follows the data: nothing, more bytes, or (gzip) a last check
    // that fails or bytes that are not another member; the data itself was
    // complete, which the message says.
    let after = fill(&mut reader, &mut [0u8; 1]).map_err(|e| {
        let text = std::format!("after the {declared} bytes the header declares: {e}");
        ReadIdxError::Io(io::Error::new(e.kind(), text))
    })?;
    if after != 0 {
        return Err(ReadIdxError::TrailingData { declared });
    }
    Idx::parse(&buf)?;
    Ok(buf)
}

/// [`read_idx`] on gzip-compressed input: every member, one after another,
/// as `zcat` reads them (`cat a.gz b.gz` makes a valid file); each member's
/// CRC-32 and length are checked when it ends.
///
/// # Errors
/// As [`read_idx`]; corrupt gzip data, and bytes after the last member that
/// are not another member, are [`ReadIdxError::Io`] (after the declared
/// data, its message says so).
///
/// # Examples
/// ```
/// use std::io::Write;
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(&[0, 0, 0x08, 1, 0, 0, 0, 1, 5])?;
/// let gz = gz.finish()?;
/// assert_eq!(deepinit::mnist::read_idx_gz(&gz[..], 64)?[8], 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_idx_gz<R: Read>(reader: R, max_bytes: usize) -> Result<Vec<u8>, ReadIdxError> {
    read_idx(flate2::read::MultiGzDecoder::new(reader), max_bytes)
}

/// A reader that hashes every byte it passes on (when `hasher` is `Some`).
pub(crate) struct Hashing<R> {
    pub(crate) inner: R,
    pub(crate) hasher: Option<Sha256>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}
