//! Checkpoint files: round trips, the exact byte layout of the safetensors
//! format, typed errors for every kind of corrupt or truncated input, model
//! validation, and the atomicity of saving.
#![cfg(feature = "std")]

mod common;

use deepinit::checkpoint::{Checkpoint, CheckpointError, keys};
use std::fs;
use std::path::{Path, PathBuf};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = common::scratch_path(&format!("ckpt-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 3-4-2 MLP checkpoint with distinct values and some metadata.
fn small_model() -> Checkpoint {
    let mut c = Checkpoint::new();
    c.set_metadata(keys::FORMAT_VERSION, "1");
    c.set_metadata(keys::ARCHITECTURE, "3,4,2");
    c.set_metadata(keys::INIT, "normal:0.5 \"quoted\" \\ é");
    let values = |n: usize, k: f32| (0..n).map(|i| (i as f32 - 2.5) * k).collect::<Vec<_>>();
    c.push("layers.0.weight", &[4, 3], values(12, 0.125));
    c.push("layers.0.bias", &[4], values(4, -1.0e-7));
    c.push(
        "layers.1.weight",
        &[2, 4],
        vec![f32::MAX, f32::MIN_POSITIVE, -0.0, 1.5, 2.0, 3.0, 4.0, 5.0],
    );
    c.push("layers.1.bias", &[2], values(2, 3.0));
    c.push("optim.step", &[], vec![7.0]);
    c
}

#[test]
fn round_trip_preserves_every_bit() {
    let c = small_model();
    let back = Checkpoint::from_bytes(&c.to_bytes()).unwrap();
    assert_eq!(back.metadata_map(), c.metadata_map());
    assert_eq!(back.tensors().len(), c.tensors().len());
    for (a, b) in back.tensors().iter().zip(c.tensors()) {
        assert_eq!((a.name(), a.shape()), (b.name(), b.shape()));
        let bits = |t: &[f32]| t.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a.data()), bits(b.data()));
    }
    assert_eq!(back.check_model(Some(&[3, 4, 2])).unwrap(), vec![3, 4, 2]);
}

#[test]
fn byte_layout_is_safetensors() {
    let mut c = Checkpoint::new();
    c.set_metadata("k", "v");
    c.push("a", &[2], vec![1.0, -2.0]);
    c.push("b", &[1, 1], vec![0.5]);
    let bytes = c.to_bytes();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let json = concat!(
        r#"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#,
        r#""b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}"#
    );
    assert_eq!(header.trim_end_matches(' '), json);
    assert_eq!(n % 8, 0, "header padded to 8 bytes");
    assert!(n - json.len() < 8, "at most 7 padding spaces");
    let data: Vec<u8> = [1.0f32, -2.0, 0.5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(&bytes[8 + n..], data.as_slice());
}

#[test]
fn reads_headers_written_by_other_writers() {
    // Whitespace, key order, escapes, no metadata, and an empty tensor.
    let header = br#" { "x" : { "shape" : [ 0 , 3 ], "data_offsets":[4,4], "dtype":"F32" },
        "w\u00e9": {"dtype":"F32","data_offsets":[0,4],"shape":[]} } "#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&3.5f32.to_le_bytes());
    let c = Checkpoint::from_bytes(&bytes).unwrap();
    assert_eq!(c.tensors()[0].name(), "wé");
    assert_eq!(c.tensors()[0].data(), &[3.5]);
    assert_eq!(c.tensors()[1].shape(), &[0, 3]);
    assert!(c.metadata_map().is_empty());
}

#[test]
fn every_truncation_is_a_typed_error() {
    let bytes = small_model().to_bytes();
    for len in 0..bytes.len() {
        match Checkpoint::from_bytes(&bytes[..len]) {
            Err(CheckpointError::Truncated {
                needed, available, ..
            }) => {
                assert_eq!(available, len as u64);
                assert!(needed > available);
            }
            other => panic!("length {len}: expected Truncated, got {other:?}"),
        }
    }
}

/// A tensor as (shape, bit patterns of its data), for comparing tensors
/// whatever their names.
fn contents(c: &Checkpoint) -> Vec<(Vec<usize>, Vec<u32>)> {
    let mut all: Vec<_> = c
        .tensors()
        .iter()
        .map(|t| {
            (
                t.shape().to_vec(),
                t.data().iter().map(|x| x.to_bits()).collect(),
            )
        })
        .collect();
    all.sort();
    all
}

/// Every flip of 1, 2 or all bits of every byte: a flip in the length
/// prefix is always an error; one in the header is either an error or a
/// file whose tensors (shapes and values) are those of the original, a
/// flip inside a name or a metadata string; one in the data (which
/// safetensors does not checksum) changes exactly the value it hits.
#[test]
fn flipped_bytes_are_caught_or_change_only_what_they_hit() {
    let original = small_model();
    let bytes = original.to_bytes();
    let data_start = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let values: Vec<u32> = original
        .tensors()
        .iter()
        .flat_map(|t| t.data().iter().map(|x| x.to_bits()))
        .collect();
    assert_eq!(bytes.len(), data_start + 4 * values.len());
    let (mut header_flips, mut caught) = (0, 0);
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x20, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let result = Checkpoint::from_bytes(&b);
            let at = format!("byte {i} ^ {flip:#04x}");
            if i < 8 {
                assert!(result.is_err(), "{at}: length prefix accepted");
            } else if i < data_start {
                header_flips += 1;
                match result {
                    Err(_) => caught += 1,
                    Ok(c) => {
                        assert_eq!(contents(&c), contents(&original), "{at}");
                        let renamed = c.metadata_map() != original.metadata_map()
                            || c.tensors()
                                .iter()
                                .zip(original.tensors())
                                .any(|(x, y)| x.name() != y.name());
                        assert!(renamed, "{at}: accepted, yet nothing changed");
                    }
                }
            } else {
                let c = result.unwrap_or_else(|e| panic!("{at}: {e}"));
                let got: Vec<u32> = c
                    .tensors()
                    .iter()
                    .flat_map(|t| t.data().iter().map(|x| x.to_bits()))
                    .collect();
                let hit = (i - data_start) / 4;
                let shift = 8 * ((i - data_start) % 4);
                let mut expected = values.clone();
                expected[hit] ^= u32::from(flip) << shift;
                assert_eq!(got, expected, "{at}");
            }
        }
    }
    // Most header flips break its JSON or its layout. (The rest are
    // checked above, one by one.)
    assert!(
        caught > header_flips / 2,
        "{caught} of {header_flips} header flips caught"
    );
}

fn with_header(header: &str, data: &[u8]) -> Result<Checkpoint, CheckpointError> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    Checkpoint::from_bytes(&bytes)
}

#[test]
fn corrupt_headers_give_the_matching_error() {
    use CheckpointError as E;
    let t = |s: &str| format!(r#"{{"t":{{"dtype":"F32","shape":{s}}}}}"#);
    let ok = r#""dtype":"F32","shape":[1],"data_offsets":[0,4]"#;
    type Case = (String, Vec<u8>, fn(&E) -> bool);
    let cases: Vec<Case> = vec![
        ("[]".into(), vec![], |e| {
            matches!(e, E::Syntax { offset: 0, .. })
        }),
        (r#"{"t":{}"#.into(), vec![], |e| {
            matches!(e, E::Syntax { .. })
        }),
        (format!(r#"{{"t":{{{ok}}}}} x"#), vec![0; 4], |e| {
            matches!(
                e,
                E::Syntax {
                    what: "bytes after the header object",
                    ..
                }
            )
        }),
        (
            format!(r#"{{"t":{{{ok}}},"t":{{{ok}}}}}"#),
            vec![0; 4],
            |e| matches!(e, E::DuplicateName { .. }),
        ),
        (
            r#"{"t":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#.into(),
            vec![0; 1],
            |e| matches!(e, E::UnsupportedDtype { .. }),
        ),
        (
            r#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#.into(),
            vec![0; 4],
            |e| matches!(e, E::BadTensor { .. }),
        ),
        (
            r#"{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#.into(),
            vec![0; 4],
            |e| matches!(e, E::BadTensor { .. }),
        ),
        (
            r#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#.into(),
            vec![0; 8],
            |e| matches!(e, E::DataLayout { .. }),
        ),
        (format!(r#"{{"t":{{{ok}}}}}"#), vec![0; 8], |e| {
            matches!(e, E::DataLayout { .. })
        }),
        (
            format!(r#"{{"t":{{{ok},"extra":tru}}}}"#),
            vec![0; 4],
            |e| {
                matches!(
                    e,
                    E::Syntax {
                        what: "expected true, false or null",
                        ..
                    }
                )
            },
        ),
        (t(&format!("[{}1]", "1,".repeat(32))), vec![], |e| {
            matches!(
                e,
                E::Syntax {
                    what: "a shape of more than 32 dimensions",
                    ..
                }
            )
        }),
        (t("[1.5]"), vec![], |e| matches!(e, E::Syntax { .. })),
        (t("[1]"), vec![], |e| matches!(e, E::BadTensor { .. })),
        (r#"{"__metadata__":{"a":1}}"#.into(), vec![], |e| {
            matches!(
                e,
                E::Syntax {
                    what: "expected a string",
                    ..
                }
            )
        }),
    ];
    for (header, data, check) in cases {
        let result = with_header(&header, &data);
        match &result {
            Err(e) if check(e) => assert!(!e.to_string().is_empty()),
            other => panic!("header {header}: unexpected {other:?}"),
        }
    }
}

/// Files written elsewhere: F64, F16 and BF16 tensors are read into f32
/// (F16 and BF16 exactly), other dtypes are skipped by name and refused
/// only where a model needs them, unknown keys in an entry are ignored and a
/// null metadata is none — as Python's `safetensors` reads them.
#[test]
fn reads_other_float_dtypes_and_skips_the_rest() {
    let header = r#"{"__metadata__":null,
        "h":{"dtype":"F16","shape":[4],"data_offsets":[0,8],"note":{"a":[1,null]}},
        "b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},
        "d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]},
        "i":{"dtype":"I64","shape":[1],"data_offsets":[20,28]},
        "z":{"dtype":"BOOL","shape":[3],"data_offsets":[28,31]},
        "f4":{"dtype":"F4","shape":[2],"data_offsets":[31,32]},
        "c":{"dtype":"C64","shape":[1],"data_offsets":[32,40]},
        "e8":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[40,41]}}"#;
    let mut data = Vec::new();
    // F16: 1, −2, the smallest subnormal 2⁻²⁴, −∞.
    for h in [0x3C00u16, 0xC000, 0x0001, 0xFC00] {
        data.extend_from_slice(&h.to_le_bytes());
    }
    // BF16: 1.5, the largest finite.
    for h in [0x3FC0u16, 0x7F7F] {
        data.extend_from_slice(&h.to_le_bytes());
    }
    data.extend_from_slice(&0.1f64.to_le_bytes());
    data.extend_from_slice(&(-7i64).to_le_bytes());
    data.extend_from_slice(&[1, 0, 1]);
    data.extend_from_slice(&[0x21; 10]);
    let c = with_header(header, &data).unwrap();
    let values = |n: &str| c.tensor(n).unwrap().data().to_vec();
    assert_eq!(
        values("h"),
        [1.0, -2.0, 1.0 / 16_777_216.0, f32::NEG_INFINITY]
    );
    assert_eq!(values("b"), [1.5, f32::from_bits(0x7F7F_0000)]);
    assert_eq!(values("d"), [0.1f32]);
    assert!(c.metadata_map().is_empty());
    let skipped: Vec<(&str, &str)> = c
        .skipped()
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("i", "I64"),
            ("z", "BOOL"),
            ("f4", "F4"),
            ("c", "C64"),
            ("e8", "F8_E8M0")
        ]
    );
    // 4-bit values fill whole bytes only in pairs.
    let odd = r#"{"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#;
    assert!(matches!(
        with_header(odd, &[0; 2]),
        Err(CheckpointError::BadTensor { .. })
    ));
    // A skipped tensor still counts as a layer beyond the architecture.
    let beyond = r#"{"__metadata__":{"format_version":"1","architecture":"1,1"},
        "layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},
        "layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},
        "layers.1.weight":{"dtype":"I8","shape":[1,1],"data_offsets":[8,9]}}"#;
    let c2 = with_header(beyond, &[0; 9]).unwrap();
    assert!(
        matches!(&c2.check_model(None), Err(CheckpointError::BadTensor { tensor, .. }) if tensor == "layers.1.weight"),
        "{:?}",
        c2.check_model(None)
    );
    match c.require("i", &[1]) {
        Err(e @ CheckpointError::UnsupportedDtype { .. }) => {
            assert!(e.to_string().contains("\"i\" has dtype I64"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Written back, the checkpoint holds the f32 tensors alone.
    let again = Checkpoint::from_bytes(&c.to_bytes()).unwrap();
    assert_eq!(again.tensors().len(), 3);
    assert!(again.skipped().is_empty());
}

#[test]
fn oversized_and_non_utf8_headers() {
    let huge = u64::MAX.to_le_bytes();
    assert!(matches!(
        Checkpoint::from_bytes(&huge),
        Err(CheckpointError::HeaderTooLarge { .. })
    ));
    let mut bytes = 4u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{\xff}}");
    assert!(matches!(
        Checkpoint::from_bytes(&bytes),
        Err(CheckpointError::HeaderNotUtf8 { offset: 1 })
    ));
}

#[test]
fn model_validation_reports_what_is_wrong() {
    let c = small_model();
    let err = c.check_model(Some(&[784, 256, 10])).unwrap_err();
    assert!(matches!(err, CheckpointError::ArchitectureMismatch { .. }));
    assert_eq!(
        err.to_string(),
        "checkpoint is of another architecture: it has layers 3,4,2, expected 784,256,10"
    );
    let mut wrong_shape = c.clone();
    wrong_shape.set_metadata(keys::ARCHITECTURE, "3,4,3");
    assert!(matches!(
        wrong_shape.check_model(None),
        Err(CheckpointError::ShapeMismatch { .. })
    ));
    let mut short = c.clone();
    short.set_metadata(keys::ARCHITECTURE, "3,4");
    assert!(matches!(
        short.check_model(None),
        Err(CheckpointError::BadTensor { .. })
    ));
    let mut garbage = c.clone();
    garbage.set_metadata(keys::ARCHITECTURE, "3,x");
    assert!(matches!(
        garbage.check_model(None),
        Err(CheckpointError::BadMetadata { .. })
    ));
    let mut version = c;
    version.set_metadata(keys::FORMAT_VERSION, "2");
    assert!(matches!(
        version.check_model(None),
        Err(CheckpointError::BadMetadata { .. })
    ));
    assert!(matches!(
        Checkpoint::new().check_model(None),
        Err(CheckpointError::MissingMetadata { .. })
    ));
}

/// A parameter that is NaN or ±∞ is refused by name when the model is
/// rebuilt: the products skip zero inputs, so it would not even make the
/// logits NaN (an edited or damaged file would evaluate as if it were fine).
#[test]
fn non_finite_parameters_are_refused() {
    let mut c = small_model();
    c.set_metadata(keys::ACTIVATION, "relu");
    assert!(c.to_mlp(None).is_ok());
    for (name, index, bad) in [
        ("layers.0.weight", 0, f32::NAN),
        ("layers.1.bias", 1, f32::INFINITY),
    ] {
        let edited = common::with_value(&c, name, index, bad);
        match edited.to_mlp(None) {
            Err(e @ CheckpointError::BadTensor { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(name) && text.contains(&format!("index {index}")),
                    "{text}"
                );
            }
            other => panic!("{name}[{index}] = {bad}: {other:?}"),
        }
    }
}

#[test]
fn save_then_load_and_no_temporary_file_left() {
    let dir = scratch_dir("save");
    let path = dir.join("model.safetensors");
    let c = small_model();
    c.save(&path).unwrap();
    assert_eq!(Checkpoint::load(&path).unwrap(), c);
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    let missing = Checkpoint::load(dir.join("absent.safetensors")).unwrap_err();
    assert!(matches!(missing, CheckpointError::Io { .. }));
    assert!(missing.to_string().contains("absent.safetensors"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn loading_files_checks_lengths_before_reading_the_data() {
    let dir = scratch_dir("lengths");
    let bytes = small_model().to_bytes();
    let path = dir.join("cut.safetensors");
    let n = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for len in [0, 5, 8, n - 1, n, n + 3, bytes.len() - 1] {
        fs::write(&path, &bytes[..len]).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Truncated { available, .. } if available == len as u64),
            "{len}: {err:?}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 4]);
    fs::write(&path, &longer).unwrap();
    assert!(matches!(
        Checkpoint::load(&path),
        Err(CheckpointError::DataLayout { .. })
    ));
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    fs::write(&path, &huge).unwrap();
    assert!(matches!(
        Checkpoint::load(&path),
        Err(CheckpointError::HeaderTooLarge { .. })
    ));
    fs::write(&path, &bytes).unwrap();
    assert_eq!(Checkpoint::load(&path).unwrap(), small_model());
    fs::remove_dir_all(dir).unwrap();
}

/// The temporary files of saves (`.<name>.<tag>.tmp`) left in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect()
}

/// A save that fails (here: the temporary file's name, 22 bytes longer
/// than the target's, is too long for the file system) leaves the previous
/// file as it was and no temporary file.
#[cfg(target_os = "linux")]
#[test]
fn failed_save_leaves_the_previous_file_intact() {
    let dir = scratch_dir("atomic");
    let path = dir.join(format!("{}.safetensors", "m".repeat(240)));
    let old = small_model();
    fs::write(&path, old.to_bytes()).unwrap();
    let before = fs::read(&path).unwrap();
    let mut new = old.clone();
    new.set_metadata(keys::EPOCH, "2");
    let err = new.save(&path).unwrap_err();
    match &err {
        CheckpointError::Io { path: p, source } => {
            assert!(p.to_string_lossy().ends_with(".tmp"), "{err}");
            assert_eq!(source.raw_os_error(), Some(36), "ENAMETOOLONG: {err}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    fs::remove_dir_all(dir).unwrap();
}

/// Saves from many threads to one path at once each write a temporary file
/// of their own: every save goes through, the file holds one of them
/// whole, and no temporary file is left. (WASI has no threads.)
#[cfg(not(target_os = "wasi"))]
#[test]
fn concurrent_saves_to_one_path_never_mix() {
    let dir = scratch_dir("concurrent");
    let path = dir.join("model.safetensors");
    let versions: Vec<Checkpoint> = (0..6)
        .map(|i| {
            let mut c = small_model();
            c.set_metadata(keys::EPOCH, &i.to_string());
            c
        })
        .collect();
    std::thread::scope(|s| {
        for c in &versions {
            let path = &path;
            s.spawn(move || {
                for _ in 0..10 {
                    c.save(path).unwrap();
                }
            });
        }
    });
    let saved = Checkpoint::load(&path).unwrap();
    assert!(versions.contains(&saved));
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    fs::remove_dir_all(dir).unwrap();
}

/// `Checkpoint::load` from a pipe (`<(zcat model.gz)`, `/dev/stdin`): the
/// file system reports no length, so the data is checked against the header
/// once read. A whole checkpoint loads; a short or long stream is refused.
#[cfg(target_os = "linux")]
#[test]
fn loads_a_checkpoint_from_a_pipe() {
    let bytes = small_model().to_bytes();
    assert_eq!(load_piped(bytes.clone()).unwrap(), small_model());
    let err = load_piped(bytes[..bytes.len() - 3].to_vec()).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Truncated { needed, available, .. }
            if needed == bytes.len() as u64 && available == bytes.len() as u64 - 3),
        "{err:?}"
    );
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 4]);
    let err = load_piped(longer).unwrap_err();
    assert!(matches!(err, CheckpointError::DataLayout { .. }), "{err:?}");
    let n = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let err = load_piped(bytes[..n - 1].to_vec()).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Truncated { available, .. } if available == n as u64 - 1),
        "{err:?}"
    );
}

/// `Checkpoint::load` of `bytes` fed through a pipe (a stream: no length up
/// front).
#[cfg(target_os = "linux")]
fn load_piped(bytes: Vec<u8>) -> Result<Checkpoint, CheckpointError> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().unwrap();
    let feeder = std::thread::spawn(move || {
        // The reader may stop early (a refused header); that closes the pipe.
        let _ = writer.write_all(&bytes);
    });
    let result = Checkpoint::load(format!("/proc/self/fd/{}", reader.as_raw_fd()));
    drop(reader);
    feeder.join().unwrap();
    result
}

/// A header whose tensors tile a data section that ends near 2⁶⁴ bytes:
/// each tensor's size fits in a u64, but the end of the data (after the
/// header) does not. Eight BOOL tensors of 2⁶¹ − 1 bytes and one of
/// `last` bytes.
#[cfg(target_pointer_width = "64")]
fn header_ending_near_u64_max(last: u64) -> Vec<u8> {
    let big = (1u64 << 61) - 1;
    let mut entries = Vec::new();
    let mut begin = 0u64;
    for (i, len) in [big; 8].into_iter().chain([last]).enumerate() {
        let end = begin + len;
        entries.push(format!(
            r#""t{i}":{{"dtype":"BOOL","shape":[{len}],"data_offsets":[{begin},{end}]}}"#
        ));
        begin = end;
    }
    let header = format!("{{{}}}", entries.join(","));
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes
}

/// Offsets that sum past `u64::MAX` with the header's length are a layout
/// error, from memory and from a file, never an overflow. (With a 32-bit
/// `usize` a tensor of 2⁶¹ bytes is refused first, as not fitting in
/// memory.)
#[cfg(target_pointer_width = "64")]
#[test]
fn data_ending_past_u64_max_is_a_layout_error() {
    let dir = scratch_dir("u64max");
    let path = dir.join("huge.safetensors");
    // The data ends at 2⁶⁴ − 1 (last = 7) or 2⁶⁴ − 7 (last = 1) bytes past
    // its start, which lies some 700 bytes into the file.
    for last in [7, 1] {
        let bytes = header_ending_near_u64_max(last);
        let err = Checkpoint::from_bytes(&bytes).unwrap_err();
        assert!(matches!(err, CheckpointError::DataLayout { .. }), "{err:?}");
        assert!(err.to_string().contains("2⁶⁴"), "{err}");
        fs::write(&path, &bytes).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(matches!(err, CheckpointError::DataLayout { .. }), "{err:?}");
        #[cfg(target_os = "linux")]
        {
            let err = load_piped(bytes).unwrap_err();
            assert!(matches!(err, CheckpointError::DataLayout { .. }), "{err:?}");
        }
    }
    fs::remove_dir_all(dir).unwrap();
}

/// A shape whose element count overflows is refused like any other
/// mismatch (a wrapped product of 0 would match an empty tensor).
#[test]
#[should_panic(expected = "does not match 0 values")]
fn push_refuses_a_shape_whose_size_overflows() {
    Checkpoint::new().push("w", &[1 << (usize::BITS - 2), 4], vec![]);
}

/// Saving through a symbolic link replaces the file it points to and keeps
/// the link; a path that is not a regular file (here a socket, like a FIFO
/// or a device) is refused and left as it was, where renaming the new file
/// over it would have replaced it.
#[cfg(unix)]
#[test]
fn save_follows_links_and_refuses_special_files() {
    use std::os::unix::fs::{FileTypeExt, symlink};
    let dir = scratch_dir("special");
    let target = dir.join("real.safetensors");
    let link = dir.join("link.safetensors");
    fs::write(&target, b"old").unwrap();
    symlink(&target, &link).unwrap();
    small_model().save(&link).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(Checkpoint::load(&target).unwrap(), small_model());
    let dangling = dir.join("dangling.safetensors");
    symlink(dir.join("absent"), &dangling).unwrap();
    assert!(matches!(
        small_model().save(&dangling),
        Err(CheckpointError::Io { .. })
    ));
    assert!(
        fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let err = small_model().save(&socket).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(
        fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
    fs::remove_dir_all(dir).unwrap();
}
