//! Rough caller cost: batches of 20 info events (3 fields) timed with the
//! TSC, with a pause between batches so the backend keeps up. `narrate bench`
//! is the real measurement; this is a quick look while developing.

fn main() {
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(narrate::FileSink::new("/dev/null"))
            .env_filter(false),
    )
    .unwrap();
    let anchor = narrate::clock::anchor();
    let clock = anchor.clock();
    let city = "0123456789abcdef";
    let mut samples = Vec::with_capacity(100_000);
    for round in 0..100_000u64 {
        let t0 = clock.raw();
        for i in 0..20u64 {
            narrate::info!(
                "Order {order_id} shipped at {price} to {city}",
                order_id = round * 20 + i,
                price = 1.5,
                city
            );
        }
        let t1 = clock.raw();
        samples.push(clock.delta_as_nanos(t0, t1) as f64 / 20.0);
        if round % 50 == 49 {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "batch-average per event: median {:.1} ns, p90 {:.1} ns",
        samples[samples.len() / 2],
        samples[samples.len() * 9 / 10]
    );
    let mut floor = Vec::with_capacity(100_000);
    let mut ring = vec![0u8; 1 << 20];
    let rec = [7u8; 64];
    let mut pos = 0;
    for _ in 0..100_000 {
        let t0 = clock.raw();
        for _ in 0..20 {
            let ts = clock.raw();
            ring[pos..pos + 8].copy_from_slice(&ts.to_le_bytes());
            ring[pos + 8..pos + 64].copy_from_slice(&rec[8..]);
            pos = (pos + 64) & ((1 << 20) - 1);
            std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        }
        let t1 = clock.raw();
        floor.push(clock.delta_as_nanos(t0, t1) as f64 / 20.0);
    }
    std::hint::black_box(&ring);
    floor.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "floor (tsc + 64-byte copy) per event: median {:.1} ns",
        floor[floor.len() / 2]
    );
}
