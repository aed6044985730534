//! The `deepinit` program's handling of bad input: every unknown flag or
//! init, out-of-range value, missing, corrupt or mismatched data file, and bad
//! or foreign checkpoint exits with code 2 and one line on stderr.

mod common;

use common::*;
use deepinit::checkpoint::{Checkpoint, keys};
use std::path::Path;

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
    // Spaces around a number are no error, as for the counts.
    let spaced = deepinit(&[
        "train",
        "--lr",
        " 0.01 ",
        "--epochs",
        " 0",
        "--layers",
        "784, 8,10",
        "--test-limit",
        "10",
        "-q",
    ]);
    assert_eq!(spaced.code, 0, "{}", spaced.stderr);
    // Positive numbers that are 0 in the precision they are used in say so.
    assert_bad_input(
        &["train", "--lr", "1e-400"],
        "--lr must be > 0, got 1e-400, which is 0 in f64",
    );
    assert_bad_input(
        &["train", "--lr", "1e-50"],
        "--lr must be > 0, got 1e-50, which is 0 in f32",
    );
    assert_bad_input(
        &["train", "--lr", "1e39"],
        "--lr 1e39 is beyond f32's range",
    );
    assert_bad_input(&["train", "--lr", "0"], "--lr must be > 0, got 0");
    assert_bad_input(
        &["train", "--init", "normal:1e-50"],
        "got 1e-50, which is 0 in f32",
    );
    assert_bad_input(
        &["train", "--epochs", "99999999999999999999"],
        "--epochs must be at most 18446744073709551615, got 99999999999999999999",
    );
    assert_bad_input(&["train", "--lr", "fast"], "--lr must be a finite number");
    assert_bad_input(&["train", "--batch", "0"], "--batch must be at least 1");
    assert_bad_input(
        &["train", "--epochs", "-3"],
        "--epochs must be a non-negative integer",
    );
    assert_bad_input(&["train", "--threads", "0"], "--threads must be at least 1");
    assert_bad_input(&["train", "--momentum", "0.9"], "sgd only");
    let sgd = ["train", "--optimizer", "sgd"];
    assert_bad_input(
        &[&sgd[..], &["--momentum", "-1"]].concat(),
        "--momentum must be ≥ 0, got -1",
    );
    assert_bad_input(
        &[&sgd[..], &["--momentum", "0.5", "--weight-decay", "-0.5"]].concat(),
        "--weight-decay must be ≥ 0, got -0.5",
    );
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
    // A leading minus is a value, not a flag.
    assert_bad_input(
        &["compare", "--seeds", "-1,2"],
        "\"-1\" is not an unsigned integer",
    );
    assert_bad_input(&["train", "--layers", "-784,10"], "got \"-784\"");
    assert_bad_input(
        &["compare", "--inits", "he-normal/ ones"],
        "unknown bias init \"ones\"",
    );
    assert_bad_input(&["compare", "--seeds", "7,1,7"], "--seeds lists 7 twice");
    assert_bad_input(
        &["compare", "--inits", "normal,he-uniform,normal:1"],
        "--inits lists normal twice",
    );
    assert_bad_input(
        &[
            "compare",
            "--inits",
            "constant:0.01/zeros,constant:0.01/zeros",
        ],
        "zero bias twice",
    );
    assert_bad_input(&["compare", "--jobs", "0"], "--jobs must be at least 1");
    assert_bad_input(&["compare", "--jobs", "two"], "--jobs");
    assert_bad_input(&["eval"], "--model");
    // A flag where a number (or list) should be is a missing value, not a
    // stray argument after it or a bad number.
    for (args, name, next) in [
        (
            &["train", "--epochs", "--seed", "3"][..],
            "--epochs <N>",
            "--seed",
        ),
        (
            &["compare", "--seeds", "--epochs", "1"],
            "--seeds <LIST>",
            "--epochs",
        ),
        (
            &["train", "--momentum", "--nesterov"],
            "--momentum <M>",
            "--nesterov",
        ),
        (
            &["compare", "--inits", "--quiet"],
            "--inits <LIST>",
            "--quiet",
        ),
        (&["train", "--epochs", "-q"], "--epochs <N>", "-q"),
        (&["eval", "--test-limit", "-h"], "--test-limit <N>", "-h"),
    ] {
        assert_bad_input(
            args,
            &format!(
                "a value is required for '{name}' but none was supplied \
                 (found {next} where the value should be; see deepinit {} --help)",
                args[0]
            ),
        );
    }
    // A negative number is a value (refused by the option), `-x` a bad
    // value, `--` the end of the options.
    assert_bad_input(&["train", "--epochs", "-1"], "--epochs must be");
    assert_bad_input(&["train", "--epochs", "-x"], "--epochs must be");
    assert_bad_input(&["train", "--epochs", "--", "3"], "unexpected argument '3'");
    // An empty path names no file.
    for flag in ["--json", "--save", "--resume"] {
        assert_bad_input(
            &["train", flag, ""],
            &format!("invalid value '' for '{flag} <PATH>': the path is empty"),
        );
    }
    assert_bad_input(&["eval", "--model", ""], "the path is empty");
    assert_bad_input(
        &["compare", "--out", ""],
        "invalid value '' for '--out <DIR>': the path is empty",
    );
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
    // Sizes whose parameter count overflows, or is past what a run can
    // hold, are refused before anything is allocated.
    for huge in ["784,100000000000000000,10", "784,400000,10"] {
        assert_bad_input(
            &["train", "--layers", huge, "--test-limit", "10"],
            "more than 268435456 parameters",
        );
    }
    // So is a batch whose activations would pass 2²⁸ values (an abort or
    // the system's memory killer once the batch ran).
    assert_bad_input(
        &[
            "train",
            "--layers",
            "784,4096,10",
            "--batch",
            "60000",
            "--test-limit",
            "10",
        ],
        "--batch 60000 through layers 784,4096,10: more than 268435456 values",
    );
    // The evaluation's batch of 1000 counts too: 1000 × 300 794 values (a
    // test set of 10 images would be evaluated in a batch of 10).
    assert_bad_input(
        &["train", "--layers", "784,300000,10"],
        "the evaluation's batch of 1000 images through layers 784,300000,10",
    );
    for threads in ["100000", "18446744073709551615"] {
        assert_bad_input(
            &["train", "--threads", threads],
            "--threads must be at most",
        );
    }
}

/// Sizes within the caps that the system still cannot hold: one line and
/// exit code 2, not an abort (784·300000 weights are 0.94 GB, Adam's two
/// buffers as much again each).
#[cfg(target_os = "linux")]
#[test]
fn memory_the_system_refuses_is_one_line() {
    let args = [
        "train",
        "--layers",
        "784,300000,10",
        "--train-limit",
        "100",
        "--test-limit",
        "10",
    ];
    for (kib, expected) in [
        (800_000, "model: layer 0's parameters cannot be allocated"),
        (
            1_600_000,
            "optimizer: cannot allocate the state of parameter 0",
        ),
    ] {
        let out = deepinit_in_kib(kib, &args);
        assert_one_error_line(&args, &out, expected);
    }
    // Orthogonal initialization's f64 scratch (1.9 GB here), after the
    // weights fit.
    let args = [&args[..], &["--init", "orthogonal"]].concat();
    assert_one_error_line(
        &args,
        &deepinit_in_kib(2_500_000, &args),
        "model: cannot initialize layer 0: orthogonal: cannot allocate its scratch of 235200000 values",
    );
}

#[test]
fn missing_and_corrupt_data_files() {
    let dir = scratch("data");
    let out = deepinit(&["train", "--data", s(&dir.join("absent"))]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("absent"), "{}", out.stderr);
    // A file where the directory should be.
    let file = dir.join("SHA256SUMS");
    std::fs::write(&file, b"").unwrap();
    assert_bad_input(&["train", "--data", s(&file)], "not a directory");
    // An empty $DEEPINIT_DATA is no setting: the default data loads.
    let quick = [
        "train",
        "--epochs",
        "0",
        "--train-limit",
        "100",
        "--test-limit",
        "10",
    ];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deepinit"))
        .args(quick)
        .arg("--quiet")
        .env("DEEPINIT_DATA", "")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An empty --data is no setting either: $DEEPINIT_DATA applies.
    let absent = dir.join("absent-by-env");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deepinit"))
        .args(["train", "--data", ""])
        .env("DEEPINIT_DATA", &absent)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("absent-by-env"), "{err}");
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
    // A dtype that would clear the screen and set the terminal's title is
    // printed escaped.
    let header = r#"{"layers.0.weight":{"dtype":"\u001b]0;t\u0007\u001b[2JF32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut crafted = (header.len() as u64).to_le_bytes().to_vec();
    crafted.extend_from_slice(header.as_bytes());
    crafted.extend_from_slice(&[0; 4]);
    let escapes = dir.join("escapes.safetensors");
    std::fs::write(&escapes, crafted).unwrap();
    assert_bad_input(
        &["eval", "--model", s(&escapes)],
        r"\u{1b}]0;t\u{7}\u{1b}[2JF32",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resume_refuses_contradicting_flags() {
    use deepinit::optim::{OptimizerConfig, SgdConfig};
    use deepinit::train::{TrainConfig, Trainer};
    let dir = scratch("refuse");
    let ckpt = dir.join("model.safetensors");
    let mut config = TrainConfig::new(vec![784, 32, 10]);
    config.optimizer = OptimizerConfig::Sgd(SgdConfig {
        momentum: 0.9,
        ..SgdConfig::new(0.05)
    });
    let trainer = Trainer::new(config).unwrap();
    let mut c = Checkpoint::from_train_state(&trainer.state(), trainer.config());
    c.set_metadata(keys::INIT, "xavier-uniform");
    c.set_metadata(keys::BIAS_INIT, "default");
    c.save(&ckpt).unwrap();
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
    // An activation `--activation` cannot name is refused as that flag
    // refuses it, in a checkpoint too.
    c.set_metadata(keys::ACTIVATION, "identity");
    c.save(&ckpt).unwrap();
    assert_bad_input(
        &resume,
        "unknown activation \"identity\"; known: relu, sigmoid, tanh",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A checkpoint resumes only the run it came from: the same number of
/// training images (each epoch's shuffle depends on it), a step count and
/// history that fit its epochs, and a total `--epochs` not below them.
#[test]
fn resume_refuses_another_run_position() {
    let dir = scratch("position");
    let ckpt = dir.join("model.safetensors");
    let quick = [
        "--layers",
        "784,16,10",
        "--batch",
        "50",
        "--test-limit",
        "10",
    ];
    let first = [
        "train",
        "--epochs",
        "1",
        "--train-limit",
        "200",
        "--save",
        s(&ckpt),
    ];
    let out = deepinit(&[&first[..], &quick[..], &["--quiet"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let resume = |ckpt: &Path, more: &[&str]| {
        let mut args = vec!["train", "--resume", s(ckpt), "--test-limit", "10"];
        args.extend_from_slice(more);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let bad = |args: Vec<String>, expected: &str| {
        assert_bad_input(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            expected,
        )
    };
    bad(
        resume(&ckpt, &["--train-limit", "300", "--epochs", "2"]),
        "trained on 200 images, this run has 300",
    );
    bad(
        resume(&ckpt, &["--train-limit", "200", "--epochs", "0"]),
        "--epochs 0 is fewer than the 1",
    );
    let edited = dir.join("edited.safetensors");
    // Removes the metadata `keys` (all but the first when `value` is some),
    // and sets the first to `value`.
    let edit_keys = |keys: &[&str], value: Option<&str>| {
        let c = Checkpoint::load(&ckpt).unwrap();
        let mut fresh = Checkpoint::new();
        for (k, v) in c.metadata_map() {
            if !keys.contains(&k.as_str()) {
                fresh.set_metadata(k, v);
            }
        }
        if let Some(v) = value {
            fresh.set_metadata(keys[0], v);
        }
        for t in c.tensors() {
            fresh.push(t.name(), t.shape(), t.data().to_vec());
        }
        fresh.save(&edited).unwrap();
    };
    let edit = |key: &str, value: Option<&str>| edit_keys(&[key], value);
    let again = || resume(&edited, &["--train-limit", "200", "--epochs", "2"]);
    edit("history", Some(""));
    bad(
        again(),
        "history lists epochs [], its state has completed 1",
    );
    edit("optim_step", Some("1"));
    bad(
        again(),
        "taken 1 steps, but the epochs completed on this training set make 4",
    );
    edit("batch_size", Some("0"));
    bad(
        again(),
        &format!(
            "cannot resume from {}: batch_size must be at least 1",
            s(&edited)
        ),
    );
    // Without the image count and digest (a checkpoint from before they were
    // stored), the step count still tells 250 images (5 batches) from 200 (4).
    edit_keys(&["train_samples", "train_data_sha256"], None);
    bad(
        resume(&edited, &["--train-limit", "250", "--epochs", "2"]),
        "taken 4 steps, but the epochs completed on this training set make 5",
    );
    let ok = deepinit(
        &[
            &again().iter().map(String::as_str).collect::<Vec<_>>()[..],
            &["--quiet"],
        ]
        .concat(),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    // As many images, but others: a data directory whose training files
    // are the test set's.
    let other = dir.join("other-data");
    std::fs::create_dir(&other).unwrap();
    let mnist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist");
    for kind in ["images-idx3", "labels-idx1"] {
        let test = mnist.join(format!("t10k-{kind}-ubyte.gz"));
        std::fs::copy(&test, other.join(format!("t10k-{kind}-ubyte.gz"))).unwrap();
        std::fs::copy(&test, other.join(format!("train-{kind}-ubyte.gz"))).unwrap();
    }
    bad(
        resume(
            &ckpt,
            &["--train-limit", "200", "--epochs", "2", "--data", s(&other)],
        ),
        "the checkpoint was trained on other images than this run's",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn output_paths_are_checked_before_any_work() {
    // The data directory does not exist either: the output path is refused
    // first, before any data is read or any epoch trained.
    let no_dir = "/nonexistent-deepinit-dir/out";
    let missing = "does not exist";
    let data = ["--data", "/nonexistent-deepinit-data"];
    for flag in ["--save", "--json"] {
        let path = format!("{no_dir}.{}", &flag[2..]);
        let mut args = vec!["train", flag, path.as_str()];
        args.extend(data);
        assert_bad_input(&args, missing);
    }
    let dir = scratch("outputs");
    let mut args = vec!["train", "--json", s(&dir)];
    args.extend(data);
    assert_bad_input(&args, "must name a file, not a directory");
    assert_bad_input(
        &[
            "eval",
            "--model",
            "/nonexistent.safetensors",
            "--json",
            no_dir,
        ],
        missing,
    );
    let mut args = vec!["compare", "--json", no_dir];
    args.extend(data);
    assert_bad_input(&args, missing);
    // A directory where no file can be created (even by root): refused
    // before the data is looked at, not after the training.
    #[cfg(target_os = "linux")]
    for flag in ["--save", "--json"] {
        let mut args = vec!["train", flag, "/proc/deepinit-out"];
        args.extend(data);
        assert_bad_input(&args, "cannot write files in /proc");
    }
    #[cfg(target_os = "linux")]
    {
        let mut args = vec!["compare", "--out", "/proc/deepinit-out"];
        args.extend(data);
        assert_bad_input(&args, "cannot create the directory");
    }
    // An output that names a file of the data set (any accepted spelling,
    // present or not, or a link to one) would destroy the data: refused,
    // and the file is left as it was.
    let data_dir = dir.join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let labels = data_dir.join("t10k-labels-idx1-ubyte.gz");
    std::fs::write(&labels, b"labels").unwrap();
    let link = dir.join("model.safetensors");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&labels, &link).unwrap();
    for (sub, flag, out) in [
        ("train", "--save", data_dir.join("train-images-idx3-ubyte")),
        (
            "train",
            "--json",
            data_dir.join("t10k-images.idx3-ubyte.gz"),
        ),
        ("train", "--json", labels.clone()),
        ("eval", "--json", data_dir.join("SHA256SUMS")),
        ("compare", "--json", dir.join("data/../data/SHA256SUMS")),
        #[cfg(unix)]
        ("train", "--save", link.clone()),
    ] {
        let mut args = vec![sub, flag, s(&out), "--data", s(&data_dir)];
        if sub == "eval" {
            args.extend(["--model", "/nonexistent.safetensors"]);
        }
        assert_bad_input(&args, "names a file of the data set in");
    }
    assert_eq!(std::fs::read(&labels).unwrap(), b"labels");
    // compare's --out: an existing file, or a directory under a file, is
    // refused before the (missing) data is looked at.
    let file = dir.join("file");
    std::fs::write(&file, b"kept").unwrap();
    let mut args = vec!["compare", "--out", s(&file)];
    args.extend(data);
    assert_bad_input(&args, "exists and is not a directory");
    let under = file.join("sub");
    let mut args = vec!["compare", "--out", s(&under)];
    args.extend(data);
    assert_bad_input(&args, "cannot create the directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    // A new --out that passes the check is removed again when the data then
    // fails to load, so a failed run leaves nothing behind.
    let fresh = dir.join("fresh");
    let mut args = vec!["compare", "--out", s(&fresh)];
    args.extend(data);
    assert_bad_input(&args, "/nonexistent-deepinit-data");
    assert!(!fresh.exists(), "{} left behind", fresh.display());
    // Its new parents go too; and a --json inside the new --out is fine (the
    // run gets as far as the missing data).
    let deep = dir.join("new/sub");
    let inside = deep.join("study.json");
    let mut args = vec!["compare", "--out", s(&deep), "--json", s(&inside)];
    args.extend(data);
    assert_bad_input(&args, "/nonexistent-deepinit-data");
    assert!(!dir.join("new").exists(), "new/ left behind");
    // So it is when a later flag is bad, and a --json that would replace
    // the report or the plot the study writes is refused.
    for (flag, value, expected) in [
        ("--train-limit", "0", "--train-limit must be at least 1"),
        (
            "--test-limit",
            "x",
            "--test-limit must be a non-negative integer",
        ),
        (
            "--json",
            "new/sub/report.md",
            "names the report.md the study writes",
        ),
        (
            "--json",
            "new/sub/accuracy.png",
            "names the accuracy.png the study writes",
        ),
    ] {
        let value = if flag == "--json" {
            dir.join(value).display().to_string()
        } else {
            value.to_owned()
        };
        let mut args = vec!["compare", "--out", s(&deep), flag, &value];
        args.extend(data);
        assert_bad_input(&args, expected);
        assert!(
            !dir.join("new").exists(),
            "{flag} {value}: new/ left behind"
        );
    }
    let mut args = vec!["compare", "--out", ""];
    args.extend(data);
    assert_bad_input(&args, "the path is empty");
    // A path that ends like a directory, two outputs in one file, and a JSON
    // that would replace the checkpoint it resumes.
    let ckpt = dir.join("model.safetensors");
    std::fs::write(&ckpt, b"kept").unwrap();
    let slash = format!("{}/", dir.join("newdir").display());
    for flag in ["--save", "--json"] {
        let mut args = vec!["train", flag, slash.as_str()];
        args.extend(data);
        assert_bad_input(&args, "must name a file, not a directory");
    }
    let mut args = vec!["train", "--save", s(&ckpt), "--json", s(&ckpt)];
    args.extend(data);
    assert_bad_input(&args, "--save and --json name the same file");
    let mut args = vec!["train", "--resume", s(&ckpt), "--json", s(&ckpt)];
    args.extend(data);
    assert_bad_input(&args, "--json and --resume name the same file");
    let mut args = vec!["eval", "--model", s(&ckpt), "--json", s(&ckpt)];
    args.extend(data);
    assert_bad_input(&args, "--json and --model name the same file");
    // The same file under another name: a symbolic or a hard link to it.
    #[cfg(unix)]
    for (kind, link) in [
        ("symbolic", dir.join("sym.json")),
        ("hard", dir.join("hard.json")),
    ] {
        if kind == "symbolic" {
            std::os::unix::fs::symlink(&ckpt, &link).unwrap();
        } else {
            std::fs::hard_link(&ckpt, &link).unwrap();
        }
        let mut args = vec!["train", "--resume", s(&ckpt), "--json", s(&link)];
        args.extend(data);
        assert_bad_input(&args, "--json and --resume name the same file");
        let mut args = vec!["eval", "--model", s(&link), "--json", s(&ckpt)];
        args.extend(data);
        assert_bad_input(&args, "--json and --model name the same file");
        let mut args = vec!["train", "--save", s(&ckpt), "--json", s(&link)];
        args.extend(data);
        assert_bad_input(&args, "--save and --json name the same file");
    }
    assert_eq!(std::fs::read(&ckpt).unwrap(), b"kept");
    // --save onto something that is not a regular file: renaming over it
    // would replace it.
    #[cfg(unix)]
    {
        let socket = dir.join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let mut args = vec!["train", "--save", s(&socket)];
        args.extend(data);
        assert_bad_input(&args, "is not a regular file");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
