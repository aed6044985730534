//! # deepinit
//!
//! Small neural networks that start well and run anywhere.
//!
//! deepinit tells the classic story of weight initialization in code: a network
//! trained from a bad start learns badly; RBM/DBN pre-training was the old fix;
//! Xavier/Glorot and He/Kaiming initialization are the modern one. Every kernel
//! it needs is here, in additive layers (each feature turns on the rows
//! before it):
//!
//! | layer | feature | what |
//! |---|---|---|
//! | core | (none) | [`mat`] views, [`gemm`], [`activation`], [`rng`], [`init`], [`idx`], [`sha256`] — `#![no_std]`, no allocator |
//! | alloc | `alloc` | owned [`matrix::Matrix`], [`mlp`], [`optim`] |
//! | std | `std` (default) | [`mnist`] loader, [`train`] harness, [`checkpoint`] files |
//! | parallel | `parallel` | a worker pool for large GEMMs (a thread per core by default, [`gemm::set_num_threads`]), the Adam step and a training step's element-wise passes (their own counts: [`train::TrainConfig`]'s `threads`, [`mlp::Workspace::with_threads`], [`optim::Optimizer::set_threads`]); bit-identical results |
//!
//! The same seed gives bit-identical initial weights on every target: the
//! initialization and sampling paths use only `+ − × ÷`, comparisons and `libm`.
//!
//! # Example
//!
//! Initialize a 784 → 256 layer with Xavier/Glorot and run it on a batch,
//! without allocating in the kernels:
//!
//! ```
//! use deepinit::gemm::{gemm, gemm_workspace_len};
//! use deepinit::init::{Fans, Init};
//! use deepinit::{MatMut, MatRef};
//! use rand_core::SeedableRng;
//!
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
//! let mut w = vec![0.0f32; 256 * 784]; // PyTorch layout [out × in]
//! Init::xavier_uniform(1.0).fill(&mut w, Fans::new(784, 256), &mut rng)?;
//!
//! let x = vec![0.5f32; 4 * 784]; // a batch of 4 inputs
//! let mut z = vec![0.0f32; 4 * 256];
//! let mut ws = vec![0.0f32; gemm_workspace_len(4, 784, 256)];
//! // Z = X · Wᵀ: the transpose is a free view.
//! let (xv, wv) = (MatRef::from_row_major(&x, 4, 784)?, MatRef::from_row_major(&w, 256, 784)?);
//! gemm(1.0, xv, wv.t(), 0.0, MatMut::from_row_major(&mut z, 4, 256)?, &mut ws);
//! deepinit::activation::relu(&mut z);
//! assert!(z.iter().all(|&v| v >= 0.0));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// The crate's docs link to every layer's items; documented without `std`
// (the core alone), the links to the layers left out have no target.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod activation;
pub mod gemm;
pub mod idx;
pub mod init;
pub mod mat;
pub mod rng;
pub mod sha256;

#[cfg(feature = "alloc")]
mod par;

#[cfg(feature = "alloc")]
pub mod matrix;
#[cfg(feature = "alloc")]
pub mod mlp;
#[cfg(feature = "alloc")]
pub mod optim;

#[cfg(feature = "std")]
pub mod checkpoint;
#[cfg(feature = "std")]
pub mod mnist;
#[cfg(feature = "std")]
pub mod train;

pub use mat::{MatMut, MatRef, ShapeError};
