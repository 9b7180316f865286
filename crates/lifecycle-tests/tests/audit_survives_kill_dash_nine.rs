//! A child auditing with fsync every 64 records is killed with SIGKILL
//! mid-stream, 20 times, each time appending to the same file. After each
//! kill, opening the file repairs a torn tail (if the kill left one), the
//! whole file verifies, and every record the child had reported synced is
//! there, in order.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use narrate::audit::{AuditFile, Durability, OnSyncError, read_records, verify};

#[test]
fn twenty_kills_lose_no_synced_record_and_leave_a_verifiable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.audit");
    let mut reported_max = 0u64;
    for round in 0..20u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_audit-child"))
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill after a varying number of reports, so kills land at different points.
        let reports = 2 + round % 5;
        let mut reported = 0u64;
        for _ in 0..reports {
            let line = lines.next().expect("a report").unwrap();
            reported = line.strip_prefix("synced ").unwrap().parse().unwrap();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reported_max = reported_max.max(reported);

        // Opening repairs a torn tail, if any; then everything verifies.
        drop(AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue).unwrap());
        let bytes = std::fs::read(&path).unwrap();
        let v = verify(&bytes).unwrap();
        assert_eq!(v.damage, None, "round {round}");
        assert!(
            v.intact_records >= reported_max,
            "round {round}: {} records, {reported_max} were reported synced",
            v.intact_records
        );
        let recs = read_records(&bytes).unwrap();
        assert!(recs.iter().enumerate().all(|(i, r)| r.seq == i as u64 + 1));
    }
    assert!(reported_max > 0, "the children reported synced records");
}
