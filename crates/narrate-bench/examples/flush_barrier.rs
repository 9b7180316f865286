//! Checks that `narrate::flush()` is a barrier: after N threads have logged
//! and exited, every event is in the file when `flush()` returns (before the
//! guard is dropped). Also a minimal burst to look at with `strace -c` or
//! `perf`, outside the bench harness.
//!
//! ```text
//! cargo run --release -p narrate-bench --example flush_barrier -- THREADS EVENTS_PER_THREAD
//! ```

use std::time::Instant;

use narrate::{Config, FileSink, FullRingPolicy, Level};

fn count(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().filter(|l| l.contains("shipped at")).count())
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: u64 = args.next().map_or(2, |s| s.parse().expect("THREADS"));
    let n: u64 = args
        .next()
        .map_or(200_000, |s| s.parse().expect("EVENTS_PER_THREAD"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("out.log");
    let guard = narrate::init(
        Config::new()
            .level(Level::Info)
            .sink(FileSink::new(&path))
            .on_full_ring(FullRingPolicy::Block),
    )
    .expect("narrate init");
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..n {
                    let city = std::hint::black_box("0123456789abcdef");
                    narrate::info!(
                        "Order {order_id} shipped at {price} to {city}",
                        order_id = (t << 40) | i,
                        price = std::hint::black_box(1.5),
                        city = city,
                    );
                }
            });
        }
    });
    narrate::flush();
    let elapsed = start.elapsed();
    let after_flush = count(&path);
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let dropped = narrate::stats().dropped();
    drop(guard);
    let after_drop = count(&path);
    let emitted = threads * n;
    println!(
        "threads {threads}, emitted {emitted}: {after_flush} in the file after flush(), {after_drop} after the guard's drop, {dropped} dropped; {:.1} ms until flush() returned ({:.2} M events/s), {:.0} bytes per event",
        elapsed.as_secs_f64() * 1e3,
        emitted as f64 / elapsed.as_secs_f64() / 1e6,
        bytes as f64 / emitted.max(1) as f64,
    );
    if after_flush as u64 != emitted {
        std::process::exit(1);
    }
}
