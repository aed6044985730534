//! The small JSON subset a safetensors header needs: a writer for strings and
//! integers, and a strict, bounded reader.
//!
//! Grammar read (RFC 8259 restricted to what the safetensors format uses):
//! objects, arrays, strings (every escape of RFC 8259 §7, including UTF-16
//! surrogate pairs) and non-negative integers without sign, fraction or
//! exponent. Anything else (`true`, `null`, floats, leading zeros) is an error
//! that names the byte offset inside the header. The reader never recurses, so
//! a hostile header cannot exhaust the stack, and it only allocates strings no
//! longer than the header itself.

use std::string::String;
use std::vec::Vec;

/// Appends `s` as a JSON string literal (RFC 8259 §7): `"` and `\` and the
/// control characters U+0000‥U+001F are escaped, everything else is copied.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                let v = c as u32;
                out.push(char::from_digit(v >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(v & 15, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A syntax error at a byte offset of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Byte offset inside the JSON header.
    pub offset: usize,
    /// What was expected or found.
    pub what: &'static str,
}

/// A cursor over the header bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The current byte offset.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    fn err<T>(&self, what: &'static str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset: self.pos,
            what,
        })
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace and consumes `byte`, or fails with `what`.
    pub(crate) fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(what)
        }
    }

    /// After a member of an object or array: consumes `,` and returns `true`,
    /// or consumes `close` and returns `false`.
    pub(crate) fn next_or_close(&mut self, close: u8) -> Result<bool, SyntaxError> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => self.err("expected ',' or a closing bracket"),
        }
    }

    /// Consumes `close` if it comes next (an empty object or array).
    pub(crate) fn eat_close(&mut self, close: u8) -> bool {
        if self.peek() == Some(close) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads a non-negative integer that fits in `u64`.
    pub(crate) fn uint(&mut self) -> Result<u64, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(&b) = self.bytes.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
            {
                Some(v) => v,
                None => return self.err("integer too large"),
            };
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 {
            return self.err("expected a non-negative integer");
        }
        if len > 1 && self.bytes[start] == b'0' {
            return Err(SyntaxError {
                offset: start,
                what: "integer with a leading zero",
            });
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
            return self.err("expected an integer, found a fraction or exponent");
        }
        Ok(value)
    }

    /// Reads a string literal and returns its unescaped value.
    pub(crate) fn string(&mut self) -> Result<String, SyntaxError> {
        self.expect(b'"', "expected a string")?;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The caller checked that the whole header is UTF-8 and the run
            // stops only at ASCII bytes, so the run is valid UTF-8 on its own.
            match core::str::from_utf8(&self.bytes[start..self.pos]) {
                Ok(run) => out.push_str(run),
                Err(_) => return self.err("invalid UTF-8 in a string"),
            }
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return self.err("unescaped control character in a string"),
                None => return self.err("unterminated string"),
            }
        }
    }

    /// Skips one value of any kind, checking its syntax: what the reference
    /// reader does with a field it does not know. Nesting is counted on a
    /// stack of closing brackets (one byte per open level, at most the
    /// header's length), not recursed into.
    pub(crate) fn skip_value(&mut self) -> Result<(), SyntaxError> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // One value, or the start of a non-empty container.
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    if !self.eat_close(b'}') {
                        open.push(b'}');
                        self.string()?;
                        self.expect(b':', "expected ':'")?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if !self.eat_close(b']') {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(b'n') => self.literal("null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return self.err("expected a value"),
            }
            // After a value: close the containers it ends, or go on to the
            // next member.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                if self.next_or_close(close)? {
                    if close == b'}' {
                        self.string()?;
                        self.expect(b':', "expected ':'")?;
                    }
                    break;
                }
                open.pop();
            }
        }
    }

    /// Consumes the literal `word` (`true`, `false`, `null`).
    pub(crate) fn literal(&mut self, word: &str) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            self.err("expected true, false or null")
        }
    }

    /// Skips a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<(), SyntaxError> {
        let digits = |r: &mut Self| {
            let start = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos - start
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let start = self.pos;
        match digits(self) {
            0 => return self.err("expected a digit"),
            n if n > 1 && self.bytes[start] == b'0' => {
                return Err(SyntaxError {
                    offset: start,
                    what: "number with a leading zero",
                });
            }
            _ => {}
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return self.err("expected a digit after '.'");
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return self.err("expected a digit in the exponent");
            }
        }
        Ok(())
    }

    /// Decodes the escape after a backslash.
    fn escape(&mut self) -> Result<char, SyntaxError> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return self.err("unterminated escape");
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => return self.err("unknown escape"),
        })
    }

    /// Decodes `XXXX` after `\u`, joining a UTF-16 surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return self.err("unpaired UTF-16 surrogate");
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return self.err("unpaired UTF-16 surrogate");
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.err("unpaired UTF-16 surrogate"),
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0;
        for _ in 0..4 {
            let Some(d) = self
                .bytes
                .get(self.pos)
                .and_then(|&b| (b as char).to_digit(16))
            else {
                return self.err("expected four hex digits");
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_string(s: &str) -> Result<String, SyntaxError> {
        Reader::new(s.as_bytes()).string()
    }

    #[test]
    fn skip_value_takes_any_value_and_checks_it() {
        for (json, rest) in [
            (
                r#"{"a": [1, {"b": null}, []], "c": -1.5e3, "d": true, "e": {}} ,x"#,
                " ,x",
            ),
            ("[ ] x", " x"),
            (r#""s\"t" x"#, " x"),
            ("0.25E-7,", ","),
            ("false}", "}"),
        ] {
            let mut r = Reader::new(json.as_bytes());
            r.skip_value().unwrap();
            assert_eq!(&json[r.offset()..], rest, "{json}");
        }
        for bad in [
            "[1,}",
            "{\"a\" 1}",
            "tru",
            "01",
            "1.",
            "-",
            "1e",
            "[",
            "{\"a\":",
            "nul",
            "+1",
            "{1:2}",
        ] {
            assert!(Reader::new(bad.as_bytes()).skip_value().is_err(), "{bad}");
        }
        // Deep nesting is counted, not recursed into.
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let mut r = Reader::new(deep.as_bytes());
        r.skip_value().unwrap();
        assert_eq!(r.offset(), deep.len());
    }

    #[test]
    fn string_round_trip_with_escapes() {
        let original = "a\"b\\c\nd\te\u{1}f é 😀 /";
        let mut out = String::new();
        write_string(&mut out, original);
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\te\\u0001f é 😀 /\"");
        assert_eq!(read_string(&out).unwrap(), original);
    }

    #[test]
    fn unicode_escapes_and_surrogates() {
        assert_eq!(read_string(r#""\u00e9\ud83d\ude00\/""#).unwrap(), "é😀/");
        assert_eq!(
            read_string(r#""\ud83d""#).unwrap_err().what,
            "unpaired UTF-16 surrogate"
        );
        assert_eq!(
            read_string(r#""\ude00""#).unwrap_err().what,
            "unpaired UTF-16 surrogate"
        );
        assert_eq!(
            read_string(r#""\u12""#).unwrap_err().what,
            "expected four hex digits"
        );
        assert_eq!(read_string("\"a\u{1}\"").unwrap_err().offset, 2);
        assert_eq!(
            read_string("\"abc").unwrap_err().what,
            "unterminated string"
        );
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(Reader::new(b" 0").uint(), Ok(0));
        assert_eq!(Reader::new(b"18446744073709551615").uint(), Ok(u64::MAX));
        assert_eq!(
            Reader::new(b"18446744073709551616")
                .uint()
                .unwrap_err()
                .what,
            "integer too large"
        );
        assert_eq!(
            Reader::new(b"012").uint().unwrap_err().what,
            "integer with a leading zero"
        );
        assert!(Reader::new(b"1.5").uint().is_err());
        assert!(Reader::new(b"-1").uint().is_err());
        assert!(Reader::new(b"1e3").uint().is_err());
    }
}
