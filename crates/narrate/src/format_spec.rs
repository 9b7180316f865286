//! Format specs in templates (`{:>8}`, `{:.2}`, `{x:#x}`, `{:?}`), applied
//! on the backend.
//!
//! The macros parse a placeholder's spec at compile time into a static
//! [`FormatSpec`] stored in the call site's pieces
//! ([`crate::callsite::Piece::Formatted`]); the caller still copies the raw
//! value (a number, a string) into the ring, and the backend renders it here
//! with the spec. Only values narrate cannot copy raw (types that are just
//! `Display`/`Debug`) are rendered on the caller, as text; the backend then
//! applies width, alignment and precision to that text.
//!
//! `std::fmt` cannot take a spec chosen at run time, so this renders the
//! value's core text with `std::fmt` (which does accept run-time precision)
//! and applies sign, zero padding, fill and alignment itself, by the same
//! rules as `std::fmt`: numbers align right, text left, `0` pads after the
//! sign and the `0x` prefix.

use std::fmt::Write;

use crate::backend::decode::Value;

/// Alignment inside the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// The type's default: right for numbers, left for text.
    Unset,
    Left,
    Right,
    Center,
}

/// Which formatting trait the placeholder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    Display,
    Debug,
    LowerHex,
    UpperHex,
    Octal,
    Binary,
    LowerExp,
    UpperExp,
}

/// A placeholder's format spec, `[[fill]align][+]['#']['0'][width]['.' precision][type]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatSpec {
    pub fill: char,
    pub align: Align,
    pub plus: bool,
    pub alternate: bool,
    pub zero: bool,
    pub width: Option<u16>,
    pub precision: Option<u16>,
    pub kind: SpecKind,
}

/// Appends `value` rendered with `spec` to `out`, as `format!` would have
/// rendered the original value.
pub fn write_formatted(out: &mut String, value: Value<'_>, spec: &FormatSpec) {
    let start = out.len();
    let numeric = matches!(value, Value::U64(_) | Value::I64(_) | Value::F64(_));
    // Where zero padding goes: after a sign and a radix prefix.
    let mut digits_at = start;
    match value {
        Value::U64(n) => {
            if spec.plus {
                out.push('+');
            }
            digits_at = out.len();
            write_int(out, n, spec, &mut digits_at);
        }
        Value::I64(n) => {
            if n < 0
                && !matches!(
                    spec.kind,
                    SpecKind::LowerHex | SpecKind::UpperHex | SpecKind::Octal | SpecKind::Binary
                )
            {
                out.push('-');
            } else if spec.plus {
                out.push('+');
            }
            digits_at = out.len();
            match spec.kind {
                // Two's complement, as std does for signed integers.
                SpecKind::LowerHex | SpecKind::UpperHex | SpecKind::Octal | SpecKind::Binary => {
                    write_int(out, n as u64, spec, &mut digits_at)
                }
                _ => write_int(out, n.unsigned_abs(), spec, &mut digits_at),
            }
        }
        Value::F64(f) => {
            if f.is_sign_negative() && !f.is_nan() {
                out.push('-');
            } else if spec.plus {
                out.push('+');
            }
            digits_at = out.len();
            let f = f.abs();
            let _ = match (spec.kind, spec.precision) {
                (SpecKind::Debug, Some(p)) => write!(out, "{:.*?}", p as usize, f),
                (SpecKind::Debug, None) => write!(out, "{f:?}"),
                (SpecKind::LowerExp, Some(p)) => write!(out, "{:.*e}", p as usize, f),
                (SpecKind::LowerExp, None) => write!(out, "{f:e}"),
                (SpecKind::UpperExp, Some(p)) => write!(out, "{:.*E}", p as usize, f),
                (SpecKind::UpperExp, None) => write!(out, "{f:E}"),
                (_, Some(p)) => write!(out, "{:.*}", p as usize, f),
                (_, None) => write!(out, "{f}"),
            };
        }
        Value::Bool(b) => text(out, if b { "true" } else { "false" }, spec),
        Value::Str(s) if spec.kind == SpecKind::Debug => {
            let _ = if spec.alternate {
                write!(out, "{s:#?}")
            } else {
                write!(out, "{s:?}")
            };
        }
        Value::Str(s) | Value::Display(s) | Value::Debug(s) => text(out, s, spec),
        Value::Bytes(b) if spec.kind == SpecKind::Debug => {
            let _ = write!(out, "{b:?}");
        }
        Value::Bytes(b) => text(out, &String::from_utf8_lossy(b), spec),
        Value::Error(e) => {
            for (i, link) in e.links().enumerate() {
                if i > 0 {
                    out.push_str(": ");
                }
                out.push_str(link);
            }
        }
        Value::None => out.push_str("none"),
    }
    let Some(width) = spec.width.map(usize::from) else {
        return;
    };
    let len = out[start..].chars().count();
    if len >= width {
        return;
    }
    let pad = width - len;
    if spec.zero && numeric {
        let zeros: String = std::iter::repeat_n('0', pad).collect();
        out.insert_str(digits_at, &zeros);
        return;
    }
    let align = match spec.align {
        Align::Unset if numeric => Align::Right,
        Align::Unset => Align::Left,
        a => a,
    };
    let (before, after) = match align {
        Align::Left | Align::Unset => (0, pad),
        Align::Right => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    let fill = |n: usize| std::iter::repeat_n(spec.fill, n).collect::<String>();
    out.insert_str(start, &fill(before));
    out.push_str(&fill(after));
}

fn write_int(out: &mut String, n: u64, spec: &FormatSpec, digits_at: &mut usize) {
    let prefix = match spec.kind {
        SpecKind::LowerHex | SpecKind::UpperHex => "0x",
        SpecKind::Octal => "0o",
        SpecKind::Binary => "0b",
        _ => "",
    };
    if spec.alternate {
        out.push_str(prefix);
        *digits_at = out.len();
    }
    let _ = match spec.kind {
        SpecKind::LowerHex => write!(out, "{n:x}"),
        SpecKind::UpperHex => write!(out, "{n:X}"),
        SpecKind::Octal => write!(out, "{n:o}"),
        SpecKind::Binary => write!(out, "{n:b}"),
        SpecKind::LowerExp => write!(out, "{n:e}"),
        SpecKind::UpperExp => write!(out, "{n:E}"),
        SpecKind::Display | SpecKind::Debug => write!(out, "{n}"),
    };
}

/// Text with the precision as a maximum number of characters.
fn text(out: &mut String, s: &str, spec: &FormatSpec) {
    match spec.precision {
        Some(p) => out.extend(s.chars().take(p as usize)),
        None => out.push_str(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: SpecKind) -> FormatSpec {
        FormatSpec {
            fill: ' ',
            align: Align::Unset,
            plus: false,
            alternate: false,
            zero: false,
            width: None,
            precision: None,
            kind,
        }
    }

    fn render(v: Value<'_>, s: FormatSpec) -> String {
        let mut out = String::new();
        write_formatted(&mut out, v, &s);
        out
    }

    #[test]
    fn renders_like_std_fmt() {
        let d = spec(SpecKind::Display);
        let w = |n| FormatSpec {
            width: Some(n),
            ..d
        };
        assert_eq!(render(Value::U64(42), w(8)), format!("{:8}", 42));
        assert_eq!(
            render(Value::Str("ab"), w(5)),
            format!("{:5}|", "ab").trim_end_matches('|')
        );
        assert_eq!(
            render(
                Value::Str("ab"),
                FormatSpec {
                    align: Align::Right,
                    ..w(5)
                }
            ),
            format!("{:>5}", "ab")
        );
        assert_eq!(
            render(
                Value::Str("ab"),
                FormatSpec {
                    align: Align::Center,
                    fill: '*',
                    ..w(7)
                }
            ),
            format!("{:*^7}", "ab")
        );
        assert_eq!(
            render(
                Value::F64(12.34567),
                FormatSpec {
                    precision: Some(2),
                    ..d
                }
            ),
            format!("{:.2}", 12.34567)
        );
        assert_eq!(
            render(
                Value::F64(-3.5),
                FormatSpec {
                    precision: Some(3),
                    zero: true,
                    ..w(10)
                }
            ),
            format!("{:010.3}", -3.5)
        );
        let hex = FormatSpec {
            alternate: true,
            ..spec(SpecKind::LowerHex)
        };
        assert_eq!(render(Value::U64(255), hex), format!("{:#x}", 255));
        assert_eq!(
            render(
                Value::U64(255),
                FormatSpec {
                    zero: true,
                    width: Some(8),
                    ..hex
                }
            ),
            format!("{:#08x}", 255)
        );
        assert_eq!(
            render(Value::I64(-1), spec(SpecKind::UpperHex)),
            format!("{:X}", -1i64)
        );
        assert_eq!(
            render(
                Value::I64(-7),
                FormatSpec {
                    width: Some(4),
                    ..d
                }
            ),
            format!("{:4}", -7)
        );
        assert_eq!(
            render(Value::I64(7), FormatSpec { plus: true, ..d }),
            format!("{:+}", 7)
        );
        assert_eq!(
            render(Value::F64(1.0), spec(SpecKind::Debug)),
            format!("{:?}", 1.0)
        );
        assert_eq!(
            render(Value::Str("a\"b"), spec(SpecKind::Debug)),
            format!("{:?}", "a\"b")
        );
        assert_eq!(
            render(Value::U64(5), spec(SpecKind::Binary)),
            format!("{:b}", 5)
        );
        assert_eq!(
            render(Value::F64(1234.5), spec(SpecKind::LowerExp)),
            format!("{:e}", 1234.5)
        );
        assert_eq!(
            render(
                Value::Str("héllo"),
                FormatSpec {
                    precision: Some(2),
                    ..d
                }
            ),
            format!("{:.2}", "héllo")
        );
    }
}
