//! # deepinit
//!
//! Small neural networks that start well and run anywhere.
//!
//! deepinit tells the classic story of weight initialization in code: a network
//! trained from a bad start learns badly; RBM/DBN pre-training was the old fix;
//! Xavier/Glorot and He/Kaiming initialization are the modern one. Every kernel
//! it needs is here, in three additive layers:
//!
//! | layer | feature | what |
//! |---|---|---|
//! | core | (none) | [`mat`] views, [`gemm`], [`activation`], [`rng`], [`init`], [`idx`] — `#![no_std]`, no allocator |
//! | alloc | `alloc` | owned [`matrix::Matrix`], [`mlp`], [`optim`] |
//! | std | `std` (default) | [`mnist`] loader, [`train`] harness, [`checkpoint`] files |
//!
//! The same seed gives bit-identical initial weights on every target: the
//! initialization and sampling paths use only `+ − × ÷`, comparisons and `libm`.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
