//! Work in progress: the MNIST-format loader is being written.

use std::vec::Vec;

/// One split of an MNIST-format dataset: `len` images of `rows × cols` `u8`
/// pixels, stored image after image, row-major, and one label per image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Pixels, `len · rows · cols` bytes.
    pub images: Vec<u8>,
    /// Labels, `len` bytes, each `< classes`.
    pub labels: Vec<u8>,
    /// Number of images.
    pub len: usize,
    /// Image height in pixels.
    pub rows: usize,
    /// Image width in pixels.
    pub cols: usize,
    /// Number of classes (10 for MNIST).
    pub classes: usize,
}

/// The training and test splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// 60 000 images for MNIST.
    pub train: Dataset,
    /// 10 000 images for MNIST.
    pub test: Dataset,
}
