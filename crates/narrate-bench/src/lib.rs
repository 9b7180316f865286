//! `narrate bench`: narrate against its peers, one child process per logger.
//!
//! The parent ([`run`]) measures the machine's clock, re-executes the current
//! binary once per (logger, scenario) with the hidden `__bench-child`
//! subcommand ([`run_child`]), collects one JSON line from each child, prints
//! a table and optionally writes JSON. The method is described in
//! `docs/performance/bench-method.md`.
//!
//! The peers (`tracing`, `log`) are dependencies of this crate only, so they
//! stay out of the library's dependency tree.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

#[macro_use]
mod child;
mod config_bench;
mod export_bench;
mod plot;
mod progress;
mod redact_bench;
mod sampling_bench;
mod spans_bench;
pub mod tsc;

/// Per-call samples per logger in a default run.
pub const DEFAULT_SAMPLES: usize = 200_000;
/// Per-call samples per logger with `--quick`.
pub const QUICK_SAMPLES: usize = 30_000;
/// Events per throughput run (split between the threads).
pub const DEFAULT_EVENTS: u64 = 1_000_000;
/// Events per throughput run with `--quick`.
pub const QUICK_EVENTS: u64 = 200_000;
/// The fixed burst of `end_to_end_file`.
pub const END_TO_END_EVENTS: u64 = 100_000;

/// A logger under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoggerKind {
    /// narrate, lossless (`FullRingPolicy::Block`, the default).
    #[value(name = "narrate")]
    Narrate,
    /// narrate with `FullRingPolicy::DropNewest`.
    #[value(name = "narrate-drop")]
    NarrateDrop,
    /// tracing + tracing-subscriber fmt JSON + tracing-appender non_blocking.
    #[value(name = "tracing")]
    Tracing,
    /// log + env_logger to a buffered file.
    #[value(name = "log")]
    Log,
    /// slog + slog-json (buffered file) behind slog-async with its defaults
    /// (channel of 128, `DropAndReport`).
    #[value(name = "slog")]
    Slog,
    /// The same with `OverflowStrategy::Block`.
    #[value(name = "slog-block")]
    SlogBlock,
    /// ftlog with its defaults (bounded queue of 100 000, drops when full)
    /// and a `FileAppender`.
    #[value(name = "ftlog")]
    Ftlog,
    /// fastrace: events on a root span per 1 000 calls, reported to a file.
    #[value(name = "fastrace")]
    Fastrace,
    /// spdlog-rs: `AsyncPoolSink` (default pool: 1 thread, 8 192 slots,
    /// `Block`) over a `FileSink`.
    #[value(name = "spdlog")]
    Spdlog,
    /// ticklog with a `FileSink` and its defaults (1 MiB ring per thread,
    /// `Backpressure::Drop`).
    #[value(name = "ticklog")]
    Ticklog,
    /// No logger: the minimal-capture floor (TSC read, 64-byte copy into a
    /// 1 MiB ring, Release store), for reference.
    #[value(name = "floor")]
    Floor,
}

impl LoggerKind {
    pub fn name(self) -> &'static str {
        match self {
            LoggerKind::Narrate => "narrate",
            LoggerKind::NarrateDrop => "narrate-drop",
            LoggerKind::Tracing => "tracing",
            LoggerKind::Log => "log",
            LoggerKind::Slog => "slog",
            LoggerKind::SlogBlock => "slog-block",
            LoggerKind::Ftlog => "ftlog",
            LoggerKind::Fastrace => "fastrace",
            LoggerKind::Spdlog => "spdlog",
            LoggerKind::Ticklog => "ticklog",
            LoggerKind::Floor => "floor",
        }
    }

    /// Whether this logger has a row for `scenario`; see the method doc for
    /// why some have none.
    pub fn supports(self, scenario: Scenario) -> bool {
        if matches!(scenario, Scenario::OtlpExport | Scenario::SyslogTcp) {
            return self == LoggerKind::Narrate;
        }
        match scenario.call() {
            Call::Info => true,
            // fastrace has no levels.
            Call::Debug => self != LoggerKind::Fastrace,
            // No function attribute: hand-written enter/exit events for
            // the loggers behind `log` and for spdlog-rs; slog and ticklog
            // compile trace out (slog's default static max level in release
            // is info; ticklog's level is fixed at `configure!`); fastrace
            // has no levels (its `#[trace]` makes spans, not events).
            Call::Traced => matches!(
                self,
                LoggerKind::Narrate
                    | LoggerKind::NarrateDrop
                    | LoggerKind::Tracing
                    | LoggerKind::Log
                    | LoggerKind::Ftlog
                    | LoggerKind::Spdlog
                    | LoggerKind::Floor
            ),
        }
    }

    /// Whether it writes a file whose events can be counted.
    pub fn writes(self) -> bool {
        self != LoggerKind::Floor
    }
}

/// Which call a scenario makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The info event (enabled).
    Info,
    /// The same event at debug (disabled).
    Debug,
    /// The instrumented function.
    Traced,
}

/// How a scenario is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Per-call and batched TSC brackets with sleeps between rounds.
    Latency,
    /// A burst of events as fast as possible, then flush/shutdown; wall
    /// time from the first call until the logger has written everything
    /// (and, with `fsync`, until `fsync` of the file returned).
    Burst { fsync: bool },
}

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// One info event: three fields (u64, f64, 16-byte str) and a template.
    #[value(name = "caller_latency")]
    CallerLatency,
    /// The same event at debug level while the runtime level is info.
    #[value(name = "disabled")]
    Disabled,
    /// A function with `#[narrate::trace_fn]` (three arguments, a result)
    /// called while Trace is enabled: an enter and an exit event per call.
    /// Peers: `#[tracing::instrument(level = "trace", ret)]`, and `log`'s
    /// hand-written enter/exit `trace!`s.
    #[value(name = "trace_fn_enabled")]
    TraceFnEnabled,
    /// The same function while the runtime level is info.
    #[value(name = "trace_fn_disabled")]
    TraceFnDisabled,
    /// `caller_latency` on 2 threads at once (rows: `"threads": 2`).
    #[value(name = "caller_latency_2t")]
    CallerLatency2t,
    /// N info events as fast as possible on 1 thread, then flush/shutdown:
    /// events/s from the first call until everything is in the file.
    #[value(name = "throughput")]
    Throughput,
    /// The same with 2 threads sharing the N events (rows: `"threads": 2`).
    #[value(name = "throughput_2t")]
    Throughput2t,
    /// A fixed burst (default 100 000 events, 1 thread), then shutdown and
    /// `fsync`: time from the first call until all bytes are on disk.
    #[value(name = "end_to_end_file")]
    EndToEndFile,
    /// narrate's redaction and sanitization alone (no peers): clean and
    /// secret-bearing text, sanitizing ASCII, and linearity on near-miss
    /// inputs. Runs in this process; its rows are under `"redact"` in the JSON.
    #[value(name = "redact")]
    Redact,
    /// `narrate::Config::from_file` on a narrate.toml with 100 filter rules
    /// (no peers). Runs in this process; rows under `"config"` in the JSON.
    #[value(name = "config_load")]
    ConfigLoad,
    /// Entering and exiting a span, beside `tracing` (in this process; rows
    /// under `"spans"`; see `spans_bench.rs`).
    #[value(name = "span_enter_exit")]
    SpanEnterExit,
    /// The caller_latency event inside two entered spans, beside `tracing`.
    #[value(name = "event_in_span")]
    EventInSpan,
    /// `tracing::info!` routed through `narrate_tracing::layer()`.
    #[value(name = "tracing_layer")]
    TracingLayer,
    /// `--events` events through narrate-otlp to a loopback OTLP/HTTP
    /// receiver in the child (narrate only; see `export_bench.rs`).
    #[value(name = "otlp_export")]
    OtlpExport,
    /// `--events` events through the TCP syslog sink to a loopback
    /// octet-counting receiver in the child (narrate only).
    #[value(name = "syslog_tcp")]
    SyslogTcp,
    /// The sampling decision's cost beside the plain event (target ≤ 5 ns).
    /// Runs in this process; rows under `"sampling"` in the JSON.
    #[value(name = "sampling_check")]
    SamplingCheck,
}

impl Scenario {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CallerLatency => "caller_latency",
            Scenario::Disabled => "disabled",
            Scenario::TraceFnEnabled => "trace_fn_enabled",
            Scenario::TraceFnDisabled => "trace_fn_disabled",
            Scenario::CallerLatency2t => "caller_latency_2t",
            Scenario::Throughput => "throughput",
            Scenario::Throughput2t => "throughput_2t",
            Scenario::EndToEndFile => "end_to_end_file",
            Scenario::Redact => "redact",
            Scenario::ConfigLoad => "config_load",
            Scenario::SpanEnterExit => "span_enter_exit",
            Scenario::EventInSpan => "event_in_span",
            Scenario::TracingLayer => "tracing_layer",
            Scenario::OtlpExport => "otlp_export",
            Scenario::SyslogTcp => "syslog_tcp",
            Scenario::SamplingCheck => "sampling_check",
        }
    }

    /// The name in result rows (the thread count is a column of its own).
    pub fn row_name(self) -> &'static str {
        match self {
            Scenario::CallerLatency2t => "caller_latency",
            Scenario::Throughput2t => "throughput",
            other => other.name(),
        }
    }

    /// Threads that log at once.
    pub fn threads(self) -> usize {
        match self {
            Scenario::CallerLatency2t | Scenario::Throughput2t => 2,
            _ => 1,
        }
    }

    pub fn call(self) -> Call {
        match self {
            Scenario::Disabled => Call::Debug,
            Scenario::TraceFnEnabled | Scenario::TraceFnDisabled => Call::Traced,
            _ => Call::Info,
        }
    }

    pub fn mode(self) -> Mode {
        match self {
            Scenario::Throughput
            | Scenario::Throughput2t
            | Scenario::OtlpExport
            | Scenario::SyslogTcp => Mode::Burst { fsync: false },
            Scenario::EndToEndFile => Mode::Burst { fsync: true },
            _ => Mode::Latency,
        }
    }

    /// Events a burst scenario emits, given `--events` (throughput) and the
    /// fixed end-to-end burst.
    fn events(self, throughput_events: u64) -> u64 {
        match self {
            Scenario::EndToEndFile => END_TO_END_EVENTS,
            _ => throughput_events,
        }
    }

    /// Calls per timed batch for the median: enough that the ~10 ns counter
    /// step is small against the batch.
    fn batch(self) -> usize {
        match self {
            Scenario::Disabled | Scenario::TraceFnDisabled => 100,
            _ => 20,
        }
    }
}

/// `narrate bench`: narrate against its peers, in one run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Also draw caller_latency's percentiles of every logger (log scale) to
    /// this file: SVG or PNG by its extension.
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// Fewer samples and events, one run: the default set in under a minute.
    #[arg(long)]
    pub quick: bool,
    /// Loggers to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "narrate,narrate-drop,tracing,log,slog,slog-block,ftlog,fastrace,spdlog,ticklog,floor"
    )]
    pub loggers: Vec<LoggerKind>,
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "caller_latency,caller_latency_2t,disabled,trace_fn_enabled,trace_fn_disabled,throughput,throughput_2t,end_to_end_file,redact,config_load,span_enter_exit,event_in_span,tracing_layer"
    )]
    pub scenarios: Vec<Scenario>,
    /// Per-call samples per logger, latency scenario and run, shared by its
    /// threads (default 200000, 30000 with --quick).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Events per throughput run, all threads together (default 1000000,
    /// 200000 with --quick). end_to_end_file always emits 100000.
    #[arg(long)]
    pub events: Option<u64>,
    /// Runs of the whole set (in rotated order); each statistic reported is
    /// the median over the runs (max: the largest). Default 3, 1 with --quick.
    #[arg(long)]
    pub repeat: Option<usize>,
}

/// The hidden child subcommand: one logger, one scenario, one JSON line.
#[derive(Debug, Clone, clap::Args)]
pub struct ChildArgs {
    #[arg(long)]
    pub logger: LoggerKind,
    #[arg(long)]
    pub scenario: Scenario,
    /// Per-call samples, shared by the threads (the same number of calls
    /// again is timed in batches).
    #[arg(long, default_value_t = DEFAULT_SAMPLES)]
    pub samples: usize,
    /// Events of a throughput burst, all threads together.
    #[arg(long, default_value_t = DEFAULT_EVENTS)]
    pub events: u64,
    /// Calls per round; a round starts after a sleep.
    #[arg(long, default_value_t = 1000)]
    pub round_calls: usize,
    /// Calls per timed batch in batched rounds.
    #[arg(long, default_value_t = 20)]
    pub batch: usize,
    /// Sleep before each round, in microseconds.
    #[arg(long, default_value_t = 1000)]
    pub sleep_us: u64,
    /// Untimed rounds first.
    #[arg(long, default_value_t = 20)]
    pub warmup_rounds: usize,
}

/// One result row, as the child prints it and the JSON file holds it.
///
/// Latency statistics are `null` in burst rows (`throughput`,
/// `end_to_end_file`), and `events_per_s` is `null` in latency rows.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Row {
    pub logger: String,
    pub scenario: String,
    pub threads: u32,
    /// Median of batch averages (overhead-corrected).
    pub median_ns: Option<f64>,
    /// Per-call percentiles over all per-call samples, cold calls included.
    pub p99_ns: Option<f64>,
    pub p999_ns: Option<f64>,
    pub max_ns: Option<f64>,
    /// Burst rows: events emitted per second, from the first call until the
    /// logger had written everything (and fsync returned, end_to_end_file).
    pub events_per_s: Option<f64>,
    /// Burst rows: events that reached the file, per second of the same span.
    #[serde(default)]
    pub delivered_per_s: Option<f64>,
    /// Burst rows: that span in ms.
    #[serde(default)]
    pub total_ms: Option<f64>,
    /// Burst rows: the span divided by the events emitted, in ns.
    #[serde(default)]
    pub ns_per_event: Option<f64>,
    /// Whether the p99.9 sample is a cold first call or a warm one.
    pub p999_reflects: String,
    /// p99.9 of the warm calls only.
    pub p999_warm_ns: Option<f64>,
    /// Median of the first call after each sleep.
    pub cold_first_call_median_ns: Option<f64>,
    /// Median of per-call timings (quantised to the counter step).
    pub per_call_median_ns: Option<f64>,
    /// Mean of the batch averages.
    pub batch_mean_ns: Option<f64>,
    /// Events that should reach the file (0 for the disabled scenarios).
    pub events_emitted: u64,
    /// Events counted in the file after flush/shutdown.
    pub events_delivered: u64,
    /// Size of the output file.
    pub output_bytes: u64,
    /// The first event line in the output file (what the logger writes).
    pub sample_line: String,
    /// Drops the logger reports itself (narrate's stats), when it can.
    pub dropped_reported: Option<u64>,
    /// Time from the last call until everything was written, in ms.
    pub drain_ms: f64,
    /// narrate only: the most bytes ever waiting in one ring.
    pub ring_high_water_bytes: Option<u64>,
    /// end_to_end_file: the part of the drain spent in `fsync`, in ms.
    #[serde(default)]
    pub fsync_ms: Option<f64>,
    pub calls: u64,
    pub per_call_samples: u64,
    pub batch_samples: u64,
    pub batch_size: u64,
    pub round_calls: u64,
    pub sleep_us: u64,
    pub bracket_overhead_ns: f64,
    pub tsc_step_ns: f64,
    /// Child runs merged into this row.
    #[serde(default)]
    pub runs: u64,
    /// Each run's median (burst rows: events/s), in run order.
    #[serde(default)]
    pub run_medians_ns: Vec<f64>,
    /// Each run's p99.9, in run order.
    #[serde(default)]
    pub run_p999_ns: Vec<f64>,
    /// Burst rows: each run's events/s, in run order.
    #[serde(default)]
    pub run_events_per_s: Vec<f64>,
}

/// The machine the run happened on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub logical_cores: usize,
    pub os: String,
    pub clock: tsc::ClockInfo,
    pub tsc_ghz: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Report {
    results: Vec<Row>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    redact: Vec<redact_bench::RedactRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    config: Vec<config_bench::ConfigRow>,
    spans: Vec<spans_bench::SpanRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sampling: Vec<sampling_bench::SamplingRow>,
    machine: Machine,
}

/// Entry point of the hidden child subcommand.
pub fn run_child(args: ChildArgs) -> ExitCode {
    let result = export_bench::run_child(&args).unwrap_or_else(|| child::run_child(&args));
    match result {
        Ok(row) => match serde_json::to_string(&row) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("narrate bench child: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("narrate bench child ({}): {e}", args.logger.name());
            ExitCode::FAILURE
        }
    }
}

/// Entry point of `narrate bench`.
pub fn run(args: BenchArgs) -> ExitCode {
    let samples = args.samples.unwrap_or(if args.quick {
        QUICK_SAMPLES
    } else {
        DEFAULT_SAMPLES
    });
    let events = args
        .events
        .unwrap_or(if args.quick {
            QUICK_EVENTS
        } else {
            DEFAULT_EVENTS
        })
        .max(2);
    let warmup_rounds = if samples < 20_000 { 3 } else { 20 };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("narrate bench: cannot find the current executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clock = tsc::ClockInfo::measure();
    let machine = Machine {
        cpu_model: cpu_model(),
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        os: std::env::consts::OS.to_string(),
        tsc_ghz: (clock.ticks_per_ns * 1000.0).round() / 1000.0,
        clock,
    };
    eprintln!(
        "narrate bench: {} ({} cores), counter {:.3} GHz, step {:.1} ns, bracket overhead {:.1} ns; {} per-call samples per run (shared by the threads), {} events per throughput run",
        machine.cpu_model,
        machine.logical_cores,
        machine.tsc_ghz,
        clock.step_ns,
        clock.bracket_overhead_ns,
        samples,
        events
    );
    let repeat = args.repeat.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let mut runs: Vec<(LoggerKind, Scenario, Vec<Row>)> = Vec::new();
    // `redact` has no loggers and no child processes: it runs at the end.
    let logged_scenarios: Vec<Scenario> = args
        .scenarios
        .iter()
        .copied()
        .filter(|s| {
            !matches!(
                s,
                Scenario::Redact | Scenario::ConfigLoad | Scenario::SamplingCheck
            ) && !spans_bench::in_process(*s)
        })
        .collect();
    for &scenario in &logged_scenarios {
        for &logger in &args.loggers {
            if logger.supports(scenario) {
                runs.push((logger, scenario, Vec::new()));
            }
        }
    }
    let progress = progress::Progress::new((runs.len() * repeat) as u64);
    let mut failed = false;
    for rep in 0..repeat {
        // Rotate the order so no logger always runs first or last.
        let n = args.loggers.len().max(1);
        for &scenario in &logged_scenarios {
            for k in 0..args.loggers.len() {
                let logger = args.loggers[(k + rep) % n];
                if !logger.supports(scenario) {
                    continue;
                }
                let label = format!(
                    "run {}/{repeat} {:<12} {:<17}",
                    rep + 1,
                    logger.name(),
                    scenario.name()
                );
                progress.start(&label);
                let job = ChildJob {
                    logger,
                    scenario,
                    samples,
                    events: scenario.events(events),
                    warmup_rounds,
                };
                match spawn_child(&exe, &job) {
                    Ok(row) => {
                        let summary = match (row.median_ns, row.p999_ns, row.events_per_s) {
                            (Some(m), Some(p), _) => {
                                format!("median {}, p99.9 {}", fmt_ns(m), fmt_ns(p))
                            }
                            (_, _, Some(r)) => format!(
                                "{}/s, delivered {}/{}",
                                fmt_rate(r),
                                row.events_delivered,
                                row.events_emitted
                            ),
                            _ => String::new(),
                        };
                        progress.done(&label, &summary);
                        if let Some(slot) = runs
                            .iter_mut()
                            .find(|(l, s, _)| *l == logger && *s == scenario)
                        {
                            slot.2.push(row);
                        }
                    }
                    Err(e) => {
                        progress.done(&label, &format!("FAILED: {e}"));
                        failed = true;
                    }
                }
            }
        }
    }
    progress.finish();
    let rows: Vec<Row> = runs
        .into_iter()
        .filter_map(|(_, _, rows)| merge_runs(rows))
        .collect();
    print!("{}", table(&rows));
    let redact_rows = if args.scenarios.contains(&Scenario::Redact) {
        eprintln!("narrate bench: redact…");
        let r = redact_bench::run(args.quick);
        print!("{}", redact_bench::table(&r));
        r
    } else {
        Vec::new()
    };
    let config_rows = if args.scenarios.contains(&Scenario::ConfigLoad) {
        eprintln!("narrate bench: config_load…");
        let r = config_bench::run(args.quick);
        print!("{}", config_bench::table(&r));
        r
    } else {
        Vec::new()
    };
    let span_rows = spans_bench::run(&args.scenarios, args.quick);
    if !span_rows.is_empty() {
        print!("{}", spans_bench::table(&span_rows));
    }
    let sampling_rows = if args.scenarios.contains(&Scenario::SamplingCheck) {
        eprintln!("narrate bench: sampling_check…");
        match sampling_bench::run(args.quick) {
            Ok(r) => {
                print!("{}", sampling_bench::table(&r));
                r
            }
            Err(e) => {
                eprintln!("narrate bench: sampling_check failed: {e}");
                failed = true;
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    if let Some(path) = &args.plot {
        match plot::latency_plot(&rows, path, &machine) {
            Ok(()) => eprintln!("narrate bench: plot written to {}", path.display()),
            Err(e) => {
                eprintln!("narrate bench: cannot draw {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if let Some(path) = &args.json {
        let report = Report {
            results: rows,
            redact: redact_rows,
            config: config_rows,
            spans: span_rows,
            sampling: sampling_rows,
            machine,
        };
        let text = serde_json::to_string_pretty(&report).expect("rows serialize");
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("narrate bench: cannot write {}: {e}", path.display());
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// One row from several runs of the same logger and scenario: the median
/// of each statistic over the runs (the largest for `max`), counts summed.
fn merge_runs(rows: Vec<Row>) -> Option<Row> {
    let median = |f: &dyn Fn(&Row) -> Option<f64>| {
        let mut v: Vec<f64> = rows.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let sum = |f: &dyn Fn(&Row) -> u64| rows.iter().map(f).sum::<u64>();
    let first = rows.first()?;
    let p999 = median(&|r| r.p999_ns);
    Some(Row {
        median_ns: median(&|r| r.median_ns),
        p99_ns: median(&|r| r.p99_ns),
        p999_ns: p999,
        max_ns: rows.iter().filter_map(|r| r.max_ns).reduce(f64::max),
        events_per_s: median(&|r| r.events_per_s),
        delivered_per_s: median(&|r| r.delivered_per_s),
        total_ms: median(&|r| r.total_ms),
        ns_per_event: median(&|r| r.ns_per_event),
        p999_reflects: rows
            .iter()
            .find(|r| r.p999_ns == p999)
            .map_or_else(String::new, |r| r.p999_reflects.clone()),
        p999_warm_ns: median(&|r| r.p999_warm_ns),
        cold_first_call_median_ns: median(&|r| r.cold_first_call_median_ns),
        per_call_median_ns: median(&|r| r.per_call_median_ns),
        batch_mean_ns: median(&|r| r.batch_mean_ns),
        events_emitted: sum(&|r| r.events_emitted),
        events_delivered: sum(&|r| r.events_delivered),
        output_bytes: sum(&|r| r.output_bytes),
        dropped_reported: rows.iter().map(|r| r.dropped_reported).sum::<Option<u64>>(),
        calls: sum(&|r| r.calls),
        drain_ms: median(&|r| Some(r.drain_ms)).unwrap_or(0.0),
        ring_high_water_bytes: rows.iter().filter_map(|r| r.ring_high_water_bytes).max(),
        fsync_ms: median(&|r| r.fsync_ms),
        per_call_samples: sum(&|r| r.per_call_samples),
        batch_samples: sum(&|r| r.batch_samples),
        bracket_overhead_ns: median(&|r| Some(r.bracket_overhead_ns)).unwrap_or(0.0),
        runs: rows.len() as u64,
        run_medians_ns: rows.iter().filter_map(|r| r.median_ns).collect(),
        run_p999_ns: rows.iter().filter_map(|r| r.p999_ns).collect(),
        run_events_per_s: rows.iter().filter_map(|r| r.events_per_s).collect(),
        ..first.clone()
    })
}

/// What the parent asks of one child.
struct ChildJob {
    logger: LoggerKind,
    scenario: Scenario,
    samples: usize,
    events: u64,
    warmup_rounds: usize,
}

fn spawn_child(exe: &std::path::Path, job: &ChildJob) -> Result<Row, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("__bench-child")
        .args(["--logger", job.logger.name()])
        .args(["--scenario", job.scenario.name()])
        .args(["--samples", &job.samples.to_string()])
        .args(["--events", &job.events.to_string()])
        .args(["--batch", &job.scenario.batch().to_string()])
        .args(["--warmup-rounds", &job.warmup_rounds.to_string()])
        // Nothing from the parent's environment (RUST_LOG, NO_COLOR, …)
        // except where temporary files go.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(tmp) = std::env::var_os("TMPDIR") {
        cmd.env("TMPDIR", tmp);
    }
    let out = cmd.output().map_err(|e| format!("spawn: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        return Err(format!("child exited with {}: {last}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or("child printed no result")?;
    serde_json::from_str(line).map_err(|e| format!("bad child output: {e}"))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn fmt_ns(ns: f64) -> String {
    if ns < 100.0 {
        format!("{ns:.1} ns")
    } else if ns < 1000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

fn fmt_opt_ns(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".to_string(), fmt_ns)
}

fn fmt_rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2} M", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.0} k", per_s / 1e3)
    } else {
        format!("{per_s:.0}")
    }
}

fn fmt_ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.1}×", v / b),
        _ => "-".to_string(),
    }
}

fn delivered_cell(row: &Row) -> String {
    if row.logger == "floor" {
        "n/a".to_string()
    } else if row.events_emitted == 0 {
        format!("{}/0", row.events_delivered)
    } else {
        format!(
            "{}/{} ({:.1}%)",
            row.events_delivered,
            row.events_emitted,
            100.0 * row.events_delivered as f64 / row.events_emitted as f64
        )
    }
}

/// The table: one line per row, ratios against narrate in the same scenario
/// and thread count. Latency rows first, then burst rows.
fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let base_of = |row: &Row| {
        rows.iter().find(|r| {
            r.logger == "narrate" && r.scenario == row.scenario && r.threads == row.threads
        })
    };
    let latency: Vec<&Row> = rows.iter().filter(|r| r.median_ns.is_some()).collect();
    let burst: Vec<&Row> = rows.iter().filter(|r| r.events_per_s.is_some()).collect();
    if !latency.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<13} {:<18} {:>2} {:>9} {:>9} {:>9} {:>5} {:>9} {:>9} {:>8} {:>8} {:>26}",
            "logger",
            "scenario",
            "th",
            "median",
            "p99",
            "p99.9",
            "(of)",
            "max",
            "cold 1st",
            "median×",
            "p99.9×",
            "delivered/emitted"
        );
        for row in &latency {
            let base = base_of(row);
            let _ = writeln!(
                out,
                "{:<13} {:<18} {:>2} {:>9} {:>9} {:>9} {:>5} {:>9} {:>9} {:>8} {:>8} {:>26}",
                row.logger,
                row.scenario,
                row.threads,
                fmt_opt_ns(row.median_ns),
                fmt_opt_ns(row.p99_ns),
                fmt_opt_ns(row.p999_ns),
                row.p999_reflects,
                fmt_opt_ns(row.max_ns),
                fmt_opt_ns(row.cold_first_call_median_ns),
                fmt_ratio(row.median_ns, base.and_then(|b| b.median_ns)),
                fmt_ratio(row.p999_ns, base.and_then(|b| b.p999_ns)),
                delivered_cell(row),
            );
        }
        let _ = writeln!(
            out,
            "\nmedian: batch averages; p99/p99.9/max: per-call timings incl. the first call after each sleep (\"cold 1st\", its median);\n(of): whether the p99.9 sample is a cold first call or a warm one; ×: ratio to narrate (Block) in the same scenario and thread count."
        );
    }
    if !burst.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<13} {:<18} {:>2} {:>11} {:>8} {:>11} {:>10} {:>22} {:>7} {:>26}",
            "logger",
            "scenario",
            "th",
            "events/s",
            "×narrate",
            "delivered/s",
            "ns/event",
            "total",
            "B/event",
            "delivered/emitted"
        );
        for row in &burst {
            let base = base_of(row);
            let _ = writeln!(
                out,
                "{:<13} {:<18} {:>2} {:>11} {:>8} {:>11} {:>10} {:>22} {:>7} {:>26}",
                row.logger,
                row.scenario,
                row.threads,
                row.events_per_s.map_or_else(|| "-".into(), fmt_rate),
                fmt_ratio(row.events_per_s, base.and_then(|b| b.events_per_s)),
                row.delivered_per_s.map_or_else(|| "-".into(), fmt_rate),
                fmt_opt_ns(row.ns_per_event),
                match (row.total_ms, row.fsync_ms) {
                    (Some(ms), Some(f)) => format!("{ms:.1} ms ({f:.1} fsync)"),
                    (Some(ms), None) => format!("{ms:.1} ms"),
                    _ => "-".into(),
                },
                row.output_bytes
                    .checked_div(row.events_delivered)
                    .map_or_else(|| "-".into(), |b| b.to_string()),
                delivered_cell(row),
            );
        }
        let _ = writeln!(
            out,
            "\nevents/s: events emitted / time from the first call until the logger had written everything (end_to_end_file: and fsync returned);\ndelivered/s: the same for the events found in the file; ×narrate: events/s against narrate (Block);\nB/event: bytes in the file per event found (the formats differ: compare the write load, not only the rate)."
        );
    }
    let find = |logger: &str| {
        rows.iter()
            .find(|r| r.logger == logger && r.scenario == "caller_latency" && r.threads == 1)
    };
    let caller = |logger: &str| find(logger).and_then(|r| Some((r.median_ns?, r.p999_ns?)));
    if let (Some((nm, np)), Some((tm, tp))) = (caller("narrate"), caller("tracing")) {
        let verdict = |ratio: f64| if ratio >= 50.0 { "meets" } else { "misses" };
        let (m, p) = (tm / nm, tp / np);
        let _ = writeln!(
            out,
            "narrate vs tracing: median {m:.1}× lower ({} the ≥ 50× target), p99.9 {p:.1}× lower ({} it).",
            verdict(m),
            verdict(p)
        );
    }
    if let (Some((nm, _)), Some((fm, _))) = (caller("narrate"), caller("floor")) {
        let _ = writeln!(
            out,
            "narrate median = {:.2}× the minimal-capture floor (target ≤ 2×).",
            nm / fm
        );
    }
    let e2e = |logger: &str| {
        rows.iter()
            .find(|r| r.logger == logger && r.scenario == "end_to_end_file")
            .and_then(|r| r.events_per_s)
    };
    if let Some(n) = e2e("narrate") {
        let vs = e2e("tracing")
            .map(|t| format!(", {:.1}× tracing (target ≥ 5×)", n / t))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "narrate end to end to a file: {}/s (target ≥ 5 M/s){vs}.",
            fmt_rate(n)
        );
    }
    out.push('\n');
    out
}

/// ticklog's logging macros call, by unqualified name, macros that its
/// `configure!` exports at the crate root, and rustc resolves those only
/// from the crate's root module: so ticklog's run lives here, not in
/// `child` like the others.
///
/// ticklog: `configure!` with a `FileSink` and its defaults (`Drop` when a
/// thread's ring is full); each thread calls `ticklog::warm_up()` first, as
/// its docs advise. Its level is fixed at `configure!` (info).
fn run_ticklog(
    job: &child::Job,
    path: &std::path::Path,
) -> Result<(Vec<child::Timing>, child::Delivery), String> {
    use child::calls;
    use std::hint::black_box;
    use std::time::Instant;
    let guard = ticklog::configure! {
        sink: ticklog::FileSink::truncate(path).map_err(|e| format!("ticklog sink: {e}"))?,
        max_level: ticklog::Level::Info,
    }
    .map_err(|e| format!("ticklog init: {e}"))?;
    // Positional arguments only: ticklog has no key-values.
    let timings = measure!(job, round = (), state _s = ticklog::warm_up(),
        info = |i| {
            let price = black_box(calls::PRICE);
            let city = black_box(calls::CITY);
            ticklog::info!("Order {} shipped at {} to {}", i, price, city)
        },
        debug = |i| {
            let price = black_box(calls::PRICE);
            let city = black_box(calls::CITY);
            ticklog::debug!("Order {} shipped at {} to {}", i, price, city)
        },
        traced = |_i| calls::unsupported(),
    );
    // Dropping the guard drains the rings, flushes the sink and joins the
    // drain thread.
    let drain = Instant::now();
    drop(guard);
    let d = child::finish(job, path, drain, None, None)?;
    Ok((timings, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(logger: &str, scenario: Scenario) -> Row {
        Row {
            logger: logger.to_string(),
            scenario: scenario.row_name().to_string(),
            threads: scenario.threads() as u32,
            events_emitted: 100,
            events_delivered: 100,
            output_bytes: 30_000,
            drain_ms: 1.0,
            calls: 100,
            batch_size: 20,
            round_calls: 1000,
            sleep_us: 1000,
            bracket_overhead_ns: 19.0,
            tsc_step_ns: 10.0,
            runs: 1,
            ..Row::default()
        }
    }

    #[test]
    fn two_thread_scenarios_share_the_row_name() {
        assert_eq!(Scenario::CallerLatency2t.row_name(), "caller_latency");
        assert_eq!(Scenario::CallerLatency2t.threads(), 2);
        assert_eq!(Scenario::Throughput2t.row_name(), "throughput");
        assert_eq!(Scenario::Throughput2t.mode(), Mode::Burst { fsync: false });
        assert_eq!(Scenario::EndToEndFile.mode(), Mode::Burst { fsync: true });
        assert_eq!(Scenario::EndToEndFile.events(7), END_TO_END_EVENTS);
        assert_eq!(Scenario::Throughput.events(7), 7);
        assert_eq!(Scenario::CallerLatency.mode(), Mode::Latency);
    }

    #[test]
    fn unsupported_scenarios() {
        assert!(!LoggerKind::Fastrace.supports(Scenario::Disabled));
        assert!(!LoggerKind::Slog.supports(Scenario::TraceFnEnabled));
        assert!(!LoggerKind::Ticklog.supports(Scenario::TraceFnDisabled));
        assert!(LoggerKind::Spdlog.supports(Scenario::TraceFnEnabled));
        assert!(LoggerKind::Ftlog.supports(Scenario::TraceFnEnabled));
        for logger in LoggerKind::value_variants() {
            assert!(logger.supports(Scenario::CallerLatency));
            assert!(logger.supports(Scenario::Throughput2t));
            assert!(logger.supports(Scenario::EndToEndFile));
        }
    }

    #[test]
    fn merge_takes_medians_max_and_sums() {
        let mut runs = Vec::new();
        for (m, p, max) in [(20.0, 100.0, 1e3), (10.0, 300.0, 5e3), (30.0, 200.0, 2e3)] {
            let mut r = row("narrate", Scenario::CallerLatency);
            r.median_ns = Some(m);
            r.p999_ns = Some(p);
            r.max_ns = Some(max);
            r.p999_reflects = format!("{p}");
            runs.push(r);
        }
        let merged = merge_runs(runs).unwrap();
        assert_eq!(merged.median_ns, Some(20.0));
        assert_eq!(merged.p999_ns, Some(200.0));
        assert_eq!(merged.p999_reflects, "200");
        assert_eq!(merged.max_ns, Some(5e3));
        assert_eq!(merged.events_emitted, 300);
        assert_eq!(merged.runs, 3);
        assert_eq!(merged.run_medians_ns, vec![20.0, 10.0, 30.0]);
        assert_eq!(merged.events_per_s, None);
        assert!(merged.run_events_per_s.is_empty());
    }

    #[test]
    fn burst_rows_merge_and_print_in_their_own_table() {
        let mut runs = Vec::new();
        for rate in [1e6, 3e6, 2e6] {
            let mut r = row("narrate", Scenario::Throughput2t);
            r.events_per_s = Some(rate);
            r.total_ms = Some(1e3 / rate * 1e3);
            runs.push(r);
        }
        let narrate = merge_runs(runs).unwrap();
        assert_eq!(narrate.events_per_s, Some(2e6));
        assert_eq!(narrate.median_ns, None);
        assert_eq!(narrate.threads, 2);
        let mut tracing = row("tracing", Scenario::Throughput2t);
        tracing.events_per_s = Some(5e5);
        tracing.events_delivered = 50;
        let text = table(&[narrate, tracing]);
        assert!(text.contains("events/s"), "{text}");
        assert!(!text.contains("cold 1st"), "{text}");
        let line = text
            .lines()
            .find(|l| l.starts_with("tracing"))
            .expect("a tracing line");
        assert!(line.contains("0.2×"), "{line}");
        assert!(line.contains("50/100 (50.0%)"), "{line}");
        assert!(line.contains(" 600 "), "bytes per delivered event: {line}");
    }
}
