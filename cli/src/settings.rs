//! `deepinit train`'s settings: from the flags and defaults for a fresh run;
//! from the checkpoint for a resumed one, where a flag that contradicts the
//! checkpoint is refused so that the continuation is bit-identical to an
//! uninterrupted run.

use crate::spec::{BiasSpec, InitSpec, parse_count, parse_layers};
use crate::{Failure, given, parse_given};
use clap::ArgMatches;
use deepinit::activation::Activation;
use deepinit::checkpoint::{Checkpoint, CheckpointError, activation_name, keys, parse_activation};
use deepinit::mlp::BiasInit;
use deepinit::mnist::Mnist;
use deepinit::optim::{AdamConfig, OptimizerConfig, SgdConfig};
use deepinit::train::TrainConfig;

/// A train run's settings, as parsed.
pub struct Run {
    /// The harness configuration.
    pub config: TrainConfig,
    /// The weight init as named.
    pub init: InitSpec,
    /// The bias init.
    pub bias: BiasSpec,
}

fn float(m: &ArgMatches, id: &str) -> Result<Option<f64>, Failure> {
    parse_given(m, id, |s| match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("--{id} must be a finite number, got {s:?}")),
    })
}

/// The optimizer from the flags, each unset one taken from `base`.
fn optimizer(m: &ArgMatches, base: OptimizerConfig) -> Result<OptimizerConfig, Failure> {
    let (lr, momentum, wd) = (
        float(m, "lr")?,
        float(m, "momentum")?,
        float(m, "weight-decay")?,
    );
    let text = |id| given(m, id).map_or("", String::as_str);
    if lr.is_some_and(|lr| lr <= 0.0) {
        // A positive number written, which f64 cannot hold.
        let mantissa = text("lr").split(['e', 'E']).next().unwrap_or("");
        let positive =
            !text("lr").starts_with('-') && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
        let zero = if positive { ", which is 0 in f64" } else { "" };
        return Err(Failure::input(format!(
            "--lr must be > 0, got {}{zero}",
            text("lr")
        )));
    }
    for (id, value) in [("momentum", momentum), ("weight-decay", wd)] {
        if value.is_some_and(|v| v < 0.0) {
            return Err(Failure::input(format!(
                "--{id} must be ≥ 0, got {}",
                text(id)
            )));
        }
    }
    // The updates run in f32, which must hold each value.
    for (id, value) in [("lr", lr), ("momentum", momentum), ("weight-decay", wd)] {
        let Some(v) = value else { continue };
        if !(v as f32).is_finite() {
            return Err(Failure::input(format!(
                "--{id} {} is beyond f32's range (at most about 3.4e38)",
                text(id)
            )));
        }
        if id == "lr" && v as f32 == 0.0 {
            return Err(Failure::input(format!(
                "--lr must be > 0, got {}, which is 0 in f32 (the updates run in f32; the smallest is about 1.4e-45)",
                text(id)
            )));
        }
    }
    let name = match given(m, "optimizer").map(String::as_str) {
        None => match base {
            OptimizerConfig::Sgd(_) => "sgd",
            _ => "adam",
        },
        Some(n @ ("adam" | "sgd")) => n,
        Some(other) => {
            return Err(Failure::input(format!(
                "unknown optimizer {other:?}; known: adam, sgd"
            )));
        }
    };
    let nesterov = m.get_flag("nesterov");
    Ok(match (name, base) {
        ("adam", base) => {
            if momentum.is_some() || nesterov {
                return Err(Failure::input(
                    "--momentum and --nesterov apply to --optimizer sgd only".into(),
                ));
            }
            let mut a = if let OptimizerConfig::Adam(a) = base {
                a
            } else {
                AdamConfig::new(1e-3)
            };
            a.lr = lr.unwrap_or(a.lr);
            a.weight_decay = wd.unwrap_or(a.weight_decay);
            OptimizerConfig::Adam(a)
        }
        (_, base) => {
            let mut s = if let OptimizerConfig::Sgd(s) = base {
                s
            } else {
                SgdConfig::new(0.01)
            };
            s.lr = lr.unwrap_or(s.lr);
            s.momentum = momentum.unwrap_or(s.momentum);
            s.nesterov = nesterov || s.nesterov;
            s.weight_decay = wd.unwrap_or(s.weight_decay);
            if s.nesterov && s.momentum == 0.0 {
                let text = if nesterov {
                    "--nesterov needs --momentum > 0"
                } else {
                    "--momentum 0 contradicts the checkpoint's Nesterov momentum (a resumed run keeps its settings)"
                };
                return Err(Failure::input(text.into()));
            }
            OptimizerConfig::Sgd(s)
        }
    })
}

fn agree(flag: &str, asked: String, stored: String) -> Result<(), Failure> {
    if asked == stored {
        Ok(())
    } else {
        Err(Failure::input(format!(
            "--{flag} {asked} differs from the checkpoint's {stored} (a resumed run keeps its settings)"
        )))
    }
}

fn activation(name: &str) -> Result<Activation, Failure> {
    match parse_activation(name) {
        Some(a) if a != Activation::Identity => Ok(a),
        _ => Err(Failure::input(format!(
            "unknown activation {name:?}; known: relu, sigmoid, tanh"
        ))),
    }
}

/// `adam (lr 0.001, weight decay 0)`.
fn describe(o: &OptimizerConfig) -> String {
    match o {
        OptimizerConfig::Adam(a) => format!("adam (lr {}, weight decay {})", a.lr, a.weight_decay),
        OptimizerConfig::Sgd(s) => format!(
            "sgd (lr {}, momentum {}, nesterov {}, weight decay {})",
            s.lr, s.momentum, s.nesterov, s.weight_decay
        ),
        _ => "another optimizer".into(),
    }
}

/// The settings the flags ask for (defaults where unset), all but the layers,
/// which need the data to be checked.
/// With `resuming`, the optimizer flags are left to [`resumed`], which checks
/// them against the checkpoint's optimizer.
pub fn settings(m: &ArgMatches, resuming: bool) -> Result<Run, Failure> {
    let mut config = TrainConfig::new(Vec::new());
    config.activation = activation(given(m, "activation").map_or("relu", String::as_str))?;
    if !resuming {
        config.optimizer = optimizer(m, OptimizerConfig::Adam(AdamConfig::new(1e-3)))?;
    }
    let init = parse_given(m, "init", InitSpec::parse)?.unwrap_or(InitSpec::XavierUniform);
    let bias = parse_given(m, "bias-init", BiasSpec::parse)?.unwrap_or(BiasSpec::Default);
    config.init = init.to_init();
    config.bias_init = bias_init(bias);
    config.batch_size = parse_given(m, "batch", |s| parse_count(s, "--batch"))?.unwrap_or(100);
    if config.batch_size == 0 {
        return Err(Failure::input("--batch must be at least 1".into()));
    }
    let seed = |s: &str| {
        s.parse()
            .map_err(|_| format!("--seed must be an unsigned integer, got {s:?}"))
    };
    config.seed = parse_given(m, "seed", seed)?.unwrap_or(777);
    Ok(Run { config, init, bias })
}

fn bias_init(b: BiasSpec) -> BiasInit {
    if b == BiasSpec::Zeros {
        BiasInit::Zeros
    } else {
        BiasInit::Default
    }
}

/// `--layers`, checked against the data, if given.
pub fn asked_layers(m: &ArgMatches, data: &Mnist) -> Result<Option<Vec<usize>>, Failure> {
    let inputs = data.train.rows * data.train.cols;
    given(m, "layers")
        .map(|s| parse_layers(s, inputs, data.train.classes).map_err(Failure::input))
        .transpose()
}

/// Settings of a resumed run: the checkpoint's; a flag given must agree.
pub fn resumed(
    m: &ArgMatches,
    data: &Mnist,
    asked: Run,
    ckpt: &Checkpoint,
) -> Result<Run, Failure> {
    let ck =
        |e: deepinit::checkpoint::CheckpointError| Failure::input(format!("cannot resume: {e}"));
    let bad = |e: String| Failure::input(format!("cannot resume: {e}"));
    let layers = ckpt
        .check_model(asked_layers(m, data)?.as_deref())
        .map_err(ck)?;
    let inputs = data.train.rows * data.train.cols;
    if layers[0] != inputs || layers[layers.len() - 1] != data.train.classes {
        return Err(bad(format!(
            "the checkpoint's layers {layers:?} do not fit the data's {inputs} inputs and {} classes",
            data.train.classes
        )));
    }
    // Checkpoints written before the keys existed lack them; the step
    // count that `Trainer::resume` checks still catches most other sizes.
    ckpt.check_train_data(&data.train).map_err(|e| match e {
        CheckpointError::ConfigMismatch {
            key: keys::TRAIN_SAMPLES,
            checkpoint: n,
            config: len,
        } => bad(format!(
            "the checkpoint was trained on {n} images, this run has {len} (--train-limit or --data differ; a resumed run keeps its data)"
        )),
        CheckpointError::ConfigMismatch {
            key: keys::TRAIN_DATA_SHA256,
            ..
        } => bad(
            "the checkpoint was trained on other images than this run's (their SHA-256 differs: --data differs; a resumed run keeps its data)".into(),
        ),
        e => ck(e),
    })?;
    let mut config = ckpt.train_config().map_err(ck)?;
    // The program trains what `--activation` can name (not the library's
    // identity).
    activation(activation_name(config.activation))?;
    let stored_opt = config.optimizer;
    if optimizer(m, stored_opt)? != stored_opt {
        return Err(Failure::input(format!(
            "the optimizer flags differ from the checkpoint's {} (a resumed run keeps its settings)",
            describe(&stored_opt)
        )));
    }
    let (seed, batch) = (config.seed, config.batch_size);
    let init = InitSpec::parse(ckpt.require_metadata(keys::INIT).map_err(ck)?).map_err(bad)?;
    let bias = BiasSpec::parse(ckpt.require_metadata(keys::BIAS_INIT).map_err(ck)?).map_err(bad)?;
    let check = |flag: &str| given(m, flag).is_some();
    let name = |a| activation_name(a).to_owned();
    if check("activation") {
        agree(
            "activation",
            name(asked.config.activation),
            name(config.activation),
        )?;
    }
    if check("seed") {
        agree("seed", asked.config.seed.to_string(), seed.to_string())?;
    }
    if check("batch") {
        agree(
            "batch",
            asked.config.batch_size.to_string(),
            batch.to_string(),
        )?;
    }
    if check("init") {
        agree("init", asked.init.to_string(), init.to_string())?;
    }
    if check("bias-init") {
        agree("bias-init", asked.bias.name().into(), bias.name().into())?;
    }
    config.init = init.to_init();
    config.bias_init = bias_init(bias);
    Ok(Run { config, init, bias })
}
