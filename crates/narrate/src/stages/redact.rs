//! The redaction stage: every string value of every event, before any
//! format sees it.
//!
//! * Values of sensitive fields (`password`, `token`, `authorization`, …;
//!   configurable) are replaced whatever their type.
//! * Every other text value (strings, `%`/`?` text, valid-UTF-8 bytes, each
//!   link of an error chain) goes through `narrate_redact`'s one-pass scan;
//!   a value with no secret is left in the record untouched.
//!
//! The human text is rendered from the values, so it is redacted with them;
//! template literals are part of the program, not input, and are not scanned.
//! Which fields are sensitive is decided once per call site and cached.

use narrate_redact::{Redactor, Sink as _};

use crate::backend::decode::Slot;
use crate::callsite::Metadata;
use crate::encode::tag;

/// Per call site: bit `i` set when field `i` is sensitive by name. Call
/// sites with more than 64 fields are checked field by field.
#[derive(Clone, Copy)]
enum Sensitive {
    Unknown,
    Mask(u64),
    Wide,
}

pub(crate) struct RedactStage {
    redactor: Redactor,
    /// Rewritten values of the current event.
    buf: Vec<u8>,
    /// Indexed by call-site id.
    sensitive: Vec<Sensitive>,
}

impl RedactStage {
    pub fn new(redactor: Redactor) -> RedactStage {
        RedactStage {
            redactor,
            buf: Vec::with_capacity(4096),
            sensitive: Vec::with_capacity(256),
        }
    }

    /// The rewritten bytes of the last event passed to [`RedactStage::apply`].
    pub fn rewritten(&self) -> &[u8] {
        &self.buf
    }

    fn is_sensitive(&mut self, id: u32, meta: &Metadata, field: usize) -> bool {
        let id = id as usize;
        if self.sensitive.len() <= id {
            self.sensitive.resize(id + 1, Sensitive::Unknown);
        }
        if let Sensitive::Unknown = self.sensitive[id] {
            self.sensitive[id] = if meta.fields.len() > 64 {
                Sensitive::Wide
            } else {
                let mut mask = 0u64;
                for (i, name) in meta.fields.iter().enumerate() {
                    if self.redactor.is_sensitive_field(name) {
                        mask |= 1 << i;
                    }
                }
                Sensitive::Mask(mask)
            };
        }
        match self.sensitive[id] {
            Sensitive::Mask(mask) => mask & (1 << field) != 0,
            _ => self.redactor.is_sensitive_field(meta.fields[field]),
        }
    }

    /// Rewrites the slots of one event whose values hold secrets.
    pub fn apply(&mut self, id: u32, meta: &Metadata, payload: &[u8], slots: &mut [Slot]) {
        self.buf.clear();
        for (i, slot_ref) in slots.iter_mut().enumerate() {
            let slot = *slot_ref;
            let Some(bytes) = payload.get(slot.start as usize..(slot.start + slot.len) as usize)
            else {
                continue;
            };
            let mark = self.buf.len();
            if self.is_sensitive(id, meta, i) {
                if slot.tag == tag::NONE {
                    continue;
                }
                // The mask of a keyed hash depends on the value's bytes.
                let text = std::str::from_utf8(bytes).unwrap_or("");
                self.redactor.mask_into(text, &mut self.buf);
                *slot_ref = rewritten(tag::STR, mark, self.buf.len());
                continue;
            }
            match slot.tag {
                tag::STR | tag::DISPLAY | tag::DEBUG | tag::BYTES => {
                    let Ok(text) = std::str::from_utf8(bytes) else {
                        continue; // not text: nothing a detector could read
                    };
                    if self.redactor.redact_into(text, &mut self.buf) {
                        *slot_ref = rewritten(slot.tag, mark, self.buf.len());
                    } else {
                        self.buf.truncate(mark);
                    }
                }
                tag::ERROR => {
                    if self.redact_chain(bytes) {
                        *slot_ref = rewritten(tag::ERROR, mark, self.buf.len());
                    } else {
                        self.buf.truncate(mark);
                    }
                }
                _ => {}
            }
        }
    }

    /// Re-encodes an error chain (`u32 len, text` per link) with each link
    /// redacted; true when any link changed.
    fn redact_chain(&mut self, mut chain: &[u8]) -> bool {
        let mut any = false;
        while chain.len() >= 4 {
            let len = u32::from_le_bytes([chain[0], chain[1], chain[2], chain[3]]) as usize;
            let Some(text) = chain.get(4..4 + len) else {
                break;
            };
            chain = &chain[4 + len..];
            let at = self.buf.len();
            self.buf.extend_from_slice(&[0; 4]);
            let start = self.buf.len();
            match std::str::from_utf8(text) {
                Ok(text) => any |= self.redactor.redact_into(text, &mut self.buf),
                Err(_) => self.buf.push_str("\u{FFFD}"),
            }
            let written = (self.buf.len() - start) as u32;
            self.buf[at..at + 4].copy_from_slice(&written.to_le_bytes());
        }
        any
    }
}

fn rewritten(tag: u8, start: usize, end: usize) -> Slot {
    Slot {
        tag,
        start: start as u32,
        len: (end - start) as u32,
        rewritten: true,
    }
}
