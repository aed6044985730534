//! Strided views: constructors accept exactly the in-bounds layouts, `MatMut`
//! never accepts a layout where two entries share an element, and transpose /
//! submatrix address the same elements as the definition
//! `(i, j) ↦ data[i·row_stride + j·col_stride]`.

use deepinit::{MatMut, MatRef, ShapeError};
use proptest::prelude::*;

/// Offsets of every entry, or None on overflow.
fn offsets(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<Vec<usize>> {
    let mut v = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            v.push(i.checked_mul(rs)?.checked_add(j.checked_mul(cs)?)?);
        }
    }
    Some(v)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn constructors_accept_exactly_valid_layouts(
        rows in 0usize..8, cols in 0usize..8, rs in 0usize..12, cs in 0usize..12, len in 0usize..80,
    ) {
        let data: Vec<f32> = (0..len).map(|i| i as f32).collect();
        let offs = offsets(rows, cols, rs, cs).unwrap();
        let in_bounds = offs.iter().all(|&o| o < len);
        match MatRef::from_strided(&data, rows, cols, rs, cs) {
            Ok(v) => {
                prop_assert!(in_bounds);
                for i in 0..rows {
                    for j in 0..cols {
                        prop_assert_eq!(v.read(i, j), (i * rs + j * cs) as f32);
                        prop_assert_eq!(v.t().read(j, i), (i * rs + j * cs) as f32);
                    }
                }
            }
            Err(e) => {
                prop_assert!(!in_bounds);
                let is_oob = matches!(e, ShapeError::OutOfBounds { .. });
                prop_assert!(is_oob);
            }
        }
        let mut data2 = data.clone();
        let mut sorted = offs.clone();
        sorted.sort_unstable();
        let distinct = sorted.windows(2).all(|w| w[0] != w[1]);
        match MatMut::from_strided(&mut data2, rows, cols, rs, cs) {
            Ok(mut v) => {
                prop_assert!(in_bounds && distinct, "accepted an aliasing or out-of-bounds layout");
                // Writing every entry changes exactly those elements.
                for i in 0..rows {
                    for j in 0..cols {
                        v.write(i, j, -1.0);
                    }
                }
                for (k, &x) in data2.iter().enumerate() {
                    prop_assert_eq!(x == -1.0, offs.contains(&k));
                }
            }
            Err(ShapeError::Aliasing { .. }) => prop_assert!(in_bounds),
            Err(_) => prop_assert!(!in_bounds),
        }
    }

    #[test]
    fn submatrix_addresses_parent_entries(
        rows in 1usize..8, cols in 1usize..8, gap in 0usize..3,
        r0 in 0usize..8, c0 in 0usize..8, h in 0usize..8, w in 0usize..8,
    ) {
        let (r0, c0) = (r0 % (rows + 1), c0 % (cols + 1));
        let (h, w) = (h % (rows - r0 + 1), w % (cols - c0 + 1));
        let rs = cols + gap;
        let mut data: Vec<f32> = (0..rows * rs).map(|i| i as f32).collect();
        let parent = MatRef::from_strided(&data, rows, cols, rs, 1).unwrap();
        let sub = parent.submatrix(r0, c0, h, w);
        prop_assert_eq!((sub.rows(), sub.cols()), (h, w));
        for i in 0..h {
            for j in 0..w {
                prop_assert_eq!(sub.read(i, j), parent.read(r0 + i, c0 + j));
                prop_assert_eq!(sub.t().read(j, i), parent.read(r0 + i, c0 + j));
            }
        }
        let before = data.clone();
        let mut m = MatMut::from_strided(&mut data, rows, cols, rs, 1).unwrap().submatrix(r0, c0, h, w);
        for i in 0..h {
            for j in 0..w {
                m.write(i, j, -1.0);
            }
        }
        for (k, (&x, &y)) in data.iter().zip(&before).enumerate() {
            let (i, j) = (k / rs, k % rs);
            let inside = i >= r0 && i < r0 + h && j >= c0 && j < c0 + w;
            prop_assert_eq!(x, if inside { -1.0 } else { y });
        }
    }
}

#[test]
fn overflowing_layouts_are_rejected() {
    let data = [0.0f32; 4];
    assert_eq!(
        MatRef::from_strided(&data, usize::MAX, 2, 2, 1).unwrap_err(),
        ShapeError::Overflow
    );
    assert_eq!(
        MatRef::from_strided(&data, 2, 2, usize::MAX, 1).unwrap_err(),
        ShapeError::Overflow
    );
}

#[test]
#[should_panic(expected = "does not fit")]
fn submatrix_out_of_range_panics() {
    let data = [0.0f32; 6];
    let _ = MatRef::from_row_major(&data, 2, 3)
        .unwrap()
        .submatrix(1, 1, 2, 1);
}
