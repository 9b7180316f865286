//! With no audit sink configured, audit events are not lost: they go to the
//! ordinary sinks (at Info, whatever the level filter says).

#[test]
fn audit_events_go_to_the_ordinary_file_when_there_is_no_audit_sink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Error)
            .sink(narrate::FileSink::new(&path)),
    )
    .unwrap();
    narrate::audit!(
        Compliance,
        principal = "auditor",
        operation = "export",
        outcome = "ok",
        rows = 12u32
    );
    narrate::info!("filtered out");
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let json: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let s = json.to_string();
    assert!(
        s.contains("\"compliance\"")
            && s.contains("\"auditor\"")
            && s.contains("export by auditor: ok"),
        "{s}"
    );
}
