//! The real `tracing` and `tracing-subscriber` crates, with the narrate
//! layer installed as the global subscriber: events keep their levels,
//! targets and typed fields, and span fields reach the events inside.

use std::sync::{Mutex, OnceLock};

use narrate::{Capture, CapturedEvent, Config, Level};
use tracing_subscriber::layer::SubscriberExt;

fn capture() -> (std::sync::MutexGuard<'static, ()>, &'static Capture) {
    static SETUP: OnceLock<(Capture, narrate::Guard)> = OnceLock::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    let lock = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (capture, _) = SETUP.get_or_init(|| {
        let capture = Capture::new();
        let guard = narrate::init(
            Config::new()
                .level(Level::Trace)
                .sink(&capture)
                .env_filter(false),
        )
        .unwrap();
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(narrate_tracing::layer()),
        )
        .unwrap();
        (capture, guard)
    });
    narrate::flush();
    capture.clear();
    (lock, capture)
}

fn flushed(capture: &Capture) -> Vec<(CapturedEvent, serde_json::Value)> {
    narrate::flush();
    capture
        .events()
        .into_iter()
        .map(|e| {
            let j = serde_json::from_str(&e.json).unwrap_or_else(|err| panic!("{err}: {}", e.json));
            (e, j)
        })
        .collect()
}

#[derive(Debug)]
struct Order {
    #[allow(dead_code)]
    id: u32,
}

#[test]
fn events_keep_levels_targets_and_typed_fields() {
    let (_lock, capture) = capture();
    let order = Order { id: 9 };
    tracing::info!(
        user_id = 42u64,
        ratio = 0.5,
        ok = true,
        name = "bob",
        delta = -3i64,
        "hello {}",
        "world"
    );
    tracing::warn!(target: "payments", ?order, "declined");
    tracing::error!(
        error = &std::io::Error::other("disk full") as &dyn std::error::Error,
        "write failed"
    );
    tracing::debug!(correlation_id = "req-9", "with correlation");
    tracing::trace!("plain");
    let ev = flushed(capture);
    assert_eq!(ev.len(), 5);
    let (e, j) = &ev[0];
    assert_eq!(e.level, Level::Info);
    assert_eq!(e.human, "hello world");
    assert_eq!(j["fields"]["user_id"], 42, "numbers stay numbers");
    assert_eq!(j["fields"]["ratio"], 0.5);
    assert_eq!(j["fields"]["ok"], true);
    assert_eq!(j["fields"]["name"], "bob", "strings are not Debug-quoted");
    assert_eq!(j["fields"]["delta"], -3);
    assert_eq!(j["actor"], module_path!(), "the target is narrate's actor");
    let (e, j) = &ev[1];
    assert_eq!(
        (e.level, e.actor, e.human.as_str()),
        (Level::Warn, "payments", "declined")
    );
    assert_eq!(j["fields"]["order"], "Order { id: 9 }");
    assert_eq!(ev[2].1["fields"]["error"]["message"], "disk full");
    assert_eq!(ev[3].1["correlation_id"], "req-9");
    assert_eq!(ev[4].0.level, Level::Trace);
}

#[test]
fn span_fields_reach_the_events_inside_outermost_first() {
    let (_lock, capture) = capture();
    let request = tracing::info_span!("request", method = "GET", id = 7u64);
    let _r = request.enter();
    tracing::info_span!("db", table = "orders").in_scope(|| {
        tracing::info!(rows = 3u64, "queried");
    });
    drop(_r);
    tracing::info!("outside");
    let ev = flushed(capture);
    let j = &ev[0].1;
    assert_eq!(j["spans"][0]["name"], "request");
    assert_eq!(j["spans"][0]["fields"]["method"], "GET");
    assert_eq!(j["spans"][0]["fields"]["id"], 7);
    assert_eq!(j["spans"][1]["name"], "db");
    assert_eq!(j["spans"][1]["fields"]["table"], "orders");
    assert_eq!(j["fields"]["rows"], 3);
    assert!(ev[1].1.get("spans").is_none());
}

#[tracing::instrument(fields(kind = "resize"))]
fn instrumented(job: u64) {
    tracing::info!("working");
}

#[test]
fn instrument_attribute_spans_and_narrate_macros_share_the_context() {
    let (_lock, capture) = capture();
    instrumented(5);
    let outer = tracing::info_span!("tracing_outer", a = 1u64);
    outer.in_scope(|| narrate::info!("a narrate event inside a tracing span"));
    let ev = flushed(capture);
    let j = &ev[0].1;
    assert_eq!(j["spans"][0]["name"], "instrumented");
    assert_eq!(j["spans"][0]["fields"]["job"], 5);
    assert_eq!(j["spans"][0]["fields"]["kind"], "resize");
    assert_eq!(ev[1].1["spans"][0]["name"], "tracing_outer");
    assert_eq!(ev[1].0.human, "a narrate event inside a tracing span");
}
