//! Nothing listens at the endpoint: shutdown stops retrying at its deadline,
//! returns, and reports every record as unsent.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;

#[test]
fn otlp_shutdown_with_the_receiver_down_reports_unsent() {
    let port = support::free_port();
    let otlp = OtlpExporter::new(&format!("http://127.0.0.1:{port}"))
        .backoff(Duration::from_millis(50), Duration::from_millis(400))
        .shutdown_timeout(Duration::from_secs(1))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();
    for seq in 0..50u64 {
        narrate::info!(seq, "event {seq}");
    }
    narrate::flush();
    std::thread::sleep(Duration::from_millis(300));
    assert!(handle.stats().retries > 0);

    let started = Instant::now();
    drop(guard);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.unsent, 50, "{report:?}");
    assert_eq!(report.stats.sent, 0);
    assert_eq!(
        report.stats.failed, 0,
        "unsent, not failed: the deadline cut the retries"
    );
    assert!(report.last_error.unwrap().contains("127.0.0.1"));
}
