//! A custom sink that panics: each panic is caught on the backend, counted
//! and reported in-band; the event still reaches the other sinks; after
//! `sink_panic_limit` panics the sink is never called again.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use narrate::{Capture, Event, Format, Sink, SinkSpec};

/// Panics on every event whose text contains "boom"; counts its calls with
/// user events (narrate's own notices may reach it between two panics,
/// depending on how the backend splits its passes).
#[derive(Clone, Default)]
struct Panicky {
    calls: Arc<AtomicU64>,
}

impl Sink for Panicky {
    fn write(&mut self, event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        if event.actor() != "narrate" {
            self.calls.fetch_add(1, Ordering::SeqCst);
        }
        if String::from_utf8_lossy(line).contains("boom") {
            panic!("sink exploded on purpose");
        }
        Ok(())
    }
}

#[test]
fn panicking_sink_is_disabled_after_the_limit_and_the_others_keep_writing() {
    let panicky = Panicky::default();
    let capture = Capture::new();
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(SinkSpec::custom(panicky.clone(), Format::Json))
            .sink(&capture)
            .sink_panic_limit(3)
            .env_filter(false),
    )
    .unwrap();

    // 2 fine, 5 that panic, 3 fine: the sink panics on boom 0, 1, 2, is
    // disabled, and never sees boom 3, boom 4 or the last three.
    for i in 0..2 {
        narrate::info!("fine {i}");
    }
    for i in 0..5 {
        narrate::info!("boom {i}");
    }
    narrate::flush();
    for i in 0..3 {
        narrate::info!("after {i}");
    }
    narrate::flush();

    let stats = narrate::stats();
    assert_eq!(stats.sink_panics, 3, "{stats:?}");
    assert_eq!(stats.sinks_disabled, 1, "{stats:?}");
    assert_eq!(stats.events_written, 10, "{stats:?}");
    // Its calls: 2 fine + 3 panicking; nothing after it was disabled.
    assert_eq!(panicky.calls.load(Ordering::SeqCst), 5);

    let events = capture.events();
    let user: Vec<&str> = events
        .iter()
        .filter(|e| e.actor != "narrate")
        .map(|e| e.human.as_str())
        .collect();
    assert_eq!(
        user,
        [
            "fine 0", "fine 1", "boom 0", "boom 1", "boom 2", "boom 3", "boom 4", "after 0",
            "after 1", "after 2"
        ]
    );
    let panics: Vec<_> = events.iter().filter(|e| e.action == "sink_panic").collect();
    assert_eq!(panics.len(), 3);
    for (k, e) in panics.iter().enumerate() {
        assert_eq!(e.level, narrate::Level::Error);
        assert_eq!(e.field("sink"), Some("custom#0"));
        assert_eq!(e.field("count"), Some((k + 1).to_string().as_str()));
        assert!(
            e.human.contains(&format!(
                "panicked ({} of 3 allowed): sink exploded on purpose",
                k + 1
            )),
            "{}",
            e.human
        );
    }
    let disabled: Vec<_> = events
        .iter()
        .filter(|e| e.action == "sink_disabled")
        .collect();
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].field("sink"), Some("custom#0"));
    // No Fatal "panicked" event from the panic hook: the backend reports it.
    assert!(!events.iter().any(|e| e.action == "panic"));
}
