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

mod child;
pub mod tsc;

/// Per-call samples per logger in a default run.
pub const DEFAULT_SAMPLES: usize = 250_000;
/// Per-call samples per logger with `--quick`.
pub const QUICK_SAMPLES: usize = 30_000;

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
            LoggerKind::Floor => "floor",
        }
    }
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
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CallerLatency => "caller_latency",
            Scenario::Disabled => "disabled",
            Scenario::TraceFnEnabled => "trace_fn_enabled",
            Scenario::TraceFnDisabled => "trace_fn_disabled",
        }
    }

    /// Calls per timed batch for the median: enough that the ~10 ns counter
    /// step is small against the batch.
    fn batch(self) -> usize {
        match self {
            Scenario::CallerLatency | Scenario::TraceFnEnabled => 20,
            Scenario::Disabled | Scenario::TraceFnDisabled => 100,
        }
    }
}

/// `narrate bench`: caller latency of narrate, tracing and log in one run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Fewer samples: the whole run takes well under a minute.
    #[arg(long)]
    pub quick: bool,
    /// Loggers to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "narrate,narrate-drop,tracing,log,floor"
    )]
    pub loggers: Vec<LoggerKind>,
    /// Scenarios to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "caller_latency,disabled,trace_fn_enabled,trace_fn_disabled"
    )]
    pub scenarios: Vec<Scenario>,
    /// Per-call samples per logger and scenario (default 250000, 30000 with --quick).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Runs of the whole set (in rotated order); each statistic reported is
    /// the median over the runs (max: the largest). Default 5, 1 with --quick.
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
    /// Per-call samples (the same number of calls again is timed in batches).
    #[arg(long, default_value_t = DEFAULT_SAMPLES)]
    pub samples: usize,
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub logger: String,
    pub scenario: String,
    pub threads: u32,
    /// Median of batch averages (overhead-corrected).
    pub median_ns: f64,
    /// Per-call percentiles over all per-call samples, cold calls included.
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
    /// Whether the p99.9 sample is a cold first call or a warm one.
    pub p999_reflects: String,
    /// p99.9 of the warm calls only.
    pub p999_warm_ns: f64,
    /// Median of the first call after each sleep.
    pub cold_first_call_median_ns: f64,
    /// Median of per-call timings (quantised to the counter step).
    pub per_call_median_ns: f64,
    /// Mean of the batch averages.
    pub batch_mean_ns: f64,
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
    /// Time from the last timed call until everything was written, in ms.
    pub drain_ms: f64,
    /// narrate only: the most bytes ever waiting in one ring.
    pub ring_high_water_bytes: Option<u64>,
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
    /// Each run's median, in run order.
    #[serde(default)]
    pub run_medians_ns: Vec<f64>,
    /// Each run's p99.9, in run order.
    #[serde(default)]
    pub run_p999_ns: Vec<f64>,
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
    machine: Machine,
}

/// Entry point of the hidden child subcommand.
pub fn run_child(args: ChildArgs) -> ExitCode {
    match child::run_child(&args) {
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
        "narrate bench: {} ({} cores), counter {:.3} GHz, step {:.1} ns, bracket overhead {:.1} ns; {} per-call samples per run",
        machine.cpu_model,
        machine.logical_cores,
        machine.tsc_ghz,
        clock.step_ns,
        clock.bracket_overhead_ns,
        samples
    );
    let repeat = args.repeat.unwrap_or(if args.quick { 1 } else { 5 }).max(1);
    let mut runs: Vec<(LoggerKind, Scenario, Vec<Row>)> = Vec::new();
    for &scenario in &args.scenarios {
        for &logger in &args.loggers {
            runs.push((logger, scenario, Vec::new()));
        }
    }
    let mut failed = false;
    for rep in 0..repeat {
        // Rotate the order so no logger always runs first or last.
        let n = args.loggers.len().max(1);
        for &scenario in &args.scenarios {
            for k in 0..args.loggers.len() {
                let logger = args.loggers[(k + rep) % n];
                eprint!(
                    "  run {}/{repeat} {:<14} {:<15} … ",
                    rep + 1,
                    logger.name(),
                    scenario.name()
                );
                match spawn_child(&exe, logger, scenario, samples, warmup_rounds) {
                    Ok(row) => {
                        eprintln!(
                            "median {}, p99.9 {}",
                            fmt_ns(row.median_ns),
                            fmt_ns(row.p999_ns)
                        );
                        if let Some(slot) = runs
                            .iter_mut()
                            .find(|(l, s, _)| *l == logger && *s == scenario)
                        {
                            slot.2.push(row);
                        }
                    }
                    Err(e) => {
                        eprintln!("FAILED: {e}");
                        failed = true;
                    }
                }
            }
        }
    }
    let rows: Vec<Row> = runs
        .into_iter()
        .filter_map(|(_, _, rows)| merge_runs(rows))
        .collect();
    print!("{}", table(&rows));
    if let Some(path) = &args.json {
        let report = Report {
            results: rows,
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
    let median = |f: &dyn Fn(&Row) -> f64| {
        let mut v: Vec<f64> = rows.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let sum = |f: &dyn Fn(&Row) -> u64| rows.iter().map(f).sum::<u64>();
    let first = rows.first()?;
    let p999 = median(&|r| r.p999_ns);
    Some(Row {
        median_ns: median(&|r| r.median_ns),
        p99_ns: median(&|r| r.p99_ns),
        p999_ns: p999,
        max_ns: rows.iter().map(|r| r.max_ns).fold(0.0, f64::max),
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
        drain_ms: median(&|r| r.drain_ms),
        ring_high_water_bytes: rows.iter().filter_map(|r| r.ring_high_water_bytes).max(),
        per_call_samples: sum(&|r| r.per_call_samples),
        batch_samples: sum(&|r| r.batch_samples),
        bracket_overhead_ns: median(&|r| r.bracket_overhead_ns),
        runs: rows.len() as u64,
        run_medians_ns: rows.iter().map(|r| r.median_ns).collect(),
        run_p999_ns: rows.iter().map(|r| r.p999_ns).collect(),
        ..first.clone()
    })
}

fn spawn_child(
    exe: &std::path::Path,
    logger: LoggerKind,
    scenario: Scenario,
    samples: usize,
    warmup_rounds: usize,
) -> Result<Row, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("__bench-child")
        .args(["--logger", logger.name()])
        .args(["--scenario", scenario.name()])
        .args(["--samples", &samples.to_string()])
        .args(["--batch", &scenario.batch().to_string()])
        .args(["--warmup-rounds", &warmup_rounds.to_string()])
        // Nothing from the parent's environment (RUST_LOG, NO_COLOR, …)
        // except where temporary files go.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(tmp) = std::env::var_os("TMPDIR") {
        cmd.env("TMPDIR", tmp);
    }
    let out = cmd.output().map_err(|e| format!("spawn: {e}"))?;
    if !out.status.success() {
        return Err(format!("child exited with {}", out.status));
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

fn fmt_ratio(value: f64, base: Option<f64>) -> String {
    match base {
        Some(b) if b > 0.0 => format!("{:.1}×", value / b),
        _ => "-".to_string(),
    }
}

/// The table: one line per row, ratios against narrate in the same scenario.
fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<14} {:<15} {:>10} {:>10} {:>10} {:>5} {:>10} {:>10} {:>9} {:>9} {:>22}",
        "logger",
        "scenario",
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
    for row in rows {
        let base = rows
            .iter()
            .find(|r| r.logger == "narrate" && r.scenario == row.scenario);
        let delivered = if row.logger == "floor" {
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
        };
        let _ = writeln!(
            out,
            "{:<14} {:<15} {:>10} {:>10} {:>10} {:>5} {:>10} {:>10} {:>9} {:>9} {:>22}",
            row.logger,
            row.scenario,
            fmt_ns(row.median_ns),
            fmt_ns(row.p99_ns),
            fmt_ns(row.p999_ns),
            row.p999_reflects,
            fmt_ns(row.max_ns),
            fmt_ns(row.cold_first_call_median_ns),
            fmt_ratio(row.median_ns, base.map(|b| b.median_ns)),
            fmt_ratio(row.p999_ns, base.map(|b| b.p999_ns)),
            delivered,
        );
    }
    let _ = writeln!(
        out,
        "\nmedian: batch averages; p99/p99.9/max: per-call timings incl. the first call after each sleep (\"cold 1st\", its median);\n(of): whether the p99.9 sample is a cold first call or a warm one; ×: ratio to narrate (Block) in the same scenario."
    );
    let find = |logger: &str| {
        rows.iter()
            .find(|r| r.logger == logger && r.scenario == "caller_latency")
    };
    if let (Some(n), Some(t)) = (find("narrate"), find("tracing")) {
        let verdict = |ratio: f64| if ratio >= 50.0 { "meets" } else { "misses" };
        let (m, p) = (t.median_ns / n.median_ns, t.p999_ns / n.p999_ns);
        let _ = writeln!(
            out,
            "narrate vs tracing: median {m:.1}× lower ({} the ≥ 50× target), p99.9 {p:.1}× lower ({} it).",
            verdict(m),
            verdict(p)
        );
    }
    if let (Some(n), Some(f)) = (find("narrate"), find("floor")) {
        let _ = writeln!(
            out,
            "narrate median = {:.2}× the minimal-capture floor (target ≤ 2×).",
            n.median_ns / f.median_ns
        );
    }
    out.push('\n');
    out
}
