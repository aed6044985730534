//! Two-way splits of elementwise passes over the GEMM's worker pool
//! (feature `parallel`): batch assembly, bias + activation and the
//! activation derivative of a training step. Each element is computed the
//! same way wherever the split falls, so the bits never depend on it.

/// Slices shorter than this stay on one thread (a split costs a pool
/// round trip of a few µs).
#[cfg(feature = "parallel")]
const MIN_ELEMENTS: usize = 8192;

/// Runs `f(part, start)` on `data` whole (`start` = 0) or, with
/// `threads > 1`, feature `parallel` and at least `MIN_ELEMENTS` (8192)
/// elements, on `data[..s]` and `data[s..]` on two threads, where `s` is
/// half of `data` rounded down to a multiple of `unit` (a row, or a vector
/// width).
pub(crate) fn halves<F>(data: &mut [f32], unit: usize, threads: usize, f: F)
where
    F: Fn(&mut [f32], usize) + Sync,
{
    #[cfg(feature = "parallel")]
    if threads > 1 && data.len() >= MIN_ELEMENTS && unit > 0 {
        let split = data.len() / unit / 2 * unit;
        if split > 0 {
            let (front, back) = data.split_at_mut(split);
            crate::gemm::pool::join(|| f(front, 0), || f(back, split));
            return;
        }
    }
    let _ = (unit, threads);
    f(data, 0);
}
