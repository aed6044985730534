//! Encoding and decoding of the safetensors byte layout.
//!
//! ```text
//! ┌──────────────┬───────────────────────────────┬───────────────────────────┐
//! │ N: u64 (LE)  │ JSON header, N bytes, padded   │ tensor data, raw f32 LE,  │
//! │              │ with spaces to 8-byte alignment│ contiguous, file order    │
//! └──────────────┴───────────────────────────────┴───────────────────────────┘
//! header = { "__metadata__": {str: str, …},
//!            name: {"dtype": "F32", "shape": [d₀, …], "data_offsets": [b, e]}, … }
//! ```
//! `b` and `e` are byte offsets into the data section; a tensor of shape
//! `[d₀, …, dₖ]` spans `e − b = s·∏dᵢ` bytes (`s` = 4 for F32, the bytes per
//! element of its dtype), and the tensors tile the data
//! section exactly: no gap, no overlap, no trailing byte (the same checks as the
//! reference implementation, so Python's `safetensors` reads what we write).
//! Source: the safetensors format description (Hugging Face, `safetensors`
//! README, "Format" section).

use super::json::{Reader, SyntaxError, write_string};
use super::{Checkpoint, CheckpointError, Tensor};
use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;

/// The most dimensions a tensor may have.
const MAX_RANK: usize = 32;

/// The largest header accepted, in bytes (the reference reader's limit).
pub const MAX_HEADER_LEN: u64 = 100_000_000;

/// Serializes `ckpt` to safetensors bytes.
pub(crate) fn encode(ckpt: &Checkpoint) -> Vec<u8> {
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (key, value)) in ckpt.metadata.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        write_string(&mut header, key);
        header.push(':');
        write_string(&mut header, value);
    }
    header.push('}');
    let mut offset = 0usize;
    for t in &ckpt.tensors {
        let end = offset + 4 * t.data.len();
        header.push(',');
        write_string(&mut header, &t.name);
        header.push_str(":{\"dtype\":\"F32\",\"shape\":[");
        for (i, d) in t.shape.iter().enumerate() {
            if i > 0 {
                header.push(',');
            }
            header.push_str(&d.to_string());
        }
        header.push_str(&std::format!("],\"data_offsets\":[{offset},{end}]}}"));
        offset = end;
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for t in &ckpt.tensors {
        for v in &t.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// A tensor entry of the header before its data is read.
struct Entry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    begin: u64,
    end: u64,
}

/// How a tensor's bytes are read: floats become `f32` (F16 and BF16
/// exactly, F64 rounded to nearest); the other dtypes of the format are
/// skipped, by name.
#[derive(Debug, Clone, PartialEq)]
enum Dtype {
    F32,
    F64,
    F16,
    Bf16,
    /// Not read: the dtype's name and its bits per element.
    Skipped(String, u64),
}

impl Dtype {
    /// The dtype of the format named `name`, or `None` if it is not one.
    fn parse(name: String) -> Option<Self> {
        let skipped = |bits| Some(Dtype::Skipped(name.clone(), bits));
        match name.as_str() {
            "F32" => Some(Dtype::F32),
            "F64" => Some(Dtype::F64),
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::Bf16),
            "F4" => skipped(4),
            "F6_E2M3" | "F6_E3M2" => skipped(6),
            "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => skipped(8),
            "I16" | "U16" => skipped(16),
            "I32" | "U32" => skipped(32),
            "I64" | "U64" | "C64" => skipped(64),
            _ => None,
        }
    }

    /// Bits per element (4 and 6 for the packed small floats).
    fn bits(&self) -> u64 {
        match self {
            Dtype::F32 => 32,
            Dtype::F64 => 64,
            Dtype::F16 | Dtype::Bf16 => 16,
            Dtype::Skipped(_, bits) => *bits,
        }
    }

    /// The values of `raw` (a whole number of elements), or `None` for a
    /// skipped dtype.
    fn decode(&self, raw: &[u8]) -> Option<Vec<f32>> {
        let half = |c: &[u8]| u16::from_le_bytes([c[0], c[1]]);
        Some(match self {
            Dtype::F32 => raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F64 => raw
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f32)
                .collect(),
            Dtype::F16 => raw.chunks_exact(2).map(|c| f16_to_f32(half(c))).collect(),
            Dtype::Bf16 => raw
                .chunks_exact(2)
                .map(|c| f32::from_bits(u32::from(half(c)) << 16))
                .collect(),
            Dtype::Skipped(..) => return None,
        })
    }
}

/// The IEEE 754 binary16 value `h` as `f32` (exact: every binary16 value is
/// one; a NaN keeps its payload).
fn f16_to_f32(h: u16) -> f32 {
    let negative = h & 0x8000 != 0;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let magnitude = match exp {
        // Zero and subnormals: frac·2⁻²⁴, exact in f32.
        0 => frac as f32 * (1.0 / (1u32 << 24) as f32),
        0x1f => f32::from_bits(0x7f80_0000 | (frac << 13)),
        _ => f32::from_bits(((exp + 127 - 15) << 23) | (frac << 13)),
    };
    if negative { -magnitude } else { magnitude }
}

/// A validated header: the metadata, the tensor entries sorted by offset,
/// and where the data section starts in the file.
pub(crate) struct Layout {
    metadata: BTreeMap<String, String>,
    entries: Vec<Entry>,
    /// Byte offset of the data section (8 + header length).
    pub(crate) data_start: u64,
    /// Length of the data section the header describes.
    pub(crate) data_len: u64,
}

/// The header length declared by the first 8 bytes of `head`, if present.
pub(crate) fn header_len(head: &[u8]) -> Option<u64> {
    head.first_chunk::<8>().map(|p| u64::from_le_bytes(*p))
}

/// Parses the length prefix and the header at the start of `head` (which
/// holds at least the prefix and the header, or the whole input if shorter),
/// and checks that the tensors tile the data section without gap or overlap.
///
/// `file_len` is the input's length when it is known up front (bytes in
/// memory, a regular file): the tensors must then end exactly where the input
/// does. A stream (a pipe, `/dev/stdin`) has no length until it is read: the
/// data section is then the one the header describes, and
/// [`decode_data`] checks that the stream delivered exactly that.
pub(crate) fn decode_layout(head: &[u8], file_len: Option<u64>) -> Result<Layout, CheckpointError> {
    let available = file_len.unwrap_or(head.len() as u64);
    let Some(n) = header_len(head) else {
        return Err(CheckpointError::Truncated {
            what: "header length",
            needed: 8,
            available,
        });
    };
    if n > MAX_HEADER_LEN {
        return Err(CheckpointError::HeaderTooLarge {
            len: n,
            max: MAX_HEADER_LEN,
        });
    }
    let Some(header) = head.get(8..8 + n as usize) else {
        return Err(CheckpointError::Truncated {
            what: "header",
            needed: 8 + n,
            available,
        });
    };
    if let Err(e) = core::str::from_utf8(header) {
        return Err(CheckpointError::HeaderNotUtf8 {
            offset: e.valid_up_to(),
        });
    }
    let (metadata, mut entries) = parse_header(header)?;
    let data_len = check_layout(&mut entries, 8 + n, file_len)?;
    Ok(Layout {
        metadata,
        entries,
        data_start: 8 + n,
        data_len,
    })
}

/// The checkpoint of `layout` with its data section `data`.
pub(crate) fn decode_data(layout: Layout, data: &[u8]) -> Result<Checkpoint, CheckpointError> {
    let delivered = data.len() as u64;
    if delivered < layout.data_len {
        return Err(CheckpointError::Truncated {
            what: "tensor data",
            needed: layout.data_start + layout.data_len,
            available: layout.data_start + delivered,
        });
    }
    if delivered > layout.data_len {
        return Err(CheckpointError::DataLayout {
            reason: std::format!(
                "more bytes after the last tensor (which ends at byte {})",
                layout.data_start + layout.data_len
            ),
        });
    }
    let mut ckpt = Checkpoint::new();
    ckpt.metadata = layout.metadata;
    // The header parser refused duplicate names.
    for e in layout.entries {
        let raw = &data[e.begin as usize..e.end as usize];
        match (e.dtype.decode(raw), e.dtype) {
            (Some(data), _) => ckpt.push_tensor(Tensor {
                name: e.name,
                shape: e.shape,
                data,
            }),
            (None, Dtype::Skipped(dtype, _)) => ckpt.skipped.push((e.name, dtype)),
            (None, _) => unreachable!("only a skipped dtype decodes to None"),
        }
    }
    Ok(ckpt)
}

/// Parses and validates safetensors bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    let layout = decode_layout(bytes, Some(bytes.len() as u64))?;
    let data = &bytes[layout.data_start as usize..];
    decode_data(layout, data)
}

impl From<SyntaxError> for CheckpointError {
    fn from(e: SyntaxError) -> Self {
        CheckpointError::Syntax {
            offset: e.offset,
            what: e.what,
        }
    }
}

type Header = (BTreeMap<String, String>, Vec<Entry>);

/// Parses the header object: `__metadata__` and one entry per tensor.
fn parse_header(header: &[u8]) -> Result<Header, CheckpointError> {
    let mut r = Reader::new(header);
    let mut metadata = None;
    let mut entries: Vec<Entry> = Vec::new();
    let mut names = BTreeMap::new();
    r.expect(b'{', "expected '{' at the start of the header")?;
    if !r.eat_close(b'}') {
        loop {
            let key = r.string()?;
            r.expect(b':', "expected ':'")?;
            if key == "__metadata__" {
                if metadata.is_some() {
                    return Err(CheckpointError::DuplicateName { name: key });
                }
                // `null` is no metadata, as the reference reader has it.
                metadata = Some(if r.peek() == Some(b'n') {
                    r.literal("null")?;
                    BTreeMap::new()
                } else {
                    parse_string_map(&mut r)?
                });
            } else {
                if names.insert(key.clone(), ()).is_some() {
                    return Err(CheckpointError::DuplicateName { name: key });
                }
                entries.push(parse_entry(&mut r, key)?);
            }
            if !r.next_or_close(b'}')? {
                break;
            }
        }
    }
    r.skip_ws();
    if r.offset() != header.len() {
        return Err(CheckpointError::Syntax {
            offset: r.offset(),
            what: "bytes after the header object",
        });
    }
    Ok((metadata.unwrap_or_default(), entries))
}

/// Parses `{"key": "value", …}`.
fn parse_string_map(r: &mut Reader<'_>) -> Result<BTreeMap<String, String>, CheckpointError> {
    let mut map = BTreeMap::new();
    r.expect(b'{', "expected '{' after \"__metadata__\"")?;
    if r.eat_close(b'}') {
        return Ok(map);
    }
    loop {
        let key = r.string()?;
        r.expect(b':', "expected ':'")?;
        let value = r.string()?;
        if map.insert(key.clone(), value).is_some() {
            return Err(CheckpointError::DuplicateName {
                name: std::format!("__metadata__.{key}"),
            });
        }
        if !r.next_or_close(b'}')? {
            return Ok(map);
        }
    }
}

/// Parses `[u, …]`, at most `max` integers (else `too_long`).
fn parse_uints(
    r: &mut Reader<'_>,
    max: usize,
    too_long: &'static str,
) -> Result<Vec<u64>, CheckpointError> {
    let mut out = Vec::new();
    r.expect(b'[', "expected '['")?;
    if r.eat_close(b']') {
        return Ok(out);
    }
    loop {
        if out.len() == max {
            return Err(CheckpointError::Syntax {
                offset: r.offset(),
                what: too_long,
            });
        }
        out.push(r.uint()?);
        if !r.next_or_close(b']')? {
            return Ok(out);
        }
    }
}

/// Parses one tensor's `{"dtype", "shape", "data_offsets"}` (other keys are
/// skipped, as the reference reader does) and checks its sizes.
fn parse_entry(r: &mut Reader<'_>, name: String) -> Result<Entry, CheckpointError> {
    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    r.expect(b'{', "expected '{' for a tensor entry")?;
    loop {
        let at = r.offset();
        let key = r.string()?;
        r.expect(b':', "expected ':'")?;
        let duplicate = match key.as_str() {
            "dtype" => dtype.replace(r.string()?).is_some(),
            "shape" => shape
                .replace(parse_uints(
                    r,
                    MAX_RANK,
                    "a shape of more than 32 dimensions",
                )?)
                .is_some(),
            "data_offsets" => offsets
                .replace(parse_uints(r, 2, "data_offsets of more than two integers")?)
                .is_some(),
            _ => {
                r.skip_value()?;
                false
            }
        };
        if duplicate {
            return Err(CheckpointError::Syntax {
                offset: at,
                what: "duplicate key in a tensor entry",
            });
        }
        if !r.next_or_close(b'}')? {
            break;
        }
    }
    let bad = |reason: String| CheckpointError::BadTensor {
        tensor: name.clone(),
        reason,
    };
    let (Some(dtype), Some(shape), Some(offsets)) = (dtype, shape, offsets) else {
        return Err(bad("entry lacks dtype, shape or data_offsets".to_string()));
    };
    let Some(dtype) = Dtype::parse(dtype.clone()) else {
        return Err(CheckpointError::UnsupportedDtype {
            tensor: name,
            dtype,
        });
    };
    let [begin, end] = offsets[..] else {
        return Err(bad("data_offsets must hold two integers".to_string()));
    };
    let bits = shape
        .iter()
        .try_fold(dtype.bits(), |acc, &d| acc.checked_mul(d));
    let Some(bits) = bits else {
        return Err(bad(std::format!("shape {shape:?} overflows")));
    };
    if bits % 8 != 0 {
        return Err(bad(std::format!(
            "shape {shape:?} of {}-bit values fills no whole number of bytes",
            dtype.bits()
        )));
    }
    let bytes = bits / 8;
    if end < begin || end - begin != bytes {
        return Err(bad(std::format!(
            "shape {shape:?} needs {bytes} bytes but data_offsets are [{begin}, {end}]"
        )));
    }
    let Ok(shape) = shape.iter().map(|&d| usize::try_from(d)).collect() else {
        return Err(bad(std::format!("shape {shape:?} does not fit in memory")));
    };
    Ok(Entry {
        name,
        dtype,
        shape,
        begin,
        end,
    })
}

/// Checks that the entries tile the data section (from `data_start`, to
/// `file_len` when that is known) exactly, sorts them by offset, and returns
/// the data section's length.
fn check_layout(
    entries: &mut [Entry],
    data_start: u64,
    file_len: Option<u64>,
) -> Result<u64, CheckpointError> {
    entries.sort_by_key(|e| (e.begin, e.end));
    let mut pos = 0u64;
    for e in entries.iter() {
        if e.begin != pos {
            let what = if e.begin < pos { "overlap" } else { "a gap" };
            return Err(CheckpointError::DataLayout {
                reason: std::format!(
                    "tensor {:?} starts at byte {} ({what} after byte {pos})",
                    e.name,
                    e.begin
                ),
            });
        }
        pos = e.end;
    }
    // The offsets are checked against the file's length below, and a
    // stream's against the bytes it delivers: both need `data_start + pos`
    // to fit in a u64 (and then `pos + 1`, a stream's extra byte, does too:
    // `data_start` ≥ 8).
    if data_start.checked_add(pos).is_none() {
        return Err(CheckpointError::DataLayout {
            reason: std::format!(
                "{pos} bytes of tensor data after a {data_start}-byte header pass the largest file size, 2⁶⁴ − 1 bytes"
            ),
        });
    }
    let Some(file_len) = file_len else {
        return Ok(pos);
    };
    // `checked_sub` fails on a file shorter than its own header (one that
    // shrank after the header was read): truncated too.
    let Some(data_len) = file_len.checked_sub(data_start).filter(|&len| pos <= len) else {
        return Err(CheckpointError::Truncated {
            what: "tensor data",
            needed: data_start + pos,
            available: file_len,
        });
    };
    if pos < data_len {
        return Err(CheckpointError::DataLayout {
            reason: std::format!("{} bytes after the last tensor", data_len - pos),
        });
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::f16_to_f32;

    /// Every binary16 value against its definition, sign of zero and NaN
    /// payload included.
    #[test]
    fn every_f16_value_converts_exactly() {
        for h in 0..=u16::MAX {
            let got = f16_to_f32(h);
            let (negative, exp, frac) = (h >> 15 == 1, (h >> 10) & 0x1f, h & 0x3ff);
            assert_eq!(got.is_sign_negative(), negative, "{h:#06x}");
            // 2ⁿ built from its bits: `powi`'s precision is unspecified
            // (Miri perturbs it), and the reference must be exact.
            let pow2 = |n: i32| f64::from_bits(((1023 + n) as u64) << 52);
            let magnitude = match exp {
                0 => f64::from(frac) * pow2(-24),
                31 if frac == 0 => f64::INFINITY,
                31 => {
                    assert!(got.is_nan(), "{h:#06x}");
                    assert_eq!((got.to_bits() >> 13) & 0x3ff, u32::from(frac), "{h:#06x}");
                    continue;
                }
                e => (1.0 + f64::from(frac) / 1024.0) * pow2(i32::from(e) - 15),
            };
            assert_eq!(f64::from(got.abs()), magnitude, "{h:#06x}");
        }
    }
}
