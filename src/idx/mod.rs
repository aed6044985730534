//! Zero-copy parser of IDX files (the format of the MNIST database; Y. LeCun,
//! C. Cortes and C. J. C. Burges, "THE MNIST DATABASE of handwritten digits",
//! section "FILE FORMATS FOR THE MNIST DATABASE").
//!
//! ```text
//! offset 0      0x00 0x00           magic: two zero bytes
//! offset 2      type code           0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//! offset 3      rank r              number of dimensions, 0 ≤ r ≤ 255
//! offset 4      d₀ … d_(r−1)        each a big-endian u32
//! offset 4+4r   data                d₀·d₁·…·d_(r−1) elements, big-endian, last index fastest
//! ```
//!
//! [`Idx::parse`] checks all of this (including that the byte count is exact
//! and that no size product overflows `usize`) and keeps only slices of the
//! input: no allocation, no copy, so it works on `include_bytes!` data on a
//! microcontroller. Dimensions are decoded from the header bytes on demand.

use core::fmt;

/// The element type named by the third magic byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// 0x08: unsigned byte.
    U8,
    /// 0x09: signed byte.
    I8,
    /// 0x0B: big-endian i16.
    I16,
    /// 0x0C: big-endian i32.
    I32,
    /// 0x0D: big-endian IEEE 754 f32.
    F32,
    /// 0x0E: big-endian IEEE 754 f64.
    F64,
}

impl DataType {
    /// The type for an IDX type code, if it is one of the six defined codes.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x08 => Self::U8,
            0x09 => Self::I8,
            0x0B => Self::I16,
            0x0C => Self::I32,
            0x0D => Self::F32,
            0x0E => Self::F64,
            _ => return None,
        })
    }

    /// The IDX type code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::U8 => 0x08,
            Self::I8 => 0x09,
            Self::I16 => 0x0B,
            Self::I32 => 0x0C,
            Self::F32 => 0x0D,
            Self::F64 => 0x0E,
        }
    }

    /// Bytes per element.
    #[must_use]
    pub const fn size(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 => 2,
            Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// Lowercase Rust name of the element type (`"u8"`, `"f32"`, …).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }
}

/// Why bytes are not a valid IDX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdxError {
    /// Bytes 0 and 1 are not both zero.
    BadMagic {
        /// The two bytes found at offset 0.
        found: [u8; 2],
    },
    /// Byte 2 is not one of the six IDX type codes.
    UnknownType {
        /// The code found at offset 2.
        code: u8,
    },
    /// The input ends before the header or the declared data does.
    Truncated {
        /// Bytes the header declares (header + data), or needed to read the header.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// Bytes follow the declared data.
    TrailingBytes {
        /// Bytes the header declares (header + data).
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The product of the dimensions (times the element size, plus the
    /// header) does not fit in `usize`.
    DimensionOverflow {
        /// Index of the dimension at which the product overflowed.
        dim: usize,
        /// That dimension's value.
        value: u32,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BadMagic { found } => write!(
                f,
                "bad IDX magic: bytes 0..2 must be 0x00 0x00, found {:#04x} {:#04x}",
                found[0], found[1]
            ),
            Self::UnknownType { code } => {
                write!(f, "unknown IDX type code {code:#04x} at offset 2")
            }
            Self::Truncated { expected, found } => {
                write!(
                    f,
                    "truncated IDX data: {expected} bytes expected, {found} present"
                )
            }
            Self::TrailingBytes { expected, found } => write!(
                f,
                "trailing bytes after IDX data: {expected} bytes expected, {found} present \
                 (extra data starts at offset {expected})"
            ),
            Self::DimensionOverflow { dim, value } => write!(
                f,
                "IDX size overflows usize at dimension {dim} (value {value}, header offset {})",
                4 + 4 * dim
            ),
        }
    }
}

impl core::error::Error for IdxError {}

/// Length of the header (magic + dimensions) announced by the first four
/// bytes of an IDX file: 4 + 4·rank.
///
/// # Errors
/// [`IdxError::BadMagic`] or [`IdxError::UnknownType`].
///
/// # Examples
/// ```
/// assert_eq!(deepinit::idx::header_len([0, 0, 0x08, 3]), Ok(16));
/// ```
pub const fn header_len(magic: [u8; 4]) -> Result<usize, IdxError> {
    if magic[0] != 0 || magic[1] != 0 {
        return Err(IdxError::BadMagic {
            found: [magic[0], magic[1]],
        });
    }
    if DataType::from_code(magic[2]).is_none() {
        return Err(IdxError::UnknownType { code: magic[2] });
    }
    Ok(4 + 4 * magic[3] as usize)
}

/// A parsed IDX header: element type, dimensions and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    dtype: DataType,
    dims: &'a [u8],
    len: usize,
    data_len: usize,
}

impl<'a> Header<'a> {
    /// Parses the header at the start of `bytes`, ignoring what follows it.
    ///
    /// # Errors
    /// [`IdxError::BadMagic`], [`IdxError::UnknownType`],
    /// [`IdxError::Truncated`] (fewer than 4 + 4·rank bytes) or
    /// [`IdxError::DimensionOverflow`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, IdxError> {
        let Some(&[m0, m1, code, rank]) = bytes.first_chunk::<4>() else {
            return Err(IdxError::Truncated {
                expected: 4,
                found: bytes.len(),
            });
        };
        let header = header_len([m0, m1, code, rank])?;
        let dtype = DataType::from_code(code).ok_or(IdxError::UnknownType { code })?;
        let dims = bytes.get(4..header).ok_or(IdxError::Truncated {
            expected: header,
            found: bytes.len(),
        })?;
        // A zero dimension makes the array empty, whatever the others are
        // (the product of the ones before it may not fit in usize).
        let empty = dims.chunks_exact(4).any(|b| b == [0; 4]);
        let mut len = usize::from(!empty);
        for (dim, b) in dims.chunks_exact(4).enumerate() {
            let value = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            let overflow = IdxError::DimensionOverflow { dim, value };
            let d = usize::try_from(value).map_err(|_| overflow)?;
            len = len.checked_mul(d).ok_or(overflow)?;
        }
        let last = IdxError::DimensionOverflow {
            dim: usize::from(rank).saturating_sub(1),
            value: dims.last_chunk::<4>().map_or(0, |b| u32::from_be_bytes(*b)),
        };
        let data_len = len.checked_mul(dtype.size()).ok_or(last)?;
        data_len.checked_add(header).ok_or(last)?;
        Ok(Self {
            dtype,
            dims,
            len,
            data_len,
        })
    }

    /// Element type.
    #[must_use]
    pub const fn dtype(&self) -> DataType {
        self.dtype
    }

    /// Number of dimensions.
    #[must_use]
    pub const fn rank(&self) -> usize {
        self.dims.len() / 4
    }

    /// The dimensions d₀, d₁, …, outermost first.
    #[must_use]
    pub fn dims(&self) -> Dims<'a> {
        Dims {
            bytes: self.dims.chunks_exact(4),
        }
    }

    /// Number of elements, d₀·d₁·…·d_(r−1) (1 for rank 0).
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements (some dimension is 0).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Header length in bytes, 4 + 4·rank.
    #[must_use]
    pub const fn header_len(&self) -> usize {
        4 + self.dims.len()
    }

    /// Data length in bytes, len · dtype size.
    #[must_use]
    pub const fn data_len(&self) -> usize {
        self.data_len
    }

    /// Exact length of the whole file, header + data (cannot overflow: checked
    /// by [`parse`](Self::parse)).
    #[must_use]
    pub const fn total_len(&self) -> usize {
        self.header_len() + self.data_len
    }
}

/// Iterator over the dimensions of an IDX header, outermost first.
#[derive(Debug, Clone)]
pub struct Dims<'a> {
    bytes: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for Dims<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        // Each value was checked to fit usize by `Header::parse`.
        let b = self.bytes.next()?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.bytes.size_hint()
    }
}

impl ExactSizeIterator for Dims<'_> {}

mod view;
pub use view::Idx;
