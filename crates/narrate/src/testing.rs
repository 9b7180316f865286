//! Test capture: collect the events one test emits and assert on them.
//!
//! ```
//! let events = narrate::testing::capture(|| {
//!     narrate::info!(action = "ship", "shipped {order}", order = 42u64);
//! });
//! events.assert_contains("shipped 42");
//! events.assert_field("order", "42");
//! assert_eq!(events.count_at(narrate::Level::Info), 1);
//! ```
//!
//! # Isolation without re-initialising
//!
//! `init` works once per process, and tests run in parallel threads of one
//! process, so a capture cannot be a sink of its own. Instead a capture is a
//! *scope* on the calling thread: entering it writes a marker record into
//! that thread's ring, leaving it writes another. The backend, which reads
//! each ring in order, knows for every record which scope (if any) its
//! thread was in, and hands a copy of those events to the capture as well as
//! to the usual sinks. Events of other threads — other tests — are never in
//! the scope, so parallel tests see only their own events.
//!
//! The normal hot path does not change: the markers are ordinary records
//! written only by `capture`, and the backend's per-record check is one
//! branch on a value it already has. Capturing itself allocates (it keeps
//! owned copies), which is fine in tests.
//!
//! If narrate is not running, `capture` starts it with the level at `trace`
//! (`NARRATE_LOG` still applies) and a sink that discards everything, so
//! tests print nothing. If the process initialised narrate itself, captures
//! see what its filter lets through.
//!
//! # Threads and tasks
//!
//! A thread spawned inside the closure starts outside the scope. Pass the
//! scope on and enter it there, and join the thread before the closure ends:
//!
//! ```
//! use narrate::testing::{capture, CaptureScope};
//! let events = capture(|| {
//!     let scope = CaptureScope::current().expect("inside capture");
//!     std::thread::spawn(move || scope.in_scope(|| narrate::warn!("from a worker")))
//!         .join()
//!         .unwrap();
//! });
//! events.assert_contains("from a worker");
//! ```
//!
//! For async code, [`capture_async`] enters the scope around every poll of
//! the future, on whichever thread polls it; [`CaptureScope::wrap`] does the
//! same for a future handed to `tokio::spawn`. At the end, `capture_async`
//! waits (blocking) for the backend to write what was emitted, which takes
//! microseconds to milliseconds.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use crate::config::{Config, SinkSpec};
use crate::event::Event;
use crate::format::Format;
use crate::level::Level;
use crate::sinks::{CapturedEvent, Sink};

/// Call-site id of the scope marker records (never a real call site: ids
/// are assigned from 1 upwards).
pub(crate) const SCOPE_MARKER: u32 = u32::MAX;

static NEXT_SCOPE: AtomicU64 = AtomicU64::new(1);

/// Events per live capture scope. Written by the backend, taken by the
/// capture when it ends.
static CAPTURED: Mutex<BTreeMap<u64, Vec<CapturedEvent>>> = Mutex::new(BTreeMap::new());

thread_local! {
    /// The scopes this thread is in, innermost last.
    static SCOPES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn captured() -> std::sync::MutexGuard<'static, BTreeMap<u64, Vec<CapturedEvent>>> {
    CAPTURED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Called by the backend for every event written while its thread was in
/// scope `scope`; `json` is the event's JSON line.
pub(crate) fn deliver(scope: u64, event: &Event<'_>, json: &[u8]) {
    let mut map = captured();
    if let Some(events) = map.get_mut(&scope) {
        events.push(CapturedEvent::from_event(event, json));
    }
}

/// The payload of a scope marker: the scope the thread is in from now on
/// (0: none).
pub(crate) fn marker_scope(payload: &[u8]) -> u64 {
    payload
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn write_marker(scope: u64) {
    crate::ring::emit(SCOPE_MARKER, Level::Fatal, 8, |w| w.put_u64(scope));
}

struct DiscardSink;

impl Sink for DiscardSink {
    fn write(&mut self, _: &Event<'_>, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

fn ensure_running() {
    if crate::lifecycle::runtime().is_some() {
        return;
    }
    let config = Config::new()
        .level(Level::Trace)
        .panic_hook(false)
        .sink(SinkSpec::custom(DiscardSink, Format::Json));
    match crate::init(config) {
        // Lives until the process exits; every capture flushes what it needs.
        Ok(guard) => std::mem::forget(guard),
        Err(crate::InitError::AlreadyInitialized) => {}
        Err(e) => panic!("narrate::testing: cannot start narrate: {e}"),
    }
    assert!(
        crate::lifecycle::runtime().is_some(),
        "narrate::testing: narrate was shut down in this process; capture needs it running"
    );
}

/// A capture scope, to pass to threads and tasks (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureScope(u64);

impl CaptureScope {
    /// The innermost scope the current thread is in.
    pub fn current() -> Option<CaptureScope> {
        SCOPES
            .with(|s| s.borrow().last().copied())
            .map(CaptureScope)
    }

    /// Runs `f` on this thread inside the scope.
    pub fn in_scope<R>(self, f: impl FnOnce() -> R) -> R {
        let _entered = Entered::enter(self.0);
        f()
    }

    /// `fut`, with every poll inside the scope (for `tokio::spawn` and the like).
    pub fn wrap<F: Future>(self, fut: F) -> InScope<F> {
        InScope {
            scope: self.0,
            fut: Box::pin(fut),
        }
    }
}

/// Inside a scope until dropped (restores the outer scope, also on panic).
struct Entered(u64);

impl Entered {
    fn enter(scope: u64) -> Entered {
        SCOPES.with(|s| s.borrow_mut().push(scope));
        write_marker(scope);
        Entered(scope)
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let outer = SCOPES.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(i) = s.iter().rposition(|&x| x == self.0) {
                s.remove(i);
            }
            s.last().copied().unwrap_or(0)
        });
        write_marker(outer);
    }
}

/// A future polled inside a capture scope.
pub struct InScope<F> {
    scope: u64,
    // Boxed so the adapter is Unpin without unsafe pin projection.
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for InScope<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _entered = Entered::enter(self.scope);
        self.fut.as_mut().poll(cx)
    }
}

struct Live(u64);

impl Live {
    fn open() -> Live {
        ensure_running();
        let id = NEXT_SCOPE.fetch_add(1, Ordering::Relaxed);
        captured().insert(id, Vec::new());
        Live(id)
    }

    fn finish(self) -> Captured {
        crate::flush();
        let events = captured().remove(&self.0).unwrap_or_default();
        std::mem::forget(self);
        Captured { events }
    }
}

impl Drop for Live {
    // A panicking test must not leave its scope's buffer behind.
    fn drop(&mut self) {
        captured().remove(&self.0);
    }
}

/// Runs `f` and returns the events it emitted on this thread (and on
/// threads that entered its [`CaptureScope`]). See the module docs.
pub fn capture<R>(f: impl FnOnce() -> R) -> Captured {
    let live = Live::open();
    {
        let _entered = Entered::enter(live.0);
        let _ = f();
    }
    live.finish()
}

/// Awaits `fut` with every poll inside a fresh capture scope and returns
/// its output with the events it emitted.
pub async fn capture_async<F: Future>(fut: F) -> (F::Output, Captured) {
    let live = Live::open();
    let output = CaptureScope(live.0).wrap(fut).await;
    (output, live.finish())
}

/// The events of one capture, with assertion helpers. Failed assertions
/// panic with every captured event listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captured {
    events: Vec<CapturedEvent>,
}

impl Captured {
    pub fn events(&self) -> &[CapturedEvent] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, CapturedEvent> {
        self.events.iter()
    }

    /// Whether some event's human text contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.events.iter().any(|e| e.human.contains(text))
    }

    /// The first event matching `pred`.
    pub fn find(&self, pred: impl Fn(&CapturedEvent) -> bool) -> Option<&CapturedEvent> {
        self.events.iter().find(|e| pred(e))
    }

    /// Events with this action.
    pub fn with_action(&self, action: &str) -> Vec<&CapturedEvent> {
        self.events.iter().filter(|e| e.action == action).collect()
    }

    /// Events at exactly `level`.
    pub fn count_at(&self, level: Level) -> usize {
        self.events.iter().filter(|e| e.level == level).count()
    }

    /// Events at `level` or more severe.
    pub fn count_at_least(&self, level: Level) -> usize {
        self.events.iter().filter(|e| e.level >= level).count()
    }

    fn listing(&self) -> String {
        if self.events.is_empty() {
            return "  (no events captured)".into();
        }
        self.events
            .iter()
            .map(|e| format!("  {}", e.json))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.contains(text),
            "no captured event's text contains {text:?}; captured:\n{}",
            self.listing()
        );
    }

    /// Some event has field `name` rendered as `value`.
    #[track_caller]
    pub fn assert_field(&self, name: &str, value: &str) {
        assert!(
            self.events.iter().any(|e| e.field(name) == Some(value)),
            "no captured event has {name} = {value:?}; captured:\n{}",
            self.listing()
        );
    }

    #[track_caller]
    pub fn assert_count(&self, level: Level, expected: usize) {
        let n = self.count_at(level);
        assert_eq!(
            n,
            expected,
            "expected {expected} {level} event(s), captured {n}:\n{}",
            self.listing()
        );
    }

    /// Nothing more severe than `level` was emitted.
    #[track_caller]
    pub fn assert_nothing_above(&self, level: Level) {
        let above: Vec<&CapturedEvent> = self.events.iter().filter(|e| e.level > level).collect();
        assert!(
            above.is_empty(),
            "{} event(s) above {level}; captured:\n{}",
            above.len(),
            self.listing()
        );
    }
}

impl<'a> IntoIterator for &'a Captured {
    type Item = &'a CapturedEvent;
    type IntoIter = std::slice::Iter<'a, CapturedEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}
