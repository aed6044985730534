//! A minimal JSON value and pretty printer (RFC 8259) for the metrics files:
//! enough for the program's output, without pulling a serialization framework
//! into the build. Non-finite numbers become `null`; floats use Rust's
//! shortest round-trip formatting.

use std::fmt::{self, Write};

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A finite float (non-finite values print as `null`).
    Num(f64),
    /// An unsigned integer.
    Int(u64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object; keys keep their order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// An integer value.
    pub fn int(n: usize) -> Json {
        Json::Int(n as u64)
    }

    fn write(&self, out: &mut String, indent: usize) -> fmt::Result {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => write!(out, "{b}")?,
            Json::Num(x) if x.is_finite() => write!(out, "{x:?}")?,
            Json::Num(_) => out.push_str("null"),
            Json::Int(n) => write!(out, "{n}")?,
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) => {
                let scalar = items
                    .iter()
                    .all(|i| !matches!(i, Json::Arr(_) | Json::Obj(_)));
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { "" });
                    if !scalar {
                        newline(out, indent + 1);
                    }
                    item.write(out, indent + 1)?;
                }
                if !scalar && !items.is_empty() {
                    newline(out, indent);
                }
                out.push(']');
            }
            Json::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    out.push_str(if i > 0 { "," } else { "" });
                    newline(out, indent + 1);
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 1)?;
                }
                if !pairs.is_empty() {
                    newline(out, indent);
                }
                out.push('}');
            }
        }
        Ok(())
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", indent));
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, 0)?;
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_valid_compact_and_nested_json() {
        let v = Json::obj([
            ("a", Json::Num(0.1)),
            (
                "b",
                Json::Arr(vec![Json::Int(1), Json::Num(f64::NAN), Json::Bool(true)]),
            ),
            (
                "c",
                Json::Arr(vec![Json::obj([("s", Json::str("x\"\\\n\u{1}é"))])]),
            ),
            ("d", Json::Num(1e-8)),
            ("e", Json::Obj(vec![])),
        ]);
        let text = v.to_string();
        let expected = "{\n  \"a\": 0.1,\n  \"b\": [1,null,true],\n  \"c\": [\n    {\n      \"s\": \
                        \"x\\\"\\\\\\n\\u0001é\"\n    }\n  ],\n  \"d\": 1e-8,\n  \"e\": {}\n}";
        assert_eq!(text, expected);
    }
}
