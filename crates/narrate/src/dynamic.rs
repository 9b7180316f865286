//! Building blocks for bridges whose call sites are only known at run time:
//! the `tracing` layer and the `log` bridge (crate `narrate-tracing`).
//!
//! narrate's own macros build their call sites at compile time. A bridge
//! builds one per foreign call site, once, and leaks it (call sites are
//! `'static` by design: the backend looks them up by id for the rest of the
//! process); then, per event, it encodes the values into a reusable buffer
//! and hands the bytes to the ring. No formatting of typed values, no
//! allocation once the buffer has grown.

use crate::callsite::{Callsite, Metadata};
use crate::encode::{Encode, Writer, tag};

/// Leaks `meta` as a call site (once per foreign call site).
pub fn leak_callsite(meta: Metadata) -> &'static Callsite {
    Box::leak(Box::new(Callsite::new(meta)))
}

/// Leaks a list of field names built at run time.
pub fn leak_names(names: Vec<&'static str>) -> &'static [&'static str] {
    Box::leak(names.into_boxed_slice())
}

/// Leaks a string (e.g. a `log` target that is not `'static`).
pub fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Appends `value`'s encoding to `buf`.
pub fn append<E: Encode + ?Sized>(buf: &mut Vec<u8>, value: &E) {
    let start = buf.len();
    let len = value.encoded_len();
    buf.resize(start + len, 0);
    let mut w = Writer::new(&mut buf[start..], &mut []);
    value.encode(&mut w);
}

/// Appends `value`'s `Debug` text, formatted once straight into `buf`
/// (`Encode` for [`crate::AsDebug`] formats twice: once to count the bytes
/// it reserves in the ring, once to write them; a growable buffer needs no
/// count).
pub fn append_debug(buf: &mut Vec<u8>, value: &dyn std::fmt::Debug) {
    use std::io::Write as _;
    buf.push(tag::DEBUG);
    let at = buf.len();
    buf.extend_from_slice(&[0; 8]);
    let start = buf.len();
    let _ = write!(buf, "{value:?}");
    let n = ((buf.len() - start) as u32).to_le_bytes();
    buf[at..at + 4].copy_from_slice(&n);
    buf[at + 4..at + 8].copy_from_slice(&n);
}

/// Appends a missing value.
pub fn append_none(buf: &mut Vec<u8>) {
    buf.push(tag::NONE);
}

/// Emits one event of `callsite` whose values are already encoded, in the
/// call site's field order, in `payload`. Nothing happens when the call
/// site is disabled.
#[inline]
pub fn emit_encoded(callsite: &'static Callsite, payload: &[u8]) {
    if let Some(id) = callsite.enabled_id() {
        let level = callsite.metadata().level;
        crate::ring::emit(id, level, payload.len(), |w| w.put(payload));
    }
}

/// Creates a span of `callsite` (kind `Span`, fields starting with
/// `span_id`, `parent_id`) whose own values are already encoded in
/// `payload`; `parent` is the parent span id (`None`: the current span).
pub fn new_span_encoded(
    callsite: &'static Callsite,
    parent: Option<u64>,
    payload: &[u8],
) -> crate::span::Span {
    match callsite.enabled_id() {
        Some(id) => crate::span::Span::new_recorded(
            id,
            callsite.metadata().level,
            parent,
            payload.len(),
            |w| w.put(payload),
        ),
        None => crate::span::Span::none(),
    }
}

/// Whether a call site of `level` could be enabled at all (cheap pre-check).
pub fn level_enabled(callsite: &'static Callsite) -> bool {
    callsite.enabled_id().is_some()
}
