//! End-to-end tests of the `deepinit` program: every kind of bad input exits
//! with code 2 and one line on stderr; small real runs on MNIST are
//! deterministic (same seed, 1 vs 2 threads, save + resume), and `eval`
//! reproduces the accuracy `train` reported.

use deepinit::checkpoint::{Checkpoint, keys};
use std::path::{Path, PathBuf};
use std::process::Command;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist");

/// A quick run: 2000 training and 500 test images, a small network.
const QUICK: &[&str] = &["--train-limit", "2000", "--test-limit", "500", "--quiet"];

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn deepinit(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_deepinit"))
        .args(args)
        .env("DEEPINIT_DATA", DATA)
        .output()
        .expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deepinit-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The raw text of `"key": value` in a JSON file written by deepinit.
fn field(json: &str, key: &str) -> String {
    let at = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len()
        + 4;
    let rest = &json[at..];
    let end = rest.find([',', '\n']).unwrap_or(rest.len());
    rest[..end].trim_matches('"').to_owned()
}

/// Trains with `args` plus the quick settings and returns the JSON output.
fn train(dir: &Path, name: &str, args: &[&str]) -> String {
    let json = dir.join(format!("{name}.json"));
    let mut all = vec!["train", "--json", s(&json)];
    if !args.contains(&"--layers") {
        all.extend_from_slice(&["--layers", "784,32,10"]);
    }
    all.extend_from_slice(QUICK);
    all.extend_from_slice(args);
    let out = deepinit(&all);
    assert_eq!(out.code, 0, "train {args:?} failed: {}", out.stderr);
    std::fs::read_to_string(json).unwrap()
}

fn assert_bad_input(args: &[&str], expected: &str) {
    let out = deepinit(args);
    assert_eq!(
        out.code, 2,
        "{args:?} exited with {}: {}",
        out.code, out.stderr
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line: {:?}", out.stderr);
    assert!(
        lines[0].starts_with("deepinit: error: "),
        "{args:?}: {}",
        lines[0]
    );
    assert!(
        lines[0].contains(expected),
        "{args:?}: {:?} lacks {expected:?}",
        lines[0]
    );
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
}

#[test]
fn version_and_help() {
    let v = deepinit(&["--version"]);
    assert_eq!(
        (v.code, v.stdout.trim()),
        (0, concat!("deepinit ", env!("CARGO_PKG_VERSION")))
    );
    let h = deepinit(&["--help"]);
    assert_eq!(h.code, 0);
    for cmd in ["train", "eval", "compare"] {
        assert!(h.stdout.contains(cmd), "{}", h.stdout);
    }
    let t = deepinit(&["train", "--help"]);
    assert_eq!(t.code, 0);
    for flag in [
        "--layers",
        "--init",
        "--bias-init",
        "--optimizer",
        "--momentum",
        "--resume",
        "--threads",
        "--json",
    ] {
        assert!(t.stdout.contains(flag), "train --help lacks {flag}");
    }
    assert!(
        t.stdout.contains("truncated-normal:STD"),
        "train --help lists the init names"
    );
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    assert_bad_input(&[], "missing command");
    assert_bad_input(&["fly"], "unrecognized subcommand");
    assert_bad_input(&["train", "--frobnicate"], "--frobnicate");
    assert_bad_input(&["train", "--init", "xavier"], "unknown init \"xavier\"");
    assert_bad_input(&["train", "--init", "normal:-1"], "must be > 0");
    assert_bad_input(
        &["train", "--init", "uniform:1:0"],
        "LOW must be below HIGH",
    );
    assert_bad_input(&["train", "--bias-init", "ones"], "unknown bias init");
    assert_bad_input(&["train", "--activation", "gelu"], "unknown activation");
    assert_bad_input(&["train", "--optimizer", "rmsprop"], "unknown optimizer");
    assert_bad_input(&["train", "--lr", "0"], "--lr must be > 0");
    assert_bad_input(&["train", "--lr", "-0.1"], "--lr must be > 0");
    assert_bad_input(&["train", "--lr", "fast"], "--lr must be a finite number");
    assert_bad_input(&["train", "--batch", "0"], "--batch must be at least 1");
    assert_bad_input(
        &["train", "--epochs", "-3"],
        "--epochs must be a non-negative integer",
    );
    assert_bad_input(&["train", "--threads", "0"], "--threads must be at least 1");
    assert_bad_input(&["train", "--momentum", "0.9"], "sgd only");
    assert_bad_input(&["compare", "--arch", "deep9"], "unknown --arch");
    assert_bad_input(
        &["compare", "--inits", "xavier-uniform,,he-normal"],
        "empty entry",
    );
    assert_bad_input(
        &["compare", "--inits", "he-uniform/ones"],
        "unknown bias init",
    );
    assert_bad_input(&["compare", "--seeds", "1,x"], "not an unsigned integer");
    assert_bad_input(&["eval"], "--model");
}

#[test]
fn layers_must_fit_the_data() {
    assert_bad_input(
        &["train", "--layers", "100,10", "--test-limit", "10"],
        "first size must be the data's 784",
    );
    assert_bad_input(
        &["train", "--layers", "784,64,9", "--test-limit", "10"],
        "last size must be the data's 10",
    );
    assert_bad_input(
        &["train", "--layers", "784", "--test-limit", "10"],
        "at least an input and an output",
    );
    assert_bad_input(
        &["train", "--layers", "784,0,10", "--test-limit", "10"],
        "is zero",
    );
}

#[test]
fn missing_and_corrupt_data_files() {
    let dir = scratch("data");
    let out = deepinit(&["train", "--data", s(&dir.join("absent"))]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("absent"), "{}", out.stderr);
    // Truncated copies of the real files.
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        let bytes = std::fs::read(Path::new(DATA).join(name)).unwrap();
        let keep = if name.starts_with("t10k-images") {
            bytes.len() / 2
        } else {
            bytes.len()
        };
        std::fs::write(dir.join(name), &bytes[..keep]).unwrap();
    }
    assert_bad_input(&["train", "--data", s(&dir)], "t10k-images");
    // Mismatched counts: 10 000 test images with the 60 000 training labels.
    let copy =
        |from: &str, to: &str| std::fs::copy(Path::new(DATA).join(from), dir.join(to)).unwrap();
    copy("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz");
    copy("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
    assert_bad_input(&["train", "--data", s(&dir)], "has 10000 images but");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn verify_data_checks_sha256sums() {
    let dir = scratch("verify");
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(Path::new(DATA).join(name), dir.join(name)).unwrap();
    }
    let sums = std::fs::read_to_string(Path::new(DATA).join("SHA256SUMS")).unwrap();
    // One flipped hex digit in the first entry.
    let flipped = format!(
        "{}{}",
        if sums.starts_with('0') { '1' } else { '0' },
        &sums[1..]
    );
    std::fs::write(dir.join("SHA256SUMS"), flipped).unwrap();
    let args = [
        "train",
        "--verify-data",
        "--data",
        s(&dir),
        "--test-limit",
        "10",
    ];
    assert_bad_input(&args, "SHA-256 mismatch");
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
    let ok = deepinit(&[
        "train",
        "--verify-data",
        "--data",
        s(&dir),
        "--layers",
        "784,8,10",
        "--epochs",
        "0",
        "-q",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_checkpoints_exit_2() {
    let dir = scratch("ckpt");
    assert_bad_input(
        &["eval", "--model", s(&dir.join("absent.safetensors"))],
        "absent.safetensors",
    );
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, b"not a checkpoint at all").unwrap();
    assert_bad_input(&["eval", "--model", s(&garbage)], "corrupt checkpoint");
    // A valid file of another architecture: 100 inputs.
    let mut other = Checkpoint::new();
    other.set_metadata(keys::FORMAT_VERSION, "1");
    other.set_metadata(keys::ARCHITECTURE, "100,10");
    other.set_metadata(keys::ACTIVATION, "relu");
    other.push("layers.0.weight", &[10, 100], vec![0.0; 1000]);
    other.push("layers.0.bias", &[10], vec![0.0; 10]);
    let path = dir.join("other.safetensors");
    other.save(&path).unwrap();
    assert_bad_input(
        &["eval", "--model", s(&path), "--test-limit", "10"],
        "another architecture",
    );
    let bytes = std::fs::read(&path).unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 7]).unwrap();
    assert_bad_input(&["eval", "--model", s(&truncated)], "truncated checkpoint");
    assert_bad_input(
        &["train", "--resume", s(&truncated)],
        "truncated checkpoint",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_small_run_learns_and_is_deterministic() {
    let dir = scratch("run");
    let a = train(&dir, "a", &["--epochs", "2", "--seed", "3"]);
    let b = train(&dir, "b", &["--epochs", "2", "--seed", "3"]);
    let c = train(&dir, "c", &["--epochs", "2", "--seed", "4"]);
    let accuracy: f64 = field(&a, "test_accuracy").parse().unwrap();
    // Chance is 10 %; its standard error on 500 images is 1.3 %. Two epochs
    // on 2000 images reach far more (about 85 % measured).
    assert!(accuracy > 0.6, "accuracy {accuracy}");
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
fn save_and_resume_equals_one_run_and_eval_reproduces_it() {
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

    // Resuming with contradicting settings is refused.
    let resume = ["train", "--resume", s(&ckpt), "--test-limit", "10"];
    assert_bad_input(
        &[&resume[..], &["--layers", "784,64,10"]].concat(),
        "another architecture",
    );
    assert_bad_input(
        &[&resume[..], &["--lr", "0.01"]].concat(),
        "optimizer flags differ",
    );
    assert_bad_input(
        &[&resume[..], &["--seed", "9"]].concat(),
        "--seed 9 differs from the checkpoint's 777",
    );
    assert_bad_input(
        &[&resume[..], &["--init", "he-normal"]].concat(),
        "--init he-normal differs",
    );
    assert_bad_input(
        &[&resume[..], &["--momentum", "0.5"]].concat(),
        "sgd (lr 0.05, momentum 0.9",
    );
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
    let metrics = std::fs::read_to_string(out_dir.join("metrics.json")).unwrap();
    assert_eq!(metrics, std::fs::read_to_string(json).unwrap());
    assert_eq!(
        metrics.matches("\"weights_sha256\"").count(),
        4,
        "2 inits × 2 seeds"
    );
    let png = std::fs::read(out_dir.join("accuracy.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::remove_dir_all(dir).unwrap();
}
