//! The command-line grammar (clap builder API: no procedural macros, so the
//! program builds fast) and the conversion of clap's errors to one line.

use clap::{Arg, ArgAction, ArgMatches, Command};

/// `deepinit compare`'s default initializers: the lesson's six starts.
pub const DEFAULT_INITS: &str =
    "normal,constant:0.01/zeros,xavier-uniform,xavier-normal,he-uniform,he-normal";

fn opt(name: &'static str, value: &'static str, help: &'static str) -> Arg {
    let arg = Arg::new(name)
        .long(name)
        .value_name(value)
        .help(help)
        .action(ArgAction::Set);
    match value {
        // Numbers and lists of them may be negative (and are then refused
        // with a clear message rather than taken for a flag); a flag where
        // the number should be is a missing value (`flag_as_value`).
        "RATE" | "M" | "W" | "N" | "LIST" => arg.allow_hyphen_values(true),
        // An empty path would name no file ("cannot read : …").
        "PATH" | "DIR" if name != "data" => arg.value_parser(not_empty),
        _ => arg,
    }
}

/// A flag where an option that takes hyphen values (numbers, which may be
/// negative) expects its value: `--epochs --seed 3`, `--epochs -q`. clap
/// would take the flag for the value and report the stray `3`, or report
/// the flag as a bad number. Negative numbers (`-1e-3`) are values; `--`
/// ends the options.
fn flag_as_value(cmd: &Command, args: &[std::ffi::OsString]) -> Option<String> {
    let sub = cmd.find_subcommand(args.get(1)?.to_str()?)?;
    let is_flag = |s: &str| match s.strip_prefix('-') {
        Some(long) if long.starts_with('-') => long.len() > 1,
        Some(short) => {
            let mut c = short.chars();
            matches!((c.next(), c.next()), (Some(ch), None)
                if ch == 'h' || sub.get_arguments().any(|a| a.get_short() == Some(ch)))
        }
        None => false,
    };
    args.windows(2)
        .skip(2)
        .take_while(|pair| pair[0] != "--")
        .find_map(|pair| {
            let name = pair[0].to_str()?.strip_prefix("--")?;
            let next = pair[1].to_str()?;
            let arg = sub.get_arguments().find(|a| a.get_long() == Some(name))?;
            (arg.is_allow_hyphen_values_set() && is_flag(next)).then(|| {
                format!(
                    "a value is required for '--{name} <{}>' but none was supplied \
                     (found {next} where the value should be; see deepinit {} --help)",
                    arg.get_value_names()
                        .and_then(|v| v.first())
                        .map_or("VALUE", |v| v.as_str()),
                    sub.get_name()
                )
            })
        })
}

fn not_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("the path is empty".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

fn data_args(cmd: Command) -> Command {
    cmd.arg(
        opt(
            "data",
            "DIR",
            "Directory of the MNIST-format files [default: data/mnist, else the copy in the checkout built from]",
        )
        .env("DEEPINIT_DATA"),
    )
    .arg(opt(
        "test-limit",
        "N",
        "Use only the first N test images (quick runs)",
    ))
    .arg(
        Arg::new("verify-data")
            .long("verify-data")
            .action(ArgAction::SetTrue)
            .help("Check the data files against SHA256SUMS in the data directory"),
    )
}

fn run_args(cmd: Command) -> Command {
    cmd.arg(opt(
        "threads",
        "N",
        "Threads for the matrix products [default: available cores]",
    ))
    .arg(opt(
        "train-limit",
        "N",
        "Use only the first N training images (quick runs)",
    ))
    .arg(
        Arg::new("quiet")
            .long("quiet")
            .short('q')
            .action(ArgAction::SetTrue)
            .help("Print nothing but errors"),
    )
}

fn train_command() -> Command {
    let cmd = Command::new("train")
        .about("Train one MLP on MNIST")
        .arg(opt("layers", "LIST", "Layer sizes, input first [default: 784,256,256,10]"))
        .arg(opt("activation", "NAME", "Hidden activation: relu, sigmoid, tanh [default: relu]"))
        .arg(opt("init", "NAME", "Weight init [default: xavier-uniform]").long_help(
            "Weight init: normal[:STD], uniform:LOW:HIGH, constant:V, xavier-uniform, xavier-normal, \
             he-uniform, he-normal, lecun-uniform, lecun-normal, truncated-normal:STD (cut at ±2·STD), \
             orthogonal, default (PyTorch's nn.Linear: U(±1/√fan_in)) [default: xavier-uniform]",
        ))
        .arg(opt("bias-init", "NAME", "Bias init: default (U(±1/√fan_in)) or zeros [default: default]"))
        .arg(opt("optimizer", "NAME", "adam or sgd [default: adam]"))
        .arg(opt("lr", "RATE", "Learning rate, > 0 [default: 0.001 with adam, 0.01 with sgd]"))
        .arg(opt("momentum", "M", "SGD momentum [default: 0]"))
        .arg(Arg::new("nesterov").long("nesterov").action(ArgAction::SetTrue).help("SGD with Nesterov momentum"))
        .arg(opt("weight-decay", "W", "L2 weight decay [default: 0]"))
        .arg(opt("batch", "N", "Minibatch size [default: 100]"))
        .arg(opt("epochs", "N", "Total epochs, counting those of a resumed run; 0 evaluates (and saves) the initial weights [default: 15]"))
        .arg(opt("seed", "N", "Seed of the initial weights and the shuffles [default: 777]"))
        .arg(opt("save", "PATH", "Write a checkpoint (safetensors) after every epoch"))
        .arg(opt("resume", "PATH", "Continue the run saved in this checkpoint"))
        .arg(opt("json", "PATH", "Write the metrics as JSON"));
    run_args(data_args(cmd))
}

fn eval_command() -> Command {
    let cmd = Command::new("eval")
        .about("Evaluate a saved model on the MNIST test set")
        .arg(opt("model", "PATH", "Checkpoint written by `train --save`").required(true))
        .arg(opt("json", "PATH", "Write the result as JSON"))
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .action(ArgAction::SetTrue)
                .help("Print nothing but errors"),
        );
    data_args(cmd)
}

fn compare_command() -> Command {
    let cmd = Command::new("compare")
        .about("The weight-initialization study: train one network per init and seed, compare")
        .arg(opt("arch", "NAME", "mlp3 (784-256-256-10) or deep5 (784-512-512-512-512-10) [default: mlp3]"))
        .arg(opt("inits", "LIST", "Comma-separated INIT[/BIAS], e.g. constant:0.01/zeros").long_help(
            "Comma-separated INIT[/BIAS] entries; INIT as for `train --init`, BIAS default or zeros \
             [default: normal,constant:0.01/zeros,xavier-uniform,xavier-normal,he-uniform,he-normal]",
        ))
        .arg(opt("seeds", "LIST", "Seeds, one run each [default: 777,1,2]"))
        .arg(opt("epochs", "N", "Epochs per run, at least 1 [default: 15]"))
        .arg(opt("jobs", "N", "Runs trained at once, sharing --threads among them [default: --threads, one thread each]").long_help(
            "Runs trained at once, --threads shared among them (at least one thread each). \
             By default one run per thread: two runs of one thread finish a study 1.4–2× \
             sooner on two cores than one run of two threads. Every run's weights are the \
             same either way; with more than one job its seconds are those of a run sharing \
             the machine (--jobs 1 times runs alone) [default: --threads]",
        ))
        .arg(opt("out", "DIR", "Where report.md, metrics.json, accuracy.png go [default: runs/compare-<timestamp>]"))
        .arg(opt("json", "PATH", "Also write the metrics JSON here"));
    run_args(data_args(cmd))
}

/// The whole grammar.
pub fn command() -> Command {
    Command::new("deepinit")
        .version(env!("CARGO_PKG_VERSION"))
        .about(
            "Weight initialization on real MNIST: bad starts learn badly, Xavier and He learn well",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(train_command())
        .subcommand(eval_command())
        .subcommand(compare_command())
}

/// Parses `args`; `Err` carries what to print and the exit code (0 for
/// `--help`/`--version`, 2 for a usage error, reduced to one line).
pub fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<ArgMatches, (String, i32)> {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let cmd = command();
    if let Some(line) = flag_as_value(&cmd, &args) {
        return Err((line, 2));
    }
    cmd.try_get_matches_from(args).map_err(|e| {
        use clap::error::ErrorKind as K;
        match e.kind() {
            K::DisplayHelp | K::DisplayVersion => (e.render().to_string(), 0),
            K::DisplayHelpOnMissingArgumentOrSubcommand | K::MissingSubcommand => (
                "missing command: train, eval or compare (see deepinit --help)".to_owned(),
                2,
            ),
            _ => {
                let text = e.render().to_string();
                // The first paragraph, on one line.
                let first: Vec<&str> = text
                    .lines()
                    .take_while(|l| !l.trim().is_empty())
                    .map(str::trim)
                    .collect();
                let first = first.join(" ");
                let first = first.trim_start_matches("error: ");
                let tip = text
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("tip: ").map(str::to_owned));
                let line = match tip {
                    Some(tip) => format!("{first} ({tip})"),
                    None => format!("{first} (see deepinit --help)"),
                };
                (line, 2)
            }
        }
    })
}
