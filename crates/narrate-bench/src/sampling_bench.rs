//! The `sampling_check` scenario: what the sampling decision costs the
//! caller (target: ≤ 5 ns median), beside the plain event. Runs in this
//! process (it calls `narrate::init` here; every other narrate scenario runs
//! in a child process); rows are under `"sampling"` in the JSON.
//!
//! Each case times batches of `BATCH` calls of one call site with one TSC
//! pair per batch (a pair costs ≈20 ns, far more than what is measured, so
//! per-call brackets would measure the clock), and reports the median and
//! p90 over batches of ns per call:
//!
//! * `plain event`: an enabled Info event no rule applies to (the fast path);
//! * `suppressed: first N then every M`, `suppressed: probability 0`,
//!   `suppressed: rate limit`: call sites whose every event is sampled out —
//!   the whole call is the decision (one load of the call site's state, the
//!   out-of-line sampler);
//! * `kept: first N then every 1`: a sampled call site that keeps everything,
//!   i.e. decision + plain event; minus `plain event`, the decision's cost
//!   on a kept event;
//! * `floor: one AtomicU64::fetch_add`: one locked read-modify-write in the
//!   same loop. Exact per-call-site counts shared by all threads need one
//!   such operation per sampled event, so this is the floor of any exact
//!   sampler here.
//!
//! The ring is emptied (untimed `flush`) after every batch, so that the
//! event cases measure the caller, not the backend's throughput.

use std::fmt::Write as _;
use std::time::Duration;

use narrate::sampling::{Sampler, Sampling, Selector};
use serde::{Deserialize, Serialize};

const BATCH: u64 = 1000;

/// One measured case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamplingRow {
    pub case: String,
    /// Median over batches, ns per call.
    pub median_ns: f64,
    pub p90_ns: f64,
}

struct Discard;

impl narrate::Sink for Discard {
    fn write(&mut self, _: &narrate::Event<'_>, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

fn path(p: &str) -> Selector {
    Selector {
        path: Some(p.into()),
        ..Selector::default()
    }
}

fn measure(case: &str, batches: usize, mut f: impl FnMut(u64)) -> SamplingRow {
    let clock = quanta::Clock::new();
    for i in 0..BATCH * 20 {
        f(i); // warm-up: lanes, call sites, caches
    }
    narrate::flush();
    let mut ns: Vec<f64> = (0..batches)
        .map(|b| {
            let base = b as u64 * BATCH;
            let t0 = clock.raw();
            for i in base..base + BATCH {
                f(i);
            }
            let t1 = clock.raw();
            // Untimed: empty the ring, so that no batch waits for the
            // backend (a batch of 1000 events is ~70 KB of a 1 MiB ring).
            narrate::flush();
            clock.delta_as_nanos(t0, t1) as f64 / BATCH as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    SamplingRow {
        case: case.to_string(),
        median_ns: (ns[ns.len() / 2] * 100.0).round() / 100.0,
        p90_ns: (ns[ns.len() * 9 / 10] * 100.0).round() / 100.0,
    }
}

/// Starts narrate here (with a discarding sink) and measures every case.
pub fn run(quick: bool) -> Result<Vec<SamplingRow>, String> {
    let batches = if quick { 200 } else { 2000 };
    let hour = Duration::from_secs(3600);
    let sampling = Sampling::new()
        .rule(
            path("bench_fe"),
            Sampler::first_then_every(1, u32::MAX, hour).map_err(|e| e.to_string())?,
        )
        .rule(
            path("bench_keep"),
            Sampler::first_then_every(1, 1, hour).map_err(|e| e.to_string())?,
        )
        .rule(
            path("bench_prob"),
            Sampler::probability(0.0).map_err(|e| e.to_string())?,
        )
        .rule(
            path("bench_rl"),
            Sampler::rate_limit(1, 1).map_err(|e| e.to_string())?,
        )
        .report_interval(hour);
    let guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Info)
            .sink(narrate::SinkSpec::custom(Discard, narrate::Format::Json))
            .sampling(sampling)
            .env_filter(false)
            .panic_hook(false),
    )
    .map_err(|e| e.to_string())?;
    let counter = std::sync::atomic::AtomicU64::new(0);
    let rows = vec![
        measure("floor: one AtomicU64::fetch_add", batches, |i| {
            counter.fetch_add(
                std::hint::black_box(i) | 1,
                std::sync::atomic::Ordering::Relaxed,
            );
        }),
        measure("plain event", batches, |i| {
            narrate::info!(actor = "bench_plain", "plain {i}")
        }),
        measure("kept: first N then every 1", batches, |i| {
            narrate::info!(actor = "bench_keep", "kept {i}")
        }),
        measure("suppressed: first N then every M", batches, |i| {
            narrate::info!(actor = "bench_fe", "sampled {i}")
        }),
        measure("suppressed: probability 0", batches, |i| {
            narrate::info!(actor = "bench_prob", "sampled {i}")
        }),
        measure("suppressed: rate limit", batches, |i| {
            narrate::info!(actor = "bench_rl", "sampled {i}")
        }),
    ];
    drop(guard);
    Ok(rows)
}

pub fn table(rows: &[SamplingRow]) -> String {
    let mut s = String::from(
        "\nsampling_check (ns per call, batches of 1000; target: decision ≤ 5 ns median)\n",
    );
    let _ = writeln!(s, "{:<36} {:>10} {:>10}", "case", "median ns", "p90 ns");
    for r in rows {
        let _ = writeln!(s, "{:<36} {:>10.2} {:>10.2}", r.case, r.median_ns, r.p90_ns);
    }
    let plain = rows.iter().find(|r| r.case == "plain event");
    let kept = rows.iter().find(|r| r.case.starts_with("kept"));
    if let (Some(p), Some(k)) = (plain, kept) {
        let _ = writeln!(
            s,
            "{:<36} {:>10.2}",
            "decision on a kept event (kept - plain)",
            k.median_ns - p.median_ns
        );
    }
    s
}
