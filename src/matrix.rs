//! An owned, row-major `f32` matrix.
//!
//! Needs the `alloc` feature.
//!
//! Entry `(i, j)` of an `m × n` [`Matrix`] lives at `data[i·n + j]`, the layout
//! of a C array and of a PyTorch tensor of shape `[m, n]`. [`Matrix::view`] and
//! [`Matrix::view_mut`] lend it out as the strided views of [`crate::mat`]
//! ([`MatRef`]/[`MatMut`]), so transposes and blocks stay free (faer's
//! `Mat`/`MatRef` split).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::mat::{MatMut, MatRef};

/// Why a vector cannot become a matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatrixError {
    /// `data.len() != rows · cols`.
    LengthMismatch {
        /// Requested rows.
        rows: usize,
        /// Requested columns.
        cols: usize,
        /// Elements supplied.
        len: usize,
    },
    /// `rows · cols` overflows `usize`.
    Overflow,
    /// The allocator refused the `rows · cols` floats, or they exceed
    /// `isize::MAX` bytes, the most one allocation may hold.
    TooLarge {
        /// Requested rows.
        rows: usize,
        /// Requested columns.
        cols: usize,
    },
}

impl fmt::Display for MatrixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MatrixError::LengthMismatch { rows, cols, len } => write!(
                f,
                "a {rows}×{cols} matrix needs {} elements but {len} were given",
                rows.saturating_mul(cols)
            ),
            MatrixError::Overflow => f.write_str("matrix dimensions overflow usize"),
            MatrixError::TooLarge { rows, cols } => {
                write!(f, "cannot allocate a {rows}×{cols} matrix")
            }
        }
    }
}

impl core::error::Error for MatrixError {}

/// An owned `rows × cols` matrix of `f32`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    data: Vec<f32>,
    rows: usize,
    cols: usize,
}

impl Matrix {
    /// A `rows × cols` matrix of zeros.
    ///
    /// # Panics
    /// If `rows · cols` overflows `usize`.
    ///
    /// # Examples
    /// ```
    /// let m = deepinit::matrix::Matrix::zeros(2, 3);
    /// assert_eq!((m.rows(), m.cols(), m.as_slice().len()), (2, 3, 6));
    /// ```
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let len = rows.checked_mul(cols).expect("matrix size overflows usize");
        Self {
            data: vec![0.0; len],
            rows,
            cols,
        }
    }

    /// A `rows × cols` matrix of zeros, or an error instead of the
    /// allocation failure that [`Matrix::zeros`] aborts on (e.g. a network
    /// too large for a microcontroller's heap).
    ///
    /// # Errors
    /// [`MatrixError::Overflow`] if `rows · cols` overflows `usize`,
    /// [`MatrixError::TooLarge`] if the floats cannot be allocated.
    ///
    /// # Examples
    /// ```
    /// use deepinit::matrix::{Matrix, MatrixError};
    /// assert_eq!(Matrix::try_zeros(2, 3)?, Matrix::zeros(2, 3));
    /// assert_eq!(
    ///     Matrix::try_zeros(usize::MAX / 8, 2).unwrap_err(), // over isize::MAX bytes
    ///     MatrixError::TooLarge { rows: usize::MAX / 8, cols: 2 }
    /// );
    /// # Ok::<(), MatrixError>(())
    /// ```
    pub fn try_zeros(rows: usize, cols: usize) -> Result<Self, MatrixError> {
        let len = rows.checked_mul(cols).ok_or(MatrixError::Overflow)?;
        let data = try_zeroed(len).ok_or(MatrixError::TooLarge { rows, cols })?;
        Ok(Self { data, rows, cols })
    }

    /// Takes `data` (row-major, `rows · cols` elements) as a matrix.
    ///
    /// # Errors
    /// [`MatrixError`] when the length does not match or the size overflows.
    ///
    /// # Examples
    /// ```
    /// use deepinit::matrix::Matrix;
    /// let m = Matrix::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3)?;
    /// assert_eq!(m.view().t().read(2, 1), 6.0);
    /// assert!(Matrix::from_vec(vec![1.0], 2, 3).is_err());
    /// # Ok::<(), deepinit::matrix::MatrixError>(())
    /// ```
    pub fn from_vec(data: Vec<f32>, rows: usize, cols: usize) -> Result<Self, MatrixError> {
        let len = rows.checked_mul(cols).ok_or(MatrixError::Overflow)?;
        if data.len() != len {
            return Err(MatrixError::LengthMismatch {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Self { data, rows, cols })
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The entries, row after row.
    #[inline]
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// The entries, row after row, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The row-major storage.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(i < self.rows, "row {i} out of bounds");
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, mutably.
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        assert!(i < self.rows, "row {i} out of bounds");
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// A read-only strided view (row stride `cols`, column stride 1).
    #[inline]
    pub fn view(&self) -> MatRef<'_> {
        match MatRef::from_row_major(&self.data, self.rows, self.cols) {
            Ok(v) => v,
            Err(_) => unreachable!("a Matrix always holds rows·cols elements"),
        }
    }

    /// A mutable strided view (row stride `cols`, column stride 1).
    #[inline]
    pub fn view_mut(&mut self) -> MatMut<'_> {
        match MatMut::from_row_major(&mut self.data, self.rows, self.cols) {
            Ok(v) => v,
            Err(_) => unreachable!("a Matrix always holds rows·cols elements"),
        }
    }
}

/// `n` zeros, or `None` if they cannot be allocated: more than
/// `isize::MAX` bytes, or refused by the allocator.
/// Like `vec![0.0; n]` the memory comes zeroed from the allocator, so pages
/// a buffer never uses stay untouched (the evaluation workspace's backward
/// buffers, 6 MB for MNIST), but a refusal is reported instead of aborting.
/// (Reserving and releasing the memory before `vec!` would report it too,
/// but made glibc serve the buffers from its heap, zeroing them by hand:
/// 10 MB more resident memory for `deepinit train`.)
#[allow(unsafe_code)]
pub(crate) fn try_zeroed(n: usize) -> Option<Vec<f32>> {
    let layout = core::alloc::Layout::array::<f32>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout's size is not zero, as `alloc_zeroed` requires.
    let ptr = unsafe { alloc::alloc::alloc_zeroed(layout) }.cast::<f32>();
    if ptr.is_null() {
        return None;
    }
    let len = layout.size() / core::mem::size_of::<f32>();
    // SAFETY: `ptr` comes from the global allocator with the layout of
    // `[f32; len]`, which is the layout a `Vec<f32>` of capacity `len`
    // frees with; its `len` elements are initialized, all bytes being zero
    // (0.0).
    let v = unsafe { Vec::from_raw_parts(ptr, len, len) };
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_the_storage() {
        let mut m = Matrix::zeros(2, 3);
        m.view_mut().write(1, 2, 7.0);
        assert_eq!(m.row(1), &[0.0, 0.0, 7.0]);
        assert_eq!(m.view().t().read(2, 1), 7.0);
        m.row_mut(0)[1] = 3.0;
        assert_eq!(m.as_slice(), &[0.0, 3.0, 0.0, 0.0, 0.0, 7.0]);
    }

    #[test]
    fn from_vec_checks_the_length() {
        assert_eq!(
            Matrix::from_vec(vec![0.0; 5], 2, 3),
            Err(MatrixError::LengthMismatch {
                rows: 2,
                cols: 3,
                len: 5
            })
        );
        assert_eq!(
            Matrix::from_vec(vec![], usize::MAX, 2),
            Err(MatrixError::Overflow)
        );
    }

    #[test]
    fn try_zeroed_gives_zeros_or_none() {
        for n in [0, 1, 5, 1000] {
            let v = try_zeroed(n).unwrap();
            assert_eq!((v.len(), v.capacity()), (n, n));
            assert!(v.iter().all(|x| x.to_bits() == 0));
        }
        // Past isize::MAX bytes: refused before the allocator is asked.
        assert_eq!(try_zeroed(isize::MAX as usize / 4 + 1), None);
        assert_eq!(Matrix::try_zeros(usize::MAX, 2), Err(MatrixError::Overflow));
        assert_eq!(Matrix::try_zeros(3, 0).unwrap(), Matrix::zeros(3, 0));
    }
}
