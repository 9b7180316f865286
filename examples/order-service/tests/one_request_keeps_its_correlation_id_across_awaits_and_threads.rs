//! Starts the example service as a real process, sends concurrent requests
//! over TCP, and checks its JSON log: the events of one request — from
//! narrate and `tracing` macros, before and after `.await`s, in a spawned
//! task and on a blocking thread — carry that request's correlation id,
//! trace id and `request` span, and no other request's.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: test\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn events_of_one_request_share_its_correlation_id_and_span() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("service.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_narrate-example-service"))
        .env("NARRATE_EXAMPLE_LOG", &log)
        .env("NARRATE_EXAMPLE_ADDR", "127.0.0.1:0")
        .env_remove("NARRATE_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    // Eight concurrent requests, each with its own id; one with an invalid id.
    let ids: Vec<String> = (0..8).map(|i| format!("req-{i}")).collect();
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    std::thread::scope(|t| {
        for (i, id) in ids.iter().enumerate() {
            let addr = &addr;
            t.spawn(move || {
                let resp = get(
                    addr,
                    &format!("/orders/{}", 100 + i),
                    &[("X-Correlation-Id", id), ("traceparent", tp)],
                );
                assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
                assert!(
                    resp.contains(&format!("X-Correlation-Id: {id}\r\n")),
                    "{resp}"
                );
                assert!(
                    resp.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                    "{resp}"
                );
            });
        }
    });
    let bad = get(&addr, "/orders/5", &[("X-Correlation-Id", "bad id\u{7f}")]);
    assert!(bad.starts_with("HTTP/1.1 200"));
    get(&addr, "/shutdown", &[]);
    assert!(child.wait().unwrap().success());

    let text = std::fs::read_to_string(&log).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut by_id: HashMap<String, Vec<&serde_json::Value>> = HashMap::new();
    for e in &events {
        if let Some(id) = e["correlation_id"].as_str() {
            by_id.entry(id.to_string()).or_default().push(e);
        }
    }
    for (i, id) in ids.iter().enumerate() {
        let evs = &by_id[id];
        let humans: Vec<&str> = evs.iter().map(|e| e["human"].as_str().unwrap()).collect();
        let order = format!("/orders/{}", 100 + i);
        // narrate before the awaits, tracing in the spawned task (before and
        // after its sleep), narrate on the blocking thread, narrate after.
        assert_eq!(
            humans,
            [
                format!("GET {order}").as_str(),
                "checking stock",
                "stock checked",
                "priced on a blocking thread",
                evs[4]["human"].as_str().unwrap(),
            ],
            "{id}"
        );
        assert!(humans[4].starts_with(&format!("order {}: ", 100 + i)));
        for e in evs {
            assert_eq!(e["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736", "{e}");
            assert_eq!(e["spans"][0]["name"], "request", "{e}");
            assert_eq!(e["spans"][0]["fields"]["path"], order.as_str(), "{e}");
            assert_eq!(e["spans"][0]["fields"]["method"], "GET");
        }
        let tracing_event = evs.iter().find(|e| e["human"] == "stock checked").unwrap();
        assert_eq!(
            tracing_event["fields"]["stock"],
            (100 + i as u64) % 7 + 1,
            "typed through the layer"
        );
        let threads: HashSet<&str> = evs.iter().map(|e| e["thread"].as_str().unwrap()).collect();
        assert!(threads.len() >= 2, "{id}: events on {threads:?}");
    }
    // The invalid id was replaced and its events say so.
    let replaced: Vec<&&serde_json::Value> = by_id
        .values()
        .flatten()
        .filter(|e| e["correlation_id_replaced"] == true)
        .collect();
    assert_eq!(replaced.len(), 5, "{replaced:?}");
    let new_id = replaced[0]["correlation_id"].as_str().unwrap();
    assert_eq!(new_id.len(), 36);
    assert!(replaced.iter().all(|e| e["correlation_id"] == new_id));
}
