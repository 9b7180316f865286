//! Real child processes write 100 000 events and then end in four different
//! ways; every event must be in the file each time.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn child_events(path: &Path) -> (usize, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut events = 0;
    let mut others = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        if v["human"].as_str().unwrap_or("").starts_with("child event") {
            events += 1;
        } else {
            others.push(v);
        }
    }
    (events, others)
}

fn run(mode: &str) -> (std::process::ExitStatus, usize, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_lifecycle-child"))
        .args([mode, path.to_str().unwrap()])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let (n, others) = child_events(&path);
    (status, n, others)
}

#[test]
fn returning_from_main_writes_everything() {
    let (status, n, _) = run("return");
    assert!(status.success());
    assert_eq!(n, 100_000);
}

#[test]
fn a_panic_writes_everything_and_the_panic_itself() {
    let (status, n, others) = run("panic");
    assert!(!status.success());
    assert_eq!(n, 100_000);
    let panic = others
        .iter()
        .find(|v| v["action"] == "panic")
        .expect("the panic is logged");
    assert_eq!(panic["level"], "fatal");
    assert!(
        panic["human"]
            .as_str()
            .unwrap()
            .contains("deliberate panic after 100000 events")
    );
}

#[test]
fn shutdown_then_process_exit_writes_everything() {
    let (status, n, _) = run("exit");
    assert_eq!(status.code(), Some(3));
    assert_eq!(n, 100_000);
}

#[test]
fn sigterm_with_handling_on_writes_everything() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lifecycle-child"))
        .args(["sigterm", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    // It still dies of SIGTERM, after flushing.
    assert_eq!(status.signal(), Some(15), "{status:?}");
    let (n, others) = child_events(&path);
    assert_eq!(n, 100_000);
    assert!(others.iter().any(|v| v["action"] == "signal"));
}

#[test]
fn narrate_log_filters_and_a_malformed_value_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("quiet.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_lifecycle-child"))
        .args(["return", quiet.to_str().unwrap()])
        .env("NARRATE_LOG", "warn")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        child_events(&quiet).0,
        0,
        "info events filtered out by NARRATE_LOG=warn"
    );

    let bad = dir.path().join("bad.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_lifecycle-child"))
        .args(["return", bad.to_str().unwrap()])
        .env("NARRATE_LOG", "info,db=loud")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NARRATE_LOG ignored: invalid filter directive `db=loud`"),
        "{stderr}"
    );
    let (n, others) = child_events(&bad);
    assert_eq!(n, 100_000, "the configured filter stays in force");
    assert!(
        others
            .iter()
            .any(|v| v["action"] == "filter" && v["level"] == "warn")
    );
}
