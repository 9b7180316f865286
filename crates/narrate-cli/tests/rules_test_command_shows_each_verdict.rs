//! `narrate rules test RULES EVENTS.jsonl` on real files: one verdict per
//! event, bad lines named and skipped, per-rule counts, and a rules file that
//! does not compile refused with its reason and exit status 2.

use std::process::Command;

#[test]
fn each_event_gets_its_verdict_and_each_rule_its_counts() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &rules,
        r#"unmatched = "main"
[[rule]]
name = "drop debug"
when = { level = ["debug"] }
action = "drop"
[[rule]]
name = "hide pw"
when = { field = "fields.pw", regex = "." }
action = "redact"
fields = ["fields.pw"]
"#,
    )
    .unwrap();
    std::fs::write(
        &events,
        "{\"level\":\"debug\"}\n{\"level\":\"info\",\"fields\":{\"pw\":\"x\"}}\nnope\n{\"level\":\"info\"}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["rules", "test"])
        .arg(&rules)
        .arg(&events)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1: drop debug: drop");
    assert_eq!(
        lines[1],
        "2: hide pw: → main {\"fields\":{\"pw\":\"[redacted]\"},\"level\":\"info\"}"
    );
    assert!(lines[2].starts_with("3: not JSON"));
    assert_eq!(lines[3], "4: no rule: → main");
    assert!(
        text.ends_with("drop debug\t1\t1\nhide pw\t1\t0\n"),
        "{text}"
    );
}

#[test]
fn a_rules_file_that_does_not_compile_is_refused_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"r\"\nwhen = { field = \"x\", regex = \"(\" }\naction = \"drop\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["rules", "test"])
        .arg(&rules)
        .arg("/dev/null")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("rule \"r\": regex"), "{err}");
}
