//! A receiver answering 429 with `Retry-After: 1`, then 503, then 200: the
//! same batch is sent three times, the second attempt no sooner than the
//! second the receiver asked for, and then counted once as sent.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::Scripted;

#[test]
fn otlp_retries_429_after_retry_after_and_503_with_backoff() {
    let rx = Scripted::start(r#"[{"status": 429, "retry_after": 1}, {"status": 503}]"#);
    let otlp = OtlpExporter::new(&rx.endpoint())
        .gzip(true)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();
    for seq in 0..10u64 {
        narrate::info!(seq, "event {seq}");
    }
    narrate::flush();
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.stats().sent < 10 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(10));
    }
    let reqs = rx.wait_requests(3);
    assert_eq!(reqs.len(), 3);
    let expected: Vec<String> = (0..10).map(|i| format!("event {i}")).collect();
    for r in &reqs {
        assert_eq!(r.bodies, expected, "the same batch each time");
        assert_eq!(r.severities, vec![9; 10]);
        assert!(r.gzip);
    }
    assert!(
        reqs[1].time - reqs[0].time >= 0.95,
        "Retry-After: 1 honoured: {reqs:?}"
    );
    drop(guard);
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.stats.sent, 10);
    assert_eq!(report.stats.requests, 3);
    assert_eq!(report.stats.retries, 2);
    assert_eq!(report.stats.failed, 0);
    assert_eq!(report.unsent, 0);
}
