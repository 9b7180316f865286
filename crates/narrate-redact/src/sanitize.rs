//! Sanitization for text log formats.
//!
//! # Escape scheme
//!
//! | input                                   | output        |
//! |-----------------------------------------|---------------|
//! | LF, CR, TAB                             | `\n`, `\r`, `\t` |
//! | other C0 controls, DEL, C1 controls     | `\u{7}`, `\u{7f}`, `\u{85}` (lowercase hex, no padding) |
//! | bidi controls U+202A–U+202E, U+2066–U+2069, marks U+200E, U+200F | `\u{202e}` … |
//! | zero-width U+200B–U+200D, U+2060, U+FEFF | `\u{200b}` … |
//! | line/paragraph separators U+2028, U+2029 | `\u{2028}`, `\u{2029}` |
//! | invalid UTF-8 ([`sanitize_bytes`])      | U+FFFD, one per maximal invalid sequence (as `String::from_utf8_lossy`) |
//!
//! Everything else, emoji included, is kept. A zero-width joiner (U+200D)
//! between two emoji is kept too, so `👩‍💻` survives; anywhere else it is
//! escaped.
//!
//! Backslashes are **not** escaped: the goal is that no log line can be
//! forged or visually reordered, not reversibility, and doubling every
//! backslash would mangle Windows paths and regexes in ordinary messages.
//! As a consequence `\n` in the output may have been a newline or the two
//! characters `\` `n`. JSON escaping remains the JSON formatter's job.
//!
//! # Performance
//!
//! The scan tests 8 bytes at a time with SWAR arithmetic; only words with a
//! control byte or a non-ASCII byte get a per-byte look, and of those only
//! the lead bytes that can start something unsafe (`< 0x20`, `0x7f`,
//! `0xc2`, `0xe2`, `0xef`) get decoded. Clean text is returned borrowed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `b` can start a character that must be escaped.
#[inline(always)]
fn suspicious(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xe2 || b == 0xef
}

/// Whether any byte of `x` is below 0x20, equal to 0x7f, or non-ASCII.
/// SWAR (8 bytes per step, no `unsafe` SIMD): LLVM did not vectorise the
/// per-byte version for the baseline x86-64 target; this measured 2.5× (100
/// bytes) to 5× (1 000 bytes) faster. The test is coarse (every non-ASCII byte flags its word);
/// the exact per-byte check below sorts it out.
#[inline(always)]
fn word_may_be_unsafe(x: u64) -> bool {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    let below_space = x.wrapping_sub(L * 0x20) & !x;
    let y = x ^ (L * 0x7f);
    let del = y.wrapping_sub(L) & !y;
    (below_space | del | x) & H != 0
}

/// Position of the first suspicious byte at or after `from`.
#[inline]
fn next_suspicious(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(w) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        if word_may_be_unsafe(x)
            && let Some(k) = w.iter().position(|&b| suspicious(b))
        {
            return Some(i + k);
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| suspicious(b))
        .map(|k| i + k)
}

fn emoji_like(c: char) -> bool {
    matches!(c as u32, 0x2600..=0x27bf | 0x1f000..=0x1faff | 0xfe0f)
}

/// Whether the char starting at byte `i` of `s` must be escaped; `i` is the
/// position of a suspicious byte, so always a char boundary.
fn must_escape(s: &str, i: usize, c: char) -> bool {
    match c {
        '\u{200d}' => {
            // ZWJ inside an emoji sequence is part of the emoji.
            let prev = s[..i].chars().next_back();
            let next = s[i + 3..].chars().next();
            !(prev.is_some_and(emoji_like) && next.is_some_and(emoji_like))
        }
        '\0'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200c}'
        | '\u{200e}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => true,
        _ => false,
    }
}

fn escape(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            // Writing into a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Position and char of the first character to escape at or after `from`.
fn next_unsafe(s: &str, from: usize) -> Option<(usize, char)> {
    let bytes = s.as_bytes();
    let mut i = from;
    while let Some(k) = next_suspicious(bytes, i) {
        let c = s[k..]
            .chars()
            .next()
            .expect("suspicious byte starts a char");
        if must_escape(s, k, c) {
            return Some((k, c));
        }
        i = k + c.len_utf8();
    }
    None
}

/// Appends the sanitized form of `s` starting at `from`, where the first
/// unsafe char is `first`.
fn escape_rest(s: &str, mut from: usize, mut first: Option<(usize, char)>, out: &mut String) {
    while let Some((k, c)) = first {
        out.push_str(&s[from..k]);
        escape(c, out);
        from = k + c.len_utf8();
        first = next_unsafe(s, from);
    }
    out.push_str(&s[from..]);
}

/// Escapes control, bidi and zero-width characters (see the module docs).
/// Borrowed, without allocating, when nothing needed escaping.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    match next_unsafe(s, 0) {
        None => Cow::Borrowed(s),
        Some(first) => {
            let mut out = String::with_capacity(s.len() + 16);
            escape_rest(s, 0, Some(first), &mut out);
            Cow::Owned(out)
        }
    }
}

/// Appends the sanitized form of `s` to `out`; returns whether anything was
/// escaped. Allocates only if `out` must grow.
pub fn sanitize_into(s: &str, out: &mut String) -> bool {
    let first = next_unsafe(s, 0);
    let changed = first.is_some();
    escape_rest(s, 0, first, out);
    changed
}

/// Like [`sanitize`], for bytes that may not be UTF-8: invalid sequences
/// become U+FFFD. Borrowed when the bytes are valid, safe UTF-8.
pub fn sanitize_bytes(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => sanitize(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 16);
            sanitize_bytes_into(b, &mut out);
            Cow::Owned(out)
        }
    }
}

/// Appends the sanitized form of `b` to `out`; returns whether anything was
/// escaped or replaced.
pub fn sanitize_bytes_into(b: &[u8], out: &mut String) -> bool {
    let mut changed = false;
    for chunk in b.utf8_chunks() {
        changed |= sanitize_into(chunk.valid(), out);
        if !chunk.invalid().is_empty() {
            out.push('\u{fffd}');
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str)] = &[
            ("plain ascii", "plain ascii"),
            ("a\nb", "a\\nb"),
            ("a\r\nb\tc", "a\\r\\nb\\tc"),
            ("bell\x07", "bell\\u{7}"),
            ("nul\0", "nul\\u{0}"),
            ("del\x7f", "del\\u{7f}"),
            ("nel\u{85}", "nel\\u{85}"),
            ("rlo\u{202e}txt", "rlo\\u{202e}txt"),
            ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
            ("zw\u{200b}sp", "zw\\u{200b}sp"),
            ("bom\u{feff}", "bom\\u{feff}"),
            ("wj\u{2060}", "wj\\u{2060}"),
            ("ls\u{2028}", "ls\\u{2028}"),
            ("a\u{200d}b", "a\\u{200d}b"),
            ("emoji 🎉 ok", "emoji 🎉 ok"),
            ("family 👩\u{200d}💻", "family 👩\u{200d}💻"),
            ("é ü ß € “quoted” … •", "é ü ß € “quoted” … •"),
            ("日本語のテキスト", "日本語のテキスト"),
            ("C:\\path\\n", "C:\\path\\n"),
        ];
        for (input, want) in cases {
            let got = sanitize(input);
            assert_eq!(got, *want, "{input:?}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), input == want, "{input:?}");
            let mut buf = String::from(">");
            assert_eq!(sanitize_into(input, &mut buf), input != want);
            assert_eq!(&buf[1..], *want);
        }
    }

    #[test]
    fn bytes() {
        assert_eq!(sanitize_bytes(b"ok"), "ok");
        assert!(matches!(sanitize_bytes(b"ok"), Cow::Borrowed(_)));
        assert_eq!(sanitize_bytes(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(sanitize_bytes(b"a\xe2\x80b\n"), "a\u{fffd}b\\n");
        assert_eq!(sanitize_bytes(b"\xf0\x9f\x8e\x89"), "🎉");
    }

    #[test]
    fn swar_word_test_is_never_wrong_about_clean_words() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut w = *b"abcdefgh";
                w[pos] = b;
                let flagged = word_may_be_unsafe(u64::from_le_bytes(w));
                let bad = !(0x20..0x7f).contains(&b);
                assert_eq!(flagged, bad, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn long_inputs_cross_blocks() {
        let mut s = "x".repeat(40);
        s.push('\n');
        s.push_str(&"y".repeat(40));
        let want = format!("{}\\n{}", "x".repeat(40), "y".repeat(40));
        assert_eq!(sanitize(&s), want);
    }
}
