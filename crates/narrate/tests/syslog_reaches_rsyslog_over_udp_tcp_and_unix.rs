//! The syslog sink against a real rsyslogd on loopback: the same events sent
//! over UDP, TCP (octet counting) and the Unix socket arrive with the right
//! severity, facility, app-name, msgid, structured data (including values
//! with `]`, `"`, `\` and newlines) and text; a message over the UDP limit
//! arrives once, truncated with the marker.

mod support;

use narrate::sinks::{Facility, SyslogSink};
use narrate::{Config, Level};
use support::rsyslog::Rsyslog;

const SD: &str = "narrate@32473";
const NASTY: &str = "a]b\"c\\d\ne";

#[test]
fn syslog_reaches_rsyslog_over_udp_tcp_and_unix() {
    let dir = tempfile::tempdir().unwrap();
    let rsyslog = Rsyslog::start(dir.path());

    let udp = SyslogSink::udp(rsyslog.udp)
        .app_name("via-udp")
        .facility(Facility::Local3)
        .hostname("narrate-test");
    let udp_stats = udp.stats();
    let tcp = SyslogSink::tcp(rsyslog.tcp)
        .app_name("via-tcp")
        .facility(Facility::Local3)
        .hostname("narrate-test");
    let unix = SyslogSink::unix(&rsyslog.unix)
        .app_name("via-unix")
        .facility(Facility::Local3)
        .hostname("narrate-test");
    let guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .sink(udp)
            .sink(tcp)
            .sink(unix),
    )
    .unwrap();

    let order_id = 42u64;
    narrate::info!(
        action = "ship",
        target = order_id,
        "Order {order_id} shipped to {city}",
        city = "Lyon",
        weight_kg = 1.5,
        note = NASTY,
    );
    narrate::warn!(action = "retry", attempt = 3u64, "retrying");
    narrate::error!("no action here");
    narrate::debug!(action = "probe", ok = true, "probe ran");
    // 3000 bytes, twice (text and the `huge` SD param): over UDP's 2048, under 8192.
    let huge = "x".repeat(3000);
    narrate::info!(action = "huge", "{huge}");
    narrate::flush();

    let apps = ["via-udp", "via-tcp", "via-unix"];
    let msgs = rsyslog.wait_for("5 messages per transport", |m| {
        apps.iter()
            .all(|app| m.iter().filter(|x| x.app_name == *app).count() >= 5)
    });
    drop(guard);

    for app in apps {
        let mine: Vec<_> = msgs.iter().filter(|m| m.app_name == app).collect();
        assert_eq!(mine.len(), 5, "{app}: exactly 5 messages, none split");
        for m in &mine {
            assert_eq!(m.facility(), 19, "{app}: local3");
            assert_eq!(m.hostname, "narrate-test");
            assert_eq!(m.procid, std::process::id().to_string());
            assert!(
                m.timestamp.ends_with('Z') && m.timestamp.len() == 27,
                "{m:?}"
            );
        }
        let ship = mine.iter().find(|m| m.msgid == "ship").expect("ship");
        assert_eq!(ship.severity(), 6);
        assert_eq!(ship.msg, "Order 42 shipped to Lyon");
        assert_eq!(ship.param(SD, "target"), Some("42"));
        assert_eq!(ship.param(SD, "city"), Some("Lyon"));
        assert_eq!(ship.param(SD, "weight_kg"), Some("1.5"));
        assert_eq!(
            ship.param(SD, "actor"),
            Some("syslog_reaches_rsyslog_over_udp_tcp_and_unix")
        );
        // rsyslog escapes control characters on receipt (its default
        // EscapeControlCharactersOnReceive): the newline arrives as `#012`;
        // `]`, `"` and `\` arrive intact after RFC 5424 unescaping.
        assert_eq!(ship.param(SD, "note"), Some("a]b\"c\\d#012e"));

        let retry = mine.iter().find(|m| m.msgid == "retry").expect("retry");
        assert_eq!(retry.severity(), 4);
        assert_eq!(retry.param(SD, "attempt"), Some("3"));
        assert_eq!(retry.msg, "retrying");

        let err = mine
            .iter()
            .find(|m| m.msg == "no action here")
            .expect("error");
        assert_eq!(err.msgid, "-");
        assert_eq!(err.severity(), 3);

        let probe = mine.iter().find(|m| m.msgid == "probe").expect("probe");
        assert_eq!(probe.severity(), 7);
        assert_eq!(probe.param(SD, "ok"), Some("true"));

        let huge = mine.iter().find(|m| m.msgid == "huge").expect("huge");
        if app == "via-udp" {
            assert!(
                huge.msg
                    .ends_with(narrate::sinks::syslog::TRUNCATION_MARKER)
            );
            assert!(huge.msg.len() < 2048, "{}", huge.msg.len());
            assert!(huge.msg.starts_with("xxx"));
        } else {
            assert!(
                huge.msg == "x".repeat(3000),
                "{app}: 8192 bytes hold it whole"
            );
            assert_eq!(huge.param(SD, "huge").map(str::len), Some(3000));
        }
    }
    assert_eq!(udp_stats.sent(), 5);
    assert_eq!(udp_stats.truncated(), 1);
}
