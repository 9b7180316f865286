//! The real `log` crate with the narrate bridge installed: levels, targets,
//! messages and typed key-values arrive; a second logger cannot be
//! installed, so nothing is written twice.

use narrate::{Capture, Config, Level};

#[test]
fn log_records_keep_levels_targets_and_typed_key_values() {
    let capture = Capture::new();
    let _guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .sink(&capture)
            .env_filter(false),
    )
    .unwrap();
    narrate_tracing::log_bridge::init(log::LevelFilter::Trace).unwrap();
    assert!(
        narrate_tracing::log_bridge::init(log::LevelFilter::Trace).is_err(),
        "a second logger is refused"
    );

    let user = "ann";
    log::info!("plain message");
    log::warn!(target: "db", attempts = 3, latency_ms = 1.5, ok = false, who = user; "retrying {}", user);
    log::debug!("formatted {} and {:?}", 5, "x");
    log::error!(code = -2i64; "failed");
    narrate::flush();
    let ev = capture.events();
    assert_eq!(ev.len(), 4);
    let j: Vec<serde_json::Value> = ev
        .iter()
        .map(|e| serde_json::from_str(&e.json).unwrap())
        .collect();
    assert_eq!(
        (ev[0].level, ev[0].human.as_str()),
        (Level::Info, "plain message")
    );
    assert_eq!((ev[1].level, ev[1].actor), (Level::Warn, "db"));
    assert_eq!(ev[1].human, "retrying ann");
    assert_eq!(j[1]["fields"]["attempts"], 3);
    assert_eq!(j[1]["fields"]["latency_ms"], 1.5);
    assert_eq!(j[1]["fields"]["ok"], false);
    assert_eq!(j[1]["fields"]["who"], "ann");
    assert_eq!(ev[2].human, "formatted 5 and \"x\"");
    assert_eq!(ev[2].level, Level::Debug);
    assert_eq!(j[3]["fields"]["code"], -2);
    assert_eq!(ev[3].level, Level::Error);
}
