//! Rough end-to-end throughput: one producer, N events, JSON to a file,
//! timed from the first event until `flush()` returns. `narrate bench` is
//! the real measurement; this is a quick look while developing.

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let dir = std::env::temp_dir().join(format!("narrate-throughput-{}", std::process::id()));
    let path = dir.join("events.jsonl");
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(narrate::FileSink::new(&path))
            .ring_bytes(8 << 20)
            .env_filter(false),
    )
    .unwrap();
    let city = "0123456789abcdef";
    let start = std::time::Instant::now();
    for i in 0..n {
        narrate::info!(
            "Order {order_id} shipped at {price} to {city}",
            order_id = i,
            price = i as f64 * 0.5,
            city
        );
    }
    let emitted = start.elapsed();
    narrate::flush();
    let total = start.elapsed();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{n} events: emitted in {:.1} ms, written in {:.1} ms -> {:.2} M events/s end to end, {:.0} MB/s, stats {:?}",
        emitted.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        n as f64 / total.as_secs_f64() / 1e6,
        bytes as f64 / total.as_secs_f64() / 1e6,
        narrate::stats()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
