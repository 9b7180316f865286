//! `partial_success` is counted and reported, not retried; a 400 fails its
//! batch at once, without a retry.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::Scripted;

#[test]
fn otlp_partial_success_and_client_errors_are_counted_not_retried() {
    let rx =
        Scripted::start(r#"[{"partial": 3, "message": "3 records too old"}, {"status": 400}]"#);
    let otlp = OtlpExporter::new(&rx.endpoint())
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();

    for seq in 0..10u64 {
        narrate::info!(seq, "event {seq}");
    }
    narrate::flush();
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.stats().sent + handle.stats().rejected < 10 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(handle.last_error().unwrap().contains("3 records too old"));

    for seq in 10..15u64 {
        narrate::warn!(seq, "event {seq}");
    }
    narrate::flush();
    while handle.stats().failed < 5 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(handle.last_error().unwrap().contains("HTTP 400"));
    // Give a wrong retry the time it would need to show up.
    std::thread::sleep(Duration::from_millis(500));
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[1].severities, vec![13; 5]);

    drop(guard);
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.stats.sent, 7);
    assert_eq!(report.stats.rejected, 3);
    assert_eq!(report.stats.failed, 5);
    assert_eq!(report.stats.retries, 0);
    assert_eq!(report.stats.requests, 2);
    assert_eq!(report.unsent, 0);
}
