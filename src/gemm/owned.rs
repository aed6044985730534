//! Convenience forms of [`gemm`](super::gemm) that own their scratch memory
//! (feature `alloc`). Same math and determinism as the core functions.

use alloc::vec::Vec;

use super::{GemmConfig, gemm_with, gemm_workspace_len};
use crate::mat::{MatMut, MatRef};

/// A GEMM runner that keeps its workspace between calls, growing it when a
/// larger problem comes (so a training loop allocates only on its first step).
///
/// # Examples
/// ```
/// use deepinit::{MatMut, MatRef, gemm::Gemm};
/// let mut g = Gemm::new();
/// let a = [1.0, 2.0];
/// let mut c = [0.0; 4];
/// g.run(
///     2.0,
///     MatRef::from_row_major(&a, 2, 1)?,
///     MatRef::from_row_major(&a, 1, 2)?,
///     0.0,
///     MatMut::from_row_major(&mut c, 2, 2)?,
/// );
/// assert_eq!(c, [2.0, 4.0, 4.0, 8.0]);
/// # Ok::<(), deepinit::ShapeError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Gemm {
    config: Option<GemmConfig>,
    workspace: Vec<f32>,
}

impl Gemm {
    /// A runner with the default configuration (selected kernel, fast
    /// precision, [`num_threads`](super::num_threads) threads).
    pub fn new() -> Self {
        Self::default()
    }

    /// A runner with an explicit configuration.
    pub fn with_config(config: GemmConfig) -> Self {
        Self {
            config: Some(config),
            workspace: Vec::new(),
        }
    }

    /// `C ← α·A·B + β·C`, as [`gemm`](super::gemm).
    ///
    /// # Panics
    /// If `a.cols() != b.rows()` or `c` is not `a.rows() × b.cols()`.
    pub fn run(&mut self, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
        let config = self.config.unwrap_or_default();
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        // Room for as many threads as the product can use, not the
        // configured count (which may be any number).
        let threads = super::useful_threads(m, k, n, config.threads);
        let need = gemm_workspace_len(m, k, n).saturating_mul(threads);
        if self.workspace.len() < need {
            self.workspace.resize(need, 0.0);
        }
        gemm_with(&config, alpha, a, b, beta, c, &mut self.workspace);
    }
}

/// `C ← α·A·B + β·C`, allocating the workspace for this call.
///
/// # Panics
/// If `a.cols() != b.rows()` or `c` is not `a.rows() × b.cols()`.
pub fn gemm_alloc(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>) {
    Gemm::new().run(alpha, a, b, beta, c);
}
