//! `narrate demo | head -1`: the reader goes away after one line. The demo
//! must exit 0 with no panic message, the stdout sink is disabled (counted
//! and reported in-band in the file), and the file still gets every event.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn demo_piped_into_head_exits_zero_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["demo", "--events", "20000", "--out"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe, as `head -1` does.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}, stderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    let text = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let (mut events, mut disabled) = (0, 0);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["actor"] == "narrate" {
            assert_eq!(v["action"], "sink_disabled", "{line}");
            assert_eq!(v["fields"]["sink"], "stdout");
            disabled += 1;
        } else {
            events += 1;
        }
    }
    assert_eq!(events, 20_000);
    assert_eq!(disabled, 1);
}
