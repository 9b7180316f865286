//! String escaping shared by the formats.
//!
//! Both modes guarantee that one event is one line: every control character
//! (including `\n` and `\r`), U+2028 and U+2029 (line breaks to some JSON
//! readers and to Python's `splitlines`) are escaped, and invalid UTF-8 is
//! replaced with U+FFFD, so any input comes out as valid UTF-8 on one line.
//!
//! Hand-written rather than `serde_json`'s escaper because that one passes
//! U+2028/U+2029 through unescaped and only takes `&str`; the ASCII fast path
//! copies runs of plain bytes in one `extend_from_slice`.

/// How much to escape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// JSON string contents: also escapes `"` and `\`.
    Json,
    /// Text for humans (pretty): quotes and backslashes kept as they are.
    Text,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `input` escaped for `mode` (without surrounding quotes).
pub fn escape(out: &mut Vec<u8>, input: &[u8], mode: Mode) {
    for chunk in input.utf8_chunks() {
        escape_valid(out, chunk.valid().as_bytes(), mode);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice(if mode == Mode::Json {
                b"\\ufffd"
            } else {
                "\u{FFFD}".as_bytes()
            });
        }
    }
}

/// True when `b` (a byte of valid UTF-8) may need escaping.
#[inline(always)]
fn special(b: u8, mode: Mode) -> bool {
    b < 0x20 || b == 0x7f || b == 0xe2 || (mode == Mode::Json && (b == b'"' || b == b'\\'))
}

fn escape_valid(out: &mut Vec<u8>, s: &[u8], mode: Mode) {
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if !special(b, mode) {
            i += 1;
            continue;
        }
        // 0xE2 starts U+2000..U+2FFF; only U+2028/U+2029 need escaping.
        if b == 0xe2 {
            if s.get(i + 1) == Some(&0x80) && matches!(s.get(i + 2), Some(0xa8 | 0xa9)) {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(if s[i + 2] == 0xa8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                start = i;
            } else {
                i += 1;
            }
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]),
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

/// True when a logfmt value must be quoted.
pub fn needs_quotes(input: &[u8]) -> bool {
    input.is_empty()
        || input
            .iter()
            .any(|&b| b <= b' ' || b == b'=' || b == b'"' || b == 0x7f || b >= 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_table() {
        let cases: &[(&[u8], Mode, &str)] = &[
            (b"plain", Mode::Json, "plain"),
            (b"a\"b\\c", Mode::Json, "a\\\"b\\\\c"),
            (b"a\"b\\c", Mode::Text, "a\"b\\c"),
            (b"line1\nline2\r\t", Mode::Json, "line1\\nline2\\r\\t"),
            (b"bell\x07del\x7f", Mode::Text, "bell\\u0007del\\u007f"),
            (
                "sep\u{2028}para\u{2029}".as_bytes(),
                Mode::Json,
                "sep\\u2028para\\u2029",
            ),
            (
                "dash \u{2014} emoji 🦀".as_bytes(),
                Mode::Json,
                "dash \u{2014} emoji 🦀",
            ),
            (b"bad \xff\xfe end", Mode::Json, "bad \\ufffd\\ufffd end"),
            (b"bad \xff end", Mode::Text, "bad \u{FFFD} end"),
            (b"\xe2\x80", Mode::Json, "\\ufffd"),
        ];
        for (input, mode, want) in cases {
            let mut out = Vec::new();
            escape(&mut out, input, *mode);
            assert_eq!(std::str::from_utf8(&out).unwrap(), *want, "input {input:?}");
        }
    }

    #[test]
    fn every_single_byte_yields_valid_json_on_one_line() {
        for b in 0..=255u8 {
            let mut out = b"\"".to_vec();
            escape(&mut out, &[b, b'x', b], Mode::Json);
            out.push(b'"');
            let s = std::str::from_utf8(&out).expect("valid utf-8");
            assert!(!s.contains('\n') && !s.contains('\r'));
            // Round trip through a real JSON parser is in the integration
            // tests; here the structure: every backslash starts an escape.
            assert!(s.starts_with('"') && s.ends_with('"'));
        }
    }
}
