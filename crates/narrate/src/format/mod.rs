//! Formats: turning a decoded [`Event`] into bytes, on the backend.
//!
//! * [`Format::Json`]: one JSON object per line; the schema is in
//!   `docs/json-schema.md` and is stable.
//! * [`Format::Logfmt`]: `key=value` pairs, quoted where needed.
//! * [`Format::Pretty`]: aligned text for terminals, coloured only when the
//!   sink is a terminal.
//!
//! Every format writes into a `Vec<u8>` the backend reuses, so formatting
//! allocates nothing once the buffer has grown to the longest line. Numbers go
//! through `itoa` and `zmij` (about 3× faster than `ryu` on our machines); strings through [`escape`], which keeps every
//! event on one line whatever it contains.

pub mod escape;
mod spans;
pub mod timestamp;

use crate::backend::decode::Value;
use crate::callsite::Piece;
use crate::event::Event;
use escape::{Mode, escape, escape_str};
use timestamp::TimestampCache;

/// Output format of a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Logfmt,
    Pretty,
}

/// A format as the backend renders it: pretty splits by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Json = 0,
    Logfmt = 1,
    Pretty = 2,
    PrettyColor = 3,
}

impl Style {
    pub const COUNT: usize = 4;

    pub fn of(format: Format, color: bool) -> Style {
        match (format, color) {
            (Format::Json, _) => Style::Json,
            (Format::Logfmt, _) => Style::Logfmt,
            (Format::Pretty, false) => Style::Pretty,
            (Format::Pretty, true) => Style::PrettyColor,
        }
    }
}

/// Renders events; owns the per-second timestamp caches.
#[derive(Default)]
pub(crate) struct Formatter {
    ts: TimestampCache,
    itoa: itoa::Buffer,
    floats: zmij::Buffer,
    /// Where each field's value was rendered in the human text of the line
    /// being built, so the `fields` object copies it instead of formatting
    /// it again.
    rendered: Vec<Option<(usize, usize, bool)>>,
    /// Per call-site id: the static parts of its JSON lines, escaped once.
    statics: Vec<Option<Box<JsonStatics>>>,
    /// A placeholder with a format spec, rendered before it is escaped.
    spec_scratch: String,
}

impl Formatter {
    /// Appends `event` in `style` to `out`, ending with `\n`.
    pub fn format(&mut self, style: Style, event: &Event<'_>, out: &mut Vec<u8>) {
        match style {
            Style::Json => self.json(event, out),
            Style::Logfmt => self.logfmt(event, out),
            Style::Pretty => self.pretty(event, out, false),
            Style::PrettyColor => self.pretty(event, out, true),
        }
        out.push(b'\n');
    }

    fn int(&mut self, out: &mut Vec<u8>, v: impl itoa::Integer) {
        out.extend_from_slice(self.itoa.format(v).as_bytes());
    }

    fn float(&mut self, out: &mut Vec<u8>, v: f64, json: bool) {
        if v.is_finite() {
            out.extend_from_slice(self.floats.format_finite(v).as_bytes());
        } else {
            let s: &[u8] = if v.is_nan() {
                b"NaN"
            } else if v > 0.0 {
                b"inf"
            } else {
                b"-inf"
            };
            // JSON has no NaN or infinity: write them as strings.
            if json {
                out.push(b'"');
                out.extend_from_slice(s);
                out.push(b'"');
            } else {
                out.extend_from_slice(s);
            }
        }
    }

    /// A value as plain text (inside human text, logfmt and pretty values).
    fn text(&mut self, out: &mut Vec<u8>, v: Value<'_>, mode: Mode) {
        match v {
            Value::U64(n) => self.int(out, n),
            Value::I64(n) => self.int(out, n),
            Value::F64(f) => self.float(out, f, false),
            Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Value::Str(s) | Value::Display(s) | Value::Debug(s) => escape_str(out, s, mode),
            Value::Bytes(b) => escape(out, b, mode),
            Value::Error(e) => {
                for (i, link) in e.links().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b": ");
                    }
                    escape_str(out, link, mode);
                }
            }
            Value::None => out.extend_from_slice(b"none"),
        }
    }

    pub(crate) fn human(&mut self, event: &Event<'_>, out: &mut Vec<u8>, mode: Mode) {
        self.human_with(event, out, mode, None);
    }

    /// The human text as the JSON format renders it (literals from the call
    /// site's cache), for `narrate::profile`.
    pub(crate) fn human_json(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let id = event.callsite_id as usize;
        if self.statics.len() <= id {
            self.statics.resize_with(id + 1, || None);
        }
        let st = self.statics[id]
            .take()
            .unwrap_or_else(|| Box::new(JsonStatics::new(event.meta)));
        self.human_with(event, out, Mode::Json, Some(&st));
        self.statics[id] = Some(st);
    }

    fn human_with(
        &mut self,
        event: &Event<'_>,
        out: &mut Vec<u8>,
        mode: Mode,
        statics: Option<&JsonStatics>,
    ) {
        self.rendered.clear();
        self.rendered.resize(event.meta.fields.len(), None);
        for (k, piece) in event.meta.pieces.iter().enumerate() {
            match *piece {
                Piece::Literal(s) => match statics {
                    Some(st) => out.extend_from_slice(st.get(&st.literals[k])),
                    None => escape_str(out, s, mode),
                },
                Piece::Formatted(i, spec) => {
                    self.formatted(event.fields.get(i as usize), spec, out, mode)
                }
                Piece::Field(i) => {
                    let value = event.fields.get(i as usize);
                    let start = out.len();
                    self.text(out, value, mode);
                    // In JSON mode the text of these values is exactly their
                    // JSON form (strings without the quotes).
                    let reusable = match value {
                        Value::U64(_) | Value::I64(_) | Value::Bool(_) => Some(false),
                        Value::F64(f) if f.is_finite() => Some(false),
                        Value::Str(_) | Value::Display(_) | Value::Debug(_) | Value::Bytes(_) => {
                            Some(true)
                        }
                        _ => None,
                    };
                    if let (Mode::Json, Some(quoted)) = (mode, reusable) {
                        self.rendered[i as usize] = Some((start, out.len(), quoted));
                    }
                }
            }
        }
    }

    /// A placeholder with a format spec. Out of line: keeps the plain
    /// placeholder path of `human_with` as tight as it was.
    #[inline(never)]
    fn formatted(
        &mut self,
        value: Value<'_>,
        spec: &crate::format_spec::FormatSpec,
        out: &mut Vec<u8>,
        mode: Mode,
    ) {
        self.spec_scratch.clear();
        crate::format_spec::write_formatted(&mut self.spec_scratch, value, spec);
        escape_str(out, &self.spec_scratch, mode);
    }

    fn json_value(&mut self, out: &mut Vec<u8>, v: Value<'_>) {
        match v {
            Value::U64(n) => self.int(out, n),
            Value::I64(n) => self.int(out, n),
            Value::F64(f) => self.float(out, f, true),
            Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Value::Str(s) | Value::Display(s) | Value::Debug(s) => json_str(out, s),
            Value::Bytes(b) => {
                out.push(b'"');
                escape(out, b, Mode::Json);
                out.push(b'"');
            }
            Value::Error(e) => {
                out.extend_from_slice(b"{\"message\":");
                json_str(out, e.message());
                out.extend_from_slice(b",\"sources\":[");
                for (i, link) in e.links().skip(1).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, link);
                }
                out.extend_from_slice(b"]}");
            }
            Value::None => out.extend_from_slice(b"null"),
        }
    }

    fn json(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let meta = event.meta;
        let id = event.callsite_id as usize;
        if self.statics.len() <= id {
            self.statics.resize_with(id + 1, || None);
        }
        // Taken out for the duration of the line (a pointer move), so the
        // formatter's other state can be borrowed mutably beside it.
        let st = match self.statics[id].take() {
            Some(st) => st,
            None => Box::new(JsonStatics::new(meta)),
        };
        out.extend_from_slice(b"{\"ts\":\"");
        self.ts.write(out, event.timestamp_ns, 9);
        out.extend_from_slice(st.get(&st.head));
        if let Some(target) = event.target() {
            out.extend_from_slice(b",\"target\":");
            self.json_value(out, target);
        }
        out.extend_from_slice(b",\"human\":\"");
        self.human_with(event, out, Mode::Json, Some(&st));
        out.push(b'"');
        if let Some(id) = event.correlation_id() {
            // Always a string: JavaScript readers round numbers above 2^53.
            out.extend_from_slice(b",\"correlation_id\":");
            match id {
                // Non-finite floats are already written as strings ("inf").
                Value::F64(f) if !f.is_finite() => self.json_value(out, id),
                Value::U64(_) | Value::I64(_) | Value::F64(_) | Value::Bool(_) => {
                    out.push(b'"');
                    self.json_value(out, id);
                    out.push(b'"');
                }
                _ => self.json_value(out, id),
            }
        }
        out.extend_from_slice(st.get(&st.extras));
        out.extend_from_slice(b",\"fields\":{");
        let mut first = true;
        for i in 0..meta.fields.len() {
            if meta.is_envelope_field(i) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(st.get(&st.names[i]));
            match self.rendered.get(i).copied().flatten() {
                Some((start, end, quoted)) => {
                    if quoted {
                        out.push(b'"');
                    }
                    out.extend_from_within(start..end);
                    if quoted {
                        out.push(b'"');
                    }
                }
                None => self.json_value(out, event.fields.get(i)),
            }
        }
        out.push(b'}');
        if !event.scope.is_unscoped() {
            self.json_scope(event, out);
        }
        out.extend_from_slice(b",\"thread\":");
        json_str(out, event.thread_name);
        out.extend_from_slice(b",\"tid\":");
        self.int(out, event.thread_id);
        out.extend_from_slice(st.get(&st.tail));
        self.statics[id] = Some(st);
    }

    fn logfmt_value(&mut self, out: &mut Vec<u8>, v: Value<'_>) {
        let start = out.len();
        self.text(out, v, Mode::Text);
        if escape::needs_quotes(&out[start..]) {
            // Re-render quoted; rare enough that rendering twice is cheaper
            // than a scratch buffer per value.
            out.truncate(start);
            out.push(b'"');
            self.text(out, v, Mode::Json);
            out.push(b'"');
        }
    }

    fn logfmt(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let meta = event.meta;
        out.extend_from_slice(b"ts=");
        self.ts.write(out, event.timestamp_ns, 9);
        out.extend_from_slice(b" level=");
        out.extend_from_slice(meta.level.as_str().as_bytes());
        out.extend_from_slice(b" actor=");
        self.logfmt_value(out, Value::Str(meta.actor));
        if !meta.action.is_empty() {
            out.extend_from_slice(b" action=");
            self.logfmt_value(out, Value::Str(meta.action));
        }
        if let Some(target) = event.target() {
            out.extend_from_slice(b" target=");
            self.logfmt_value(out, target);
        }
        out.extend_from_slice(b" human=\"");
        self.human(event, out, Mode::Json);
        out.push(b'"');
        if let Some(id) = event.correlation_id() {
            out.extend_from_slice(b" correlation_id=");
            self.logfmt_value(out, id);
        }
        for (name, value) in event.key_values() {
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            self.logfmt_value(out, value);
        }
        if !event.scope.is_unscoped() {
            self.logfmt_scope(event, out);
        }
        out.extend_from_slice(b" thread=");
        self.logfmt_value(out, Value::Str(event.thread_name));
    }

    fn pretty(&mut self, event: &Event<'_>, out: &mut Vec<u8>, color: bool) {
        let meta = event.meta;
        let paint = |out: &mut Vec<u8>, code: &[u8]| {
            if color {
                out.extend_from_slice(code);
            }
        };
        const RESET: &[u8] = b"\x1b[0m";
        paint(out, b"\x1b[2m");
        self.ts.write(out, event.timestamp_ns, 6);
        paint(out, RESET);
        out.push(b' ');
        paint(
            out,
            match meta.level {
                crate::Level::Trace => b"\x1b[35m",
                crate::Level::Debug => b"\x1b[34m",
                crate::Level::Info => b"\x1b[32m",
                crate::Level::Warn => b"\x1b[33m",
                crate::Level::Error | crate::Level::Fatal => b"\x1b[1;31m",
                crate::Level::Mute => b"",
            },
        );
        out.extend_from_slice(meta.level.as_padded_upper().as_bytes());
        paint(out, RESET);
        out.push(b' ');
        paint(out, b"\x1b[1m");
        escape_str(out, meta.actor, Mode::Text);
        if !meta.action.is_empty() {
            out.push(b'/');
            escape_str(out, meta.action, Mode::Text);
        }
        paint(out, RESET);
        if let Some(target) = event.target() {
            out.extend_from_slice(b" #");
            self.text(out, target, Mode::Text);
        }
        out.extend_from_slice(b"  ");
        self.pretty_spans(event, out);
        self.human(event, out, Mode::Text);
        let mut first = true;
        for (i, name) in meta.fields.iter().enumerate() {
            // Values already shown in the human text are not repeated here.
            if meta.is_envelope_field(i) || meta.in_human(i) {
                continue;
            }
            let value = event.fields.get(i);
            out.extend_from_slice(if first { b"  " } else { b" " });
            first = false;
            paint(out, b"\x1b[2m");
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            paint(out, RESET);
            self.text(out, value, Mode::Text);
        }
        if let Some(id) = event.correlation_id() {
            out.extend_from_slice(b" correlation_id=");
            self.text(out, id, Mode::Text);
        }
        self.pretty_context(event, out);
        paint(out, b"\x1b[2m");
        out.extend_from_slice(b"  [");
        escape_str(out, event.thread_name, Mode::Text);
        out.push(b']');
        paint(out, RESET);
    }
}

/// The parts of a call site's JSON lines that never change, escaped once
/// per call site instead of once per event: escaping the actor, the field
/// names, the template literals and the file name was the largest single
/// cost of a JSON line.
struct JsonStatics {
    bytes: Vec<u8>,
    /// `","level":"…","actor":"…"` and `,"action":"…"` when there is one
    /// (starting with the quote that closes the timestamp).
    head: std::ops::Range<usize>,
    /// Each template piece's escaped text (empty for placeholders).
    literals: Vec<std::ops::Range<usize>>,
    /// Each field's `"name":`.
    names: Vec<std::ops::Range<usize>>,
    /// `,"cute":"…","story":"…"` for what the call site has.
    extras: std::ops::Range<usize>,
    /// `,"file":"…","line":N}`.
    tail: std::ops::Range<usize>,
}

impl JsonStatics {
    fn new(meta: &crate::callsite::Metadata) -> JsonStatics {
        let mut b = Vec::with_capacity(256);
        let part = |b: &mut Vec<u8>, f: &mut dyn FnMut(&mut Vec<u8>)| {
            let start = b.len();
            f(b);
            start..b.len()
        };
        let head = part(&mut b, &mut |b| {
            b.extend_from_slice(b"\",\"level\":\"");
            b.extend_from_slice(meta.level.as_str().as_bytes());
            b.extend_from_slice(b"\",\"actor\":");
            json_str(b, meta.actor);
            if !meta.action.is_empty() {
                b.extend_from_slice(b",\"action\":");
                json_str(b, meta.action);
            }
        });
        let literals = meta
            .pieces
            .iter()
            .map(|p| {
                part(&mut b, &mut |b| {
                    if let Piece::Literal(s) = p {
                        escape_str(b, s, Mode::Json);
                    }
                })
            })
            .collect();
        let names = meta
            .fields
            .iter()
            .map(|name| {
                part(&mut b, &mut |b| {
                    json_str(b, name);
                    b.push(b':');
                })
            })
            .collect();
        let extras = part(&mut b, &mut |b| {
            if let Some(cute) = meta.cute {
                b.extend_from_slice(b",\"cute\":");
                json_str(b, cute);
            }
            if let Some(story) = meta.story {
                b.extend_from_slice(b",\"story\":");
                json_str(b, story);
            }
        });
        let tail = part(&mut b, &mut |b| {
            b.extend_from_slice(b",\"file\":");
            json_str(b, meta.file);
            b.extend_from_slice(b",\"line\":");
            b.extend_from_slice(itoa::Buffer::new().format(meta.line).as_bytes());
            b.push(b'}');
        });
        JsonStatics {
            bytes: b,
            head,
            literals,
            names,
            extras,
            tail,
        }
    }

    fn get(&self, range: &std::ops::Range<usize>) -> &[u8] {
        &self.bytes[range.clone()]
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_str(out, s, Mode::Json);
    out.push(b'"');
}
