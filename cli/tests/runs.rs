//! End-to-end runs of the `deepinit` program on a slice of MNIST: a small run
//! learns; the same seed, 1 or 2 threads, and save + resume all give the same
//! weights; `eval` reproduces the accuracy `train` reported; `compare` writes
//! its report, metrics and plot.

mod common;

use common::*;

#[test]
fn a_small_run_learns_and_is_deterministic() {
    let dir = scratch("run");
    let a = train(&dir, "a", &["--epochs", "2", "--seed", "3"]);
    let b = train(&dir, "b", &["--epochs", "2", "--seed", "3"]);
    let c = train(&dir, "c", &["--epochs", "2", "--seed", "4"]);
    let accuracy: f64 = field(&a, "test_accuracy").parse().unwrap();
    // Chance is 10 % (standard error 1.3 % on 500 images). Two epochs on
    // 2000 images reached 72.4 % on average over seeds 1–12, with a standard
    // deviation of 2.7 points (68.2–77.0 %): the bound is 5 of them below.
    assert!(accuracy > 0.724 - 5.0 * 0.027, "accuracy {accuracy}");
    assert_eq!(field(&a, "weights_sha256").len(), 64);
    assert_eq!(field(&a, "weights_sha256"), field(&b, "weights_sha256"));
    assert_ne!(field(&a, "weights_sha256"), field(&c, "weights_sha256"));
    assert_eq!(a.matches("\"epoch\":").count(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_and_two_threads_give_the_same_weights() {
    let dir = scratch("threads");
    let one = train(
        &dir,
        "one",
        &["--layers", "784,128,10", "--epochs", "1", "--threads", "1"],
    );
    let two = train(
        &dir,
        "two",
        &["--layers", "784,128,10", "--epochs", "1", "--threads", "2"],
    );
    assert_eq!(field(&one, "weights_sha256"), field(&two, "weights_sha256"));
    assert_eq!(field(&two, "threads"), "2");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn save_and_resume_equals_one_run() {
    let dir = scratch("resume");
    let ckpt = dir.join("model.safetensors");
    let whole = train(
        &dir,
        "whole",
        &[
            "--epochs",
            "2",
            "--optimizer",
            "sgd",
            "--lr",
            "0.05",
            "--momentum",
            "0.9",
        ],
    );
    let sgd = ["--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9"];
    let first = train(
        &dir,
        "first",
        &[&["--epochs", "1", "--save", s(&ckpt)][..], &sgd[..]].concat(),
    );
    assert_ne!(
        field(&first, "weights_sha256"),
        field(&whole, "weights_sha256")
    );
    let second = train(
        &dir,
        "second",
        &["--epochs", "2", "--resume", s(&ckpt), "--save", s(&ckpt)],
    );
    assert_eq!(
        field(&second, "weights_sha256"),
        field(&whole, "weights_sha256")
    );
    assert_eq!(
        field(&second, "test_correct"),
        field(&whole, "test_correct")
    );
    assert_eq!(
        field(&second, "name"),
        "sgd",
        "settings come from the checkpoint"
    );
    // The resumed run's JSON lists both epochs, with the same losses and accuracies.
    for key in ["epoch", "train_loss", "test_loss", "test_accuracy"] {
        assert_eq!(fields(&second, key), fields(&whole, key), "{key}");
    }
    assert_eq!(fields(&second, "epoch"), ["1", "2"]);

    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn compare_writes_report_metrics_and_plot() {
    let dir = scratch("compare");
    let out_dir = dir.join("out");
    let json = dir.join("metrics-copy.json");
    let args = [
        "compare",
        "--inits",
        "xavier-uniform,constant:0.01/zeros",
        "--seeds",
        "1,2",
        "--epochs",
        "1",
    ];
    let limits = [
        "--train-limit",
        "500",
        "--test-limit",
        "200",
        "--out",
        s(&out_dir),
        "--json",
        s(&json),
    ];
    let out = deepinit(&[&args[..], &limits[..]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("time to 98 %") && out.stdout.contains("never"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("constant:0.01, zero bias"),
        "{}",
        out.stdout
    );
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("| xavier-uniform |"), "{report}");
    // The lesson's sentence on the constant start is the one of its biases.
    assert!(
        report.contains("constant start with zero biases keeps every hidden unit identical")
            && !report.contains("only the random biases"),
        "{report}"
    );
    let metrics = std::fs::read_to_string(out_dir.join("metrics.json")).unwrap();
    assert_eq!(metrics, std::fs::read_to_string(json).unwrap());
    assert_eq!(
        metrics.matches("\"weights_sha256\"").count(),
        4,
        "2 inits × 2 seeds"
    );
    let png = std::fs::read(out_dir.join("accuracy.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // stderr is not a terminal here: one line per epoch, numbered by run.
    for line in [
        "[1/4] xavier-uniform, seed 1, epoch 1/1:",
        "[2/4] xavier-uniform, seed 2, epoch 1/1:",
        "[3/4] constant:0.01, zero bias, seed 1, epoch 1/1:",
        "[4/4] constant:0.01, zero bias, seed 2, epoch 1/1:",
    ] {
        assert!(out.stderr.contains(line), "{line} in {}", out.stderr);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A diverging init is part of the study, not an error: its runs stop at
/// the non-finite loss, and the table shows how many did instead of means
/// over the epochs before it.
#[test]
fn compare_reports_diverged_runs() {
    let dir = scratch("compare-nan");
    let out_dir = dir.join("out");
    let out = deepinit(&[
        "compare",
        "--inits",
        "normal:1e12,xavier-uniform",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--train-limit",
        "300",
        "--test-limit",
        "50",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("stopped, loss became NaN"),
        "{}",
        out.stderr
    );
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("normal:"))
        .unwrap();
    assert!(row.contains("1/1 NaN"), "{row}");
    assert!(
        !row.contains('%'),
        "no mean accuracy for a diverged init: {row}"
    );
    let metrics = std::fs::read_to_string(out_dir.join("metrics.json")).unwrap();
    assert_eq!(fields(&metrics, "diverged_runs"), ["1", "0"]);
    // The diverged init's seconds are those its run took until it stopped.
    let seconds: f64 = fields(&metrics, "seconds")[0].parse().unwrap();
    assert!(seconds > 0.0, "{seconds} s for the diverged init");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A training set smaller than one batch is refused before any run starts,
/// and the new `--out` is removed.
#[test]
fn compare_refuses_less_than_one_batch() {
    let dir = scratch("compare-small");
    let out_dir = dir.join("out");
    let out = deepinit(&[
        "compare",
        "--inits",
        "he-normal",
        "--seeds",
        "1,2",
        "--train-limit",
        "50",
        "--out",
        s(&out_dir),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the training set has 50 images, fewer than one batch of 100"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("[1/2]"),
        "a run started: {}",
        out.stderr
    );
    assert!(!out_dir.exists(), "--out left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A study whose outputs cannot all be written (here `report.md` is made a
/// directory while the study trains) removes the ones it wrote and the
/// `--out` it made.
#[test]
fn compare_that_fails_to_write_leaves_nothing() {
    let dir = scratch("compare-write");
    let out_dir = dir.join("new/out");
    let blocker = {
        let report = out_dir.join("report.md");
        // The study makes --out at once and writes report.md after loading
        // the data and training; the deadline only bounds a machine so
        // loaded that the program has not even started.
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while std::time::Instant::now() < deadline {
                if std::fs::create_dir(&report).is_ok() {
                    return true;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            false
        })
    };
    let out = deepinit(&[
        "compare",
        "--inits",
        "he-normal",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--train-limit",
        "3000",
        "--test-limit",
        "500",
        "--out",
        s(&out_dir),
    ]);
    assert!(blocker.join().unwrap(), "report.md was never blocked");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("report.md"), "{}", out.stderr);
    // The blocking directory is not the study's: it stays, and with it
    // --out; the metrics written before the failure are gone.
    assert!(
        !out_dir.join("metrics.json").exists(),
        "metrics.json left behind"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Two runs at a time train the same networks as one at a time: the same
/// weights, run by run, in the same order in metrics.json. Without
/// `--jobs`, each thread trains its own run.
#[test]
fn compare_jobs_train_the_same_networks() {
    let dir = scratch("compare-jobs");
    let study = [
        "compare",
        "--inits",
        "xavier-uniform,he-normal",
        "--seeds",
        "1,2,3",
        "--epochs",
        "1",
        "--train-limit",
        "500",
        "--test-limit",
        "200",
    ];
    let mut shas = Vec::new();
    // By default one job per thread: --threads 2 alone gives two jobs of
    // one thread, as --jobs 2 does.
    let cases: [(&[&str], &str, &str); 4] = [
        (&["--jobs", "1", "--threads", "2"], "1", "2"),
        (&["--jobs", "2", "--threads", "2"], "2", "1"),
        (&["--threads", "2"], "2", "1"),
        (&["--threads", "1"], "1", "1"),
    ];
    for (flags, jobs, threads) in cases {
        let out_dir = dir.join(format!("jobs{}", shas.len()));
        let out = deepinit(&[&study[..], flags, &["--out", s(&out_dir)]].concat());
        assert_eq!(out.code, 0, "{}", out.stderr);
        for k in 1..=6 {
            assert!(out.stderr.contains(&format!("[{k}/6] ")), "{}", out.stderr);
        }
        let metrics = std::fs::read_to_string(out_dir.join("metrics.json")).unwrap();
        assert_eq!(field(&metrics, "jobs"), jobs, "{flags:?}");
        assert_eq!(field(&metrics, "threads"), threads, "{flags:?}");
        assert_eq!(fields(&metrics, "seed"), ["1", "2", "3", "1", "2", "3"]);
        let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        assert_eq!(report.contains("2 at a time"), jobs == "2", "{report}");
        shas.push(fields(&metrics, "weights_sha256"));
    }
    assert_eq!(shas[0].len(), 6);
    assert!(shas.iter().all(|s| *s == shas[0]));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn eval_reproduces_the_accuracy_train_reported() {
    let dir = scratch("eval");
    let ckpt = dir.join("model.safetensors");
    let whole = train(&dir, "whole", &["--epochs", "1", "--save", s(&ckpt)]);
    let eval_json = dir.join("eval.json");
    let out = deepinit(&[
        "eval",
        "--model",
        s(&ckpt),
        "--test-limit",
        "500",
        "--json",
        s(&eval_json),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let eval = std::fs::read_to_string(eval_json).unwrap();
    assert_eq!(field(&eval, "test_correct"), field(&whole, "test_correct"));
    assert_eq!(
        field(&eval, "weights_sha256"),
        field(&whole, "weights_sha256")
    );
    assert!(out.stdout.contains("test accuracy"), "{}", out.stdout);
    // The test files alone are enough: eval reads no training file.
    let test_only = dir.join("t10k");
    std::fs::create_dir(&test_only).unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist");
    for file in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
        std::fs::copy(data.join(file), test_only.join(file)).unwrap();
    }
    let alone = deepinit(&[
        "eval",
        "--model",
        s(&ckpt),
        "--test-limit",
        "500",
        "--data",
        s(&test_only),
    ]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    assert_eq!(alone.stdout, out.stdout);

    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn zero_epochs_evaluate_the_initial_weights() {
    let dir = scratch("zero-epochs");
    let z = train(&dir, "z", &["--epochs", "0", "--seed", "3"]);
    assert_eq!(z.matches("\"epoch\":").count(), 0);
    // An empty float sum is −0 in Rust; the report says +0.
    assert_eq!(field(&z, "train_seconds"), "0.0");
    let one = train(&dir, "one", &["--epochs", "1", "--seed", "3"]);
    assert_ne!(field(&z, "weights_sha256"), field(&one, "weights_sha256"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Results that cannot reach stdout (a full disk) fail the run with exit
/// code 1 and say why; a quiet run writes nothing there and succeeds.
#[cfg(target_os = "linux")]
#[test]
fn results_that_cannot_be_written_fail_the_run() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let run = |quiet: bool| {
        let mut args = vec!["train", "--layers", "784,16,10", "--epochs", "1"];
        args.extend(["--train-limit", "1000", "--test-limit", "100"]);
        if quiet {
            args.push("--quiet");
        }
        std::process::Command::new(env!("CARGO_BIN_EXE_deepinit"))
            .args(&args)
            .env("DEEPINIT_DATA", DATA)
            .stdout(full())
            .output()
            .unwrap()
    };
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("deepinit: error: cannot write to standard output")),
        "{stderr}"
    );
    let quiet = run(true);
    assert_eq!(quiet.status.code(), Some(0), "{:?}", quiet.stderr);
}
