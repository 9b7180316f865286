//! The `tracing` layer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use narrate::__private::{AsDisplay, Callsite, Kind, Level, Metadata, Piece};
use narrate::{ErrorChain, Span, dynamic};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Interest, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The layer; build it with [`layer()`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NarrateLayer {
    _private: (),
}

/// A layer that routes `tracing` events and spans into narrate.
pub fn layer() -> NarrateLayer {
    NarrateLayer::default()
}

fn level_of(l: &tracing_core::Level) -> Level {
    match *l {
        tracing_core::Level::TRACE => Level::Trace,
        tracing_core::Level::DEBUG => Level::Debug,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::WARN => Level::Warn,
        _ => Level::Error,
    }
}

/// Fields a narrate span record starts with (see `narrate::span`).
const SPAN_PREFIX: &[&str] = &["span_id", "parent_id"];

/// Translates a `tracing` call site into a narrate one (once, leaked).
fn translate(meta: &'static tracing_core::Metadata<'static>) -> &'static Callsite {
    let is_span = meta.is_span();
    let mut names: Vec<&'static str> = Vec::new();
    if is_span {
        names.extend_from_slice(SPAN_PREFIX);
    }
    names.extend(meta.fields().iter().map(|f| f.name()));
    let message = meta
        .fields()
        .iter()
        .position(|f| f.name() == "message")
        .filter(|_| !is_span);
    let pieces: &'static [Piece] = match message {
        Some(i) => Box::leak(vec![Piece::Field(i as u16)].into_boxed_slice()),
        None => &[],
    };
    let correlation_id = if is_span {
        None
    } else {
        names
            .iter()
            .position(|n| *n == "correlation_id")
            .map(|i| i as u16)
    };
    dynamic::leak_callsite(Metadata {
        level: level_of(meta.level()),
        kind: if is_span { Kind::Span } else { Kind::Event },
        actor: meta.target(),
        action: if is_span { meta.name() } else { "" },
        template: "",
        pieces,
        fields: dynamic::leak_names(names),
        target: None,
        correlation_id,
        cute: None,
        story: None,
        module_path: meta.module_path().unwrap_or(meta.target()),
        file: meta.file().unwrap_or(""),
        line: meta.line().unwrap_or(0),
    })
}

static SITES: Mutex<Option<HashMap<usize, &'static Callsite>>> = Mutex::new(None);

thread_local! {
    /// Per-thread copy of `SITES`: the steady state takes no lock.
    static LOCAL_SITES: RefCell<HashMap<usize, &'static Callsite>> = RefCell::new(HashMap::new());
    /// Encoding buffers, reused.
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
    /// Tokens of the spans entered through the layer on this thread.
    static ENTERED: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
}

fn callsite_for(meta: &'static tracing_core::Metadata<'static>) -> &'static Callsite {
    let key = meta as *const _ as usize;
    let local = LOCAL_SITES
        .try_with(|m| m.borrow().get(&key).copied())
        .ok()
        .flatten();
    if let Some(cs) = local {
        return cs;
    }
    let cs = *SITES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert_with(|| translate(meta));
    let _ = LOCAL_SITES.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.insert(key, cs);
        }
    });
    cs
}

#[derive(Default)]
struct Buffers {
    /// Values in the order `tracing` visits them.
    scratch: Vec<u8>,
    /// The record payload, in the call site's field order.
    payload: Vec<u8>,
    /// Per field index: where its value sits in `scratch`.
    ranges: Vec<Option<(usize, usize)>>,
}

struct Encoder<'a> {
    b: &'a mut Buffers,
}

impl Encoder<'_> {
    fn put<E: narrate::__private::Encode + ?Sized>(&mut self, field: &Field, v: &E) {
        let start = self.b.scratch.len();
        dynamic::append(&mut self.b.scratch, v);
        if let Some(slot) = self.b.ranges.get_mut(field.index()) {
            *slot = Some((start, self.b.scratch.len()));
        }
    }
}

impl Visit for Encoder<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, &value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, &value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, &value);
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, &AsDisplay(&value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, &AsDisplay(&value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, &value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value);
    }
    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        self.put(field, value);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, &ErrorChain(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Formatted once, straight into the buffer (the message arrives here
        // as `format_args!`).
        let start = self.b.scratch.len();
        dynamic::append_debug(&mut self.b.scratch, value);
        if let Some(slot) = self.b.ranges.get_mut(field.index()) {
            *slot = Some((start, self.b.scratch.len()));
        }
    }
}

/// Visits `record` into the thread's buffers and calls `f` with the payload
/// (values in field order, missing ones as none).
fn with_payload<R>(
    field_count: usize,
    record: impl FnOnce(&mut dyn Visit),
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    let run = |b: &mut Buffers| {
        b.scratch.clear();
        b.payload.clear();
        b.ranges.clear();
        b.ranges.resize(field_count, None);
        record(&mut Encoder { b: &mut *b });
        for i in 0..field_count {
            match b.ranges[i] {
                Some((s, e)) => {
                    let (scratch, payload) = (&b.scratch, &mut b.payload);
                    payload.extend_from_slice(&scratch[s..e]);
                }
                None => dynamic::append_none(&mut b.payload),
            }
        }
        f(&b.payload)
    };
    // Re-entrant use (a Debug impl that logs) gets fresh buffers.
    let mut f_opt = Some(run);
    let out = BUFFERS.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut b| (f_opt.take().expect("run once"))(&mut b))
    });
    match out {
        Ok(Some(r)) => r,
        _ => (f_opt.take().expect("not run yet"))(&mut Buffers::default()),
    }
}

/// The narrate span behind a `tracing` span, in the registry's extensions.
struct NarrateSpan(Span);

impl<S> Layer<S> for NarrateLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static tracing_core::Metadata<'static>) -> Interest {
        callsite_for(meta);
        // narrate's filter can change at run time: ask per event (`enabled`).
        Interest::sometimes()
    }

    fn enabled(&self, meta: &tracing_core::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let key = meta as *const _ as usize;
        match LOCAL_SITES.try_with(|m| m.borrow().get(&key).copied()) {
            Ok(Some(cs)) => dynamic::level_enabled(cs),
            // Not translated on this thread yet: let `on_event` decide.
            _ => true,
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let cs = callsite_for(event.metadata());
        if !dynamic::level_enabled(cs) {
            return;
        }
        let n = cs.metadata().fields.len();
        with_payload(n, |v| event.record(v), |p| dynamic::emit_encoded(cs, p));
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let cs = callsite_for(attrs.metadata());
        if !dynamic::level_enabled(cs) {
            return;
        }
        let parent = if attrs.is_root() {
            Some(0)
        } else if let Some(p) = attrs.parent() {
            ctx.span(p)
                .and_then(|s| s.extensions().get::<NarrateSpan>().and_then(|n| n.0.id()))
                .or(Some(0))
        } else {
            None
        };
        let own = attrs.metadata().fields().len();
        let span = with_payload(
            own,
            |v| attrs.record(v),
            |p| dynamic::new_span_encoded(cs, parent, p),
        );
        if let Some(s) = ctx.span(id) {
            s.extensions_mut().insert(NarrateSpan(span));
        }
    }

    fn on_record(&self, _id: &Id, _values: &Record<'_>, _ctx: Context<'_, S>) {
        // narrate span fields are fixed at creation; values recorded later
        // (`span.record(…)`) are not shown. See docs/migrating-from-tracing.md.
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(s) = ctx.span(id) else { return };
        let ext = s.extensions();
        let Some(NarrateSpan(span)) = ext.get::<NarrateSpan>() else {
            return;
        };
        let token = span.enter_raw();
        let _ = ENTERED.try_with(|e| e.borrow_mut().push((id.into_u64(), token)));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(s) = ctx.span(id) else { return };
        let ext = s.extensions();
        let Some(NarrateSpan(span)) = ext.get::<NarrateSpan>() else {
            return;
        };
        let token = ENTERED
            .try_with(|e| {
                let mut e = e.borrow_mut();
                let at = e.iter().rposition(|(i, _)| *i == id.into_u64())?;
                Some(e.remove(at).1)
            })
            .ok()
            .flatten();
        if let Some(token) = token {
            span.exit_raw(token);
        }
    }
}
