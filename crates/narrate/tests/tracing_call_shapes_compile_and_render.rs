//! A corpus of `tracing` call shapes, as they are written in real code
//! (tokio, axum, reqwest, sqlx, the tracing docs and examples), compiled
//! against narrate with only the import changed, and their rendered output
//! checked: human text, typed fields, JSON, spans.

use std::sync::{Mutex, OnceLock};

use narrate::{Capture, CapturedEvent, Config, Level};
// The only line that differs from the `tracing` version of this file:
// `use tracing::{debug, error, event, info, info_span, span, trace, warn, debug_span, Instrument};`
use narrate::{Instrument, debug, debug_span, error, event, info, info_span, span, trace, warn};

fn capture() -> (std::sync::MutexGuard<'static, ()>, &'static Capture) {
    static SETUP: OnceLock<(Capture, narrate::Guard)> = OnceLock::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    let lock = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (capture, _) = SETUP.get_or_init(|| {
        let capture = Capture::new();
        let guard = narrate::init(
            Config::new()
                .level(Level::Trace)
                .sink(&capture)
                .env_filter(false),
        )
        .unwrap();
        (capture, guard)
    });
    narrate::flush();
    capture.clear();
    (lock, capture)
}

fn flushed(capture: &Capture) -> Vec<CapturedEvent> {
    narrate::flush();
    capture.events()
}

fn json(e: &CapturedEvent) -> serde_json::Value {
    serde_json::from_str(&e.json).unwrap_or_else(|err| panic!("{err}: {}", e.json))
}

#[derive(Debug)]
struct User {
    id: u64,
    name: &'static str,
}

struct Addr(&'static str);
impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "addr:{}", self.0)
    }
}

#[derive(Debug)]
enum State {
    Ready,
}

#[test]
fn event_shapes_render_like_tracing() {
    let (_lock, capture) = capture();
    let name = "ferris";
    let u = User { id: 7, name: "bob" };
    let addr = Addr("10.0.0.1:80");
    let count = 3usize;
    let elapsed = 1.23456f64;
    let status = 404u16;
    let err = std::io::Error::other("connection reset");
    let path = "/api/orders";
    let bytes_read: u64 = 1024;
    let state = State::Ready;
    let user = &u;
    let id = 255u32;

    // Each (shape, expected human text). The shapes are `tracing`'s.
    info!("hello {}", name); // 1
    info!("{:?}", u); // 2
    info!(target: "foo", "hello"); // 3
    info!(?u, "msg"); // 4
    info!(%name, "msg"); // 5
    info!(user.id = 5, "msg"); // 6
    info!("listening on {}", addr); // 7
    debug!("read {} bytes in {:.2} ms", bytes_read, elapsed); // 8
    warn!(status, path, "request failed"); // 9
    error!(error = %err, "request failed"); // 10
    error!(?err, "io error"); // 11
    info!(count, "processed items"); // 12
    trace!("state is {:?}", state); // 13
    info!("{:>8}|", status); // 14
    info!("{id:#x}"); // 15
    info!("{:<6}|{:^7}|{:>5}", "ab", "mid", 42); // 16
    info!("{0} and {0} again, then {1}", name, count); // 17
    info!(user.name = user.name, user.id = user.id, "user logged in"); // 18
    info!(%addr, ?state, count = count + 1, "mixed"); // 19
    info!(target: "app::http", method = "GET", %path, status, "{} {}", "GET", path); // 20
    event!(Level::INFO, "event macro"); // 21
    event!(Level::WARN, retries = 3, "event with field"); // 22
    info!(name = "literal value", "no placeholders"); // 23
    info!("{name} uses an inline capture"); // 24
    info!("{:5.1}|{:+}|{:08.3}", elapsed, 5, -elapsed); // 25
    info!("{:#?}", state); // 26
    info!(r#type = "keyword field", "raw ident"); // 27
    info!(answer = 42, "{}", "trailing positional"); // 28
    info!("a {{literal}} brace and {}", count); // 29
    debug!(target: "sqlx::query", rows = 5u64, elapsed_ms = 1.5, "summary"); // 30
    info!("user {} ({:?}) from {}", user.name, user.id, addr); // 31
    info!("only a message, no args"); // 32
    info!("multi-line {}", name,); // 33
    warn!(?user, "debug of a reference"); // 34
    info!("{:e}", 1234.5f64); // 35
    info!("bits {:b} oct {:o} hex {:X}", 5u8, 8u8, 255u8); // 36
    info!(message = "field named message", "ok"); // 37

    let events = flushed(capture);
    let humans: Vec<&str> = events.iter().map(|e| e.human.as_str()).collect();
    assert_eq!(
        humans,
        [
            "hello ferris",
            format!("{:?}", u).as_str(),
            "hello",
            "msg",
            "msg",
            "msg",
            "listening on addr:10.0.0.1:80",
            "read 1024 bytes in 1.23 ms",
            "request failed",
            "request failed",
            "io error",
            "processed items",
            "state is Ready",
            &format!("{:>8}|", status),
            "0xff",
            "ab    |  mid  |   42",
            "ferris and ferris again, then 3",
            "user logged in",
            "mixed",
            "GET /api/orders",
            "event macro",
            "event with field",
            "no placeholders",
            "ferris uses an inline capture",
            &format!("{:5.1}|{:+}|{:08.3}", elapsed, 5, -elapsed),
            &format!("{:#?}", state),
            "raw ident",
            "trailing positional",
            "a {literal} brace and 3",
            "summary",
            "user bob (7) from addr:10.0.0.1:80",
            "only a message, no args",
            "multi-line ferris",
            "debug of a reference",
            "1.2345e3",
            "bits 101 oct 10 hex FF",
            "ok",
        ]
    );

    // Typed fields keep their types; `?`/`%` are text.
    let j: Vec<serde_json::Value> = events.iter().map(json).collect();
    assert_eq!(j[0]["fields"]["name"], "ferris");
    assert_eq!(events[2].actor, "foo", "target: is the component");
    assert_eq!(j[3]["fields"]["u"], format!("{u:?}"));
    assert_eq!(j[4]["fields"]["name"], "ferris");
    assert_eq!(j[5]["fields"]["user.id"], 5);
    assert_eq!(j[7]["fields"]["bytes_read"], 1024);
    assert_eq!(j[7]["fields"]["elapsed"], 1.23456);
    assert_eq!(j[8]["fields"]["status"], 404);
    assert_eq!(j[8]["fields"]["path"], "/api/orders");
    assert_eq!(j[9]["fields"]["error"], "connection reset");
    assert_eq!(j[10]["fields"]["err"], format!("{err:?}"));
    assert_eq!(j[11]["fields"]["count"], 3);
    assert_eq!(j[14]["fields"]["id"], 255, "{{id:#x}} stays a number");
    assert_eq!(j[17]["fields"]["user.name"], "bob");
    assert_eq!(j[17]["fields"]["user.id"], 7);
    assert_eq!(j[18]["fields"]["count"], 4);
    assert_eq!(j[18]["fields"]["state"], "Ready");
    assert_eq!(events[19].actor, "app::http");
    assert_eq!(j[19]["fields"]["method"], "GET");
    assert_eq!(events[20].level, Level::Info);
    assert_eq!(events[21].level, Level::Warn);
    assert_eq!(j[21]["fields"]["retries"], 3);
    assert_eq!(j[26]["fields"]["type"], "keyword field");
    assert_eq!(j[27]["fields"]["answer"], 42);
    assert_eq!(j[29]["level"], "debug");
    assert_eq!(j[29]["fields"]["rows"], 5);
    assert_eq!(j[30]["fields"]["user.name"], "bob");
    assert_eq!(j[30]["fields"]["user.id"], 7);
    assert_eq!(j[36]["fields"]["message"], "field named message");
    assert_eq!(events.len(), 37);
}

#[test]
fn span_shapes_attach_their_fields_to_events() {
    let (_lock, capture) = capture();
    let request_id = 42u64;
    let method = "GET";

    // 38: span! with a level and fields, entered with a guard.
    let span = span!(Level::INFO, "request", request_id, %method);
    let guard = span.enter();
    info!("inside request");
    // 39: nested info_span! with `?` and dotted fields, in_scope.
    let db = info_span!("db", db.system = "postgres", ?request_id);
    db.in_scope(|| debug!(rows = 3u64, "query done"));
    drop(guard);
    info!("outside");
    // 40: `.entered()` guards and debug_span!.
    {
        let _e = debug_span!("work", item = 9).entered();
        warn!("in work");
    }
    // 41: `parent:` on an event (explicit parent, not entered).
    info!(parent: &span, "with explicit parent");
    // 42: `parent: None` makes an event a root even inside a span.
    let _e = span.clone().entered();
    info!(parent: None, "explicit root");
    // 43: span! with `target:`.
    let t = span!(target: "app::jobs", Level::DEBUG, "job", id = 1);
    t.in_scope(|| info!("job event"));
    drop(_e);

    let events = flushed(capture);
    let j: Vec<serde_json::Value> = events.iter().map(json).collect();
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["spans"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(events[0].human, "inside request");
    assert_eq!(names(&j[0]), ["request"]);
    assert_eq!(j[0]["spans"][0]["fields"]["request_id"], 42);
    assert_eq!(j[0]["spans"][0]["fields"]["method"], "GET");
    assert_eq!(names(&j[1]), ["request", "db"], "outermost first");
    assert_eq!(j[1]["spans"][1]["fields"]["db.system"], "postgres");
    assert_eq!(j[1]["spans"][1]["fields"]["request_id"], "42");
    assert_eq!(names(&j[2]), Vec::<String>::new());
    assert!(j[2].get("spans").is_none());
    assert_eq!(names(&j[3]), ["work"]);
    assert_eq!(names(&j[4]), ["request"]);
    assert_eq!(events[5].human, "explicit root");
    assert_eq!(names(&j[5]), Vec::<String>::new());
    assert_eq!(names(&j[6]), ["request", "job"]);
    assert_eq!(events.len(), 7);
}

#[test]
fn instrumented_futures_carry_their_span_across_polls_and_threads() {
    let (_lock, capture) = capture();
    // 44: `.instrument(span)` on a future polled on another thread.
    let span = info_span!("task", job = "resize");
    let fut = async {
        info!("first poll");
        YieldOnce(false).await;
        info!("second poll");
    }
    .instrument(span);
    let handle = std::thread::spawn(move || block_on(fut));
    handle.join().unwrap();
    info!("not in the task");
    let events = flushed(capture);
    let j: Vec<serde_json::Value> = events.iter().map(json).collect();
    assert_eq!(events.len(), 3);
    for e in &j[..2] {
        assert_eq!(e["spans"][0]["name"], "task", "{e}");
        assert_eq!(e["spans"][0]["fields"]["job"], "resize");
    }
    assert!(j[2].get("spans").is_none());
}

// 45, 46: `#[instrument]` (narrate's `#[trace_fn]`) on sync and async fns.
#[narrate::instrument]
fn load(id: u64, table: &str) -> Result<u64, std::io::Error> {
    info!("loading");
    Ok(id * 2)
}

#[narrate::instrument(skip(payload))]
async fn upload(key: &str, payload: Vec<u8>) -> usize {
    info!("uploading {}", payload.len());
    YieldOnce(false).await;
    info!("uploaded");
    payload.len()
}

#[test]
fn instrument_attribute_opens_a_span_around_the_body() {
    let (_lock, capture) = capture();
    assert_eq!(load(21, "orders").unwrap(), 42);
    assert_eq!(block_on(upload("k1", vec![1, 2, 3])), 3);
    let events = flushed(capture);
    let j: Vec<serde_json::Value> = events.iter().map(json).collect();
    let humans: Vec<&str> = events.iter().map(|e| e.human.as_str()).collect();
    assert_eq!(
        humans,
        [
            "enter load",
            "loading",
            "exit load",
            "enter upload",
            "uploading 3",
            "uploaded",
            "exit upload"
        ]
    );
    assert!(
        j[0].get("spans").is_none(),
        "the enter event is outside the span"
    );
    assert_eq!(j[1]["spans"][0]["name"], "load");
    assert_eq!(j[1]["spans"][0]["fields"]["id"], 21);
    assert_eq!(j[1]["spans"][0]["fields"]["table"], "orders");
    assert_eq!(j[2]["fields"]["result"], 42);
    for e in &j[4..6] {
        assert_eq!(e["spans"][0]["name"], "upload", "{e}");
        assert_eq!(e["spans"][0]["fields"]["key"], "k1");
        assert!(e["spans"][0]["fields"].get("payload").is_none());
    }
}

/// Returns `Pending` once, waking itself.
struct YieldOnce(bool);
impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
