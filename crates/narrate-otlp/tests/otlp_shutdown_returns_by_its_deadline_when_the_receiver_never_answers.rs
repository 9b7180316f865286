//! A receiver that accepts the request and never answers: shutdown still
//! returns by its deadline and reports every record as unsent.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::Scripted;

#[test]
fn otlp_shutdown_returns_by_its_deadline_when_the_receiver_never_answers() {
    let rx = Scripted::start(r#"[{"hang": true}, {"hang": true}, {"hang": true}]"#);
    let otlp = OtlpExporter::new(&rx.endpoint())
        .request_timeout(Duration::from_secs(30))
        .max_batch(60)
        .shutdown_timeout(Duration::from_secs(1))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();
    for seq in 0..100u64 {
        narrate::info!(seq, "event {seq}");
    }
    narrate::flush();
    let reqs = rx.wait_requests(1);
    assert_eq!(reqs[0].bodies.len(), 60, "the first batch is in flight");

    let started = Instant::now();
    drop(guard);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    let report = handle.shutdown_report().unwrap();
    assert!(!report.finished_in_time);
    assert_eq!(report.unsent, 100, "{report:?}");
    assert_eq!(report.stats.sent, 0);
    assert!(report.last_error.unwrap().contains("had not answered"));
}
