//! The TCP syslog sink keeps frames while rsyslog is down and delivers them,
//! whole and in order, once it is back on the same port: none lost, none
//! torn, one reconnect counted.

mod support;

use std::time::{Duration, Instant};

use narrate::sinks::SyslogSink;
use narrate::{Config, Level};
use support::rsyslog::Rsyslog;

fn seqs(r: &Rsyslog) -> Vec<u64> {
    r.lines()
        .iter()
        .map(|l| support::rsyslog::parse(l))
        .filter_map(|m| m.param("narrate@32473", "seq").map(|s| s.parse().unwrap()))
        .collect()
}

#[test]
fn syslog_tcp_reconnects_after_rsyslog_restarts() {
    let dir1 = tempfile::tempdir().unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let mut first = Rsyslog::start(dir1.path());
    let (udp_port, tcp_port) = (first.udp.port(), first.tcp.port());
    let sink = SyslogSink::tcp(first.tcp).app_name("reconnect");
    let stats = sink.stats();
    let _guard = narrate::init(Config::new().level(Level::Info).sink(sink)).unwrap();

    for seq in 0..10u64 {
        narrate::info!(action = "tick", seq, "before");
    }
    narrate::flush();
    first.wait_for("10 messages", |m| m.len() >= 10);
    first.stop();

    // Down: these stay in the sink's buffer (the flushes fail and are counted).
    for seq in 10..20u64 {
        narrate::info!(action = "tick", seq, "while down");
    }
    narrate::flush();

    let second = Rsyslog::start_on(dir2.path(), udp_port, tcp_port);
    for seq in 20..30u64 {
        narrate::info!(action = "tick", seq, "after");
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while seqs(&second).len() < 20 {
        assert!(
            Instant::now() < deadline,
            "second rsyslog got {:?}",
            seqs(&second)
        );
        narrate::flush();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seqs(&first), (0..10).collect::<Vec<_>>());
    assert_eq!(seqs(&second), (10..30).collect::<Vec<_>>());
    assert_eq!(stats.reconnects(), 1);
    assert_eq!(stats.dropped(), 0);
    assert_eq!(stats.sent(), 30);
}
