//! A write that fails (EFBIG past `ulimit -f`) is never treated as success:
//! with `OnSyncError::Continue` the sink says so on stderr, marks the file
//! suspect, and `synced_seq` stays at the last record really synced; with
//! `OnSyncError::Stop` the process aborts after saying so.

use std::process::Command;

use narrate::audit::verify;

fn run(mode: &str) -> (std::process::Output, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.audit");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 2 && exec '{}' '{}' {mode}",
            env!("CARGO_BIN_EXE_audit-child"),
            path.display()
        ))
        .output()
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (out, bytes)
}

#[test]
fn continue_reports_the_failure_and_freezes_the_synced_sequence() {
    let (out, bytes) = run("continue");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let words: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(words[..2], ["suspect", "true"], "{stdout}");
    let errors: u64 = words[3].parse().unwrap();
    let synced: u64 = words[5].parse().unwrap();
    assert!(errors >= 1, "{stdout}");
    assert!((1..100).contains(&synced), "{stdout}");
    assert!(stderr.contains("the file is marked suspect"), "{stderr}");
    assert!(
        stderr.contains(&format!("records after {synced} may be lost")),
        "{stderr}"
    );
    // Every record reported synced is in the file and chains.
    let v = verify(&bytes).unwrap();
    assert!(
        v.intact_records >= synced,
        "{} < {synced}",
        v.intact_records
    );
}

#[test]
fn stop_aborts_the_process_after_reporting() {
    let (out, bytes) = run("stop");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "the child never reached its report");
    assert!(stderr.contains("stopping the process"), "{stderr}");
    assert!(verify(&bytes).unwrap().intact_records >= 1);
}
