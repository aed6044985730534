//! Fuzz target: strided view constructors never accept a layout that runs
//! past the slice, and `MatMut` never accepts one where two entries share an
//! element; accepted views read exactly `data[i·row_stride + j·col_stride]`.
#![no_main]

use arbitrary::Arbitrary;
use deepinit::{MatMut, MatRef};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    rows: u16,
    cols: u16,
    row_stride: u32,
    col_stride: u32,
    len: u16,
    sub: (u8, u8, u8, u8),
}

fuzz_target!(|x: Input| {
    let (rows, cols) = (usize::from(x.rows % 300), usize::from(x.cols % 300));
    let (rs, cs) = (x.row_stride as usize, x.col_stride as usize);
    let mut data: Vec<f32> = (0..usize::from(x.len)).map(|i| i as f32).collect();
    let len = data.len();
    let last = (rows.checked_sub(1), cols.checked_sub(1));
    let required = match last {
        (Some(r), Some(c)) => r
            .checked_mul(rs)
            .and_then(|a| c.checked_mul(cs).and_then(|b| a.checked_add(b))),
        _ => None,
    };
    let empty = rows == 0 || cols == 0;
    if let Ok(v) = MatRef::from_strided(&data, rows, cols, rs, cs) {
        assert!(
            empty || required.is_some_and(|r| r < len),
            "accepted out of bounds"
        );
        if !empty {
            let (i, j) = (usize::from(x.sub.0) % rows, usize::from(x.sub.1) % cols);
            assert_eq!(v.read(i, j), (i * rs + j * cs) as f32);
            let (h, w) = (
                usize::from(x.sub.2) % (rows - i + 1),
                usize::from(x.sub.3) % (cols - j + 1),
            );
            let s = v.submatrix(i, j, h, w);
            if h > 0 && w > 0 {
                assert_eq!(s.read(h - 1, w - 1), v.read(i + h - 1, j + w - 1));
            }
        }
    }
    if MatMut::from_strided(&mut data, rows, cols, rs, cs).is_ok() && !empty {
        assert!(required.is_some_and(|r| r < len), "accepted out of bounds");
        // No two entries share an element (checked exhaustively when small).
        if rows * cols <= 4096 {
            let mut seen = vec![false; len];
            for i in 0..rows {
                for j in 0..cols {
                    let o = i * rs + j * cs;
                    assert!(!seen[o], "entries alias at element {o}");
                    seen[o] = true;
                }
            }
        }
    }
});
