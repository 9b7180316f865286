//! # narrate-otlp: narrate's events to any OpenTelemetry back end, over OTLP/HTTP
//!
//! ```no_run
//! use narrate::Config;
//! use narrate_otlp::OtlpExporter;
//!
//! let otlp = OtlpExporter::new("http://127.0.0.1:4318")
//!     .service_name("orders")
//!     .service_version("1.4.2")
//!     .start();
//! let report = otlp.handle();
//! let guard = narrate::init(Config::new().sink(otlp))?;
//! narrate::info!(action = "ship", order = 42u64, "Order {order} shipped");
//! drop(guard); // flushes, then waits at most the shutdown timeout
//! println!("{:?}", report.shutdown_report());
//! # Ok::<(), narrate::InitError>(())
//! ```
//!
//! # Design
//!
//! Three threads, two hand-offs, and nothing that can block a caller:
//!
//! * **Callers** never see this crate: they write into narrate's rings.
//! * narrate's **backend thread** calls [`OtlpSink`]'s `write`, which maps the
//!   event to an OTLP `LogRecord` (see [`map`]) and appends it to a local
//!   batch. A full batch, or the backend going idle (`flush`), moves the batch
//!   into the **bounded queue** with one lock. Records that do not fit
//!   (more than [`OtlpExporter::queue_capacity`] waiting) are dropped and
//!   counted ([`OtlpStats::dropped_queue_full`]); the backend never waits on
//!   the network.
//! * The exporter's **sender thread** takes up to
//!   [`OtlpExporter::max_batch`] records — sending as soon as that many are
//!   queued, or when the oldest has waited [`OtlpExporter::batch_timeout`] —
//!   encodes them as one `ExportLogsServiceRequest` (protobuf, or OTLP/JSON
//!   with [`OtlpExporter::json`]; optionally gzip) and POSTs it to `/v1/logs`.
//!
//! # Delivery, as the OTLP specification says
//!
//! * 2xx: delivered. A `partial_success` with `rejected_log_records > 0` is
//!   counted in [`OtlpStats::rejected`] with its message and **not** retried
//!   (the receiver said retrying will not help).
//! * 429, 502, 503, 504 and transport errors (refused, reset, timeout):
//!   retried with exponential backoff (from [`OtlpExporter::backoff`]'s
//!   initial delay, doubling to its maximum) with equal jitter (a random
//!   delay in `[d/2, d]`), or after exactly `Retry-After` seconds when the
//!   response carries one (the delta-seconds form; an HTTP-date falls back
//!   to the backoff); until [`OtlpExporter::max_retry_time`] has passed
//!   for the batch, then counted as failed.
//! * Any other status (400, 401, 404, 413, 500 …): not retried, counted in
//!   [`OtlpStats::failed`].
//!
//! While one batch is being retried the queue keeps filling up to its
//! capacity, so an outage shorter than "capacity ÷ event rate" loses nothing;
//! beyond that the newest records are dropped and counted.
//!
//! # Shutdown
//!
//! Dropping the sink (narrate does at [`narrate::shutdown`] or when the
//! guard drops) hands the last batch to the queue and gives the sender until
//! [`OtlpExporter::shutdown_timeout`] to deliver everything: retries stop
//! when their next attempt would fall past the deadline, and each request's
//! timeout is cut to the time left. The drop returns by the deadline even if
//! a receiver never answers (the sender is then abandoned, detached), and the
//! [`ShutdownReport`] says how many records were delivered and how many were
//! not; unsent records are also reported on stderr, since logging is over.
//! The failure modes users report for `opentelemetry-rust`'s batch processor
//! (shutdown hanging on a dead collector, silent drops on a full queue) are
//! what the tests in `tests/` exercise.

pub mod json;
pub mod map;
pub mod proto;

use std::collections::VecDeque;
use std::io;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use narrate::{Event, Format, Level, Sink, SinkSpec};
use prost::Message as _;

use crate::proto::{ExportLogsServiceRequest, LogRecord};

/// Builder of an OTLP/HTTP logs exporter.
#[derive(Debug, Clone)]
pub struct OtlpExporter {
    url: String,
    headers: Vec<(String, String)>,
    resource: map::ResourceInfo,
    gzip: bool,
    json: bool,
    max_batch: usize,
    batch_timeout: Duration,
    queue_capacity: usize,
    request_timeout: Duration,
    backoff_initial: Duration,
    backoff_max: Duration,
    max_retry_time: Duration,
    shutdown_timeout: Duration,
    min_level: Level,
}

impl OtlpExporter {
    /// `endpoint` is the collector's base URL (`http://host:4318`); `/v1/logs`
    /// is appended unless it already ends with it.
    pub fn new(endpoint: &str) -> OtlpExporter {
        let endpoint = endpoint.trim_end_matches('/');
        let url = if endpoint.ends_with("/v1/logs") {
            endpoint.to_string()
        } else {
            format!("{endpoint}/v1/logs")
        };
        OtlpExporter {
            url,
            headers: Vec::new(),
            resource: map::ResourceInfo::detect(),
            gzip: false,
            json: false,
            max_batch: 512,
            batch_timeout: Duration::from_millis(200),
            queue_capacity: 65_536,
            request_timeout: Duration::from_secs(10),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            max_retry_time: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(5),
            min_level: Level::Trace,
        }
    }

    /// `service.name` (default: the executable's name).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.resource.service_name = name.into();
        self
    }

    /// `service.version` (default: none).
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.resource.service_version = Some(version.into());
        self
    }

    /// `host.name` (default: the kernel's host name).
    pub fn host_name(mut self, name: impl Into<String>) -> Self {
        self.resource.host_name = Some(name.into());
        self
    }

    /// Any other resource attribute (`deployment.environment`, …).
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.resource.extra.push((key.into(), value.into()));
        self
    }

    /// An HTTP header sent with every request (authentication, tenancy).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Compress request bodies with gzip (`Content-Encoding: gzip`).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Send OTLP/JSON (`application/json`) instead of protobuf.
    pub fn json(mut self, on: bool) -> Self {
        self.json = on;
        self
    }

    /// Most records per request (default 512).
    pub fn max_batch(mut self, records: usize) -> Self {
        self.max_batch = records.max(1);
        self
    }

    /// Longest a queued record waits for its batch to fill (default 200 ms).
    pub fn batch_timeout(mut self, timeout: Duration) -> Self {
        self.batch_timeout = timeout;
        self
    }

    /// Most records waiting to be sent; beyond it records are dropped and
    /// counted (default 65 536, a few tens of MiB at most).
    pub fn queue_capacity(mut self, records: usize) -> Self {
        self.queue_capacity = records.max(1);
        self
    }

    /// Timeout of one HTTP request, connection included (default 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// First retry delay and its ceiling (default 100 ms, 5 s).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial.max(Duration::from_millis(1));
        self.backoff_max = max.max(self.backoff_initial);
        self
    }

    /// How long one batch is retried before it counts as failed (default 60 s).
    pub fn max_retry_time(mut self, time: Duration) -> Self {
        self.max_retry_time = time;
        self
    }

    /// How long shutdown may take to deliver what is queued (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Only events at `level` or above are exported.
    pub fn min_level(mut self, level: Level) -> Self {
        self.min_level = level;
        self
    }

    /// Starts the sender thread and returns the sink to give narrate.
    pub fn start(self) -> OtlpSink {
        let shared = Arc::new(Shared::default());
        let resource = map::resource(&self.resource);
        let sender = Sender {
            cfg: self.clone(),
            shared: shared.clone(),
            agent: ureq::Agent::new_with_config(
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(self.request_timeout))
                    .build(),
            ),
            resource,
            rng: seed(),
        };
        let spawned = std::thread::Builder::new()
            .name("narrate-otlp".into())
            .spawn(move || sender.run());
        if let Err(e) = spawned {
            let mut q = shared.lock();
            q.finished = true;
            q.last_error = Some(format!("cannot start the sender thread: {e}"));
        }
        OtlpSink {
            batch: Vec::with_capacity(self.max_batch),
            mapper: map::Mapper::default(),
            cfg: self,
            shared,
        }
    }
}

/// What the sender and the sink share.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the sender (records queued, closing).
    wake: Condvar,
    /// Wakes the closing sink (sender finished).
    done: Condvar,
    stats: Counters,
}

#[derive(Default)]
struct Queue {
    batches: VecDeque<(Instant, Vec<LogRecord>)>,
    records: usize,
    /// Records taken by the sender and not yet settled.
    in_flight: usize,
    closing: Option<Instant>,
    finished: bool,
    /// The closing side gave up waiting; the sender must not report.
    abandoned: bool,
    report: Option<ShutdownReport>,
    last_error: Option<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct Counters {
    enqueued: AtomicU64,
    sent: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    dropped_queue_full: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
}

/// A snapshot of an exporter's counters (records unless said otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OtlpStats {
    /// Accepted into the queue.
    pub enqueued: u64,
    /// Accepted by the receiver (2xx, minus partial_success rejections).
    pub sent: u64,
    /// Rejected by the receiver through `partial_success` (not retried).
    pub rejected: u64,
    /// Given up: a non-retryable status, or retries exhausted.
    pub failed: u64,
    /// Dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// HTTP requests made (retries included).
    pub requests: u64,
    /// Of which retries.
    pub retries: u64,
}

/// What shutdown could and could not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Counters at the end.
    pub stats: OtlpStats,
    /// Records still queued or in flight when the deadline came.
    pub unsent: u64,
    /// Whether the sender finished before the deadline.
    pub finished_in_time: bool,
    /// The last error seen (status and body, partial_success message, I/O error).
    pub last_error: Option<String>,
}

/// Reads an exporter's counters and its shutdown report.
#[derive(Clone)]
pub struct OtlpHandle(Arc<Shared>);

impl OtlpHandle {
    pub fn stats(&self) -> OtlpStats {
        let c = &self.0.stats;
        OtlpStats {
            enqueued: c.enqueued.load(Relaxed),
            sent: c.sent.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            failed: c.failed.load(Relaxed),
            dropped_queue_full: c.dropped_queue_full.load(Relaxed),
            requests: c.requests.load(Relaxed),
            retries: c.retries.load(Relaxed),
        }
    }

    /// Records queued or in flight right now.
    pub fn pending(&self) -> usize {
        let q = self.0.lock();
        q.records + q.in_flight
    }

    pub fn last_error(&self) -> Option<String> {
        self.0.lock().last_error.clone()
    }

    /// Set once the sink has shut down.
    pub fn shutdown_report(&self) -> Option<ShutdownReport> {
        self.0.lock().report.clone()
    }
}

/// The sink half of an exporter: give it to [`narrate::Config::sink`].
pub struct OtlpSink {
    cfg: OtlpExporter,
    shared: Arc<Shared>,
    batch: Vec<LogRecord>,
    mapper: map::Mapper,
}

impl OtlpSink {
    pub fn handle(&self) -> OtlpHandle {
        OtlpHandle(self.shared.clone())
    }

    /// Moves the local batch into the queue, dropping what does not fit.
    fn hand_off(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.cfg.max_batch));
        let mut q = self.shared.lock();
        let room = self
            .cfg
            .queue_capacity
            .saturating_sub(q.records + q.in_flight);
        if batch.len() > room {
            let dropped = batch.len() - room;
            batch.truncate(room);
            self.shared
                .stats
                .dropped_queue_full
                .fetch_add(dropped as u64, Relaxed);
        }
        if !batch.is_empty() {
            q.records += batch.len();
            self.shared
                .stats
                .enqueued
                .fetch_add(batch.len() as u64, Relaxed);
            q.batches.push_back((Instant::now(), batch));
            drop(q);
            self.shared.wake.notify_one();
        }
    }

    /// Flushes, then waits until the sender has delivered everything or the
    /// shutdown timeout has passed; returns (and stores) the report.
    fn close(&mut self) -> ShutdownReport {
        self.hand_off();
        let deadline = Instant::now() + self.cfg.shutdown_timeout;
        let mut q = self.shared.lock();
        q.closing = Some(deadline);
        self.shared.wake.notify_one();
        while !q.finished {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            q = self
                .shared
                .done
                .wait_timeout(q, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let finished_in_time = q.finished;
        q.abandoned = true;
        let report = ShutdownReport {
            stats: OtlpHandle(self.shared.clone()).stats(),
            unsent: (q.records + q.in_flight) as u64,
            finished_in_time,
            last_error: q.last_error.clone().or_else(|| {
                (!finished_in_time)
                    .then(|| "the receiver had not answered by the shutdown deadline".to_string())
            }),
        };
        q.report = Some(report.clone());
        drop(q);
        if report.unsent > 0 {
            let _ = writeln!(
                io::stderr(),
                "narrate-otlp: shutdown left {} log records unsent to {} (last error: {})",
                report.unsent,
                self.cfg.url,
                report.last_error.as_deref().unwrap_or("none")
            );
        }
        report
    }
}

impl Sink for OtlpSink {
    fn write(&mut self, event: &Event<'_>, _line: &[u8]) -> io::Result<()> {
        self.batch.push(self.mapper.record(event));
        if self.batch.len() >= self.cfg.max_batch {
            self.hand_off();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.hand_off();
        Ok(())
    }
}

impl Drop for OtlpSink {
    fn drop(&mut self) {
        self.close();
    }
}

impl From<OtlpSink> for SinkSpec {
    fn from(sink: OtlpSink) -> SinkSpec {
        let level = sink.cfg.min_level;
        SinkSpec::custom(sink, Format::Json).min_level(level)
    }
}

/// The outcome of one request.
enum Attempt {
    Delivered {
        rejected: u64,
        message: String,
    },
    Retry {
        after: Option<Duration>,
        why: String,
    },
    Fail(String),
}

struct Sender {
    cfg: OtlpExporter,
    shared: Arc<Shared>,
    agent: ureq::Agent,
    resource: proto::Resource,
    rng: u64,
}

impl Sender {
    fn run(mut self) {
        while let Some(batch) = self.next_batch() {
            self.deliver(batch);
        }
        let mut q = self.shared.lock();
        q.finished = true;
        drop(q);
        self.shared.done.notify_all();
    }

    /// Waits for a batch worth sending; `None` when closing and empty.
    fn next_batch(&mut self) -> Option<Vec<LogRecord>> {
        let mut q = self.shared.lock();
        loop {
            if q.abandoned {
                return None;
            }
            let now = Instant::now();
            if let Some(&(oldest, _)) = q.batches.front() {
                if q.closing.is_some()
                    || q.records >= self.cfg.max_batch
                    || now >= oldest + self.cfg.batch_timeout
                {
                    break;
                }
                let wait = (oldest + self.cfg.batch_timeout).saturating_duration_since(now);
                q = self
                    .shared
                    .wake
                    .wait_timeout(q, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                continue;
            }
            if q.closing.is_some() {
                return None;
            }
            q = self.shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
        }
        let mut out: Vec<LogRecord> = Vec::new();
        while out.len() < self.cfg.max_batch {
            let Some((_, mut front)) = q.batches.pop_front() else {
                break;
            };
            let want = self.cfg.max_batch - out.len();
            if front.len() > want {
                let rest = front.split_off(want);
                q.batches.push_front((Instant::now(), rest));
            }
            if out.is_empty() {
                out = front;
            } else {
                out.append(&mut front);
            }
        }
        q.records -= out.len();
        q.in_flight = out.len();
        Some(out)
    }

    fn deliver(&mut self, records: Vec<LogRecord>) {
        let n = records.len() as u64;
        let request = ExportLogsServiceRequest {
            resource_logs: vec![proto::ResourceLogs {
                resource: Some(self.resource.clone()),
                scope_logs: vec![proto::ScopeLogs {
                    scope: Some(map::scope()),
                    log_records: records,
                }],
            }],
        };
        let body = self.encode(&request);
        drop(request);
        let started = Instant::now();
        let mut backoff = self.cfg.backoff_initial;
        let shared = self.shared.clone();
        let stats = &shared.stats;
        let outcome = loop {
            let closing = self.shared.lock().closing;
            let mut timeout = self.cfg.request_timeout;
            if let Some(deadline) = closing {
                timeout = timeout.min(deadline.saturating_duration_since(Instant::now()));
                if timeout.is_zero() {
                    break Err(("shutdown deadline reached".to_string(), true));
                }
            }
            stats.requests.fetch_add(1, Relaxed);
            match self.attempt(&body, timeout) {
                Attempt::Delivered { rejected, message } => {
                    let rejected = rejected.min(n);
                    stats.sent.fetch_add(n - rejected, Relaxed);
                    if rejected > 0 {
                        stats.rejected.fetch_add(rejected, Relaxed);
                        self.shared.lock().last_error =
                            Some(format!("partial success: {rejected} rejected: {message}"));
                    }
                    break Ok(());
                }
                Attempt::Fail(why) => break Err((why, false)),
                Attempt::Retry { after, why } => {
                    let delay = after.unwrap_or_else(|| self.jitter(backoff));
                    backoff = (backoff * 2).min(self.cfg.backoff_max);
                    let resume = Instant::now() + delay;
                    if resume > started + self.cfg.max_retry_time {
                        break Err((
                            format!("{why}; gave up after {:?}", started.elapsed()),
                            false,
                        ));
                    }
                    self.shared.lock().last_error = Some(why.clone());
                    if !self.sleep_until(resume) {
                        break Err((format!("{why}; shutdown deadline reached"), true));
                    }
                    stats.retries.fetch_add(1, Relaxed);
                }
            }
        };
        let mut q = self.shared.lock();
        if q.abandoned {
            return;
        }
        match outcome {
            Ok(()) => q.in_flight = 0,
            Err((why, shutdown)) => {
                q.last_error = Some(why);
                if shutdown {
                    // Shutdown's deadline: leave the batch counted as in
                    // flight (unsent) and everything queued untouched.
                    q.abandoned = true;
                    return;
                }
                q.in_flight = 0;
                stats.failed.fetch_add(n, Relaxed);
            }
        }
    }

    /// Sleeps until `t`; false if the shutdown deadline comes first.
    fn sleep_until(&self, t: Instant) -> bool {
        let mut q = self.shared.lock();
        loop {
            if q.closing.is_some_and(|d| t > d) || q.abandoned {
                return false;
            }
            let now = Instant::now();
            if now >= t {
                return true;
            }
            q = self
                .shared
                .wake
                .wait_timeout(q, t - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn encode(&self, request: &ExportLogsServiceRequest) -> Vec<u8> {
        let raw = if self.cfg.json {
            json::encode_request(request)
        } else {
            request.encode_to_vec()
        };
        if !self.cfg.gzip {
            return raw;
        }
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 4),
            flate2::Compression::fast(),
        );
        gz.write_all(&raw).expect("writing to a Vec cannot fail");
        gz.finish().expect("writing to a Vec cannot fail")
    }

    fn attempt(&self, body: &[u8], timeout: Duration) -> Attempt {
        let mut req = self.agent.post(&self.cfg.url).header(
            "Content-Type",
            if self.cfg.json {
                "application/json"
            } else {
                "application/x-protobuf"
            },
        );
        if self.cfg.gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        for (k, v) in &self.cfg.headers {
            req = req.header(k, v);
        }
        let req = req.config().timeout_global(Some(timeout)).build();
        let mut resp = match req.send(body) {
            Ok(resp) => resp,
            Err(e) => {
                return Attempt::Retry {
                    after: None,
                    why: format!("POST {}: {e}", self.cfg.url),
                };
            }
        };
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .unwrap_or_default();
        if (200..300).contains(&status) {
            let partial = if self.cfg.json {
                json::decode_partial_success(&bytes)
            } else {
                proto::ExportLogsServiceResponse::decode(bytes.as_slice())
                    .ok()
                    .and_then(|r| r.partial_success)
                    .map(|p| (p.rejected_log_records.max(0) as u64, p.error_message))
            };
            let (rejected, message) = partial.unwrap_or_default();
            return Attempt::Delivered { rejected, message };
        }
        let why = format!(
            "POST {}: HTTP {status} {}",
            self.cfg.url,
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        );
        if matches!(status, 429 | 502 | 503 | 504) {
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            Attempt::Retry { after, why }
        } else {
            Attempt::Fail(why)
        }
    }

    /// Equal jitter: a uniformly random delay in `[d/2, d]`.
    fn jitter(&mut self, d: Duration) -> Duration {
        // xorshift64*: enough to decorrelate clients, no dependency.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let half = d / 2;
        let nanos = half.as_nanos() as u64;
        half + Duration::from_nanos(if nanos == 0 { 0 } else { r % (nanos + 1) })
    }
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (t ^ (u64::from(std::process::id()) << 32)) | 1
}
