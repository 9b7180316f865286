//! Audit events pass a level filter that mutes everything else, and block on
//! a full ring even when the configured policy drops: with a 4 KiB ring and
//! `DropNewest` everywhere, every one of 20 000 audit events reaches the file
//! while ordinary events are being dropped.

use narrate::audit::{AuditFile, Durability, OnSyncError, read_records};
use narrate::{Config, FullRingPolicy, Level};

#[test]
fn twenty_thousand_audit_events_survive_a_tiny_dropping_ring_and_a_muting_filter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.audit");
    let events = dir.path().join("events.jsonl");
    let file =
        AuditFile::open(&path, Durability::EveryRecords(1000), OnSyncError::Continue).unwrap();
    let status = file.status();
    let mut config = Config::new()
        .level(Level::Mute)
        .ring_bytes(4096)
        .on_full_ring(FullRingPolicy::DropNewest)
        .sink(narrate::FileSink::new(&events))
        .audit(file)
        .audit_to_all_sinks(true);
    for level in Level::ALL {
        config = config.on_full_ring_for(level, FullRingPolicy::DropNewest);
    }
    let guard = narrate::init(config).unwrap();
    const N: u64 = 20_000;
    for i in 0..N {
        narrate::audit!(
            Change,
            principal = "ops",
            operation = "set_limit",
            outcome = "ok",
            limit = i,
            reason = "a payload long enough to fill a 4 KiB ring within a few dozen events"
        );
        narrate::error!("muted by the filter {i}");
    }
    narrate::flush();
    assert_eq!(status.synced_seq(), N);
    drop(guard);
    let recs = read_records(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(recs.len() as u64, N);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(
            r.field("limit"),
            Some(&narrate::audit::RecordValue::U64(i as u64))
        );
        assert_eq!(r.text("kind"), Some("change"));
    }
    // audit_to_all_sinks: the ordinary file got every audit event, at Info,
    // and nothing else (the filter mutes error!).
    let lines = std::fs::read_to_string(&events).unwrap();
    assert_eq!(lines.lines().count() as u64, N);
    assert!(
        lines.lines().all(|l| l.contains("set_limit by ops: ok")),
        "{}",
        lines.lines().next().unwrap()
    );
}
