//! Self-metrics: one snapshot of everything narrate counts, and its
//! Prometheus text exposition.
//!
//! [`metrics()`] reads the counters of [`crate::stats`], the sampling
//! counters of every call site, each live thread's ring high-water mark, the
//! backend's lag, the time the backend spends per stage and, per sink, the
//! bytes written and the time spent writing. [`Metrics::to_prometheus`]
//! renders it in the Prometheus text format (version 0.0.4), and
//! [`crate::Config::metrics_address`] serves that on a local address from a
//! small thread (any `GET` answers with the current text), which is what
//! `narrate stats` reads.
//!
//! # Cost
//!
//! Nothing here runs on the caller. On the backend, per event: one relaxed
//! load and store per sink for the byte count; stage and sink-write times
//! are taken on one event in [`TIMING_PERIOD`] (a TSC read costs ≈10 ns, and
//! five per event would be a measurable share of the backend's per-event
//! work), reported as a sum and a count of the timed events, so their ratio
//! is the mean.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::ring::LaneShared;
use crate::stats;

/// Stage and sink times are measured on one event in this many.
pub const TIMING_PERIOD: u64 = 64;

/// The backend stages that are timed.
pub const STAGES: [&str; 4] = ["decode", "redact", "format", "write"];

/// Timed ticks and timed events per stage (backend-written).
pub(crate) static STAGE_TICKS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
pub(crate) static STAGE_SAMPLES: AtomicU64 = AtomicU64::new(0);

/// One sink's counters; the backend writes, snapshots read.
#[derive(Debug)]
pub struct SinkCounters {
    pub(crate) name: String,
    pub(crate) bytes: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) write_ticks: AtomicU64,
    pub(crate) timed_writes: AtomicU64,
    pub(crate) errors: AtomicU64,
}

impl SinkCounters {
    fn new(name: String) -> SinkCounters {
        SinkCounters {
            name,
            bytes: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            write_ticks: AtomicU64::new(0),
            timed_writes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// Counters for the sink called `name`; [`metrics()`] lists them once
    /// `init` has passed them to [`list_sinks`].
    pub(crate) fn named(name: String) -> Arc<SinkCounters> {
        Arc::new(SinkCounters::new(name))
    }

    /// Adds to a counter that only the backend writes: a load and a store,
    /// not a locked read-modify-write.
    #[inline(always)]
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.store(counter.load(Relaxed) + n, Relaxed);
    }
}

static SINKS: Mutex<Vec<Arc<SinkCounters>>> = Mutex::new(Vec::new());
static LANES: Mutex<Vec<Arc<LaneShared>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Lists the sinks of the running pipeline in [`metrics()`]. Two sinks with
/// the same name (two custom sinks, say) get `#2`, `#3`… so that every
/// Prometheus series stays unique.
pub(crate) fn list_sinks<'a>(sinks: impl IntoIterator<Item = &'a mut Arc<SinkCounters>>) {
    let mut listed = lock(&SINKS);
    for counters in sinks {
        let same = listed
            .iter()
            .filter(|c| c.name.split('#').next() == Some(counters.name.as_str()))
            .count();
        // Before the backend starts, the pipeline holds the only reference.
        if same != 0
            && let Some(c) = Arc::get_mut(counters)
        {
            c.name = format!("{}#{}", c.name, same + 1);
        }
        listed.push(counters.clone());
    }
}

/// A lane the backend took on (rare: once per thread).
pub(crate) fn lane_opened(lane: &Arc<LaneShared>) {
    lock(&LANES).push(lane.clone());
}

/// A lane the backend retired.
pub(crate) fn lane_closed(lane: &LaneShared) {
    lock(&LANES).retain(|l| !std::ptr::eq(&**l, lane));
}

/// One live thread's ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMetrics {
    pub thread: String,
    pub thread_id: u64,
    /// Most bytes ever seen waiting in this thread's ring.
    pub ring_high_water_bytes: u64,
}

/// One backend stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageMetrics {
    pub stage: &'static str,
    /// Total time over the timed events.
    pub seconds: f64,
    /// Events timed (one in [`TIMING_PERIOD`]).
    pub timed_events: u64,
}

/// One sink.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkMetrics {
    pub sink: String,
    pub bytes: u64,
    pub writes: u64,
    pub errors: u64,
    /// Time spent in `Sink::write` over the timed writes.
    pub write_seconds: f64,
    /// Writes timed (one event in [`TIMING_PERIOD`]).
    pub timed_writes: u64,
}

/// A snapshot of narrate's self-metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Events the backend took out of the rings.
    pub events_in: u64,
    /// Events handed to the sinks.
    pub events_written: u64,
    pub dropped_ring_full: u64,
    pub dropped_after_shutdown: u64,
    /// Events the samplers left out (never entered a ring).
    pub sampled_out: u64,
    /// In-band "N events like this suppressed" reports written.
    pub suppressed_reports: u64,
    /// In-band drop reports written.
    pub drop_reports: u64,
    pub sink_errors: u64,
    pub oversized_events: u64,
    /// Most bytes ever waiting in any one ring.
    pub ring_high_water_bytes: u64,
    /// Bytes waiting in the fullest ring at the backend's last pass.
    pub ring_fill_bytes: u64,
    /// Age of the oldest waiting event at the backend's last pass.
    pub backend_lag_seconds: f64,
    /// Adaptive sampling keeps 1 in this many sampleable events (1: off).
    pub adaptive_keep_one_in: u64,
    pub lanes_registered: u64,
    pub threads: Vec<ThreadMetrics>,
    pub stages: Vec<StageMetrics>,
    pub sinks: Vec<SinkMetrics>,
}

/// Reads every counter. Takes two short locks (call-site registry, lane
/// list); never call it per event.
pub fn metrics() -> Metrics {
    let s = stats::stats();
    let anchor = crate::clock::anchor();
    let seconds = |ticks: u64| anchor.clock().delta_as_nanos(0, ticks) as f64 / 1e9;
    let threads = lock(&LANES)
        .iter()
        .map(|l| ThreadMetrics {
            thread: l.thread_name.to_string(),
            thread_id: l.thread_id,
            ring_high_water_bytes: l.high_water.load(Relaxed),
        })
        .collect();
    let timed = STAGE_SAMPLES.load(Relaxed);
    let stages = STAGES
        .iter()
        .zip(&STAGE_TICKS)
        .map(|(stage, ticks)| StageMetrics {
            stage,
            seconds: seconds(ticks.load(Relaxed)),
            timed_events: timed,
        })
        .collect();
    let sinks = lock(&SINKS)
        .iter()
        .map(|c| SinkMetrics {
            sink: c.name.clone(),
            bytes: c.bytes.load(Relaxed),
            writes: c.writes.load(Relaxed),
            errors: c.errors.load(Relaxed),
            write_seconds: seconds(c.write_ticks.load(Relaxed)),
            timed_writes: c.timed_writes.load(Relaxed),
        })
        .collect();
    Metrics {
        events_in: s.events_read,
        events_written: s.events_written,
        dropped_ring_full: s.dropped_ring_full,
        dropped_after_shutdown: s.dropped_after_shutdown,
        sampled_out: crate::sampling::suppressed_total(),
        suppressed_reports: stats::SUPPRESSED_REPORTS.load(Relaxed),
        drop_reports: s.drop_reports,
        sink_errors: s.sink_errors,
        oversized_events: s.oversized_events,
        ring_high_water_bytes: s.ring_high_water_bytes,
        ring_fill_bytes: stats::RING_FILL.load(Relaxed),
        backend_lag_seconds: seconds(stats::BACKEND_LAG_TICKS.load(Relaxed)),
        adaptive_keep_one_in: 1u64 << crate::sampling::adaptive_step(),
        lanes_registered: s.lanes_registered,
        threads,
        stages,
        sinks,
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// The Prometheus text exposition format (0.0.4).
    pub fn to_prometheus(&self) -> String {
        let mut o = String::with_capacity(4096);
        let family = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}");
            let _ = writeln!(o, "# TYPE {name} {kind}");
        };
        let scalars: [(&str, &str, &str, String); 13] = [
            (
                "narrate_events_in_total",
                "counter",
                "Events the backend took out of the rings.",
                self.events_in.to_string(),
            ),
            (
                "narrate_events_written_total",
                "counter",
                "Events handed to the sinks.",
                self.events_written.to_string(),
            ),
            (
                "narrate_events_sampled_out_total",
                "counter",
                "Events the samplers left out.",
                self.sampled_out.to_string(),
            ),
            (
                "narrate_suppressed_reports_total",
                "counter",
                "In-band reports of suppressed events written.",
                self.suppressed_reports.to_string(),
            ),
            (
                "narrate_drop_reports_total",
                "counter",
                "In-band reports of dropped events written.",
                self.drop_reports.to_string(),
            ),
            (
                "narrate_sink_errors_total",
                "counter",
                "Failed sink writes or flushes.",
                self.sink_errors.to_string(),
            ),
            (
                "narrate_oversized_events_total",
                "counter",
                "Events larger than their ring, sent through the overflow path.",
                self.oversized_events.to_string(),
            ),
            (
                "narrate_lanes_registered_total",
                "counter",
                "Threads that have logged (each got a ring).",
                self.lanes_registered.to_string(),
            ),
            (
                "narrate_ring_high_water_bytes",
                "gauge",
                "Most bytes ever waiting in any one ring.",
                self.ring_high_water_bytes.to_string(),
            ),
            (
                "narrate_ring_fill_bytes",
                "gauge",
                "Bytes waiting in the fullest ring at the backend's last pass.",
                self.ring_fill_bytes.to_string(),
            ),
            (
                "narrate_backend_lag_seconds",
                "gauge",
                "Age of the oldest waiting event at the backend's last pass.",
                format!("{:e}", self.backend_lag_seconds),
            ),
            (
                "narrate_sampling_keep_one_in",
                "gauge",
                "Adaptive sampling keeps 1 in this many sampleable events (1: full rate).",
                self.adaptive_keep_one_in.to_string(),
            ),
            (
                "narrate_up",
                "gauge",
                "1: this process runs narrate.",
                "1".to_string(),
            ),
        ];
        for (name, kind, help, value) in &scalars {
            family(&mut o, name, kind, help);
            let _ = writeln!(o, "{name} {value}");
        }
        family(
            &mut o,
            "narrate_events_dropped_total",
            "counter",
            "Events lost, by reason.",
        );
        let _ = writeln!(
            o,
            "narrate_events_dropped_total{{reason=\"ring_full\"}} {}",
            self.dropped_ring_full
        );
        let _ = writeln!(
            o,
            "narrate_events_dropped_total{{reason=\"after_shutdown\"}} {}",
            self.dropped_after_shutdown
        );
        family(
            &mut o,
            "narrate_thread_ring_high_water_bytes",
            "gauge",
            "Most bytes ever waiting in a live thread's ring.",
        );
        for t in &self.threads {
            let _ = writeln!(
                o,
                "narrate_thread_ring_high_water_bytes{{thread=\"{}\",thread_id=\"{}\"}} {}",
                label(&t.thread),
                t.thread_id,
                t.ring_high_water_bytes
            );
        }
        family(
            &mut o,
            "narrate_stage_seconds",
            "summary",
            "Backend time per stage, over one event in 64.",
        );
        for s in &self.stages {
            let _ = writeln!(
                o,
                "narrate_stage_seconds_sum{{stage=\"{}\"}} {:e}",
                s.stage, s.seconds
            );
            let _ = writeln!(
                o,
                "narrate_stage_seconds_count{{stage=\"{}\"}} {}",
                s.stage, s.timed_events
            );
        }
        family(
            &mut o,
            "narrate_sink_bytes_total",
            "counter",
            "Bytes handed to each sink.",
        );
        for s in &self.sinks {
            let _ = writeln!(
                o,
                "narrate_sink_bytes_total{{sink=\"{}\"}} {}",
                label(&s.sink),
                s.bytes
            );
        }
        family(
            &mut o,
            "narrate_sink_writes_total",
            "counter",
            "Events handed to each sink.",
        );
        for s in &self.sinks {
            let _ = writeln!(
                o,
                "narrate_sink_writes_total{{sink=\"{}\"}} {}",
                label(&s.sink),
                s.writes
            );
        }
        family(
            &mut o,
            "narrate_sink_write_errors_total",
            "counter",
            "Failed writes or flushes per sink.",
        );
        for s in &self.sinks {
            let _ = writeln!(
                o,
                "narrate_sink_write_errors_total{{sink=\"{}\"}} {}",
                label(&s.sink),
                s.errors
            );
        }
        family(
            &mut o,
            "narrate_sink_write_seconds",
            "summary",
            "Time in Sink::write, over one event in 64.",
        );
        for s in &self.sinks {
            let _ = writeln!(
                o,
                "narrate_sink_write_seconds_sum{{sink=\"{}\"}} {:e}",
                label(&s.sink),
                s.write_seconds
            );
            let _ = writeln!(
                o,
                "narrate_sink_write_seconds_count{{sink=\"{}\"}} {}",
                label(&s.sink),
                s.timed_writes
            );
        }
        o
    }
}

impl crate::Config {
    /// Serves [`metrics()`] in the Prometheus text format on `address`
    /// (e.g. `"127.0.0.1:9464"`) from a small thread. `init` fails with
    /// [`crate::InitError::Metrics`] when the address cannot be bound (in
    /// use, not local, malformed).
    pub fn metrics_address(mut self, address: impl Into<String>) -> crate::Config {
        self.metrics_address = Some(address.into());
        self
    }
}

/// Binds `address` (at `init`, so that an address in use is an init error).
pub(crate) fn bind(address: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(address)
}

/// Serves the listener for the rest of the process's life.
pub(crate) fn serve(listener: TcpListener) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("narrate-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream);
            }
        })
        .map(drop)
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    // A client that never finishes its request must not hold the thread.
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut request = [0u8; 1024];
    let mut seen = 0;
    while seen < request.len() {
        let n = stream.read(&mut request[seen..])?;
        if n == 0 {
            break;
        }
        seen += n;
        if request[..seen].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let body = metrics().to_prometheus();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// Fetches the metrics text from a narrate process serving on `address`
/// (what `narrate stats` does).
pub fn fetch(address: &str, timeout: Duration) -> std::io::Result<String> {
    use std::net::ToSocketAddrs;
    let addr = address.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address resolved")
    })?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: narrate\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response")
    })?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "unexpected response: {}",
                head.lines().next().unwrap_or_default()
            ),
        ));
    }
    Ok(body.to_string())
}
