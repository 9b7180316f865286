//! Bad input on the daemon's socket: garbage, oversize frames, a client that
//! stops mid-frame, silent clients, 1 000 idle connections, a flooding
//! client. None crashes the daemon or keeps a well-behaved client from
//! getting its batch written and acknowledged.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use narrate_daemon::{Config, Daemon, frame};

fn start(dir: &Path) -> Daemon {
    let mut cfg = Config::new(dir.join("d.sock"));
    cfg.file = Some(dir.join("out.jsonl"));
    Daemon::start(cfg).unwrap()
}

fn connect(dir: &Path) -> UnixStream {
    let s = UnixStream::connect(dir.join("d.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends one batch and returns the answer's (kind, seq, payload).
fn send_batch(s: &mut UnixStream, seq: u64, lines: &[u8]) -> (u8, u64, Vec<u8>) {
    frame::write(s, frame::BATCH, seq, lines).unwrap();
    let mut payload = Vec::new();
    let (kind, seq) = frame::read(s, &mut payload).unwrap();
    (kind, seq, payload)
}

/// A well-behaved client still gets its batch acknowledged and written.
fn good_client_is_served(dir: &Path, tag: &str) {
    let mut s = connect(dir);
    let line = format!("{{\"msg\":\"{tag}\"}}\n");
    assert_eq!(send_batch(&mut s, 7, line.as_bytes()).0, frame::ACK);
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    assert!(text.contains(&line), "{tag} written before its ack");
}

fn refusal(s: &mut UnixStream) -> String {
    let mut payload = Vec::new();
    let (kind, _) = frame::read(s, &mut payload).unwrap();
    assert_eq!(kind, frame::ERROR);
    // And then the daemon closes the connection (a reset when our unread
    // bytes were still in its buffer).
    assert!(matches!(
        frame::read(s, &mut payload),
        Err(frame::ReadError::Closed | frame::ReadError::Io(_))
    ));
    String::from_utf8(payload).unwrap()
}

#[test]
fn the_socket_is_private_to_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let _d = start(dir.path());
    let mode = std::fs::metadata(dir.path().join("d.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn garbage_oversize_and_wrong_version_get_a_reason_and_a_close() {
    let dir = tempfile::tempdir().unwrap();
    let d = start(dir.path());

    let mut s = connect(dir.path());
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(refusal(&mut s).contains("outside"));

    let mut s = connect(dir.path());
    s.write_all(&u32::MAX.to_le_bytes()).unwrap();
    assert!(refusal(&mut s).contains("4294967295"));

    let mut s = connect(dir.path());
    let mut bytes = Vec::new();
    frame::encode(&mut bytes, frame::BATCH, 1, b"{}\n");
    bytes[4] = 9; // version
    s.write_all(&bytes).unwrap();
    assert!(refusal(&mut s).contains("version 9"));

    let mut s = connect(dir.path());
    frame::write(&mut s, 200, 1, b"").unwrap();
    assert!(refusal(&mut s).contains("unknown frame kind 200"));

    assert_eq!(d.metrics().bad_frames.load(Ordering::Relaxed), 4);
    good_client_is_served(dir.path(), "after garbage");
}

#[test]
fn lines_that_are_not_json_are_kept_wrapped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = start(dir.path());
    let mut s = connect(dir.path());
    let batch = b"{\"ok\":1}\nnot json \xff\x01\n{\"ok\":2}\n";
    assert_eq!(send_batch(&mut s, 1, batch).0, frame::ACK);
    let text = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["raw"], "not json \u{fffd}\u{1}");
    assert_eq!(d.metrics().undecodable_lines.load(Ordering::Relaxed), 1);
    assert_eq!(d.metrics().events.load(Ordering::Relaxed), 3);
}

#[test]
fn a_client_that_stops_mid_frame_is_counted_and_written_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = start(dir.path());
    let mut s = connect(dir.path());
    let mut bytes = Vec::new();
    frame::encode(&mut bytes, frame::BATCH, 1, b"{\"half\":true}\n");
    s.write_all(&bytes[..bytes.len() - 5]).unwrap();
    drop(s);
    good_client_is_served(dir.path(), "after the cut frame");
    // The truncated frame is noticed when its connection closes.
    for _ in 0..200 {
        if d.metrics().truncated_frames.load(Ordering::Relaxed) == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(d.metrics().truncated_frames.load(Ordering::Relaxed), 1);
    let text = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert!(!text.contains("half"));
}

#[test]
fn a_thousand_silent_connections_do_not_stall_a_working_client() {
    let dir = tempfile::tempdir().unwrap();
    let d = start(dir.path());
    let idle: Vec<UnixStream> = (0..1_000).map(|_| connect(dir.path())).collect();
    // One more that sends half a length prefix and then nothing.
    let mut half = connect(dir.path());
    half.write_all(&[3, 0]).unwrap();
    good_client_is_served(dir.path(), "beside 1001 silent ones");
    let open = d.metrics().connections_open.load(Ordering::Relaxed);
    assert!(open >= 1_001, "{open} open");
    let metrics = narrate_daemon::query_metrics(&dir.path().join("d.sock")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&metrics).unwrap();
    let me = std::process::id() as i64;
    let peers = v["peers"].as_array().unwrap();
    assert!(peers.len() >= 1_001);
    assert!(
        peers.iter().all(|p| p["pid"].as_i64() == Some(me)),
        "SO_PEERCRED pid"
    );
    drop(idle);
    drop(half);
}

#[test]
fn a_flooding_client_does_not_stall_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let d = start(dir.path());
    let mut s = connect(dir.path());
    let control = s.try_clone().unwrap();
    let flooder = std::thread::spawn(move || {
        // Sends without ever reading its acks: the daemon's writes of acks
        // block on this connection alone, and then the kernel blocks us.
        let batch = "{\"flood\":true}\n".repeat(4_000);
        let mut seq = 0;
        while frame::write(&mut s, frame::BATCH, seq, batch.as_bytes()).is_ok() {
            seq += 1;
        }
        seq
    });
    std::thread::sleep(Duration::from_millis(100));
    for i in 0..20 {
        good_client_is_served(dir.path(), &format!("served during the flood {i}"));
    }
    control.shutdown(std::net::Shutdown::Both).unwrap();
    let flooded = flooder.join().unwrap();
    assert!(flooded > 0, "the flooder got frames through");
    assert!(d.metrics().batches.load(Ordering::Relaxed) >= 21);
    assert_eq!(d.metrics().bad_frames.load(Ordering::Relaxed), 0);
}
