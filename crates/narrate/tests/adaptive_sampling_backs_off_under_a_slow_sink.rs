//! Adaptive sampling: a sink that sleeps makes the rings fill, the backend
//! lowers the rate of sampleable events step by step and says so in-band;
//! once the sink is fast again the rate climbs back to 1, again with an event
//! per change. Errors are never sampled, and every Info event is either
//! written or counted as suppressed.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use narrate::sampling::{Adaptive, Sampling};
use narrate::{Capture, Config, Event, Format, Level, Sink, SinkSpec};

struct SlowSink {
    slow: Arc<AtomicBool>,
}

impl Sink for SlowSink {
    fn write(&mut self, _event: &Event<'_>, _line: &[u8]) -> io::Result<()> {
        if self.slow.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_micros(300));
        }
        Ok(())
    }
}

#[test]
fn a_slow_sink_lowers_the_rate_and_recovery_restores_it() {
    let capture = Capture::new();
    let slow = Arc::new(AtomicBool::new(true));
    let _guard = narrate::init(
        Config::new()
            .level(Level::Info)
            .ring_bytes(4096)
            .sink(&capture)
            .sink(SinkSpec::custom(
                SlowSink { slow: slow.clone() },
                Format::Json,
            ))
            .sampling(Sampling::new().adaptive(Adaptive {
                high_fill: 0.5,
                low_fill: 0.1,
                max_lag: Duration::from_millis(20),
                step: Duration::from_millis(5),
                max_steps: 6,
                max_level: Level::Info,
            }))
            .panic_hook(false)
            .env_filter(false),
    )
    .unwrap();

    // Overload: emit until the backend has lowered the rate at least twice.
    let mut emitted = 0u64;
    let mut errors = 0u64;
    let deadline = Instant::now() + Duration::from_secs(20);
    while narrate::sampling::adaptive_step() < 2 {
        assert!(Instant::now() < deadline, "the rate never dropped");
        for _ in 0..100 {
            narrate::info!(actor = "svc", "busy {emitted}");
            emitted += 1;
        }
        narrate::error!(actor = "svc", "an error under load {errors}");
        errors += 1;
    }
    assert!(narrate::metrics().adaptive_keep_one_in >= 4);

    // Recovery: a fast sink and a trickle of events.
    slow.store(false, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(20);
    while narrate::sampling::adaptive_step() != 0 {
        assert!(Instant::now() < deadline, "the rate never recovered");
        narrate::info!(actor = "svc", "calm {emitted}");
        emitted += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    narrate::flush();

    let events = capture.events();
    let changes: Vec<_> = events
        .iter()
        .filter(|e| e.actor == "narrate" && e.action == "sampling")
        .collect();
    let steps: Vec<u64> = changes
        .iter()
        .map(|e| e.field("step").unwrap().parse().unwrap())
        .collect();
    // Step by step: down from 0 to at least 2, then back to 0, one change at a time.
    let mut previous = 0u64;
    for (e, &step) in changes.iter().zip(&steps) {
        assert_eq!(step.abs_diff(previous), 1, "{steps:?}");
        let direction = if step > previous { "lowered" } else { "raised" };
        assert!(
            e.human
                .starts_with(&format!("adaptive sampling {direction}")),
            "{}",
            e.human
        );
        assert_eq!(e.field("keep_one_in").unwrap(), (1u64 << step).to_string());
        previous = step;
    }
    assert!(steps.iter().any(|&s| s >= 2), "{steps:?}");
    assert_eq!(steps.last(), Some(&0), "{steps:?}");

    let written_errors = events
        .iter()
        .filter(|e| e.actor == "svc" && e.level == Level::Error)
        .count() as u64;
    assert_eq!(written_errors, errors, "errors are never sampled");
    let written_info = events
        .iter()
        .filter(|e| e.actor == "svc" && e.level == Level::Info)
        .count() as u64;
    let suppressed = narrate::sampling::suppressed_total();
    assert!(suppressed > 0);
    assert_eq!(written_info + suppressed, emitted);
}
