//! A child process for the audit tests.
//!
//! `audit-child PATH`: appends audit events to PATH (fsync every 64 records)
//! forever, printing `synced N` (the last sequence number the audit sink
//! reports durable) after every 256 events; the kill -9 test kills it.
//!
//! `audit-child PATH continue|stop`: run under `ulimit -f` so that writes
//! fail (EFBIG) after a few records: emits 100 events with an fsync per
//! record and the given `OnSyncError`, then prints
//! `suspect S errors E synced N`.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use narrate::audit::{AuditFile, Durability, OnSyncError};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("path");
    let mode = args.next();
    let (durability, on_error) = match mode.as_deref() {
        None => (Durability::EveryRecords(64), OnSyncError::Stop),
        Some("continue") => (Durability::EveryRecord, OnSyncError::Continue),
        Some("stop") => (Durability::EveryRecord, OnSyncError::Stop),
        Some(other) => panic!("unknown mode {other}"),
    };
    if mode.is_some() {
        // Past the file size limit the kernel sends SIGXFSZ (default: die)
        // and the write fails with EFBIG; handling the signal keeps the
        // process alive so the audit sink sees the error.
        signal_hook::flag::register(
            signal_hook::consts::SIGXFSZ,
            Arc::new(AtomicBool::new(false)),
        )
        .expect("SIGXFSZ handler");
    }
    let file = AuditFile::open(&path, durability, on_error).expect("open the audit file");
    let status = file.status();
    let guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Mute)
            .audit(file),
    )
    .expect("init");
    let mut stdout = std::io::stdout();
    if mode.is_some() {
        for i in 0u64..100 {
            narrate::audit!(
                Change,
                principal = "child",
                operation = "write",
                outcome = "ok",
                i = i
            );
        }
        narrate::flush();
        drop(guard);
        writeln!(
            stdout,
            "suspect {} errors {} synced {}",
            status.suspect(),
            status.errors(),
            status.synced_seq()
        )
        .unwrap();
        return;
    }
    for i in 0u64.. {
        narrate::audit!(
            Change,
            principal = "child",
            operation = "write",
            outcome = "ok",
            i = i
        );
        if i % 256 == 255 {
            writeln!(stdout, "synced {}", status.synced_seq()).unwrap();
            stdout.flush().unwrap();
        }
    }
}
