//! Syslog (RFC 5424) over UDP, TCP and a Unix datagram socket, std only.
//!
//! Each event becomes one RFC 5424 message:
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID actor="…" key="…"…] human text
//! ```
//!
//! * PRI is `facility * 8 + severity`; narrate's levels map to syslog
//!   severities Fatal → 2 (critical), Error → 3, Warn → 4, Info → 6 and
//!   Debug/Trace → 7.
//! * MSGID is the event's action (`-` when it has none), APP-NAME and PROCID
//!   are configured (default: the executable's name and the process id).
//! * The fields go into one structured-data element (default SD-ID
//!   `narrate@32473`; 32473 is the documentation enterprise number of
//!   RFC 5612 — set your own with [`SyslogSink::sd_id`]). Values are escaped
//!   as RFC 5424 §6.3.3 requires (`"`, `\` and `]` get a backslash); names are
//!   cut to the RFC's PARAM-NAME alphabet and 32 characters.
//! * Header fields outside the RFC's printable-ASCII alphabet are replaced
//!   by `_` rather than sent malformed.
//!
//! # Transports
//!
//! * **UDP** (RFC 5426): one datagram per message, default limit 2048 bytes.
//! * **TCP** (RFC 6587, octet counting: `LEN SP MSG`), default limit 8192
//!   bytes. Messages are framed into a buffer written when it is large, when
//!   the backend goes idle and on flush. On a write or connect failure the
//!   connection is dropped and retried with exponential backoff (100 ms
//!   doubling to 5 s); frames wait in the buffer meanwhile, up to
//!   [`SyslogSink::tcp_buffer_bytes`] (default 1 MiB), beyond which the
//!   oldest whole frames are dropped and counted
//!   ([`SyslogStats::dropped`]). A frame cut by a broken connection is
//!   sent again whole on the next one, so the receiver never sees a torn
//!   frame; frames written before the failure count as sent (TCP cannot say
//!   whether they arrived).
//! * **Unix** datagram socket (`/dev/log` or rsyslog's imuxsock), default
//!   limit 8192 bytes.
//!
//! # Truncation
//!
//! A message over the transport's limit is never split into two: the human
//! text is cut at a character boundary and ends with the marker
//! `…[truncated]`; if the header and structured data alone do not fit, the
//! structured data is replaced by `[SD-ID truncated="ORIGINAL-BYTES"]`. Each
//! truncation is counted in [`SyslogStats::truncated`].

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
#[cfg(unix)]
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::backend::decode::Value;
use crate::config::SinkSpec;
use crate::event::{DisplayValue, Event};
use crate::format::Format;
use crate::level::Level;
use crate::sinks::Sink;

/// The marker that ends a truncated message text.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// Syslog facility (RFC 5424 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Facility {
    Kern = 0,
    User = 1,
    Mail = 2,
    Daemon = 3,
    Auth = 4,
    Syslog = 5,
    Lpr = 6,
    News = 7,
    Uucp = 8,
    Cron = 9,
    AuthPriv = 10,
    Ftp = 11,
    Local0 = 16,
    Local1 = 17,
    Local2 = 18,
    Local3 = 19,
    Local4 = 20,
    Local5 = 21,
    Local6 = 22,
    Local7 = 23,
}

/// Where the messages go.
#[derive(Debug, Clone)]
pub enum SyslogTransport {
    Udp(SocketAddr),
    Tcp(SocketAddr),
    #[cfg(unix)]
    Unix(PathBuf),
}

/// Counters of a syslog sink, readable while it runs (see [`SyslogSink::stats`]).
#[derive(Debug, Default)]
pub struct SyslogStats {
    sent: AtomicU64,
    truncated: AtomicU64,
    dropped: AtomicU64,
    reconnects: AtomicU64,
}

impl SyslogStats {
    /// Messages handed to the transport (for TCP: written to the socket).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
    /// Messages cut to the transport's limit (each still sent, with the marker).
    pub fn truncated(&self) -> u64 {
        self.truncated.load(Ordering::Relaxed)
    }
    /// TCP frames dropped because the reconnect buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    /// Successful TCP (re)connections after the first.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }
}

/// Builder for a syslog sink; pass it to [`crate::Config::sink`].
///
/// ```no_run
/// use narrate::{Config, sinks::{Facility, SyslogSink}};
/// let _guard = narrate::init(
///     Config::new().sink(SyslogSink::tcp("127.0.0.1:514".parse().unwrap())
///         .facility(Facility::Local3)
///         .app_name("orders")),
/// )?;
/// # Ok::<(), narrate::InitError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SyslogSink {
    transport: SyslogTransport,
    facility: Facility,
    app_name: String,
    hostname: String,
    procid: String,
    sd_id: String,
    max_message_bytes: usize,
    tcp_buffer_bytes: usize,
    min_level: Level,
    stats: Arc<SyslogStats>,
}

impl SyslogSink {
    pub fn udp(addr: SocketAddr) -> SyslogSink {
        SyslogSink::new(SyslogTransport::Udp(addr), 2048)
    }

    pub fn tcp(addr: SocketAddr) -> SyslogSink {
        SyslogSink::new(SyslogTransport::Tcp(addr), 8192)
    }

    /// A Unix datagram socket such as `/dev/log`.
    #[cfg(unix)]
    pub fn unix(path: impl Into<PathBuf>) -> SyslogSink {
        SyslogSink::new(SyslogTransport::Unix(path.into()), 8192)
    }

    fn new(transport: SyslogTransport, max_message_bytes: usize) -> SyslogSink {
        let app_name = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "narrate".to_string());
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        SyslogSink {
            transport,
            facility: Facility::User,
            app_name,
            hostname,
            procid: std::process::id().to_string(),
            sd_id: "narrate@32473".to_string(),
            max_message_bytes,
            tcp_buffer_bytes: 1 << 20,
            min_level: Level::Trace,
            stats: Arc::default(),
        }
    }

    pub fn facility(mut self, facility: Facility) -> SyslogSink {
        self.facility = facility;
        self
    }

    /// APP-NAME (at most 48 printable ASCII characters; default: the executable's name).
    pub fn app_name(mut self, name: impl Into<String>) -> SyslogSink {
        self.app_name = name.into();
        self
    }

    /// HOSTNAME (default: the kernel's host name; `-` when empty).
    pub fn hostname(mut self, name: impl Into<String>) -> SyslogSink {
        self.hostname = name.into();
        self
    }

    /// PROCID (default: the process id).
    pub fn procid(mut self, procid: impl Into<String>) -> SyslogSink {
        self.procid = procid.into();
        self
    }

    /// The SD-ID of the element holding the fields (`name@enterprise-number`).
    pub fn sd_id(mut self, sd_id: impl Into<String>) -> SyslogSink {
        self.sd_id = sd_id.into();
        self
    }

    /// Longest message sent, in bytes (without the TCP length prefix).
    pub fn max_message_bytes(mut self, bytes: usize) -> SyslogSink {
        self.max_message_bytes = bytes.max(64);
        self
    }

    /// TCP only: bytes kept while disconnected before the oldest frames are dropped.
    pub fn tcp_buffer_bytes(mut self, bytes: usize) -> SyslogSink {
        self.tcp_buffer_bytes = bytes.max(1);
        self
    }

    pub fn min_level(mut self, level: Level) -> SyslogSink {
        self.min_level = level;
        self
    }

    /// The sink's counters, shared with the running sink.
    pub fn stats(&self) -> Arc<SyslogStats> {
        self.stats.clone()
    }

    /// Opens the transport. TCP connects lazily (and reconnects), so this
    /// fails only when a local socket cannot be created.
    pub fn open(self) -> io::Result<SyslogWriter> {
        let conn = match &self.transport {
            SyslogTransport::Udp(addr) => {
                let local: SocketAddr = if addr.is_ipv4() {
                    "0.0.0.0:0".parse().expect("literal address")
                } else {
                    "[::]:0".parse().expect("literal address")
                };
                Conn::Udp(UdpSocket::bind(local)?, *addr)
            }
            SyslogTransport::Tcp(addr) => Conn::Tcp(TcpConn {
                addr: *addr,
                stream: None,
                buf: Vec::new(),
                frame_ends: VecDeque::new(),
                backoff: Duration::ZERO,
                next_attempt: Instant::now(),
                connected_once: false,
            }),
            #[cfg(unix)]
            SyslogTransport::Unix(path) => Conn::Unix(UnixDatagram::unbound()?, path.clone()),
        };
        Ok(SyslogWriter {
            header: Header::new(&self),
            cfg: self,
            conn,
            msg: Vec::with_capacity(1024),
            text: String::with_capacity(256),
            sd: Vec::with_capacity(512),
        })
    }
}

impl From<SyslogSink> for SinkSpec {
    /// Opens the sink; a socket that cannot be created turns into a sink whose
    /// every write fails (counted in [`crate::Stats::sink_errors`]).
    fn from(sink: SyslogSink) -> SinkSpec {
        let min_level = sink.min_level;
        let spec = match sink.open() {
            Ok(writer) => SinkSpec::custom(writer, Format::Json),
            Err(e) => SinkSpec::custom(FailedSink(e.to_string()), Format::Json),
        };
        spec.min_level(min_level)
    }
}

struct FailedSink(String);

impl Sink for FailedSink {
    fn write(&mut self, _: &Event<'_>, _: &[u8]) -> io::Result<()> {
        Err(io::Error::other(format!(
            "syslog sink not open: {}",
            self.0
        )))
    }
}

/// The header fields, validated once.
struct Header {
    hostname: String,
    app_name: String,
    procid: String,
    sd_id: String,
}

impl Header {
    fn new(cfg: &SyslogSink) -> Header {
        Header {
            hostname: header_field(&cfg.hostname, 255),
            app_name: header_field(&cfg.app_name, 48),
            procid: header_field(&cfg.procid, 128),
            sd_id: sd_name(&cfg.sd_id),
        }
    }
}

/// An RFC 5424 header field: printable US-ASCII (33..=126), `-` when empty.
fn header_field(s: &str, max: usize) -> String {
    let out: String = s
        .chars()
        .take(max)
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .collect();
    if out.is_empty() { "-".to_string() } else { out }
}

/// An SD-NAME: printable US-ASCII except `=`, space, `]` and `"`, at most 32.
fn sd_name(s: &str) -> String {
    let out: String = s
        .chars()
        .take(32)
        .map(|c| {
            if ('!'..='~').contains(&c) && !matches!(c, '=' | ']' | '"') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() { "_".to_string() } else { out }
}

fn push_sd_name(out: &mut Vec<u8>, s: &str) {
    let start = out.len();
    for c in s.chars().take(32) {
        if ('!'..='~').contains(&c) && !matches!(c, '=' | ']' | '"') {
            out.push(c as u8);
        } else {
            out.push(b'_');
        }
    }
    if out.len() == start {
        out.push(b'_');
    }
}

/// Appends `s` as a PARAM-VALUE: `"`, `\` and `]` escaped with a backslash.
pub fn escape_param_value(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        if matches!(b, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// Severity of a level (RFC 5424 §6.2.1).
pub fn severity(level: Level) -> u8 {
    match level {
        Level::Fatal => 2,
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace | Level::Mute => 7,
    }
}

enum Conn {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpConn),
    #[cfg(unix)]
    Unix(UnixDatagram, PathBuf),
}

struct TcpConn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    /// Framed messages not yet written.
    buf: Vec<u8>,
    /// End offset in `buf` of each frame.
    frame_ends: VecDeque<usize>,
    backoff: Duration,
    next_attempt: Instant,
    connected_once: bool,
}

const TCP_WRITE_THRESHOLD: usize = 64 * 1024;
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

impl TcpConn {
    fn push_frame(&mut self, msg: &[u8], cap: usize, stats: &SyslogStats) {
        let _ = write!(self.buf, "{} ", msg.len());
        self.buf.extend_from_slice(msg);
        self.frame_ends.push_back(self.buf.len());
        if self.buf.len() > cap {
            // Drop the oldest whole frames until the buffer fits again.
            let mut cut = 0;
            let mut dropped = 0;
            while self.buf.len() - cut > cap && self.frame_ends.len() > 1 {
                cut = self.frame_ends.pop_front().expect("len > 1");
                dropped += 1;
            }
            self.consume(cut);
            stats.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
    }

    /// Removes the first `n` bytes (a frame boundary) from the buffer.
    fn consume(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.buf.drain(..n);
        for end in &mut self.frame_ends {
            *end -= n;
        }
    }

    fn connect(&mut self, stats: &SyslogStats) -> io::Result<()> {
        if let Some(stream) = &self.stream {
            if !peer_closed(stream) {
                return Ok(());
            }
            // The receiver closed (restarted, say): writing would appear to
            // succeed into the kernel buffer and the frames would be lost
            // with the RST, so reconnect now, before writing.
            self.stream = None;
        }
        if Instant::now() < self.next_attempt {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "syslog TCP: waiting to reconnect",
            ));
        }
        match TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                stream.set_write_timeout(Some(Duration::from_secs(5)))?;
                if self.connected_once {
                    stats.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                self.connected_once = true;
                self.backoff = Duration::ZERO;
                self.stream = Some(stream);
                Ok(())
            }
            Err(e) => {
                self.fail();
                Err(e)
            }
        }
    }

    fn fail(&mut self) {
        self.stream = None;
        self.backoff = if self.backoff.is_zero() {
            BACKOFF_FIRST
        } else {
            (self.backoff * 2).min(BACKOFF_MAX)
        };
        self.next_attempt = Instant::now() + self.backoff;
    }

    /// Writes the buffer out; on failure keeps every unsent frame whole.
    fn send(&mut self, stats: &SyslogStats) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.connect(stats)?;
        let stream = self.stream.as_mut().expect("connected");
        let mut written = 0;
        let result = loop {
            if written == self.buf.len() {
                break Ok(());
            }
            match stream.write(&self.buf[written..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        // Frames wholly written are done; a frame cut in the middle is sent
        // again whole on the next connection.
        let done = self
            .frame_ends
            .iter()
            .take_while(|&&end| end <= written)
            .count();
        let cut = if done == 0 {
            0
        } else {
            self.frame_ends[done - 1]
        };
        self.frame_ends.drain(..done);
        self.consume(cut);
        stats.sent.fetch_add(done as u64, Ordering::Relaxed);
        if result.is_err() {
            self.fail();
        }
        result
    }
}

/// Whether the peer has closed its end (a pending EOF or error), checked
/// without blocking and without consuming data.
fn peer_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let closed = match stream.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    closed || stream.set_nonblocking(false).is_err()
}

/// The open sink behind [`SyslogSink`].
pub struct SyslogWriter {
    cfg: SyslogSink,
    header: Header,
    conn: Conn,
    msg: Vec<u8>,
    text: String,
    sd: Vec<u8>,
}

impl SyslogWriter {
    /// Renders `event` as an RFC 5424 message (without transport framing)
    /// into the writer's buffer and returns it.
    pub fn render(&mut self, event: &Event<'_>) -> &[u8] {
        let limit = self.cfg.max_message_bytes;
        let pri = (self.cfg.facility as u8) * 8 + severity(event.level());
        self.msg.clear();
        let _ = write!(self.msg, "<{pri}>1 ");
        push_timestamp(&mut self.msg, event.timestamp_nanos());
        let h = &self.header;
        let _ = write!(self.msg, " {} {} {} ", h.hostname, h.app_name, h.procid);
        let action = event.action();
        if action.is_empty() {
            self.msg.push(b'-');
        } else {
            self.msg
                .extend_from_slice(header_field(action, 32).as_bytes());
        }
        self.msg.push(b' ');
        let head_len = self.msg.len();

        self.sd.clear();
        self.sd.push(b'[');
        self.sd.extend_from_slice(self.header.sd_id.as_bytes());
        push_param(
            &mut self.sd,
            &mut self.text,
            "actor",
            Value::Str(event.actor()),
        );
        if let Some(t) = event.target() {
            push_param(&mut self.sd, &mut self.text, "target", t);
        }
        if let Some(c) = event.correlation_id() {
            push_param(&mut self.sd, &mut self.text, "correlation_id", c);
        }
        for (name, value) in event.key_values() {
            push_param(&mut self.sd, &mut self.text, name, value);
        }
        self.sd.push(b']');

        self.text.clear();
        event.write_human(&mut self.text);
        let full = head_len + self.sd.len() + 1 + self.text.len();
        if full <= limit {
            self.msg.extend_from_slice(&self.sd);
            if !self.text.is_empty() {
                self.msg.push(b' ');
                self.msg.extend_from_slice(self.text.as_bytes());
            }
            return &self.msg;
        }
        self.cfg.stats.truncated.fetch_add(1, Ordering::Relaxed);
        let marker = TRUNCATION_MARKER.len() + 1;
        if head_len + self.sd.len() + marker <= limit {
            self.msg.extend_from_slice(&self.sd);
        } else {
            let _ = write!(self.msg, "[{} truncated=\"{full}\"]", self.header.sd_id);
        }
        let room = limit.saturating_sub(self.msg.len() + marker);
        let cut = floor_char_boundary(&self.text, room);
        self.msg.push(b' ');
        self.msg.extend_from_slice(&self.text.as_bytes()[..cut]);
        self.msg.extend_from_slice(TRUNCATION_MARKER.as_bytes());
        // A header longer than the limit (absurd settings) is still cut.
        if self.msg.len() > limit {
            let cut = floor_char_boundary_bytes(&self.msg, limit);
            self.msg.truncate(cut);
        }
        &self.msg
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn floor_char_boundary_bytes(b: &[u8], mut i: usize) -> usize {
    while i > 0 && i < b.len() && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

fn push_param(sd: &mut Vec<u8>, scratch: &mut String, name: &str, value: Value<'_>) {
    sd.push(b' ');
    push_sd_name(sd, name);
    sd.extend_from_slice(b"=\"");
    match value {
        Value::Str(s) | Value::Display(s) | Value::Debug(s) => escape_param_value(sd, s),
        Value::Error(e) => {
            scratch.clear();
            for (i, link) in e.links().enumerate() {
                if i > 0 {
                    scratch.push_str(": ");
                }
                scratch.push_str(link);
            }
            escape_param_value(sd, scratch);
        }
        other => {
            scratch.clear();
            let _ = write!(scratch, "{}", DisplayValue(other));
            escape_param_value(sd, scratch);
        }
    }
    sd.push(b'"');
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 5424 §6.2.3, microseconds, UTC).
fn push_timestamp(out: &mut Vec<u8>, unix_nanos: u64) {
    let secs = unix_nanos / 1_000_000_000;
    let micros = (unix_nanos % 1_000_000_000) / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl Sink for SyslogWriter {
    fn write(&mut self, event: &Event<'_>, _line: &[u8]) -> io::Result<()> {
        self.render(event);
        let stats = &self.cfg.stats;
        match &mut self.conn {
            Conn::Udp(sock, addr) => {
                sock.send_to(&self.msg, *addr)?;
                stats.sent.fetch_add(1, Ordering::Relaxed);
            }
            #[cfg(unix)]
            Conn::Unix(sock, path) => {
                sock.send_to(&self.msg, &*path)?;
                stats.sent.fetch_add(1, Ordering::Relaxed);
            }
            Conn::Tcp(tcp) => {
                tcp.push_frame(&self.msg, self.cfg.tcp_buffer_bytes, stats);
                if tcp.buf.len() >= TCP_WRITE_THRESHOLD {
                    // A failure leaves the frames buffered; the backend
                    // counts the error, the frames go out on reconnect.
                    tcp.send(stats)?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.conn {
            Conn::Tcp(tcp) => tcp.send(&self.cfg.stats),
            _ => Ok(()),
        }
    }
}

impl Drop for SyslogWriter {
    /// The backend flushed already; frames still buffered now (the receiver
    /// is down at shutdown) are lost, so say how many rather than nothing.
    fn drop(&mut self) {
        if let Conn::Tcp(tcp) = &mut self.conn {
            let _ = tcp.send(&self.cfg.stats);
            if !tcp.frame_ends.is_empty() {
                let _ = writeln!(
                    io::stderr(),
                    "narrate: syslog sink to {} closed with {} messages unsent",
                    tcp.addr,
                    tcp.frame_ends.len()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_from_unix_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_791), (2026, 12, 4));
        let mut out = Vec::new();
        push_timestamp(&mut out, 1_796_355_296_123_456_789);
        assert_eq!(out, b"2026-12-04T03:34:56.123456Z");
    }

    #[test]
    fn param_values_escape_quote_backslash_and_bracket() {
        let mut out = Vec::new();
        escape_param_value(&mut out, "a\"b\\c]d\ne");
        assert_eq!(out, b"a\\\"b\\\\c\\]d\ne");
    }

    #[test]
    fn header_fields_outside_the_alphabet_become_underscores() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field(&"x".repeat(60), 48).len(), 48);
        assert_eq!(sd_name("a=b\"c]d e"), "a_b_c_d_e");
    }
}
