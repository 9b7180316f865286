//! Decoding records back into typed values, on the backend.
//!
//! The decoder does not copy: a [`Value`] borrows from the record bytes
//! (in the ring itself when the record did not wrap). Field positions are
//! collected into a reusable `Vec<Slot>`, so decoding allocates nothing once
//! that vector has grown to the widest call site.

use crate::callsite::Metadata;
use crate::encode::tag;

/// One decoded argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(&'a str),
    /// Raw bytes; may be any bytes, including invalid UTF-8.
    Bytes(&'a [u8]),
    /// Text a `Display` impl produced on the caller.
    Display(&'a str),
    /// Text a `Debug` impl produced on the caller.
    Debug(&'a str),
    /// An error and its `source()` chain.
    Error(ErrorChainView<'a>),
    /// An `Option` that was `None`, or a value the decoder could not read.
    None,
}

/// The links of an error chain: the error's own message first, then each source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorChainView<'a>(pub(crate) &'a [u8]);

impl<'a> ErrorChainView<'a> {
    pub fn links(&self) -> ErrorLinks<'a> {
        ErrorLinks(self.0)
    }

    /// The top-level message.
    pub fn message(&self) -> &'a str {
        self.links().next().unwrap_or("")
    }
}

/// Iterator over the messages of an error chain.
#[derive(Debug, Clone)]
pub struct ErrorLinks<'a>(&'a [u8]);

impl<'a> Iterator for ErrorLinks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let len = u32::from_le_bytes(self.0.get(..4)?.try_into().ok()?) as usize;
        let text = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        Some(str_lossy(text))
    }
}

fn str_lossy(bytes: &[u8]) -> &str {
    // Text produced on the caller is valid UTF-8 (it came from `&str` or
    // from `fmt`, cut at char boundaries); a failure here means a corrupt
    // record, shown as the replacement character rather than trusted.
    std::str::from_utf8(bytes).unwrap_or("\u{FFFD}")
}

/// Where one value sits: in the record's payload, or (after a stage
/// rewrote it, e.g. redaction) in that stage's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub(crate) tag: u8,
    pub(crate) start: u32,
    pub(crate) len: u32,
    pub(crate) rewritten: bool,
}

/// Splits `payload` into one slot per field of `meta`. Missing or corrupt
/// values decode as [`Value::None`] rather than failing the event.
pub(crate) fn decode_slots(meta: &Metadata, payload: &[u8], slots: &mut Vec<Slot>) {
    slots.clear();
    let mut pos = 0usize;
    for _ in meta.fields {
        let slot = read_slot(payload, &mut pos).unwrap_or(Slot {
            tag: tag::NONE,
            start: 0,
            len: 0,
            rewritten: false,
        });
        slots.push(slot);
    }
}

fn read_u32(p: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

fn read_slot(p: &[u8], pos: &mut usize) -> Option<Slot> {
    let t = *p.get(*pos)?;
    let body = *pos + 1;
    let (start, len, next) = match t {
        tag::U64 | tag::I64 | tag::F64 => (body, 8, body + 8),
        tag::BOOL => (body, 1, body + 1),
        tag::STR | tag::BYTES => {
            let n = read_u32(p, body)? as usize;
            (body + 4, n, body + 4 + n)
        }
        tag::DISPLAY | tag::DEBUG | tag::ERROR => {
            let reserved = read_u32(p, body)? as usize;
            let used = read_u32(p, body + 4)? as usize;
            (body + 8, used.min(reserved), body + 8 + reserved)
        }
        tag::NONE => (body, 0, body),
        _ => return None,
    };
    if next > p.len() {
        return None;
    }
    *pos = next;
    Some(Slot {
        tag: t,
        start: start as u32,
        len: len as u32,
        rewritten: false,
    })
}

/// The decoded arguments of one event.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    payload: &'a [u8],
    rewritten: &'a [u8],
    slots: &'a [Slot],
}

impl<'a> Fields<'a> {
    pub(crate) fn new(payload: &'a [u8], slots: &'a [Slot]) -> Fields<'a> {
        Fields {
            payload,
            rewritten: &[],
            slots,
        }
    }

    /// Fields some of whose slots point into `rewritten`.
    pub(crate) fn with_rewrites(
        payload: &'a [u8],
        rewritten: &'a [u8],
        slots: &'a [Slot],
    ) -> Fields<'a> {
        Fields {
            payload,
            rewritten,
            slots,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The value of field `index` (in call-site order).
    pub fn get(&self, index: usize) -> Value<'a> {
        let Some(s) = self.slots.get(index) else {
            return Value::None;
        };
        let source = if s.rewritten {
            self.rewritten
        } else {
            self.payload
        };
        let Some(bytes) = source.get(s.start as usize..(s.start + s.len) as usize) else {
            return Value::None;
        };
        let word = || u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        match s.tag {
            tag::U64 => Value::U64(word()),
            tag::I64 => Value::I64(word() as i64),
            tag::F64 => Value::F64(f64::from_bits(word())),
            tag::BOOL => Value::Bool(bytes.first() == Some(&1)),
            tag::STR => Value::Str(str_lossy(bytes)),
            tag::BYTES => Value::Bytes(bytes),
            tag::DISPLAY => Value::Display(str_lossy(bytes)),
            tag::DEBUG => Value::Debug(str_lossy(bytes)),
            tag::ERROR => Value::Error(ErrorChainView(bytes)),
            _ => Value::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::Piece;
    use crate::encode::{AsDebug, AsDisplay, Encode, ErrorChain, encode_to_vec};
    use crate::level::Level;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer failed")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    static META: Metadata = Metadata {
        level: Level::Info,
        kind: crate::callsite::Kind::Event,
        actor: "t",
        action: "",
        template: "",
        pieces: &[Piece::Literal("x")],
        fields: &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        target: None,
        correlation_id: None,
        cute: None,
        story: None,
        module_path: "t",
        file: "t.rs",
        line: 1,
    };

    #[test]
    fn every_encoded_type_decodes_to_what_went_in() {
        let err = Outer(std::io::Error::other("disk gone"));
        let chain = ErrorChain(&err);
        let bytes: &[u8] = &[0xff, 0x00, b'\n'];
        let none: Option<u64> = None;
        // Encodes each value in turn into one payload, as the macros do.
        macro_rules! encode_all {
            ($($v:expr),*) => {{
                let len = 0 $(+ $v.encoded_len())*;
                encode_to_vec(len, |w| { $($v.encode(w);)* })
            }};
        }
        let payload = encode_all!(
            u64::MAX,
            -5i64,
            1.5f64,
            true,
            "héllo",
            bytes,
            AsDisplay(&7u8),
            AsDebug(&"q"),
            &chain,
            none
        );
        let mut slots = Vec::new();
        decode_slots(&META, &payload, &mut slots);
        let f = Fields::new(&payload, &slots);
        assert_eq!(f.get(0), Value::U64(u64::MAX));
        assert_eq!(f.get(1), Value::I64(-5));
        assert_eq!(f.get(2), Value::F64(1.5));
        assert_eq!(f.get(3), Value::Bool(true));
        assert_eq!(f.get(4), Value::Str("héllo"));
        assert_eq!(f.get(5), Value::Bytes(bytes));
        assert_eq!(f.get(6), Value::Display("7"));
        assert_eq!(f.get(7), Value::Debug("\"q\""));
        let Value::Error(chain) = f.get(8) else {
            panic!("not an error: {:?}", f.get(8))
        };
        assert_eq!(
            chain.links().collect::<Vec<_>>(),
            ["outer failed", "disk gone"]
        );
        assert_eq!(f.get(9), Value::None);
    }

    #[test]
    fn truncated_payload_decodes_as_none_without_panicking() {
        let payload = encode_to_vec("abcdef".encoded_len(), |w| "abcdef".encode(w));
        for cut in 0..payload.len() {
            let mut slots = Vec::new();
            decode_slots(&META, &payload[..cut], &mut slots);
            let f = Fields::new(&payload[..cut], &slots);
            assert_eq!(f.get(0), Value::None);
        }
    }
}
