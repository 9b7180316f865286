//! Daemon sink: sends events to a `narrate daemon` over a Unix socket.
//!
//! Std only (no new dependency in the core library). The backend thread
//! appends each event's JSON line to a batch; a full batch (or a flush) is
//! handed to this sink's own sender thread through a queue bounded in bytes.
//! The sender thread owns the socket: it connects (retrying with exponential
//! backoff, 10 ms doubling to 1 s), sends each batch as one frame (see
//! [`frame`] and `docs/daemon-protocol.md`) and waits for the daemon's ack
//! before it forgets the batch. So:
//!
//! - the backend thread never blocks on the socket, only on a mutex held for a
//!   `VecDeque` push;
//! - while the daemon is away, batches wait in the queue up to
//!   [`DaemonSink::buffer_bytes`]; a batch that does not fit is dropped whole
//!   and its events are counted in [`DaemonCounters::dropped_events`];
//! - a batch sent but not acknowledged when the connection breaks is sent
//!   again after reconnecting. Delivery is at least once: if the daemon wrote
//!   a batch and died before its ack left, that batch is written twice.
//!
//! At shutdown (the sink dropped by the backend) the sender thread gets
//! [`DaemonSink::shutdown_timeout`] to deliver what is queued; what is still
//! queued after that is counted as dropped.

use std::collections::VecDeque;
use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::SinkSpec;
use crate::event::Event;
use crate::format::Format;
use crate::sinks::Sink;

/// The wire format shared by the client sink and the daemon (version 1).
///
/// A frame is `len: u32 LE` (the byte count of everything after it, at most
/// [`frame::MAX_FRAME`]), `version: u8` (= [`frame::VERSION`]), `kind: u8`,
/// `seq: u64 LE`, then `len - 10` payload bytes.
pub mod frame {
    use std::io::{self, Read, Write};

    /// Protocol version carried in every frame.
    pub const VERSION: u8 = 1;
    /// Largest value of the length prefix: 4 MiB.
    pub const MAX_FRAME: u32 = 4 << 20;
    /// Bytes of version + kind + seq (counted in the length prefix).
    pub const HEADER: u32 = 10;

    /// Client → daemon: a batch of JSON lines, each ending in `\n`.
    pub const BATCH: u8 = 1;
    /// Daemon → client: the batch with this `seq` is written to the daemon's sinks.
    pub const ACK: u8 = 2;
    /// Daemon → client: the last frame was refused (payload: UTF-8 reason);
    /// the daemon closes the connection after it.
    pub const ERROR: u8 = 3;
    /// Client → daemon: send your metrics.
    pub const METRICS_REQUEST: u8 = 4;
    /// Daemon → client: metrics as one JSON object.
    pub const METRICS: u8 = 5;
    /// Client → daemon: send the kept recent events, then every new one (monitors).
    pub const SUBSCRIBE: u8 = 6;

    /// One decoded frame.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Frame {
        pub kind: u8,
        pub seq: u64,
        pub payload: Vec<u8>,
    }

    /// Appends one frame to `out`.
    pub fn encode(out: &mut Vec<u8>, kind: u8, seq: u64, payload: &[u8]) {
        let len = HEADER + payload.len() as u32;
        out.extend_from_slice(&len.to_le_bytes());
        out.push(VERSION);
        out.push(kind);
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(payload);
    }

    /// Writes one frame.
    pub fn write(w: &mut impl Write, kind: u8, seq: u64, payload: &[u8]) -> io::Result<()> {
        let mut buf = Vec::with_capacity(14 + payload.len());
        encode(&mut buf, kind, seq, payload);
        w.write_all(&buf)
    }

    /// Why a frame was refused.
    #[derive(Debug)]
    pub enum ReadError {
        /// The peer closed the connection between two frames.
        Closed,
        /// The connection failed or closed in the middle of a frame.
        Io(io::Error),
        /// The length prefix is above [`MAX_FRAME`] or below [`HEADER`].
        BadLength(u32),
        /// A version this side does not speak.
        BadVersion(u8),
    }

    impl std::fmt::Display for ReadError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                ReadError::Closed => f.write_str("connection closed"),
                ReadError::Io(e) => write!(f, "i/o error inside a frame: {e}"),
                ReadError::BadLength(n) => write!(
                    f,
                    "frame length {n} outside {HEADER}..={MAX_FRAME} (not a narrate frame, or too big)"
                ),
                ReadError::BadVersion(v) => {
                    write!(f, "protocol version {v} (this side speaks {VERSION})")
                }
            }
        }
    }

    /// Reads one frame, reusing `payload`'s allocation. The length is checked
    /// before anything is allocated, so an oversize prefix costs nothing.
    pub fn read(r: &mut impl Read, payload: &mut Vec<u8>) -> Result<(u8, u64), ReadError> {
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match r.read(&mut len[got..]) {
                Ok(0) if got == 0 => return Err(ReadError::Closed),
                Ok(0) => return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
        let len = u32::from_le_bytes(len);
        if !(HEADER..=MAX_FRAME).contains(&len) {
            return Err(ReadError::BadLength(len));
        }
        let mut header = [0u8; HEADER as usize];
        r.read_exact(&mut header).map_err(ReadError::Io)?;
        if header[0] != VERSION {
            return Err(ReadError::BadVersion(header[0]));
        }
        let kind = header[1];
        let seq = u64::from_le_bytes(header[2..10].try_into().expect("8 bytes"));
        payload.clear();
        payload.resize((len - HEADER) as usize, 0);
        r.read_exact(payload).map_err(ReadError::Io)?;
        Ok((kind, seq))
    }
}

/// Builder for the daemon sink; turn it into a [`SinkSpec`] with `.into()`.
///
/// ```no_run
/// let sink = narrate::sinks::DaemonSink::new("/run/narrate.sock");
/// let counters = sink.counters();
/// let _guard = narrate::init(narrate::Config::new().sink(sink));
/// // later: counters.dropped_events()
/// # let _ = counters;
/// ```
#[derive(Debug, Clone)]
pub struct DaemonSink {
    path: PathBuf,
    batch_bytes: usize,
    buffer_bytes: usize,
    ack_timeout: Duration,
    shutdown_timeout: Duration,
    counters: DaemonCounters,
}

impl DaemonSink {
    /// Events go to the daemon listening at `path`.
    pub fn new(path: impl AsRef<Path>) -> DaemonSink {
        DaemonSink {
            path: path.as_ref().to_path_buf(),
            batch_bytes: 64 * 1024,
            buffer_bytes: 16 << 20,
            ack_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(2),
            counters: DaemonCounters::default(),
        }
    }

    /// A batch is sent when it reaches this many bytes (default 64 KiB), or
    /// on flush. Capped below the protocol's frame limit.
    pub fn batch_bytes(mut self, bytes: usize) -> DaemonSink {
        self.batch_bytes = bytes.clamp(1, (frame::MAX_FRAME - frame::HEADER) as usize / 2);
        self
    }

    /// Bytes of batches kept while the daemon is away or slow (default
    /// 16 MiB); a batch beyond it is dropped and counted.
    pub fn buffer_bytes(mut self, bytes: usize) -> DaemonSink {
        self.buffer_bytes = bytes;
        self
    }

    /// How long to wait for an ack before treating the connection as broken.
    pub fn ack_timeout(mut self, timeout: Duration) -> DaemonSink {
        self.ack_timeout = timeout;
        self
    }

    /// How long shutdown waits for queued batches to be acknowledged.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> DaemonSink {
        self.shutdown_timeout = timeout;
        self
    }

    /// A handle on this sink's counters, readable from any thread.
    pub fn counters(&self) -> DaemonCounters {
        self.counters.clone()
    }

    /// Starts the sender thread. [`SinkSpec`]'s `From` does this for you.
    pub fn open(self) -> io::Result<DaemonWriter> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let sender = Sender {
            path: self.path.clone(),
            ack_timeout: self.ack_timeout,
            shared: shared.clone(),
            counters: self.counters.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("narrate-daemon-sink".into())
            .spawn(move || sender.run())?;
        Ok(DaemonWriter {
            batch: Vec::with_capacity(self.batch_bytes + 4096),
            batch_events: 0,
            cfg: self,
            shared,
            thread: Some(thread),
        })
    }
}

impl From<DaemonSink> for SinkSpec {
    fn from(sink: DaemonSink) -> SinkSpec {
        let writer = sink
            .open()
            .expect("spawning the daemon sink's sender thread");
        SinkSpec::custom(writer, Format::Json)
    }
}

/// What the daemon sink did, counted since it started.
#[derive(Debug, Clone, Default)]
pub struct DaemonCounters(Arc<CounterCells>);

#[derive(Debug, Default)]
struct CounterCells {
    acked_events: AtomicU64,
    dropped_events: AtomicU64,
    connects: AtomicU64,
    refused_batches: AtomicU64,
}

impl DaemonCounters {
    /// Events the daemon acknowledged.
    pub fn acked_events(&self) -> u64 {
        self.0.acked_events.load(Ordering::Relaxed)
    }
    /// Events dropped because the buffer was full or shutdown came first.
    pub fn dropped_events(&self) -> u64 {
        self.0.dropped_events.load(Ordering::Relaxed)
    }
    /// Successful connections (the first one included).
    pub fn connects(&self) -> u64 {
        self.0.connects.load(Ordering::Relaxed)
    }
    /// Batches the daemon answered with an error frame (then dropped).
    pub fn refused_batches(&self) -> u64 {
        self.0.refused_batches.load(Ordering::Relaxed)
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Batches not yet acknowledged, oldest first: (bytes, event count).
    queue: VecDeque<(Vec<u8>, u64)>,
    queued_bytes: usize,
    /// Set at shutdown: deliver until this instant, then give up.
    deadline: Option<Instant>,
}

/// The running sink (on the backend thread).
pub struct DaemonWriter {
    cfg: DaemonSink,
    batch: Vec<u8>,
    batch_events: u64,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl DaemonWriter {
    fn hand_off(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.batch_events);
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.queued_bytes + self.batch.len() > self.cfg.buffer_bytes {
            drop(state);
            self.cfg
                .counters
                .0
                .dropped_events
                .fetch_add(events, Ordering::Relaxed);
            self.batch.clear();
            return;
        }
        let batch = std::mem::replace(
            &mut self.batch,
            Vec::with_capacity(self.cfg.batch_bytes + 4096),
        );
        state.queued_bytes += batch.len();
        state.queue.push_back((batch, events));
        drop(state);
        self.shared.wake.notify_all();
    }
}

impl Sink for DaemonWriter {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        self.batch.extend_from_slice(line);
        self.batch_events += 1;
        if self.batch.len() >= self.cfg.batch_bytes {
            self.hand_off();
        }
        Ok(())
    }

    /// Hands the partial batch to the sender thread; does not wait for the ack
    /// (the backend must not stall on a daemon that is away).
    fn flush(&mut self) -> io::Result<()> {
        self.hand_off();
        Ok(())
    }
}

impl Drop for DaemonWriter {
    fn drop(&mut self) {
        self.hand_off();
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.deadline = Some(Instant::now() + self.cfg.shutdown_timeout);
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Sender {
    path: PathBuf,
    ack_timeout: Duration,
    shared: Arc<Shared>,
    counters: DaemonCounters,
}

impl Sender {
    fn run(self) {
        let mut conn: Option<UnixStream> = None;
        let mut backoff = Duration::from_millis(10);
        let mut seq = 0u64;
        let mut scratch = Vec::new();
        loop {
            // Wait for a batch (or shutdown with nothing left).
            let (batch, deadline) = {
                let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if let Some((b, _)) = state.queue.front() {
                        // Cloning the batch keeps it queued until acked; the copy
                        // is what goes out (cheap next to a syscall round trip).
                        break (b.clone(), state.deadline);
                    }
                    if state.deadline.is_some() {
                        return;
                    }
                    state = self
                        .shared
                        .wake
                        .wait(state)
                        .unwrap_or_else(|p| p.into_inner());
                }
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.give_up();
                return;
            }
            let stream = match conn.as_mut() {
                Some(s) => s,
                None => match UnixStream::connect(&self.path) {
                    Ok(s) => {
                        let _ = s.set_read_timeout(Some(self.ack_timeout));
                        let _ = s.set_write_timeout(Some(self.ack_timeout));
                        self.counters.0.connects.fetch_add(1, Ordering::Relaxed);
                        backoff = Duration::from_millis(10);
                        conn.insert(s)
                    }
                    Err(_) => {
                        self.sleep_backoff(backoff, deadline);
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                        continue;
                    }
                },
            };
            seq += 1;
            match send_and_wait(stream, seq, &batch, &mut scratch) {
                Ok(frame::ACK) => self.pop(true),
                Ok(_) => {
                    // ERROR frame: the daemon refused this batch; retrying would
                    // loop forever, so it is dropped and counted.
                    self.counters
                        .0
                        .refused_batches
                        .fetch_add(1, Ordering::Relaxed);
                    self.pop(false);
                    conn = None;
                }
                Err(_) => conn = None,
            }
        }
    }

    fn pop(&self, acked: bool) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((b, events)) = state.queue.pop_front() {
            state.queued_bytes -= b.len();
            let cell = if acked {
                &self.counters.0.acked_events
            } else {
                &self.counters.0.dropped_events
            };
            cell.fetch_add(events, Ordering::Relaxed);
        }
    }

    fn give_up(&self) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let lost: u64 = state.queue.drain(..).map(|(_, n)| n).sum();
        state.queued_bytes = 0;
        self.counters
            .0
            .dropped_events
            .fetch_add(lost, Ordering::Relaxed);
    }

    /// Sleeps for `backoff`, waking early at shutdown.
    fn sleep_backoff(&self, backoff: Duration, deadline: Option<Instant>) {
        let state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if deadline.is_none() && state.deadline.is_none() {
            let _ = self.shared.wake.wait_timeout(state, backoff);
        } else {
            drop(state);
            std::thread::sleep(backoff.min(Duration::from_millis(50)));
        }
    }
}

/// Sends one batch frame and reads frames until its ack (or an error frame).
fn send_and_wait(
    stream: &mut UnixStream,
    seq: u64,
    batch: &[u8],
    scratch: &mut Vec<u8>,
) -> io::Result<u8> {
    frame::write(stream, frame::BATCH, seq, batch)?;
    loop {
        match frame::read(stream, scratch) {
            Ok((frame::ACK, s)) if s == seq => return Ok(frame::ACK),
            Ok((frame::ERROR, _)) => return Ok(frame::ERROR),
            Ok(_) => continue,
            Err(frame::ReadError::Io(e)) => return Err(e),
            Err(e) => return Err(io::Error::other(e.to_string())),
        }
    }
}
