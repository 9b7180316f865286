//! `narrate demo`: the file holds exactly the events the summary reports
//! written, every line is valid JSON, nothing is dropped.

use std::process::Command;

#[test]
fn demo_summary_matches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args([
            "demo",
            "--events",
            "20000",
            "--terminal-level",
            "error",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let number = |label: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` in:\n{stdout}"));
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    assert_eq!(number("events emitted"), 20_000);
    assert_eq!(number("events written"), 20_000);
    assert_eq!(number("events dropped"), 0);
    assert!(stdout.contains("caller latency      median"));

    let text = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let mut errors_with_chains = 0;
    let mut lines = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        if v["level"] == "error" {
            assert_eq!(v["fields"]["err"]["sources"].as_array().unwrap().len(), 2);
            errors_with_chains += 1;
        }
        lines += 1;
    }
    assert_eq!(lines, 20_000);
    assert!(
        errors_with_chains > 0,
        "the demo narrates failures with source chains"
    );
    // The terminal got only what --terminal-level let through.
    assert!(stdout.lines().filter(|l| l.contains(" INFO ")).count() == 0);
}
