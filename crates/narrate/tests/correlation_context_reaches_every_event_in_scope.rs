//! Correlation ids and W3C trace context: generated, validated, written as
//! strings, and attached to every event in scope — in a thread-local scope,
//! in a future polled on other threads, and in a spawned task — in JSON,
//! logfmt and pretty.

use std::sync::{Mutex, OnceLock};

use narrate::context::{self, Context, CorrelationId, TraceParent};
use narrate::{Capture, CapturedEvent, Config, FileSink, Format, Level};

struct Setup {
    capture: Capture,
    dir: tempfile::TempDir,
    _guard: narrate::Guard,
}

fn setup() -> (std::sync::MutexGuard<'static, ()>, &'static Setup) {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    let lock = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = SETUP.get_or_init(|| {
        let capture = Capture::new();
        let dir = tempfile::tempdir().unwrap();
        let guard = narrate::init(
            Config::new()
                .level(Level::Trace)
                .sink(&capture)
                .sink(FileSink::new(dir.path().join("out.logfmt")).format(Format::Logfmt))
                .sink(FileSink::new(dir.path().join("out.txt")).format(Format::Pretty))
                .env_filter(false),
        )
        .unwrap();
        Setup {
            capture,
            dir,
            _guard: guard,
        }
    });
    narrate::flush();
    s.capture.clear();
    (lock, s)
}

fn events(s: &Setup) -> Vec<(CapturedEvent, serde_json::Value)> {
    narrate::flush();
    s.capture
        .events()
        .into_iter()
        .map(|e| {
            let j = serde_json::from_str(&e.json).unwrap();
            (e, j)
        })
        .collect()
}

#[test]
fn numeric_correlation_ids_are_written_as_strings() {
    let (_lock, s) = setup();
    narrate::info!(correlation_id = u64::MAX, "big id");
    let ev = events(s);
    assert_eq!(ev[0].1["correlation_id"], "18446744073709551615");
}

#[test]
fn a_thread_scope_reaches_every_event_inside_it_and_no_other() {
    let (_lock, s) = setup();
    let ctx = Context::from_incoming(
        Some("req-42"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    narrate::info!("before");
    {
        let _g = ctx.enter();
        assert_eq!(Context::current(), Some(ctx));
        narrate::info!("inside");
        narrate::warn!(correlation_id = "own-id", "own id wins");
    }
    assert_eq!(Context::current(), None);
    narrate::info!("after");
    let ev = events(s);
    assert!(ev[0].1.get("correlation_id").is_none());
    assert_eq!(ev[1].1["correlation_id"], "req-42");
    assert_eq!(ev[1].1["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    let span_id = ev[1].1["span_id"].as_str().unwrap();
    assert_eq!(span_id.len(), 16);
    assert_ne!(
        span_id, "00f067aa0ba902b7",
        "our own span id, child of the caller's"
    );
    assert_eq!(ev[2].1["correlation_id"], "own-id");
    assert!(ev[3].1.get("correlation_id").is_none());
    // The header we send on: same trace, a new span id.
    let out = ctx.outgoing_traceparent().unwrap();
    let parsed = TraceParent::parse(out.as_str()).unwrap();
    assert_eq!(parsed.trace_id, ctx.trace.unwrap().trace_id);
}

#[test]
fn an_invalid_incoming_id_is_replaced_and_the_events_say_so() {
    let (_lock, s) = setup();
    let hostile = "x\"}\n{\"level\":\"fatal";
    let ctx = Context::from_incoming(Some(hostile), Some("garbage"));
    ctx.in_scope(|| narrate::info!("with replaced id"));
    let ev = events(s);
    let id = ev[0].1["correlation_id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(ev[0].1["correlation_id_replaced"], true);
    // An invalid traceparent starts a new trace.
    assert_eq!(ev[0].1["trace_id"].as_str().unwrap().len(), 32);
    assert_eq!(ev.len(), 1, "the hostile text made no extra line");
}

#[test]
fn a_future_keeps_its_context_across_threads_and_spawned_tasks_inherit_it() {
    let (_lock, s) = setup();
    let ctx = Context {
        correlation_id: CorrelationId::parse("job-7").unwrap(),
        trace: None,
        replaced: false,
    };
    // Attached to a future polled on two different threads.
    let mut fut = Box::pin(ctx.attach(async {
        narrate::info!("poll one");
        YieldOnce(false).await;
        narrate::info!("poll two");
    }));
    std::thread::scope(|t| {
        t.spawn(|| {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        });
    });
    narrate::info!("between polls, outside the scope");
    std::thread::scope(|t| {
        t.spawn(|| {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_ready());
        });
    });
    // propagate(): a task spawned from inside a scope and a span.
    let span = narrate::info_span!("parent_task", n = 1u64);
    let task = ctx.in_scope(|| {
        let _e = span.enter();
        context::propagate(async { narrate::info!("in spawned task") })
    });
    std::thread::spawn(move || block_on(task)).join().unwrap();

    let ev = events(s);
    let by_human = |h: &str| &ev.iter().find(|(e, _)| e.human == h).unwrap().1;
    assert_eq!(by_human("poll one")["correlation_id"], "job-7");
    assert_eq!(by_human("poll two")["correlation_id"], "job-7");
    assert!(
        by_human("between polls, outside the scope")
            .get("correlation_id")
            .is_none()
    );
    let spawned = by_human("in spawned task");
    assert_eq!(spawned["correlation_id"], "job-7");
    assert_eq!(spawned["spans"][0]["name"], "parent_task");
    assert_eq!(spawned["spans"][0]["fields"]["n"], 1);
    let a = ev
        .iter()
        .find(|(e, _)| e.human == "poll one")
        .unwrap()
        .0
        .thread_id;
    let b = ev
        .iter()
        .find(|(e, _)| e.human == "poll two")
        .unwrap()
        .0
        .thread_id;
    assert_ne!(a, b, "polled on two threads");
}

#[test]
fn logfmt_and_pretty_show_spans_and_context() {
    let (_lock, s) = setup();
    let ctx = Context {
        correlation_id: CorrelationId::parse("lf-1").unwrap(),
        trace: None,
        replaced: false,
    };
    let _c = ctx.enter();
    let outer = narrate::info_span!("request", method = "GET");
    let _o = outer.enter();
    narrate::info_span!("db", rows = 3u64).in_scope(|| narrate::info!("rendered in spans"));
    narrate::flush();
    let logfmt = std::fs::read_to_string(s.dir.path().join("out.logfmt")).unwrap();
    let line = logfmt
        .lines()
        .find(|l| l.contains("rendered in spans"))
        .unwrap();
    assert!(
        line.contains(" correlation_id=lf-1 spans=request>db request.method=GET db.rows=3 "),
        "{line}"
    );
    let pretty = std::fs::read_to_string(s.dir.path().join("out.txt")).unwrap();
    let line = pretty
        .lines()
        .find(|l| l.contains("rendered in spans"))
        .unwrap();
    assert!(
        line.contains("  request{method=GET}:db{rows=3}: rendered in spans correlation_id=lf-1"),
        "{line}"
    );
}

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
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
