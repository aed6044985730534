//! What an MLP checkpoint must contain, and its validation.
//!
//! Layer `i` of a network with sizes `[n₀, n₁, …, n_L]` maps `n_i → n_{i+1}`;
//! its tensors are `layers.{i}.weight` of shape `[n_{i+1}, n_i]` (`[out, in]`,
//! PyTorch's `nn.Linear` layout) and `layers.{i}.bias` of shape `[n_{i+1}]`.

use super::{Checkpoint, CheckpointError};
use std::string::{String, ToString};
use std::vec::Vec;

/// The version of the checkpoint layout written by this crate (metadata key
/// [`keys::FORMAT_VERSION`]).
pub const FORMAT_VERSION: &str = "1";

/// Metadata keys of an MLP checkpoint. Values are strings; numbers are written
/// with Rust's `Display` (shortest round-trip form for floats).
pub mod keys {
    /// Layout version, [`FORMAT_VERSION`](super::FORMAT_VERSION).
    pub const FORMAT_VERSION: &str = "format_version";
    /// Layer sizes, comma-separated, e.g. `784,256,256,10`.
    pub const ARCHITECTURE: &str = "architecture";
    /// Hidden activation: `relu`, `sigmoid`, `tanh` or `identity`.
    pub const ACTIVATION: &str = "activation";
    /// Weight initializer, by the program's canonical name (e.g.
    /// `xavier-uniform`; `--init normal:1` is saved as `normal`).
    pub const INIT: &str = "init";
    /// Bias initializer: `default` or `zeros`.
    pub const BIAS_INIT: &str = "bias_init";
    /// The run's seed.
    pub const SEED: &str = "seed";
    /// Epochs completed.
    pub const EPOCH: &str = "epoch";
    /// Optimizer name: `adam` or `sgd`.
    pub const OPTIMIZER: &str = "optimizer";
    /// Number of training images (each epoch's shuffle depends on it), see
    /// [`Checkpoint::set_train_data`](crate::checkpoint::Checkpoint::set_train_data).
    pub const TRAIN_SAMPLES: &str = "train_samples";
    /// SHA-256 (hex) of the training labels followed by the pixels, see
    /// [`train_data_sha256`](crate::checkpoint::train_data_sha256).
    pub const TRAIN_DATA_SHA256: &str = "train_data_sha256";
}

/// `[784, 256, 10]` → `"784,256,10"`.
pub(crate) fn join(sizes: &[usize]) -> String {
    let parts: Vec<String> = sizes.iter().map(ToString::to_string).collect();
    parts.join(",")
}

/// Parses `"784,256,10"`.
fn parse_sizes(value: &str) -> Option<Vec<usize>> {
    let sizes: Option<Vec<usize>> = value.split(',').map(|s| s.trim().parse().ok()).collect();
    sizes.filter(|s| s.len() >= 2 && s.iter().all(|&n| n > 0))
}

/// The name of layer `i`'s weight tensor, `layers.{i}.weight`.
pub(crate) fn weight_name(i: usize) -> String {
    std::format!("layers.{i}.weight")
}

/// The name of layer `i`'s bias tensor, `layers.{i}.bias`.
pub(crate) fn bias_name(i: usize) -> String {
    std::format!("layers.{i}.bias")
}

impl Checkpoint {
    /// The metadata value of `key`, which must be present.
    ///
    /// # Errors
    /// [`CheckpointError::MissingMetadata`].
    pub fn require_metadata(&self, key: &'static str) -> Result<&str, CheckpointError> {
        self.metadata(key)
            .ok_or(CheckpointError::MissingMetadata { key })
    }

    /// The metadata value of `key` parsed as `T`.
    ///
    /// # Errors
    /// [`CheckpointError::MissingMetadata`], or [`CheckpointError::BadMetadata`]
    /// naming `expected` if the value does not parse.
    pub fn parse_metadata<T: core::str::FromStr>(
        &self,
        key: &'static str,
        expected: &'static str,
    ) -> Result<T, CheckpointError> {
        let value = self.require_metadata(key)?;
        value.parse().map_err(|_| CheckpointError::BadMetadata {
            key,
            value: value.into(),
            expected,
        })
    }

    /// Checks that this is an MLP checkpoint of the current layout version
    /// whose every layer tensor is present with the shape its
    /// `architecture` implies, and returns the layer sizes.
    ///
    /// With `expected = Some(sizes)`, a checkpoint of other sizes is rejected
    /// with [`CheckpointError::ArchitectureMismatch`].
    ///
    /// # Errors
    /// [`CheckpointError::MissingMetadata`], [`CheckpointError::BadMetadata`],
    /// [`CheckpointError::ArchitectureMismatch`],
    /// [`CheckpointError::MissingTensor`], [`CheckpointError::ShapeMismatch`],
    /// [`CheckpointError::UnsupportedDtype`] (a layer tensor not in f32) or
    /// [`CheckpointError::BadTensor`] (a layer beyond the architecture).
    ///
    /// # Examples
    /// ```
    /// use deepinit::checkpoint::{Checkpoint, CheckpointError, keys};
    /// let mut ckpt = Checkpoint::new();
    /// ckpt.set_metadata(keys::FORMAT_VERSION, "1");
    /// ckpt.set_metadata(keys::ARCHITECTURE, "3,2");
    /// ckpt.push("layers.0.weight", &[2, 3], vec![0.0; 6]);
    /// ckpt.push("layers.0.bias", &[2], vec![0.0; 2]);
    /// assert_eq!(ckpt.check_model(None)?, vec![3, 2]);
    /// assert!(matches!(
    ///     ckpt.check_model(Some(&[3, 4, 2])),
    ///     Err(CheckpointError::ArchitectureMismatch { .. })
    /// ));
    /// # Ok::<(), CheckpointError>(())
    /// ```
    pub fn check_model(&self, expected: Option<&[usize]>) -> Result<Vec<usize>, CheckpointError> {
        let version = self.require_metadata(keys::FORMAT_VERSION)?;
        if version != FORMAT_VERSION {
            let value = version.into();
            return Err(CheckpointError::BadMetadata {
                key: keys::FORMAT_VERSION,
                value,
                expected: "1",
            });
        }
        let arch = self.require_metadata(keys::ARCHITECTURE)?;
        let Some(sizes) = parse_sizes(arch) else {
            let expected = "comma-separated positive layer sizes, at least two";
            return Err(CheckpointError::BadMetadata {
                key: keys::ARCHITECTURE,
                value: arch.into(),
                expected,
            });
        };
        if let Some(expected) = expected
            && expected != sizes.as_slice()
        {
            return Err(CheckpointError::ArchitectureMismatch {
                expected: expected.to_vec(),
                found: sizes,
            });
        }
        for (i, pair) in sizes.windows(2).enumerate() {
            self.require(&weight_name(i), &[pair[1], pair[0]])?;
            self.require(&bias_name(i), &[pair[1]])?;
        }
        let extra = weight_name(sizes.len() - 1);
        if self.tensor(&extra).is_some() || self.skipped().iter().any(|(n, _)| *n == extra) {
            let reason = std::format!("a layer beyond the architecture {arch}");
            return Err(CheckpointError::BadTensor {
                tensor: extra,
                reason,
            });
        }
        Ok(sizes)
    }

    /// Layer `i`'s `(weight, bias)` values: weight row-major `[out × in]`.
    ///
    /// # Errors
    /// As [`require`](Self::require), and [`CheckpointError::BadTensor`] for a
    /// NaN or ±∞ value: the products skip zero inputs, so such a weight would
    /// not even show in the logits (PyTorch's would be NaN).
    pub fn layer(
        &self,
        i: usize,
        fan_in: usize,
        fan_out: usize,
    ) -> Result<(&[f32], &[f32]), CheckpointError> {
        let (weight, bias) = (weight_name(i), bias_name(i));
        Ok((
            finite(&weight, self.require(&weight, &[fan_out, fan_in])?)?,
            finite(&bias, self.require(&bias, &[fan_out])?)?,
        ))
    }
}

/// `values` of tensor `name` if all are finite, else
/// [`CheckpointError::BadTensor`] naming the first that is not.
pub(super) fn finite<'a>(name: &str, values: &'a [f32]) -> Result<&'a [f32], CheckpointError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(values),
        Some(i) => Err(CheckpointError::BadTensor {
            tensor: name.into(),
            reason: std::format!("value {} at index {i}: it must be finite", values[i]),
        }),
    }
}
