//! Arbitrary bytes through the checkpoint reader (`eval --model`, `train
//! --resume`): `Ok` or a typed `CheckpointError`, never a panic, and no
//! allocation beyond the input's size. Each input is read twice: as a whole
//! file, and as the header of one (its length prefixed), which sends every
//! input into the JSON parser. A checkpoint that parses must survive a
//! write-and-read round trip, and turning it into a model, an optimizer
//! configuration, a run position or a training state to resume must not
//! panic either.
#![no_main]

use deepinit::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    match Checkpoint::from_bytes(bytes) {
        Ok(c) => {
            // Bytes, not `==`: a NaN tensor entry is not equal to itself.
            let written = c.to_bytes();
            let again = Checkpoint::from_bytes(&written).expect("a written checkpoint reads back");
            assert_eq!(again.to_bytes(), written);
            if let Ok(model) = c.to_mlp(None) {
                assert_eq!(Some(model.sizes()), c.check_model(None).ok());
            }
            let _ = c.optimizer_config();
            let _ = c.run_position();
            if let Ok(config) = c.train_config() {
                let _ = c.to_train_state(&config);
            }
        }
        Err(e) => {
            // Display must work for every error.
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut framed = (data.len() as u64).to_le_bytes().to_vec();
    framed.extend_from_slice(data);
    check(&framed);
});
