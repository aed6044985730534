//! A training step (forward, backward, optimizer update) allocates nothing
//! once the network, its workspace, gradients and optimizer exist: a
//! counting global allocator checks it, on one thread from the first step
//! and, with `parallel`, on the worker pool once the first step started it.
//! (On a busy machine the pool may run a product on the caller alone; the
//! two-thread case then checks that path.)
//!
//! The count is process-wide (the pool's workers run on other threads), so
//! this binary has no test harness (`harness = false`): libtest's own
//! threads allocate at times of their choosing (its first wait on a
//! channel does), and no other thread may run while it counts.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

struct Counting;

fn count() {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to the system allocator unchanged; the
// wrapper only counts allocations and reallocations.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as received from the caller, who owns `ptr`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    // The library's training step needs `alloc`; without it there is
    // nothing to count.
    #[cfg(feature = "alloc")]
    {
        step::a_training_step_allocates_nothing();
        println!("test a_training_step_allocates_nothing ... ok");
    }
    #[cfg(not(feature = "alloc"))]
    println!("test a_training_step_allocates_nothing ... ignored (needs alloc)");
}

#[cfg(feature = "alloc")]
mod step {
    use super::{ALLOCATIONS, COUNTING};
    use deepinit::activation::Activation;
    use deepinit::init::Init;
    use deepinit::mat::MatRef;
    use deepinit::mlp::{BiasInit, Gradients, Mlp, Workspace};
    use deepinit::optim::{AdamConfig, Optimizer, OptimizerConfig, SgdConfig};
    use rand_core::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::sync::atomic::Ordering;

    const BATCH: usize = 64;
    const SIZES: [usize; 4] = [784, 128, 64, 10];

    /// Allocations made by `steps` training steps, the first included on one
    /// thread; on more, after one step that starts the worker pool.
    fn allocations(config: OptimizerConfig, threads: usize, steps: usize) -> usize {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut net = Mlp::new(
            &SIZES,
            Activation::Relu,
            &Init::he_uniform(),
            &BiasInit::Default,
            &mut rng,
        )
        .unwrap();
        let mut ws = Workspace::with_threads(&net, BATCH, threads);
        let mut grads = Gradients::new(&net);
        let mut opt = Optimizer::new(config, &net.param_lens()).unwrap();
        opt.set_threads(threads);
        // Image-like inputs (most pixels 0) so that the zero-skipping paths run.
        let x: Vec<f32> = (0..BATCH * SIZES[0])
            .map(|_| match rng.next_u32() % 5 {
                0 => (rng.next_u32() % 256) as f32 / 255.0,
                _ => 0.0,
            })
            .collect();
        let labels: Vec<u8> = (0..BATCH).map(|_| (rng.next_u32() % 10) as u8).collect();
        let x = MatRef::from_row_major(&x, BATCH, SIZES[0]).unwrap();
        let mut step = || {
            let loss = net.loss_and_gradients(x, &labels, &mut ws, &mut grads);
            assert!(loss.is_finite());
            opt.step(net.params_and_grads(&grads));
        };
        if threads > 1 {
            step();
        }
        ALLOCATIONS.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        for _ in 0..steps {
            step();
        }
        COUNTING.store(false, Ordering::Relaxed);
        ALLOCATIONS.load(Ordering::Relaxed)
    }

    pub fn a_training_step_allocates_nothing() {
        let adam = OptimizerConfig::Adam(AdamConfig {
            weight_decay: 1e-4,
            ..AdamConfig::new(1e-3)
        });
        let sgd = OptimizerConfig::Sgd(SgdConfig {
            momentum: 0.9,
            nesterov: true,
            ..SgdConfig::new(0.01)
        });
        let threads: &[usize] = if cfg!(feature = "parallel") {
            &[1, 2]
        } else {
            &[1]
        };
        for &t in threads {
            for config in [adam, sgd] {
                assert_eq!(
                    allocations(config, t, 3),
                    0,
                    "{config:?} on {t} thread(s) allocated during a step"
                );
            }
        }
        // The counter sees allocations: the check above can fail.
        ALLOCATIONS.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        let v = std::hint::black_box(vec![1u8; 10]);
        COUNTING.store(false, Ordering::Relaxed);
        drop(v);
        assert!(ALLOCATIONS.load(Ordering::Relaxed) >= 1);
    }
}
