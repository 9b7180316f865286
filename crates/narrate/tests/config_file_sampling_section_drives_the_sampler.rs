//! A `[sampling]` section in narrate.toml reaches the running samplers: the
//! rule it names suppresses exactly what it should, its always-keep actor is
//! never sampled, and the in-band report interval it sets is used.

use std::time::Duration;

use narrate::{Capture, Config};

#[test]
fn the_file_s_rules_sample_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("narrate.toml");
    std::fs::write(
        &path,
        r#"
level = "info"
env_filter = false
panic_hook = false

[sampling]
report_interval = "10ms"
always_keep_actors = ["billing"]

[[sampling.rules]]
max_level = "info"
first = 3
every = 10
interval = "3600s"
"#,
    )
    .unwrap();
    let capture = Capture::new();
    let _guard = narrate::init(Config::from_file(&path).unwrap().sink(&capture)).unwrap();
    for i in 0..1003u32 {
        narrate::info!(actor = "poller", "tick {i}");
        narrate::info!(actor = "billing", "charge {i}");
        narrate::warn!(actor = "poller", "slow tick {i}");
    }
    narrate::flush();
    std::thread::sleep(Duration::from_millis(40));
    narrate::flush();

    let events = capture.events();
    let count = |actor: &str, level: narrate::Level| {
        events
            .iter()
            .filter(|e| e.actor == actor && e.level == level)
            .count()
    };
    // 3 first, then every 10th of the other 1 000: 100 more.
    assert_eq!(count("poller", narrate::Level::Info), 103);
    assert_eq!(count("billing", narrate::Level::Info), 1003);
    // max_level = "info": warn is outside the rule.
    assert_eq!(count("poller", narrate::Level::Warn), 1003);
    let reported: u64 = events
        .iter()
        .filter(|e| e.action == "suppressed" && e.field("like_actor") == Some("poller"))
        .map(|e| e.field("suppressed").unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(reported, 900);
}
