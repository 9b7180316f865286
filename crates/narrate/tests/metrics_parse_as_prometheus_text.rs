//! `narrate::metrics()` counts what happened, and its Prometheus text
//! exposition, served on a local address, parses with the official Python
//! client's parser (`prometheus_client`, installed by
//! `scripts/install-prometheus-client.sh`) to the same values. A metrics
//! address already in use is an init error, not a panic.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use narrate::sampling::{Sampler, Sampling};
use narrate::{Config, FileSink, InitError, Level};

const PARSER: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

fn install_parser() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-prometheus-client.sh");
    let status = Command::new("bash").arg(script).status().unwrap();
    assert!(status.success(), "installing prometheus_client failed");
}

fn parse(text: &str) -> Vec<serde_json::Value> {
    let mut child = Command::new("python3")
        .args(["-c", PARSER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "parser rejected the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn metrics_snapshot_and_prometheus_text_agree_and_parse() {
    install_parser();
    let dir = tempfile::tempdir().unwrap();
    // A quote and a backslash in the sink's label value must be escaped.
    let path = dir.path().join("we\"ird\\name.jsonl");

    // An address in use: init fails with a clear error and starts nothing.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    match narrate::init(Config::new().metrics_address(taken_addr.clone())) {
        Err(InitError::Metrics { address, source }) => {
            assert_eq!(address, taken_addr);
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("expected a metrics address error, got {other:?}"),
    }

    let address = format!("127.0.0.1:{}", free_port());
    let _guard = narrate::init(
        Config::new()
            .level(Level::Info)
            .sink(FileSink::new(&path))
            .sampling(
                Sampling::new()
                    .everything(
                        Sampler::first_then_every(5, 10, Duration::from_secs(3600)).unwrap(),
                    )
                    .report_interval(Duration::from_secs(3600)),
            )
            .metrics_address(address.clone())
            .panic_hook(false)
            .env_filter(false),
    )
    .unwrap();

    narrate::error!(actor = "svc", "one from the test thread");
    let threads: Vec<_> = (0..2)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("metrics-worker-{t}"))
                .spawn(move || {
                    for i in 0..5_000u32 {
                        narrate::info!(actor = "svc", "request {i} on {t}");
                        narrate::error!(actor = "svc", "failure {i} on {t}");
                    }
                    narrate::flush();
                    narrate::metrics()
                        .threads
                        .iter()
                        .any(|th| th.thread == format!("metrics-worker-{t}"))
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap(), "a live thread is listed with its ring");
    }
    narrate::flush();

    let m = narrate::metrics();
    // Info: 5 first, then every 10th of the other 9 995 (1 000 kept); errors all kept.
    let kept_info = 5 + 9_995u64.div_ceil(10);
    assert_eq!(m.sampled_out, 10_000 - kept_info);
    assert_eq!(m.events_written, 10_000 + kept_info + 1);
    assert_eq!(m.events_in, m.events_written);
    assert_eq!(m.dropped_ring_full + m.dropped_after_shutdown, 0);
    assert!(m.ring_high_water_bytes > 0);
    let file = m
        .sinks
        .iter()
        .find(|s| s.sink.starts_with("file:"))
        .unwrap();
    assert_eq!(file.writes, m.events_written);
    assert_eq!(file.bytes, std::fs::metadata(&path).unwrap().len());
    let timed = m.events_in / narrate::metrics::TIMING_PERIOD;
    assert_eq!(m.stages[0].timed_events, timed);
    assert_eq!(file.timed_writes, timed);
    assert!(m.stages.iter().all(|s| s.seconds > 0.0));

    let text = narrate::metrics::fetch(&address, Duration::from_secs(5)).unwrap();
    let samples = parse(&text);
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|s| {
                s["name"] == name
                    && labels
                        .iter()
                        .all(|(k, v)| s["labels"][*k].as_str() == Some(*v))
            })
            .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))["value"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(
        value("narrate_events_sampled_out_total", &[]),
        m.sampled_out as f64
    );
    assert_eq!(
        value("narrate_events_written_total", &[]),
        m.events_written as f64
    );
    assert_eq!(
        value("narrate_events_dropped_total", &[("reason", "ring_full")]),
        0.0
    );
    let sink_label = format!("file:{}", path.display());
    assert_eq!(
        value("narrate_sink_bytes_total", &[("sink", &sink_label)]),
        file.bytes as f64
    );
    assert_eq!(
        value("narrate_stage_seconds_count", &[("stage", "format")]),
        timed as f64
    );
    // The workers have exited (their lanes are retired); this thread's
    // lane is live and listed under its name.
    let me = std::thread::current().name().unwrap().to_string();
    assert!(
        value("narrate_thread_ring_high_water_bytes", &[("thread", &me)]) > 0.0,
        "{text}"
    );
    // Every family has a type the parser understood.
    let types: HashMap<&str, &str> = samples
        .iter()
        .map(|s| (s["family"].as_str().unwrap(), s["type"].as_str().unwrap()))
        .collect();
    assert_eq!(types["narrate_events_in"], "counter");
    assert_eq!(types["narrate_stage_seconds"], "summary");
    assert_eq!(types["narrate_backend_lag_seconds"], "gauge");
}
