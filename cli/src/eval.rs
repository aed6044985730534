//! `deepinit eval`: the test accuracy of a saved model.

use crate::json::Json;
use crate::{Failure, given, weights_sha256, write_json};
use clap::ArgMatches;
use deepinit::checkpoint::Checkpoint;
use deepinit::train::evaluate;

/// Runs `deepinit eval`.
pub fn main(m: &ArgMatches) -> Result<(), Failure> {
    crate::check_outputs(m, &["json"])?;
    crate::refuse_overwrite(m, "json", "model")?;
    let path =
        given(m, "model").ok_or_else(|| Failure::input("--model PATH is required".into()))?;
    let ckpt = Checkpoint::load(path).map_err(|e| crate::read_error(path, &e))?;
    let model = ckpt
        .to_mlp(None)
        .map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let test = crate::data::load_test(
        m.get_flag("verify-data"),
        given(m, "data"),
        crate::limits(m, "test-limit")?,
    )?;
    crate::spec::check_batch_memory(&model.sizes(), None, test.len)
        .map_err(|e| Failure::input(format!("{path}: {e}")))?;
    let (inputs, classes) = (test.rows * test.cols, test.classes);
    if model.input_size() != inputs || model.output_size() != classes {
        return Err(Failure::input(format!(
            "{path}: the checkpoint is of another architecture: it takes {} inputs and gives {} classes, \
             the data has {inputs} pixels and {classes} classes",
            model.input_size(),
            model.output_size()
        )));
    }
    let eval = evaluate(&model, &test).map_err(|e| Failure::input(e.to_string()))?;
    let sha = weights_sha256(&model);
    if !m.get_flag("quiet") {
        say!(
            "test accuracy {:.2} % ({}/{}), test loss {:.4}",
            eval.accuracy * 100.0,
            eval.correct,
            eval.len,
            eval.loss
        );
        say!("weights sha256 {sha}");
    }
    if let Some(out) = given(m, "json") {
        let meta = ckpt
            .metadata_map()
            .iter()
            .map(|(k, v)| (k.clone(), Json::str(v.as_str())))
            .collect();
        let json = Json::obj([
            ("test_accuracy", Json::Num(eval.accuracy)),
            ("test_loss", Json::Num(eval.loss)),
            ("test_correct", Json::int(eval.correct)),
            ("test_samples", Json::int(eval.len)),
            ("weights_sha256", Json::str(sha)),
            ("model", Json::str(path.as_str())),
            ("metadata", Json::Obj(meta)),
        ]);
        write_json(out, &json)?;
    }
    Ok(())
}
