//! The mutable view [`MatMut`]: constructors that reject aliasing layouts,
//! reborrowing, transpose and submatrix (no copies), entry access.
//!
//! Entry `(i, j)` lives at `data[i·row_stride + j·col_stride]`; see the parent
//! module for the layout rules.

use super::{MatMut, MatRef, ShapeError, block_range, check_block, is_non_aliasing, required_len};

impl<'a> MatMut<'a> {
    /// Views `data` as a mutable `rows × cols` row-major matrix.
    ///
    /// # Errors
    /// [`ShapeError`] when `rows·cols` overflows or exceeds `data.len()`.
    pub fn from_row_major(
        data: &'a mut [f32],
        rows: usize,
        cols: usize,
    ) -> Result<Self, ShapeError> {
        Self::from_strided(data, rows, cols, cols, 1)
    }

    /// Views `data` mutably with explicit strides (in elements).
    ///
    /// # Errors
    /// [`ShapeError::Aliasing`] when the strides do not keep the entries
    /// apart (the rule in the module docs), or the errors of
    /// [`MatRef::from_strided`].
    pub fn from_strided(
        data: &'a mut [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self, ShapeError> {
        let required = required_len(data.len(), rows, cols, row_stride, col_stride)?;
        if !is_non_aliasing(rows, cols, row_stride, col_stride) {
            return Err(ShapeError::Aliasing {
                row_stride,
                col_stride,
            });
        }
        Ok(Self {
            data: &mut data[..required],
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

    /// A shorter-lived mutable view of the same entries.
    #[inline]
    pub fn rb_mut(&mut self) -> MatMut<'_> {
        MatMut {
            data: self.data,
            ..*self
        }
    }

    /// A read-only view of the same entries.
    #[inline]
    pub fn as_ref(&self) -> MatRef<'_> {
        MatRef {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// The underlying slice, from entry `(0, 0)` to the last entry. Elements in
    /// stride gaps are included: writing them does not change any entry.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        self.data
    }

    /// Consumes the view and returns its underlying slice.
    #[inline]
    pub fn into_slice(self) -> &'a mut [f32] {
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
            data: self.data,
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
            data: &mut self.data[start..start + len],
            rows,
            cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// Entry `(i, j)`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    #[inline]
    pub fn read(&self, i: usize, j: usize) -> f32 {
        self.as_ref().read(i, j)
    }

    /// Sets entry `(i, j)` to `value`.
    ///
    /// # Panics
    /// If `i ≥ rows` or `j ≥ cols`.
    #[inline]
    pub fn write(&mut self, i: usize, j: usize, value: f32) {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of bounds"
        );
        self.data[i * self.row_stride + j * self.col_stride] = value;
    }

    /// Row `i` as a contiguous mutable slice, when `col_stride == 1` (or `cols ≤ 1`).
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> Option<&mut [f32]> {
        assert!(i < self.rows, "row {i} out of bounds");
        if self.cols == 0 {
            return Some(&mut []);
        }
        if self.col_stride == 1 || self.cols == 1 {
            let s = i * self.row_stride;
            Some(&mut self.data[s..s + self.cols])
        } else {
            None
        }
    }
}

impl<'a> From<MatMut<'a>> for MatRef<'a> {
    fn from(m: MatMut<'a>) -> Self {
        MatRef {
            data: m.data,
            rows: m.rows,
            cols: m.cols,
            row_stride: m.row_stride,
            col_stride: m.col_stride,
        }
    }
}
