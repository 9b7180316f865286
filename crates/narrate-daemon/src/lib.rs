//! The narrate collector daemon: many processes send their events through
//! narrate's daemon sink ([`narrate::sinks::DaemonSink`]) to one Unix socket;
//! the daemon writes them to its own outputs, keeps the most recent ones for
//! monitors and counts what it does.
//!
//! # Design
//!
//! - **One thread per connection**, with a 64 KiB stack. A connection thread
//!   reads one frame, handles it to the end (outputs written and flushed to
//!   the kernel), acks it, and only then reads the next: the per-connection
//!   queue is bounded to the one frame in hand, and a client that sends faster
//!   than the daemon writes fills its socket buffer until the kernel blocks
//!   it. A silent or idle client costs a parked thread and its stack, nothing
//!   on the CPU; 1 000 idle connections are tested. The trade-off against an
//!   event loop (epoll): simpler code and no head-of-line blocking between
//!   clients, for more memory per connection; [`Config::max_connections`]
//!   bounds it.
//! - **Ack after write.** A batch is acknowledged after its lines are handed
//!   to the kernel (`write`), so a kill -9 of the daemon after an ack loses
//!   nothing acknowledged (an OS crash can, unless outputs fsync; they do not).
//! - **Outputs** implement [`Output`]; today a file (narrate's rotating
//!   [`narrate::sinks::FileWriter`]) and stdout, in the JSON lines the clients send.
//!   OTLP and syslog exporters plug in as further `Output`s.
//! - **Bad input** (wrong length, wrong version, unknown kind) gets an `ERROR`
//!   frame with the reason, the connection is closed and the event counted
//!   in [`Metrics`]; a line that is not JSON is kept, wrapped as a JSON string
//!   (`{"narrate_daemon":"undecodable line","raw":…}`), and counted.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub mod rules;

pub use narrate::sinks::daemon::frame;

/// Events kept in memory for monitors.
pub const RECENT_EVENTS: usize = 10_000;

/// Where the daemon listens and writes.
#[derive(Debug, Clone)]
pub struct Config {
    pub socket: PathBuf,
    /// Permission bits of the socket file (default 0o600: the owner only).
    pub mode: u32,
    /// Append events to this file (JSON lines), rotating at `max_bytes`.
    pub file: Option<PathBuf>,
    pub max_bytes: Option<u64>,
    pub stdout: bool,
    pub max_connections: u64,
}

impl Config {
    pub fn new(socket: impl AsRef<Path>) -> Config {
        Config {
            socket: socket.as_ref().to_path_buf(),
            mode: 0o600,
            file: None,
            max_bytes: None,
            stdout: false,
            max_connections: 4096,
        }
    }
}

/// A destination for the daemon's events (file, stdout; OTLP and syslog next).
pub trait Output: Send {
    /// Writes one JSON line (`\n` included).
    fn write_line(&mut self, line: &[u8], unix_ns: u64) -> io::Result<()>;
    /// Hands buffered bytes to the kernel; called before every ack.
    fn flush(&mut self) -> io::Result<()>;
}

impl Output for narrate::sinks::FileWriter {
    fn write_line(&mut self, line: &[u8], unix_ns: u64) -> io::Result<()> {
        narrate::sinks::FileWriter::write_line(self, line, unix_ns)
    }
    fn flush(&mut self) -> io::Result<()> {
        narrate::Sink::flush(self)
    }
}

struct StdoutOutput(io::BufWriter<io::Stdout>);

impl Output for StdoutOutput {
    fn write_line(&mut self, line: &[u8], _: u64) -> io::Result<()> {
        self.0.write_all(line)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The daemon's counters, all since start.
#[derive(Debug, Default)]
pub struct Metrics {
    pub events: AtomicU64,
    pub batches: AtomicU64,
    pub bytes: AtomicU64,
    pub undecodable_lines: AtomicU64,
    pub bad_frames: AtomicU64,
    pub truncated_frames: AtomicU64,
    pub output_errors: AtomicU64,
    pub connections_total: AtomicU64,
    pub connections_open: AtomicU64,
    pub connections_refused: AtomicU64,
    pub subscriber_drops: AtomicU64,
}

impl Metrics {
    /// The counters as one JSON object (the `METRICS` frame's payload).
    pub fn to_json(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "events": g(&self.events),
            "batches": g(&self.batches),
            "bytes": g(&self.bytes),
            "undecodable_lines": g(&self.undecodable_lines),
            "bad_frames": g(&self.bad_frames),
            "truncated_frames": g(&self.truncated_frames),
            "output_errors": g(&self.output_errors),
            "connections_total": g(&self.connections_total),
            "connections_open": g(&self.connections_open),
            "connections_refused": g(&self.connections_refused),
            "subscriber_drops": g(&self.subscriber_drops),
        })
        .to_string()
    }
}

struct Core {
    outputs: Vec<Box<dyn Output>>,
    recent: VecDeque<Arc<[u8]>>,
    subscribers: Vec<SyncSender<Arc<[u8]>>>,
}

struct Shared {
    core: Mutex<Core>,
    metrics: Metrics,
    max_connections: u64,
    stopping: AtomicBool,
    /// Open connections: (connection number, peer pid, peer uid) from SO_PEERCRED.
    peers: Mutex<Vec<(u64, i32, u32)>>,
}

/// A running daemon (its accept loop on a thread of its own).
pub struct Daemon {
    shared: Arc<Shared>,
    socket: PathBuf,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    /// Binds the socket and starts accepting. A stale socket file (nobody
    /// listening) is replaced; a live one is an error.
    pub fn start(cfg: Config) -> io::Result<Daemon> {
        let mut outputs: Vec<Box<dyn Output>> = Vec::new();
        if let Some(file) = &cfg.file {
            let mut sink = narrate::FileSink::new(file);
            if let Some(max) = cfg.max_bytes {
                sink = sink.max_bytes(max);
            }
            outputs.push(Box::new(narrate::sinks::FileWriter::open(sink)?));
        }
        if cfg.stdout {
            outputs.push(Box::new(StdoutOutput(io::BufWriter::new(io::stdout()))));
        }
        let listener = bind(&cfg.socket, cfg.mode)?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                outputs,
                recent: VecDeque::with_capacity(RECENT_EVENTS),
                subscribers: Vec::new(),
            }),
            metrics: Metrics::default(),
            max_connections: cfg.max_connections,
            stopping: AtomicBool::new(false),
            peers: Mutex::new(Vec::new()),
        });
        let accept_shared = shared.clone();
        let accept = std::thread::Builder::new()
            .name("narrate-daemon-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(Daemon {
            shared,
            socket: cfg.socket,
            accept: Some(accept),
        })
    }

    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Blocks for as long as the daemon runs (until the process ends).
    pub fn wait(mut self) {
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Daemon {
    /// Stops accepting (open connections end with their clients) and
    /// removes the socket file.
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        let _ = UnixStream::connect(&self.socket);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let _ = fs::remove_file(&self.socket);
        let mut core = self.shared.core.lock().unwrap_or_else(|p| p.into_inner());
        for out in &mut core.outputs {
            let _ = out.flush();
        }
    }
}

fn bind(path: &Path, mode: u32) -> io::Result<UnixListener> {
    if path.exists() {
        match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("a daemon already listens on {}", path.display()),
                ));
            }
            Err(_) => fs::remove_file(path)?,
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(listener)
}

fn accept_loop(listener: UnixListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut stream) = stream else { continue };
        let m = &shared.metrics;
        if m.connections_open.load(Ordering::Relaxed) >= shared.max_connections {
            m.connections_refused.fetch_add(1, Ordering::Relaxed);
            let _ = frame::write(&mut stream, frame::ERROR, 0, b"too many connections");
            continue;
        }
        // Who is on the other end, for the log of connections.
        let peer = rustix::net::sockopt::socket_peercred(&stream)
            .map(|c| (c.pid.as_raw_nonzero().get(), c.uid.as_raw()))
            .unwrap_or((0, u32::MAX));
        let conn = m.connections_total.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&shared.peers).push((conn, peer.0, peer.1));
        m.connections_open.fetch_add(1, Ordering::Relaxed);
        let conn_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("narrate-daemon-conn".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                serve(stream, &conn_shared);
                lock(&conn_shared.peers).retain(|p| p.0 != conn);
                conn_shared
                    .metrics
                    .connections_open
                    .fetch_sub(1, Ordering::Relaxed);
            });
        if spawned.is_err() {
            lock(&shared.peers).retain(|p| p.0 != conn);
            m.connections_open.fetch_sub(1, Ordering::Relaxed);
            m.connections_refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn refuse(stream: &mut UnixStream, shared: &Shared, why: &str) {
    shared.metrics.bad_frames.fetch_add(1, Ordering::Relaxed);
    let _ = frame::write(stream, frame::ERROR, 0, why.as_bytes());
}

fn serve(mut stream: UnixStream, shared: &Shared) {
    let mut payload = Vec::new();
    loop {
        let (kind, seq) = match frame::read(&mut stream, &mut payload) {
            Ok(f) => f,
            Err(frame::ReadError::Closed) => return,
            Err(frame::ReadError::Io(_)) => {
                shared
                    .metrics
                    .truncated_frames
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) => return refuse(&mut stream, shared, &e.to_string()),
        };
        match kind {
            frame::BATCH => {
                if let Err(e) = write_batch(shared, &payload) {
                    shared.metrics.output_errors.fetch_add(1, Ordering::Relaxed);
                    let why = format!("daemon output failed: {e}");
                    let _ = frame::write(&mut stream, frame::ERROR, seq, why.as_bytes());
                    return;
                }
                if frame::write(&mut stream, frame::ACK, seq, &[]).is_err() {
                    return;
                }
            }
            frame::METRICS_REQUEST => {
                let json = metrics_json(shared);
                if frame::write(&mut stream, frame::METRICS, seq, json.as_bytes()).is_err() {
                    return;
                }
            }
            frame::SUBSCRIBE => return subscribe(stream, shared),
            other => {
                return refuse(
                    &mut stream,
                    shared,
                    &format!("unknown frame kind {other} from a client"),
                );
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The metrics plus the open connections' peers.
fn metrics_json(shared: &Shared) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&shared.metrics.to_json()).expect("own JSON");
    let peers: Vec<_> = lock(&shared.peers)
        .iter()
        .map(|(c, pid, uid)| serde_json::json!({"connection": c, "pid": pid, "uid": uid}))
        .collect();
    v["peers"] = peers.into();
    v.to_string()
}

/// Writes a batch's lines to every output, keeps them for monitors, flushes.
fn write_batch(shared: &Shared, payload: &[u8]) -> io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let m = &shared.metrics;
    let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
    let core = &mut *core;
    let mut events = 0u64;
    let mut result = Ok(());
    for raw in payload.split_inclusive(|b| *b == b'\n') {
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        if body.is_empty() {
            continue;
        }
        events += 1;
        let line: Arc<[u8]> = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
            && raw.ends_with(b"\n")
        {
            Arc::from(raw)
        } else {
            m.undecodable_lines.fetch_add(1, Ordering::Relaxed);
            let mut wrapped = serde_json::json!({
                "narrate_daemon": "undecodable line",
                "raw": String::from_utf8_lossy(body),
            })
            .to_string();
            wrapped.push('\n');
            Arc::from(wrapped.into_bytes())
        };
        for out in &mut core.outputs {
            if let Err(e) = out.write_line(&line, now) {
                result = Err(e);
            }
        }
        if core.recent.len() == RECENT_EVENTS {
            core.recent.pop_front();
        }
        core.subscribers.retain(|s| match s.try_send(line.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                m.subscriber_drops.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
        core.recent.push_back(line);
    }
    for out in &mut core.outputs {
        if let Err(e) = out.flush() {
            result = Err(e);
        }
    }
    m.events.fetch_add(events, Ordering::Relaxed);
    m.batches.fetch_add(1, Ordering::Relaxed);
    m.bytes.fetch_add(payload.len() as u64, Ordering::Relaxed);
    result
}

/// A monitor: the kept recent events first, then every new one, as `BATCH`
/// frames (seq 0). A monitor that reads too slowly loses events (counted in
/// `subscriber_drops`) rather than slowing the daemon.
fn subscribe(mut stream: UnixStream, shared: &Shared) {
    let (tx, rx) = sync_channel::<Arc<[u8]>>(RECENT_EVENTS);
    let backlog: Vec<u8> = {
        let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.subscribers.push(tx);
        core.recent.iter().flat_map(|l| l.iter().copied()).collect()
    };
    for chunk in chunk_lines(&backlog, 1 << 20) {
        if frame::write(&mut stream, frame::BATCH, 0, chunk).is_err() {
            return;
        }
    }
    let mut buf = Vec::new();
    while let Ok(line) = rx.recv() {
        buf.clear();
        buf.extend_from_slice(&line);
        while buf.len() < 64 * 1024 {
            match rx.try_recv() {
                Ok(l) => buf.extend_from_slice(&l),
                Err(_) => break,
            }
        }
        if frame::write(&mut stream, frame::BATCH, 0, &buf).is_err() {
            return;
        }
    }
}

/// Splits whole lines into chunks of at most about `max` bytes.
fn chunk_lines(bytes: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + max).min(bytes.len());
        if end < bytes.len() {
            end = bytes[start..end]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(end, |p| start + p + 1);
        }
        out.push(&bytes[start..end]);
        start = end;
    }
    out
}

/// Asks a running daemon for its metrics (JSON).
pub fn query_metrics(socket: &Path) -> io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    frame::write(&mut stream, frame::METRICS_REQUEST, 1, &[])?;
    let mut payload = Vec::new();
    match frame::read(&mut stream, &mut payload) {
        Ok((frame::METRICS, _)) => Ok(String::from_utf8_lossy(&payload).into_owned()),
        Ok((kind, _)) => Err(io::Error::other(format!("unexpected frame kind {kind}"))),
        Err(e) => Err(io::Error::other(e.to_string())),
    }
}
