//! Optimizer state export/import: a restored optimizer continues exactly like
//! the original, and malformed state or hyper-parameters are refused.

#![cfg(feature = "alloc")]

use deepinit::optim::{
    AdamConfig, OptimError, Optimizer, OptimizerConfig, STEP_PAIRS_INLINE, SgdConfig,
};

fn grads(t: usize) -> [Vec<f32>; 2] {
    let g = |i: usize| ((i * 7 + t * 3) % 11) as f32 / 11.0 - 0.4;
    [
        (0..13).map(g).collect(),
        (0..3).map(|i| g(i + 20)).collect(),
    ]
}

fn run_split(config: OptimizerConfig) {
    let mut a = Optimizer::new(config, &[13, 3]).unwrap();
    let mut pa = [vec![0.5f32; 13], vec![-0.25f32; 3]];
    for t in 0..4 {
        let g = grads(t);
        let [p0, p1] = &mut pa;
        a.step([(&mut p0[..], &g[0][..]), (&mut p1[..], &g[1][..])]);
    }
    // Save after 2 steps, restore into a fresh optimizer, continue.
    let mut b = Optimizer::new(config, &[13, 3]).unwrap();
    let mut pb = [vec![0.5f32; 13], vec![-0.25f32; 3]];
    for t in 0..2 {
        let g = grads(t);
        let [p0, p1] = &mut pb;
        b.step([(&mut p0[..], &g[0][..]), (&mut p1[..], &g[1][..])]);
    }
    let saved = b.state();
    let mut c = Optimizer::new(config, &[13, 3]).unwrap();
    c.load_state(&saved).unwrap();
    for t in 2..4 {
        let g = grads(t);
        let [p0, p1] = &mut pb;
        c.step([(&mut p0[..], &g[0][..]), (&mut p1[..], &g[1][..])]);
    }
    let bits = |p: &[Vec<f32>; 2]| p.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&pa), bits(&pb));
    assert_eq!(a, c);
}

#[test]
fn adam_resumes_bit_identically() {
    run_split(OptimizerConfig::Adam(AdamConfig::new(0.01)));
}

#[test]
fn sgd_momentum_resumes_bit_identically() {
    run_split(OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        nesterov: true,
        ..SgdConfig::new(0.1)
    }));
}

#[test]
fn state_names_follow_pytorch() {
    let adam = Optimizer::new(OptimizerConfig::Adam(AdamConfig::default()), &[2, 1]).unwrap();
    let s = adam.state();
    let names: Vec<_> = s.slots.iter().map(|s| (s.param, s.name)).collect();
    assert_eq!(
        names,
        [
            (0, "exp_avg"),
            (0, "exp_avg_sq"),
            (1, "exp_avg"),
            (1, "exp_avg_sq")
        ]
    );
    let sgd = Optimizer::new(OptimizerConfig::Sgd(SgdConfig::new(0.1)), &[2]).unwrap();
    assert!(sgd.state().slots.is_empty());
}

#[test]
fn mismatched_state_is_refused_and_leaves_the_optimizer_unchanged() {
    let cfg = OptimizerConfig::Adam(AdamConfig::default());
    let mut opt = Optimizer::new(cfg, &[4]).unwrap();
    let before = opt.clone();
    let other = Optimizer::new(cfg, &[5]).unwrap().state();
    assert_eq!(
        opt.load_state(&other),
        Err(OptimError::SlotMismatch {
            index: 0,
            expected_len: 4,
            found_len: 5
        })
    );
    let two = Optimizer::new(cfg, &[4, 4]).unwrap().state();
    assert_eq!(
        opt.load_state(&two),
        Err(OptimError::SlotCount {
            expected: 2,
            found: 4
        })
    );
    assert_eq!(opt, before);
}

#[test]
fn invalid_hyper_parameters_are_refused() {
    let bad = [
        OptimizerConfig::Adam(AdamConfig::new(0.0)),
        OptimizerConfig::Adam(AdamConfig::new(f64::NAN)),
        OptimizerConfig::Adam(AdamConfig {
            beta2: 1.0,
            ..AdamConfig::default()
        }),
        OptimizerConfig::Sgd(SgdConfig {
            nesterov: true,
            ..SgdConfig::new(0.1)
        }),
        OptimizerConfig::Sgd(SgdConfig {
            weight_decay: -1.0,
            ..SgdConfig::new(0.1)
        }),
        // Finite in f64 but ∞ in f32, where the updates run; an lr that is
        // 0 in f32 would never move anything.
        OptimizerConfig::Adam(AdamConfig::new(1e300)),
        OptimizerConfig::Adam(AdamConfig::new(1e-50)),
        OptimizerConfig::Sgd(SgdConfig::new(1e39)),
        OptimizerConfig::Adam(AdamConfig {
            weight_decay: 1e300,
            ..AdamConfig::default()
        }),
        OptimizerConfig::Adam(AdamConfig {
            eps: 1e39,
            ..AdamConfig::default()
        }),
        OptimizerConfig::Sgd(SgdConfig {
            momentum: 1e300,
            ..SgdConfig::new(0.1)
        }),
    ];
    for cfg in bad {
        let err = Optimizer::new(cfg, &[1]).unwrap_err();
        assert!(
            matches!(err, OptimError::InvalidHyperParameter { .. }),
            "{cfg:?}"
        );
        assert!(!err.to_string().is_empty());
    }
    // The message states the value (tiny ones in exponent form) and the
    // domain it left.
    let message = |cfg| Optimizer::new(cfg, &[1]).unwrap_err().to_string();
    assert_eq!(
        message(OptimizerConfig::Sgd(SgdConfig::new(1e-50))),
        "invalid optimizer hyper-parameter lr = 1e-50: it must be > 0, and neither 0 nor ∞ in f32"
    );
    assert_eq!(
        message(OptimizerConfig::Adam(AdamConfig {
            beta1: 1.0,
            ..AdamConfig::default()
        })),
        "invalid optimizer hyper-parameter beta1 = 1.0: it must be in [0, 1)"
    );
    assert_eq!(
        message(OptimizerConfig::Sgd(SgdConfig {
            nesterov: true,
            ..SgdConfig::new(0.1)
        })),
        "invalid optimizer hyper-parameter momentum = 0.0: Nesterov momentum needs momentum > 0"
    );
    assert_eq!(
        message(OptimizerConfig::Sgd(SgdConfig {
            momentum: -0.5,
            ..SgdConfig::new(0.1)
        })),
        "invalid optimizer hyper-parameter momentum = -0.5: it must be ≥ 0, and finite in f32"
    );
}

/// Moments that fall below 2⁻¹⁰⁰ are flushed to zero (never subnormal), in the
/// SIMD lanes and the scalar tail alike; NaN is kept.
#[test]
fn adam_flushes_tiny_moments_to_zero() {
    let cfg = OptimizerConfig::Adam(AdamConfig::new(1e-3));
    let mut opt = Optimizer::new(cfg, &[9]).unwrap();
    let mut state = opt.state();
    state.step = 50;
    // With g = 0 the new moment is 0.9·m; 2⁻¹⁰⁰ ≈ 7.89e-31.
    let tiny = 8.5e-31f32; // → 7.65e-31: flushed
    let kept = 1e-30f32; // → 9e-31: kept
    state.slots[0].values = vec![tiny, 1e-3, kept, tiny, f32::NAN, tiny, tiny, tiny, tiny];
    state.slots[1].values = vec![1e-8; 9];
    opt.load_state(&state).unwrap();
    let mut p = [0.5f32; 9];
    opt.step([(&mut p[..], &[0.0f32; 9][..])]);
    let m = &opt.state().slots[0].values;
    for (i, &v) in m.iter().enumerate() {
        match i {
            1 => assert!((v - 0.9e-3).abs() < 1e-9),
            2 => assert!((v - 0.9e-30).abs() < 1e-36),
            4 => assert!(v.is_nan()),
            _ => assert_eq!(v.to_bits(), 0, "entry {i}: {v:e}"),
        }
        assert!(!v.is_subnormal());
    }
}

/// With ε = 0 (allowed, as in PyTorch) nothing is flushed: `m/√v` alone sets
/// the step, and a tiny gradient steps by lr as it does in PyTorch
/// (`torch.optim.Adam([p], lr=0.01, eps=0)`, three steps of g = 1e-16 take
/// 1.0 to 0.97). Here `v ≈ 0.003·g²` is below 2⁻¹⁰⁰ while `m ≈ 0.3·g` is
/// not: flushing `v` alone would make the step `m/0`.
#[test]
fn adam_without_eps_flushes_nothing() {
    let cfg = AdamConfig {
        eps: 0.0,
        ..AdamConfig::new(0.01)
    };
    let mut opt = Optimizer::new(OptimizerConfig::Adam(cfg), &[9]).unwrap();
    let g = [
        1e-16f32, -2e-15, 5e-17, 1e-14, -1e-16, 3e-16, -7e-17, 2e-14, -1e-15,
    ];
    let mut p = [1.0f32; 9];
    for _ in 0..3 {
        opt.step([(&mut p[..], &g[..])]);
    }
    for (i, (&p, &g)) in p.iter().zip(&g).enumerate() {
        // Each step is lr·m̂/√v̂ = lr·sign(g), to a few ulps.
        let want = 1.0 - 0.03 * g.signum();
        assert!(
            (p - want).abs() < 1e-6,
            "param {i} (g = {g:e}): {p}, want {want}"
        );
    }
    let v = &opt.state().slots[1].values;
    // Every second moment is kept, eight of them below 2⁻¹⁰⁰ ≈ 7.89e-31.
    assert!(v.iter().all(|&v| v > 0.0), "{v:?}");
    assert_eq!(v.iter().filter(|&&v| v < 7.8e-31).count(), 8, "{v:?}");
}

/// With ε = 0 a parameter whose second moment is 0 stays where it is: one
/// that has had no gradient (0/0 made it NaN, and a NaN loss followed on
/// MNIST, whose border pixels are always 0) and one whose gradient's square
/// underflows f32 (m/0 made it ±∞). The others take the same steps as when
/// they are updated alone, in the SIMD lanes and the scalar tail.
#[test]
fn adam_without_eps_leaves_parameters_without_second_moment() {
    let cfg = OptimizerConfig::Adam(AdamConfig {
        eps: 0.0,
        ..AdamConfig::new(0.01)
    });
    let n = 37;
    let g: Vec<f32> = (0..n)
        .map(|i| match i % 5 {
            0 => 0.0,
            1 => 1e-30 * if i % 2 == 0 { 1.0 } else { -1.0 },
            _ => (i as f32 - 18.5) * 0.01,
        })
        .collect();
    let moved: Vec<usize> = (0..n).filter(|i| i % 5 > 1).collect();
    let mut opt = Optimizer::new(cfg, &[n]).unwrap();
    let mut p = vec![0.5f32; n];
    // The moved ones alone: the steps they must take.
    let mut alone = Optimizer::new(cfg, &[moved.len()]).unwrap();
    let g_alone: Vec<f32> = moved.iter().map(|&i| g[i]).collect();
    let mut p_alone = vec![0.5f32; moved.len()];
    for _ in 0..3 {
        opt.step([(&mut p[..], &g[..])]);
        alone.step([(&mut p_alone[..], &g_alone[..])]);
    }
    for i in (0..n).filter(|i| i % 5 <= 1) {
        assert_eq!(p[i], 0.5, "parameter {i} (g = {:e}) moved", g[i]);
    }
    let got: Vec<u32> = moved.iter().map(|&i| p[i].to_bits()).collect();
    let want: Vec<u32> = p_alone.iter().map(|x| x.to_bits()).collect();
    assert_eq!(got, want);
    assert!(p_alone.iter().all(|&x| x != 0.5));
    // The same bits as the SIMD kernels give them: with ε = 10⁻⁴⁰ (which
    // takes those kernels) √v + ε̂ rounds to √v for these moments.
    let tiny = OptimizerConfig::Adam(AdamConfig {
        eps: 1e-40,
        ..AdamConfig::new(0.01)
    });
    let mut simd = Optimizer::new(tiny, &[moved.len()]).unwrap();
    let mut p_simd = vec![0.5f32; moved.len()];
    for _ in 0..3 {
        simd.step([(&mut p_simd[..], &g_alone[..])]);
    }
    let simd_bits: Vec<u32> = p_simd.iter().map(|x| x.to_bits()).collect();
    assert_eq!(simd_bits, want);
}

/// A call with a parameter missing panics before anything is updated
/// (where panics unwind: not on WASI).
#[cfg(panic = "unwind")]
#[test]
fn a_bad_step_changes_nothing() {
    let cfg = OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        ..SgdConfig::new(0.1)
    });
    let mut opt = Optimizer::new(cfg, &[2, 3]).unwrap();
    let before = opt.clone();
    let mut p = [1.0f32; 2];
    let g = [1.0f32; 2];
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        opt.step([(&mut p[..], &g[..])]);
    }));
    assert!(result.is_err(), "one of two parameters was accepted");
    assert_eq!(p, [1.0; 2]);
    assert_eq!(opt, before);
    assert_eq!(opt.steps(), 0);
}

/// Adam splits parameters of ≥ 2¹⁶ entries over two threads (feature
/// `parallel`); the update is element-wise, so the bits must not change.
#[cfg(feature = "parallel")]
#[test]
fn adam_on_two_threads_gives_identical_bits() {
    let n = 100_003; // long enough to split, odd to exercise the scalar tail
    let g: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.5)
        .collect();
    let run = |threads| {
        let cfg = OptimizerConfig::Adam(AdamConfig {
            weight_decay: 0.01,
            ..AdamConfig::new(0.01)
        });
        let mut opt = Optimizer::new(cfg, &[n]).unwrap();
        opt.set_threads(threads);
        let mut p = vec![0.25f32; n];
        for _ in 0..3 {
            opt.step([(&mut p[..], &g[..])]);
        }
        (p.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), opt)
    };
    let (a, oa) = run(1);
    let (b, ob) = run(2);
    assert_eq!(a, b);
    assert_eq!(oa, ob);
}

/// More pairs than `step` holds on the stack ([`STEP_PAIRS_INLINE`]): each
/// parameter gets the update a one-parameter optimizer gives it, and a
/// missing last pair (held in the spill-over) still changes nothing.
#[test]
fn a_step_over_many_parameters_updates_each_as_alone() {
    let n = STEP_PAIRS_INLINE + 9;
    let lens: Vec<usize> = (0..n).map(|i| 1 + i % 5).collect();
    let cfg = OptimizerConfig::Adam(AdamConfig::new(0.01));
    let grad = |i: usize, t: usize| -> Vec<f32> {
        (0..lens[i])
            .map(|j| ((i * 31 + j * 7 + t * 3) % 17) as f32 / 17.0 - 0.5)
            .collect()
    };
    let mut all = Optimizer::new(cfg, &lens).unwrap();
    let mut params: Vec<Vec<f32>> = lens.iter().map(|&l| vec![0.5; l]).collect();
    let mut alone: Vec<(Optimizer, Vec<f32>)> = lens
        .iter()
        .map(|&l| (Optimizer::new(cfg, &[l]).unwrap(), vec![0.5; l]))
        .collect();
    for t in 0..3 {
        let grads: Vec<Vec<f32>> = (0..n).map(|i| grad(i, t)).collect();
        all.step(
            params
                .iter_mut()
                .map(|p| &mut p[..])
                .zip(grads.iter().map(|g| &g[..])),
        );
        for (i, (opt, p)) in alone.iter_mut().enumerate() {
            opt.step([(&mut p[..], &grads[i][..])]);
        }
    }
    for (i, (p, (_, q))) in params.iter().zip(&alone).enumerate() {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(p), bits(q), "parameter {i}");
    }
    #[cfg(panic = "unwind")]
    {
        let before = (all.clone(), params.clone());
        let grads: Vec<Vec<f32>> = (0..n).map(|i| grad(i, 9)).collect();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let pairs = params.iter_mut().map(|p| &mut p[..]);
            all.step(pairs.zip(grads.iter().map(|g| &g[..])).take(n - 1));
        }));
        assert!(result.is_err(), "{} of {n} parameters were accepted", n - 1);
        assert_eq!((all, params), before);
    }
}

/// A restored step count near `u64::MAX` (a crafted checkpoint can hold
/// one) saturates instead of overflowing, and Adam then steps as at any
/// late step: its bias corrections have long reached 1 (t is capped at
/// 2³¹ − 1 inside).
#[test]
fn the_step_count_saturates() {
    let adam = OptimizerConfig::Adam(AdamConfig::new(0.01));
    let step_from = |t: u64| {
        let mut opt = Optimizer::new(adam, &[13, 3]).unwrap();
        let mut state = opt.state();
        state.step = t;
        opt.load_state(&state).unwrap();
        let mut p = [vec![0.5f32; 13], vec![-0.25f32; 3]];
        let g = grads(0);
        let [p0, p1] = &mut p;
        opt.step([(&mut p0[..], &g[0][..]), (&mut p1[..], &g[1][..])]);
        (opt.steps(), p)
    };
    let late = step_from(i32::MAX as u64 - 1);
    assert_eq!(late.0, i32::MAX as u64);
    for t in [u64::MAX - 1, u64::MAX] {
        let (steps, p) = step_from(t);
        assert_eq!(steps, u64::MAX);
        assert_eq!(p, late.1, "from step {t}");
    }
}
