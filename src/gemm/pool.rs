//! A persistent pool of worker threads for fork–join work (feature
//! `parallel`): [`for_each`] runs `f(0) … f(count − 1)` on the calling thread
//! and on parked workers, and returns when all are done, so `f` may borrow
//! from the caller (a scoped API, as `std::thread::scope`, without creating a
//! thread per call).
//!
//! Tasks are claimed from a shared counter, so a worker that wakes late (the
//! machine is busy) simply gets fewer tasks: the caller claims the rest and,
//! at the end, withdraws the offer from every worker that has not started.
//! So a call is never much slower than running every task on the caller.
//! An idle worker spins for [`SPIN`] (the next product of a training step is
//! usually microseconds away) and then parks on a condition variable. One
//! caller at a time owns the pool; a concurrent or nested call runs its tasks
//! on its own thread. Which thread runs a task never changes what it computes.
//!
//! On a machine with more runnable threads than cores (another program
//! busy), a spinning worker takes a share of a core from the caller, and a
//! worker descheduled in the middle of its task makes the caller wait for
//! a whole time slice: two threads then run slower than one (784-256-256-10
//! on two cores beside a busy loop: 0.72–1.04 s an epoch on two threads,
//! 0.52 s on one). So when the workers run nothing of a call that kept the
//! caller busy for [`MIN_STRIKE`], or the caller waits for them longer than
//! it worked, twice in a row, the pool runs the next calls on the caller
//! alone for a while (the workers park) and then tries them again
//! ([`Backoff`]): 0.55–0.57 s an epoch in that test, and the same speed as
//! before on an idle machine.

#![allow(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, TryLockError};
use std::time::{Duration, Instant};
use std::vec::Vec;

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(200);
/// How long [`Worker::spawn`] waits at most for a new thread to start.
const START_WAIT: Duration = Duration::from_millis(100);
/// A call whose caller worked or waited less than this is never a strike
/// (small tasks, a parked worker's wake-up latency).
const MIN_STRIKE: Duration = Duration::from_micros(50);
/// Consecutive strikes that start a solo period.
const STRIKES: u32 = 2;
/// The first solo period; each next one is twice as long, up to
/// [`SOLO_MAX`], until [`HEALTHY`] calls pass without a strike.
const SOLO_MIN: Duration = Duration::from_millis(10);
/// The longest solo period.
const SOLO_MAX: Duration = Duration::from_secs(1);
/// Calls without a strike after which the solo period starts over at
/// [`SOLO_MIN`].
const HEALTHY: u32 = 256;

/// Worker states.
const IDLE: u8 = 0;
const OFFERED: u8 = 1;
const RUNNING: u8 = 2;

/// A claim loop with its lifetimes erased; valid while the offer stands or
/// the worker is `RUNNING` (the posting call waits for both to end).
#[derive(Clone, Copy)]
struct Job {
    f: *const (dyn Fn(usize) + Sync + 'static),
    next: *const AtomicUsize,
    count: usize,
}

// SAFETY: `f` points to a `Sync` closure and `next` to an atomic, so both may
// be used from another thread; the posting call outlives every use.
unsafe impl Send for Job {}

impl Job {
    /// Claims and runs tasks until none is left; returns how many it ran.
    ///
    /// # Safety
    /// The pointers must be valid (see [`Job`]).
    unsafe fn claim_all(self) -> usize {
        // SAFETY: valid by the contract.
        let (f, next) = unsafe { (&*self.f, &*self.next) };
        let mut ran = 0;
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= self.count {
                return ran;
            }
            f(i);
            ran += 1;
        }
    }
}

/// A panic's payload, as `catch_unwind` returns it.
type Payload = std::boxed::Box<dyn core::any::Any + Send>;

/// One worker's mailbox.
struct Worker {
    state: AtomicU8,
    /// Set by the worker's thread when it begins to serve; [`Worker::spawn`]
    /// waits for it.
    started: AtomicBool,
    /// The panic of the worker's last job, for the caller to resume (moved
    /// there, never dropped on the worker: a payload whose `Drop` panicked
    /// would end the worker while it is `RUNNING`, and the caller would
    /// wait for it forever).
    panic: Mutex<Option<Payload>>,
    job: Mutex<Option<Job>>,
    /// Guards `sleeping` transitions against lost wake-ups.
    sleeping: Mutex<bool>,
    wake: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Worker {
    fn spawn() -> Option<Arc<Worker>> {
        let w = Arc::new(Worker {
            state: AtomicU8::new(IDLE),
            started: AtomicBool::new(false),
            panic: Mutex::new(None),
            job: Mutex::new(None),
            sleeping: Mutex::new(false),
            wake: Condvar::new(),
        });
        let mine = Arc::clone(&w);
        std::thread::Builder::new()
            .name("deepinit-worker".into())
            .spawn(move || mine.serve())
            .ok()?;
        // A new thread allocates while it starts (measured: once, 15 bytes).
        // Waiting for it lets that happen before the first job, so that later
        // parallel products and optimizer steps allocate nothing. The wait is
        // bounded: where a thread cannot start yet (on Windows, while the
        // spawner holds the loader lock, e.g. in a thread-local destructor),
        // the pool goes on and the worker serves once it runs.
        let start = Instant::now();
        while !w.started.load(Ordering::Acquire) && start.elapsed() < START_WAIT {
            std::thread::yield_now();
        }
        Some(w)
    }

    /// The worker thread's loop: wait for an offer, take it, run it, report.
    fn serve(&self) {
        self.started.store(true, Ordering::Release);
        loop {
            self.wait_for_offer();
            if self
                .state
                .compare_exchange(OFFERED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                continue; // withdrawn
            }
            let job = *lock(&self.job);
            if let Some(j) = job {
                // SAFETY: while this worker is RUNNING the poster waits, so
                // the job's pointers stay valid.
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| unsafe { j.claim_all() })) {
                    *lock(&self.panic) = Some(payload);
                }
            }
            self.state.store(IDLE, Ordering::Release);
        }
    }

    /// Spins, then parks, until an offer is posted.
    fn wait_for_offer(&self) {
        let start = Instant::now();
        let mut spins = 0u32;
        while self.state.load(Ordering::Relaxed) != OFFERED {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) && start.elapsed() > SPIN {
                let mut sleeping = lock(&self.sleeping);
                *sleeping = true;
                while self.state.load(Ordering::Relaxed) != OFFERED {
                    sleeping = self.wake.wait(sleeping).unwrap_or_else(|e| e.into_inner());
                }
                *sleeping = false;
            }
        }
    }

    /// Offers `job` to the (idle) worker.
    fn offer(&self, job: Job) {
        *lock(&self.job) = Some(job);
        let sleeping = lock(&self.sleeping);
        self.state.store(OFFERED, Ordering::Release);
        if *sleeping {
            self.wake.notify_one();
        }
    }

    /// Withdraws the offer if not taken, else waits until the job is done.
    /// Returns the job's panic, if it panicked.
    fn settle(&self) -> Option<Payload> {
        if self
            .state
            .compare_exchange(OFFERED, IDLE, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            return None;
        }
        let mut spins = 0u32;
        while self.state.load(Ordering::Acquire) != IDLE {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) {
                std::thread::yield_now();
            }
        }
        lock(&self.panic).take()
    }
}

/// The workers, and when to leave them idle.
struct Pool {
    workers: Vec<Arc<Worker>>,
    backoff: Backoff,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    workers: Vec::new(),
    backoff: Backoff::new(),
});

/// Whether calls should leave the workers idle. A call is a strike when the
/// caller ran every task for at least [`MIN_STRIKE`] (no worker took one),
/// or waited for the workers longer than it worked (and at least
/// [`MIN_STRIKE`]). [`STRIKES`] in a row start a solo period; each period
/// is twice the last (up to [`SOLO_MAX`]) until [`HEALTHY`] calls pass
/// without a strike, which starts them over at [`SOLO_MIN`]. Only the speed
/// depends on it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Backoff {
    /// Solo until this instant.
    until: Option<Instant>,
    strikes: u32,
    healthy: u32,
    solo: Duration,
}

impl Backoff {
    const fn new() -> Self {
        Self {
            until: None,
            strikes: 0,
            healthy: 0,
            solo: SOLO_MIN,
        }
    }

    /// Whether a call at `now` should run on the caller alone.
    fn solo(&self, now: Instant) -> bool {
        self.until.is_some_and(|t| now < t)
    }

    /// Records a call that ended at `now`, its caller having worked `own`
    /// (running every task if `alone`) and then waited `waited` for the
    /// workers.
    fn record(&mut self, now: Instant, own: Duration, waited: Duration, alone: bool) {
        let idle_workers = alone && own >= MIN_STRIKE;
        if !idle_workers && waited <= own.max(MIN_STRIKE) {
            self.strikes = 0;
            self.healthy = self.healthy.saturating_add(1);
            if self.healthy >= HEALTHY {
                self.solo = SOLO_MIN;
            }
            return;
        }
        self.healthy = 0;
        self.strikes += 1;
        if self.strikes >= STRIKES {
            self.strikes = 0;
            self.until = Some(now + self.solo);
            self.solo = (self.solo * 2).min(SOLO_MAX);
        }
    }
}

/// Settles every offer, even during unwinding.
struct Settle<'a>(&'a [Arc<Worker>]);

impl Settle<'_> {
    /// Settles every worker; returns the first panic among their jobs.
    fn run(&self) -> Option<Payload> {
        self.0.iter().fold(None, |first, w| first.or(w.settle()))
    }
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // This thread's own panic goes on; a worker's is dropped here.
            drop(self.run());
        }
    }
}

/// Runs `f(i)` once for every `i < count`, on this thread and up to
/// `count − 1` pool workers (started on first use), and returns when all
/// have returned. If the pool is busy (a concurrent or nested call) the
/// tasks run here in index order.
///
/// # Panics
/// If a task panics (after every started task has finished).
pub(crate) fn for_each(count: usize, f: &(dyn Fn(usize) + Sync)) {
    if count <= 1 {
        return (0..count).for_each(f);
    }
    let mut guard = match POOL.try_lock() {
        Ok(p) => p,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => return (0..count).for_each(f),
    };
    let start = Instant::now();
    if guard.backoff.solo(start) {
        drop(guard);
        return (0..count).for_each(f);
    }
    let Pool { workers, backoff } = &mut *guard;
    while workers.len() < count - 1 {
        match Worker::spawn() {
            Some(w) => workers.push(w),
            None => break,
        }
    }
    let next = AtomicUsize::new(0);
    let job = Job {
        // SAFETY: only the lifetime is erased; `Settle` withdraws or waits
        // for every offer before this function returns or unwinds past `f`.
        f: unsafe { core::mem::transmute::<&(dyn Fn(usize) + Sync), _>(f) },
        next: &next,
        count,
    };
    let settle = Settle(&workers[..(count - 1).min(workers.len())]);
    settle.0.iter().for_each(|w| w.offer(job));
    // SAFETY: `f` and `next` live on this frame.
    let ran = unsafe { job.claim_all() };
    let worked = Instant::now();
    if let Some(payload) = settle.run() {
        drop(settle);
        // The task's own panic, with its message, as if it ran here.
        resume_unwind(payload);
    }
    let end = Instant::now();
    backoff.record(end, worked - start, end - worked, ran == count);
}

/// Runs `a` on a pool worker and `b` on this thread, and returns when both
/// have returned (as `rayon::join`, without results).
///
/// # Panics
/// If `a` or `b` panics.
pub(crate) fn join<A: FnOnce() + Send, B: FnOnce() + Send>(a: A, b: B) {
    let a = Mutex::new(Some(a));
    let b = Mutex::new(Some(b));
    for_each(2, &|i| {
        if i == 0 {
            if let Some(a) = a.lock().ok().and_then(|mut a| a.take()) {
                a();
            }
        } else if let Some(b) = b.lock().ok().and_then(|mut b| b.take()) {
            b();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_once_and_borrows_work() {
        let hits: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..100 {
            for_each(5, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
        }
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 100));
    }

    #[test]
    fn join_runs_both_sides_and_nested_calls_do_not_deadlock() {
        let (mut x, mut y) = (0, 0);
        join(
            || {
                x = 1;
                for_each(3, &|_| {});
            },
            || y = 2,
        );
        assert_eq!((x, y), (1, 2));
    }

    /// Two strikes in a row (long waits, or workers that ran nothing)
    /// start a solo period; it doubles while the strikes go on after it,
    /// and starts over after a healthy stretch.
    #[test]
    fn backoff_leaves_the_workers_idle_after_two_strikes() {
        let us = Duration::from_micros;
        let t0 = Instant::now();
        let mut b = Backoff::new();
        // Short waits, or waits shorter than the caller's own work: no strike.
        b.record(t0, us(10), us(40), false);
        b.record(t0, us(500), us(400), false);
        // The caller ran every task of a call too short to tell.
        b.record(t0, us(40), us(0), true);
        b.record(t0, us(100), us(300), false);
        assert!(!b.solo(t0), "one strike");
        b.record(t0, us(200), us(100), false);
        b.record(t0, us(10), us(60), false);
        assert!(!b.solo(t0), "one strike after a healthy call");
        b.record(t0, us(100), us(300), false);
        assert!(b.solo(t0) && b.solo(t0 + SOLO_MIN - us(1)));
        assert!(!b.solo(t0 + SOLO_MIN));
        // Striking out again right after: twice as long.
        let t1 = t0 + SOLO_MIN;
        b.record(t1, us(10), us(100), false);
        b.record(t1, us(10), us(100), false);
        assert!(b.solo(t1 + 2 * SOLO_MIN - us(1)) && !b.solo(t1 + 2 * SOLO_MIN));
        // A healthy stretch resets the period.
        let t2 = t1 + 2 * SOLO_MIN;
        for _ in 0..HEALTHY {
            b.record(t2, us(100), us(1), false);
        }
        b.record(t2, us(10), us(100), false);
        b.record(t2, us(10), us(100), false);
        assert!(b.solo(t2) && !b.solo(t2 + SOLO_MIN));
        // Calls long enough that an awake worker would have taken a task,
        // all run by the caller: strikes too.
        let t3 = t2 + SOLO_MIN;
        for _ in 0..HEALTHY {
            b.record(t3, us(100), us(1), false);
        }
        b.record(t3, us(60), us(0), true);
        assert!(!b.solo(t3));
        b.record(t3, us(60), us(0), true);
        assert!(b.solo(t3) && !b.solo(t3 + SOLO_MIN));
        // The period never exceeds SOLO_MAX.
        for _ in 0..20 {
            b.record(t2, us(10), us(100), false);
        }
        assert_eq!(b.solo, SOLO_MAX);
    }

    /// In a solo period every task runs on the calling thread, in order,
    /// though the first one leaves a worker 20 ms to claim the second.
    #[test]
    fn a_solo_period_runs_every_task_on_the_caller() {
        // Wake the workers first, so that one would claim a task if offered.
        for_each(2, &|_| {});
        lock(&POOL).backoff.until = Some(Instant::now() + Duration::from_secs(5));
        let ran: Mutex<Vec<(usize, std::thread::ThreadId)>> = Mutex::new(Vec::new());
        for_each(2, &|i| {
            if i == 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
            lock(&ran).push((i, std::thread::current().id()));
        });
        lock(&POOL).backoff = Backoff::new();
        let me = std::thread::current().id();
        assert_eq!(*lock(&ran), [(0, me), (1, me)]);
    }

    /// A task that panics on a worker panics the caller with the task's own
    /// payload (its message), as if it had run there. Retried until a worker
    /// takes a task: another test may hold the pool, or the worker be slow
    /// to wake.
    #[test]
    fn a_worker_panic_reaches_the_caller_with_its_message() {
        let on_worker = || std::thread::current().name() == Some("deepinit-worker");
        for _ in 0..50 {
            lock(&POOL).backoff = Backoff::new();
            let r = catch_unwind(|| {
                for_each(2, &|i| {
                    if on_worker() {
                        panic!("task {i} fails on a worker");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                });
            });
            if let Err(payload) = r {
                let message = payload
                    .downcast_ref::<std::string::String>()
                    .map_or("", |m| m.as_str());
                assert!(
                    message.starts_with("task ") && message.ends_with(" fails on a worker"),
                    "{message:?}"
                );
                return;
            }
        }
        panic!("no task ran on a worker in 50 calls");
    }

    #[test]
    fn a_panicking_task_panics_the_caller_and_the_pool_survives() {
        let r = catch_unwind(|| for_each(2, &|i| assert!(i != 0, "task 0 fails")));
        assert!(r.is_err());
        let n = AtomicUsize::new(0);
        for_each(2, &|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }
}
