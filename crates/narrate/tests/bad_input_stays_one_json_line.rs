//! Hostile input never breaks the output: one valid JSON line per event,
//! whatever the strings hold, however large. A failing sink is counted and
//! does not stop the others. A bad path fails `init` with a clear error.

use narrate::{Config, FileSink, Level};

#[test]
fn unwritable_path_is_a_clear_init_error() {
    let err =
        narrate::init(Config::new().sink(FileSink::new("/proc/narrate-cannot-write/events.jsonl")))
            .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cannot open log file `/proc/narrate-cannot-write/events.jsonl`"),
        "{text}"
    );
}

#[test]
fn hostile_strings_huge_messages_and_a_full_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let _guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .sink(FileSink::new(&path))
            // Every write to /dev/full fails with ENOSPC.
            .sink(FileSink::new("/dev/full").buffer_bytes(1))
            .ring_bytes(64 * 1024)
            .panic_hook(false),
    )
    .unwrap();

    let huge = "x".repeat(1 << 20);
    let invalid: &[u8] = b"ok \xff\xfe\xc3\x28 bytes";
    let nasty = "line1\nline2\r\"quoted\" \\back\\ \t tab \u{7} bell \u{1b}[31m ansi \u{2028} ls \u{2029} ps \u{202e} bidi";
    narrate::info!("huge message follows", body = huge.as_str());
    narrate::info!("invalid utf-8 in bytes", raw = invalid);
    narrate::warn!("nasty {nasty}", nasty);
    narrate::error!(action = "x\ny", "done", value = %nasty);
    narrate::info!("after the bad ones", n = 1u8);
    narrate::flush();

    let text = std::fs::read_to_string(&path).unwrap();
    // The failing /dev/full sink is reported in-band, once, on the good one.
    let (notices, lines): (Vec<&str>, Vec<&str>) = text
        .lines()
        .partition(|l| l.contains("\"actor\":\"narrate\""));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("\"action\":\"write_failed\""));
    assert!(notices[0].contains("\"sink\":\"/dev/full\""));
    assert_eq!(lines.len(), 5, "one line per event");
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        assert!(v.is_object());
        assert!(!line.contains('\u{2028}') && !line.contains('\u{2029}'));
    }
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["fields"]["body"].as_str().unwrap().len(), 1 << 20);
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(
        second["fields"]["raw"],
        "ok \u{FFFD}\u{FFFD}\u{FFFD}( bytes"
    );
    let third: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(third["human"].as_str().unwrap(), format!("nasty {nasty}"));
    assert_eq!(third["fields"]["nasty"].as_str().unwrap(), nasty);

    let stats = narrate::stats();
    assert_eq!(
        stats.oversized_events, 1,
        "the 1 MiB event took the overflow path"
    );
    assert!(
        stats.sink_errors >= 5,
        "every write to /dev/full failed: {stats:?}"
    );
    assert_eq!(stats.events_written, 5);
    // /dev/full lost the 5 events and the notice about itself.
    assert_eq!(stats.file_lines_lost, 6, "{stats:?}");
}
