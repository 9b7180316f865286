//! Runtime filtering: the global level, `set_filter` directives with
//! actions, and malformed directives that change nothing.

use narrate::{Capture, Config, Level};

mod db {
    pub fn log() {
        narrate::debug!("db debug");
        narrate::trace!("db trace");
    }
}

fn emit_all() {
    narrate::debug!("root debug");
    narrate::info!("root info");
    narrate::warn!("root warn");
    narrate::trace!(action = "dispatch", "dispatch trace");
    db::log();
}

fn humans(capture: &Capture) -> Vec<String> {
    narrate::flush();
    let h = capture.events().into_iter().map(|e| e.human).collect();
    capture.clear();
    h
}

#[test]
fn directives_select_call_sites_and_bad_ones_change_nothing() {
    let capture = Capture::new();
    let _guard = narrate::init(
        Config::new()
            .filter("info,runtime_filters::db=debug")
            .sink(&capture)
            .env_filter(false),
    )
    .unwrap();

    emit_all();
    assert_eq!(humans(&capture), ["root info", "root warn", "db debug"]);

    narrate::set_filter("warn,[dispatch]=trace").unwrap();
    emit_all();
    assert_eq!(humans(&capture), ["root warn", "dispatch trace"]);

    let err = narrate::set_filter("info,runtime_filters::db=loud").unwrap_err();
    assert_eq!(err.directive, "runtime_filters::db=loud");
    assert!(err.to_string().contains("unknown level `loud`"), "{err}");
    emit_all();
    assert_eq!(
        humans(&capture),
        ["root warn", "dispatch trace"],
        "previous filter kept"
    );

    narrate::set_level(Level::Debug);
    emit_all();
    assert_eq!(
        humans(&capture),
        [
            "root debug",
            "root info",
            "root warn",
            "dispatch trace",
            "db debug"
        ]
    );

    narrate::set_filter("off").unwrap();
    emit_all();
    assert!(humans(&capture).is_empty());
}
