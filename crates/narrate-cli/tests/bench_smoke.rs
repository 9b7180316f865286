//! Smoke test of `narrate bench` in a tiny mode: the run completes, the JSON
//! has the expected shape (latency rows, a 2-thread row, burst rows), and
//! narrate (Block) delivers every event. No timing thresholds: CI machines
//! are shared and noisy.

use std::process::Command;

const LOGGERS: [&str; 5] = ["narrate", "narrate-drop", "tracing", "slog", "ticklog"];

#[test]
fn bench_quick_writes_json_for_every_logger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("out.json");
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args([
            "bench",
            "--quick",
            "--samples",
            "2000",
            "--events",
            "20000",
            "--loggers",
            &LOGGERS.join(","),
            "--scenarios",
            "caller_latency,caller_latency_2t,disabled,throughput",
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("run narrate bench");
    assert!(
        out.status.success(),
        "narrate bench failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("json written");
    let report: serde_json::Value = serde_json::from_str(&text).expect("valid json");
    let results = report["results"].as_array().expect("results array");
    let row = |logger: &str, scenario: &str, threads: u64| {
        results
            .iter()
            .find(|r| r["logger"] == logger && r["scenario"] == scenario && r["threads"] == threads)
            .unwrap_or_else(|| panic!("no row for {logger}/{scenario}/{threads}: {text}"))
    };
    for logger in LOGGERS {
        for (scenario, threads) in [
            ("caller_latency", 1),
            ("caller_latency", 2),
            ("disabled", 1),
        ] {
            let r = row(logger, scenario, threads);
            for key in ["median_ns", "p99_ns", "p999_ns", "max_ns"] {
                let v = r[key].as_f64().unwrap_or(-1.0);
                assert!(v >= 0.0, "{logger}/{scenario}/{threads}: {key} = {v}");
            }
            assert!(r["events_per_s"].is_null(), "{logger}/{scenario}: {r}");
            if scenario == "caller_latency" {
                for key in ["p99_ns", "p999_ns", "max_ns"] {
                    let v = r[key].as_f64().unwrap();
                    assert!(v > 0.0, "{logger}/{scenario}/{threads}: {key} = {v}");
                }
                assert!(r["events_emitted"].as_u64().unwrap() > 0);
            } else {
                assert_eq!(
                    r["events_delivered"], 0,
                    "{logger}: disabled events written"
                );
            }
        }
        let t = row(logger, "throughput", 1);
        assert!(t["events_per_s"].as_f64().unwrap() > 0.0, "{t}");
        assert!(t["median_ns"].is_null(), "{t}");
        assert_eq!(t["events_emitted"], 20000, "{t}");
        assert!(t["events_delivered"].as_u64().unwrap() <= 20000, "{t}");
    }
    for (scenario, threads) in [
        ("caller_latency", 1),
        ("caller_latency", 2),
        ("throughput", 1),
    ] {
        let n = row("narrate", scenario, threads);
        assert_eq!(
            n["events_delivered"], n["events_emitted"],
            "narrate (Block) lost events in {scenario}/{threads}: {n}"
        );
    }
    assert!(report["machine"]["logical_cores"].as_u64().unwrap() >= 1);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("events/s"), "{table}");
}
