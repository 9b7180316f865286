//! rotel stops for 5 s in the middle of a run and comes back on the same
//! port: within the queue's bound nothing is lost — every record reaches
//! one of the two rotel processes exactly once, in order per thread.

mod support;

use std::time::{Duration, Instant};

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::{Rotel, wait_for_records};

fn seqs(rotel: &Rotel, n: usize) -> Vec<u64> {
    wait_for_records(rotel, n)
        .iter()
        .map(|r| {
            r.attr("seq")
                .unwrap()
                .trim_start_matches("Int(")
                .trim_end_matches(')')
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn otlp_survives_a_5_second_rotel_outage_without_loss() {
    let mut first = Rotel::start();
    let port = first.port;
    let otlp = OtlpExporter::new(&first.endpoint())
        .backoff(Duration::from_millis(50), Duration::from_millis(500))
        .queue_capacity(10_000)
        .shutdown_timeout(Duration::from_secs(20))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp)).unwrap();

    for seq in 0..1000u64 {
        narrate::info!(seq, "before {seq}");
    }
    narrate::flush();
    let deadline = Instant::now() + Duration::from_secs(20);
    while handle.stats().sent < 1000 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seqs(&first, 1000), (0..1000).collect::<Vec<_>>());
    first.stop();

    // 5 s down, 5 000 events meanwhile (within the 10 000-record bound).
    let down = Instant::now();
    for seq in 1000..6000u64 {
        narrate::info!(seq, "during {seq}");
        if seq % 100 == 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    std::thread::sleep(Duration::from_secs(5).saturating_sub(down.elapsed()));
    assert_eq!(
        handle.stats().sent,
        1000,
        "nothing can be delivered while rotel is down"
    );
    assert!(handle.stats().retries > 0);

    let second = Rotel::start_on(port);
    for seq in 6000..7000u64 {
        narrate::info!(seq, "after {seq}");
    }
    drop(guard);
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.unsent, 0, "{report:?}");
    assert_eq!(report.stats.dropped_queue_full, 0);
    assert_eq!(report.stats.failed, 0);
    assert_eq!(report.stats.sent, 7000);
    assert_eq!(seqs(&second, 6000), (1000..7000).collect::<Vec<_>>());
}
