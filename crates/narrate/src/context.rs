//! Correlation context: a correlation id and, optionally, a W3C trace
//! context, attached to every event emitted in its scope.
//!
//! * [`CorrelationId`]: time-ordered (UUIDv7, via `uuid`) when generated,
//!   validated when received (1–64 characters of `A-Z a-z 0-9 - _ . :`), and
//!   always written as a JSON *string*, so JavaScript readers never round a
//!   large numeric id.
//! * [`TraceParent`]: the W3C `traceparent` header, parsed and written;
//!   `trace_id` and `span_id` go into every event in scope.
//! * Scopes: [`Context::enter`] (thread-local, a guard), [`Context::in_scope`],
//!   [`Context::attach`] (a future adapter: the context is entered around
//!   every `poll`, so it follows the task across threads, like a task-local),
//!   and [`propagate`] for spawned tasks, which do not inherit task-locals:
//!   `tokio::spawn(narrate::context::propagate(fut))` carries the current
//!   context *and* the current span into the new task.
//!
//! Entering a scope writes one record into the thread's ring and sets a
//! thread-local, exactly like entering a span (see [`crate::span`]); events
//! do not read anything, the backend attaches the context to them.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use crate::backend::decode::{Fields, Value, decode_slots};
use crate::callsite::{self, Callsite, Kind, Metadata};
use crate::encode::{Encode, Writer};
use crate::level::Level;
use crate::ring::emit;
use crate::span::{Frame, Span};

/// Longest correlation id accepted.
pub const MAX_CORRELATION_ID_LEN: usize = 64;

/// A validated correlation id (ASCII, 1–64 bytes), stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CorrelationId {
    buf: [u8; MAX_CORRELATION_ID_LEN],
    len: u8,
}

/// Why a received correlation id was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidCorrelationId {
    Empty,
    TooLong { len: usize },
    BadCharacter { at: usize },
}

impl fmt::Display for InvalidCorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidCorrelationId::Empty => f.write_str("correlation id is empty"),
            InvalidCorrelationId::TooLong { len } => write!(
                f,
                "correlation id is {len} bytes; at most {MAX_CORRELATION_ID_LEN} are accepted"
            ),
            InvalidCorrelationId::BadCharacter { at } => write!(
                f,
                "correlation id has a character outside A-Z a-z 0-9 - _ . : at byte {at}"
            ),
        }
    }
}

impl std::error::Error for InvalidCorrelationId {}

fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
}

impl CorrelationId {
    /// A new time-ordered id: a UUIDv7, hyphenated (36 characters).
    pub fn new() -> CorrelationId {
        let uuid = uuid::Uuid::now_v7();
        let mut buf = [0u8; MAX_CORRELATION_ID_LEN];
        uuid.hyphenated().encode_lower(&mut buf[..36]);
        CorrelationId { buf, len: 36 }
    }

    /// Validates a received id.
    pub fn parse(s: &str) -> Result<CorrelationId, InvalidCorrelationId> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(InvalidCorrelationId::Empty);
        }
        if b.len() > MAX_CORRELATION_ID_LEN {
            return Err(InvalidCorrelationId::TooLong { len: b.len() });
        }
        if let Some(at) = b.iter().position(|&c| !allowed(c)) {
            return Err(InvalidCorrelationId::BadCharacter { at });
        }
        let mut buf = [0u8; MAX_CORRELATION_ID_LEN];
        buf[..b.len()].copy_from_slice(b);
        Ok(CorrelationId {
            buf,
            len: b.len() as u8,
        })
    }

    /// The id to use for a request that came with `incoming` (e.g. an
    /// `X-Correlation-Id` header): the incoming one when valid, a new one
    /// when absent, a new one *and the reason* when invalid.
    pub fn accept(incoming: Option<&str>) -> (CorrelationId, Option<InvalidCorrelationId>) {
        match incoming.map(CorrelationId::parse) {
            Some(Ok(id)) => (id, None),
            Some(Err(e)) => (CorrelationId::new(), Some(e)),
            None => (CorrelationId::new(), None),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored (validated or generated).
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl Default for CorrelationId {
    fn default() -> Self {
        CorrelationId::new()
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorrelationId({})", self.as_str())
    }
}

/// Recorded as a string, raw (no formatting on the caller).
impl Encode for CorrelationId {
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_str().encoded_len()
    }
    #[inline(always)]
    fn encode(&self, w: &mut Writer<'_>) {
        self.as_str().encode(w)
    }
}

/// A W3C trace context (`traceparent: 00-<trace-id>-<parent-id>-<flags>`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TraceParent {
    pub trace_id: [u8; 16],
    /// The span id: the caller's when parsed, ours after [`TraceParent::child`].
    pub span_id: [u8; 8],
    pub flags: u8,
}

/// Why a `traceparent` header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTraceParent(&'static str);

impl fmt::Display for InvalidTraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid traceparent: {}", self.0)
    }
}

impl std::error::Error for InvalidTraceParent {}

fn hex_to_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?;
    }
    Some(out)
}

fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
}

fn random_span_id() -> [u8; 8] {
    // The last 8 bytes of a UUIDv7 are random (62 bits plus the variant).
    let b = *uuid::Uuid::now_v7().as_bytes();
    let mut id = [0u8; 8];
    id.copy_from_slice(&b[8..]);
    id
}

impl TraceParent {
    /// Parses a `traceparent` header (version `00`, lowercase hex, ids not
    /// all zero, as the W3C Trace Context spec requires).
    pub fn parse(header: &str) -> Result<TraceParent, InvalidTraceParent> {
        let header = header.trim();
        let mut parts = header.split('-');
        let (Some(version), Some(trace), Some(span), Some(flags)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidTraceParent(
                "expected version-traceid-parentid-flags",
            ));
        };
        if version != "00" {
            return Err(InvalidTraceParent("unsupported version (only 00)"));
        }
        if parts.next().is_some() {
            return Err(InvalidTraceParent("extra fields after the flags"));
        }
        let trace_id: [u8; 16] = hex_to_bytes(trace).ok_or(InvalidTraceParent(
            "trace id is not 32 lowercase hex digits",
        ))?;
        let span_id: [u8; 8] = hex_to_bytes(span).ok_or(InvalidTraceParent(
            "parent id is not 16 lowercase hex digits",
        ))?;
        let [flags]: [u8; 1] = hex_to_bytes(flags)
            .ok_or(InvalidTraceParent("flags are not 2 lowercase hex digits"))?;
        if trace_id == [0; 16] {
            return Err(InvalidTraceParent("trace id is all zeros"));
        }
        if span_id == [0; 8] {
            return Err(InvalidTraceParent("parent id is all zeros"));
        }
        Ok(TraceParent {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A new trace (sampled flag set).
    pub fn new_root() -> TraceParent {
        TraceParent {
            trace_id: *uuid::Uuid::now_v7().as_bytes(),
            span_id: random_span_id(),
            flags: 1,
        }
    }

    /// The same trace with a new span id: what this service writes on its
    /// own outgoing calls.
    pub fn child(&self) -> TraceParent {
        TraceParent {
            span_id: random_span_id(),
            ..*self
        }
    }

    /// The header value, `00-…-…-..` (55 bytes, no allocation).
    pub fn header(&self) -> TraceParentHeader {
        let mut b = [b'-'; 55];
        b[..2].copy_from_slice(b"00");
        write_hex(&mut b[3..35], &self.trace_id);
        write_hex(&mut b[36..52], &self.span_id);
        write_hex(&mut b[53..55], &[self.flags]);
        TraceParentHeader(b)
    }

    pub fn trace_id_hex(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        write_hex(&mut b, &self.trace_id);
        b
    }

    pub fn span_id_hex(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        write_hex(&mut b, &self.span_id);
        b
    }
}

/// A formatted `traceparent` value.
#[derive(Clone, Copy)]
pub struct TraceParentHeader([u8; 55]);

impl TraceParentHeader {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for TraceParentHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a scope attaches to its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    pub correlation_id: CorrelationId,
    pub trace: Option<TraceParent>,
    /// The incoming correlation id was invalid and was replaced; events in
    /// scope say so (`"correlation_id_replaced":true`).
    pub replaced: bool,
}

thread_local! {
    static CURRENT: Cell<Option<Context>> = const { Cell::new(None) };
}

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

impl Context {
    /// A new context with a fresh correlation id and no trace.
    pub fn new() -> Context {
        Context {
            correlation_id: CorrelationId::new(),
            trace: None,
            replaced: false,
        }
    }

    /// The context of an incoming request: its correlation id (validated;
    /// replaced when invalid, absent ones generated) and its `traceparent`
    /// (continued with a new span id of ours; a new trace when absent or
    /// invalid).
    pub fn from_incoming(correlation_id: Option<&str>, traceparent: Option<&str>) -> Context {
        let (id, invalid) = CorrelationId::accept(correlation_id);
        let trace = match traceparent.map(TraceParent::parse) {
            Some(Ok(tp)) => tp.child(),
            _ => TraceParent::new_root(),
        };
        Context {
            correlation_id: id,
            trace: Some(trace),
            replaced: invalid.is_some(),
        }
    }

    /// The context entered on this thread, if any.
    pub fn current() -> Option<Context> {
        CURRENT.with(Cell::get)
    }

    /// Enters the context on this thread until the guard is dropped.
    pub fn enter(&self) -> ContextGuard {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        push_record(token, self);
        ContextGuard {
            token,
            prev: CURRENT.with(|c| c.replace(Some(*self))),
            _not_send: PhantomData,
        }
    }

    /// Runs `f` inside the context.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.enter();
        f()
    }

    /// A future that runs inside this context on every poll, on whatever
    /// thread polls it.
    pub fn attach<F: Future>(self, future: F) -> WithContext<F> {
        WithContext {
            inner: future,
            context: Some(self),
            span: Span::none(),
        }
    }

    /// The `traceparent` to send on an outgoing call from this context.
    pub fn outgoing_traceparent(&self) -> Option<TraceParentHeader> {
        self.trace.map(|t| t.child().header())
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

/// The guard of [`Context::enter`]; not `Send`.
#[must_use = "the context is left when the guard is dropped"]
pub struct ContextGuard {
    token: u64,
    prev: Option<Context>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
        emit(callsite::id_of(&POP), Level::Info, 9, |w| {
            self.token.encode(w)
        });
    }
}

/// Wraps `future` so that it runs in the context *and* the span current
/// now, wherever it is polled: use it for spawned tasks, which inherit
/// neither (`tokio::spawn(narrate::context::propagate(fut))`).
pub fn propagate<F: Future>(future: F) -> WithContext<F> {
    WithContext {
        inner: future,
        context: Context::current(),
        span: Span::current(),
    }
}

pin_project_lite::pin_project! {
    /// A future with a context (and span); see [`Context::attach`], [`propagate`].
    pub struct WithContext<F> {
        #[pin]
        inner: F,
        context: Option<Context>,
        span: Span,
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _ctx = this.context.as_ref().map(Context::enter);
        let _span = this.span.enter();
        this.inner.poll(cx)
    }
}

macro_rules! context_callsite {
    ($name:ident, $action:literal, $fields:expr) => {
        pub(crate) static $name: Callsite = Callsite::new(Metadata {
            level: Level::Info,
            kind: Kind::Scope,
            actor: "narrate",
            action: $action,
            template: "",
            pieces: &[],
            fields: $fields,
            target: None,
            correlation_id: None,
            cute: None,
            story: None,
            module_path: module_path!(),
            file: file!(),
            line: line!(),
        });
    };
}

context_callsite!(
    PUSH,
    "context-push",
    &["token", "correlation_id", "trace_id", "span_id", "replaced"]
);
context_callsite!(POP, "context-pop", &["token"]);

fn push_record(token: u64, ctx: &Context) {
    let trace = ctx.trace.map(|t| (t.trace_id_hex(), t.span_id_hex()));
    let (trace_id, span_id) = match &trace {
        Some((t, s)) => (Some(&t[..]), Some(&s[..])),
        None => (None, None),
    };
    let len = token.encoded_len()
        + ctx.correlation_id.encoded_len()
        + trace_id.encoded_len()
        + span_id.encoded_len()
        + ctx.replaced.encoded_len();
    emit(callsite::id_of(&PUSH), Level::Info, len, |w| {
        token.encode(w);
        ctx.correlation_id.encode(w);
        trace_id.encode(w);
        span_id.encode(w);
        ctx.replaced.encode(w);
    });
}

/// A context as the backend keeps it in a thread's scope stack.
#[derive(Clone, Copy)]
pub(crate) struct ContextFrame {
    token: u64,
    correlation: [u8; MAX_CORRELATION_ID_LEN],
    correlation_len: u8,
    trace_id: [u8; 32],
    span_id: [u8; 16],
    has_trace: bool,
    pub(crate) replaced: bool,
}

impl ContextFrame {
    pub(crate) fn correlation_id(&self) -> &str {
        std::str::from_utf8(&self.correlation[..self.correlation_len as usize]).unwrap_or("")
    }

    /// `(trace_id, span_id)` in lowercase hex.
    pub(crate) fn trace(&self) -> Option<(&str, &str)> {
        if !self.has_trace {
            return None;
        }
        Some((
            std::str::from_utf8(&self.trace_id).unwrap_or(""),
            std::str::from_utf8(&self.span_id).unwrap_or(""),
        ))
    }
}

/// Applies a push or pop record to a thread's scope stack (backend).
pub(crate) fn apply(
    cs: &'static Callsite,
    meta: &Metadata,
    payload: &[u8],
    stack: &mut Vec<Frame>,
    slots: &mut Vec<crate::backend::decode::Slot>,
) {
    decode_slots(meta, payload, slots);
    let f = Fields::new(payload, slots);
    let Value::U64(token) = f.get(0) else { return };
    if std::ptr::eq(cs, &POP) {
        if let Some(at) = stack
            .iter()
            .rposition(|fr| matches!(fr, Frame::Context(c) if c.token == token))
        {
            stack.truncate(at);
        }
        return;
    }
    let mut frame = ContextFrame {
        token,
        correlation: [0; MAX_CORRELATION_ID_LEN],
        correlation_len: 0,
        trace_id: [0; 32],
        span_id: [0; 16],
        has_trace: false,
        replaced: f.get(4) == Value::Bool(true),
    };
    if let Value::Str(s) = f.get(1) {
        let n = s.len().min(MAX_CORRELATION_ID_LEN);
        frame.correlation[..n].copy_from_slice(&s.as_bytes()[..n]);
        frame.correlation_len = n as u8;
    }
    if let (Value::Bytes(t), Value::Bytes(s)) = (f.get(2), f.get(3))
        && t.len() == 32
        && s.len() == 16
    {
        frame.trace_id.copy_from_slice(t);
        frame.span_id.copy_from_slice(s);
        frame.has_trace = true;
    }
    stack.push(Frame::Context(frame));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_uuid_v7_strings_in_time_order() {
        let a = CorrelationId::new();
        let b = CorrelationId::new();
        let ua = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(ua.get_version_num(), 7);
        assert_eq!(a.as_str().len(), 36);
        assert!(a.as_str() < b.as_str(), "{a} then {b}");
    }

    #[test]
    fn invalid_incoming_ids_are_refused_with_the_reason() {
        assert_eq!(CorrelationId::parse(""), Err(InvalidCorrelationId::Empty));
        assert_eq!(
            CorrelationId::parse(&"a".repeat(65)),
            Err(InvalidCorrelationId::TooLong { len: 65 })
        );
        assert_eq!(
            CorrelationId::parse("ab\ncd"),
            Err(InvalidCorrelationId::BadCharacter { at: 2 })
        );
        assert_eq!(
            CorrelationId::parse("a\"b"),
            Err(InvalidCorrelationId::BadCharacter { at: 1 })
        );
        assert_eq!(
            CorrelationId::parse("req-42:a.b_c").unwrap().as_str(),
            "req-42:a.b_c"
        );
        let (id, why) = CorrelationId::accept(Some("bad id"));
        assert_eq!(why, Some(InvalidCorrelationId::BadCharacter { at: 3 }));
        assert_eq!(id.as_str().len(), 36);
    }

    #[test]
    fn traceparent_round_trips_and_rejects_malformed_headers() {
        let h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(h).unwrap();
        assert_eq!(tp.header().as_str(), h);
        assert_eq!(tp.flags, 1);
        let child = tp.child();
        assert_eq!(child.trace_id, tp.trace_id);
        assert_ne!(child.span_id, tp.span_id);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            assert!(TraceParent::parse(bad).is_err(), "{bad:?} accepted");
        }
        let root = TraceParent::new_root();
        assert_eq!(TraceParent::parse(root.header().as_str()), Ok(root));
    }
}
