//! `narrate stats` reads the metrics this test process serves and prints
//! them; against an address nobody serves it fails with a clear message.

use std::net::TcpListener;
use std::process::Command;

#[test]
fn stats_prints_the_live_counters_and_fails_clearly_without_a_server() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let capture = narrate::Capture::new();
    let _guard = narrate::init(
        narrate::Config::new()
            .sink(&capture)
            .metrics_address(address.clone())
            .panic_hook(false)
            .env_filter(false),
    )
    .unwrap();
    for i in 0..250u32 {
        narrate::info!(actor = "svc", "event {i}");
    }
    narrate::flush();

    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["stats", "--address", &address])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| {
                let (n, v) = l.split_once(char::is_whitespace)?;
                (n == name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    assert_eq!(value("events_written_total"), "250");
    assert_eq!(value("events_sampled_out_total"), "0");
    assert_eq!(value("sink_writes_total{sink=\"custom\"}"), "250");

    let raw = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["stats", "--raw", "--address", &address])
        .output()
        .unwrap();
    let raw = String::from_utf8(raw.stdout).unwrap();
    assert!(raw.contains("# TYPE narrate_events_written_total counter"));
    assert!(raw.contains("narrate_events_written_total 250\n"));

    // A port that was free a moment ago: nobody serves there.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args([
            "stats",
            "--timeout-ms",
            "500",
            "--address",
            &dead.to_string(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read metrics from"), "{err}");
}
