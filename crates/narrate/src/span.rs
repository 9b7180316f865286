//! Spans: context that the events inside them carry.
//!
//! # The model
//!
//! A span is created by `span!`/`info_span!`… and lives as long as its
//! [`Span`] handle (and clones). It is *entered* on a thread by
//! [`Span::enter`] (a guard), [`Span::in_scope`], or for futures by
//! [`Instrument::instrument`], which enters it around every `poll`. Every
//! event emitted while a span is entered carries the fields of that span and
//! of its parents, outermost first (`"spans"` in JSON, `name{k=v}:` in
//! pretty, `spans=`/`span.k=` in logfmt).
//!
//! # Cost on the caller
//!
//! The caller never looks spans up. Creating a span writes one record with
//! its fields into the thread's ring (like an event); entering and exiting
//! write one 25-byte record each (call-site id, span id) and set a
//! thread-local `Cell`. Events themselves are unchanged: no extra header
//! bytes, no thread-local read. The backend, which reads each thread's ring
//! in order, replays the enter/exit records into a per-thread stack and
//! attaches the innermost span's chain to every event of that thread. So an
//! entered span costs about two minimal events, and nothing allocates.
//!
//! Parents are contextual, as in `tracing`: the span current on the creating
//! thread (or `parent: …`). An instrumented future moved to another thread
//! keeps its span chain because the chain is stored with the span on the
//! backend, not with the thread.
//!
//! Correlation context ([`crate::context`]) uses the same records and stack.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};

use crate::backend::decode::{Fields, Slot, Value, decode_slots};
use crate::callsite::{self, Callsite, Kind, Metadata};
use crate::context::ContextFrame;
use crate::encode::{Encode, Writer};
use crate::level::Level;
use crate::ring::emit;

/// Fields every span record starts with, before the span's own.
pub(crate) const SPAN_PREFIX_FIELDS: usize = 2;

static NEXT_SPAN_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The span entered innermost on this thread (0: none).
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

macro_rules! scope_callsite {
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

scope_callsite!(ENTER, "span-enter", &["span_id"]);
scope_callsite!(EXIT, "span-exit", &["span_id"]);
scope_callsite!(CLONE, "span-clone", &["span_id"]);
scope_callsite!(CLOSE, "span-close", &["span_id"]);

#[inline(always)]
fn scope_record(cs: &'static Callsite, span_id: u64) {
    emit(callsite::id_of(cs), Level::Info, 9, |w: &mut Writer<'_>| {
        span_id.encode(w)
    });
}

/// A handle to a span. Dropping the last clone closes the span.
#[derive(Debug)]
pub struct Span {
    id: u64,
}

impl Span {
    /// A span that is not recorded (disabled by the filter, or explicitly
    /// none): entering it does nothing.
    pub const fn none() -> Span {
        Span { id: 0 }
    }

    /// The span entered innermost on this thread (a new handle to it).
    pub fn current() -> Span {
        let id = CURRENT.with(Cell::get);
        if id != 0 {
            scope_record(&CLONE, id);
        }
        Span { id }
    }

    /// Creates a span; called by the span macros.
    #[doc(hidden)]
    #[inline]
    pub fn new_recorded<F: FnOnce(&mut Writer<'_>)>(
        callsite_id: u32,
        level: Level,
        parent: Option<u64>,
        fields_len: usize,
        encode: F,
    ) -> Span {
        let id = NEXT_SPAN_ID.fetch_add(1, Ordering::Relaxed);
        let parent = parent.unwrap_or_else(|| CURRENT.with(Cell::get));
        emit(callsite_id, level, 18 + fields_len, |w| {
            id.encode(w);
            parent.encode(w);
            encode(w);
        });
        Span { id }
    }

    /// True when the span is not recorded.
    pub fn is_none(&self) -> bool {
        self.id == 0
    }

    /// `tracing`'s name for [`Span::is_none`].
    pub fn is_disabled(&self) -> bool {
        self.is_none()
    }

    /// The span's process-unique id, if it is recorded.
    pub fn id(&self) -> Option<u64> {
        (self.id != 0).then_some(self.id)
    }

    /// Enters the span on this thread until the guard is dropped.
    #[inline]
    pub fn enter(&self) -> Entered<'_> {
        Entered {
            prev: enter_id(self.id),
            id: self.id,
            _span: PhantomData,
        }
    }

    /// Enters the span and keeps it entered for as long as the returned
    /// guard lives (the guard owns the span).
    pub fn entered(self) -> EnteredSpan {
        let prev = enter_id(self.id);
        EnteredSpan {
            prev,
            span: self,
            _not_send: PhantomData,
        }
    }

    /// Runs `f` inside the span.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _entered = self.enter();
        f()
    }

    /// This span, or the current one when this one is none.
    pub fn or_current(self) -> Span {
        if self.is_none() {
            Span::current()
        } else {
            self
        }
    }
}

impl Clone for Span {
    fn clone(&self) -> Span {
        if self.id != 0 {
            scope_record(&CLONE, self.id);
        }
        Span { id: self.id }
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if self.id != 0 {
            scope_record(&CLOSE, self.id);
        }
    }
}

impl Span {
    /// Enters without a guard, for bridges whose enter and exit are separate
    /// callbacks (the `tracing` layer). Returns what [`Span::exit_raw`]
    /// needs; pair every call with exactly one `exit_raw` on the same thread.
    #[doc(hidden)]
    pub fn enter_raw(&self) -> u64 {
        enter_id(self.id)
    }

    #[doc(hidden)]
    pub fn exit_raw(&self, token: u64) {
        exit_id(self.id, token)
    }
}

/// Makes `id` current; returns the previous current span.
#[inline(always)]
fn enter_id(id: u64) -> u64 {
    if id == 0 {
        return u64::MAX;
    }
    scope_record(&ENTER, id);
    CURRENT.with(|c| c.replace(id))
}

#[inline(always)]
fn exit_id(id: u64, prev: u64) {
    if prev == u64::MAX {
        return;
    }
    CURRENT.with(|c| c.set(prev));
    scope_record(&EXIT, id);
}

/// The guard of [`Span::enter`]; not `Send`, like the thread it marks.
#[must_use = "the span is exited when the guard is dropped"]
pub struct Entered<'a> {
    prev: u64,
    id: u64,
    _span: PhantomData<(&'a Span, *const ())>,
}

impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {
        exit_id(self.id, self.prev);
    }
}

/// The guard of [`Span::entered`]: owns the span.
#[must_use = "the span is exited when the guard is dropped"]
pub struct EnteredSpan {
    prev: u64,
    span: Span,
    _not_send: PhantomData<*const ()>,
}

impl EnteredSpan {
    /// Exits the span and gives it back.
    pub fn exit(self) -> Span {
        let this = std::mem::ManuallyDrop::new(self);
        exit_id(this.span.id, this.prev);
        // Moves the span out of the guard, whose drop must not run.
        Span { id: this.span.id }
    }
}

impl Drop for EnteredSpan {
    fn drop(&mut self) {
        exit_id(self.span.id, self.prev);
    }
}

/// What `parent:` accepts in the macros: a span (or reference), or `None`
/// for an explicit root.
pub trait AsParent {
    /// The parent span id; 0 for none (an explicit root).
    fn parent_id(&self) -> u64;
}

impl AsParent for Span {
    fn parent_id(&self) -> u64 {
        self.id
    }
}

impl<T: AsParent + ?Sized> AsParent for &T {
    fn parent_id(&self) -> u64 {
        (**self).parent_id()
    }
}

impl AsParent for Option<&Span> {
    fn parent_id(&self) -> u64 {
        self.map_or(0, |s| s.id)
    }
}

impl AsParent for EnteredSpan {
    fn parent_id(&self) -> u64 {
        self.span.id
    }
}

/// `parent:` on an event: the event is emitted with that span entered (an
/// explicit root when it is none).
#[doc(hidden)]
pub struct ParentScope {
    prev: u64,
    id: u64,
}

#[doc(hidden)]
pub fn enter_parent(parent: &impl AsParent) -> ParentScope {
    let id = parent.parent_id();
    // Entering id 0 makes the backend attach no span to the event.
    scope_record(&ENTER, id);
    ParentScope {
        prev: CURRENT.with(|c| c.replace(id)),
        id,
    }
}

impl Drop for ParentScope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
        scope_record(&EXIT, self.id);
    }
}

/// `tracing`'s `parent:` takes the span's id too.
#[doc(hidden)]
pub fn parent_of(span: &Span) -> Option<u64> {
    Some(span.id)
}

/// Attaches a span to a future (or anything): `.instrument(span)` enters
/// the span around every `poll`.
pub trait Instrument: Sized {
    fn instrument(self, span: Span) -> Instrumented<Self> {
        Instrumented { inner: self, span }
    }

    /// Instruments with the span current when this is called.
    fn in_current_span(self) -> Instrumented<Self> {
        self.instrument(Span::current())
    }
}

impl<T: Sized> Instrument for T {}

pin_project_lite::pin_project! {
    /// A future with its span; see [`Instrument`].
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        span: Span,
    }
}

impl<F> Instrumented<F> {
    pub fn span(&self) -> &Span {
        &self.span
    }

    pub fn into_inner(self) -> F {
        self.inner
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        this.inner.poll(cx)
    }
}

// ---------------------------------------------------------------------------
// Backend side.

/// A span as the backend keeps it.
struct SpanData {
    meta: &'static Metadata,
    parent: u64,
    payload: Vec<u8>,
    slots: Vec<Slot>,
    refs: u32,
}

/// One entry of a thread's scope stack.
#[derive(Clone, Copy)]
pub(crate) enum Frame {
    Span(u64),
    Context(ContextFrame),
}

/// Spans and per-thread scope stacks, replayed from the scope records.
#[derive(Default)]
pub(crate) struct Scopes {
    spans: HashMap<u64, SpanData>,
    /// Per narrate thread id.
    stacks: HashMap<u64, Vec<Frame>>,
    /// Reused to decode context records (no allocation per scope).
    slots: Vec<Slot>,
    /// Payload and slot buffers of closed spans, for the next ones.
    free: Vec<(Vec<u8>, Vec<Slot>)>,
}

impl Scopes {
    /// Applies one `Kind::Span` or `Kind::Scope` record.
    pub(crate) fn apply(&mut self, callsite: &'static Callsite, payload: &[u8], thread_id: u64) {
        let meta = callsite.metadata();
        if meta.kind == Kind::Span {
            // Buffers of closed spans are reused: no allocation per span in
            // steady state.
            let (mut buf, mut slots) = self.free.pop().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(payload);
            decode_slots(meta, &buf, &mut slots);
            let fields = Fields::new(&buf, &slots);
            let (Value::U64(id), Value::U64(parent)) = (fields.get(0), fields.get(1)) else {
                self.free.push((buf, slots));
                return;
            };
            self.spans.insert(
                id,
                SpanData {
                    meta,
                    parent,
                    payload: buf,
                    slots,
                    refs: 1,
                },
            );
            return;
        }
        if std::ptr::eq(callsite, &crate::context::PUSH)
            || std::ptr::eq(callsite, &crate::context::POP)
        {
            let stack = self.stacks.entry(thread_id).or_default();
            crate::context::apply(callsite, meta, payload, stack, &mut self.slots);
            return;
        }
        let id = match payload {
            [_, b @ ..] if b.len() >= 8 => {
                u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
            }
            _ => return,
        };
        if std::ptr::eq(callsite, &ENTER) {
            self.stacks
                .entry(thread_id)
                .or_default()
                .push(Frame::Span(id));
        } else if std::ptr::eq(callsite, &EXIT) {
            let stack = self.stacks.entry(thread_id).or_default();
            // Pops down to the matching enter; an exit whose enter was lost
            // (a dropped record) leaves the stack alone.
            if let Some(at) = stack
                .iter()
                .rposition(|f| matches!(f, Frame::Span(s) if *s == id))
            {
                stack.truncate(at);
            }
        } else if std::ptr::eq(callsite, &CLONE) {
            if let Some(s) = self.spans.get_mut(&id) {
                s.refs += 1;
            }
        } else if std::ptr::eq(callsite, &CLOSE)
            && let Some(s) = self.spans.get_mut(&id)
        {
            s.refs -= 1;
            if s.refs == 0
                && let Some(s) = self.spans.remove(&id)
            {
                self.free.push((s.payload, s.slots));
            }
        }
    }

    /// The scope of an event of thread `thread_id`.
    pub(crate) fn view(&self, thread_id: u64) -> ScopeView<'_> {
        if self.stacks.is_empty() {
            return ScopeView::EMPTY;
        }
        let Some(stack) = self.stacks.get(&thread_id) else {
            return ScopeView::EMPTY;
        };
        let mut view = ScopeView::EMPTY;
        view.spans = Some(&self.spans);
        for frame in stack.iter().rev() {
            match frame {
                Frame::Span(id) if view.innermost_span.is_none() => view.innermost_span = Some(*id),
                Frame::Context(c) if view.context.is_none() => view.context = Some(c),
                _ => {}
            }
        }
        view
    }
}

/// The spans and correlation context an event was emitted in.
#[derive(Clone, Copy)]
pub struct ScopeView<'a> {
    spans: Option<&'a HashMap<u64, SpanData>>,
    innermost_span: Option<u64>,
    context: Option<&'a ContextFrame>,
}

/// Deepest span chain attached to an event (deeper parents are cut).
const MAX_DEPTH: usize = 32;

impl<'a> ScopeView<'a> {
    pub(crate) const EMPTY: ScopeView<'static> = ScopeView {
        spans: None,
        innermost_span: None,
        context: None,
    };

    /// True when the event was emitted outside every span and context
    /// (one check; formats skip their scope writers then).
    #[inline(always)]
    pub fn is_unscoped(&self) -> bool {
        self.innermost_span.is_none() && self.context.is_none()
    }

    /// True when the event is in no span and no correlation scope.
    pub fn is_empty(&self) -> bool {
        self.context.is_none() && self.spans().next().is_none()
    }

    pub(crate) fn context(&self) -> Option<&'a ContextFrame> {
        self.context
    }

    /// The spans, outermost first.
    pub fn spans(&self) -> impl Iterator<Item = SpanRef<'a>> + use<'a> {
        let mut chain = [0u64; MAX_DEPTH];
        let mut n = 0;
        if let (Some(spans), Some(mut id)) = (self.spans, self.innermost_span) {
            while id != 0 && n < MAX_DEPTH {
                let Some(s) = spans.get(&id) else { break };
                chain[n] = id;
                n += 1;
                id = s.parent;
            }
        }
        let spans = self.spans;
        (0..n).rev().filter_map(move |i| {
            let s = spans?.get(&chain[i])?;
            Some(SpanRef {
                id: chain[i],
                meta: s.meta,
                fields: Fields::new(&s.payload, &s.slots),
            })
        })
    }
}

/// One span of an event's scope.
#[derive(Clone, Copy)]
pub struct SpanRef<'a> {
    pub id: u64,
    meta: &'static Metadata,
    fields: Fields<'a>,
}

impl<'a> SpanRef<'a> {
    /// The span's name.
    pub fn name(&self) -> &'static str {
        self.meta.action
    }

    pub fn metadata(&self) -> &'static Metadata {
        self.meta
    }

    /// The span's own fields, in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + use<'a> {
        let meta = self.meta;
        let fields = self.fields;
        (SPAN_PREFIX_FIELDS..meta.fields.len()).map(move |i| (meta.fields[i], fields.get(i)))
    }
}
