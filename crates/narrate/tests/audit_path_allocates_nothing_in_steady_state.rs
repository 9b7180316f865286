//! The audit path allocates nothing after warm-up: not `audit!` on the
//! caller, not the hash-chained `AuditFile` on the backend (encoding, SHA-256,
//! buffered writes and fsync every 1 000 records), not `audit_slow`.

use std::cell::Cell;
use std::sync::atomic::Ordering;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{MINE, TOTAL};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

fn emit(i: u64) {
    narrate::audit!(
        Access,
        principal = "alice",
        operation = "read",
        outcome = "allowed",
        document = i,
        bytes = 4096u32
    );
}

#[test]
fn twenty_thousand_audit_events_allocate_nothing_after_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.audit");
    let file = narrate::audit::AuditFile::open(
        &path,
        narrate::audit::Durability::EveryRecords(1000),
        narrate::audit::OnSyncError::Continue,
    )
    .unwrap();
    let status = file.status();
    let _guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Mute)
            .audit(file)
            .panic_hook(false),
    )
    .unwrap();

    for i in 0..20_000 {
        emit(i);
    }
    narrate::flush();

    let total_before = TOTAL.load(Ordering::SeqCst);
    let mine_before = MINE.with(Cell::get);
    for i in 0..20_000 {
        emit(i);
        std::hint::black_box(narrate::audit_slow(
            "noop",
            std::time::Duration::from_secs(3600),
            || i,
        ));
    }
    narrate::flush();
    let caller = MINE.with(Cell::get) - mine_before;
    let all = TOTAL.load(Ordering::SeqCst) - total_before;
    let backend = all - caller;

    assert_eq!(caller, 0, "caller-thread allocations");
    assert_eq!(
        backend, 0,
        "backend allocations (all threads but the caller)"
    );
    assert_eq!(status.synced_seq(), 40_000);
    assert!(!status.suspect());
    narrate::shutdown();
    let bytes = std::fs::read(&path).unwrap();
    let v = narrate::audit::verify(&bytes).unwrap();
    assert_eq!((v.damage, v.intact_records), (None, 40_000));
}
