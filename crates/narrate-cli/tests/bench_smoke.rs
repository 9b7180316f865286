//! Smoke test of `narrate bench` in a tiny mode: the run completes, the JSON
//! has the expected shape, and narrate delivers every event. No timing
//! thresholds: CI machines are shared and noisy.

use std::process::Command;

#[test]
fn bench_quick_writes_json_for_every_logger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("out.json");
    let out = Command::new(env!("CARGO_BIN_EXE_narrate"))
        .args(["bench", "--quick", "--samples", "2000", "--json"])
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
    for scenario in ["caller_latency", "disabled"] {
        for logger in ["narrate", "narrate-drop", "tracing", "log"] {
            let row = results
                .iter()
                .find(|r| r["logger"] == logger && r["scenario"] == scenario)
                .unwrap_or_else(|| panic!("no row for {logger}/{scenario}: {text}"));
            assert_eq!(row["threads"], 1);
            for key in ["median_ns", "p99_ns", "p999_ns", "max_ns"] {
                let v = row[key].as_f64().unwrap_or(-1.0);
                assert!(v >= 0.0, "{logger}/{scenario}: {key} = {v}");
            }
            if scenario == "caller_latency" {
                for key in ["median_ns", "p99_ns", "p999_ns", "max_ns"] {
                    let v = row[key].as_f64().unwrap();
                    assert!(v > 0.0, "{logger}/{scenario}: {key} = {v}");
                }
                assert!(row["events_emitted"].as_u64().unwrap() > 0);
            } else {
                assert_eq!(
                    row["events_delivered"], 0,
                    "{logger}: disabled events written"
                );
            }
        }
    }
    let narrate = results
        .iter()
        .find(|r| r["logger"] == "narrate" && r["scenario"] == "caller_latency")
        .unwrap();
    assert_eq!(
        narrate["events_delivered"], narrate["events_emitted"],
        "narrate (Block) lost events: {narrate}"
    );
    assert!(report["machine"]["logical_cores"].as_u64().unwrap() >= 1);
}
