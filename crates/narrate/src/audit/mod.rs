//! The audit trail: [`audit!`](crate::audit!) events in a hash-chained,
//! append-only file.
//!
//! # Design
//!
//! An audit event is an ordinary narrate event whose call site has
//! `Kind::Audit`. On the caller it costs what an `info!` costs (the same ring,
//! the same encoding) with two differences: its call site is enabled whenever
//! narrate runs (no level filter can turn it off), and it always *blocks* on a
//! full ring, whatever the configured policy, so it is never dropped.
//!
//! Everything else happens on the backend thread, in [`AuditFile`], a
//! [`Sink`](crate::Sink) that only receives audit events (ordinary sinks get
//! them too with [`Config::audit_to_all_sinks`](crate::Config::audit_to_all_sinks)):
//! each record gets the next sequence number, its timestamp, and a SHA-256
//! over the previous record's hash and its own canonical bytes
//! (`docs/audit-format.md`). Hashing on the backend keeps the caller free of
//! it; the price is that an event still in a ring when the process is killed
//! is lost, like any event: durability starts when the record is written,
//! and [`AuditStatus::synced_seq`] says how far it reached.
//!
//! fsync follows [`Durability`]. A failed write or fsync is never retried as
//! if it had worked: the file is marked suspect (on stderr and by a note
//! record in the chain), `synced_seq` stops advancing, and [`OnSyncError`]
//! decides whether the process stops or continues.
//!
//! [`verify`] checks a whole file and names the first damaged record and the
//! kind of damage; `narrate verify FILE` is its command line.

pub mod format;
mod writer;

pub use format::{
    Damage, DamageKind, NotAuditFile, Record, RecordValue, Verification, read_records, verify,
};
pub use writer::{AuditFile, AuditStatus, Durability, OnSyncError};

use crate::config::{Config, SinkSpec, Takes};
use crate::format::Format;

/// The kind of an audit event (the `kind` field of every audit record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    Security,
    Compliance,
    Access,
    Change,
    Performance,
}

impl AuditKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditKind::Security => "security",
            AuditKind::Compliance => "compliance",
            AuditKind::Access => "access",
            AuditKind::Change => "change",
            AuditKind::Performance => "performance",
        }
    }
}

impl Config {
    /// Sends audit events to `file` (see [`AuditFile::open`]). The backend
    /// renders no text line for it (its `line` argument is empty).
    pub fn audit(self, file: AuditFile) -> Config {
        let mut spec = SinkSpec::custom(file, Format::Json);
        spec.takes = Takes::Audit;
        self.sink(spec)
    }

    /// Audit events also go to the ordinary sinks, at Info level (default
    /// off; always on when no audit sink is configured, so that audit events
    /// are never dropped for want of a destination).
    pub fn audit_to_all_sinks(mut self, on: bool) -> Config {
        self.audit_to_all_sinks = on;
        self
    }
}
