//! `narrate demo`: a simulated order service narrating through the whole
//! pipeline.
//!
//! Four worker threads take orders from a shared counter and narrate each
//! step (received, stock check, payment, shipping); some payments fail with
//! a three-deep `source()` chain. Events go to the terminal (pretty, from
//! `--terminal-level`) and to `OUT/events.jsonl` (JSON, everything). Every
//! call is timed in-process with the TSC so the summary can report the
//! caller-side latency next to the counts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use narrate::{Config, FileSink, Format, FullRingPolicy, Level, SinkSpec};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Total events to emit across all workers.
    #[arg(long, default_value_t = 1_000)]
    pub events: u64,
    /// Directory for events.jsonl (replaced if it exists).
    #[arg(long, default_value = "narrate-demo")]
    pub out: PathBuf,
    /// Least severe level shown on the terminal.
    #[arg(long, default_value = "info")]
    pub terminal_level: Level,
    /// Worker threads.
    #[arg(long, default_value_t = 4)]
    pub workers: u64,
}

#[derive(Debug)]
struct GatewayTimeout;
impl std::fmt::Display for GatewayTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("gateway did not answer within 250 ms")
    }
}
impl std::error::Error for GatewayTimeout {}

#[derive(Debug)]
struct GatewayError(GatewayTimeout);
impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card network unreachable")
    }
}
impl std::error::Error for GatewayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[derive(Debug)]
struct PaymentError(GatewayError);
impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("payment could not be authorised")
    }
}
impl std::error::Error for PaymentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

const CITIES: [&str; 6] = ["Lyon", "Osaka", "Quito", "Tallinn", "Perth", "Accra"];

/// Caller-side latencies of one worker, in raw TSC ticks.
struct Timings(Vec<u64>);

/// One worker: narrates orders until the shared event budget is spent.
fn worker(id: u64, budget: Arc<AtomicU64>, results: Arc<Mutex<Vec<u64>>>) -> u64 {
    let clock = narrate::clock::anchor().clock().clone();
    let mut timings = Timings(Vec::with_capacity(1 << 16));
    let mut emitted = 0u64;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ id;
    let mut next = || {
        // xorshift64: deterministic, good enough to vary a demo workload.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Every event goes through this: take one from the budget, time the call.
    macro_rules! narrate_timed {
        ($($t:tt)*) => {{
            if budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_err() {
                break;
            }
            let t0 = clock.raw();
            $($t)*;
            let t1 = clock.raw();
            timings.0.push(t1.wrapping_sub(t0));
            emitted += 1;
        }};
    }
    loop {
        let order_id = next() % 1_000_000;
        let correlation = next();
        let city = CITIES[(next() % CITIES.len() as u64) as usize];
        let amount = (next() % 50_000) as f64 / 100.0;
        narrate_timed!(narrate::info!(
            actor = "orders",
            action = "receive",
            target = order_id,
            correlation_id = correlation,
            "Order {order_id} received for {city}, {amount} EUR",
            worker = id,
        ));
        let stock = next() % 20;
        narrate_timed!(narrate::debug!(
            actor = "inventory",
            action = "check",
            target = order_id,
            correlation_id = correlation,
            "Stock for order {order_id}: {stock} left",
        ));
        let roll = next() % 100;
        if roll < 3 {
            let err = PaymentError(GatewayError(GatewayTimeout));
            narrate_timed!(narrate::error!(
                actor = "payments",
                action = "authorise",
                target = order_id,
                correlation_id = correlation,
                "Payment for order {order_id} failed",
                amount,
                err = narrate::error(&err),
            ));
            continue;
        }
        if roll < 10 {
            narrate_timed!(narrate::warn!(
                actor = "payments",
                action = "retry",
                target = order_id,
                correlation_id = correlation,
                "Payment for order {order_id} retried after a soft decline",
                attempt = 2u8,
            ));
        }
        narrate_timed!(narrate::debug!(
            actor = "payments",
            action = "authorise",
            target = order_id,
            correlation_id = correlation,
            "Payment of {amount} EUR authorised",
            express = roll.is_multiple_of(2),
        ));
        narrate_timed!(narrate::info!(
            actor = "shipping",
            action = "dispatch",
            target = order_id,
            correlation_id = correlation,
            "Order {order_id} dispatched to {city}",
            parcel_grams = next() % 5_000,
        ));
    }
    let anchor = narrate::clock::anchor();
    let mut out = results.lock().unwrap();
    out.extend(
        timings
            .0
            .iter()
            .map(|&t| anchor.clock().delta_as_nanos(0, t)),
    );
    emitted
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn run(args: DemoArgs) -> std::process::ExitCode {
    let path = args.out.join("events.jsonl");
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("narrate demo: cannot create {}: {e}", args.out.display());
        return std::process::ExitCode::FAILURE;
    }
    // A fresh file, so its line count is this run's.
    let _ = std::fs::remove_file(&path);
    let guard = match narrate::init(
        Config::new()
            .level(Level::Debug)
            .sink(SinkSpec::stdout(Format::Pretty).min_level(args.terminal_level))
            .sink(FileSink::new(&path))
            // The demo's promise is "nothing lost": block rather than drop.
            .on_full_ring(FullRingPolicy::Block)
            .handle_signals(true),
    ) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("narrate demo: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let budget = Arc::new(AtomicU64::new(args.events));
    let results = Arc::new(Mutex::new(Vec::with_capacity(args.events as usize)));
    let started = std::time::Instant::now();
    let workers: Vec<_> = (1..=args.workers.max(1))
        .map(|id| {
            let (budget, results) = (budget.clone(), results.clone());
            std::thread::Builder::new()
                .name(format!("worker-{id}"))
                .spawn(move || worker(id, budget, results))
                .expect("spawn worker")
        })
        .collect();
    let emitted: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    narrate::flush();
    let elapsed = started.elapsed();
    let stats = narrate::stats();
    drop(guard);

    let mut lat = std::mem::take(&mut *results.lock().unwrap());
    lat.sort_unstable();
    // Event lines only: narrate's own notices (e.g. "stdout was closed",
    // when the output is piped into `head`) are in the file too.
    let text = std::fs::read(&path).unwrap_or_default();
    let lines = text
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let own = text
        .split(|&c| c == b'\n')
        .filter(|l| {
            let own: &[u8] = b"\"actor\":\"narrate\"";
            l.windows(own.len()).any(|w| w == own)
        })
        .count() as u64;
    let lines = lines - own;
    let summary = Summary {
        emitted,
        stats,
        lines,
        own,
        path: &path,
        lat: &lat,
        elapsed,
    };
    // stdout may be a pipe whose reader is gone (`narrate demo | head -1`):
    // the summary is then lost, quietly, like every line before it.
    match summary.print(&mut std::io::stdout().lock()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("narrate demo: cannot print the summary: {e}"),
    }
    if stats.events_written != emitted || lines != emitted || stats.dropped() != 0 {
        eprintln!("narrate demo: emitted, written and file lines disagree");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

struct Summary<'a> {
    emitted: u64,
    stats: narrate::Stats,
    lines: u64,
    own: u64,
    path: &'a std::path::Path,
    lat: &'a [u64],
    elapsed: std::time::Duration,
}

impl Summary<'_> {
    fn print(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let (stats, lat, emitted, elapsed) = (&self.stats, self.lat, self.emitted, self.elapsed);
        writeln!(out)?;
        writeln!(out, "narrate demo summary")?;
        writeln!(out, "  events emitted      {emitted}")?;
        writeln!(out, "  events written      {}", stats.events_written)?;
        writeln!(out, "  events dropped      {}", stats.dropped())?;
        writeln!(out, "  lines in {}  {}", self.path.display(), self.lines)?;
        if self.own > 0 {
            writeln!(out, "  narrate notices     {} (in the file too)", self.own)?;
        }
        writeln!(out, "  sink errors         {}", stats.sink_errors)?;
        writeln!(
            out,
            "  wall time           {:.1} ms ({:.2} M events/s)",
            elapsed.as_secs_f64() * 1e3,
            emitted as f64 / elapsed.as_secs_f64() / 1e6
        )?;
        writeln!(
            out,
            "  caller latency      median {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
            percentile(lat, 50.0),
            percentile(lat, 99.0),
            percentile(lat, 99.9),
            lat.last().copied().unwrap_or(0)
        )?;
        writeln!(
            out,
            "  (per-call TSC reads; this VM's TSC ticks in ~10 ns steps, see `narrate bench` for batch-averaged medians)"
        )?;
        out.flush()
    }
}
