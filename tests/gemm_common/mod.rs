//! Shared helpers of the GEMM tests: operands in every layout, with NaN
//! sentinels in stride gaps, and an f64 reference with an error bound.
#![allow(dead_code)]

use deepinit::{MatMut, MatRef};
use proptest::prelude::*;

/// Every layout, gaps of 1 to 3.
pub fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        Just(Layout::RowMajor),
        Just(Layout::ColMajor),
        (1usize..4).prop_map(Layout::RowGap),
        (1usize..4).prop_map(Layout::ColGap),
    ]
}

/// How an operand is laid out in its buffer.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// Row-major, no gaps.
    RowMajor,
    /// Column-major (a transposed row-major view), no gaps.
    ColMajor,
    /// Row-major inside a larger buffer: `gap` extra columns per row and an
    /// offset of one row and one column (a submatrix view).
    RowGap(usize),
    /// Column-major with `gap` extra rows per column, as a submatrix.
    ColGap(usize),
}

/// A buffer holding an `rows × cols` operand in `layout`; every element that
/// is not an entry holds `sentinel`.
pub struct Buf {
    pub data: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
    pub layout: Layout,
}

impl Buf {
    /// Builds the buffer with entry `(i, j) = f(i, j)`.
    pub fn new(
        rows: usize,
        cols: usize,
        layout: Layout,
        sentinel: f32,
        mut f: impl FnMut(usize, usize) -> f32,
    ) -> Self {
        let (outer_r, outer_c) = match layout {
            Layout::RowMajor | Layout::ColMajor => (rows, cols),
            Layout::RowGap(g) => (rows + 2, cols + 1 + g),
            Layout::ColGap(g) => (rows + 1 + g, cols + 2),
        };
        let mut buf = Buf {
            data: vec![sentinel; outer_r * outer_c],
            rows,
            cols,
            layout,
        };
        {
            let mut v = buf.view_mut();
            for i in 0..rows {
                for j in 0..cols {
                    v.write(i, j, f(i, j));
                }
            }
        }
        buf
    }

    fn parts(&self) -> (usize, usize, usize, usize) {
        // (offset, row_stride, col_stride, parent rows/cols are implicit)
        let (r, c) = (self.rows, self.cols);
        match self.layout {
            Layout::RowMajor => (0, c, 1, 0),
            Layout::ColMajor => (0, 1, r, 0),
            Layout::RowGap(g) => {
                let rs = c + 1 + g;
                (rs + 1, rs, 1, 0)
            }
            Layout::ColGap(g) => {
                let cs = r + 1 + g;
                (cs + 1, 1, cs, 0)
            }
        }
    }

    pub fn view(&self) -> MatRef<'_> {
        let (off, rs, cs, _) = self.parts();
        let data = if self.rows == 0 || self.cols == 0 {
            &self.data[..0]
        } else {
            &self.data[off..]
        };
        MatRef::from_strided(data, self.rows, self.cols, rs, cs).unwrap()
    }

    pub fn view_mut(&mut self) -> MatMut<'_> {
        let (off, rs, cs, _) = self.parts();
        let (r, c) = (self.rows, self.cols);
        let data = if r == 0 || c == 0 {
            &mut self.data[..0]
        } else {
            &mut self.data[off..]
        };
        MatMut::from_strided(data, r, c, rs, cs).unwrap()
    }

    /// The entries, row-major.
    pub fn entries(&self) -> Vec<f32> {
        let v = self.view();
        (0..self.rows)
            .flat_map(|i| (0..self.cols).map(move |j| v.read(i, j)))
            .collect()
    }

    /// Indices of `data` that are entries.
    pub fn is_entry(&self) -> Vec<bool> {
        let mut mark = vec![false; self.data.len()];
        let (off, rs, cs, _) = self.parts();
        for i in 0..self.rows {
            for j in 0..self.cols {
                mark[off + i * rs + j * cs] = true;
            }
        }
        mark
    }
}

/// f64 reference `α·A·B + β·C` and the bound `Σ|α||a||b| + |β||c|` per entry.
pub fn reference(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatRef<'_>,
) -> (Vec<f64>, Vec<f64>) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    let mut val = vec![0.0; m * n];
    let mut mag = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut t) = (0.0f64, 0.0f64);
            if alpha != 0.0 {
                for p in 0..k {
                    let x = f64::from(a.read(i, p)) * f64::from(b.read(p, j));
                    s += x;
                    t += x.abs();
                }
            }
            let (mut v, mut g) = (f64::from(alpha) * s, f64::from(alpha).abs() * t);
            if beta != 0.0 {
                let cij = f64::from(beta) * f64::from(c.read(i, j));
                v += cij;
                g += cij.abs();
            }
            val[i * n + j] = v;
            mag[i * n + j] = g;
        }
    }
    (val, mag)
}

/// γ for a k-term product: `(k + 4)·2⁻²⁴` (Higham §3.5, with slack for α, β).
pub fn gamma(k: usize) -> f64 {
    (k as f64 + 4.0) * f64::from(f32::EPSILON) / 2.0 * 1.01
}

/// A small deterministic generator (SplitMix64) for test data.
pub struct Gen(pub u64);

impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// The bit patterns of `x`, to compare results exactly.
pub fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}
