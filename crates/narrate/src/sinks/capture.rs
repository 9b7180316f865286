//! An in-memory sink for tests: collect events, then assert on them.

use std::sync::{Arc, Mutex};

use crate::backend::decode::Value;
use crate::event::{DisplayValue, Event};
use crate::level::Level;
use crate::sinks::Sink;

/// One captured event, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedEvent {
    pub level: Level,
    pub actor: &'static str,
    pub action: &'static str,
    pub target: Option<String>,
    pub human: String,
    /// Free key-values, rendered as text.
    pub fields: Vec<(&'static str, String)>,
    /// The event as its JSON line (without the newline).
    pub json: String,
    pub thread_id: u64,
}

impl CapturedEvent {
    /// An owned copy of `event`; `line` is its JSON line.
    pub(crate) fn from_event(event: &Event<'_>, line: &[u8]) -> CapturedEvent {
        let mut human = String::new();
        event.write_human(&mut human);
        CapturedEvent {
            level: event.level(),
            actor: event.actor(),
            action: event.action(),
            target: event.target().map(text),
            human,
            fields: event.key_values().map(|(n, v)| (n, text(v))).collect(),
            json: String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(line)).into_owned(),
            thread_id: event.thread_id(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A cloneable handle to captured events. Pass `&capture` to
/// [`crate::Config::sink`]; it receives events as JSON lines.
///
/// Capturing allocates per event (it keeps owned copies): it is for tests.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    events: Arc<Mutex<Vec<CapturedEvent>>>,
}

impl Capture {
    pub fn new() -> Capture {
        Capture::default()
    }

    /// A copy of everything captured so far. Call `narrate::flush()` first.
    pub fn events(&self) -> Vec<CapturedEvent> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub fn clear(&self) {
        self.lock().clear()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CapturedEvent>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn text(v: Value<'_>) -> String {
    DisplayValue(v).to_string()
}

impl Sink for Capture {
    fn write(&mut self, event: &Event<'_>, line: &[u8]) -> std::io::Result<()> {
        let captured = CapturedEvent::from_event(event, line);
        self.lock().push(captured);
        Ok(())
    }
}
