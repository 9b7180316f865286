//! A child process for the audit kill -9 test: appends audit events to the
//! file given as the first argument (fsync every 64 records) forever, and
//! after every 256 events prints `synced N`, the last sequence number the
//! audit sink reports durable. The test kills it with SIGKILL mid-stream.

use std::io::Write;

use narrate::audit::{AuditFile, Durability, OnSyncError};

fn main() {
    let path = std::env::args().nth(1).expect("path");
    let file = AuditFile::open(&path, Durability::EveryRecords(64), OnSyncError::Stop)
        .expect("open the audit file");
    let status = file.status();
    let _guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Mute)
            .audit(file),
    )
    .expect("init");
    let mut stdout = std::io::stdout();
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
