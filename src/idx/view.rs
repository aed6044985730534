//! [`Idx`]: a validated, zero-copy view of a whole IDX file and typed reads of
//! its big-endian elements.

use super::{DataType, Dims, Header, IdxError};

/// A validated IDX file: header plus exactly the declared data, borrowed from
/// the input bytes.
///
/// # Examples
/// ```
/// use deepinit::idx::{DataType, Idx};
/// // A 2×3 array of u8.
/// let bytes = [0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
/// let idx = Idx::parse(&bytes)?;
/// assert_eq!(idx.dtype(), DataType::U8);
/// assert_eq!(idx.shape::<2>(), Some([2, 3]));
/// assert_eq!(idx.u8_data(), Some(&bytes[12..]));
/// assert_eq!(idx.f32_at(5), Some(6.0));
/// # Ok::<(), deepinit::idx::IdxError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idx<'a> {
    header: Header<'a>,
    data: &'a [u8],
}

impl<'a> Idx<'a> {
    /// Parses a complete IDX file.
    ///
    /// # Errors
    /// Any [`IdxError`]: bad magic, unknown type code, fewer bytes than the
    /// header declares ([`IdxError::Truncated`]), more
    /// ([`IdxError::TrailingBytes`]), or sizes overflowing `usize`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, IdxError> {
        let header = Header::parse(bytes)?;
        let (expected, found) = (header.total_len(), bytes.len());
        if found < expected {
            return Err(IdxError::Truncated { expected, found });
        }
        if found > expected {
            return Err(IdxError::TrailingBytes { expected, found });
        }
        Ok(Self {
            header,
            data: &bytes[header.header_len()..],
        })
    }

    /// The header.
    #[must_use]
    pub const fn header(&self) -> Header<'a> {
        self.header
    }

    /// Element type.
    #[must_use]
    pub const fn dtype(&self) -> DataType {
        self.header.dtype()
    }

    /// Number of dimensions.
    #[must_use]
    pub const fn rank(&self) -> usize {
        self.header.rank()
    }

    /// The dimensions, outermost first.
    #[must_use]
    pub fn dims(&self) -> Dims<'a> {
        self.header.dims()
    }

    /// The dimensions as an array when the rank is exactly `N`.
    #[must_use]
    pub fn shape<const N: usize>(&self) -> Option<[usize; N]> {
        if self.rank() != N {
            return None;
        }
        let mut out = [0; N];
        for (o, d) in out.iter_mut().zip(self.dims()) {
            *o = d;
        }
        Some(out)
    }

    /// Number of elements.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.header.len()
    }

    /// Whether there are no elements.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.header.is_empty()
    }

    /// The raw big-endian data bytes (`len · dtype().size()` of them).
    #[must_use]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The data as bytes when the element type is `u8` (MNIST pixels and labels).
    #[must_use]
    pub fn u8_data(&self) -> Option<&'a [u8]> {
        (self.dtype() == DataType::U8).then_some(self.data)
    }

    /// Element `i` (flat, row-major) as f64: exact for every IDX type.
    #[must_use]
    pub fn f64_at(&self, i: usize) -> Option<f64> {
        let size = self.dtype().size();
        let b = self.data.get(i.checked_mul(size)?..)?.get(..size)?;
        Some(match self.dtype() {
            DataType::U8 => f64::from(b[0]),
            DataType::I8 => f64::from(b[0] as i8),
            DataType::I16 => f64::from(i16::from_be_bytes([b[0], b[1]])),
            DataType::I32 => f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            DataType::F32 => f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            DataType::F64 => f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        })
    }

    /// Element `i` (flat, row-major) as f32: exact for u8, i8, i16 and f32;
    /// i32 and f64 are rounded to the nearest f32.
    #[must_use]
    pub fn f32_at(&self, i: usize) -> Option<f32> {
        let size = self.dtype().size();
        let b = self.data.get(i.checked_mul(size)?..)?.get(..size)?;
        Some(match self.dtype() {
            DataType::I32 => i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as f32,
            DataType::F32 => f32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            _ => self.f64_at(i)? as f32,
        })
    }
}
