//! 100 000 events from 2 threads, exported to a real OpenTelemetry collector
//! (rotel): every record arrives exactly once, with its severity, body,
//! typed attributes and the resource.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::{Rotel, wait_for_records};

const PER_THREAD: u64 = 50_000;

#[test]
fn otlp_to_rotel_delivers_100000_events_from_2_threads() {
    let rotel = Rotel::start();
    let otlp = OtlpExporter::new(&rotel.endpoint())
        .service_name("orders")
        .service_version("1.4.2")
        .host_name("test-host")
        .gzip(true)
        .max_batch(2048)
        // Hold the whole burst: this test checks delivery, not shedding.
        .queue_capacity(200_000)
        .shutdown_timeout(Duration::from_secs(60))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Trace).sink(otlp)).unwrap();

    let workers: Vec<_> = (0..2u64)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    for seq in 0..PER_THREAD {
                        match seq % 3 {
                            0 => {
                                narrate::info!(action = "load", t, seq, "event {seq}", ratio = 0.5)
                            }
                            1 => narrate::warn!(action = "load", t, seq, "event {seq}", ok = true),
                            _ => narrate::error!(
                                action = "load",
                                t,
                                seq,
                                "event {seq}",
                                why = "disk"
                            ),
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    drop(guard);
    let report = handle.shutdown_report().expect("report after shutdown");
    assert_eq!(report.unsent, 0, "{report:?}");
    assert_eq!(report.stats.sent, 2 * PER_THREAD, "{report:?}");
    assert_eq!(report.stats.dropped_queue_full, 0);

    let records = wait_for_records(&rotel, (2 * PER_THREAD) as usize);
    assert_eq!(
        records.len() as u64,
        2 * PER_THREAD,
        "exact record count at rotel"
    );
    let mut seen = HashSet::new();
    for r in &records {
        let t: u64 = r
            .attr("t")
            .unwrap()
            .trim_start_matches("Int(")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        let seq: u64 = r
            .attr("seq")
            .unwrap()
            .trim_start_matches("Int(")
            .trim_end_matches(')')
            .parse()
            .unwrap();
        assert!(seen.insert((t, seq)), "duplicate {t}/{seq}");
        assert_eq!(r.body, format!("Str(event {seq})"));
        assert_eq!(r.event_name, "load");
        assert_eq!(r.attr("narrate.action"), Some("Str(load)"));
        assert_eq!(
            r.attr("thread.name"),
            Some(format!("Str(worker-{t})").as_str())
        );
        let (text, number, attr, value) = match seq % 3 {
            0 => ("INFO", "SEVERITY_NUMBER_INFO(9)", "ratio", "Double(0.5)"),
            1 => ("WARN", "SEVERITY_NUMBER_WARN(13)", "ok", "Bool(true)"),
            _ => ("ERROR", "SEVERITY_NUMBER_ERROR(17)", "why", "Str(disk)"),
        };
        assert_eq!(
            (r.severity_text.as_str(), r.severity_number.as_str()),
            (text, number)
        );
        assert_eq!(r.attr(attr), Some(value));
        assert_eq!(
            r.resource,
            [
                ("service.name".to_string(), "Str(orders)".to_string()),
                ("service.version".to_string(), "Str(1.4.2)".to_string()),
                ("host.name".to_string(), "Str(test-host)".to_string()),
            ]
        );
    }
    assert_eq!(seen.len() as u64, 2 * PER_THREAD);
}
