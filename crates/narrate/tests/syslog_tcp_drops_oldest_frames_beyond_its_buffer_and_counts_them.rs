//! The TCP syslog sink with nothing listening: frames wait in its buffer up
//! to `tcp_buffer_bytes`; beyond that the oldest whole frames are dropped and
//! counted, and once rsyslog listens the kept (newest) frames arrive whole.

mod support;

use std::time::{Duration, Instant};

use narrate::sinks::SyslogSink;
use narrate::{Config, Level};
use support::rsyslog::{Rsyslog, free_tcp_port, free_udp_port};

#[test]
fn syslog_tcp_drops_oldest_frames_beyond_its_buffer_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let (udp_port, tcp_port) = (free_udp_port(), free_tcp_port());
    let sink = SyslogSink::tcp(format!("127.0.0.1:{tcp_port}").parse().unwrap())
        .app_name("bounded")
        .hostname("h")
        .procid("1")
        .tcp_buffer_bytes(4096);
    let stats = sink.stats();
    let _guard = narrate::init(Config::new().level(Level::Info).sink(sink)).unwrap();

    // Each frame is about 100 bytes: 200 of them cannot all wait in 4 KiB.
    for seq in 0..200u64 {
        narrate::info!(action = "tick", seq, "queued while down");
    }
    narrate::flush();
    let dropped = stats.dropped();
    assert!(dropped > 150 && dropped < 200, "dropped {dropped}");
    assert_eq!(stats.sent(), 0);

    let rsyslog = Rsyslog::start_on(dir.path(), udp_port, tcp_port);
    let kept = 200 - dropped;
    let deadline = Instant::now() + Duration::from_secs(15);
    while (stats.sent()) < kept {
        assert!(Instant::now() < deadline, "sent {} of {kept}", stats.sent());
        narrate::flush();
        std::thread::sleep(Duration::from_millis(50));
    }
    let msgs = rsyslog.wait_for("the kept frames", |m| m.len() as u64 >= kept);
    let seqs: Vec<u64> = msgs
        .iter()
        .map(|m| m.param("narrate@32473", "seq").unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (dropped..200).collect::<Vec<_>>(),
        "the newest, in order"
    );
}
