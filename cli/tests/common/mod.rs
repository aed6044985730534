//! Helpers of the `deepinit` program's end-to-end tests: run the binary,
//! read its JSON output, check a bad-input failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist");

/// A quick run: 2000 training and 500 test images, a small network.
pub const QUICK: &[&str] = &["--train-limit", "2000", "--test-limit", "500", "--quiet"];

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn deepinit(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_deepinit")).args(args))
}

/// Runs the program with its address space limited to `kib` KiB (`ulimit
/// -v`), so that large allocations are refused.
#[cfg(unix)]
pub fn deepinit_in_kib(kib: u64, args: &[&str]) -> Output {
    run(Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg(kib.to_string())
        .arg(env!("CARGO_BIN_EXE_deepinit"))
        .args(args))
}

fn run(command: &mut Command) -> Output {
    let out = command
        .env("DEEPINIT_DATA", DATA)
        .output()
        .expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deepinit-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The raw text of `"key": value` in a JSON file written by deepinit.
pub fn field(json: &str, key: &str) -> String {
    let at = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len()
        + 4;
    let rest = &json[at..];
    let end = rest.find([',', '\n']).unwrap_or(rest.len());
    rest[..end].trim_matches('"').to_owned()
}

/// Every value of `"key": value` in a JSON file written by deepinit, in order.
pub fn fields(json: &str, key: &str) -> Vec<String> {
    let pattern = format!("\"{key}\": ");
    json.match_indices(&pattern)
        .map(|(at, _)| {
            let rest = &json[at + pattern.len()..];
            let end = rest.find([',', '\n']).unwrap_or(rest.len());
            rest[..end].trim_matches('"').to_owned()
        })
        .collect()
}

/// Trains with `args` plus the quick settings and returns the JSON output.
pub fn train(dir: &Path, name: &str, args: &[&str]) -> String {
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

pub fn assert_bad_input(args: &[&str], expected: &str) {
    assert_one_error_line(args, &deepinit(args), expected);
}

/// `out` (of a run with `args`) failed with exit code 2 and one line on
/// stderr that contains `expected`.
pub fn assert_one_error_line(args: &[&str], out: &Output, expected: &str) {
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
    assert!(
        !lines[0].chars().any(char::is_control),
        "{args:?}: control characters in {:?}",
        lines[0]
    );
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
}
