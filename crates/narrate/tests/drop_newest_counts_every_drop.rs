//! DropNewest on a tiny ring behind a slow sink: events are lost, but every
//! lost event is counted, and the loss is reported in-band.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use narrate::{Event, Format, FullRingPolicy, Sink, SinkSpec};

#[derive(Clone, Default)]
struct SlowSink {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Sink for SlowSink {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        std::thread::sleep(Duration::from_micros(50));
        self.lines
            .lock()
            .unwrap()
            .push(String::from_utf8(line.to_vec()).unwrap());
        Ok(())
    }
}

#[test]
fn written_plus_counted_drops_equals_emitted() {
    let sink = SlowSink::default();
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(SinkSpec::custom(sink.clone(), Format::Json))
            .ring_bytes(4096)
            .on_full_ring(FullRingPolicy::DropNewest)
            .panic_hook(false),
    )
    .unwrap();

    const EMITTED: u64 = 20_000;
    for i in 0..EMITTED {
        narrate::info!("burst event {i}");
    }
    narrate::flush();
    // One more round so the drop report for the tail of the burst is written.
    narrate::info!("after the burst");
    narrate::flush();

    let stats = narrate::stats();
    let lines = sink.lines.lock().unwrap().clone();
    let burst_written = lines.iter().filter(|l| l.contains("burst event")).count() as u64;
    assert!(
        stats.dropped_ring_full > 0,
        "the ring never filled: {stats:?}"
    );
    assert_eq!(
        burst_written + stats.dropped_ring_full,
        EMITTED,
        "{stats:?}"
    );
    assert_eq!(stats.events_written, burst_written + 1);

    let reported: u64 = lines
        .iter()
        .filter(|l| l.contains("\"action\":\"dropped\""))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["level"], "warn");
            assert_eq!(v["fields"]["reason"], "ring_full");
            v["fields"]["dropped"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(
        reported, stats.dropped_ring_full,
        "in-band reports add up to the counter"
    );
    assert!(stats.drop_reports >= 1);
}
