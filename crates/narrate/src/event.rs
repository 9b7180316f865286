//! [`Event`]: one decoded event as the backend stages, formats and sinks see it.

use crate::backend::decode::{Fields, Value};
use crate::callsite::{Metadata, Piece};
use crate::level::Level;

/// A decoded event. Borrows from the ring; valid only during the call it is
/// passed to.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    pub(crate) meta: &'static Metadata,
    /// The call site's registry id (formatters cache per call site).
    pub(crate) callsite_id: u32,
    pub(crate) timestamp_ns: u64,
    pub(crate) thread_name: &'a str,
    pub(crate) thread_id: u64,
    pub(crate) fields: Fields<'a>,
    /// The spans and correlation context the event was emitted in.
    pub(crate) scope: crate::span::ScopeView<'a>,
}

impl<'a> Event<'a> {
    pub fn level(&self) -> Level {
        self.meta.level
    }

    pub fn metadata(&self) -> &'static Metadata {
        self.meta
    }

    /// Unix time in nanoseconds.
    pub fn timestamp_nanos(&self) -> u64 {
        self.timestamp_ns
    }

    pub fn thread_name(&self) -> &'a str {
        self.thread_name
    }

    /// narrate's sequential id of the emitting thread (1, 2, …).
    pub fn thread_id(&self) -> u64 {
        self.thread_id
    }

    pub fn actor(&self) -> &'static str {
        self.meta.actor
    }

    pub fn action(&self) -> &'static str {
        self.meta.action
    }

    pub fn target(&self) -> Option<Value<'a>> {
        self.meta.target.map(|i| self.fields.get(i as usize))
    }

    pub fn correlation_id(&self) -> Option<Value<'a>> {
        self.meta
            .correlation_id
            .map(|i| self.fields.get(i as usize))
    }

    /// The spans (outermost first) and correlation context of the event.
    pub fn scope(&self) -> crate::span::ScopeView<'a> {
        self.scope
    }

    /// The correlation id: the event's own, else its scope's.
    pub fn effective_correlation_id(&self) -> Option<Value<'a>> {
        self.correlation_id()
            .or_else(|| self.scope.context().map(|c| Value::Str(c.correlation_id())))
    }

    /// All values, envelope fields (target, correlation id) included.
    pub fn fields(&self) -> Fields<'a> {
        self.fields
    }

    /// The free key-values: every field except the envelope ones.
    pub fn key_values(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + '_ {
        self.meta
            .fields
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.meta.is_envelope_field(*i))
            .map(|(i, name)| (*name, self.fields.get(i)))
    }

    /// Looks a field up by name.
    pub fn field(&self, name: &str) -> Option<Value<'a>> {
        let i = self.meta.fields.iter().position(|f| *f == name)?;
        Some(self.fields.get(i))
    }

    /// Renders the human text into `out` (appending). Allocates only if
    /// `out` has to grow.
    pub fn write_human(&self, out: &mut String) {
        use std::fmt::Write;
        for piece in self.meta.pieces {
            match *piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Field(i) => {
                    let _ = write!(out, "{}", DisplayValue(self.fields.get(i as usize)));
                }
                Piece::Formatted(i, spec) => {
                    crate::format_spec::write_formatted(out, self.fields.get(i as usize), spec);
                }
            }
        }
    }
}

/// Plain-text rendering of a value, as it appears in human text.
pub struct DisplayValue<'a>(pub Value<'a>);

impl std::fmt::Display for DisplayValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Value::U64(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(s) | Value::Display(s) | Value::Debug(s) => f.write_str(s),
            Value::Bytes(b) => write!(f, "{}", String::from_utf8_lossy(b)),
            Value::Error(e) => f.write_str(e.message()),
            Value::None => f.write_str("none"),
        }
    }
}
