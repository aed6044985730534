//! `deepinit train`: one MLP on MNIST, with checkpoints after every epoch,
//! resume, and JSON metrics.

use crate::json::Json;
use crate::progress::{Mode, Progress};
use crate::settings::{Run, asked_layers, resumed, settings};
use crate::spec::{parse_count, parse_layers};
use crate::{Failure, given, parse_given, weights_sha256, write_json};
use clap::ArgMatches;
use deepinit::checkpoint::{Checkpoint, activation_name, keys, train_data_sha256};
use deepinit::mnist::Mnist;
use deepinit::optim::OptimizerConfig;
use deepinit::train::{EpochMetrics, Evaluation, Trainer, evaluate};

/// The training images a run saw: their number and digest
/// ([`deepinit::checkpoint::train_data_sha256`]).
pub struct TrainData {
    pub samples: usize,
    pub sha256: String,
}

/// The checkpoint of a trainer's current state, with the init names, the
/// training images it saw and the metrics so far.
pub fn checkpoint(
    trainer: &Trainer,
    run: &Run,
    train: &TrainData,
    history: &[EpochMetrics],
) -> Checkpoint {
    let mut c = Checkpoint::from_train_state(&trainer.state(), trainer.config());
    c.set_metadata(keys::INIT, &run.init.to_string());
    c.set_metadata(keys::BIAS_INIT, run.bias.name());
    c.set_train_data(train.samples, &train.sha256);
    c.set_metadata(HISTORY, &history_text(history));
    c
}

/// Metadata key of the metrics of the epochs a checkpoint has seen.
pub const HISTORY: &str = "history";

/// `epoch train_loss test_loss test_accuracy seconds samples_per_second`
/// per epoch, `;`-separated; floats in Rust's round-trip form.
fn history_text(history: &[EpochMetrics]) -> String {
    let entries: Vec<String> = history
        .iter()
        .map(|e| {
            let (a, b, c) = (e.train_loss, e.test_loss, e.test_accuracy);
            format!(
                "{} {a} {b} {c} {} {}",
                e.epoch, e.seconds, e.samples_per_second
            )
        })
        .collect();
    entries.join(";")
}

/// The history stored by [`checkpoint`]; empty if the key is absent.
pub fn parse_history(ckpt: &Checkpoint) -> Result<Vec<EpochMetrics>, Failure> {
    let Some(text) = ckpt.metadata(HISTORY).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let entry = |e: &str| -> Option<EpochMetrics> {
        let f: Vec<&str> = e.split(' ').collect();
        let x = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        (f.len() == 6).then_some(())?;
        Some(EpochMetrics {
            epoch: f[0].parse().ok()?,
            train_loss: x(1)?,
            test_loss: x(2)?,
            test_accuracy: x(3)?,
            seconds: x(4)?,
            samples_per_second: x(5)?,
        })
    };
    let bad = || {
        Failure::input(format!(
            "cannot resume: checkpoint metadata {HISTORY:?} is malformed"
        ))
    };
    text.split(';').map(|e| entry(e).ok_or_else(bad)).collect()
}

/// The `config` object of the JSON output.
pub fn config_json(run: &Run, threads: usize, data: &Mnist) -> Json {
    let c = &run.config;
    let opt = match c.optimizer {
        OptimizerConfig::Adam(a) => Json::obj([
            ("name", Json::str("adam")),
            ("lr", Json::Num(a.lr)),
            ("beta1", Json::Num(a.beta1)),
            ("beta2", Json::Num(a.beta2)),
            ("eps", Json::Num(a.eps)),
            ("weight_decay", Json::Num(a.weight_decay)),
        ]),
        OptimizerConfig::Sgd(s) => Json::obj([
            ("name", Json::str("sgd")),
            ("lr", Json::Num(s.lr)),
            ("momentum", Json::Num(s.momentum)),
            ("nesterov", Json::Bool(s.nesterov)),
            ("weight_decay", Json::Num(s.weight_decay)),
        ]),
        _ => Json::obj([("name", Json::str("unknown"))]),
    };
    Json::obj([
        (
            "layers",
            Json::Arr(c.layers.iter().map(|&n| Json::int(n)).collect()),
        ),
        ("activation", Json::str(activation_name(c.activation))),
        ("init", Json::str(run.init.to_string())),
        ("bias_init", Json::str(run.bias.name())),
        ("optimizer", opt),
        ("batch", Json::int(c.batch_size)),
        ("epochs", Json::int(c.epochs)),
        ("seed", Json::Int(c.seed)),
        ("threads", Json::int(threads)),
        ("train_samples", Json::int(data.train.len)),
        ("test_samples", Json::int(data.test.len)),
    ])
}

/// One epoch's JSON object.
pub fn epoch_json(e: &EpochMetrics) -> Json {
    Json::obj([
        ("epoch", Json::int(e.epoch)),
        ("train_loss", Json::Num(e.train_loss)),
        ("test_loss", Json::Num(e.test_loss)),
        ("test_accuracy", Json::Num(e.test_accuracy)),
        ("seconds", Json::Num(e.seconds)),
    ])
}

/// The data, the run's settings, its trainer (fresh or resumed) and the
/// metrics of the epochs already done.
fn prepare(m: &ArgMatches) -> Result<(Mnist, Run, Trainer, Vec<EpochMetrics>), Failure> {
    let epochs = parse_given(m, "epochs", |s| parse_count(s, "--epochs"))?.unwrap_or(15);
    let threads = crate::threads(m)?;
    crate::check_outputs(m, &["save", "json"])?;
    crate::refuse_overwrite(m, "json", "resume")?;
    let resume = match given(m, "resume") {
        Some(path) => Some((
            path,
            Checkpoint::load(path).map_err(|e| crate::read_error(path, &e))?,
        )),
        None => None,
    };
    // Every flag that does not need the data is checked before loading it.
    let asked = settings(m, resume.is_some())?;
    let train_limit = crate::limits(m, "train-limit")?;
    let data = crate::data::load(
        m.get_flag("verify-data"),
        given(m, "data"),
        train_limit,
        crate::limits(m, "test-limit")?,
    )?;
    let mut run = match &resume {
        Some((_, ckpt)) => resumed(m, &data, asked, ckpt)?,
        None => {
            let mut run = asked;
            let (inputs, classes) = (data.train.rows * data.train.cols, data.train.classes);
            run.config.layers = match asked_layers(m, &data)? {
                Some(layers) => layers,
                None => parse_layers("784,256,256,10", inputs, classes)
                    .map_err(|e| Failure::input(format!("the default {e}; give --layers")))?,
            };
            run
        }
    };
    (run.config.epochs, run.config.threads) = (epochs, threads);
    crate::spec::check_batch_memory(
        &run.config.layers,
        Some(run.config.batch_size),
        data.test.len,
    )
    .map_err(Failure::input)?;
    if data.train.len < run.config.batch_size {
        let (len, batch) = (data.train.len, run.config.batch_size);
        return Err(Failure::input(format!(
            "the training set has {len} images, fewer than one batch of {batch}"
        )));
    }
    let trainer = match &resume {
        Some((path, ckpt)) => {
            let refused = |e: &dyn std::fmt::Display| {
                Failure::input(format!("cannot resume from {path}: {e}"))
            };
            let state = ckpt.to_train_state(&run.config).map_err(|e| refused(&e))?;
            Trainer::resume(run.config.clone(), state).map_err(|e| refused(&e))?
        }
        None => Trainer::new(run.config.clone()).map_err(|e| Failure::input(e.to_string()))?,
    };
    let history = match &resume {
        Some((_, ckpt)) => parse_history(ckpt)?,
        None => Vec::new(),
    };
    let done = trainer.next_epoch();
    if history.len() != done || history.iter().zip(1..).any(|(e, n)| e.epoch != n) {
        let epochs: Vec<usize> = history.iter().map(|e| e.epoch).collect();
        return Err(Failure::input(format!(
            "cannot resume: the checkpoint's history lists epochs {epochs:?}, its state has completed {done}"
        )));
    }
    if epochs < done {
        return Err(Failure::input(format!(
            "--epochs {epochs} is fewer than the {done} the checkpoint has completed (--epochs is the run's total)"
        )));
    }
    Ok((data, run, trainer, history))
}

/// Trains the remaining epochs, saving after each one (and once if none remain).
/// `history` holds the metrics of the epochs before a resumed run.
fn train_epochs(
    m: &ArgMatches,
    data: &Mnist,
    run: &Run,
    trainer: &mut Trainer,
    history: Vec<EpochMetrics>,
) -> Result<Vec<EpochMetrics>, Failure> {
    let mode = Mode::detect(m.get_flag("quiet"));
    let mut progress = Progress::new(
        mode,
        String::new(),
        run.config.epochs,
        run.config.batch_size,
    );
    // Hashed once, for every epoch's checkpoint.
    let train = given(m, "save").map(|_| TrainData {
        samples: data.train.len,
        sha256: train_data_sha256(&data.train),
    });
    let save = |trainer: &Trainer, history: &[EpochMetrics]| match (given(m, "save"), &train) {
        (Some(path), Some(train)) => checkpoint(trainer, run, train, history)
            .save(path)
            .map_err(|e| Failure::runtime(format!("cannot save: {e}"))),
        _ => Ok(()),
    };
    let mut metrics = history;
    let before = metrics.len();
    while !trainer.is_finished() {
        let e = trainer
            .train_epoch(&data.train, &data.test, &mut progress)
            .map_err(Failure::training)?;
        metrics.push(e);
        save(trainer, &metrics)?;
    }
    if metrics.len() == before {
        save(trainer, &metrics)?;
    }
    Ok(metrics)
}

/// Seconds of training over `metrics`: +0 for none (an empty float sum is
/// −0, which would print as "-0.0").
fn train_seconds(metrics: &[EpochMetrics]) -> f64 {
    metrics.iter().fold(0.0, |s, e| s + e.seconds)
}

fn summary(m: &ArgMatches, eval: &Evaluation, metrics: &[EpochMetrics], sha: &str) {
    if m.get_flag("quiet") {
        return;
    }
    let seconds = train_seconds(metrics);
    say!(
        "test accuracy {:.2} % ({}/{}), test loss {:.4}, {} epoch(s) in {seconds:.1} s of training",
        eval.accuracy * 100.0,
        eval.correct,
        eval.len,
        eval.loss,
        metrics.len(),
    );
    say!("weights sha256 {sha}");
    if let Some(path) = given(m, "save") {
        say!("saved {path}");
    }
}

/// Runs `deepinit train`.
pub fn main(m: &ArgMatches) -> Result<(), Failure> {
    let (data, run, mut trainer, history) = prepare(m)?;
    let metrics = train_epochs(m, &data, &run, &mut trainer, history)?;
    let eval = evaluate(trainer.model(), &data.test).map_err(|e| Failure::input(e.to_string()))?;
    let sha = weights_sha256(trainer.model());
    summary(m, &eval, &metrics, &sha);
    if let Some(path) = given(m, "json") {
        let json = Json::obj([
            ("test_accuracy", Json::Num(eval.accuracy)),
            ("test_loss", Json::Num(eval.loss)),
            ("test_correct", Json::int(eval.correct)),
            ("test_samples", Json::int(eval.len)),
            ("train_seconds", Json::Num(train_seconds(&metrics))),
            (
                "epochs",
                Json::Arr(metrics.iter().map(epoch_json).collect()),
            ),
            ("weights_sha256", Json::str(sha)),
            ("config", config_json(&run, run.config.threads, &data)),
        ]);
        write_json(path, &json)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_round_trips_exactly_and_rejects_garbage() {
        let e = |epoch, x: f64| EpochMetrics {
            epoch,
            train_loss: x,
            test_loss: x / 3.0,
            test_accuracy: 0.1 + x,
            seconds: 1e-9 * x,
            samples_per_second: 1e7 / x,
        };
        let history = vec![e(1, 0.123_456_789_012_345_67), e(2, std::f64::consts::PI)];
        let mut c = Checkpoint::new();
        c.set_metadata(HISTORY, &history_text(&history));
        assert_eq!(parse_history(&c).unwrap(), history);
        assert!(parse_history(&Checkpoint::new()).unwrap().is_empty());
        for bad in ["1 2 3", "1 a 3 4 5 6", "1 2 3 4 5 6;", "x 2 3 4 5 6"] {
            c.set_metadata(HISTORY, bad);
            assert_eq!(parse_history(&c).unwrap_err().code, 2, "{bad:?}");
        }
    }
}
