//! The scope of an event in each format: its correlation context and its
//! spans (see [`crate::span`]). Kept apart from the per-format writers, each
//! of which calls one function here.
//!
//! * JSON: `"correlation_id"` (when the event has none of its own),
//!   `"correlation_id_replaced":true` when the incoming id was invalid,
//!   `"trace_id"`, `"span_id"`, and
//!   `"spans":[{"name":"…","fields":{…}},…]`, outermost first.
//! * logfmt: the same keys, then `spans=outer>inner` and each span field as
//!   `span_name.field=value`.
//! * pretty: `outer{k=v}:inner{k=v}:` before the human text, and
//!   `correlation_id=…`/`trace_id=…` after the fields.

use super::{Formatter, json_str};
use crate::backend::decode::Value;
use crate::event::Event;
use crate::format::escape::{Mode, escape_str};

impl Formatter {
    /// JSON keys of the event's scope, each starting with `,`.
    #[inline(never)]
    pub(crate) fn json_scope(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let scope = event.scope;
        if let Some(ctx) = scope.context() {
            if event.correlation_id().is_none() {
                out.extend_from_slice(b",\"correlation_id\":");
                json_str(out, ctx.correlation_id());
            }
            if ctx.replaced {
                out.extend_from_slice(b",\"correlation_id_replaced\":true");
            }
            if let Some((trace, span)) = ctx.trace() {
                out.extend_from_slice(b",\"trace_id\":");
                json_str(out, trace);
                out.extend_from_slice(b",\"span_id\":");
                json_str(out, span);
            }
        }
        let mut first = true;
        for span in scope.spans() {
            out.extend_from_slice(if first { b",\"spans\":[" } else { b"," });
            first = false;
            out.extend_from_slice(b"{\"name\":");
            json_str(out, span.name());
            out.extend_from_slice(b",\"fields\":{");
            for (i, (name, value)) in span.fields().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, name);
                out.push(b':');
                self.json_value(out, value);
            }
            out.extend_from_slice(b"}}");
        }
        if !first {
            out.push(b']');
        }
    }

    /// logfmt pairs of the event's scope, each starting with a space.
    #[inline(never)]
    pub(crate) fn logfmt_scope(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let scope = event.scope;
        if let Some(ctx) = scope.context() {
            if event.correlation_id().is_none() {
                out.extend_from_slice(b" correlation_id=");
                self.logfmt_value(out, Value::Str(ctx.correlation_id()));
            }
            if ctx.replaced {
                out.extend_from_slice(b" correlation_id_replaced=true");
            }
            if let Some((trace, span)) = ctx.trace() {
                out.extend_from_slice(b" trace_id=");
                out.extend_from_slice(trace.as_bytes());
                out.extend_from_slice(b" span_id=");
                out.extend_from_slice(span.as_bytes());
            }
        }
        let mut first = true;
        for span in scope.spans() {
            out.extend_from_slice(if first { b" spans=" } else { b">" });
            first = false;
            escape_str(out, span.name(), Mode::Text);
        }
        for span in scope.spans() {
            for (name, value) in span.fields() {
                out.push(b' ');
                escape_str(out, span.name(), Mode::Text);
                out.push(b'.');
                out.extend_from_slice(name.as_bytes());
                out.push(b'=');
                self.logfmt_value(out, value);
            }
        }
    }

    /// `outer{k=v}:inner:` and a trailing space, before the human text.
    pub(crate) fn pretty_spans(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let mut any = false;
        for span in event.scope.spans() {
            if any {
                out.push(b':');
            }
            any = true;
            escape_str(out, span.name(), Mode::Text);
            let mut fields = span.fields().peekable();
            if fields.peek().is_some() {
                out.push(b'{');
                for (i, (name, value)) in fields.enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                    self.text(out, value, Mode::Text);
                }
                out.push(b'}');
            }
        }
        if any {
            out.extend_from_slice(b": ");
        }
    }

    /// `correlation_id=… trace_id=…` from the scope, after the fields.
    pub(crate) fn pretty_context(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let Some(ctx) = event.scope.context() else {
            return;
        };
        if event.correlation_id().is_none() {
            out.extend_from_slice(b" correlation_id=");
            escape_str(out, ctx.correlation_id(), Mode::Text);
        }
        if ctx.replaced {
            out.extend_from_slice(b" correlation_id_replaced=true");
        }
        if let Some((trace, _)) = ctx.trace() {
            out.extend_from_slice(b" trace_id=");
            out.extend_from_slice(trace.as_bytes());
        }
    }
}
