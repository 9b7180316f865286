//! `narrate verify`: exit 0 on an intact file, 1 with the record and kind on
//! a damaged one, 2 on a missing, empty or foreign file; `--json` says the
//! same in one object.

use std::path::Path;
use std::process::Command;

use narrate::audit::{AuditFile, Durability, OnSyncError};

fn verify(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn verify_reports_intact_damaged_and_unreadable_files_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail.audit");
    let file = AuditFile::open(&trail, Durability::EveryRecord, OnSyncError::Stop).unwrap();
    let guard = narrate::init(narrate::Config::new().audit(file)).unwrap();
    for user in ["ann", "bob", "cy", "dee"] {
        narrate::audit!(
            Security,
            principal = user,
            operation = "login",
            outcome = "ok"
        );
    }
    drop(guard);
    let p = |f: &Path| f.to_str().unwrap().to_owned();

    let (code, out, _) = verify(&[&p(&trail)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact, 4 records"), "{out}");

    let mut bytes = std::fs::read(&trail).unwrap();
    bytes.extend_from_slice(b"tail");
    let damaged = dir.path().join("damaged.audit");
    std::fs::write(&damaged, &bytes).unwrap();
    let (code, out, _) = verify(&[&p(&damaged)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("record 5") && out.contains("extra_bytes"),
        "{out}"
    );
    let (code, out, _) = verify(&["--json", &p(&damaged)]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["status"], "damaged");
    assert_eq!(json["damage"], "extra_bytes");
    assert_eq!(json["record"], 5);
    assert_eq!(json["intact_records"], 4);

    let (code, _, err) = verify(&[&p(&dir.path().join("missing.audit"))]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let empty = dir.path().join("empty.audit");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, err) = verify(&[&p(&empty)]);
    assert_eq!(code, 2);
    assert!(err.contains("empty"), "{err}");
    let foreign = dir.path().join("app.log");
    std::fs::write(&foreign, b"2026-01-01 INFO started\n").unwrap();
    let (code, out, _) = verify(&["--json", &p(&foreign)]);
    assert_eq!(code, 2);
    assert!(out.contains("not a narrate audit file"), "{out}");
    let (code, _, _) = verify(&[]);
    assert_eq!(code, 2, "a missing argument is a usage error");
}
