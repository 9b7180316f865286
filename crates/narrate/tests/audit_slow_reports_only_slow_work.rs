//! `audit_slow` returns the work's result, and writes an audit/performance
//! record only for the calls slower than their threshold.

use std::time::Duration;

use narrate::audit::{AuditFile, Durability, OnSyncError, RecordValue, read_records};

#[test]
fn only_the_slow_calls_are_audited_with_their_elapsed_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.audit");
    let file = AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue).unwrap();
    let guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Mute)
            .audit(file),
    )
    .unwrap();
    let mut sum = 0u64;
    for i in 0..1000u64 {
        sum += narrate::audit_slow("decode", Duration::from_secs(3600), || i);
    }
    assert_eq!(sum, 999 * 1000 / 2);
    let v = narrate::audit_slow("settle", Duration::from_millis(2), || {
        std::thread::sleep(Duration::from_millis(5));
        "done"
    });
    assert_eq!(v, "done");
    drop(guard);
    let recs = read_records(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(recs.len(), 1, "only the slow call is audited");
    let r = &recs[0];
    assert_eq!(r.text("kind"), Some("performance"));
    assert_eq!(r.text("operation"), Some("settle"));
    assert_eq!(r.text("outcome"), Some("slow"));
    assert_eq!(r.field("threshold_ns"), Some(&RecordValue::U64(2_000_000)));
    match r.field("elapsed_ns") {
        Some(RecordValue::U64(ns)) => assert!(*ns >= 5_000_000, "{ns}"),
        other => panic!("elapsed_ns: {other:?}"),
    }
}
