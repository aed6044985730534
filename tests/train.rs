//! Harness behaviour on small MNIST subsets: determinism, bit-identical resume,
//! progress reports, typed errors (NaN loss, datasets that do not fit).

#![cfg(feature = "std")]

mod common;

use deepinit::init::Init;
use deepinit::mlp::MlpError;
use deepinit::mnist::Dataset;
use deepinit::optim::{OptimizerConfig, SgdConfig};
use deepinit::train::{
    BatchProgress, DatasetMismatch, EpochMetrics, Observer, TrainConfig, TrainError, Trainer,
    evaluate,
};

fn small() -> (Dataset, Dataset) {
    common::mnist(600, 200)
}

fn config() -> TrainConfig {
    let mut c = TrainConfig::new(vec![784, 16, 12, 10]);
    c.batch_size = 50;
    c.epochs = 3;
    c.seed = 5;
    c
}

fn bits(t: &Trainer) -> Vec<u32> {
    t.model().params().flatten().map(|v| v.to_bits()).collect()
}

/// Metrics without the wall-clock fields.
fn numbers(m: &EpochMetrics) -> (usize, u64, u64, u64) {
    (
        m.epoch,
        m.train_loss.to_bits(),
        m.test_loss.to_bits(),
        m.test_accuracy.to_bits(),
    )
}

#[test]
fn same_seed_gives_identical_weights_and_metrics() {
    let (train, test) = small();
    let mut a = Trainer::new(config()).unwrap();
    let mut b = Trainer::new(config()).unwrap();
    let ma = a.run(&train, &test, &mut ()).unwrap();
    let mb = b.run(&train, &test, &mut ()).unwrap();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(
        ma.iter().map(numbers).collect::<Vec<_>>(),
        mb.iter().map(numbers).collect::<Vec<_>>()
    );
    let mut other = config();
    other.seed = 6;
    let mut c = Trainer::new(other).unwrap();
    c.run(&train, &test, &mut ()).unwrap();
    assert_ne!(bits(&a), bits(&c));
}

#[test]
fn resume_after_each_epoch_is_bit_identical() {
    let (train, test) = small();
    let mut full = Trainer::new(config()).unwrap();
    let all = full.run(&train, &test, &mut ()).unwrap();
    for k in 1..3 {
        let mut first = Trainer::new(config()).unwrap();
        for _ in 0..k {
            first.train_epoch(&train, &test, &mut ()).unwrap();
        }
        let state = first.state();
        assert_eq!(state.next_epoch, k);
        drop(first);
        let mut resumed = Trainer::resume(config(), state).unwrap();
        let rest = resumed.run(&train, &test, &mut ()).unwrap();
        assert_eq!(bits(&resumed), bits(&full), "resume after epoch {k}");
        assert_eq!(resumed.optimizer(), full.optimizer());
        assert_eq!(
            rest.iter().map(numbers).collect::<Vec<_>>(),
            all[k..].iter().map(numbers).collect::<Vec<_>>()
        );
    }
}

#[test]
fn resume_refuses_another_architecture() {
    let state = Trainer::new(config()).unwrap().state();
    let mut other = config();
    other.layers = vec![784, 16, 10];
    assert_eq!(
        Trainer::resume(other, state.clone()).unwrap_err(),
        TrainError::StateMismatch {
            what: "layers",
            state: "784,16,12,10".into(),
            config: "784,16,10".into()
        }
    );
    let mut other = config();
    other.activation = deepinit::activation::Activation::Sigmoid;
    let err = Trainer::resume(other, state).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved model has activation relu, the configuration sigmoid"
    );
}

/// A state whose step count does not fit the epochs completed on this
/// training set (another training set, or an edited state) is refused at
/// the first epoch, before a step: the bias correction of Adam depends on it.
#[test]
fn resume_refuses_a_step_count_that_does_not_fit() {
    let (train, test) = small();
    let mut first = Trainer::new(config()).unwrap();
    first.train_epoch(&train, &test, &mut ()).unwrap();
    let state = first.state();
    assert_eq!(state.optimizer.step, 12); // 600 / 50 batches
    let mut edited = state.clone();
    edited.optimizer.step = 1;
    let mut t = Trainer::resume(config(), edited).unwrap();
    assert_eq!(
        t.train_epoch(&train, &test, &mut ()).unwrap_err(),
        TrainError::ResumedSteps {
            steps: 1,
            expected: 12
        }
    );
    // 500 images make 10 batches an epoch: not the run the state came from.
    let fewer = common::mnist(500, 200).0;
    let mut t = Trainer::resume(config(), state.clone()).unwrap();
    let before = bits(&t);
    assert_eq!(
        t.train_epoch(&fewer, &test, &mut ()).unwrap_err(),
        TrainError::ResumedSteps {
            steps: 12,
            expected: 10
        }
    );
    assert_eq!(bits(&t), before, "refused before any step");
    // The matching training set goes on, and later epochs need no check.
    let mut t = Trainer::resume(config(), state).unwrap();
    t.train_epoch(&train, &test, &mut ()).unwrap();
    t.train_epoch(&train, &test, &mut ()).unwrap();
}

#[derive(Default)]
struct Recorder {
    batches: Vec<BatchProgress>,
    epochs: Vec<EpochMetrics>,
}

impl Observer for Recorder {
    fn on_batch(&mut self, p: &BatchProgress) {
        self.batches.push(*p);
    }
    fn on_epoch(&mut self, m: &EpochMetrics) {
        self.epochs.push(*m);
    }
}

#[test]
fn observer_sees_every_batch_and_epoch_and_drop_last_applies() {
    let (train, test) = common::mnist(130, 50);
    let mut c = config();
    c.epochs = 2;
    let mut rec = Recorder::default();
    let metrics = Trainer::new(c)
        .unwrap()
        .run(&train, &test, &mut rec)
        .unwrap();
    // 130 samples, batch 50: two full batches, the last 30 dropped.
    let seen: Vec<_> = rec
        .batches
        .iter()
        .map(|p| (p.epoch, p.batch, p.batches))
        .collect();
    assert_eq!(seen, [(1, 1, 2), (1, 2, 2), (2, 1, 2), (2, 2, 2)]);
    assert_eq!(rec.epochs, metrics);
    let mean = f64::from(rec.batches[0].loss + rec.batches[1].loss) / 2.0;
    assert!((metrics[0].train_loss - mean).abs() < 1e-6);
}

#[test]
fn non_finite_loss_stops_with_epoch_and_batch() {
    let (train, test) = small();
    let mut c = config();
    c.init = Init::constant(1e30); // logits overflow to ±∞ → NaN loss
    c.optimizer = OptimizerConfig::Sgd(SgdConfig::new(0.1));
    let mut t = Trainer::new(c).unwrap();
    let before = bits(&t);
    let err = t.train_epoch(&train, &test, &mut ()).unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::NonFiniteLoss {
                epoch: 1,
                batch: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("epoch 1, batch 1"));
    assert_eq!(bits(&t), before, "no update from a non-finite loss");
    assert_eq!(t.next_epoch(), 0);
}

#[test]
fn datasets_that_do_not_fit_are_typed_errors() {
    let (train, test) = small();
    let mut t = Trainer::new(config()).unwrap();
    let mut bad = test.clone();
    bad.classes = 3;
    assert_eq!(
        t.train_epoch(&train, &bad, &mut ()).unwrap_err(),
        TrainError::Dataset {
            split: "test",
            reason: DatasetMismatch::Classes {
                expected: 10,
                found: 3
            }
        }
    );
    let mut bad = train.clone();
    bad.labels[7] = 10;
    assert!(matches!(
        t.train_epoch(&bad, &test, &mut ()).unwrap_err(),
        TrainError::Dataset {
            split: "train",
            reason: DatasetMismatch::Label {
                index: 7,
                label: 10
            }
        }
    ));
    // Buffers that disagree with `len`, named with every length.
    let mut bad = train.clone();
    bad.labels.pop();
    let lengths = |len, labels| TrainError::Dataset {
        split: "train",
        reason: DatasetMismatch::Lengths {
            len,
            pixels: 784,
            images: train.images.len(),
            labels,
        },
    };
    let err = t.train_epoch(&bad, &test, &mut ()).unwrap_err();
    assert_eq!(err, lengths(train.len, train.len - 1));
    let n = train.len;
    assert_eq!(
        err.to_string(),
        format!(
            "train set: {n} images of 784 pixels need {} image bytes and {n} labels, the buffers hold {} and {}",
            n * 784,
            n * 784,
            n - 1,
        )
    );
    // Image sizes whose pixel count overflows are another input size, not
    // an overflow panic.
    let mut bad = train.clone();
    (bad.rows, bad.cols) = (usize::MAX, 2);
    assert_eq!(
        t.train_epoch(&bad, &test, &mut ()).unwrap_err(),
        TrainError::Dataset {
            split: "train",
            reason: DatasetMismatch::InputSize {
                expected: 784,
                found: usize::MAX
            }
        }
    );
    // More samples than the shuffle indexes in u32 (buffers left empty: the
    // count is refused before they are read).
    #[cfg(target_pointer_width = "64")]
    {
        let mut huge = train.clone();
        (huge.len, huge.images, huge.labels) = (1 << 32, Vec::new(), Vec::new());
        let err = t.train_epoch(&huge, &test, &mut ()).unwrap_err();
        let reason = DatasetMismatch::TooManySamples { len: 1 << 32 };
        assert_eq!(
            err,
            TrainError::Dataset {
                split: "train",
                reason
            }
        );
        assert_eq!(
            err.to_string(),
            "train set: it holds 4294967296 samples, more than the 4294967295 a shuffle indexes"
        );
    }
    let (tiny, _) = common::mnist(49, 1);
    assert_eq!(
        t.train_epoch(&tiny, &test, &mut ()).unwrap_err(),
        TrainError::TooFewSamples {
            len: 49,
            batch_size: 50
        }
    );
    let mut zero = config();
    zero.batch_size = 0;
    assert!(matches!(
        Trainer::new(zero).unwrap_err(),
        TrainError::ZeroSize { what: "batch_size" }
    ));
    // An empty test set has no mean loss or accuracy (they read as 0).
    let (_, mut empty) = common::mnist(1, 1);
    (empty.len, empty.images, empty.labels) = (0, Vec::new(), Vec::new());
    let empty_test = TrainError::Dataset {
        split: "test",
        reason: DatasetMismatch::Empty,
    };
    assert_eq!(
        t.train_epoch(&train, &empty, &mut ()).unwrap_err(),
        empty_test
    );
    assert_eq!(
        evaluate(t.model(), &empty).unwrap_err(),
        TrainError::Dataset {
            split: "evaluation",
            reason: DatasetMismatch::Empty
        }
    );
    assert!(evaluate(t.model(), &test).is_ok());
}

/// A batch size whose buffers cannot be allocated is an error, not a panic
/// (the sizes overflowed) or an abort (the allocation failed): `usize::MAX`
/// as "the whole set", a batch of 784-pixel rows over `isize::MAX` bytes,
/// and (on 64-bit targets) one of 2⁵⁰ rows, petabytes no allocator gives.
#[test]
fn batches_too_large_to_allocate_are_typed_errors() {
    let over_isize = isize::MAX as usize / 4 / 784 + 1;
    let mut batches = vec![usize::MAX, over_isize];
    if cfg!(target_pointer_width = "64") {
        batches.push(1 << (usize::BITS - 14));
    }
    for batch in batches {
        let mut c = config();
        c.batch_size = batch;
        assert_eq!(
            Trainer::new(c).unwrap_err(),
            TrainError::Model(MlpError::WorkspaceTooLarge { max_batch: batch }),
            "batch {batch}"
        );
    }
}

/// Two threads split the large products by rows or columns of C (never over
/// k), and batch assembly, bias + activation and the activation derivative by
/// rows or elements, so every weight must come out bit-identical, for every
/// activation. Shapes are large enough (batch 100, m·n·k ≥ 2²¹, 25 600 hidden
/// values) for every one of these to really use the second thread.
#[cfg(feature = "parallel")]
#[test]
fn one_and_two_threads_give_identical_bits() {
    use deepinit::activation::Activation;
    let (train, test) = common::mnist(400, 100);
    for act in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
        let run = |threads| {
            let mut c = TrainConfig::new(vec![784, 256, 10]);
            c.activation = act;
            c.epochs = 2;
            c.threads = threads;
            let mut t = Trainer::new(c).unwrap();
            let m = t.run(&train, &test, &mut ()).unwrap();
            (bits(&t), m.iter().map(numbers).collect::<Vec<_>>())
        };
        assert_eq!(run(1), run(2), "{act:?}");
    }
    // Any thread count: scratch memory for the threads the products can
    // use, not one GEMM workspace per requested thread (usize::MAX
    // overflowed the size, 2²⁴ failed to allocate 15 TB).
    let run = |threads| {
        let mut c = TrainConfig::new(vec![784, 32, 10]);
        c.epochs = 1;
        c.threads = threads;
        let mut t = Trainer::new(c).unwrap();
        t.run(&train, &test, &mut ()).unwrap();
        bits(&t)
    };
    assert_eq!(run(1 << 24), run(1));
    assert_eq!(run(usize::MAX), run(1));
}

/// `Dataset::scale_images` gives the inputs training and `evaluate` see:
/// predicting on them counts the same correct samples as `evaluate`.
#[test]
fn predictions_on_scaled_images_agree_with_evaluate() {
    use deepinit::mat::MatRef;
    use deepinit::mlp::Workspace;
    let (train, test) = small();
    let mut t = Trainer::new(config()).unwrap();
    t.run(&train, &test, &mut ()).unwrap();
    let net = t.model();
    let n = test.len;
    let mut x = vec![f32::NAN; n * test.image_len()];
    test.scale_images(0..n, &mut x);
    assert!(
        x.iter()
            .zip(&test.images)
            .all(|(&v, &p)| v == f32::from(p) / 255.0)
    );
    let mut classes = vec![0u8; n];
    let mut ws = Workspace::new(net, n);
    net.predict(
        MatRef::from_row_major(&x, n, test.image_len()).unwrap(),
        &mut ws,
        &mut classes,
    );
    let correct = classes
        .iter()
        .zip(&test.labels)
        .filter(|(c, l)| c == l)
        .count();
    let eval = evaluate(net, &test).unwrap();
    assert_eq!(correct, eval.correct);
    // Not a trivial agreement: above chance (10 %) by four standard
    // deviations of a guesser's count, √(n · 0.1 · 0.9).
    let chance = n as f64 / 10.0 + 4.0 * (n as f64 * 0.09).sqrt();
    assert!(
        correct as f64 > chance,
        "{correct} of {n}: no better than chance"
    );
    // Two halves scaled apart equal the whole.
    let mut halves = vec![f32::NAN; x.len()];
    let (a, b) = halves.split_at_mut(n / 2 * test.image_len());
    test.scale_images(0..n / 2, a);
    test.scale_images(n / 2..n, b);
    assert_eq!(halves, x);
}
