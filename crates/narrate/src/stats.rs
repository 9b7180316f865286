//! Self-metrics: what went in, what came out, and everything lost on the way.
//!
//! Counters are plain atomics. The drop counters are bumped on the caller's
//! slow path only (a full ring or a dead backend), never in steady state; the
//! rest are written by the backend thread alone. All use `Relaxed`: they are
//! statistics, read as a snapshot, and order nothing else.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Why an event never reached the sinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The thread's ring was full and its level's policy is `DropNewest`.
    RingFull,
    /// Emitted after `shutdown()` stopped the backend.
    AfterShutdown,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::RingFull => "ring_full",
            DropReason::AfterShutdown => "after_shutdown",
        }
    }
}

pub(crate) static DROPPED_RING_FULL: AtomicU64 = AtomicU64::new(0);
pub(crate) static DROPPED_AFTER_SHUTDOWN: AtomicU64 = AtomicU64::new(0);
pub(crate) static EVENTS_READ: AtomicU64 = AtomicU64::new(0);
pub(crate) static EVENTS_WRITTEN: AtomicU64 = AtomicU64::new(0);
pub(crate) static DROP_REPORTS: AtomicU64 = AtomicU64::new(0);
pub(crate) static SINK_ERRORS: AtomicU64 = AtomicU64::new(0);
pub(crate) static OVERSIZED: AtomicU64 = AtomicU64::new(0);
pub(crate) static RING_HIGH_WATER: AtomicU64 = AtomicU64::new(0);
/// In-band "N events like this suppressed" reports written.
pub(crate) static SUPPRESSED_REPORTS: AtomicU64 = AtomicU64::new(0);
/// Bytes waiting in the fullest ring at the last backend pass.
pub(crate) static RING_FILL: AtomicU64 = AtomicU64::new(0);
/// Age in ticks of the oldest waiting event at the last backend pass.
pub(crate) static BACKEND_LAG_TICKS: AtomicU64 = AtomicU64::new(0);
pub(crate) static LANES_REGISTERED: AtomicU64 = AtomicU64::new(0);
// Sinks touched from outside or misbehaving (see `crate::sinks`), written on
// the backend thread only, when something goes wrong.
pub(crate) static FILES_REOPENED: AtomicU64 = AtomicU64::new(0);
pub(crate) static FILES_REPLACED: AtomicU64 = AtomicU64::new(0);
pub(crate) static FILES_TRUNCATED: AtomicU64 = AtomicU64::new(0);
pub(crate) static FILE_LINES_LOST: AtomicU64 = AtomicU64::new(0);
pub(crate) static SINK_PANICS: AtomicU64 = AtomicU64::new(0);
pub(crate) static SINKS_DISABLED: AtomicU64 = AtomicU64::new(0);
pub(crate) static NOTICES_LOST: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count_drop(reason: DropReason) {
    match reason {
        DropReason::RingFull => DROPPED_RING_FULL.fetch_add(1, Relaxed),
        DropReason::AfterShutdown => DROPPED_AFTER_SHUTDOWN.fetch_add(1, Relaxed),
    };
}

/// A snapshot of narrate's counters; see [`crate::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events the backend took out of the rings.
    pub events_read: u64,
    /// Events handed to the sinks (user events only, not drop reports).
    pub events_written: u64,
    /// Events dropped because a ring was full under `DropNewest`.
    pub dropped_ring_full: u64,
    /// Events emitted after shutdown.
    pub dropped_after_shutdown: u64,
    /// In-band drop reports the backend wrote.
    pub drop_reports: u64,
    /// Failed sink writes or flushes (each sink counted separately).
    pub sink_errors: u64,
    /// Events larger than their ring, sent through the overflow path.
    pub oversized_events: u64,
    /// Most bytes ever seen waiting in one ring.
    pub ring_high_water_bytes: u64,
    /// Threads that have logged (each got a ring).
    pub lanes_registered: u64,
    /// File sinks reopened on request (`narrate::reopen()`, SIGHUP).
    pub files_reopened: u64,
    /// File sinks found deleted or moved away under the process, and reopened.
    pub files_replaced: u64,
    /// File sinks found truncated under the process (`copytruncate`).
    pub files_truncated: u64,
    /// Lines a file sink could not write (full disk, I/O error), counted
    /// per sink: an event lost by two file sinks counts twice.
    pub file_lines_lost: u64,
    /// Panics caught in sink calls.
    pub sink_panics: u64,
    /// Sinks no longer written to (too many panics, a closed stdout).
    pub sinks_disabled: u64,
    /// In-band sink notices lost because too many were queued.
    pub notices_lost: u64,
}

impl Stats {
    /// Total events lost, for any reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_ring_full + self.dropped_after_shutdown
    }
}

/// Reads all counters.
pub fn stats() -> Stats {
    Stats {
        events_read: EVENTS_READ.load(Relaxed),
        events_written: EVENTS_WRITTEN.load(Relaxed),
        dropped_ring_full: DROPPED_RING_FULL.load(Relaxed),
        dropped_after_shutdown: DROPPED_AFTER_SHUTDOWN.load(Relaxed),
        drop_reports: DROP_REPORTS.load(Relaxed),
        sink_errors: SINK_ERRORS.load(Relaxed),
        oversized_events: OVERSIZED.load(Relaxed),
        ring_high_water_bytes: RING_HIGH_WATER.load(Relaxed),
        lanes_registered: LANES_REGISTERED.load(Relaxed),
        files_reopened: FILES_REOPENED.load(Relaxed),
        files_replaced: FILES_REPLACED.load(Relaxed),
        files_truncated: FILES_TRUNCATED.load(Relaxed),
        file_lines_lost: FILE_LINES_LOST.load(Relaxed),
        sink_panics: SINK_PANICS.load(Relaxed),
        sinks_disabled: SINKS_DISABLED.load(Relaxed),
        notices_lost: NOTICES_LOST.load(Relaxed),
    }
}
