//! A real full disk that frees up again: a 64 KiB tmpfs is mounted, the log
//! file filled to exactly one page, the rest of the file system filled.
//! Every write then fails with ENOSPC: each lost line is counted and the
//! first failure reported in-band; once the filler is deleted, writing
//! resumes by itself and reports how many lines were lost.
//!
//! Mounting needs root (CAP_SYS_ADMIN), as CI and the development machine
//! have; elsewhere the test says so on stderr and checks nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use narrate::{Capture, FileSink};

const N: usize = 50;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn lines_lost_to_a_full_disk_are_counted_and_writing_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mnt) = Tmpfs::mount(dir.path(), "64k") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); full-disk test not run");
        return;
    };
    let log = mnt.0.join("app.jsonl");
    // One page exactly, so the file has no slack left in its last page.
    let mut pad = format!("{{\"pad\":\"{}\"}}", "x".repeat(4096 - 11));
    pad.push('\n');
    assert_eq!(pad.len(), 4096);
    fs::write(&log, &pad).unwrap();

    let capture = Capture::new();
    let _guard = narrate::init(
        narrate::Config::new()
            // Unbuffered: one write per line, so losses are per line.
            .sink(FileSink::new(&log).buffer_bytes(1))
            .sink(&capture)
            .env_filter(false),
    )
    .unwrap();

    // Fill the rest of the file system.
    let filler_path = mnt.0.join("filler");
    let mut filler = fs::File::create(&filler_path).unwrap();
    let chunk = vec![0u8; 4096];
    let full = loop {
        if let Err(e) = filler.write_all(&chunk) {
            break e;
        }
    };
    assert_eq!(full.raw_os_error(), Some(28), "expected ENOSPC: {full}");
    drop(filler);

    for i in 0..N {
        narrate::info!("while full {i}");
    }
    narrate::flush();
    let stats = narrate::stats();
    // N events and the in-band write_failed notice, which failed too.
    assert_eq!(stats.file_lines_lost, N as u64 + 1, "{stats:?}");
    assert_eq!(stats.sink_errors, N as u64 + 1, "{stats:?}");
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        pad,
        "nothing reached the file"
    );

    fs::remove_file(&filler_path).unwrap();
    for i in 0..N {
        narrate::info!("after {i}");
    }
    narrate::flush();

    let stats = narrate::stats();
    assert_eq!(stats.file_lines_lost, N as u64 + 1, "{stats:?}");
    assert_eq!(stats.events_written, 2 * N as u64, "{stats:?}");
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    let after = lines
        .iter()
        .filter(|v| v["actor"] != "narrate" && v["human"].as_str().unwrap().starts_with("after "))
        .count();
    assert_eq!(after, N);
    assert!(!text.contains("while full"));
    let resumed: Vec<_> = lines
        .iter()
        .filter(|v| v["action"] == "write_resumed")
        .collect();
    assert_eq!(resumed.len(), 1, "the resumed notice is in the file");
    assert_eq!(resumed[0]["fields"]["count"], N as u64 + 1);
    assert_eq!(lines.len(), N + 1);

    // The capture sink saw everything, with both notices.
    let events = capture.events();
    assert_eq!(
        events.iter().filter(|e| e.actor != "narrate").count(),
        2 * N
    );
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.action == "write_failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].human.contains("No space left on device"),
        "{}",
        failed[0].human
    );
    assert_eq!(
        failed[0].field("sink"),
        Some(log.display().to_string().as_str())
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "write_resumed")
            .count(),
        1
    );
}
