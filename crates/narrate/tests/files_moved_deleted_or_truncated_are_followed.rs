//! Log files changed from outside a running process, with real files and a
//! real SIGHUP:
//!
//! * deleted, and moved away with no signal: detected at the next check
//!   (every 20 ms here) and reopened, counted, reported in-band;
//! * `copytruncate` (copy, then truncate to 0): detected, reported, and the
//!   next lines land at the start of the emptied file (no hole of zeros);
//! * `create` mode (move away, then `narrate::reopen()` or SIGHUP with
//!   `reopen_on_sighup`): everything before the request is in the moved
//!   file, everything after it in the new one.
//!
//! Every line is counted: none lost, none duplicated, none misplaced.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use narrate::{Capture, FileSink, Level};

const N: usize = 100;

/// User events (not narrate's notices) in `path` whose text starts with `prefix`.
fn user_lines(path: &Path, prefix: &str) -> usize {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!text.contains('\0'), "{} has a hole", path.display());
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON event per line"))
        .filter(|v| v["actor"] != "narrate")
        .filter(|v| v["human"].as_str().unwrap().starts_with(prefix))
        .count()
}

fn emit(phase: &str) {
    for i in 0..N {
        narrate::info!("{phase} {i}");
    }
    narrate::flush();
}

fn wait_until(what: &str, done: impl Fn(&narrate::Stats) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&narrate::stats()) {
        assert!(Instant::now() < deadline, "{what}: {:?}", narrate::stats());
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn deleted_moved_truncated_and_rotated_files_lose_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let fast = Duration::from_millis(20);
    let capture = Capture::new();
    let _guard = narrate::init(
        narrate::Config::new()
            // Only reopened on request: its check interval never comes.
            .sink(FileSink::new(path("created.jsonl")).check_interval(Duration::from_secs(3600)))
            .sink(FileSink::new(path("deleted.jsonl")).check_interval(fast))
            .sink(FileSink::new(path("moved.jsonl")).check_interval(fast))
            .sink(FileSink::new(path("truncated.jsonl")).check_interval(fast))
            .sink(&capture)
            .reopen_on_sighup(true)
            .env_filter(false),
    )
    .unwrap();

    emit("one");

    // From outside: delete one, move one away, copytruncate one.
    fs::remove_file(path("deleted.jsonl")).unwrap();
    fs::rename(path("moved.jsonl"), path("moved.jsonl.old")).unwrap();
    fs::copy(path("truncated.jsonl"), path("truncated.jsonl.1")).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(path("truncated.jsonl"))
        .unwrap()
        .set_len(0)
        .unwrap();
    wait_until("deletion, move and truncation detected", |s| {
        s.files_replaced == 2 && s.files_truncated == 1
    });
    emit("two");

    assert_eq!(user_lines(&path("deleted.jsonl"), "two "), N);
    assert_eq!(user_lines(&path("deleted.jsonl"), "one "), 0);
    assert_eq!(user_lines(&path("moved.jsonl.old"), "one "), N);
    assert_eq!(user_lines(&path("moved.jsonl.old"), "two "), 0);
    assert_eq!(user_lines(&path("moved.jsonl"), "two "), N);
    assert_eq!(user_lines(&path("truncated.jsonl.1"), "one "), N);
    assert_eq!(user_lines(&path("truncated.jsonl"), "one "), 0);
    assert_eq!(user_lines(&path("truncated.jsonl"), "two "), N);
    // The truncated file starts with a whole line, at offset 0.
    assert!(
        fs::read_to_string(path("truncated.jsonl"))
            .unwrap()
            .starts_with("{\"ts\"")
    );

    // create mode, by call: move away, reopen().
    fs::rename(path("created.jsonl"), path("created.jsonl.1")).unwrap();
    narrate::reopen();
    assert_eq!(
        narrate::stats().files_reopened,
        4,
        "every file sink reopened"
    );
    emit("three");

    // create mode, by signal: move away, SIGHUP.
    fs::rename(path("created.jsonl"), path("created.jsonl.2")).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_until("SIGHUP reopened the files", |s| s.files_reopened == 8);
    emit("four");

    for (file, phases) in [
        ("created.jsonl.1", ["one ", "two "]),
        ("created.jsonl.2", ["three ", "three "]),
        ("created.jsonl", ["four ", "four "]),
    ] {
        for phase in ["one ", "two ", "three ", "four "] {
            let expected = if phases.contains(&phase) { N } else { 0 };
            assert_eq!(user_lines(&path(file), phase), expected, "{file}, {phase}");
        }
    }

    let stats = narrate::stats();
    assert_eq!(stats.files_replaced, 2, "{stats:?}");
    assert_eq!(stats.files_truncated, 1, "{stats:?}");
    assert_eq!(stats.files_reopened, 8, "{stats:?}");
    assert_eq!(stats.file_lines_lost, 0, "{stats:?}");
    assert_eq!(stats.events_written, 4 * N as u64, "{stats:?}");

    // In-band: what happened, to which file.
    let notices: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.actor == "narrate")
        .collect();
    let sink_of = |action: &str, level: Level, text: &str| -> Vec<String> {
        notices
            .iter()
            .filter(|e| e.action == action && e.level == level && e.human.contains(text))
            .map(|e| e.field("sink").unwrap().to_owned())
            .collect()
    };
    let name = |f: &str| path(f).display().to_string();
    assert_eq!(
        sink_of("reopen", Level::Warn, "was deleted"),
        [name("deleted.jsonl")]
    );
    assert_eq!(
        sink_of("reopen", Level::Warn, "moved away"),
        [name("moved.jsonl")]
    );
    assert_eq!(
        sink_of("truncated", Level::Warn, "shrank"),
        [name("truncated.jsonl")]
    );
    assert_eq!(
        sink_of("reopen", Level::Info, "reopened on request").len(),
        8
    );
    assert_eq!(notices.len(), 2 + 1 + 8, "{notices:#?}");
}
