//! `deepinit compare`: the weight-initialization study in one command. One
//! network per (init, seed), trained with Adam 1e-3, batch 100; per init the
//! test accuracy per epoch is averaged over the seeds, and the table reports
//! that mean curve's final and best value, the mean final test loss, the mean
//! wall time of a run, and the mean wall time from the start of a run to the
//! end of the first epoch whose mean accuracy reached 98 % ("never" if none).

use crate::plot::{Line, accuracy_png};
use crate::progress::{Mode, Progress};
use crate::report::{metrics_json, report_md, table};
use crate::spec::{BiasSpec, InitSpec, parse_compare_entry, parse_count, parse_list};
use crate::{Failure, given, parse_given, weights_sha256, write_json};
use clap::ArgMatches;
use deepinit::mlp::BiasInit;
use deepinit::train::{EpochMetrics, TrainConfig, Trainer};
use indicatif::MultiProgress;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// One (init, seed) run.
pub struct RunResult {
    pub seed: u64,
    pub epochs: Vec<EpochMetrics>,
    pub elapsed: Vec<f64>,
    /// Seconds from the start of the run to its end (or its stop).
    pub seconds: f64,
    pub sha: String,
    pub error: Option<String>,
}

/// How the report names an init with its bias start.
fn label(init: InitSpec, bias: BiasSpec) -> String {
    match bias {
        BiasSpec::Default => init.to_string(),
        BiasSpec::Zeros => format!("{init}, zero bias"),
    }
}

/// The first entry of `items` equal to an earlier one.
fn first_repeat<T: PartialEq>(items: &[T]) -> Option<&T> {
    (1..items.len())
        .find(|&i| items[..i].contains(&items[i]))
        .map(|i| &items[i])
}

/// The runs of one init and their summary over seeds.
pub struct InitResult {
    pub init: InitSpec,
    pub bias: BiasSpec,
    pub runs: Vec<RunResult>,
}

impl InitResult {
    pub fn label(&self) -> String {
        label(self.init, self.bias)
    }

    /// Mean over seeds of `f(run, epoch)` for each epoch all runs reached.
    fn mean_curve(&self, f: impl Fn(&RunResult, usize) -> f64) -> Vec<f64> {
        let n = self.runs.iter().map(|r| r.epochs.len()).min().unwrap_or(0);
        (0..n)
            .map(|e| self.runs.iter().map(|r| f(r, e)).sum::<f64>() / self.runs.len() as f64)
            .collect()
    }

    /// Runs that stopped at a non-finite loss.
    pub fn diverged(&self) -> usize {
        self.runs.iter().filter(|r| r.error.is_some()).count()
    }

    /// The final and best mean test accuracy and the final mean test loss,
    /// all NaN when a run diverged: the means would then stop at the epoch
    /// where it did, and look like results of the whole study.
    pub fn summary(&self) -> (f64, f64, f64) {
        if self.diverged() > 0 {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let acc = self.accuracy();
        let last = acc.last().copied().unwrap_or(f64::NAN);
        let best = acc.iter().copied().fold(f64::NAN, f64::max);
        (last, best, self.final_loss())
    }

    pub fn accuracy(&self) -> Vec<f64> {
        self.mean_curve(|r, e| r.epochs[e].test_accuracy)
    }

    pub fn time_to_98(&self) -> Option<f64> {
        let e = self.accuracy().iter().position(|&a| a >= 0.98)?;
        Some(self.mean_curve(|r, e| r.elapsed[e])[e])
    }

    pub fn final_loss(&self) -> f64 {
        self.mean_curve(|r, e| r.epochs[e].test_loss)
            .last()
            .copied()
            .unwrap_or(f64::NAN)
    }

    pub fn seconds(&self) -> f64 {
        self.runs.iter().map(|r| r.seconds).sum::<f64>() / self.runs.len() as f64
    }
}

/// Settings of the study.
pub struct Study {
    pub arch: &'static str,
    pub layers: Vec<usize>,
    pub inits: Vec<(InitSpec, BiasSpec)>,
    pub seeds: Vec<u64>,
    pub epochs: usize,
    /// Threads of each run.
    pub threads: usize,
    /// Runs trained at once.
    pub jobs: usize,
}

fn study(m: &ArgMatches) -> Result<Study, Failure> {
    let (arch, layers) = match given(m, "arch").map_or("mlp3", String::as_str) {
        "mlp3" => ("mlp3", vec![784, 256, 256, 10]),
        "deep5" => ("deep5", vec![784, 512, 512, 512, 512, 10]),
        other => {
            return Err(Failure::input(format!(
                "unknown --arch {other:?}; known: mlp3, deep5"
            )));
        }
    };
    let inits = given(m, "inits").map_or(crate::args::DEFAULT_INITS, String::as_str);
    let inits = parse_list(inits, "--inits", parse_compare_entry).map_err(Failure::input)?;
    let seeds = given(m, "seeds").map_or("777,1,2", String::as_str);
    let seed = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("--seeds: {s:?} is not an unsigned integer"))
    };
    let seeds = parse_list(seeds, "--seeds", seed).map_err(Failure::input)?;
    // A repeated entry would run the same work twice and show it as two
    // rows (inits) or weigh one seed double in the means (seeds).
    if let Some(&(init, bias)) = first_repeat(&inits) {
        let name = label(init, bias);
        return Err(Failure::input(format!("--inits lists {name} twice")));
    }
    if let Some(seed) = first_repeat(&seeds) {
        return Err(Failure::input(format!("--seeds lists {seed} twice")));
    }
    let epochs = parse_given(m, "epochs", |s| parse_count(s, "--epochs"))?.unwrap_or(15);
    if epochs == 0 {
        return Err(Failure::input("--epochs must be at least 1".into()));
    }
    let threads = crate::threads(m)?;
    // One run per thread by default: the small products of these networks
    // gain less from a second thread than a second run does (the default
    // study took 70 s with two runs of one thread at a time, 100–140 s one
    // run of two threads at a time, on two cores).
    let jobs = parse_given(m, "jobs", |s| parse_count(s, "--jobs"))?.unwrap_or(threads);
    if jobs == 0 {
        return Err(Failure::input("--jobs must be at least 1".into()));
    }
    // More jobs than runs would only idle.
    let jobs = jobs.min(inits.len() * seeds.len());
    let threads = (threads / jobs).max(1);
    Ok(Study {
        arch,
        layers,
        inits,
        seeds,
        epochs,
        threads,
        jobs,
    })
}

/// `runs/compare-YYYYMMDD-HHMMSS` in UTC.
fn default_out() -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, mi, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    PathBuf::from(format!(
        "runs/compare-{year:04}{month:02}{day:02}-{h:02}{mi:02}{s:02}"
    ))
}

/// Trains one (init, seed) run; `run` is `(index from 1, total)`, shown in
/// its progress lines as `[index/total]`.
fn run_one(
    s: &Study,
    (init, bias): (InitSpec, BiasSpec),
    seed: u64,
    run: (usize, usize),
    data: &deepinit::mnist::Mnist,
    mode: Mode,
    bars: Option<&MultiProgress>,
) -> Result<RunResult, Failure> {
    let mut config = TrainConfig::new(s.layers.clone());
    config.init = init.to_init();
    config.bias_init = if bias == BiasSpec::Zeros {
        BiasInit::Zeros
    } else {
        BiasInit::Default
    };
    (config.seed, config.epochs, config.threads) = (seed, s.epochs, s.threads);
    let name = format!("[{}/{}] {}, seed {seed}", run.0, run.1, label(init, bias));
    let mut progress = Progress::new(mode, name.clone(), s.epochs, config.batch_size);
    progress.share(bars);
    let mut trainer = Trainer::new(config).map_err(|e| Failure::input(e.to_string()))?;
    let mut epochs = Vec::new();
    let mut error = None;
    while !trainer.is_finished() {
        match trainer.train_epoch(&data.train, &data.test, &mut progress) {
            Ok(e) => epochs.push(e),
            Err(e @ deepinit::train::TrainError::NonFiniteLoss { .. }) => {
                progress.line(&format!("{name}: stopped, {e}"));
                error = Some(e.to_string());
                break;
            }
            Err(e) => return Err(Failure::input(e.to_string())),
        }
    }
    Ok(RunResult {
        seed,
        epochs,
        seconds: progress.seconds(),
        elapsed: progress.elapsed,
        sha: weights_sha256(trainer.model()),
        error,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))
}

/// Writes `metrics.json`, `report.md`, `accuracy.png` (and `--json`); returns the table.
fn write_outputs(
    m: &ArgMatches,
    out: &Path,
    s: &Study,
    results: &[InitResult],
    data: &deepinit::mnist::Mnist,
) -> Result<String, Failure> {
    let (text, md) = table(results);
    let json = metrics_json(s, results);
    let [metrics, report, plot] = OUT_FILES;
    write(&out.join(metrics), format!("{json}\n").as_bytes())?;
    write(
        &out.join(report),
        report_md(s, results, &md, data).as_bytes(),
    )?;
    let lines: Vec<Line> = results
        .iter()
        .map(|r| Line {
            // A diverged init's curve is the mean over the epochs every run
            // reached, so it ends early: its legend entry says why.
            label: match r.diverged() {
                0 => r.label(),
                k => format!("{} ({k}/{} NaN)", r.label(), r.runs.len()),
            },
            accuracy: r.accuracy(),
            cut_short: r.diverged() > 0,
        })
        .collect();
    let sizes: Vec<String> = s.layers.iter().map(usize::to_string).collect();
    let seeds = match s.seeds.as_slice() {
        [seed] => format!("seed {seed}"),
        all => format!("mean of {} seeds", all.len()),
    };
    let title = format!(
        "MNIST {} ({}), test accuracy, {seeds}",
        s.arch,
        sizes.join("-")
    );
    write(
        &out.join(plot),
        &accuracy_png(&title, &lines).map_err(Failure::runtime)?,
    )?;
    if let Some(path) = given(m, "json") {
        write_json(path, &json)?;
    }
    Ok(text)
}

/// Creates the output directory (and its parents) and checks that files can
/// be written in it, before any data is read or any network trained: a
/// mistyped or read-only `--out` fails at once, not after the study.
///
/// A given `--out` may exist already. The default one, named after the
/// second the study started, is made anew: when that name is taken (a
/// study started in the same second) the next free `…-2`, `…-3` is used, so
/// two studies never write into one directory. Returns the directory and
/// those it made, the deepest first (for [`remove_made`]).
fn prepare_out(out: &Path, given: bool) -> Result<(PathBuf, Vec<PathBuf>), Failure> {
    let fail = |dir: &Path, what: String| {
        let text = format!("--out {}: {what}", dir.display());
        if given {
            Failure::input(text)
        } else {
            Failure::runtime(text)
        }
    };
    if given && out.exists() && !out.is_dir() {
        return Err(fail(out, "exists and is not a directory".into()));
    }
    // The directory that may exist already: a given --out, or the default's
    // parent (`runs/`).
    let base = if given {
        out
    } else {
        out.parent().unwrap_or(Path::new("."))
    };
    let mut made: Vec<PathBuf> = base
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    if let Err(e) = std::fs::create_dir_all(base) {
        remove_made(&made);
        return Err(fail(base, format!("cannot create the directory: {e}")));
    }
    let mut dir = out.to_path_buf();
    if !given {
        for k in 2.. {
            match std::fs::create_dir(&dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k <= 1000 => {
                    dir = PathBuf::from(format!("{}-{k}", out.display()));
                }
                Err(e) => {
                    remove_made(&made);
                    return Err(fail(&dir, format!("cannot create the directory: {e}")));
                }
            }
        }
        made.insert(0, dir.clone());
    }
    crate::probe_writable(&dir).map_err(|e| {
        remove_made(&made);
        fail(&dir, format!("cannot write files in it: {e}"))
    })?;
    Ok((dir, made))
}

/// Removes the directories [`prepare_out`] made, when the study cannot run:
/// a failed run leaves nothing behind. Only empty ones go, never anything
/// the user had.
fn remove_made(made: &[PathBuf]) {
    for dir in made {
        let _ = std::fs::remove_dir(dir);
    }
}

/// Trains every (init, seed) run, `s.jobs` at a time; returns them init by
/// init, seeds in order (whatever order they finished in). A failure stops
/// the jobs from starting new runs and is returned.
fn run_all(
    s: &Study,
    data: &deepinit::mnist::Mnist,
    mode: Mode,
) -> Result<Vec<RunResult>, Failure> {
    let total = s.inits.len() * s.seeds.len();
    let one = |k: usize, bars: Option<&MultiProgress>| {
        let (init, seed) = (s.inits[k / s.seeds.len()], s.seeds[k % s.seeds.len()]);
        run_one(s, init, seed, (k + 1, total), data, mode, bars)
    };
    if s.jobs == 1 {
        return (0..total).map(|k| one(k, None)).collect();
    }
    let bars = (mode == Mode::Bar).then(MultiProgress::new);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done: Mutex<Vec<Option<Result<RunResult, Failure>>>> =
        Mutex::new((0..total).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..s.jobs {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let result = one(k, bars.as_ref());
                    failed.fetch_or(result.is_err(), Ordering::Relaxed);
                    done.lock().unwrap_or_else(PoisonError::into_inner)[k] = Some(result);
                }
            });
        }
    });
    let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    // The first failure in run order, else every run (all were trained).
    done.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Failure::runtime("a run was not trained".into()))))
        .collect()
}

/// The files a study writes into `--out`.
const OUT_FILES: [&str; 3] = ["metrics.json", "report.md", "accuracy.png"];

/// Runs `deepinit compare`.
pub fn main(m: &ArgMatches) -> Result<(), Failure> {
    let s = study(m)?;
    let limits = (
        crate::limits(m, "train-limit")?,
        crate::limits(m, "test-limit")?,
    );
    let given_out = given(m, "out");
    let (out, made) = prepare_out(
        &given_out.map_or_else(default_out, PathBuf::from),
        given_out.is_some(),
    )?;
    // Whatever stops the study leaves nothing behind in directories it
    // made: the outputs written before a failing one go too, then the
    // directories (`remove_made` removes only empty ones).
    let result = run_study(m, &s, &out, limits);
    if result.is_err() && !made.is_empty() {
        for file in OUT_FILES {
            let _ = std::fs::remove_file(out.join(file));
        }
        remove_made(&made);
    }
    let text = result?;
    if !m.get_flag("quiet") {
        say!("{}", text.trim_end());
        say!(
            "wrote {}/report.md, metrics.json, accuracy.png",
            out.display()
        );
    }
    Ok(())
}

/// The study once `--out` exists: checks `--json`, loads the data, trains
/// every run and writes the outputs; returns the table.
fn run_study(
    m: &ArgMatches,
    s: &Study,
    out: &Path,
    (train_limit, test_limit): (Option<usize>, Option<usize>),
) -> Result<String, Failure> {
    // After `--out` exists: `--json` may name a file inside it, though not
    // the report or the plot (`metrics.json` gets the same text).
    crate::check_outputs(m, &["json"])?;
    if let Some(json) = given(m, "json")
        && let Some(file) = OUT_FILES[1..]
            .iter()
            .find(|f| crate::same_file(json, &out.join(f).to_string_lossy()))
    {
        return Err(Failure::input(format!(
            "--json {json} names the {file} the study writes into --out"
        )));
    }
    let data = crate::data::load(
        m.get_flag("verify-data"),
        given(m, "data"),
        train_limit,
        test_limit,
    )?;
    if data.train.rows * data.train.cols != s.layers[0] || data.train.classes != 10 {
        return Err(Failure::input(
            "compare's networks take 784 pixels and 10 classes; the data differs".into(),
        ));
    }
    // Checked here, not in the first run: with `--jobs` the others would
    // have started.
    let batch = TrainConfig::new(s.layers.clone()).batch_size;
    if data.train.len < batch {
        return Err(Failure::input(format!(
            "the training set has {} images, fewer than one batch of {batch}",
            data.train.len
        )));
    }
    let mode = Mode::detect(m.get_flag("quiet"));
    let mut runs = run_all(s, &data, mode)?.into_iter();
    let results: Vec<InitResult> = s
        .inits
        .iter()
        .map(|&(init, bias)| InitResult {
            init,
            bias,
            runs: runs.by_ref().take(s.seeds.len()).collect(),
        })
        .collect();
    write_outputs(m, out, s, &results, &data)
}

#[cfg(test)]
mod tests {
    use super::{prepare_out, remove_made};

    /// Two studies started in the same second get directories of their own;
    /// a given `--out` is used as it is, existing or not.
    #[test]
    fn default_output_directories_are_never_shared() {
        let root = std::env::temp_dir().join(format!("deepinit-out-{}", std::process::id()));
        let base = root.join("runs/compare-20261201-120000");
        let (first, made) = prepare_out(&base, false).unwrap();
        assert_eq!(first, base);
        // The deepest first: the study's directory, runs/, then the root.
        assert_eq!(made, [base.clone(), root.join("runs"), root.clone()]);
        let (second, made2) = prepare_out(&base, false).unwrap();
        assert_eq!(second, root.join("runs/compare-20261201-120000-2"));
        assert_eq!(made2, std::slice::from_ref(&second));
        let (third, _) = prepare_out(&base, false).unwrap();
        assert_eq!(third, root.join("runs/compare-20261201-120000-3"));
        let (given, made) = prepare_out(&base, true).unwrap();
        assert_eq!((given, made), (base.clone(), vec![]));
        remove_made(&[third, second, base, root.join("runs"), root.clone()]);
        assert!(!root.exists());
    }
}
