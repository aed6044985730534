//! `deepinit compare`'s outputs: the summary table (terminal and Markdown),
//! `metrics.json` and `report.md`.

use crate::compare::{InitResult, RunResult, Study};
use crate::json::Json;
use crate::spec::{BiasSpec, InitSpec};
use std::fmt::Write as _;

fn pct(a: f64) -> String {
    if a.is_finite() {
        format!("{:.2} %", a * 100.0)
    } else {
        "–".into()
    }
}

/// The summary table: one row per init, as `(cells, markdown)`.
pub fn table(results: &[InitResult]) -> (String, String) {
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
        let (last, best, loss) = r.summary();
        let to98 = r
            .time_to_98()
            .map_or("never".into(), |t| format!("{t:.1} s"));
        let diverged = r.diverged();
        let cells = [
            r.label(),
            if diverged > 0 {
                format!("{diverged}/{} NaN", r.runs.len())
            } else {
                pct(last)
            },
            pct(best),
            if loss.is_finite() {
                format!("{loss:.4}")
            } else {
                "–".into()
            },
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
    if results.iter().any(|r| r.diverged() > 0) {
        let note = "k/n NaN: k of the n runs stopped at a non-finite loss (each run's epochs are in metrics.json)";
        let _ = writeln!(text, "{note}");
        let _ = writeln!(md, "\n{note}");
    }
    (text, md)
}

fn nums(values: impl IntoIterator<Item = f64>) -> Json {
    Json::Arr(values.into_iter().map(Json::Num).collect())
}

fn run_json(r: &InitResult, run: &RunResult) -> Json {
    let error = run
        .error
        .as_ref()
        .map_or(Json::Null, |e| Json::str(e.as_str()));
    Json::obj([
        ("init", Json::str(r.init.to_string())),
        ("bias_init", Json::str(r.bias.name())),
        ("seed", Json::Int(run.seed)),
        (
            "epochs",
            Json::Arr(run.epochs.iter().map(crate::train::epoch_json).collect()),
        ),
        ("elapsed_seconds", nums(run.elapsed.iter().copied())),
        ("seconds", Json::Num(run.seconds)),
        ("weights_sha256", Json::str(run.sha.as_str())),
        ("error", error),
    ])
}

fn summary_json(r: &InitResult) -> Json {
    let (last, best, loss) = r.summary();
    Json::obj([
        ("init", Json::str(r.init.to_string())),
        ("bias_init", Json::str(r.bias.name())),
        ("mean_test_accuracy", nums(r.accuracy())),
        ("final_accuracy", Json::Num(last)),
        ("best_accuracy", Json::Num(best)),
        ("final_test_loss", Json::Num(loss)),
        ("diverged_runs", Json::int(r.diverged())),
        ("seconds", Json::Num(r.seconds())),
        (
            "seconds_to_98",
            r.time_to_98().map_or(Json::Null, Json::Num),
        ),
    ])
}

/// The `metrics.json` of a study: its settings, one summary per init (the
/// curves averaged over seeds) and every run's epochs.
pub fn metrics_json(s: &Study, results: &[InitResult]) -> Json {
    let runs = results
        .iter()
        .flat_map(|r| r.runs.iter().map(move |run| run_json(r, run)));
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
        ("jobs", Json::int(s.jobs)),
        (
            "summary",
            Json::Arr(results.iter().map(summary_json).collect()),
        ),
        ("runs", Json::Arr(runs.collect())),
    ])
}

/// What the report says of the starts in the study (of those the lesson
/// explains: N(0, σ²), constant, Xavier, He), one sentence each, as a
/// paragraph; empty if none is there.
fn lesson(results: &[InitResult]) -> String {
    let has = |f: fn(InitSpec) -> bool| results.iter().any(|r| f(r.init));
    let mut sentences = Vec::new();
    if has(|i| i == InitSpec::Normal(1.0)) {
        sentences.push(
            "N(0, 1) weights are about √fan_in times too large, so activations and gradients blow up layer by layer and the network learns worse",
        );
    }
    let constant = |bias| {
        results
            .iter()
            .any(|r| matches!(r.init, InitSpec::Constant(_)) && r.bias == bias)
    };
    if constant(BiasSpec::Zeros) {
        sentences.push(
            "a constant start with zero biases keeps every hidden unit identical: they get the same gradients and never learn different features",
        );
    }
    if constant(BiasSpec::Default) {
        sentences.push(
            "a constant start gives every hidden unit the same weights, and only the random biases tell the units apart",
        );
    }
    let xavier = has(|i| matches!(i, InitSpec::XavierUniform | InitSpec::XavierNormal));
    let he = has(|i| matches!(i, InitSpec::HeUniform | InitSpec::HeNormal));
    sentences.push(match (xavier, he) {
        (true, true) => "Xavier (Glorot & Bengio 2010) scales the weights to the fan-in and fan-out, He (He et al. 2015) to the fan-in, and both learn well",
        (true, false) => "Xavier (Glorot & Bengio 2010) scales the weights to the fan-in and fan-out and learns well",
        (false, true) => "He (He et al. 2015) scales the weights to the fan-in and learns well",
        (false, false) => "",
    });
    sentences.retain(|s| !s.is_empty());
    if sentences.is_empty() {
        return String::new();
    }
    let text = sentences.join("; ");
    let mut first = text.chars();
    let capital: String = first
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{capital}{}.\n\n", first.as_str())
}

/// The Markdown report.
pub fn report_md(
    s: &Study,
    results: &[InitResult],
    md_table: &str,
    data: &deepinit::mnist::Mnist,
) -> String {
    let layers: Vec<String> = s.layers.iter().map(usize::to_string).collect();
    let seeds: Vec<String> = s.seeds.iter().map(u64::to_string).collect();
    let jobs = if s.jobs > 1 {
        format!(
            "The runs were trained {} at a time with {} thread{} each: their seconds are those of runs sharing the machine.\n\n",
            s.jobs,
            s.threads,
            if s.threads == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let mut out = format!(
        "# Weight initialization on MNIST\n\n{} ReLU MLP, Adam (lr 0.001), batch 100, {} epoch{}, seed{} {} \
         ({} training and {} test images, pixels scaled to [0, 1]); accuracies are means over the seeds.\n\n{md_table}\n\
         ![test accuracy per epoch](accuracy.png)\n\n{}{jobs}## Runs\n\n\
         | init | seed | final acc | weights sha256 |\n|---|---:|---:|---|\n",
        layers.join("-"),
        s.epochs,
        if s.epochs == 1 { "" } else { "s" },
        if seeds.len() == 1 { "" } else { "s" },
        seeds.join(", "),
        data.train.len,
        data.test.len,
        lesson(results),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::BiasSpec;

    fn study(inits: &[InitSpec]) -> Vec<InitResult> {
        inits
            .iter()
            .map(|&init| InitResult {
                init,
                bias: BiasSpec::Default,
                runs: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_report_explains_the_starts_in_the_study() {
        let all = lesson(&study(&[
            InitSpec::Normal(1.0),
            InitSpec::Constant(0.01),
            InitSpec::XavierUniform,
            InitSpec::HeNormal,
        ]));
        assert!(all.starts_with("N(0, 1) weights are about"), "{all}");
        for part in [
            "a constant start",
            "Xavier (Glorot",
            "He (He et al. 2015) to the fan-in",
        ] {
            assert!(all.contains(part), "{part} in {all}");
        }
        // deep5's study of Xavier and He alone says nothing of the others.
        let two = lesson(&study(&[InitSpec::XavierUniform, InitSpec::HeUniform]));
        assert!(
            two.starts_with("Xavier (Glorot & Bengio 2010) scales"),
            "{two}"
        );
        assert!(
            !two.contains("N(0, 1)") && !two.contains("constant"),
            "{two}"
        );
        let he = lesson(&study(&[InitSpec::HeUniform]));
        assert_eq!(
            he,
            "He (He et al. 2015) scales the weights to the fan-in and learns well.\n\n"
        );
        assert_eq!(
            lesson(&study(&[InitSpec::Normal(0.01), InitSpec::Orthogonal])),
            ""
        );
    }
}
