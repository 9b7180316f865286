//! rotel down while more records arrive than the queue holds: the excess is
//! dropped and counted, everything else arrives once rotel is back, and
//! delivered + dropped accounts for every event.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::{Rotel, free_port, wait_for_records};

#[test]
fn otlp_counts_drops_beyond_the_queue_bound_during_an_outage() {
    // Nothing listens on the port yet: the receiver is "down" from the start.
    let port = free_port();
    let otlp = OtlpExporter::new(&format!("http://127.0.0.1:{port}"))
        .backoff(Duration::from_millis(50), Duration::from_millis(300))
        .max_batch(500)
        .queue_capacity(2000)
        .shutdown_timeout(Duration::from_secs(20))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();

    for seq in 0..5000u64 {
        narrate::info!(seq, "event {seq}");
    }
    narrate::flush();
    let stats = handle.stats();
    assert_eq!(stats.enqueued + stats.dropped_queue_full, 5000, "{stats:?}");
    assert_eq!(
        stats.dropped_queue_full, 3000,
        "2000 fit in the queue: {stats:?}"
    );
    std::thread::sleep(Duration::from_millis(500));

    let rotel = Rotel::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.stats().sent < 2000 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(guard);
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.unsent, 0);
    assert_eq!(report.stats.sent, 2000);
    assert_eq!(report.stats.dropped_queue_full, 3000);
    let got: Vec<u64> = wait_for_records(&rotel, 2000)
        .iter()
        .map(|r| {
            r.attr("seq")
                .unwrap()
                .trim_start_matches("Int(")
                .trim_end_matches(')')
                .parse()
                .unwrap()
        })
        .collect();
    // The oldest 2000 were kept, the newest dropped.
    assert_eq!(got, (0..2000).collect::<Vec<_>>());
}
