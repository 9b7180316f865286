//! A monitor (`SUBSCRIBE`) first receives the kept recent events — the last
//! 10 000, oldest first — then every new event as it arrives.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use narrate_daemon::{Config, Daemon, RECENT_EVENTS, frame};

fn read_lines(s: &mut UnixStream, want: usize) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut payload = Vec::new();
    while out.len() < want {
        let (kind, _) = frame::read(s, &mut payload).unwrap();
        assert_eq!(kind, frame::BATCH);
        for line in payload.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.push(serde_json::from_slice(line).unwrap());
        }
    }
    out
}

#[test]
fn a_monitor_sees_the_last_10000_then_new_events() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("d.sock");
    let mut cfg = Config::new(&socket);
    cfg.file = Some(dir.path().join("out.jsonl"));
    let _d = Daemon::start(cfg).unwrap();

    let mut client = UnixStream::connect(&socket).unwrap();
    let mut send = |from: u64, to: u64, seq: u64| {
        let batch: String = (from..to).map(|n| format!("{{\"n\":{n}}}\n")).collect();
        frame::write(&mut client, frame::BATCH, seq, batch.as_bytes()).unwrap();
        let mut p = Vec::new();
        assert_eq!(frame::read(&mut client, &mut p).unwrap(), (frame::ACK, seq));
    };
    send(0, 6_000, 1);
    send(6_000, 12_000, 2);

    let mut monitor = UnixStream::connect(&socket).unwrap();
    monitor
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    frame::write(&mut monitor, frame::SUBSCRIBE, 1, &[]).unwrap();
    let backlog = read_lines(&mut monitor, RECENT_EVENTS);
    let ns: Vec<u64> = backlog.iter().map(|v| v["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, (2_000..12_000).collect::<Vec<_>>());

    send(12_000, 12_005, 3);
    let live = read_lines(&mut monitor, 5);
    let ns: Vec<u64> = live.iter().map(|v| v["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, (12_000..12_005).collect::<Vec<_>>());
}
