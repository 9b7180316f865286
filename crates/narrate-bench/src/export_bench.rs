//! `otlp_export` and `syslog_tcp`: narrate's network sinks, end to end, to a
//! receiver on loopback in the same child process.
//!
//! Both are burst scenarios for the `narrate` logger only: `--events` info
//! events (the same call as `throughput`) on one thread, then shutdown; the
//! rate is events per second from the first call until the receiver has
//! acknowledged (OTLP: answered 200 for) or read (syslog: parsed the frame
//! of) every event. The receivers are minimal and count exactly:
//!
//! * OTLP: an HTTP/1.1 server that reads each `POST /v1/logs`, decodes the
//!   `ExportLogsServiceRequest` with narrate-otlp's prost types to count the
//!   records, and answers 200 with an empty response. It stands for a
//!   collector with free CPU; rotel and real collectors are slower, so this
//!   measures narrate's exporter (mapping, encoding, HTTP), not a collector.
//! * Syslog: a TCP listener that splits RFC 6587 octet-counted frames.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use narrate::sinks::SyslogSink;
use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use prost::Message as _;

use crate::child::calls;
use crate::{ChildArgs, Row, Scenario};

/// Runs `args.scenario` if it is one of these; `None` otherwise.
pub(crate) fn run_child(args: &ChildArgs) -> Option<Result<Row, String>> {
    match args.scenario {
        Scenario::OtlpExport => Some(otlp(args.events)),
        Scenario::SyslogTcp => Some(syslog(args.events)),
        _ => None,
    }
}

/// What a receiver has counted so far.
#[derive(Default)]
struct Received {
    events: AtomicU64,
    bytes: AtomicU64,
}

fn otlp(events: u64) -> Result<Row, String> {
    let (addr, received, _rx) = otlp_receiver()?;
    let otlp = OtlpExporter::new(&format!("http://{addr}"))
        .service_name("narrate-bench")
        .max_batch(2048)
        .queue_capacity(events as usize)
        .shutdown_timeout(Duration::from_secs(300))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Info).sink(otlp))
        .map_err(|e| format!("narrate init: {e}"))?;
    let start = Instant::now();
    for i in 0..events {
        calls::narrate_info(i);
    }
    let last_call = Instant::now();
    drop(guard);
    let report = handle.shutdown_report().ok_or("no shutdown report")?;
    wait_for(&received, report.stats.sent)?;
    let end = Instant::now();
    let lost = report.stats.dropped_queue_full + report.stats.failed + report.unsent;
    Ok(row(
        Scenario::OtlpExport,
        events,
        &received,
        lost,
        start,
        last_call,
        end,
    ))
}

fn syslog(events: u64) -> Result<Row, String> {
    let (addr, received, _rx) = syslog_receiver()?;
    let sink = SyslogSink::tcp(addr)
        .app_name("narrate-bench")
        .tcp_buffer_bytes(1 << 30);
    let stats = sink.stats();
    let guard = narrate::init(Config::new().level(Level::Info).sink(sink))
        .map_err(|e| format!("narrate init: {e}"))?;
    let start = Instant::now();
    for i in 0..events {
        calls::narrate_info(i);
    }
    let last_call = Instant::now();
    drop(guard);
    wait_for(&received, stats.sent())?;
    let end = Instant::now();
    Ok(row(
        Scenario::SyslogTcp,
        events,
        &received,
        stats.dropped(),
        start,
        last_call,
        end,
    ))
}

fn wait_for(received: &Received, n: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.events.load(Ordering::Acquire) < n {
        if Instant::now() > deadline {
            return Err(format!(
                "receiver counted {} of {n}",
                received.events.load(Ordering::Acquire)
            ));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

fn row(
    scenario: Scenario,
    events: u64,
    received: &Received,
    lost: u64,
    start: Instant,
    last_call: Instant,
    end: Instant,
) -> Row {
    let secs = (end - start).as_secs_f64();
    let delivered = received.events.load(Ordering::Acquire);
    Row {
        logger: "narrate".into(),
        scenario: scenario.row_name().into(),
        threads: 1,
        events_per_s: Some(events as f64 / secs),
        delivered_per_s: Some(delivered as f64 / secs),
        total_ms: Some(secs * 1e3),
        ns_per_event: Some(secs * 1e9 / events as f64),
        events_emitted: events,
        events_delivered: delivered,
        output_bytes: received.bytes.load(Ordering::Acquire),
        dropped_reported: Some(lost),
        drain_ms: (end - last_call).as_secs_f64() * 1e3,
        calls: events,
        ..Row::default()
    }
}

fn otlp_receiver() -> Result<(SocketAddr, Arc<Received>, JoinHandle<()>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let received = Arc::new(Received::default());
    let counts = received.clone();
    let join = std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut w = conn.try_clone().expect("clone a TCP stream");
                let mut r = BufReader::new(conn);
                let mut body = Vec::new();
                loop {
                    let mut len = None;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            len = v.trim().parse::<usize>().ok();
                        }
                    }
                    body.resize(len.unwrap_or(0), 0);
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    let records = narrate_otlp::proto::ExportLogsServiceRequest::decode(&body[..])
                        .map(|req| {
                            req.resource_logs
                                .iter()
                                .flat_map(|rl| &rl.scope_logs)
                                .map(|sl| sl.log_records.len() as u64)
                                .sum::<u64>()
                        })
                        .unwrap_or(0);
                    counts.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                    let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
                    if w.write_all(answer).is_err() {
                        return;
                    }
                    counts.events.fetch_add(records, Ordering::Release);
                }
            });
        }
    });
    Ok((addr, received, join))
}

fn syslog_receiver() -> Result<(SocketAddr, Arc<Received>, JoinHandle<()>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let received = Arc::new(Received::default());
    let counts = received.clone();
    let join = std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::with_capacity(1 << 16, conn);
                let mut frame = Vec::new();
                loop {
                    let mut len = Vec::new();
                    if r.read_until(b' ', &mut len).unwrap_or(0) == 0 {
                        return;
                    }
                    let Some(n) = std::str::from_utf8(&len[..len.len() - 1])
                        .ok()
                        .and_then(|s| s.parse::<usize>().ok())
                    else {
                        return;
                    };
                    frame.resize(n, 0);
                    if r.read_exact(&mut frame).is_err() {
                        return;
                    }
                    counts.bytes.fetch_add(n as u64, Ordering::Relaxed);
                    counts.events.fetch_add(1, Ordering::Release);
                }
            });
        }
    });
    Ok((addr, received, join))
}
