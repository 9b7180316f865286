//! The span scenarios, in this process, narrate beside `tracing`:
//!
//! * `span_enter_exit`: entering and exiting an already created span (a
//!   guard per call).
//! * `event_in_span`: the `caller_latency` event (a template, u64, f64,
//!   16-byte str) inside two nested entered spans.
//! * `tracing_layer`: the same event written with `tracing::info!` and
//!   routed through `narrate_tracing::layer()` into narrate.
//!
//! Every scenario also times the plain event outside any span in the same
//! run, so each row carries its ratio to "one event" (the target:
//! an entered span costs the caller ≤ 2× one event). `tracing` runs with
//! `tracing-subscriber`'s JSON formatter on `tracing-appender`'s
//! non-blocking writer, as in the `caller_latency` scenario; the subscriber
//! is scoped (`with_default`), so nothing leaks into the other scenarios.
//! Timings: median of batch averages, caller side only.

use std::hint::black_box;

use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;

use crate::Scenario;

/// One measured row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpanRow {
    pub scenario: String,
    pub logger: String,
    /// Median over batches of the batch average, ns per call.
    pub median_ns: f64,
    /// `median_ns` over the same logger's plain event in the same run.
    pub ratio_to_one_event: f64,
}

fn time(batches: usize, per_batch: usize, mut f: impl FnMut(u64)) -> f64 {
    let clock = quanta::Clock::new();
    let mut i = 0u64;
    for _ in 0..per_batch * 10 {
        f(i);
        i += 1;
    }
    let mut v: Vec<f64> = (0..batches)
        .map(|_| {
            let t0 = clock.raw();
            for _ in 0..per_batch {
                f(i);
                i += 1;
            }
            let ns = clock.delta_as_nanos(t0, clock.raw()) as f64 / per_batch as f64;
            // Let the backend drain between batches, as the latency
            // scenarios do, so a full ring never blocks the caller.
            std::thread::sleep(std::time::Duration::from_micros(200));
            ns
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2] * 10.0).round() / 10.0
}

const CITY: &str = "0123456789abcdef";

fn narrate_event(i: u64) {
    narrate::info!(
        "Order {order_id} shipped at {price} to {city}",
        order_id = i,
        price = i as f64 * 1.5,
        city = CITY
    );
}

fn tracing_event(i: u64) {
    tracing::info!(
        order_id = i,
        price = i as f64 * 1.5,
        city = CITY,
        "Order {} shipped at {} to {}",
        i,
        i as f64 * 1.5,
        CITY
    );
}

/// Whether `s` is one of these in-process scenarios (not run per logger).
pub fn in_process(s: Scenario) -> bool {
    matches!(
        s,
        Scenario::SpanEnterExit | Scenario::EventInSpan | Scenario::TracingLayer
    )
}

/// Runs the span scenarios among `scenarios`; `quick` takes fewer batches.
pub fn run(scenarios: &[Scenario], quick: bool) -> Vec<SpanRow> {
    let wanted: Vec<Scenario> = scenarios
        .iter()
        .copied()
        .filter(|s| in_process(*s))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let (batches, per_batch) = if quick { (51, 200) } else { (301, 200) };
    let dir = tempfile::tempdir().expect("temp dir");
    let guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Info)
            .env_filter(false)
            .panic_hook(false)
            .sink(narrate::FileSink::new(dir.path().join("narrate.jsonl"))),
    )
    .expect("narrate init");
    let appender = tracing_appender::rolling::never(dir.path(), "tracing.log");
    let (writer, tracing_guard) = tracing_appender::non_blocking(appender);
    let fmt = tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let fmt = tracing::Dispatch::new(fmt);
    let layered =
        tracing::Dispatch::new(tracing_subscriber::registry().with(narrate_tracing::layer()));

    let narrate_one = time(batches, per_batch, |i| narrate_event(black_box(i)));
    let tracing_one = tracing::dispatcher::with_default(&fmt, || {
        time(batches, per_batch, |i| tracing_event(black_box(i)))
    });
    let mut rows = Vec::new();
    let mut push = |scenario: Scenario, logger: &str, ns: f64, one: f64| {
        rows.push(SpanRow {
            scenario: scenario.name().to_string(),
            logger: logger.to_string(),
            median_ns: ns,
            ratio_to_one_event: (ns / one * 100.0).round() / 100.0,
        })
    };
    for s in wanted {
        match s {
            Scenario::SpanEnterExit => {
                let span = narrate::info_span!("request", request_id = 7u64);
                let ns = time(batches, per_batch, |_| {
                    let _e = black_box(&span).enter();
                });
                push(s, "narrate", ns, narrate_one);
                let ns = tracing::dispatcher::with_default(&fmt, || {
                    let span = tracing::info_span!("request", request_id = 7u64);
                    time(batches, per_batch, |_| {
                        let _e = black_box(&span).enter();
                    })
                });
                push(s, "tracing", ns, tracing_one);
            }
            Scenario::EventInSpan => {
                let outer = narrate::info_span!("request", request_id = 7u64);
                let inner = narrate::info_span!("db", table = "orders");
                let ns = outer.in_scope(|| {
                    inner.in_scope(|| time(batches, per_batch, |i| narrate_event(black_box(i))))
                });
                push(s, "narrate", ns, narrate_one);
                let ns = tracing::dispatcher::with_default(&fmt, || {
                    let outer = tracing::info_span!("request", request_id = 7u64);
                    let inner = tracing::info_span!("db", table = "orders");
                    outer.in_scope(|| {
                        inner.in_scope(|| time(batches, per_batch, |i| tracing_event(black_box(i))))
                    })
                });
                push(s, "tracing", ns, tracing_one);
            }
            Scenario::TracingLayer => {
                let ns = tracing::dispatcher::with_default(&layered, || {
                    time(batches, per_batch, |i| tracing_event(black_box(i)))
                });
                push(s, "tracing→narrate", ns, narrate_one);
                push(s, "tracing (fmt json)", tracing_one, tracing_one);
                push(s, "narrate (native)", narrate_one, narrate_one);
            }
            _ => {}
        }
    }
    drop(tracing_guard);
    drop(guard);
    rows
}

/// The table printed after the main one.
pub fn table(rows: &[SpanRow]) -> String {
    let mut t = format!(
        "\n{:<18} {:<20} {:>12} {:>16}\n",
        "span scenario", "logger", "median", "× one event"
    );
    for r in rows {
        t.push_str(&format!(
            "{:<18} {:<20} {:>12} {:>16}\n",
            r.scenario,
            r.logger,
            crate::fmt_ns(r.median_ns),
            format!("{:.2}×", r.ratio_to_one_event)
        ));
    }
    t.push_str("× one event: against the same logger's plain event (outside spans), same run; tracing_layer rows against narrate's native event.\n");
    t
}
