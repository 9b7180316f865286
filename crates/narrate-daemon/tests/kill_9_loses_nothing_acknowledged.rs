//! Real child processes: clients sending through narrate's daemon sink, and
//! the daemon itself, killed with SIGKILL at the worst moments.
//!
//! The children are this test binary run again with `NARRATE_TEST_ROLE` set
//! (the `child_role` test does the role's work and is a no-op otherwise).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use narrate::sinks::DaemonSink;

const ROLE: &str = "NARRATE_TEST_ROLE";

#[test]
fn child_role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let socket = PathBuf::from(std::env::var("NARRATE_TEST_SOCKET").unwrap());
    match role.as_str() {
        "daemon" => {
            let mut cfg = narrate_daemon::Config::new(&socket);
            cfg.file = Some(std::env::var("NARRATE_TEST_FILE").unwrap().into());
            let daemon = narrate_daemon::Daemon::start(cfg).unwrap();
            println!("listening");
            daemon.wait();
        }
        "client" => {
            let count: u64 = std::env::var("NARRATE_TEST_COUNT")
                .unwrap()
                .parse()
                .unwrap();
            let buffer: usize = std::env::var("NARRATE_TEST_BUFFER")
                .unwrap()
                .parse()
                .unwrap();
            let sink = DaemonSink::new(&socket)
                .batch_bytes(4096)
                .buffer_bytes(buffer)
                .shutdown_timeout(Duration::from_secs(5));
            let counters = sink.counters();
            let reporter = counters.clone();
            std::thread::spawn(move || {
                loop {
                    println!("acked {}", reporter.acked_events());
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            let guard = narrate::init(narrate::Config::new().sink(sink).panic_hook(false)).unwrap();
            for seq in 0..count {
                narrate::info!("event {seq}", seq);
                if seq % 200 == 199 {
                    narrate::flush();
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            drop(guard);
            println!(
                "done acked={} dropped={}",
                counters.acked_events(),
                counters.dropped_events()
            );
        }
        other => panic!("unknown role {other}"),
    }
}

fn spawn_role(
    role: &str,
    socket: &Path,
    env: &[(&str, String)],
) -> (Child, BufReader<ChildStdout>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_role", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env("NARRATE_TEST_SOCKET", socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

/// Reads the child's lines until one satisfies `pred`; returns it.
fn wait_line(out: &mut BufReader<ChildStdout>, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    loop {
        assert!(Instant::now() < deadline, "child did not report in time");
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "child ended before reporting");
        // libtest may print "test child_role ... " before the child's first line.
        let l = line.trim();
        let l = l.rsplit_once(" ... ").map_or(l, |(_, rest)| rest);
        if pred(l) {
            return l.to_string();
        }
    }
}

fn acked(line: &str) -> Option<u64> {
    line.strip_prefix("acked ")?.parse().ok()
}

fn spawn_daemon(socket: &Path, file: &Path) -> Child {
    let (child, mut out) = spawn_role(
        "daemon",
        socket,
        &[("NARRATE_TEST_FILE", file.display().to_string())],
    );
    wait_line(&mut out, |l| l == "listening");
    // Keep the pipe open in a thread so the daemon never blocks on stdout.
    std::thread::spawn(move || for _ in out.lines() {});
    child
}

/// Every `seq` in the daemon's file (duplicates collapsed) and the line count.
fn seqs_in(file: &Path) -> (HashSet<u64>, usize) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut seqs = HashSet::new();
    let mut lines = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("whole JSON lines");
        seqs.insert(v["fields"]["seq"].as_u64().unwrap());
        lines += 1;
    }
    (seqs, lines)
}

#[test]
fn a_client_killed_mid_batch_loses_nothing_already_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("d.sock");
    let file = dir.path().join("events.jsonl");
    let mut cfg = narrate_daemon::Config::new(&socket);
    cfg.file = Some(file.clone());
    let daemon = narrate_daemon::Daemon::start(cfg).unwrap();

    let (mut client, mut out) = spawn_role(
        "client",
        &socket,
        &[
            ("NARRATE_TEST_COUNT", u64::MAX.to_string()),
            ("NARRATE_TEST_BUFFER", (16 << 20).to_string()),
        ],
    );
    let line = wait_line(&mut out, |l| acked(l).is_some_and(|n| n >= 3_000));
    let acknowledged = acked(&line).unwrap();
    client.kill().unwrap(); // SIGKILL, while it keeps sending batches
    client.wait().unwrap();
    drop(daemon);

    let (seqs, _) = seqs_in(&file);
    for seq in 0..acknowledged {
        assert!(seqs.contains(&seq), "acknowledged event {seq} missing");
    }
}

fn restart_scenario(buffer: usize, away: Duration) -> (u64, u64, HashSet<u64>) {
    const COUNT: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("d.sock");
    let file = dir.path().join("events.jsonl");
    let mut first = spawn_daemon(&socket, &file);
    let (mut client, mut out) = spawn_role(
        "client",
        &socket,
        &[
            ("NARRATE_TEST_COUNT", COUNT.to_string()),
            ("NARRATE_TEST_BUFFER", buffer.to_string()),
        ],
    );
    wait_line(&mut out, |l| acked(l).is_some_and(|n| n >= 2_000));
    first.kill().unwrap();
    first.wait().unwrap();
    std::thread::sleep(away);
    let mut second = spawn_daemon(&socket, &file);
    let done = wait_line(&mut out, |l| l.starts_with("done "));
    client.wait().unwrap();
    second.kill().unwrap();
    second.wait().unwrap();

    let mut parts = done.split([' ', '=']);
    let acked: u64 = parts.nth(2).unwrap().parse().unwrap();
    let dropped: u64 = parts.nth(1).unwrap().parse().unwrap();
    assert_eq!(
        acked + dropped,
        COUNT,
        "every event is acked or counted as dropped"
    );
    let (seqs, _) = seqs_in(&file);
    assert!(
        seqs.len() as u64 >= acked,
        "{} in file < {acked} acked",
        seqs.len()
    );
    (acked, dropped, seqs)
}

#[test]
fn after_a_daemon_kill_9_and_restart_clients_reconnect_and_lose_nothing_buffered() {
    let (acked, dropped, seqs) = restart_scenario(16 << 20, Duration::from_millis(300));
    assert_eq!(dropped, 0);
    assert_eq!(acked, 20_000);
    assert_eq!(seqs.len(), 20_000, "every event reached the file");
}

#[test]
fn with_a_small_buffer_a_long_outage_drops_are_counted() {
    // 8 KiB of buffer against ~1 s away: the client must drop, and say how many.
    let (acked, dropped, _) = restart_scenario(8 * 1024, Duration::from_millis(1_000));
    assert!(
        dropped > 0,
        "an 8 KiB buffer cannot hold a second of events"
    );
    assert!(acked > 2_000);
}
