//! The child process: sets up one logger, times it, reports one JSON line.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::tsc::{self, ClockInfo};
use crate::{ChildArgs, LoggerKind, Row, Scenario};

/// How the calls are timed; see `docs/performance/bench-method.md`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Rounds of each kind (per-call and batched).
    pub rounds: usize,
    /// Calls per round (the first one after the sleep is the "cold" call).
    pub round_calls: usize,
    /// Calls per timed batch in batched rounds (for the median).
    pub batch: usize,
    /// Sleep before every round, so backends drain and go idle.
    pub sleep: Duration,
    /// Untimed rounds before the timed ones.
    pub warmup_rounds: usize,
}

/// Raw timings in ticks.
struct Raw {
    /// Per-call brackets, except the first call of each round.
    warm: Vec<u64>,
    /// Per-call brackets of the first call after each sleep.
    cold: Vec<u64>,
    /// Brackets around `plan.batch` consecutive calls.
    batches: Vec<u64>,
    /// Every call made, warm-up included.
    calls: u64,
}

/// Times `$body` (with `$i` bound to the call number) following `$plan`,
/// returning a [`Raw`].
///
/// A macro rather than a generic function: a closure or fn item passed to a
/// generic function is called through `FnMut::call_mut`, which LLVM kept out
/// of line for narrate (its enabled path is large), so every call, even a
/// disabled one, paid a call and a prologue. Expanded here, the logging call
/// is compiled into the timing loop, as a logging macro is at a user's call
/// site.
macro_rules! drive {
    ($plan:expr, |$i:ident| $body:expr) => {{
        let plan: &Plan = $plan;
        let per_round_batches = (plan.round_calls / plan.batch).max(1);
        let mut raw = Raw {
            warm: prefaulted(plan.rounds * plan.round_calls),
            cold: prefaulted(plan.rounds),
            batches: prefaulted(plan.rounds * per_round_batches),
            calls: 0,
        };
        let mut i = 0u64;
        for _ in 0..plan.warmup_rounds {
            std::thread::sleep(plan.sleep);
            for _ in 0..plan.round_calls {
                let $i = black_box(i);
                $body;
                i += 1;
            }
        }
        for _ in 0..plan.rounds {
            // Per-call round: tails.
            std::thread::sleep(plan.sleep);
            for j in 0..plan.round_calls {
                let t0 = tsc::read();
                let $i = black_box(i);
                $body;
                let t1 = tsc::read();
                i += 1;
                let d = t1.wrapping_sub(t0);
                if j == 0 {
                    raw.cold.push(d);
                } else {
                    raw.warm.push(d);
                }
            }
            // Batched round: medians.
            std::thread::sleep(plan.sleep);
            for _ in 0..per_round_batches {
                let t0 = tsc::read();
                for _ in 0..plan.batch {
                    let $i = black_box(i);
                    $body;
                    i += 1;
                }
                let t1 = tsc::read();
                raw.batches.push(t1.wrapping_sub(t0));
            }
        }
        raw.calls = i;
        raw
    }};
}

/// An empty vector whose `n` slots are already backed by touched pages, so
/// that storing samples never takes a page fault during the run.
fn prefaulted(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, 1);
    std::hint::black_box(&mut v).clear();
    v
}

/// What a logger hands back after its timed calls.
struct Delivery {
    /// Events counted in the output file, the file's size, its first event.
    file: (u64, u64, String),
    /// Events the logger itself says it dropped, when it can tell.
    dropped_reported: Option<u64>,
    /// Time from the last timed call until the logger had written everything
    /// (flush, or dropping its guard), in ms: the backlog left behind.
    drain_ms: f64,
    /// narrate only: the most bytes ever waiting in the ring.
    ring_high_water_bytes: Option<u64>,
}

pub(crate) fn run_child(args: &ChildArgs) -> Result<Row, String> {
    let clock = ClockInfo::measure();
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let path = dir.path().join("out.log");
    let plan = Plan {
        rounds: args.samples.div_ceil(args.round_calls).max(1),
        round_calls: args.round_calls.max(2),
        batch: args.batch.max(1),
        sleep: Duration::from_micros(args.sleep_us),
        warmup_rounds: args.warmup_rounds,
    };
    let (raw, delivery) = match args.logger {
        LoggerKind::Narrate => run_narrate(&plan, args.scenario, &path, false)?,
        LoggerKind::NarrateDrop => run_narrate(&plan, args.scenario, &path, true)?,
        LoggerKind::Tracing => run_tracing(&plan, args.scenario, dir.path())?,
        LoggerKind::Log => run_log(&plan, args.scenario, &path)?,
        LoggerKind::Floor => run_floor(&plan, args.scenario),
    };
    Ok(summarize(args, &plan, &clock, raw, delivery))
}

fn summarize(args: &ChildArgs, plan: &Plan, clock: &ClockInfo, raw: Raw, d: Delivery) -> Row {
    let Raw {
        mut warm,
        mut cold,
        mut batches,
        calls,
    } = raw;
    // All per-call samples, each tagged cold or warm, for the tails.
    let mut all: Vec<(u64, bool)> = warm
        .iter()
        .map(|&t| (t, false))
        .chain(cold.iter().map(|&t| (t, true)))
        .collect();
    all.sort_unstable();
    warm.sort_unstable();
    cold.sort_unstable();
    batches.sort_unstable();
    let per_call = |t: u64| round1(clock.ns(t, 1));
    let at = |q: f64| all[rank(all.len(), q)];
    let p999 = at(0.999);
    let emitted = match (args.scenario, args.logger) {
        (Scenario::Disabled | Scenario::TraceFnDisabled, _) | (_, LoggerKind::Floor) => 0,
        (Scenario::CallerLatency, _) => calls,
        // tracing's `ret` writes one event per call (the span itself is not
        // an event in the fmt layer); narrate and log write enter and exit.
        (Scenario::TraceFnEnabled, LoggerKind::Tracing) => calls,
        (Scenario::TraceFnEnabled, _) => 2 * calls,
    };
    Row {
        logger: args.logger.name().to_string(),
        scenario: args.scenario.name().to_string(),
        threads: 1,
        median_ns: round1(clock.ns(batches[batches.len() / 2], plan.batch)),
        p99_ns: per_call(at(0.99).0),
        p999_ns: per_call(p999.0),
        max_ns: per_call(all[all.len() - 1].0),
        p999_reflects: if p999.1 { "cold" } else { "warm" }.to_string(),
        p999_warm_ns: per_call(warm[rank(warm.len(), 0.999)]),
        cold_first_call_median_ns: per_call(cold[cold.len() / 2]),
        per_call_median_ns: per_call(all[all.len() / 2].0),
        batch_mean_ns: round1(
            batches
                .iter()
                .map(|&t| clock.ns(t, plan.batch))
                .sum::<f64>()
                / batches.len() as f64,
        ),
        events_emitted: emitted,
        events_delivered: d.file.0,
        output_bytes: d.file.1,
        sample_line: d.file.2,
        dropped_reported: d.dropped_reported,
        drain_ms: (d.drain_ms * 100.0).round() / 100.0,
        ring_high_water_bytes: d.ring_high_water_bytes,
        calls,
        per_call_samples: all.len() as u64,
        batch_samples: batches.len() as u64,
        batch_size: plan.batch as u64,
        round_calls: plan.round_calls as u64,
        sleep_us: plan.sleep.as_micros() as u64,
        bracket_overhead_ns: round1(clock.bracket_overhead_ns),
        tsc_step_ns: round1(clock.step_ns),
        runs: 1,
        run_medians_ns: Vec::new(),
        run_p999_ns: Vec::new(),
    }
}

/// Index of the nearest-rank `q` quantile in a sorted slice of `n`.
fn rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Benchmark events in the file at `path`, its size, and its first event.
fn count_events(path: &Path) -> Result<(u64, u64, String), String> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((0, 0, String::new()));
        }
        Err(e) => return Err(format!("read {}: {e}", path.display())),
    };
    // The caller_latency event, or the enter/exit/ret events of the traced
    // function (every peer names the function in them).
    let needles: [&[u8]; 2] = [b"shipped at", b"traced_work"];
    let mut events = text.split(|&b| b == b'\n').filter(|line| {
        needles
            .iter()
            .any(|n| line.windows(n.len()).any(|w| w == *n))
    });
    let first = events
        .next()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default();
    let count = if first.is_empty() {
        0
    } else {
        1 + events.count() as u64
    };
    Ok((count, text.len() as u64, first))
}

fn run_narrate(
    plan: &Plan,
    scenario: Scenario,
    path: &Path,
    drop_newest: bool,
) -> Result<(Raw, Delivery), String> {
    use narrate::{Config, FileSink, FullRingPolicy, Level};
    let policy = if drop_newest {
        FullRingPolicy::DropNewest
    } else {
        FullRingPolicy::Block
    };
    let level = if scenario == Scenario::TraceFnEnabled {
        Level::Trace
    } else {
        Level::Info
    };
    let guard = narrate::init(
        Config::new()
            .level(level)
            .sink(FileSink::new(path))
            .on_full_ring(policy),
    )
    .map_err(|e| format!("narrate init: {e}"))?;
    let raw = match scenario {
        Scenario::CallerLatency => drive!(plan, |i| calls::narrate_info(i)),
        Scenario::Disabled => drive!(plan, |i| calls::narrate_debug(i)),
        Scenario::TraceFnEnabled | Scenario::TraceFnDisabled => {
            drive!(plan, |i| calls::narrate_traced(i))
        }
    };
    let drain = Instant::now();
    narrate::flush();
    let drain_ms = drain.elapsed().as_secs_f64() * 1e3;
    let stats = narrate::stats();
    drop(guard);
    Ok((
        raw,
        Delivery {
            file: count_events(path)?,
            dropped_reported: Some(stats.dropped()),
            drain_ms,
            ring_high_water_bytes: Some(stats.ring_high_water_bytes),
        },
    ))
}

fn run_tracing(plan: &Plan, scenario: Scenario, dir: &Path) -> Result<(Raw, Delivery), String> {
    let appender = tracing_appender::rolling::never(dir, "out.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_max_level(if scenario == Scenario::TraceFnEnabled {
            tracing::Level::TRACE
        } else {
            tracing::Level::INFO
        })
        .try_init()
        .map_err(|e| format!("tracing init: {e}"))?;
    let raw = match scenario {
        Scenario::CallerLatency => drive!(plan, |i| calls::tracing_info(i)),
        Scenario::Disabled => drive!(plan, |i| calls::tracing_debug(i)),
        Scenario::TraceFnEnabled | Scenario::TraceFnDisabled => {
            drive!(plan, |i| calls::tracing_traced(i))
        }
    };
    // Dropping the guard flushes the channel and joins the worker.
    let drain = Instant::now();
    drop(guard);
    let drain_ms = drain.elapsed().as_secs_f64() * 1e3;
    Ok((
        raw,
        Delivery {
            file: count_events(&dir.join("out.log"))?,
            dropped_reported: None,
            drain_ms,
            ring_high_water_bytes: None,
        },
    ))
}

/// The minimal-capture floor: no logger at all, just what any binary logger
/// must do per event (see [`calls::Floor`]). Nothing is written anywhere.
fn run_floor(plan: &Plan, scenario: Scenario) -> (Raw, Delivery) {
    let mut floor = calls::Floor::new();
    let raw = match scenario {
        Scenario::CallerLatency => drive!(plan, |i| floor.capture(i)),
        // A disabled event is a relaxed load of a level and a branch.
        Scenario::Disabled | Scenario::TraceFnDisabled => drive!(plan, |i| floor.gate(i)),
        // Two events per call: enter and exit.
        Scenario::TraceFnEnabled => drive!(plan, |i| {
            floor.capture(i);
            floor.capture(i)
        }),
    };
    black_box(&floor);
    (
        raw,
        Delivery {
            file: (0, 0, String::new()),
            dropped_reported: None,
            drain_ms: 0.0,
            ring_high_water_bytes: None,
        },
    )
}

fn run_log(plan: &Plan, scenario: Scenario, path: &Path) -> Result<(Raw, Delivery), String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    env_logger::Builder::new()
        .filter_level(if scenario == Scenario::TraceFnEnabled {
            log::LevelFilter::Trace
        } else {
            log::LevelFilter::Info
        })
        .target(env_logger::Target::Pipe(Box::new(std::io::BufWriter::new(
            file,
        ))))
        .try_init()
        .map_err(|e| format!("env_logger init: {e}"))?;
    let raw = match scenario {
        Scenario::CallerLatency => drive!(plan, |i| calls::log_info(i)),
        Scenario::Disabled => drive!(plan, |i| calls::log_debug(i)),
        Scenario::TraceFnEnabled | Scenario::TraceFnDisabled => {
            drive!(plan, |i| calls::log_traced(i))
        }
    };
    let drain = Instant::now();
    log::logger().flush();
    let drain_ms = drain.elapsed().as_secs_f64() * 1e3;
    Ok((
        raw,
        Delivery {
            file: count_events(path)?,
            dropped_reported: None,
            drain_ms,
            ring_high_water_bytes: None,
        },
    ))
}

/// The timed calls, one function per logger and level.
///
/// Each is `#[inline(always)]` and called directly from the [`drive!`]
/// expansion, so that, like a logging macro at a user's call site, it is
/// compiled into the timing loop: no call, no prologue of its own. The field
/// values go through `black_box` so nothing is constant-folded; they
/// are evaluated however each macro evaluates its arguments (narrate and
/// tracing only when the event is enabled; for `log`, `format_args!` borrows
/// them either way).
mod calls {
    use std::hint::black_box;

    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    /// The 16-byte string field.
    const CITY: &str = "0123456789abcdef";
    const PRICE: f64 = 1.5;

    #[inline(always)]
    pub fn narrate_info(order_id: u64) {
        narrate::info!(
            "Order {order_id} shipped at {price} to {city}",
            order_id = order_id,
            price = black_box(PRICE),
            city = black_box(CITY),
        );
    }

    #[inline(always)]
    pub fn narrate_debug(order_id: u64) {
        narrate::debug!(
            "Order {order_id} shipped at {price} to {city}",
            order_id = order_id,
            price = black_box(PRICE),
            city = black_box(CITY),
        );
    }

    /// Structured fields plus the rendered message, as narrate writes them.
    #[inline(always)]
    pub fn tracing_info(order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        tracing::info!(
            order_id,
            price,
            city,
            "Order {order_id} shipped at {price} to {city}"
        );
    }

    #[inline(always)]
    pub fn tracing_debug(order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        tracing::debug!(
            order_id,
            price,
            city,
            "Order {order_id} shipped at {price} to {city}"
        );
    }

    #[narrate::trace_fn]
    #[inline(always)]
    pub fn narrate_traced_work(order_id: u64, price: f64, city: &str) -> u64 {
        order_id ^ price.to_bits() ^ city.len() as u64
    }

    #[inline(always)]
    pub fn narrate_traced(order_id: u64) {
        black_box(narrate_traced_work(
            order_id,
            black_box(PRICE),
            black_box(CITY),
        ));
    }

    #[tracing::instrument(level = "trace", ret)]
    #[inline(always)]
    pub fn tracing_traced_work(order_id: u64, price: f64, city: &str) -> u64 {
        order_id ^ price.to_bits() ^ city.len() as u64
    }

    #[inline(always)]
    pub fn tracing_traced(order_id: u64) {
        black_box(tracing_traced_work(
            order_id,
            black_box(PRICE),
            black_box(CITY),
        ));
    }

    /// `log` has no function attribute: enter and exit written by hand.
    #[inline(always)]
    pub fn log_traced_work(order_id: u64, price: f64, city: &str) -> u64 {
        log::trace!("enter log_traced_work order_id={order_id} price={price} city={city}");
        let result = order_id ^ price.to_bits() ^ city.len() as u64;
        log::trace!("exit log_traced_work result={result}");
        result
    }

    #[inline(always)]
    pub fn log_traced(order_id: u64) {
        black_box(log_traced_work(order_id, black_box(PRICE), black_box(CITY)));
    }

    /// `log` users format the message; env_logger writes no key-values by default.
    #[inline(always)]
    pub fn log_info(order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        log::info!("Order {order_id} shipped at {price} to {city}");
    }

    #[inline(always)]
    pub fn log_debug(order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        log::debug!("Order {order_id} shipped at {price} to {city}");
    }

    /// The floor of any binary logger's caller path, after
    /// `shared/BENCHMARKING.md`: a TSC read (through `quanta`, as narrate
    /// reads it), a 64-byte record (header + the three fields) copied into a
    /// 1 MiB ring, and a `Release` store of the write index. No consumer, no
    /// full-ring check, no encoding decisions.
    pub struct Floor {
        clock: quanta::Clock,
        ring: Vec<u8>,
        write: AtomicUsize,
        level: AtomicU8,
    }

    const RECORD: usize = 64;

    impl Floor {
        pub fn new() -> Floor {
            Floor {
                clock: quanta::Clock::new(),
                // Every page touched up front.
                ring: vec![1u8; 1 << 20],
                write: AtomicUsize::new(0),
                level: AtomicU8::new(2),
            }
        }

        #[inline(always)]
        pub fn capture(&mut self, order_id: u64) {
            let tsc = self.clock.raw();
            let city = black_box(CITY).as_bytes();
            let price = black_box(PRICE);
            let mut record = [0u8; RECORD];
            record[0..4].copy_from_slice(&7u32.to_le_bytes());
            record[4..8].copy_from_slice(&(RECORD as u32).to_le_bytes());
            record[8..16].copy_from_slice(&tsc.to_le_bytes());
            record[16..24].copy_from_slice(&order_id.to_le_bytes());
            record[24..32].copy_from_slice(&price.to_le_bytes());
            record[32..40].copy_from_slice(&(city.len() as u64).to_le_bytes());
            record[40..40 + city.len().min(24)].copy_from_slice(&city[..city.len().min(24)]);
            let pos = self.write.load(Ordering::Relaxed);
            let at = pos & (self.ring.len() - 1);
            self.ring[at..at + RECORD].copy_from_slice(&record);
            self.write.store(pos + RECORD, Ordering::Release);
        }

        /// The disabled-event floor: one relaxed load and a branch.
        #[inline(always)]
        pub fn gate(&mut self, order_id: u64) {
            if self.level.load(Ordering::Relaxed) <= 1 {
                self.capture(order_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        assert_eq!(rank(1000, 0.999), 998);
        assert_eq!(rank(1000, 0.5), 499);
        assert_eq!(rank(1, 0.999), 0);
        assert_eq!(rank(250_000, 0.99), 247_499);
    }

    #[test]
    fn trimmed_mean_cuts_both_ends() {
        let mut v: Vec<u64> = (0..100).map(|_| 52).collect();
        v[0] = 26;
        v[99] = 100_000;
        v.sort_unstable();
        assert_eq!(tsc::trimmed_mean(&v, 0.10), 52.0);
    }

    #[test]
    fn clock_is_sane() {
        let c = ClockInfo::measure();
        assert!(c.ticks_per_ns > 0.0);
        assert!(c.bracket_overhead_ticks >= 0.0);
        assert!(c.ns(c.bracket_overhead_ticks as u64, 1) < 1.0);
    }
}
