//! A real `narrate.toml` configures a running pipeline; `reload_config()`
//! and SIGHUP change level and rules at run time; a bad file keeps the old
//! configuration and says why in-band. One process, so one test function.

use std::path::Path;
use std::time::{Duration, Instant};

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn humans(path: &Path) -> Vec<String> {
    lines(path)
        .iter()
        .map(|v| v["human"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn write_config(path: &Path, log: &Path, level: &str, extra: &str) {
    let text = format!(
        r#"
level = "{level}"
reload_on_sighup = true
env_filter = false

[[rules]]
action = "heartbeat"
level = "mute"

{extra}

[[sinks]]
name = "main"
kind = "file"
path = "{}"
format = "json"
"#,
        log.display()
    );
    std::fs::write(path, text).unwrap();
}

mod db {
    pub fn query(n: u64) {
        narrate::debug!(action = "query", "db query {n}");
    }
}

#[test]
fn file_config_runs_reloads_and_survives_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("narrate.toml");
    let log = dir.path().join("logs/app.jsonl");
    let rule =
        "[[rules]]\npath = \"config_file_drives_the_pipeline_and_reloads::db\"\nlevel = \"debug\"";
    write_config(&cfg_path, &log, "info", rule);

    let config = narrate::Config::from_file(&cfg_path).expect("valid file");
    let _guard = narrate::init(config).expect("init");

    // 1. The file's level, rules and sink apply.
    narrate::info!("info 1");
    narrate::debug!("debug 1 (filtered)");
    narrate::info!(action = "heartbeat", "heartbeat 1 (muted)");
    db::query(1);
    narrate::flush();
    assert_eq!(humans(&log), ["info 1", "db query 1"]);

    // 2. A reload to `debug` lets debug through at once; the rule stays.
    write_config(&cfg_path, &log, "debug", rule);
    let reloaded = narrate::reload_config().expect("reload");
    assert!(reloaded.needs_restart.is_empty(), "{reloaded:?}");
    narrate::debug!("debug 2");
    narrate::info!(action = "heartbeat", "heartbeat 2 (muted)");
    narrate::flush();
    let h = humans(&log);
    assert!(
        h.iter()
            .any(|l| l.starts_with("configuration reloaded from")),
        "{h:?}"
    );
    assert_eq!(h.last().unwrap(), "debug 2");

    // 3. A bad file: the error names line and column, the old
    //    configuration (debug) stays, and the log says so.
    std::fs::write(&cfg_path, "level = \"debug\"\nlevle = \"warn\"\n").unwrap();
    let err = narrate::reload_config().unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(1)));
    narrate::debug!("debug 3 (old config kept)");
    narrate::flush();
    let all = lines(&log);
    let failure = all
        .iter()
        .find(|v| v["action"] == "config" && v["level"] == "error")
        .expect("in-band reload failure");
    let text = failure["human"].as_str().unwrap();
    assert!(text.contains("keeping the running configuration"), "{text}");
    assert!(text.contains(":2:1: `levle`: unknown key"), "{text}");
    assert_eq!(humans(&log).last().unwrap(), "debug 3 (old config kept)");

    // 4. A change that needs a restart is applied in part and reported.
    let other_log = dir.path().join("other.jsonl");
    write_config(&cfg_path, &other_log, "debug", rule);
    let reloaded = narrate::reload_config().expect("reload");
    assert_eq!(reloaded.needs_restart, ["sinks"]);
    narrate::flush();
    assert!(
        humans(&log)
            .last()
            .unwrap()
            .contains("changes to sinks take effect at the next start")
    );

    // 5. SIGHUP (opted into in the file) reloads too: back to `warn`.
    write_config(&cfg_path, &log, "warn", rule);
    signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        narrate::flush();
        let reloads = humans(&log)
            .iter()
            .filter(|l| l.starts_with("configuration reloaded from"))
            .count();
        if reloads == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload: {:?}",
            humans(&log)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    narrate::info!("info 4 (filtered after SIGHUP)");
    narrate::warn!("warn 4");
    narrate::flush();
    assert_eq!(humans(&log).last().unwrap(), "warn 4");
    assert!(!humans(&log).iter().any(|l| l.contains("heartbeat")));
}
