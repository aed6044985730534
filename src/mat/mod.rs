//! Strided matrix views over `f32` slices.
//!
//! A view of an `m × n` matrix stores a slice whose first element is entry
//! `(0, 0)`, and the strides (in elements) between rows and between columns:
//! entry `(i, j)` lives at `data[i·row_stride + j·col_stride]`. Transposing a
//! view swaps the strides and sub-matrices move the start, so both are free
//! (no copy), in the style of faer's `MatRef`/`MatMut`.
//!
//! [`MatRef`] is `Copy` and may alias itself (a zero stride broadcasts a row or
//! a column). [`MatMut`] is a unique borrow: its constructors reject every
//! layout in which two entries share one element of the slice, so writing
//! through it never changes another entry. The rule is the usual sufficient
//! one (BLAS's): with the dimensions sorted by stride, the inner stride is
//! at least 1 and the outer stride at least the inner stride times the
//! inner extent. It also rejects a few interleaved layouts that do not
//! alias (2 × 2 with strides 3 and 2 uses elements 0, 2, 3, 5).

use core::fmt;

mod view_mut;

/// Why a slice cannot be viewed with the requested shape and strides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeError {
    /// The last entry of the view lies past the end of the slice.
    OutOfBounds {
        /// Elements the layout needs (`(rows−1)·row_stride + (cols−1)·col_stride + 1`).
        required: usize,
        /// Elements the slice has.
        len: usize,
    },
    /// `rows`, `cols` and the strides overflow `usize` when combined.
    Overflow,
    /// The strides of a mutable view do not keep its entries apart by the
    /// rule in the [module docs](self): two entries may share one element.
    Aliasing {
        /// The requested row stride.
        row_stride: usize,
        /// The requested column stride.
        col_stride: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::OutOfBounds { required, len } => write!(
                f,
                "matrix layout needs {required} elements but the slice has {len}"
            ),
            ShapeError::Overflow => f.write_str("matrix dimensions overflow usize"),
            ShapeError::Aliasing {
                row_stride,
                col_stride,
            } => write!(
                f,
                "row stride {row_stride} and column stride {col_stride} do not keep the entries of a mutable view apart (the outer stride must be at least the inner stride times the inner extent)"
            ),
        }
    }
}

impl core::error::Error for ShapeError {}

/// Number of slice elements a `rows × cols` layout with these strides spans,
/// checked against the `len` elements the slice has.
fn required_len(
    len: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
) -> Result<usize, ShapeError> {
    if rows == 0 || cols == 0 {
        return Ok(0);
    }
    let required = (rows - 1)
        .checked_mul(row_stride)
        .and_then(|r| {
            (cols - 1)
                .checked_mul(col_stride)
                .and_then(|c| r.checked_add(c))
        })
        .and_then(|last| last.checked_add(1))
        .ok_or(ShapeError::Overflow)?;
    if required > len {
        return Err(ShapeError::OutOfBounds { required, len });
    }
    Ok(required)
}

/// `true` when no two entries of the layout share an element.
///
/// Sufficient condition (the one BLAS and faer use): sort the two dimensions by
/// stride; the inner stride is ≥ 1 and the outer stride is at least the inner
/// stride times the inner extent. Dimensions of extent ≤ 1 never alias, nor
/// do empty views. This
/// rejects a few exotic interleaved layouts that do not alias either.
fn is_non_aliasing(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    if rows <= 1 || cols <= 1 {
        let (n, s) = if rows <= 1 {
            (cols, col_stride)
        } else {
            (rows, row_stride)
        };
        return n <= 1 || s >= 1;
    }
    let ((s_in, n_in), s_out) = if row_stride <= col_stride {
        ((row_stride, rows), col_stride)
    } else {
        ((col_stride, cols), row_stride)
    };
    s_in >= 1 && s_in.checked_mul(n_in).is_some_and(|span| s_out >= span)
}

/// A read-only, strided view of an `f32` matrix. Cheap to copy.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

/// A mutable, strided view of an `f32` matrix whose entries never alias.
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl fmt::Debug for MatRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatRef")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("row_stride", &self.row_stride)
            .field("col_stride", &self.col_stride)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MatMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

impl<'a> MatRef<'a> {
    /// Views `data` as a `rows × cols` row-major matrix (row stride `cols`).
    ///
    /// # Errors
    /// [`ShapeError`] when `rows·cols` overflows or exceeds `data.len()`.
    ///
    /// # Examples
    /// ```
    /// use deepinit::MatRef;
    /// let a = MatRef::from_row_major(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3)?;
    /// assert_eq!(a.read(1, 0), 4.0);
    /// assert_eq!(a.t().read(0, 1), 4.0);
    /// # Ok::<(), deepinit::ShapeError>(())
    /// ```
    pub fn from_row_major(data: &'a [f32], rows: usize, cols: usize) -> Result<Self, ShapeError> {
        Self::from_strided(data, rows, cols, cols, 1)
    }

    /// Views `data` with explicit strides (in elements). Strides may be zero.
    ///
    /// # Errors
    /// [`ShapeError`] when the layout overflows or runs past the slice.
    pub fn from_strided(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self, ShapeError> {
        let required = required_len(data.len(), rows, cols, row_stride, col_stride)?;
        Ok(Self {
            data: &data[..required],
            rows,
            cols,
            row_stride,
            col_stride,
        })
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

    /// Elements between the starts of consecutive rows.
    #[inline]
    pub fn row_stride(&self) -> usize {
        self.row_stride
    }

    /// Elements between consecutive columns.
    #[inline]
    pub fn col_stride(&self) -> usize {
        self.col_stride
    }

    /// The underlying slice, from entry `(0, 0)` to the last entry.
    #[inline]
    pub fn as_slice(&self) -> &'a [f32] {
        self.data
    }

    /// The transpose, without copying.
    #[inline]
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// The `rows × cols` block whose top-left entry is `(row, col)`.
    ///
    /// # Panics
    /// If the block does not fit inside the view.
    #[must_use]
    pub fn submatrix(self, row: usize, col: usize, rows: usize, cols: usize) -> Self {
        check_block(self.rows, self.cols, row, col, rows, cols);
        let (start, len) = block_range(row, col, rows, cols, self.row_stride, self.col_stride);
        Self {
            data: &self.data[start..start + len],
            rows,
            cols,
            ..self
        }
    }

    /// Entry `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    #[inline]
    pub fn read(&self, i: usize, j: usize) -> f32 {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds"
        );
        self.data[i * self.row_stride + j * self.col_stride]
    }

    /// Row `i` as a contiguous slice, when `col_stride == 1` (or `cols ≤ 1`).
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    pub fn row(&self, i: usize) -> Option<&'a [f32]> {
        assert!(i < self.rows, "row {i} out of bounds");
        if self.cols == 0 {
            return Some(&[]);
        }
        (self.col_stride == 1 || self.cols == 1).then(|| {
            let s = i * self.row_stride;
            &self.data[s..s + self.cols]
        })
    }
}

fn check_block(rows: usize, cols: usize, row: usize, col: usize, r: usize, c: usize) {
    assert!(
        row.checked_add(r).is_some_and(|e| e <= rows)
            && col.checked_add(c).is_some_and(|e| e <= cols),
        "submatrix ({row}, {col}) of size {r}×{c} does not fit a {rows}×{cols} view"
    );
}

/// Start and length, in the parent slice, of a block that fits its parent.
fn block_range(
    row: usize,
    col: usize,
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
) -> (usize, usize) {
    if rows == 0 || cols == 0 {
        return (0, 0);
    }
    let start = row * row_stride + col * col_stride;
    let len = (rows - 1) * row_stride + (cols - 1) * col_stride + 1;
    (start, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_submatrix_are_views() {
        let data: [f32; 12] = core::array::from_fn(|i| i as f32);
        let a = MatRef::from_row_major(&data, 3, 4).unwrap();
        assert_eq!(a.t().read(3, 2), 11.0);
        let s = a.submatrix(1, 1, 2, 2);
        assert_eq!((s.read(0, 0), s.read(1, 1)), (5.0, 10.0));
        assert_eq!(s.t().read(0, 1), 9.0);
    }

    #[test]
    fn constructors_check_bounds_and_aliasing() {
        let mut data = [0.0f32; 6];
        assert_eq!(
            MatRef::from_row_major(&data, 2, 4).unwrap_err(),
            ShapeError::OutOfBounds {
                required: 8,
                len: 6
            }
        );
        assert!(MatRef::from_strided(&data, 3, 2, 0, 1).is_ok());
        assert!(matches!(
            MatMut::from_strided(&mut data, 3, 2, 1, 1),
            Err(ShapeError::Aliasing { .. })
        ));
        assert!(MatMut::from_strided(&mut data, 2, 3, 1, 2).is_ok());
        // Conservative, as documented: elements 0, 2, 3, 5 are distinct.
        assert!(matches!(
            MatMut::from_strided(&mut data, 2, 2, 3, 2),
            Err(ShapeError::Aliasing { .. })
        ));
        assert_eq!(
            MatRef::from_strided(&data, usize::MAX, 2, 2, 1).unwrap_err(),
            ShapeError::Overflow
        );
    }
}
