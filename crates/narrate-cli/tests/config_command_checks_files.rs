//! `narrate config example` prints a file that `narrate config check`
//! accepts; a bad file exits 1 with the line, column and key.

use std::process::Command;

fn narrate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(args)
        .output()
        .expect("run narrate")
}

#[test]
fn the_example_checks_and_a_bad_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let example = narrate(&["config", "example"]);
    assert!(example.status.success());
    let path = dir.path().join("narrate.toml");
    std::fs::write(&path, &example.stdout).unwrap();
    let check = narrate(&["config", "check", path.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let effective = String::from_utf8(check.stdout).unwrap();
    assert!(
        effective.contains("valid. Effective configuration"),
        "{effective}"
    );
    assert!(effective.contains("[redaction.detectors]"), "{effective}");
    assert!(effective.contains("name = \"main\""), "{effective}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "level = \"info\"\n\n[[sinks]]\nkind = \"stdot\"\n").unwrap();
    let check = narrate(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let err = String::from_utf8(check.stderr).unwrap();
    assert!(err.contains("bad.toml:4:8: `sinks[0].kind`"), "{err}");
    assert!(err.contains("did you mean `stdout`?"), "{err}");
}
