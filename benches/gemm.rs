//! GEMM throughput (GFLOP/s = 2·m·n·k / s) of deepinit side by side with
//! `matrixmultiply` and `gemm` (as `peer_gemm`, `Parallelism::None`), single
//! thread, plus deepinit on 2 threads at 1024³. The first line is this
//! core's FMA peak, from a register-only FMA loop (AVX-512 if present, else
//! AVX2) timed before and after the table (the best timing), so rates can
//! be read as a fraction of peak.
//!
//! `cargo bench --bench gemm -- --warm-up-time 1 --measurement-time 3` runs
//! criterion. `GEMM_QUICK=<shape filters, comma-separated; "^" for squares>
//! cargo bench --bench gemm` prints a table with speed ratios: per shape,
//! `GEMM_ROUNDS` (default 5) interleaved rounds of medians, same process,
//! reporting the best round with `GEMM_BEST=1`; `GEMM_SHAPES="m,k,n,a_t,b_t;…"`
//! (with `GEMM_QUICK` set) replaces the shapes. `GEMM_PAIRS=41 cargo bench
//! --bench gemm --features parallel` measures 1024³ against the FMA peak and
//! 2 threads against 1 (and the FMA loop on 2 threads against 1, the
//! machine's own ceiling) in interleaved rounds (medians, or best with
//! `GEMM_BEST=1`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use deepinit::gemm::{GemmConfig, gemm_with, gemm_workspace_len};
use deepinit::{MatMut, MatRef};

/// A benchmark shape: `m × k · k × n`, with A and/or B read transposed.
#[derive(Clone, Copy)]
struct Shape {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    a_t: bool,
    b_t: bool,
}

const fn sh(name: &'static str, m: usize, k: usize, n: usize, a_t: bool, b_t: bool) -> Shape {
    Shape {
        name,
        m,
        k,
        n,
        a_t,
        b_t,
    }
}

const SHAPES: [Shape; 10] = [
    sh("256^3", 256, 256, 256, false, false),
    sh("1024^3", 1024, 1024, 1024, false, false),
    sh("100x784*784x256", 100, 784, 256, false, false),
    sh("100x256*256x10", 100, 256, 10, false, false),
    sh("(100x256)T*100x784", 256, 100, 784, true, false),
    sh("100x256*(784x256)T", 100, 256, 784, false, true),
    sh("64^3", 64, 64, 64, false, false),
    sh("128^3", 128, 128, 128, false, false),
    sh("512^3", 512, 512, 512, false, false),
    sh("2048^3", 2048, 2048, 2048, false, false),
];

/// `GEMM_SHAPES="m,k,n,a_t,b_t;…"` (transposes 0 or 1): the quick table's
/// shapes instead of [`SHAPES`], for measuring a network's own products.
fn extra_shapes() -> Option<Vec<Shape>> {
    let spec = std::env::var("GEMM_SHAPES").ok()?;
    let shapes = spec
        .split(';')
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let v: Vec<usize> = e
                .split(',')
                .map(|x| x.trim().parse().expect("GEMM_SHAPES: m,k,n,a_t,b_t;…"))
                .collect();
            assert!(v.len() == 5, "GEMM_SHAPES: m,k,n,a_t,b_t;…");
            let (m, k, n, a_t, b_t) = (v[0], v[1], v[2], v[3] == 1, v[4] == 1);
            let a = if a_t {
                format!("({k}x{m})T")
            } else {
                format!("{m}x{k}")
            };
            let b = if b_t {
                format!("({n}x{k})T")
            } else {
                format!("{k}x{n}")
            };
            let name: &'static str = Box::leak(format!("{a}*{b}").into_boxed_str());
            sh(name, m, k, n, a_t, b_t)
        })
        .collect();
    Some(shapes)
}

/// Operands of one shape, A stored k×m when `a_t`, B stored n×k when `b_t`.
struct Problem {
    s: Shape,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    ws: Vec<f32>,
}

impl Problem {
    fn new(s: Shape, threads: usize) -> Self {
        let fill = |len: usize, seed: u32| -> Vec<f32> {
            (0..len)
                .map(|i| {
                    ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 9) as f32
                        / 8_388_608.0
                        - 1.0
                })
                .collect()
        };
        Problem {
            s,
            a: fill(s.m * s.k, 1),
            b: fill(s.k * s.n, 2),
            c: vec![0.0; s.m * s.n],
            ws: vec![0.0; gemm_workspace_len(s.m, s.k, s.n) * threads],
        }
    }

    /// (ptr, row stride, col stride) of A and B as m×k and k×n.
    fn strides(&self) -> ((isize, isize), (isize, isize)) {
        let s = self.s;
        let a = if s.a_t {
            (1, s.m as isize)
        } else {
            (s.k as isize, 1)
        };
        let b = if s.b_t {
            (1, s.k as isize)
        } else {
            (s.n as isize, 1)
        };
        (a, b)
    }

    fn deepinit(&mut self, threads: usize) {
        let s = self.s;
        let ((ars, acs), (brs, bcs)) = self.strides();
        let a = MatRef::from_strided(&self.a, s.m, s.k, ars as usize, acs as usize).unwrap();
        let b = MatRef::from_strided(&self.b, s.k, s.n, brs as usize, bcs as usize).unwrap();
        let c = MatMut::from_row_major(&mut self.c, s.m, s.n).unwrap();
        let config = GemmConfig::default().with_threads(threads);
        gemm_with(&config, 1.0, a, b, 0.0, c, &mut self.ws);
    }

    fn matrixmultiply(&mut self) {
        let s = self.s;
        let ((ars, acs), (brs, bcs)) = self.strides();
        // SAFETY: the strides describe the m×k, k×n and m×n buffers exactly.
        unsafe {
            matrixmultiply::sgemm(
                s.m,
                s.k,
                s.n,
                1.0,
                self.a.as_ptr(),
                ars,
                acs,
                self.b.as_ptr(),
                brs,
                bcs,
                0.0,
                self.c.as_mut_ptr(),
                s.n as isize,
                1,
            );
        }
    }

    fn peer(&mut self) {
        let s = self.s;
        let ((ars, acs), (brs, bcs)) = self.strides();
        // SAFETY: as above; gemm 0.19 computes dst ← alpha·dst + beta·lhs·rhs
        // and ignores dst when read_dst is false.
        unsafe {
            peer_gemm::gemm(
                s.m,
                s.n,
                s.k,
                self.c.as_mut_ptr(),
                1,
                s.n as isize,
                false,
                self.a.as_ptr(),
                acs,
                ars,
                self.b.as_ptr(),
                bcs,
                brs,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                peer_gemm::Parallelism::None,
            );
        }
    }

    fn flops(&self) -> f64 {
        2.0 * (self.s.m * self.s.n * self.s.k) as f64
    }
}

/// Register-only FMA loop: 24 independent accumulators (enough to cover the
/// latency × throughput of two FMA ports). Returns flops done.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_loop_avx512(iters: u64) -> f64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(0.0); 24];
    let x = _mm512_set1_ps(black_box(0.999_999));
    let y = _mm512_set1_ps(black_box(1e-7));
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    black_box(acc);
    iters as f64 * 24.0 * 16.0 * 2.0
}

/// The same loop with 8-lane AVX2 FMAs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fma_loop_avx2(iters: u64) -> f64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_set1_ps(0.0); 12];
    let x = _mm256_set1_ps(black_box(0.999_999));
    let y = _mm256_set1_ps(black_box(1e-7));
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = _mm256_fmadd_ps(*a, x, y);
        }
    }
    black_box(acc);
    iters as f64 * 12.0 * 8.0 * 2.0
}

/// FMA peak of this core in GFLOP/s: the best of 5 runs, as the GEMM
/// figures are the best of their rounds. (A median once came out at 146
/// while another tenant shared the core's FMA units, against 171 a minute
/// before, and put a 1024³ figure at "104 %" of it.)
fn fma_peak() -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") {
        let r: Vec<f64> = (0..5)
            .map(|_| {
                let t = thread_time();
                // SAFETY: avx512f was detected.
                let f = unsafe { fma_loop_avx512(20_000_000) };
                f / (thread_time() - t) / 1e9
            })
            .collect();
        return r.into_iter().fold(0.0, f64::max);
    }
    f64::NAN
}

#[cfg(target_os = "linux")]
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

#[cfg(target_os = "linux")]
unsafe extern "C" {
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

/// Seconds of CPU time the whole process has used (Linux; NaN elsewhere).
fn process_time() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: 2 is CLOCK_PROCESS_CPUTIME_ID on Linux; `t` is a valid out
        // pointer.
        if unsafe { clock_gettime(2, &mut t) } == 0 {
            return t.sec as f64 + t.nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

/// Seconds of CPU time this thread has used (Linux; wall time elsewhere).
/// On a machine shared with other jobs, the time the thread spends
/// descheduled is excluded, so single-thread rates are far less noisy.
fn thread_time() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut t = Timespec { sec: 0, nsec: 0 };
        // SAFETY: 3 is CLOCK_THREAD_CPUTIME_ID on Linux; `t` is a valid out
        // pointer with the C layout of `struct timespec` on 64-bit Linux.
        if unsafe { clock_gettime(3, &mut t) } == 0 {
            return t.sec as f64 + t.nsec as f64 * 1e-9;
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

fn median_gflops(p: &mut Problem, mut f: impl FnMut(&mut Problem), reps: usize) -> f64 {
    f(p);
    let cpu = std::env::var_os("GEMM_WALL").is_none();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let (s, c) = (Instant::now(), thread_time());
            f(p);
            if cpu {
                thread_time() - c
            } else {
                s.elapsed().as_secs_f64()
            }
        })
        .collect();
    t.sort_by(f64::total_cmp);
    let i = if std::env::var_os("GEMM_BEST").is_some() {
        0
    } else {
        reps / 2
    };
    p.flops() / t[i] / 1e9
}

fn quick() {
    let peak_before = fma_peak();
    #[cfg(target_arch = "x86_64")]
    if std::env::var_os("GEMM_PEAK").is_some() {
        for _ in 0..5 {
            let t = Instant::now();
            // SAFETY: the bench runs on x86-64 with AVX2 (checked by peak above).
            let f = unsafe { fma_loop_avx2(20_000_000) };
            let a2 = f / t.elapsed().as_secs_f64() / 1e9;
            let t = Instant::now();
            // SAFETY: as above, avx512f.
            let f = unsafe { fma_loop_avx512(20_000_000) };
            let a5 = f / t.elapsed().as_secs_f64() / 1e9;
            println!("avx2 {a2:.1}  avx512 {a5:.1}");
        }
    }
    let mut rows = Vec::new();
    let filter = std::env::var("GEMM_QUICK").unwrap_or_default();
    // GEMM_ROUNDS: interleaved rounds per shape (default 5); with GEMM_BEST
    // more rounds give a busy machine more chances of a quiet one.
    let rounds: usize = std::env::var("GEMM_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    for s in extra_shapes().unwrap_or_else(|| {
        SHAPES
            .into_iter()
            .filter(|s| filter.split(',').any(|f| s.name.contains(f)))
            .collect()
    }) {
        let mut p = Problem::new(s, 2);
        let reps = (2e9 / p.flops()).clamp(3.0, 201.0) as usize | 1;
        let (mut d, mut m, mut g) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..rounds {
            d = d.max(median_gflops(&mut p, |p| p.deepinit(1), reps));
            m = m.max(median_gflops(&mut p, |p| p.matrixmultiply(), reps));
            g = g.max(median_gflops(&mut p, |p| p.peer(), reps));
        }
        rows.push((s.name, d, m, g));
    }
    // The peak is measured before and after the table (the best of both),
    // so a minute in which the core gives less cannot inflate % of peak.
    let peak = peak_before.max(fma_peak());
    println!(
        "FMA peak (1 core): {peak:.1} GFLOP/s (best of 10 timings, before and after the table)"
    );
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "shape", "deepinit", "mm", "gemm", "ratio", "%peak"
    );
    let mut logs = Vec::new();
    for (name, d, m, g) in rows {
        let ratio = d / m.max(g);
        logs.push(ratio.ln());
        println!(
            "{name:<22} {d:>9.1} {m:>9.1} {g:>9.1} {ratio:>7.3} {:>6.1}%",
            100.0 * d / peak
        );
    }
    if !logs.is_empty() {
        let gm = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
        println!("geometric mean of ratios vs faster peer: {gm:.3}");
    }
    if !filter.is_empty() && !filter.contains("threads") {
        return;
    }
    if !cfg!(feature = "parallel") {
        println!("1024^3 threads: skipped (2 threads need `--features parallel`)");
        return;
    }
    let mut p = Problem::new(SHAPES[1], 2);
    // Wall time here (two threads' CPU time would hide the speed-up), plus
    // the process CPU time: on a machine whose other core is busy with other
    // jobs the wall-clock speed-up cannot show, but the CPU-time efficiency
    // (1-thread CPU time / 2-thread total CPU time) does.
    let wall = |p: &mut Problem, t: usize| {
        let mut v: Vec<(f64, f64)> = (0..9)
            .map(|_| {
                let (s, c) = (Instant::now(), process_time());
                p.deepinit(t);
                (s.elapsed().as_secs_f64(), process_time() - c)
            })
            .collect();
        let mut cpu: Vec<f64> = v.iter().map(|x| x.1).collect();
        cpu.sort_by(f64::total_cmp);
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        (p.flops() / v[4].0 / 1e9, cpu[4])
    };
    let (one, c1) = wall(&mut p, 1);
    let (two, c2) = wall(&mut p, 2);
    println!(
        "1024^3 CPU-time efficiency of 2 threads: {:.2} (speed-up with two free cores ≤ {:.2})",
        c1 / c2,
        2.0 * c1 / c2
    );
    println!(
        "1024^3 threads: 1 → {one:.1}, 2 → {two:.1} GFLOP/s, speed-up {:.2}",
        two / one
    );
}

fn criterion_benches(c: &mut Criterion) {
    let peak = fma_peak();
    println!("FMA peak (1 core, register-only loop): {peak:.1} GFLOP/s");
    for s in SHAPES {
        let mut g = c.benchmark_group(format!("gemm/{}", s.name));
        let mut p = Problem::new(s, 2);
        g.throughput(Throughput::Elements(p.flops() as u64));
        if s.m >= 2048 {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::new("deepinit", 1), |bch| {
            bch.iter(|| p.deepinit(1))
        });
        g.bench_function(BenchmarkId::new("gemm", 1), |bch| bch.iter(|| p.peer()));
        if s.m < 2048 {
            g.bench_function(BenchmarkId::new("matrixmultiply", 1), |bch| {
                bch.iter(|| p.matrixmultiply())
            });
        }
        if s.m == 1024 {
            g.bench_function(BenchmarkId::new("deepinit", 2), |bch| {
                bch.iter(|| p.deepinit(2))
            });
        }
        g.finish();
    }
}

/// Wall-time rate of the FMA loop on two threads at once over its rate on
/// one (2.0 when both vCPUs deliver a full core).
#[cfg(target_arch = "x86_64")]
fn fma_two_threads() -> f64 {
    const ITERS: u64 = 4_000_000;
    let s = Instant::now();
    // SAFETY: `main` checked that avx512f is present.
    let f = unsafe { fma_loop_avx512(ITERS) };
    let one = f / s.elapsed().as_secs_f64();
    let s = Instant::now();
    let f = std::thread::scope(|sc| {
        // SAFETY: as above (both threads run on this CPU).
        let h = sc.spawn(|| unsafe { fma_loop_avx512(ITERS) });
        // SAFETY: as above.
        let f = unsafe { fma_loop_avx512(ITERS) };
        f + h.join().expect("FMA thread panicked")
    });
    f / s.elapsed().as_secs_f64() / one
}

/// `GEMM_PAIRS=N`: N interleaved rounds at 1024³, each timing the FMA peak
/// loop, one 1-thread GEMM (CPU time and wall time), one 2-thread GEMM
/// (wall time) and the FMA loop on one and on two threads at once (wall
/// time) back to back, then the medians of the per-round figures. The last
/// ratio is what two threads of pure arithmetic get on this machine at that
/// moment: the ceiling for the GEMM's 2-thread speed-up (on a virtual
/// machine the second vCPU may share its core with other tenants).
/// Neighbouring runs see the same load on a shared machine, so per-round
/// ratios are far steadier than rates measured minutes apart.
#[cfg(target_arch = "x86_64")]
fn pairs(rounds: usize) {
    let mut p = Problem::new(SHAPES[1], 2);
    p.deepinit(1);
    p.deepinit(2);
    let gflops = |secs: f64| 2.0 * 1024f64.powi(3) / secs / 1e9;
    let mut rows: Vec<[f64; 6]> = (0..rounds)
        .map(|_| {
            let t = thread_time();
            // SAFETY: `main` checked that avx512f is present.
            let f = unsafe { fma_loop_avx512(2_000_000) };
            let peak = f / (thread_time() - t) / 1e9;
            let t = thread_time();
            p.deepinit(1);
            let one_cpu = gflops(thread_time() - t);
            let s = Instant::now();
            p.deepinit(1);
            let one = gflops(s.elapsed().as_secs_f64());
            let s = Instant::now();
            p.deepinit(2);
            let two = gflops(s.elapsed().as_secs_f64());
            [
                peak,
                one_cpu,
                one_cpu / peak,
                one,
                two / one,
                fma_two_threads(),
            ]
        })
        .collect();
    // GEMM_BEST: the best round (what a quiet machine gives) instead of
    // the median.
    let pick = if std::env::var_os("GEMM_BEST").is_some() {
        rounds - 1
    } else {
        rounds / 2
    };
    let mut median = |i: usize| {
        rows.sort_by(|a, b| a[i].total_cmp(&b[i]));
        rows[pick][i]
    };
    let (peak, one_cpu, eff) = (median(0), median(1), median(2));
    let (one, speedup, fma_speedup) = (median(3), median(4), median(5));
    println!(
        "1024^3, {} of {rounds} interleaved rounds: FMA peak {peak:.1} GFLOP/s; \
         1 thread {one_cpu:.1} (CPU time), {:.1} % of peak; wall time: 1 thread {one:.1}, \
         2 threads / 1 thread {speedup:.2} (FMA loop: {fma_speedup:.2})",
        if pick == rounds / 2 {
            "medians"
        } else {
            "best"
        },
        100.0 * eff
    );
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    if let Some(n) = std::env::var("GEMM_PAIRS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        && n > 0
        && std::is_x86_feature_detected!("avx512f")
    {
        pairs(n);
        return;
    }
    if std::env::var_os("GEMM_QUICK").is_some() {
        quick();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
