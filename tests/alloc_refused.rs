//! Memory the allocator refuses is an error, not an abort: a global
//! allocator that refuses every block over a per-thread limit stands in for
//! a small heap (a microcontroller's, or a process under `ulimit -v`).
#![cfg(feature = "alloc")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use deepinit::activation::Activation;
use deepinit::init::Init;
use deepinit::matrix::{Matrix, MatrixError};
use deepinit::mlp::{BiasInit, Gradients, Mlp, MlpError};
use deepinit::optim::{AdamConfig, OptimError, Optimizer, OptimizerConfig, SgdConfig};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

thread_local! {
    /// The largest block this thread may allocate.
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

struct Limited;

fn refused(layout: Layout) -> bool {
    layout.size() > LIMIT.try_with(Cell::get).unwrap_or(usize::MAX)
}

// SAFETY: a block is either refused (null, which `GlobalAlloc` allows for
// any request) or obtained from the system allocator with the caller's
// layout; frees and reallocations go to the system allocator unchanged.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if refused(layout) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The new layout is valid: the caller guarantees it.
        if refused(Layout::from_size_align(new_size, layout.align()).unwrap()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as received from the caller, who owns `ptr`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Limited = Limited;

const MIB: usize = 1 << 20;

/// Runs `f` with blocks over `limit` bytes refused on this thread.
fn with_limit<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    LIMIT.with(|l| l.set(limit));
    let out = f();
    LIMIT.with(|l| l.set(usize::MAX));
    out
}

/// 10 → 1000 → 1000 → 10: layer 1 holds 10⁶ weights (4 MB), the others
/// at most 40 kB.
const SIZES: [usize; 4] = [10, 1000, 1000, 10];

fn mlp_with(init: &Init) -> Result<Mlp, MlpError> {
    Mlp::new(
        &SIZES,
        Activation::Relu,
        init,
        &BiasInit::Default,
        &mut Xoshiro256PlusPlus::seed_from_u64(1),
    )
}

fn mlp() -> Result<Mlp, MlpError> {
    mlp_with(&Init::xavier_uniform(1.0))
}

#[test]
fn the_test_allocator_refuses_only_over_the_limit() {
    let reserve = |n: usize| Vec::<u8>::new().try_reserve_exact(n);
    with_limit(MIB, || {
        assert!(reserve(MIB).is_ok());
        assert!(reserve(MIB + 1).is_err());
    });
    assert!(reserve(MIB + 1).is_ok());
}

#[test]
fn a_matrix_the_allocator_refuses_is_an_error() {
    assert_eq!(
        with_limit(MIB, || Matrix::try_zeros(1000, 1000)),
        Err(MatrixError::TooLarge {
            rows: 1000,
            cols: 1000
        })
    );
    assert_eq!(
        with_limit(4_000_000, || Matrix::try_zeros(1000, 1000)).unwrap(),
        Matrix::zeros(1000, 1000)
    );
}

#[test]
fn a_network_the_allocator_refuses_is_an_error() {
    assert_eq!(
        with_limit(MIB, mlp).unwrap_err(),
        MlpError::TooLarge { layer: 1 }
    );
    // With the memory, the same call builds the network.
    let net = with_limit(4_000_000, mlp).unwrap();
    assert_eq!(net.sizes(), SIZES);
}

/// Orthogonal initialization's QR scratch (two f64 buffers of the layer's
/// size) is refused as an error too, before it touches the weights or
/// draws from the generator.
#[test]
fn orthogonal_scratch_the_allocator_refuses_is_an_error() {
    use deepinit::init::{Fans, InitError};
    use rand_core::Rng;
    let scratch = InitError::ScratchTooLarge {
        init: "orthogonal",
        len: 1_000_000,
    };
    let mut w = vec![0.5f32; 1_000_000];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let err = with_limit(MIB, || {
        Init::orthogonal(1.0).fill(&mut w, Fans::new(1000, 1000), &mut rng)
    });
    assert_eq!(err, Err(scratch));
    assert!(w.iter().all(|&x| x == 0.5));
    assert_eq!(
        rng.next_u64(),
        Xoshiro256PlusPlus::seed_from_u64(3).next_u64()
    );
    // In a network: the 4 MB of weights fit under 5 MB, the 8 MB scratch
    // does not.
    let orthogonal = || mlp_with(&Init::orthogonal(1.0));
    assert_eq!(
        with_limit(5 * MIB, orthogonal).unwrap_err(),
        MlpError::Init {
            layer: 1,
            source: scratch
        }
    );
    assert!(with_limit(8_000_000, orthogonal).is_ok());
}

#[test]
fn gradients_the_allocator_refuses_are_an_error() {
    let net = mlp().unwrap();
    assert_eq!(
        with_limit(MIB, || Gradients::try_new(&net)).unwrap_err(),
        MlpError::GradientsTooLarge { layer: 1 }
    );
    let grads = with_limit(4_000_000, || Gradients::try_new(&net)).unwrap();
    assert_eq!(grads, Gradients::new(&net));
}

#[test]
fn optimizer_state_the_allocator_refuses_is_an_error() {
    let lens = mlp().unwrap().param_lens();
    assert_eq!(lens[2], 1_000_000); // layer 1's weight
    let adam = OptimizerConfig::Adam(AdamConfig::new(1e-3));
    assert_eq!(
        with_limit(MIB, || Optimizer::new(adam, &lens)).unwrap_err(),
        OptimError::StateTooLarge {
            param: 2,
            len: 1_000_000
        }
    );
    assert!(with_limit(4_000_000, || Optimizer::new(adam, &lens)).is_ok());
    // Plain SGD keeps no state: nothing to refuse.
    let sgd = OptimizerConfig::Sgd(SgdConfig::new(0.1));
    assert!(with_limit(MIB, || Optimizer::new(sgd, &lens)).is_ok());
}

#[cfg(feature = "std")]
#[test]
fn a_trainer_the_allocator_refuses_is_an_error() {
    use deepinit::train::{TrainConfig, TrainError, Trainer};
    let config = TrainConfig::new(SIZES.to_vec());
    let err = with_limit(MIB, || Trainer::new(config.clone())).unwrap_err();
    assert!(
        matches!(err, TrainError::Model(MlpError::TooLarge { layer: 1 })),
        "{err}"
    );
    assert!(with_limit(8 * MIB, || Trainer::new(config)).is_ok());
}
