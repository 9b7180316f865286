//! After warm-up, logging allocates nothing: not on the caller thread, not on
//! the backend thread. A counting global allocator proves it.

use std::cell::Cell;
use std::sync::atomic::Ordering;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{MINE, TOTAL};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

fn emit(i: u64) {
    let city = "0123456789abcdef";
    narrate::info!(
        action = "ship",
        target = i,
        "Order {order_id} shipped at {price} to {city}",
        order_id = i,
        price = 1.5f64 * i as f64,
        ok = i.is_multiple_of(2),
        err_code = -3i32,
    );
    // Sampled call sites (rules below): the decision path and the
    // backend's in-band suppressed reports must not allocate either.
    narrate::info!(actor = "sampled_fe", "first then every {i}");
    narrate::info!(actor = "sampled_prob", "probability {i}");
    narrate::info!(actor = "sampled_rl", action = "poll", "rate limited {i}");
}

fn sampling() -> narrate::Sampling {
    use narrate::sampling::{Sampler, Selector};
    let path = |p: &str| Selector {
        path: Some(p.into()),
        ..Selector::default()
    };
    narrate::Sampling::new()
        .rule(
            path("sampled_fe"),
            Sampler::first_then_every(10, 50, std::time::Duration::from_millis(5)).unwrap(),
        )
        .rule(path("sampled_prob"), Sampler::probability(0.1).unwrap())
        .rule(path("sampled_rl"), Sampler::rate_limit(1_000, 10).unwrap())
        // Reports every 10 ms: many of them fall in the measured loop.
        .report_interval(std::time::Duration::from_millis(10))
}

/// One event inside a correlation context and two nested spans, entered
/// and exited around it: the caller-side span and context paths.
fn emit_in_scope(i: u64, outer: &narrate::Span, ctx: &narrate::Context) {
    let _ctx = ctx.enter();
    let _outer = outer.enter();
    let inner = narrate::info_span!("inner", item = i);
    inner.in_scope(|| emit(i));
}

#[test]
fn hundred_thousand_events_allocate_nothing_after_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let _guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Info)
            .sink(narrate::FileSink::new(&path))
            .sink(
                narrate::FileSink::new(dir.path().join("events.logfmt"))
                    .format(narrate::Format::Logfmt),
            )
            .sink(
                narrate::FileSink::new(dir.path().join("events.txt"))
                    .format(narrate::Format::Pretty),
            )
            .sampling(sampling())
            .panic_hook(false),
    )
    .unwrap();

    // Warm-up: the lane, the call site, every backend buffer, and enough
    // events to wrap the 1 MiB ring several times.
    let outer = narrate::info_span!("request", request_id = 7u64, method = "GET");
    let ctx = narrate::Context::from_incoming(
        Some("req-1234"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    for i in 0..100_000 {
        emit(i);
        emit_in_scope(i, &outer, &ctx);
    }
    narrate::flush();

    let total_before = TOTAL.load(Ordering::SeqCst);
    let mine_before = MINE.with(Cell::get);
    for i in 0..100_000 {
        emit(i);
        emit_in_scope(i, &outer, &ctx);
    }
    narrate::flush();
    let caller = MINE.with(Cell::get) - mine_before;
    let all = TOTAL.load(Ordering::SeqCst) - total_before;
    let backend = all - caller;

    assert_eq!(caller, 0, "caller-thread allocations");
    assert_eq!(
        backend, 0,
        "backend allocations (all threads but the caller)"
    );
    let stats = narrate::stats();
    let suppressed = narrate::sampling::suppressed_total();
    assert!(suppressed > 0);
    // 400 000 unsampled ("ship") + 3 × 400 000 sampled, less what was
    // suppressed; span and context records are bookkeeping, not events.
    assert_eq!(stats.events_written, 1_600_000 - suppressed);
    assert_eq!(stats.dropped(), 0);
    narrate::shutdown();
    let text = std::fs::read_to_string(&path).unwrap();
    let reports = text
        .lines()
        .filter(|l| l.contains("events like this suppressed"))
        .count();
    assert!(reports > 0, "in-band suppressed reports");
    assert_eq!(
        text.lines().count() - reports,
        stats.events_written as usize
    );
    let plain = text.lines().filter(|l| l.contains("\"ship\"")).count();
    assert_eq!(plain, 400_000);
    let last = text.lines().rfind(|l| l.contains("\"ship\"")).unwrap();
    assert!(
        last.contains(r#""correlation_id":"req-1234","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736""#)
            && last.contains(r#""spans":[{"name":"request","fields":{"request_id":7,"method":"GET"}},{"name":"inner","fields":{"item":99999}}]"#),
        "{last}"
    );
}
