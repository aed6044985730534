//! Forward and backward passes of an [`Mlp`] on a batch, with every buffer in a
//! reusable [`Workspace`] (see the module docs of [`crate::mlp`] for the math).

use alloc::vec::Vec;

use super::{Dense, Mlp, MlpError};
use crate::activation::{self, Activation};
use crate::gemm::{GemmConfig, SkipZeros, gemm_with, gemm_workspace_len_up_to};
use crate::mat::{MatMut, MatRef};
use crate::matrix::try_zeroed;
use crate::par;

/// Scratch for the passes of one network shape, up to `max_batch` rows.
#[derive(Debug, Clone)]
pub struct Workspace {
    max_batch: usize,
    sizes: Vec<usize>,
    /// Output of every layer (`max_batch × out`), the last one holds logits.
    acts: Vec<Vec<f32>>,
    /// ∂L/∂Z of the current layer and ∂L/∂A of the previous one (ping-pong).
    delta: Vec<f32>,
    delta_prev: Vec<f32>,
    gemm: Vec<f32>,
    gemm_config: GemmConfig,
}

impl Workspace {
    /// Scratch for `mlp` on batches of at most `max_batch` rows, products on
    /// one thread.
    ///
    /// # Panics
    /// Where [`Workspace::try_with_threads`] fails (sizes that overflow, or
    /// memory the allocator refuses).
    pub fn new(mlp: &Mlp, max_batch: usize) -> Self {
        Self::with_threads(mlp, max_batch, 1)
    }

    /// As [`Workspace::new`], with matrix products on up to `threads` threads
    /// (feature `parallel`; ignored without it). Results are bit-identical for
    /// every thread count (see [`crate::gemm`]).
    ///
    /// # Panics
    /// If `threads == 0`, or where [`Workspace::try_with_threads`] fails.
    pub fn with_threads(mlp: &Mlp, max_batch: usize, threads: usize) -> Self {
        Self::try_with_threads(mlp, max_batch, threads)
            .unwrap_or_else(|e| panic!("workspace for batches of {max_batch}: {e}"))
    }

    /// As [`Workspace::with_threads`], reporting a batch whose buffers
    /// (`max_batch` × the layer sizes, and the products' scratch) cannot be
    /// allocated instead of panicking or aborting.
    ///
    /// # Errors
    /// [`MlpError::WorkspaceTooLarge`] when the sizes overflow `usize`, exceed
    /// `isize::MAX` bytes, or the allocator refuses them.
    ///
    /// # Panics
    /// If `threads == 0`.
    pub fn try_with_threads(mlp: &Mlp, max_batch: usize, threads: usize) -> Result<Self, MlpError> {
        assert!(threads > 0, "at least one thread");
        let threads = if cfg!(feature = "parallel") {
            threads
        } else {
            1
        };
        let sizes = mlp.sizes();
        let too_large = MlpError::WorkspaceTooLarge { max_batch };
        let widest = sizes.iter().copied().max().unwrap_or(0);
        // Up to: a shorter batch may need more (the weight gradient's k is
        // the batch, cut into blocks of kc_block(b)).
        let mut gemm_len = 0;
        for w in sizes.windows(2) {
            let (i, o, b) = (w[0], w[1], max_batch);
            gemm_len = gemm_len
                .max(gemm_workspace_len_up_to(b, i, o))
                .max(gemm_workspace_len_up_to(o, b, i))
                .max(gemm_workspace_len_up_to(b, o, i));
        }
        let gemm_len = gemm_len
            .checked_mul(gemm_threads(&sizes, max_batch, threads))
            .ok_or(too_large)?;
        let zeros = |n: Option<usize>| n.and_then(try_zeroed).ok_or(too_large);
        let acts = sizes[1..]
            .iter()
            .map(|&o| zeros(max_batch.checked_mul(o)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            max_batch,
            acts,
            delta: zeros(max_batch.checked_mul(widest))?,
            delta_prev: zeros(max_batch.checked_mul(widest))?,
            gemm: zeros(Some(gemm_len))?,
            gemm_config: GemmConfig::default().with_threads(threads),
            sizes,
        })
    }

    /// Largest batch this workspace serves.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    fn check(&self, mlp: &Mlp, x: &MatRef<'_>) {
        assert!(
            self.sizes.len() == mlp.layers.len() + 1
                && self.sizes[0] == mlp.input_size()
                && mlp
                    .layers
                    .iter()
                    .zip(&self.sizes[1..])
                    .all(|(d, &o)| d.fan_out() == o),
            "workspace made for another network shape"
        );
        assert_eq!(
            x.cols(),
            mlp.input_size(),
            "input width != network input size"
        );
        assert!(
            x.rows() <= self.max_batch,
            "a batch of {} rows is larger than the workspace's {}",
            x.rows(),
            self.max_batch
        );
    }
}

/// ∂L/∂θ for every parameter of a network, shaped like its layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    layers: Vec<Dense>,
}

impl Gradients {
    /// Zero gradients shaped like `mlp`.
    ///
    /// # Panics
    /// Where [`Gradients::try_new`] fails.
    pub fn new(mlp: &Mlp) -> Self {
        Self::try_new(mlp).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Zero gradients shaped like `mlp`, or an error if they cannot be
    /// allocated.
    ///
    /// # Errors
    /// [`MlpError::GradientsTooLarge`] naming the first layer whose
    /// gradients the allocator refused.
    pub fn try_new(mlp: &Mlp) -> Result<Self, MlpError> {
        let layers = mlp
            .layers
            .iter()
            .enumerate()
            .map(|(layer, d)| {
                Dense::try_zeros(d.fan_in(), d.fan_out())
                    .ok_or(MlpError::GradientsTooLarge { layer })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { layers })
    }

    /// `∂L/∂W` (`[out × in]`) and `∂L/∂b` per layer, input side first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    pub(super) fn fits(&self, mlp: &Mlp) -> bool {
        self.layers.len() == mlp.layers.len()
            && self
                .layers
                .iter()
                .zip(&mlp.layers)
                .all(|(g, d)| g.fan_in() == d.fan_in() && g.fan_out() == d.fan_out())
    }
}

fn row_major(data: &[f32], rows: usize, cols: usize) -> MatRef<'_> {
    match MatRef::from_row_major(&data[..rows * cols], rows, cols) {
        Ok(v) => v,
        Err(_) => unreachable!("buffers are sized rows·cols"),
    }
}

fn row_major_mut(data: &mut [f32], rows: usize, cols: usize) -> MatMut<'_> {
    match MatMut::from_row_major(&mut data[..rows * cols], rows, cols) {
        Ok(v) => v,
        Err(_) => unreachable!("buffers are sized rows·cols"),
    }
}

/// [`activation::bias_activation`] on the row-major `out` (`bias.len()`
/// columns), in two row bands on two threads when worth it (see
/// [`par::halves`]).
fn bias_activation_rows(out: &mut [f32], bias: &[f32], act: Activation, threads: usize) {
    let cols = bias.len();
    par::halves(out, cols, threads, |rows, _| {
        let n = rows.len() / cols.max(1);
        activation::bias_activation(row_major_mut(rows, n, cols), bias, act);
    });
}

/// `act.backward(y, grad)`, in two halves on two threads when worth it (see
/// [`par::halves`]).
fn activation_backward(act: Activation, y: &[f32], grad: &mut [f32], threads: usize) {
    assert_eq!(y.len(), grad.len(), "y and grad lengths differ");
    par::halves(grad, 16, threads, |g, start| {
        act.backward(&y[start..start + g.len()], g);
    });
}

impl Mlp {
    /// Runs the network on `x` (`batch × in`, any strides) and returns the
    /// logits (`batch × out`, row-major, inside `ws`).
    ///
    /// # Panics
    /// If `ws` was made for another shape, `x.cols()` differs from the input
    /// size or `x.rows() > ws.max_batch()`.
    ///
    /// # Examples
    /// ```
    /// use deepinit::{activation::Activation, init::Init, mat::MatRef};
    /// use deepinit::mlp::{BiasInit, Mlp, Workspace};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    /// let net = Mlp::new(&[3, 4, 2], Activation::Tanh, &Init::xavier_uniform(1.0),
    ///     &BiasInit::Zeros, &mut rng)?;
    /// let mut ws = Workspace::new(&net, 8);
    /// let x = [0.5f32; 3 * 5];
    /// let logits = net.forward(MatRef::from_row_major(&x, 5, 3)?, &mut ws);
    /// assert_eq!((logits.rows(), logits.cols()), (5, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward<'w>(&self, x: MatRef<'_>, ws: &'w mut Workspace) -> MatRef<'w> {
        ws.check(self, &x);
        self.forward_unchecked(x, ws);
        let b = x.rows();
        row_major(&ws.acts[self.layers.len() - 1], b, self.output_size())
    }

    fn forward_unchecked(&self, x: MatRef<'_>, ws: &mut Workspace) {
        let b = x.rows();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let (done, rest) = ws.acts.split_at_mut(l);
            let input = if l == 0 {
                x
            } else {
                row_major(&done[l - 1], b, layer.fan_in())
            };
            let out = &mut rest[0][..b * layer.fan_out()];
            let sparse = l == 0 || self.activation == Activation::Relu;
            gemm_with(
                &skipping(&ws.gemm_config, sparse, SkipZeros::A),
                1.0,
                input,
                layer.weight().view().t(),
                0.0,
                row_major_mut(out, b, layer.fan_out()),
                &mut ws.gemm,
            );
            let act = if l == last {
                Activation::Identity
            } else {
                self.activation
            };
            bias_activation_rows(out, layer.bias(), act, ws.gemm_config.threads);
        }
    }

    /// Forward and backward pass on one batch: returns the mean softmax
    /// cross-entropy of `x` against `labels` and writes `∂L/∂θ` into `grads`.
    /// When a logit is NaN or ±∞ the loss is undefined: it returns NaN and
    /// leaves `grads` unspecified (callers stop training).
    ///
    /// # Panics
    /// As [`Mlp::forward`]; if `labels.len() != x.rows()`, a label is not below
    /// the output size, or `grads` has another shape.
    pub fn loss_and_gradients(
        &self,
        x: MatRef<'_>,
        labels: &[u8],
        ws: &mut Workspace,
        grads: &mut Gradients,
    ) -> f32 {
        ws.check(self, &x);
        assert_eq!(labels.len(), x.rows(), "one label per row");
        assert!(grads.fits(self), "gradients of another network shape");
        self.forward_unchecked(x, ws);
        let (b, classes, last) = (x.rows(), self.output_size(), self.layers.len() - 1);
        let logits = &ws.acts[last][..b * classes];
        if logits.iter().any(|z| !z.is_finite()) {
            // The loss below checks the labels; a non-finite logit must not
            // skip that check.
            if let Some(&y) = labels.iter().find(|&&y| usize::from(y) >= classes) {
                panic!("label {y} is not below the network's {classes} outputs");
            }
            return f32::NAN;
        }
        let loss = activation::softmax_cross_entropy(
            logits,
            labels,
            classes,
            &mut ws.delta[..b * classes],
        );
        for l in (0..=last).rev() {
            self.backward_layer(l, x, ws, &mut grads.layers[l]);
        }
        loss
    }

    /// Back-propagates `ws.delta` (∂L/∂Z of layer `l`) into the gradients of
    /// layer `l` and, unless `l == 0`, into ∂L/∂Z of layer `l − 1`.
    fn backward_layer(&self, l: usize, x: MatRef<'_>, ws: &mut Workspace, g: &mut Dense) {
        let b = x.rows();
        let layer = &self.layers[l];
        let (fan_in, fan_out) = (layer.fan_in(), layer.fan_out());
        let delta = row_major(&ws.delta, b, fan_out);
        let input = if l == 0 {
            x
        } else {
            row_major(&ws.acts[l - 1], b, fan_in)
        };
        let (gw, gb) = g.params_mut();
        // ∂L/∂W = Δᵀ·A, [out × in]: hinted on the images, or on Δ after a
        // ReLU.
        let gw = row_major_mut(gw, fan_out, fan_in);
        let hint = if l == 0 { SkipZeros::B } else { SkipZeros::A };
        let relu = self.activation == Activation::Relu;
        let last = self.layers.len() - 1;
        gemm_with(
            &skipping(&ws.gemm_config, l == 0 || (relu && l < last), hint),
            1.0,
            delta.t(),
            input,
            0.0,
            gw,
            &mut ws.gemm,
        );
        // ∂L/∂b = column sums of Δ.
        gb.fill(0.0);
        for row in ws.delta[..b * fan_out].chunks_exact(fan_out) {
            for (s, &d) in gb.iter_mut().zip(row) {
                *s += d;
            }
        }
        if l == 0 {
            return;
        }
        // ∂L/∂A₍ₗ₋₁₎ = Δ·W, then Δ₍ₗ₋₁₎ = that ⊙ act′(A₍ₗ₋₁₎).
        let da = row_major_mut(&mut ws.delta_prev, b, fan_in);
        gemm_with(
            &skipping(
                &ws.gemm_config,
                self.activation == Activation::Relu,
                SkipZeros::A,
            ),
            1.0,
            delta,
            layer.weight().view(),
            0.0,
            da,
            &mut ws.gemm,
        );
        activation_backward(
            self.activation,
            &ws.acts[l - 1][..b * fan_in],
            &mut ws.delta_prev[..b * fan_in],
            ws.gemm_config.threads,
        );
        core::mem::swap(&mut ws.delta, &mut ws.delta_prev);
    }

    /// Loss and accuracy on one batch without gradients: returns
    /// `(Σᵢ lossᵢ, number of rows whose arg-max logit equals the label)`.
    /// The sum (not the mean) lets callers average over batches of any size.
    ///
    /// # Panics
    /// As [`Mlp::forward`]; if `labels.len() != x.rows()` or a label is not below
    /// the output size.
    pub fn evaluate_batch(&self, x: MatRef<'_>, labels: &[u8], ws: &mut Workspace) -> (f64, usize) {
        ws.check(self, &x);
        assert_eq!(labels.len(), x.rows(), "one label per row");
        self.forward_unchecked(x, ws);
        let (b, classes, last) = (x.rows(), self.output_size(), self.layers.len() - 1);
        let logits = &ws.acts[last][..b * classes];
        let correct = logits
            .chunks_exact(classes)
            .zip(labels)
            .filter(|&(row, &y)| argmax(row) == usize::from(y))
            .count();
        let mean = activation::softmax_cross_entropy(
            logits,
            labels,
            classes,
            &mut ws.delta[..b * classes],
        );
        (f64::from(mean) * b as f64, correct)
    }
}

impl Mlp {
    /// Writes the predicted class (arg-max logit, the first on ties; a NaN
    /// logit never wins) of every row of `x` into `classes`.
    ///
    /// # Panics
    /// As [`Mlp::forward`]; if `classes.len() != x.rows()`, or the network
    /// has more than 256 outputs (a class that `u8` cannot hold).
    ///
    /// # Examples
    /// ```
    /// use deepinit::{activation::Activation, mat::MatRef, matrix::Matrix};
    /// use deepinit::mlp::{Dense, Mlp, Workspace};
    /// // Logits = the inputs themselves (identity weights, zero bias).
    /// let w = Matrix::from_vec(vec![1.0, 0.0, 0.0, 1.0], 2, 2)?;
    /// let net = Mlp::from_layers(vec![Dense::from_parts(w, vec![0.0; 2])], Activation::Relu)?;
    /// let mut ws = Workspace::new(&net, 4);
    /// let mut out = [9u8; 2];
    /// net.predict(MatRef::from_row_major(&[0.1, 0.7, 0.4, -1.0], 2, 2)?, &mut ws, &mut out);
    /// assert_eq!(out, [1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict(&self, x: MatRef<'_>, ws: &mut Workspace, classes: &mut [u8]) {
        assert_eq!(classes.len(), x.rows(), "one output per row");
        assert!(
            self.output_size() <= 256,
            "predict: {} classes do not fit in u8",
            self.output_size()
        );
        let logits = self.forward(x, ws);
        for (i, out) in classes.iter_mut().enumerate() {
            let row = logits
                .row(i)
                .unwrap_or_else(|| unreachable!("row-major logits"));
            *out = u8::try_from(argmax(row)).unwrap_or_else(|_| unreachable!("≤ 256 outputs"));
        }
    }
}

/// How many threads' GEMM workspace a network's products can use: at most
/// `threads`, and no more than the largest product splits into (so a huge
/// thread count allocates no more than a useful one).
fn gemm_threads(sizes: &[usize], max_batch: usize, threads: usize) -> usize {
    let useful = |m, k, n| crate::gemm::useful_threads(m, k, n, threads);
    sizes
        .windows(2)
        .map(|w| {
            let (i, o, b) = (w[0], w[1], max_batch);
            // Forward b×i·i×o, weight gradient o×b·b×i, input gradient b×o·o×i.
            useful(b, i, o).max(useful(o, b, i)).max(useful(b, o, i))
        })
        .max()
        .unwrap_or(1)
}

/// Index of the first largest entry; a NaN never wins (0 if all are NaN).
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = None;
    for (j, &v) in row.iter().enumerate() {
        // `v > max` is false for a NaN `v`; a NaN is never the max.
        if best.is_none_or(|(_, max)| v > max) && !v.is_nan() {
            best = Some((j, v));
        }
    }
    best.map_or(0, |(j, _)| j)
}

/// `c` with the zero-skipping hint for `which` operand when `on`.
///
/// Hinted (see [`SkipZeros`]; the values are those of the plain product):
/// the forward product of the first layer (images: MNIST is 81 % zeros)
/// and of layers after a ReLU; the first layer's weight gradient `Δᵀ·X`
/// (hint on X: 60 % of the terms of 8 pixels are zero in all 8, which the
/// packed path skips; Δ's own zeros measured no faster there); `Δ·W` and
/// the weight gradient `Δᵀ·A` of a hidden layer after a ReLU (Δ is zero
/// where the unit was off). In a 784-512-512-512-512-10 network the ReLU
/// outputs are 51–62 % zeros over the first epoch and 66–80 % by the
/// fourth, few enough nonzeros for the sparse path (at most 2/3 nonzero;
/// see `gemm::sparse`), which skips each row's own zeros.
fn skipping(c: &GemmConfig, on: bool, which: SkipZeros) -> GemmConfig {
    c.with_skip_zeros(if on { which } else { SkipZeros::None })
}

#[cfg(test)]
mod tests {
    use super::argmax;

    #[test]
    fn argmax_takes_the_first_largest_and_never_a_nan() {
        let nan = f32::NAN;
        assert_eq!(argmax(&[nan, 1.0, 0.5]), 1);
        assert_eq!(argmax(&[1.0, nan, 2.0, 2.0]), 2);
        assert_eq!(argmax(&[-1.0, -1.0, nan]), 0);
        assert_eq!(argmax(&[nan, nan]), 0);
        assert_eq!(argmax(&[f32::NEG_INFINITY, nan, -3.0]), 2);
    }
}
