//! The `deepinit` program: the weight-initialization lesson on real MNIST.
//!
//! ```text
//! deepinit train   [--layers 784,256,256,10] [--init xavier-uniform] … [--save PATH] [--resume PATH] [--json PATH]
//! deepinit eval    --model PATH [--data DIR] [--json PATH]
//! deepinit compare [--arch mlp3|deep5] [--inits LIST] [--seeds 777,1,2] [--epochs 15] [--out DIR] [--json PATH]
//! ```
//! Bad input prints one line on stderr and exits with code 2 (output paths
//! are checked before any work, so one that cannot be written is bad input);
//! a run that fails (a diverging loss, a write that fails after training)
//! exits with code 1.

/// `println!` that does not panic when stdout fails: a closed pipe (e.g.
/// `deepinit compare | head`) is the reader's choice and ignored; any other
/// failure (a full disk) is remembered, and the program then exits with
/// code 1 ([`stdout_failure`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say_line(format_args!($($arg)*))
    };
}

/// The first failure to write stdout other than a closed pipe.
static STDOUT_FAILURE: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

/// Writes one line to stdout for [`say!`].
pub fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = writeln!(std::io::stdout(), "{line}")
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && let Ok(mut first) = STDOUT_FAILURE.lock()
    {
        first.get_or_insert(e);
    }
}

/// The failure [`say_line`] remembered, or one of the final flush: the
/// results did not reach stdout.
fn stdout_failure() -> Option<Failure> {
    use std::io::Write as _;
    let flushed = std::io::stdout().flush().err();
    let first = STDOUT_FAILURE.lock().ok().and_then(|mut f| f.take());
    first
        .or(flushed.filter(|e| e.kind() != std::io::ErrorKind::BrokenPipe))
        .map(|e| Failure::runtime(format!("cannot write to standard output: {e}")))
}

mod args;
mod compare;
mod data;
mod eval;
mod json;
mod plot;
mod progress;
mod report;
mod settings;
mod spec;
mod train;

use clap::ArgMatches;
use deepinit::mlp::Mlp;
use deepinit::sha256::{Sha256, to_hex_string};
use std::path::Path;
use std::process::ExitCode;

/// Why the program stops early: a message and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// One line for stderr.
    pub message: String,
    /// 2 for bad input, 1 for a failed run.
    pub code: u8,
}

impl Failure {
    /// Bad input (flags, files): exit code 2.
    pub fn input(message: String) -> Self {
        Self { message, code: 2 }
    }

    /// A run that could not complete: exit code 1.
    pub fn runtime(message: String) -> Self {
        Self { message, code: 1 }
    }

    /// A training error: a diverging loss is a failed run, the rest bad input.
    pub fn training(e: deepinit::train::TrainError) -> Self {
        match e {
            deepinit::train::TrainError::NonFiniteLoss { .. } => {
                Self::runtime(format!("training diverged: {e}"))
            }
            e => Self::input(e.to_string()),
        }
    }
}

/// The value of flag `id` if it was given (on the command line or, for
/// `--data`, through the environment).
pub fn given<'a>(m: &'a ArgMatches, id: &str) -> Option<&'a String> {
    m.try_get_one::<String>(id).ok().flatten()
}

/// Flag `id` parsed with `parse`, if given.
pub fn parse_given<T>(
    m: &ArgMatches,
    id: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, Failure> {
    given(m, id)
        .map(|s| parse(s).map_err(Failure::input))
        .transpose()
}

/// `--threads`, by default the available cores; also sets the GEMM's thread count.
pub fn threads(m: &ArgMatches) -> Result<usize, Failure> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // Each thread has its own scratch memory, and threads beyond the cores
    // only wait for them.
    let most = cores.max(MAX_THREADS);
    let n = match parse_given(m, "threads", |s| spec::parse_count(s, "--threads"))? {
        Some(0) => return Err(Failure::input("--threads must be at least 1".into())),
        Some(n) if n > most => {
            return Err(Failure::input(format!(
                "--threads must be at most {most}, got {n}"
            )));
        }
        Some(n) => n,
        None => cores,
    };
    deepinit::gemm::set_num_threads(n);
    Ok(n)
}

/// The most `--threads` accepted on a machine of fewer cores.
const MAX_THREADS: usize = 256;

/// `--train-limit` / `--test-limit`.
pub fn limits(m: &ArgMatches, id: &str) -> Result<Option<usize>, Failure> {
    let flag = format!("--{id}");
    let n = parse_given(m, id, |s| spec::parse_count(s, &flag))?;
    if n == Some(0) {
        return Err(Failure::input(format!("--{id} must be at least 1")));
    }
    Ok(n)
}

/// SHA-256 of the model's parameters as little-endian `f32` bytes, in
/// checkpoint order (`layers.0.weight`, `layers.0.bias`, `layers.1.weight`, …),
/// as lowercase hex.
pub fn weights_sha256(model: &Mlp) -> String {
    let mut h = Sha256::new();
    for p in model.params() {
        for v in p {
            h.update(&v.to_le_bytes());
        }
    }
    to_hex_string(&h.finalize())
}

/// The message for a checkpoint that cannot be read.
pub fn read_error(path: &str, e: &deepinit::checkpoint::CheckpointError) -> Failure {
    match e {
        deepinit::checkpoint::CheckpointError::Io { source, .. } => {
            Failure::input(format!("cannot read {path}: {source}"))
        }
        e => Failure::input(format!("cannot read {path}: {e}")),
    }
}

/// Checks, before any work, that the files named by `flags` (those given)
/// are not directories and lie in an existing directory where files can be
/// written (a probe file is created and removed), that an existing file
/// can be opened for writing, that a `--save` target is one a checkpoint can
/// replace (`deepinit::checkpoint::save_target`), that none names a file of
/// the data set (which writing it would destroy), and that no two flags
/// name the same file. A typo in `--json`
/// or `--save`, or a read-only directory, then costs nothing instead of a
/// whole run.
pub fn check_outputs(m: &ArgMatches, flags: &[&str]) -> Result<(), Failure> {
    for (i, flag) in flags.iter().enumerate() {
        let Some(path) = given(m, flag) else { continue };
        let file = Path::new(path);
        let dir = parent_dir(file);
        if path.is_empty() || path.ends_with(std::path::is_separator) || file.is_dir() {
            return Err(Failure::input(format!(
                "--{flag} {path:?} must name a file, not a directory"
            )));
        }
        if !dir.is_dir() {
            return Err(Failure::input(format!(
                "--{flag} {path}: directory {} does not exist",
                dir.display()
            )));
        }
        if let Some(data) = data_file(m, file) {
            return Err(Failure::input(format!(
                "--{flag} {path} names a file of the data set in {} (writing it would destroy the data)",
                data.display()
            )));
        }
        if *flag == "save" {
            deepinit::checkpoint::save_target(file)
                .map_err(|e| Failure::input(format!("--save {e}")))?;
        }
        if file.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(file)
                .map_err(|e| Failure::input(format!("--{flag} {path}: cannot write it: {e}")))?;
        }
        // A read-only directory fails now, not when the file is written
        // after the training.
        probe_writable(dir).map_err(|e| {
            Failure::input(format!(
                "--{flag} {path}: cannot write files in {}: {e}",
                dir.display()
            ))
        })?;
        for other in &flags[..i] {
            if given(m, other).is_some_and(|o| same_file(o, path)) {
                return Err(Failure::input(format!(
                    "--{other} and --{flag} name the same file {path}"
                )));
            }
        }
    }
    Ok(())
}

/// The data directory, when `file` is (or would become, once written) one of
/// the files the data loader reads there: a name it accepts in that
/// directory, or a link to one of its files.
fn data_file(m: &ArgMatches, file: &Path) -> Option<std::path::PathBuf> {
    let dir = data::data_dir(given(m, "data"));
    let names = deepinit::mnist::file_names();
    let same_dir = || match (std::fs::canonicalize(parent_dir(file)), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let named = file
        .file_name()
        .is_some_and(|n| names.iter().any(|d| n == d.as_str()));
    let linked = || {
        let out = file.to_string_lossy();
        names
            .iter()
            .map(|n| dir.join(n))
            .any(|d| d.exists() && same_file(&out, &d.to_string_lossy()))
    };
    ((named && same_dir()) || linked()).then_some(dir)
}

/// Whether two paths name one file: when both exist, the same file (on Unix
/// the same device and inode, so a symbolic or hard link to it counts);
/// otherwise the same name in the same directory after resolving links.
pub fn same_file(a: &str, b: &str) -> bool {
    #[cfg(unix)]
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt as _;
        return (x.dev(), x.ino()) == (y.dev(), y.ino());
    }
    let full = |p: &str| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let p = Path::new(p);
            Some(
                std::fs::canonicalize(parent_dir(p))
                    .ok()?
                    .join(p.file_name()?),
            )
        })
    };
    full(a).is_some_and(|x| Some(x) == full(b))
}

/// Refuses an output flag `out` that names the file an input flag `input`
/// reads (e.g. `--json` over the `--model` it evaluates): writing it would
/// destroy the input.
pub fn refuse_overwrite(m: &ArgMatches, out: &str, input: &str) -> Result<(), Failure> {
    match (given(m, out), given(m, input)) {
        (Some(o), Some(i)) if same_file(o, i) => Err(Failure::input(format!(
            "--{out} and --{input} name the same file {o} (the output would replace the {input})"
        ))),
        _ => Ok(()),
    }
}

/// The directory a file path lies in (`.` for a bare name).
fn parent_dir(file: &Path) -> &Path {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether files can be written in `dir`: creates a probe file there and
/// removes it.
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".deepinit-write-check-{}", std::process::id()));
    // A new file: never through a link planted at that name.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
}

/// Writes `json` (and a final newline) to `path`.
pub fn write_json(path: &str, json: &json::Json) -> Result<(), Failure> {
    std::fs::write(path, format!("{json}\n"))
        .map_err(|e| Failure::runtime(format!("cannot write {path}: {e}")))
}

fn run() -> Result<(), Failure> {
    let m = match args::parse(std::env::args_os()) {
        Ok(m) => m,
        Err((text, 0)) => {
            say!("{}", text.trim_end());
            return Ok(());
        }
        Err((text, code)) => {
            return Err(Failure {
                message: text,
                code: code as u8,
            });
        }
    };
    match m.subcommand() {
        Some(("train", sub)) => train::main(sub),
        Some(("eval", sub)) => eval::main(sub),
        Some(("compare", sub)) => compare::main(sub),
        _ => Err(Failure::input(
            "missing command: train, eval or compare (see deepinit --help)".into(),
        )),
    }
}

fn main() -> ExitCode {
    match run().and_then(|()| stdout_failure().map_or(Ok(()), Err)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let line = one_line(&f.message);
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "deepinit: error: {line}");
            ExitCode::from(f.code)
        }
    }
}

/// `message` as one line that is safe to print on a terminal: line breaks
/// become spaces, and other control characters (which may come from a file:
/// a checkpoint's dtype or metadata) are escaped, so that a crafted file
/// cannot move the cursor, clear the screen or set the window's title. So
/// are the marks and overrides of text direction, which would make the
/// rest of the line read in another order than it is written.
fn one_line(message: &str) -> String {
    let mut line = String::with_capacity(message.len());
    for c in message.chars() {
        match c {
            '\n' => line.push(' '),
            c if c.is_control() || reorders(c) => line.extend(c.escape_default()),
            c => line.push(c),
        }
    }
    line
}

/// The characters that set the direction of the text after them (the set
/// rustc warns of in source, plus the three direction marks): U+061C, U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069.
fn reorders(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::one_line;

    /// The write check makes a new file: a link planted at its name is
    /// neither written through nor followed.
    #[cfg(unix)]
    #[test]
    fn the_write_probe_never_writes_through_a_link() {
        use super::probe_writable;
        let dir = std::env::temp_dir().join(format!("deepinit-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        probe_writable(&dir).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let probe = dir.join(format!(".deepinit-write-check-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &probe).unwrap();
        let err = probe_writable(&dir).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn error_lines_carry_no_control_characters() {
        let crafted = "dtype \u{1b}]0;title\u{7}\u{1b}[2J\tF32\r\nnext \u{9b}31m";
        let line = one_line(crafted);
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert_eq!(
            line,
            "dtype \\u{1b}]0;title\\u{7}\\u{1b}[2J\\tF32\\r next \\u{9b}31m"
        );
        assert_eq!(one_line("plain: ü, ≤, 2⁶⁴"), "plain: ü, ≤, 2⁶⁴");
    }

    #[test]
    fn error_lines_do_not_reorder() {
        // A name that would read "F32.json" with the override left raw.
        let line = one_line("dtype \u{202e}nosj.23F\u{202c} and \u{2067}x\u{2069}\u{200f}\u{61c}");
        assert_eq!(
            line,
            "dtype \\u{202e}nosj.23F\\u{202c} and \\u{2067}x\\u{2069}\\u{200f}\\u{61c}"
        );
        // Letters of right-to-left scripts stay as they are.
        assert_eq!(one_line("שלום مرحبا"), "שלום مرحبا");
    }
}
