//! The child process: sets up one logger, times it, reports one JSON line.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::tsc::ClockInfo;
use crate::{Call, ChildArgs, LoggerKind, Mode, Row, Scenario};

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

/// One child's work: a scenario, its threads, its plan or burst.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub scenario: Scenario,
    pub threads: usize,
    pub plan: Plan,
    /// Burst scenarios: events, all threads together.
    pub events: u64,
    pub mode: Mode,
}

/// Raw timings in ticks.
#[derive(Default)]
pub(crate) struct Raw {
    /// Per-call brackets, except the first call of each round.
    pub(crate) warm: Vec<u64>,
    /// Per-call brackets of the first call after each sleep.
    pub(crate) cold: Vec<u64>,
    /// Brackets around `plan.batch` consecutive calls.
    pub(crate) batches: Vec<u64>,
    /// Every call made, warm-up included.
    pub(crate) calls: u64,
}

/// What one logging thread hands back.
pub(crate) enum Timing {
    Latency(Raw),
    /// A burst: when its first call started, and how many calls it made.
    Burst {
        start: Instant,
        calls: u64,
    },
}

/// Calls per burst round (fastrace opens a root span per round).
pub(crate) const BURST_ROUND: u64 = 1000;

/// Times `$body` (with `$i` bound to the call number) following `$plan`,
/// returning a [`Raw`]. `$round` is evaluated at the start of every round
/// and held until its end (fastrace's root span; `()` for the others).
///
/// A macro rather than a generic function: a closure or fn item passed to a
/// generic function is called through `FnMut::call_mut`, which LLVM kept out
/// of line for narrate (its enabled path is large), so every call, even a
/// disabled one, paid a call and a prologue. Expanded here, the logging call
/// is compiled into the timing loop, as a logging macro is at a user's call
/// site.
macro_rules! drive {
    ($plan:expr, $base:expr, $round:expr, |$i:ident| $body:expr) => {{
        let plan: &$crate::child::Plan = $plan;
        let per_round_batches = (plan.round_calls / plan.batch).max(1);
        let mut raw = $crate::child::Raw {
            warm: $crate::child::prefaulted(plan.rounds * plan.round_calls),
            cold: $crate::child::prefaulted(plan.rounds),
            batches: $crate::child::prefaulted(plan.rounds * per_round_batches),
            calls: 0,
        };
        let base: u64 = $base;
        let mut i = base;
        for _ in 0..plan.warmup_rounds {
            std::thread::sleep(plan.sleep);
            #[allow(clippy::let_unit_value)]
            let _round = $round;
            for _ in 0..plan.round_calls {
                let $i = std::hint::black_box(i);
                $body;
                i += 1;
            }
        }
        for _ in 0..plan.rounds {
            // Per-call round: tails.
            std::thread::sleep(plan.sleep);
            {
                #[allow(clippy::let_unit_value)]
                let _round = $round;
                for j in 0..plan.round_calls {
                    let t0 = $crate::tsc::read();
                    let $i = std::hint::black_box(i);
                    $body;
                    let t1 = $crate::tsc::read();
                    i += 1;
                    let d = t1.wrapping_sub(t0);
                    if j == 0 {
                        raw.cold.push(d);
                    } else {
                        raw.warm.push(d);
                    }
                }
            }
            // Batched round: medians.
            std::thread::sleep(plan.sleep);
            #[allow(clippy::let_unit_value)]
            let _round = $round;
            for _ in 0..per_round_batches {
                let t0 = $crate::tsc::read();
                for _ in 0..plan.batch {
                    let $i = std::hint::black_box(i);
                    $body;
                    i += 1;
                }
                let t1 = $crate::tsc::read();
                raw.batches.push(t1.wrapping_sub(t0));
            }
        }
        raw.calls = i - base;
        raw
    }};
}

/// Runs `$body` on `job.threads` threads at once (started together behind a
/// barrier), each with its own `$st = $init`, timed per `job.mode`; returns
/// one [`Timing`] per thread.
///
/// Values the body uses from the enclosing function must be references
/// (the thread closures are `move`).
/// Pins logging thread `t` to core `t` (modulo the cores there are), so a
/// timed thread is never migrated mid-measurement. The loggers' own
/// background threads are left to the scheduler, which puts them on the
/// remaining core(s). Where pinning is unsupported this does nothing.
pub(crate) fn pin_to_core(t: usize) {
    if let Some(ids) = core_affinity::get_core_ids()
        && !ids.is_empty()
    {
        core_affinity::set_for_current(ids[t % ids.len()]);
    }
}

macro_rules! on_threads {
    ($job:expr, $round:expr, $st:ident = $init:expr, |$i:ident| $body:expr) => {{
        let job: &$crate::child::Job = $job;
        let barrier = std::sync::Barrier::new(job.threads);
        std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..job.threads)
                    .map(|t| {
                        let barrier = &barrier;
                        std::thread::Builder::new()
                            .name(format!("bench-{t}"))
                            .spawn_scoped(s, move || {
                                $crate::child::pin_to_core(t);
                                #[allow(unused_mut, unused_variables, clippy::let_unit_value)]
                                let mut $st = $init;
                                let base = (t as u64) << 40;
                                barrier.wait();
                                match job.mode {
                                    $crate::Mode::Latency => $crate::child::Timing::Latency(
                                        drive!(&job.plan, base, $round, |$i| $body),
                                    ),
                                    $crate::Mode::Burst { .. } => {
                                        let n = job.events / job.threads as u64;
                                        let start = std::time::Instant::now();
                                        let mut k = 0;
                                        while k < n {
                                            #[allow(clippy::let_unit_value)]
                                            let _round = $round;
                                            let end = (k + $crate::child::BURST_ROUND).min(n);
                                            while k < end {
                                                let $i = std::hint::black_box(base + k);
                                                $body;
                                                k += 1;
                                            }
                                        }
                                        $crate::child::Timing::Burst { start, calls: n }
                                    }
                                }
                            })
                            .expect("spawn a bench thread")
                    })
                    .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a bench thread panicked"))
                .collect::<Vec<$crate::child::Timing>>()
        })
    }};
}

/// Picks the body for the job's call (info, debug or the traced function)
/// and runs it with [`on_threads!`].
macro_rules! measure {
    ($job:expr, round = $round:expr, state $st:ident = $init:expr,
     info = |$i1:ident| $info:expr,
     debug = |$i2:ident| $debug:expr,
     traced = |$i3:ident| $traced:expr $(,)?) => {{
        let job: &$crate::child::Job = $job;
        match job.scenario.call() {
            $crate::Call::Info => on_threads!(job, $round, $st = $init, |$i1| $info),
            $crate::Call::Debug => on_threads!(job, $round, $st = $init, |$i2| $debug),
            $crate::Call::Traced => on_threads!(job, $round, $st = $init, |$i3| $traced),
        }
    }};
}

/// An empty vector whose `n` slots are already backed by touched pages, so
/// that storing samples never takes a page fault during the run.
pub(crate) fn prefaulted(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, 1);
    std::hint::black_box(&mut v).clear();
    v
}

/// What a logger hands back after its calls.
pub(crate) struct Delivery {
    /// Events counted in the output file, the file's size, its first event.
    pub(crate) file: (u64, u64, String),
    /// Events the logger itself says it dropped, when it can tell.
    pub(crate) dropped_reported: Option<u64>,
    /// Time from the last call until the logger had written everything
    /// (flush, or dropping its guard), in ms: the backlog left behind.
    pub(crate) drain_ms: f64,
    /// When everything was written (and, for end_to_end_file, fsynced).
    pub(crate) end: Instant,
    /// narrate only: the most bytes ever waiting in the ring.
    pub(crate) ring_high_water_bytes: Option<u64>,
    /// end_to_end_file: how long the `fsync` took, in ms.
    pub(crate) fsync_ms: Option<f64>,
}

/// After the logger has written everything (its flush/shutdown returned at
/// `drained`): fsync the file for end_to_end_file, note the end, count.
pub(crate) fn finish(
    job: &Job,
    path: &Path,
    drain_start: Instant,
    dropped_reported: Option<u64>,
    ring_high_water_bytes: Option<u64>,
) -> Result<Delivery, String> {
    let mut fsync_ms = None;
    if let Mode::Burst { fsync: true } = job.mode {
        let t = Instant::now();
        std::fs::File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("fsync {}: {e}", path.display()))?;
        fsync_ms = Some((t.elapsed().as_secs_f64() * 1e5).round() / 100.0);
    }
    let end = Instant::now();
    Ok(Delivery {
        fsync_ms,
        file: count_events(path)?,
        dropped_reported,
        drain_ms: (end - drain_start).as_secs_f64() * 1e3,
        end,
        ring_high_water_bytes,
    })
}

pub(crate) fn run_child(args: &ChildArgs) -> Result<Row, String> {
    if !args.logger.supports(args.scenario) {
        return Err(format!(
            "{} has no {} scenario (see bench-method.md)",
            args.logger.name(),
            args.scenario.name()
        ));
    }
    let clock = ClockInfo::measure();
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let path = dir.path().join("out.log");
    let threads = args.scenario.threads();
    let job = Job {
        scenario: args.scenario,
        threads,
        plan: Plan {
            // The samples are pooled over the threads: each takes its share.
            rounds: (args.samples / threads).div_ceil(args.round_calls).max(1),
            round_calls: args.round_calls.max(2),
            batch: args.batch.max(1),
            sleep: Duration::from_micros(args.sleep_us),
            warmup_rounds: args.warmup_rounds,
        },
        events: (args.events / threads as u64).max(1) * threads as u64,
        mode: args.scenario.mode(),
    };
    let (timings, delivery) = match args.logger {
        LoggerKind::Narrate => run_narrate(&job, &path, false)?,
        LoggerKind::NarrateDrop => run_narrate(&job, &path, true)?,
        LoggerKind::Tracing => run_tracing(&job, dir.path())?,
        LoggerKind::Log => run_log(&job, &path)?,
        LoggerKind::Slog => run_slog(&job, &path, false)?,
        LoggerKind::SlogBlock => run_slog(&job, &path, true)?,
        LoggerKind::Ftlog => run_ftlog(&job, &path)?,
        LoggerKind::Fastrace => run_fastrace(&job, &path)?,
        LoggerKind::Spdlog => run_spdlog(&job, &path)?,
        LoggerKind::Ticklog => crate::run_ticklog(&job, &path)?,
        LoggerKind::Floor => run_floor(&job),
    };
    Ok(summarize(args, &job, &clock, timings, delivery))
}

/// Events that should reach the file for `calls` calls.
fn emitted(scenario: Scenario, logger: LoggerKind, calls: u64) -> u64 {
    match (scenario.call(), logger) {
        (_, LoggerKind::Floor) | (Call::Debug, _) => 0,
        (Call::Traced, _) if scenario == Scenario::TraceFnDisabled => 0,
        (Call::Info, _) => calls,
        // tracing's `ret` writes one event per call (the span itself is not
        // an event in the fmt layer); the others write enter and exit.
        (Call::Traced, LoggerKind::Tracing) => calls,
        (Call::Traced, _) => 2 * calls,
    }
}

fn summarize(
    args: &ChildArgs,
    job: &Job,
    clock: &ClockInfo,
    timings: Vec<Timing>,
    d: Delivery,
) -> Row {
    let mut row = Row {
        logger: args.logger.name().to_string(),
        scenario: args.scenario.row_name().to_string(),
        threads: job.threads as u32,
        events_delivered: d.file.0,
        output_bytes: d.file.1,
        sample_line: d.file.2,
        dropped_reported: d.dropped_reported,
        drain_ms: (d.drain_ms * 100.0).round() / 100.0,
        ring_high_water_bytes: d.ring_high_water_bytes,
        fsync_ms: d.fsync_ms,
        batch_size: job.plan.batch as u64,
        round_calls: job.plan.round_calls as u64,
        sleep_us: job.plan.sleep.as_micros() as u64,
        bracket_overhead_ns: round1(clock.bracket_overhead_ns),
        tsc_step_ns: round1(clock.step_ns),
        runs: 1,
        ..Row::default()
    };
    let mut raw = Raw::default();
    let mut start: Option<Instant> = None;
    for t in timings {
        match t {
            Timing::Latency(r) => {
                raw.warm.extend_from_slice(&r.warm);
                raw.cold.extend_from_slice(&r.cold);
                raw.batches.extend_from_slice(&r.batches);
                raw.calls += r.calls;
            }
            Timing::Burst { start: s, calls } => {
                start = Some(start.map_or(s, |t0| t0.min(s)));
                raw.calls += calls;
            }
        }
    }
    row.calls = raw.calls;
    row.events_emitted = emitted(args.scenario, args.logger, raw.calls);
    if let Some(start) = start {
        // A burst: wall time from the first call to the end of the drain.
        let secs = (d.end - start).as_secs_f64().max(1e-9);
        row.events_per_s = Some((raw.calls as f64 / secs).round());
        row.delivered_per_s = Some((row.events_delivered as f64 / secs).round());
        row.total_ms = Some((secs * 1e5).round() / 100.0);
        row.ns_per_event = Some(round1(secs * 1e9 / raw.calls.max(1) as f64));
        row.batch_size = 0;
        row.round_calls = BURST_ROUND;
        row.sleep_us = 0;
        return row;
    }
    let Raw {
        mut warm,
        mut cold,
        mut batches,
        ..
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
    let per_call = |t: u64| Some(round1(clock.ns(t, 1)));
    let at = |q: f64| all[rank(all.len(), q)];
    let p999 = at(0.999);
    row.median_ns = Some(round1(clock.ns(batches[batches.len() / 2], job.plan.batch)));
    row.p99_ns = per_call(at(0.99).0);
    row.p999_ns = per_call(p999.0);
    row.max_ns = per_call(all[all.len() - 1].0);
    row.p999_reflects = if p999.1 { "cold" } else { "warm" }.to_string();
    row.p999_warm_ns = per_call(warm[rank(warm.len(), 0.999)]);
    row.cold_first_call_median_ns = per_call(cold[cold.len() / 2]);
    row.per_call_median_ns = per_call(all[all.len() / 2].0);
    row.batch_mean_ns = Some(round1(
        batches
            .iter()
            .map(|&t| clock.ns(t, job.plan.batch))
            .sum::<f64>()
            / batches.len() as f64,
    ));
    row.per_call_samples = all.len() as u64;
    row.batch_samples = batches.len() as u64;
    row
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

pub(crate) fn trace_or_info(job: &Job) -> bool {
    job.scenario == Scenario::TraceFnEnabled
}

fn run_narrate(
    job: &Job,
    path: &Path,
    drop_newest: bool,
) -> Result<(Vec<Timing>, Delivery), String> {
    use narrate::{Config, FileSink, FullRingPolicy, Level};
    let policy = if drop_newest {
        FullRingPolicy::DropNewest
    } else {
        FullRingPolicy::Block
    };
    let level = if trace_or_info(job) {
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
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::narrate_info(i),
        debug = |i| calls::narrate_debug(i),
        traced = |i| calls::narrate_traced(i),
    );
    let drain = Instant::now();
    narrate::flush();
    let stats = narrate::stats();
    drop(guard);
    let d = finish(
        job,
        path,
        drain,
        Some(stats.dropped()),
        Some(stats.ring_high_water_bytes),
    )?;
    Ok((timings, d))
}

fn run_tracing(job: &Job, dir: &Path) -> Result<(Vec<Timing>, Delivery), String> {
    let appender = tracing_appender::rolling::never(dir, "out.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_max_level(if trace_or_info(job) {
            tracing::Level::TRACE
        } else {
            tracing::Level::INFO
        })
        .try_init()
        .map_err(|e| format!("tracing init: {e}"))?;
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::tracing_info(i),
        debug = |i| calls::tracing_debug(i),
        traced = |i| calls::tracing_traced(i),
    );
    // Dropping the guard flushes the channel and joins the worker.
    let drain = Instant::now();
    drop(guard);
    let d = finish(job, &dir.join("out.log"), drain, None, None)?;
    Ok((timings, d))
}

/// The minimal-capture floor: no logger at all, just what any binary logger
/// must do per event (see [`calls::Floor`]). Nothing is written anywhere.
fn run_floor(job: &Job) -> (Vec<Timing>, Delivery) {
    let timings = match job.scenario {
        // A disabled event is a relaxed load of a level and a branch.
        Scenario::Disabled | Scenario::TraceFnDisabled => {
            on_threads!(job, (), floor = calls::Floor::new(), |i| floor.gate(i))
        }
        // Two events per call: enter and exit.
        Scenario::TraceFnEnabled => on_threads!(job, (), floor = calls::Floor::new(), |i| {
            floor.capture(i);
            floor.capture(i)
        }),
        _ => on_threads!(job, (), floor = calls::Floor::new(), |i| floor.capture(i)),
    };
    let end = Instant::now();
    (
        timings,
        Delivery {
            file: (0, 0, String::new()),
            dropped_reported: None,
            drain_ms: 0.0,
            end,
            ring_high_water_bytes: None,
            fsync_ms: None,
        },
    )
}

fn run_log(job: &Job, path: &Path) -> Result<(Vec<Timing>, Delivery), String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    env_logger::Builder::new()
        .filter_level(if trace_or_info(job) {
            log::LevelFilter::Trace
        } else {
            log::LevelFilter::Info
        })
        .target(env_logger::Target::Pipe(Box::new(std::io::BufWriter::new(
            file,
        ))))
        .try_init()
        .map_err(|e| format!("env_logger init: {e}"))?;
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::log_info(i),
        debug = |i| calls::log_debug(i),
        traced = |i| calls::log_traced(i),
    );
    let drain = Instant::now();
    log::logger().flush();
    let d = finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

/// slog as its README sets it up: slog-json behind slog-async. The JSON
/// drain writes through a `BufWriter` (slog-json serialises straight into
/// its writer, one `write` per token otherwise).
fn run_slog(job: &Job, path: &Path, block: bool) -> Result<(Vec<Timing>, Delivery), String> {
    use slog::Drain;
    let file =
        std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    let json = slog_json::Json::new(std::io::BufWriter::new(file))
        .add_default_keys()
        .build()
        .fuse();
    let strategy = if block {
        slog_async::OverflowStrategy::Block
    } else {
        slog_async::OverflowStrategy::DropAndReport
    };
    let (drain, guard) = slog_async::Async::new(json)
        .overflow_strategy(strategy)
        .build_with_guard();
    let logger = slog::Logger::root(
        slog::LevelFilter::new(drain, slog::Level::Info).fuse(),
        slog::o!(),
    );
    let log = &logger;
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::slog_info(log, i),
        debug = |i| calls::slog_debug(log, i),
        traced = |_i| calls::unsupported(),
    );
    // Dropping the logger and the guard flushes the channel and joins the
    // worker, which drops (and so flushes) the BufWriter.
    let drain = Instant::now();
    drop(logger);
    drop(guard);
    let d = finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

/// ftlog: its builder with defaults (bounded queue of 100 000 that drops
/// when full) and a `FileAppender`; the calls are `log`'s macros.
fn run_ftlog(job: &Job, path: &Path) -> Result<(Vec<Timing>, Delivery), String> {
    let guard = ftlog::builder()
        .max_log_level(if trace_or_info(job) {
            ftlog::LevelFilter::Trace
        } else {
            ftlog::LevelFilter::Info
        })
        .root(ftlog::appender::FileAppender::new(path))
        .try_init()
        .map_err(|e| format!("ftlog init: {e}"))?;
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::log_info(i),
        debug = |i| calls::log_debug(i),
        traced = |i| calls::log_traced(i),
    );
    // Dropping the guard sends a flush and waits for it.
    let drain = Instant::now();
    drop(guard);
    let d = finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

/// fastrace: the events go on a root span opened per round of 1 000 calls;
/// its global collector hands finished spans to a reporter, here one that
/// writes each event as a JSON line to a buffered file.
fn run_fastrace(job: &Job, path: &Path) -> Result<(Vec<Timing>, Delivery), String> {
    use std::io::Write as _;
    use std::sync::{Arc, Mutex};
    let file =
        std::fs::File::create(path).map_err(|e| format!("create {}: {e}", path.display()))?;
    let out = Arc::new(Mutex::new(std::io::BufWriter::new(file)));
    fastrace::set_reporter(
        calls::FileReporter { out: out.clone() },
        fastrace::collector::Config::default(),
    );
    let timings = measure!(job, round = calls::FastraceRound::open(), state _s = (),
        info = |i| calls::fastrace_info(i),
        debug = |_i| calls::unsupported(),
        traced = |_i| calls::unsupported(),
    );
    let drain = Instant::now();
    fastrace::flush();
    out.lock()
        .map_err(|_| "fastrace reporter poisoned".to_string())?
        .flush()
        .map_err(|e| format!("flush: {e}"))?;
    let d = finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

/// spdlog-rs: an `AsyncPoolSink` over a `FileSink`, on a thread pool built
/// with the default pool's settings (1 thread, 8 192 slots) so that it can
/// be dropped — joined — at the end; overflow policy `Block` (its default).
fn run_spdlog(job: &Job, path: &Path) -> Result<(Vec<Timing>, Delivery), String> {
    use spdlog::sink::{AsyncPoolSink, FileSink};
    use std::sync::Arc;
    let err = |e: spdlog::Error| format!("spdlog: {e}");
    let pool = Arc::new(spdlog::ThreadPool::new().map_err(err)?);
    let file = Arc::new(
        FileSink::builder()
            .path(path)
            .truncate(true)
            .build()
            .map_err(err)?,
    );
    let sink = Arc::new(
        AsyncPoolSink::builder()
            .sink(file)
            .thread_pool(pool.clone())
            .build()
            .map_err(err)?,
    );
    let logger = Arc::new(
        spdlog::Logger::builder()
            .sink(sink)
            .level_filter(spdlog::LevelFilter::MoreSevereEqual(
                if trace_or_info(job) {
                    spdlog::Level::Trace
                } else {
                    spdlog::Level::Info
                },
            ))
            .build()
            .map_err(err)?,
    );
    let log: &spdlog::Logger = &logger;
    let timings = measure!(job, round = (), state _s = (),
        info = |i| calls::spdlog_info(log, i),
        debug = |i| calls::spdlog_debug(log, i),
        traced = |i| calls::spdlog_traced(log, i),
    );
    // The flush is queued behind the records; dropping the last handle on
    // the pool closes its channel and joins its thread once it is empty.
    let drain = Instant::now();
    logger.flush();
    drop(logger);
    drop(pool);
    let d = finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

pub(crate) mod calls {
    use std::hint::black_box;

    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    /// The 16-byte string field.
    pub const CITY: &str = "0123456789abcdef";
    pub const PRICE: f64 = 1.5;

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

    #[inline(always)]
    pub fn slog_info(log: &slog::Logger, order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        slog::info!(log, "Order {} shipped at {} to {}", order_id, price, city;
            "order_id" => order_id, "price" => price, "city" => city);
    }

    /// Compiled out: slog's default static max level in release is info.
    #[inline(always)]
    pub fn slog_debug(log: &slog::Logger, order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        slog::debug!(log, "Order {} shipped at {} to {}", order_id, price, city;
            "order_id" => order_id, "price" => price, "city" => city);
    }

    /// spdlog-rs: the message plus the three fields as key-values.
    #[inline(always)]
    pub fn spdlog_info(log: &spdlog::Logger, order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        spdlog::info!(logger: log, "Order {} shipped at {} to {}", order_id, price, city,
            kv: { order_id, price, city });
    }

    #[inline(always)]
    pub fn spdlog_debug(log: &spdlog::Logger, order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        spdlog::debug!(logger: log, "Order {} shipped at {} to {}", order_id, price, city,
            kv: { order_id, price, city });
    }

    /// spdlog-rs has no function attribute: enter and exit by hand, with
    /// key-values.
    #[inline(always)]
    pub fn spdlog_traced_work(log: &spdlog::Logger, order_id: u64, price: f64, city: &str) -> u64 {
        spdlog::trace!(logger: log, "enter spdlog_traced_work", kv: { order_id, price, city });
        let result = order_id ^ price.to_bits() ^ city.len() as u64;
        spdlog::trace!(logger: log, "exit spdlog_traced_work", kv: { result });
        result
    }

    #[inline(always)]
    pub fn spdlog_traced(log: &spdlog::Logger, order_id: u64) {
        black_box(spdlog_traced_work(
            log,
            order_id,
            black_box(PRICE),
            black_box(CITY),
        ));
    }

    /// fastrace: an event on the current local parent, named by the
    /// rendered message, with the three fields as properties. fastrace's
    /// properties are strings, rendered on the caller's thread; this is
    /// what logforth's `FastraceEvent` appender builds from a `log` record.
    #[inline(always)]
    pub fn fastrace_info(order_id: u64) {
        let price = black_box(PRICE);
        let city = black_box(CITY);
        fastrace::local::LocalSpan::add_event(
            fastrace::Event::new(format!("Order {order_id} shipped at {price} to {city}"))
                .with_properties(|| {
                    [
                        ("order_id", order_id.to_string()),
                        ("price", price.to_string()),
                        ("city", city.to_string()),
                    ]
                }),
        );
    }

    /// A root span and its local-parent guard, held for one round.
    pub struct FastraceRound {
        // Dropped first: the guard, then the span.
        _guard: fastrace::local::LocalParentGuard,
        _root: fastrace::Span,
    }

    impl FastraceRound {
        #[inline(always)]
        pub fn open() -> FastraceRound {
            let root =
                fastrace::Span::root("bench_round", fastrace::collector::SpanContext::random());
            FastraceRound {
                _guard: root.set_local_parent(),
                _root: root,
            }
        }
    }

    /// fastrace ships no file reporter: this one writes each event of each
    /// reported span as a JSON line.
    pub struct FileReporter {
        pub out: std::sync::Arc<std::sync::Mutex<std::io::BufWriter<std::fs::File>>>,
    }

    impl fastrace::collector::Reporter for FileReporter {
        fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
            use std::io::Write as _;
            let Ok(mut out) = self.out.lock() else {
                return;
            };
            for span in spans {
                for event in &span.events {
                    let mut line = serde_json::Map::new();
                    line.insert("ts_unix_ns".into(), event.timestamp_unix_ns.into());
                    line.insert("trace_id".into(), span.trace_id.0.to_string().into());
                    line.insert("span".into(), span.name.to_string().into());
                    line.insert("message".into(), event.name.to_string().into());
                    for (k, v) in &event.properties {
                        line.insert(k.to_string(), v.to_string().into());
                    }
                    let _ = serde_json::to_writer(&mut *out, &line);
                    let _ = out.write_all(b"\n");
                }
            }
        }
    }

    /// The body of a scenario a logger has no row for; `run_child` refuses
    /// those before any call is made.
    #[cold]
    pub fn unsupported() {
        unreachable!("scenario not supported by this logger")
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
    fn events_expected_per_call() {
        assert_eq!(emitted(Scenario::CallerLatency, LoggerKind::Slog, 10), 10);
        assert_eq!(emitted(Scenario::Throughput2t, LoggerKind::Narrate, 10), 10);
        assert_eq!(emitted(Scenario::Disabled, LoggerKind::Narrate, 10), 0);
        assert_eq!(
            emitted(Scenario::TraceFnEnabled, LoggerKind::Tracing, 10),
            10
        );
        assert_eq!(
            emitted(Scenario::TraceFnEnabled, LoggerKind::Spdlog, 10),
            20
        );
        assert_eq!(emitted(Scenario::TraceFnDisabled, LoggerKind::Log, 10), 0);
        assert_eq!(emitted(Scenario::CallerLatency, LoggerKind::Floor, 10), 0);
    }

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
        assert_eq!(crate::tsc::trimmed_mean(&v, 0.10), 52.0);
    }

    #[test]
    fn clock_is_sane() {
        let c = ClockInfo::measure();
        assert!(c.ticks_per_ns > 0.0);
        assert!(c.bracket_overhead_ticks >= 0.0);
        assert!(c.ns(c.bracket_overhead_ticks as u64, 1) < 1.0);
    }
}
