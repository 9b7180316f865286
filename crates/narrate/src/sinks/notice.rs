//! Things that happen to sinks, reported in-band.
//!
//! A sink that is reopened, finds its file truncated, loses lines to a full
//! disk, panics or is disabled says so with an event of its own
//! (`actor = "narrate"`, `action` naming what happened, fields `sink`,
//! `message`, `count`), written to every sink still working, right after the
//! backend pass in which it happened. Sinks run on the backend thread, so a
//! notice is queued here (a mutex taken only when something goes wrong, never
//! per event) and the backend writes the queue out each round.
//!
//! [`crate::sinks::FileWriter`] can be used outside narrate's backend (inside
//! a custom sink); its notices are then queued and written by the backend if
//! one runs. The queue is capped so that a process with no backend does not
//! grow it without bound; notices beyond the cap are counted and lost.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::callsite::{Callsite, Kind, Metadata, Piece};
use crate::level::Level;

/// What happened to a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoticeKind {
    /// Reopened on request (`narrate::reopen()`, SIGHUP).
    Reopened,
    /// The file was deleted or moved away under us and has been reopened.
    Replaced,
    /// The file shrank under us (`copytruncate`); appending at its new end.
    Truncated,
    /// A write failed (full disk, I/O error); lines are being lost.
    WriteFailed,
    /// Writes succeed again after failing; `count` lines were lost.
    WriteResumed,
    /// The sink panicked; the event that made it panic was not written to it.
    Panicked,
    /// The sink is no longer written to.
    Disabled,
}

impl NoticeKind {
    pub(crate) fn callsite(self) -> &'static Callsite {
        match self {
            NoticeKind::Reopened => &REOPENED,
            NoticeKind::Replaced => &REPLACED,
            NoticeKind::Truncated => &TRUNCATED,
            NoticeKind::WriteFailed => &WRITE_FAILED,
            NoticeKind::WriteResumed => &WRITE_RESUMED,
            NoticeKind::Panicked => &PANICKED,
            NoticeKind::Disabled => &DISABLED,
        }
    }
}

/// One queued notice.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub kind: NoticeKind,
    pub sink: String,
    pub message: String,
    pub count: u64,
}

const FIELDS: &[&str] = &["sink", "message", "count"];
const PIECES: &[Piece] = &[Piece::Field(0), Piece::Literal(": "), Piece::Field(1)];

const fn notice(level: Level, action: &'static str) -> Callsite {
    Callsite::new(Metadata {
        level,
        kind: Kind::Event,
        actor: "narrate",
        action,
        template: "{sink}: {message}",
        pieces: PIECES,
        fields: FIELDS,
        target: None,
        correlation_id: None,
        cute: None,
        story: None,
        module_path: "narrate::sinks",
        file: file!(),
        line: line!(),
    })
}

static REOPENED: Callsite = notice(Level::Info, "reopen");
static REPLACED: Callsite = notice(Level::Warn, "reopen");
static TRUNCATED: Callsite = notice(Level::Warn, "truncated");
static WRITE_FAILED: Callsite = notice(Level::Error, "write_failed");
static WRITE_RESUMED: Callsite = notice(Level::Warn, "write_resumed");
static PANICKED: Callsite = notice(Level::Error, "sink_panic");
static DISABLED: Callsite = notice(Level::Error, "sink_disabled");

/// Most notices held while no backend writes them out.
const MAX_QUEUED: usize = 256;

static QUEUE: Mutex<Vec<Notice>> = Mutex::new(Vec::new());
static PENDING: AtomicBool = AtomicBool::new(false);

/// Queues a notice for the backend to write in-band.
pub(crate) fn post(kind: NoticeKind, sink: &str, message: String, count: u64) {
    let mut queue = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    if queue.len() >= MAX_QUEUED {
        crate::stats::NOTICES_LOST.fetch_add(1, Ordering::Relaxed);
        return;
    }
    queue.push(Notice {
        kind,
        sink: sink.to_owned(),
        message,
        count,
    });
    PENDING.store(true, Ordering::Release);
}

/// Takes every queued notice (one atomic load when there are none).
pub(crate) fn take(out: &mut Vec<Notice>) {
    if PENDING.swap(false, Ordering::Acquire) {
        out.append(&mut QUEUE.lock().unwrap_or_else(|e| e.into_inner()));
    }
}
