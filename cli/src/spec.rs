//! Parsing of the command line's value syntax: initializer names
//! (`normal[:STD]`, `uniform:LOW:HIGH`, `xavier-uniform`, …), comma-separated
//! lists, and layer sizes. Every parser returns a one-line message on error.

use deepinit::init::{FanMode, Fans, Init, Nonlinearity};
use deepinit::train::EVAL_BATCH;
use std::fmt;

/// A weight initializer as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitSpec {
    /// `normal[:STD]`: N(0, std²), std 1 by default (PyTorch's `normal_`).
    Normal(f32),
    /// `uniform:LOW:HIGH`: U(low, high).
    Uniform(f32, f32),
    /// `constant:V`: every weight V.
    Constant(f32),
    /// `truncated-normal:STD`: N(0, std²) truncated to ±2·std.
    TruncatedNormal(f32),
    /// Glorot & Bengio 2010, gain 1.
    XavierUniform,
    /// Glorot & Bengio 2010, gain 1.
    XavierNormal,
    /// He et al. 2015 (relu, fan_in).
    HeUniform,
    /// He et al. 2015 (relu, fan_in).
    HeNormal,
    /// LeCun 1998: var = 1/fan_in, uniform.
    LecunUniform,
    /// LeCun 1998: var = 1/fan_in, normal.
    LecunNormal,
    /// Saxe et al. 2014, gain 1.
    Orthogonal,
    /// PyTorch's `nn.Linear` default: U(±1/√fan_in).
    Default,
}

/// Every accepted initializer syntax, for error messages and `--help`.
pub const INIT_NAMES: &str = "normal[:STD], uniform:LOW:HIGH, constant:V, xavier-uniform, \
xavier-normal, he-uniform, he-normal, lecun-uniform, lecun-normal, truncated-normal:STD, orthogonal, default";

fn number(text: &str, what: &str) -> Result<f32, String> {
    let trimmed = text.trim();
    match trimmed.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ if trimmed.parse::<f64>().is_ok_and(f64::is_finite) => Err(format!(
            "{what} {trimmed} is beyond f32's range (at most about 3.4e38)"
        )),
        _ => Err(format!("{what} must be a finite number, got {text:?}")),
    }
}

fn positive(text: &str, what: &str) -> Result<f32, String> {
    let v = number(text, what)?;
    if v > 0.0 {
        Ok(v)
    } else if text.parse::<f64>().is_ok_and(|x| x > 0.0) {
        Err(format!(
            "{what} must be > 0, got {text}, which is 0 in f32 (the smallest is about 1.4e-45)"
        ))
    } else {
        Err(format!("{what} must be > 0, got {text}"))
    }
}

impl InitSpec {
    /// Parses an initializer name, and refuses values the initializer itself
    /// would refuse (so before any data is read).
    pub fn parse(text: &str) -> Result<Self, String> {
        let spec = Self::parse_name(text)?;
        // The parameters given do not depend on the fans (only the
        // fan-scaled inits use them, and they take no parameters).
        match spec.to_init().params(Fans::new(1, 1)) {
            Ok(_) => Ok(spec),
            Err(e) => Err(format!("init {text:?}: {e}")),
        }
    }

    fn parse_name(text: &str) -> Result<Self, String> {
        let mut parts = text.split(':');
        let name = parts.next().unwrap_or_default();
        let args: Vec<&str> = parts.collect();
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "init {text:?}: expected {n} ':'-separated value(s) after {name:?}"
                ))
            }
        };
        let simple = |spec: InitSpec| arity(0).map(|()| spec);
        match name {
            "normal" if args.is_empty() => Ok(InitSpec::Normal(1.0)),
            "normal" => {
                arity(1).and_then(|()| Ok(InitSpec::Normal(positive(args[0], "normal std")?)))
            }
            "truncated-normal" => {
                arity(1)?;
                let std = positive(args[0], "truncated-normal std")?;
                if (2.0 * std).is_finite() {
                    Ok(InitSpec::TruncatedNormal(std))
                } else {
                    Err(format!(
                        "init {text:?}: the cut at ±2·STD must be finite in f32 (STD at most about 1.7e38)"
                    ))
                }
            }
            "constant" => {
                arity(1).and_then(|()| Ok(InitSpec::Constant(number(args[0], "constant value")?)))
            }
            "uniform" => {
                arity(2)?;
                let (low, high) = (
                    number(args[0], "uniform LOW")?,
                    number(args[1], "uniform HIGH")?,
                );
                if low < high {
                    Ok(InitSpec::Uniform(low, high))
                } else {
                    Err(format!("init {text:?}: LOW must be below HIGH"))
                }
            }
            "xavier-uniform" => simple(InitSpec::XavierUniform),
            "xavier-normal" => simple(InitSpec::XavierNormal),
            "he-uniform" => simple(InitSpec::HeUniform),
            "he-normal" => simple(InitSpec::HeNormal),
            "lecun-uniform" => simple(InitSpec::LecunUniform),
            "lecun-normal" => simple(InitSpec::LecunNormal),
            "orthogonal" => simple(InitSpec::Orthogonal),
            "default" => simple(InitSpec::Default),
            _ => Err(format!("unknown init {text:?}; known: {INIT_NAMES}")),
        }
    }

    /// The library's initializer.
    pub fn to_init(self) -> Init {
        match self {
            InitSpec::Normal(std) => Init::normal(0.0, std),
            InitSpec::Uniform(low, high) => Init::uniform(low, high),
            InitSpec::Constant(v) => Init::constant(v),
            InitSpec::TruncatedNormal(std) => {
                Init::truncated_normal(0.0, std, -2.0 * std, 2.0 * std)
            }
            InitSpec::XavierUniform => Init::xavier_uniform(1.0),
            InitSpec::XavierNormal => Init::xavier_normal(1.0),
            InitSpec::HeUniform => Init::he_uniform(),
            InitSpec::HeNormal => Init::he_normal(),
            InitSpec::LecunUniform => Init::lecun_uniform(),
            InitSpec::LecunNormal => Init::lecun_normal(),
            InitSpec::Orthogonal => Init::orthogonal(1.0),
            // kaiming_uniform(a = √5): gain √(2/(1+5)), bound √3·gain/√fan_in = 1/√fan_in
            // (within 1 ulp: a² of the f32 √5 is 5.00000015, where PyTorch's f64 one
            // gives 5 + 2⁻⁵⁰; the bounds differ for 776 fan_ins of 1…5000, 784 among them).
            InitSpec::Default => {
                Init::kaiming_uniform(Nonlinearity::LeakyRelu(SQRT_5), FanMode::In)
            }
        }
    }
}

/// √5 as `f32`, PyTorch's `a` of `nn.Linear`'s default initializer.
const SQRT_5: f32 = 2.236_068;

/// `v` as the shortest text that reads back to it: plain decimals from 10⁻⁴
/// to 10⁶, exponent notation outside (`1e30`, not 31 digits).
struct Short(f32);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a != 0.0 && !(1e-4..1e6).contains(&a) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl fmt::Display for InitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InitSpec::Normal(1.0) => f.write_str("normal"),
            InitSpec::Normal(std) => write!(f, "normal:{}", Short(std)),
            InitSpec::Uniform(l, h) => write!(f, "uniform:{}:{}", Short(l), Short(h)),
            InitSpec::Constant(v) => write!(f, "constant:{}", Short(v)),
            InitSpec::TruncatedNormal(std) => write!(f, "truncated-normal:{}", Short(std)),
            InitSpec::XavierUniform => f.write_str("xavier-uniform"),
            InitSpec::XavierNormal => f.write_str("xavier-normal"),
            InitSpec::HeUniform => f.write_str("he-uniform"),
            InitSpec::HeNormal => f.write_str("he-normal"),
            InitSpec::LecunUniform => f.write_str("lecun-uniform"),
            InitSpec::LecunNormal => f.write_str("lecun-normal"),
            InitSpec::Orthogonal => f.write_str("orthogonal"),
            InitSpec::Default => f.write_str("default"),
        }
    }
}

/// Whether biases start at PyTorch's default U(±1/√fan_in) or at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasSpec {
    /// PyTorch's `nn.Linear` default.
    Default,
    /// All zero.
    Zeros,
}

impl BiasSpec {
    /// Parses `default` or `zeros`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "default" => Ok(BiasSpec::Default),
            "zeros" => Ok(BiasSpec::Zeros),
            _ => Err(format!("unknown bias init {text:?}; known: default, zeros")),
        }
    }

    /// The name as parsed.
    pub fn name(self) -> &'static str {
        match self {
            BiasSpec::Default => "default",
            BiasSpec::Zeros => "zeros",
        }
    }
}

/// One entry of `compare --inits`: `INIT[/BIAS]`, e.g. `constant:0.01/zeros`.
pub fn parse_compare_entry(text: &str) -> Result<(InitSpec, BiasSpec), String> {
    match text.split_once('/') {
        Some((init, bias)) => Ok((InitSpec::parse(init.trim())?, BiasSpec::parse(bias.trim())?)),
        None => Ok((InitSpec::parse(text)?, BiasSpec::Default)),
    }
}

/// Parses a comma-separated list with `item`, refusing empty entries.
pub fn parse_list<T>(
    text: &str,
    what: &str,
    item: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    text.split(',')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                Err(format!("{what} {text:?} has an empty entry"))
            } else {
                item(s)
            }
        })
        .collect()
}

/// Parses an unsigned integer.
pub fn parse_count(text: &str, what: &str) -> Result<usize, String> {
    let digits = text.trim();
    digits.parse().map_err(|_| {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            format!("{what} must be at most {}, got {text}", usize::MAX)
        } else {
            format!("{what} must be a non-negative integer, got {text:?}")
        }
    })
}

/// The most parameters `--layers` may describe: 1 GiB of weights, about
/// 4 GiB with their gradients and Adam's two buffers.
const MAX_PARAMS: usize = 1 << 28;

/// The most values a batch may hold across the layers (rows × the sum of
/// the sizes): 1 GiB of activations, about as much again for the backward
/// pass of a training batch.
const MAX_BATCH_VALUES: usize = 1 << 28;

/// Refuses `layers` whose activations for a batch would pass
/// [`MAX_BATCH_VALUES`]: the larger of the training batch `train_batch`
/// (none for `eval`) and the evaluation's batch, [`EVAL_BATCH`] rows or the
/// `test_len` images of a smaller test set. The buffers would be allocated
/// lazily and the system could end the run for memory in its first batch.
pub fn check_batch_memory(
    layers: &[usize],
    train_batch: Option<usize>,
    test_len: usize,
) -> Result<(), String> {
    let eval_rows = test_len.min(EVAL_BATCH);
    let (rows, what, backward) = match train_batch {
        Some(b) if b >= eval_rows => (
            b,
            format!("--batch {b}"),
            ", as much again for the gradients",
        ),
        _ => (
            eval_rows,
            format!("the evaluation's batch of {eval_rows} images"),
            "",
        ),
    };
    let values = layers
        .iter()
        .try_fold(0usize, |sum, &n| sum.checked_add(n))
        .and_then(|sum| sum.checked_mul(rows));
    if values.is_none_or(|v| v > MAX_BATCH_VALUES) {
        let sizes: Vec<String> = layers.iter().map(usize::to_string).collect();
        return Err(format!(
            "{what} through layers {}: more than {MAX_BATCH_VALUES} values per batch (2²⁸: 1 GiB of activations{backward})",
            sizes.join(",")
        ));
    }
    Ok(())
}

/// Parses `--layers`: at least two positive sizes, the first `inputs`, the
/// last `classes`, at most [`MAX_PARAMS`] weights and biases.
pub fn parse_layers(text: &str, inputs: usize, classes: usize) -> Result<Vec<usize>, String> {
    let sizes = parse_list(text, "--layers", |s| parse_count(s, "a layer size"))?;
    if sizes.len() < 2 {
        return Err(format!(
            "--layers {text}: need at least an input and an output size"
        ));
    }
    if let Some(i) = sizes.iter().position(|&n| n == 0) {
        return Err(format!("--layers {text}: size {} is zero", i + 1));
    }
    let params = sizes.windows(2).try_fold(0usize, |sum, p| {
        p[0].checked_add(1)?.checked_mul(p[1])?.checked_add(sum)
    });
    if params.is_none_or(|n| n > MAX_PARAMS) {
        return Err(format!(
            "--layers {text}: more than {MAX_PARAMS} parameters (2²⁸: 1 GiB of weights, about 4 GiB with gradients and Adam's state)"
        ));
    }
    if sizes[0] != inputs {
        return Err(format!(
            "--layers {text}: the first size must be the data's {inputs} inputs, got {}",
            sizes[0]
        ));
    }
    let last = sizes[sizes.len() - 1];
    if last != classes {
        return Err(format!(
            "--layers {text}: the last size must be the data's {classes} classes, got {last}"
        ));
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One spelling of every `--init` form.
    const NAMES: [&str; 13] = [
        "normal",
        "normal:0.5",
        "uniform:-0.1:0.2",
        "constant:0.01",
        "truncated-normal:0.02",
        "xavier-uniform",
        "xavier-normal",
        "he-uniform",
        "he-normal",
        "lecun-uniform",
        "lecun-normal",
        "orthogonal",
        "default",
    ];

    #[test]
    fn every_init_name_round_trips_through_display() {
        for name in NAMES {
            let spec = InitSpec::parse(name).unwrap();
            assert_eq!(spec.to_string(), name);
            assert_eq!(InitSpec::parse(&spec.to_string()), Ok(spec));
        }
        // Very large and very small values are written with an exponent,
        // and still read back to the same f32.
        for (text, shown) in [
            ("constant:1e30", "constant:1e30"),
            ("constant:-0.00001", "constant:-1e-5"),
            ("normal:1234567", "normal:1.234567e6"),
            ("uniform:-3.4e38:0.0001", "uniform:-3.4e38:0.0001"),
            ("constant:0", "constant:0"),
            ("truncated-normal:1e-45", "truncated-normal:1e-45"),
        ] {
            let spec = InitSpec::parse(text).unwrap();
            assert_eq!(spec.to_string(), shown);
            assert_eq!(InitSpec::parse(shown), Ok(spec));
        }
    }

    #[test]
    fn bad_init_names_are_refused() {
        for bad in [
            "",
            "xavier",
            "normal:0",
            "normal:-1",
            "normal:nan",
            "uniform:1:0",
            "uniform:0",
            "constant",
            "he-uniform:2",
            "constant:inf",
            "truncated-normal",
            "truncated-normal:2e38",
            "uniform:-3e38:3e38",
        ] {
            assert!(InitSpec::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            InitSpec::parse("normal:1e39"),
            Err("normal std 1e39 is beyond f32's range (at most about 3.4e38)".into())
        );
        // Spaces around a value do not matter, as in the other flags.
        assert_eq!(InitSpec::parse("normal: 0.5"), Ok(InitSpec::Normal(0.5)));
    }

    #[test]
    fn every_init_fills_a_layer_within_its_bounds() {
        use deepinit::init::Fans;
        use rand_core::SeedableRng;
        let (fan_in, fan_out) = (784, 256);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut w = vec![0.0f32; fan_in * fan_out];
        let max_abs = |w: &[f32]| w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for name in NAMES {
            let spec = InitSpec::parse(name).unwrap();
            spec.to_init()
                .fill(&mut w, Fans::new(fan_in, fan_out), &mut rng)
                .unwrap();
            assert!(w.iter().all(|v| v.is_finite()), "{name}");
        }
        // `default` is U(±1/√fan_in): 200 704 draws reach within 0.1 % of the bound.
        InitSpec::Default
            .to_init()
            .fill(&mut w, Fans::new(fan_in, fan_out), &mut rng)
            .unwrap();
        let bound = 1.0 / (fan_in as f32).sqrt();
        assert!(
            max_abs(&w) <= bound && max_abs(&w) > 0.999 * bound,
            "{} vs {bound}",
            max_abs(&w)
        );
        InitSpec::TruncatedNormal(0.02)
            .to_init()
            .fill(&mut w, Fans::new(fan_in, fan_out), &mut rng)
            .unwrap();
        assert!(max_abs(&w) <= 0.04);
    }

    #[test]
    fn sqrt5_is_the_nearest_f32() {
        assert_eq!(SQRT_5, 5f64.sqrt() as f32);
    }

    #[test]
    fn layers_are_checked_against_the_data() {
        assert_eq!(parse_layers("784,256, 10", 784, 10), Ok(vec![784, 256, 10]));
        assert!(
            parse_layers("785,10", 784, 10)
                .unwrap_err()
                .contains("first size")
        );
        assert!(
            parse_layers("784,9", 784, 10)
                .unwrap_err()
                .contains("last size")
        );
        assert!(parse_layers("784,0,10", 784, 10).is_err());
        assert!(parse_layers("784", 784, 10).is_err());
        assert!(parse_layers("784,,10", 784, 10).is_err());
        assert!(parse_layers("784,x,10", 784, 10).is_err());
        // Spaces around the `/` of a compare entry do not matter.
        assert_eq!(
            parse_compare_entry(" constant:0.01 / zeros "),
            parse_compare_entry("constant:0.01/zeros")
        );
    }

    /// The activations of the larger of the training batch and the
    /// evaluation's batch (1000 rows, or a smaller test set) must fit in
    /// 2²⁸ values; `eval` has only the latter.
    #[test]
    fn batch_memory_counts_the_evaluation_batch_too() {
        // Σ sizes = 2²⁸ / 1000 rounds down to 268 435: at the limit, one more
        // over it.
        let fits = [784, 268_435 - 794, 10];
        let over = [784, 268_436 - 794, 10];
        assert_eq!(check_batch_memory(&fits, Some(100), 10_000), Ok(()));
        assert_eq!(check_batch_memory(&fits, None, 10_000), Ok(()));
        let err = check_batch_memory(&over, Some(100), 10_000).unwrap_err();
        assert_eq!(
            err,
            "the evaluation's batch of 1000 images through layers 784,267642,10: \
             more than 268435456 values per batch (2²⁸: 1 GiB of activations)"
        );
        assert!(check_batch_memory(&over, None, 1000).is_err());
        // A test set of 999 images is evaluated in one batch of 999 rows.
        assert_eq!(check_batch_memory(&over, None, 999), Ok(()));
        // A training batch above the evaluation's is the larger one.
        let err = check_batch_memory(&[784, 10], Some(400_000), 10_000).unwrap_err();
        assert!(
            err.starts_with("--batch 400000 through layers 784,10")
                && err.ends_with("as much again for the gradients)"),
            "{err}"
        );
        assert_eq!(
            check_batch_memory(&[784, 10], Some(300_000), 10_000),
            Ok(())
        );
    }
}
