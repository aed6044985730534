//! `deepinit compare`: the weight-initialization study in one command. One
//! network per (init, seed), trained with Adam 1e-3, batch 100; per init the
//! test accuracy per epoch is averaged over the seeds, and the table reports
//! that mean curve's final and best value, the mean final test loss, the mean
//! wall time of a run, and the mean wall time from the start of a run to the
//! end of the first epoch whose mean accuracy reached 98 % ("never" if none).

use crate::json::Json;
use crate::plot::{Line, accuracy_png};
use crate::progress::{Mode, Progress};
use crate::spec::{BiasSpec, InitSpec, parse_compare_entry, parse_count, parse_list};
use crate::{Failure, given, parse_given, weights_sha256, write_json};
use clap::ArgMatches;
use deepinit::mlp::BiasInit;
use deepinit::train::{EpochMetrics, TrainConfig, Trainer};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One (init, seed) run.
struct RunResult {
    seed: u64,
    epochs: Vec<EpochMetrics>,
    elapsed: Vec<f64>,
    sha: String,
    error: Option<String>,
}

/// The runs of one init and their summary over seeds.
struct InitResult {
    init: InitSpec,
    bias: BiasSpec,
    runs: Vec<RunResult>,
}

impl InitResult {
    fn label(&self) -> String {
        match self.bias {
            BiasSpec::Default => self.init.to_string(),
            BiasSpec::Zeros => format!("{}, zero bias", self.init),
        }
    }

    /// Mean over seeds of `f(run, epoch)` for each epoch all runs reached.
    fn mean_curve(&self, f: impl Fn(&RunResult, usize) -> f64) -> Vec<f64> {
        let n = self.runs.iter().map(|r| r.epochs.len()).min().unwrap_or(0);
        (0..n)
            .map(|e| self.runs.iter().map(|r| f(r, e)).sum::<f64>() / self.runs.len() as f64)
            .collect()
    }

    fn accuracy(&self) -> Vec<f64> {
        self.mean_curve(|r, e| r.epochs[e].test_accuracy)
    }

    fn time_to_98(&self) -> Option<f64> {
        let e = self.accuracy().iter().position(|&a| a >= 0.98)?;
        Some(self.mean_curve(|r, e| r.elapsed[e])[e])
    }

    fn final_loss(&self) -> f64 {
        self.mean_curve(|r, e| r.epochs[e].test_loss)
            .last()
            .copied()
            .unwrap_or(f64::NAN)
    }

    fn seconds(&self) -> f64 {
        self.runs
            .iter()
            .map(|r| r.elapsed.last().copied().unwrap_or(0.0))
            .sum::<f64>()
            / self.runs.len() as f64
    }
}

/// Settings of the study.
struct Study {
    arch: &'static str,
    layers: Vec<usize>,
    inits: Vec<(InitSpec, BiasSpec)>,
    seeds: Vec<u64>,
    epochs: usize,
    threads: usize,
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
    let epochs = parse_given(m, "epochs", |s| parse_count(s, "--epochs"))?.unwrap_or(15);
    if epochs == 0 {
        return Err(Failure::input("--epochs must be at least 1".into()));
    }
    Ok(Study {
        arch,
        layers,
        inits,
        seeds,
        epochs,
        threads: crate::threads(m)?,
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

fn run_one(
    s: &Study,
    init: InitSpec,
    bias: BiasSpec,
    seed: u64,
    data: &deepinit::mnist::Mnist,
    mode: Mode,
) -> Result<RunResult, Failure> {
    let mut config = TrainConfig::new(s.layers.clone());
    config.init = init.to_init();
    config.bias_init = if bias == BiasSpec::Zeros {
        BiasInit::Zeros
    } else {
        BiasInit::Default
    };
    (config.seed, config.epochs, config.threads) = (seed, s.epochs, s.threads);
    let label = format!("{init} seed {seed}");
    let mut progress = Progress::new(mode, label, s.epochs, config.batch_size);
    let mut trainer = Trainer::new(config).map_err(|e| Failure::input(e.to_string()))?;
    let mut epochs = Vec::new();
    let mut error = None;
    while !trainer.is_finished() {
        match trainer.train_epoch(&data.train, &data.test, &mut progress) {
            Ok(e) => epochs.push(e),
            Err(e @ deepinit::train::TrainError::NonFiniteLoss { .. }) => {
                progress.line(&format!("{init} seed {seed}: stopped, {e}"));
                error = Some(e.to_string());
                break;
            }
            Err(e) => return Err(Failure::input(e.to_string())),
        }
    }
    Ok(RunResult {
        seed,
        epochs,
        elapsed: progress.elapsed,
        sha: weights_sha256(trainer.model()),
        error,
    })
}

fn pct(a: f64) -> String {
    if a.is_finite() {
        format!("{:.2} %", a * 100.0)
    } else {
        "–".into()
    }
}

/// The summary table: one row per init, as `(cells, markdown)`.
fn table(results: &[InitResult]) -> (String, String) {
    let head = [
        "init",
        "final acc",
        "best",
        "test loss",
        "seconds",
        "time to 98 %",
    ];
    let mut text = format!(
        "{:<28} {:>10} {:>10} {:>10} {:>9} {:>13}\n",
        head[0], head[1], head[2], head[3], head[4], head[5]
    );
    let mut md = format!("| {} |\n|---|---:|---:|---:|---:|---:|\n", head.join(" | "));
    for r in results {
        let acc = r.accuracy();
        let last = acc.last().copied().unwrap_or(f64::NAN);
        let best = acc.iter().copied().fold(f64::NAN, f64::max);
        let to98 = r
            .time_to_98()
            .map_or("never".into(), |t| format!("{t:.1} s"));
        let cells = [
            r.label(),
            pct(last),
            pct(best),
            format!("{:.4}", r.final_loss()),
            format!("{:.1}", r.seconds()),
            to98,
        ];
        let _ = writeln!(
            text,
            "{:<28} {:>10} {:>10} {:>10} {:>9} {:>13}",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
        );
        let _ = writeln!(md, "| {} |", cells.join(" | "));
    }
    (text, md)
}

fn metrics_json(s: &Study, results: &[InitResult]) -> Json {
    let runs = results.iter().flat_map(|r| {
        r.runs.iter().map(move |run| {
            Json::obj([
                ("init", Json::str(r.init.to_string())),
                ("bias_init", Json::str(r.bias.name())),
                ("seed", Json::Int(run.seed)),
                (
                    "epochs",
                    Json::Arr(run.epochs.iter().map(crate::train::epoch_json).collect()),
                ),
                (
                    "elapsed_seconds",
                    Json::Arr(run.elapsed.iter().map(|&t| Json::Num(t)).collect()),
                ),
                ("weights_sha256", Json::str(run.sha.as_str())),
                (
                    "error",
                    run.error
                        .as_ref()
                        .map_or(Json::Null, |e| Json::str(e.as_str())),
                ),
            ])
        })
    });
    let summary = results.iter().map(|r| {
        let acc = r.accuracy();
        Json::obj([
            ("init", Json::str(r.init.to_string())),
            ("bias_init", Json::str(r.bias.name())),
            (
                "mean_test_accuracy",
                Json::Arr(acc.iter().map(|&a| Json::Num(a)).collect()),
            ),
            (
                "final_accuracy",
                Json::Num(acc.last().copied().unwrap_or(f64::NAN)),
            ),
            (
                "best_accuracy",
                Json::Num(acc.iter().copied().fold(f64::NAN, f64::max)),
            ),
            ("final_test_loss", Json::Num(r.final_loss())),
            ("seconds", Json::Num(r.seconds())),
            (
                "seconds_to_98",
                r.time_to_98().map_or(Json::Null, Json::Num),
            ),
        ])
    });
    Json::obj([
        ("arch", Json::str(s.arch)),
        (
            "layers",
            Json::Arr(s.layers.iter().map(|&n| Json::int(n)).collect()),
        ),
        ("optimizer", Json::str("adam lr 0.001")),
        ("batch", Json::int(100)),
        ("epochs", Json::int(s.epochs)),
        (
            "seeds",
            Json::Arr(s.seeds.iter().map(|&x| Json::Int(x)).collect()),
        ),
        ("threads", Json::int(s.threads)),
        ("summary", Json::Arr(summary.collect())),
        ("runs", Json::Arr(runs.collect())),
    ])
}

fn report_md(
    s: &Study,
    results: &[InitResult],
    md_table: &str,
    data: &deepinit::mnist::Mnist,
) -> String {
    let layers: Vec<String> = s.layers.iter().map(usize::to_string).collect();
    let seeds: Vec<String> = s.seeds.iter().map(u64::to_string).collect();
    let mut out = format!(
        "# Weight initialization on MNIST\n\n{} ReLU MLP, Adam (lr 0.001), batch 100, {} epochs, seeds {} \
         ({} training and {} test images, pixels scaled to [0, 1]); accuracies are means over the seeds.\n\n{md_table}\n\
         ![test accuracy per epoch](accuracy.png)\n\n\
         A start of N(0, 1) weights saturates and learns badly; a constant start keeps every hidden unit \
         identical (with zero biases they never learn different features); Xavier (Glorot & Bengio 2010) and \
         He (He et al. 2015) scale the weights to the fan-in and fan-out and learn well.\n\n## Runs\n\n\
         | init | seed | final acc | weights sha256 |\n|---|---:|---:|---|\n",
        layers.join("-"),
        s.epochs,
        seeds.join(", "),
        data.train.len,
        data.test.len
    );
    for r in results {
        for run in &r.runs {
            let acc = run.epochs.last().map_or(f64::NAN, |e| e.test_accuracy);
            let note = run
                .error
                .as_ref()
                .map_or(String::new(), |e| format!(" ({e})"));
            let _ = writeln!(
                out,
                "| {} | {} | {}{note} | `{}` |",
                r.label(),
                run.seed,
                pct(acc),
                run.sha
            );
        }
    }
    out
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))
}

/// Runs `deepinit compare`.
pub fn main(m: &ArgMatches) -> Result<(), Failure> {
    let s = study(m)?;
    let out = given(m, "out").map_or_else(default_out, PathBuf::from);
    let data = crate::data::load(
        given(m, "data"),
        crate::limits(m, "train-limit")?,
        crate::limits(m, "test-limit")?,
    )?;
    if data.train.rows * data.train.cols != s.layers[0] || data.train.classes != 10 {
        return Err(Failure::input(
            "compare's networks take 784 pixels and 10 classes; the data differs".into(),
        ));
    }
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", out.display())))?;
    let quiet = m.get_flag("quiet");
    let mode = Mode::detect(quiet);
    let mut results = Vec::new();
    for &(init, bias) in &s.inits {
        let mut runs = Vec::new();
        for &seed in &s.seeds {
            runs.push(run_one(&s, init, bias, seed, &data, mode)?);
        }
        results.push(InitResult { init, bias, runs });
    }
    let (text, md) = table(&results);
    let json = metrics_json(&s, &results);
    write(&out.join("metrics.json"), format!("{json}\n").as_bytes())?;
    write(
        &out.join("report.md"),
        report_md(&s, &results, &md, &data).as_bytes(),
    )?;
    let lines: Vec<Line> = results
        .iter()
        .map(|r| Line {
            label: r.label(),
            accuracy: r.accuracy(),
        })
        .collect();
    let title = format!(
        "MNIST {} ({}), test accuracy, mean of {} seed(s)",
        s.arch,
        s.layers
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("-"),
        s.seeds.len()
    );
    write(
        &out.join("accuracy.png"),
        &accuracy_png(&title, &lines).map_err(Failure::runtime)?,
    )?;
    if let Some(path) = given(m, "json") {
        write_json(path, &json)?;
    }
    if !quiet {
        print!("{text}");
        println!(
            "wrote {}/report.md, metrics.json, accuracy.png",
            out.display()
        );
    }
    Ok(())
}
