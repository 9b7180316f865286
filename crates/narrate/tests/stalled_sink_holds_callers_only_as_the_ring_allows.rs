//! A sink that stalls (here 1 s, scaled down from the 5 s; rings of
//! 4 KiB instead of 1 MiB, so ~160 events fill one): under `DropNewest` the
//! caller never waits for it — everything beyond the ring is dropped and
//! counted while the sink is still stuck — and under `Block` the caller
//! waits until the sink returns and loses nothing. The other sink (a
//! capture) shares the backend thread, so it is held up too; it receives
//! every event that was not dropped.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use narrate::{Capture, Event, Format, FullRingPolicy, Level, Sink, SinkSpec};

const STALL: Duration = Duration::from_secs(1);
const BURST: usize = 2000;

#[derive(Clone, Default)]
struct Staller {
    started: Arc<AtomicU64>,
    ended: Arc<AtomicU64>,
}

impl Sink for Staller {
    fn write(&mut self, event: &Event<'_>, _line: &[u8]) -> io::Result<()> {
        if event.actor() != "narrate" && event.metadata().template.starts_with("stall") {
            self.started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(STALL);
            self.ended.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

fn wait_for(counter: &AtomicU64, value: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter.load(Ordering::SeqCst) < value {
        assert!(Instant::now() < deadline, "the sink never started stalling");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn drop_newest_callers_never_wait_and_block_callers_wait_for_the_sink() {
    let staller = Staller::default();
    let capture = Capture::new();
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(SinkSpec::custom(staller.clone(), Format::Json))
            .sink(&capture)
            .ring_bytes(4096)
            .on_full_ring_for(Level::Info, FullRingPolicy::DropNewest)
            .on_full_ring_for(Level::Warn, FullRingPolicy::Block)
            .env_filter(false),
    )
    .unwrap();

    // DropNewest: the backend is stuck in the sink for 1 s.
    narrate::info!("stall 1");
    wait_for(&staller.started, 1);
    for i in 0..BURST {
        narrate::info!("drop-newest {i}");
    }
    assert_eq!(
        staller.ended.load(Ordering::SeqCst),
        0,
        "the DropNewest caller was held until the sink returned"
    );
    let dropped = narrate::stats().dropped_ring_full;
    assert!(dropped > 0, "the 4 KiB ring never filled");
    narrate::flush();
    let written = count(&capture, "drop-newest ");
    assert_eq!(written + dropped, BURST as u64);
    assert!(written > 0);

    // Block: the same stall holds the caller once its ring is full.
    narrate::warn!("stall 2");
    wait_for(&staller.started, 2);
    for i in 0..BURST {
        narrate::warn!("block {i}");
    }
    assert_eq!(
        staller.ended.load(Ordering::SeqCst),
        2,
        "a Block caller returned before the stalled sink made room"
    );
    narrate::flush();
    assert_eq!(count(&capture, "block "), BURST as u64);
    let stats = narrate::stats();
    assert_eq!(stats.dropped_ring_full, dropped, "Block dropped: {stats:?}");
    // Everything that was not dropped was written: 2 stall events + both bursts.
    assert_eq!(
        stats.events_written,
        2 + written + BURST as u64,
        "{stats:?}"
    );
}

fn count(capture: &Capture, prefix: &str) -> u64 {
    capture
        .events()
        .iter()
        .filter(|e| e.actor != "narrate" && e.human.starts_with(prefix))
        .count() as u64
}
