//! The call-site surface: level macros, `narrate!`, the six trace macros,
//! `#[trace_fn]` and `#[narrate]`, checked through a capture sink.

use std::sync::{Mutex, OnceLock};

use narrate::attributes::narrate;
use narrate::{Capture, CapturedEvent, Config, Level, trace_fn};

/// One logger for the whole binary; tests take the lock and clear the capture.
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

#[test]
fn level_macros_and_narrate_dispatch() {
    let (_lock, capture) = capture();
    let attempt = 3u32;
    narrate::trace!("t");
    narrate::debug!("d");
    narrate::info!(
        actor = "orders",
        action = "ship",
        target = 7u64,
        "shipped {attempt}"
    );
    narrate::warn!("w");
    narrate::error!("e");
    narrate::fatal!("f");
    narrate::narrate!(Level::Warn, action = "via-path", "dispatched");
    narrate::narrate!(narrate::Level::Debug, "full path");
    let events = flushed(capture);
    let levels: Vec<Level> = events.iter().map(|e| e.level).collect();
    use Level::*;
    assert_eq!(
        levels,
        [Trace, Debug, Info, Warn, Error, Fatal, Warn, Debug]
    );
    let info = &events[2];
    assert_eq!((info.actor, info.action), ("orders", "ship"));
    assert_eq!(info.target.as_deref(), Some("7"));
    assert_eq!(info.human, "shipped 3");
    assert_eq!(info.field("attempt"), Some("3"));
    assert_eq!(
        events[0].actor, "call_site_macros",
        "actor defaults to the module path"
    );
    assert_eq!(events[6].action, "via-path");
}

#[test]
fn the_six_trace_macros() {
    let (_lock, capture) = capture();
    narrate::trace_tiny!("queue", "push", 9u64, "pushed job {n}", n = 1u8);
    narrate::trace_with_correlation!("queue", "pop", 9u64, "popped", "req-42");
    narrate::trace_enter!("queue", "drain", "q1", "draining");
    narrate::trace_exit!("queue", "drain", "q1", "drained", left = 0u32);
    narrate::trace_loop!("queue", "retry", "q1", "retrying", 2usize, 5usize);
    narrate::trace_state!("queue", "state", "q1", "state changed", "idle", "busy");
    let events = flushed(capture);
    assert_eq!(events.len(), 6);
    assert!(
        events
            .iter()
            .all(|e| e.level == Level::Trace && e.actor == "queue")
    );
    assert_eq!(events[0].human, "pushed job 1");
    assert!(
        events[1].json.contains("\"correlation_id\":\"req-42\""),
        "{}",
        events[1].json
    );
    assert_eq!(events[2].field("phase"), Some("enter"));
    assert_eq!(events[3].field("phase"), Some("exit"));
    assert_eq!(events[3].field("left"), Some("0"));
    assert_eq!(
        (events[4].field("index"), events[4].field("total")),
        (Some("2"), Some("5"))
    );
    assert_eq!(
        (events[5].field("from"), events[5].field("to")),
        (Some("idle"), Some("busy"))
    );
}

#[derive(Debug)]
struct Job {
    #[allow(dead_code)]
    id: u32,
}

#[derive(Debug)]
struct Failure;
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no worker free")
    }
}
impl std::error::Error for Failure {}

#[trace_fn]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[trace_fn(skip(password))]
fn login(user: &str, password: &str) -> Result<u32, Failure> {
    if password.is_empty() {
        return Err(Failure);
    }
    Ok(user.len() as u32)
}

#[trace_fn(no_result)]
fn schedule(job: Job) -> Job {
    job
}

#[trace_fn]
fn largest<T: PartialOrd + Copy + std::fmt::Debug>(items: &[T]) -> Option<T> {
    items.iter().copied().fold(None, |m, x| match m {
        Some(m) if m >= x => Some(m),
        _ => Some(x),
    })
}

#[trace_fn]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

struct Pool {
    size: usize,
}

impl Pool {
    #[trace_fn]
    fn grow(&mut self, by: usize) -> usize {
        self.size += by;
        self.size
    }
}

#[trace_fn]
async fn fetch(id: u32) -> Result<String, Failure> {
    let id = async { id }.await;
    if id == 0 {
        Err(Failure)
    } else {
        Ok(format!("item-{id}"))
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn trace_fn_records_arguments_elapsed_and_results() {
    let (_lock, capture) = capture();
    assert_eq!(add(2, 3), 5);
    assert_eq!(login("ada", "hunter2").unwrap(), 3);
    assert!(login("ada", "").is_err());
    let _job = schedule(Job { id: 4 });
    assert_eq!(largest(&[3, 9, 2]), Some(9));
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    let mut pool = Pool { size: 1 };
    assert_eq!(pool.grow(2), 3);
    assert_eq!(block_on(fetch(7)).unwrap(), "item-7");
    assert!(block_on(fetch(0)).is_err());

    let events = flushed(capture);
    let pairs: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action, e.human.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("enter", "enter add"),
            ("exit", "exit add"),
            ("enter", "enter login"),
            ("exit", "exit login"),
            ("enter", "enter login"),
            ("exit", "exit login"),
            ("enter", "enter schedule"),
            ("exit", "exit schedule"),
            ("enter", "enter largest"),
            ("exit", "exit largest"),
            ("enter", "enter evens"),
            ("exit", "exit evens"),
            ("enter", "enter grow"),
            ("exit", "exit grow"),
            ("enter", "enter fetch"),
            ("exit", "exit fetch"),
            ("enter", "enter fetch"),
            ("exit", "exit fetch"),
        ]
    );
    // Arguments, typed where possible.
    assert_eq!(
        (events[0].field("a"), events[0].field("b")),
        (Some("2"), Some("3"))
    );
    assert_eq!(events[1].field("result"), Some("5"));
    assert!(
        events[1]
            .field("elapsed_ns")
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    // skip(password): never recorded.
    assert_eq!(events[2].field("user"), Some("ada"));
    assert_eq!(events[2].field("password"), None);
    assert!(!events[2].json.contains("hunter2"));
    assert_eq!(
        (events[3].field("outcome"), events[3].field("result")),
        (Some("ok"), Some("3"))
    );
    assert_eq!(events[5].field("outcome"), Some("err"));
    assert_eq!(events[5].field("error"), Some("no worker free"));
    assert!(
        events[5]
            .json
            .contains("\"error\":{\"message\":\"no worker free\"")
    );
    // Debug fallback for a non-Encode argument; no_result leaves the result out.
    assert_eq!(events[6].field("job"), Some("Job { id: 4 }"));
    assert_eq!(events[7].field("result"), None);
    assert_eq!(events[8].field("items"), Some("[3, 9, 2]"));
    assert_eq!(events[9].field("result"), Some("Some(9)"));
    // impl Trait: recorded by type name.
    assert!(events[11].field("result").is_some());
    assert_eq!(events[12].field("by"), Some("2"));
    assert_eq!(events[13].field("result"), Some("3"));
    assert_eq!(events[15].field("result"), Some("item-7"));
    assert_eq!(events[17].field("outcome"), Some("err"));
}

#[narrate(
    actor = "dispatcher",
    action = "dispatch",
    human = "Dispatched job {job_id} to worker {worker}",
    cute = "off you go!"
)]
fn dispatch(job_id: u64, worker: &str) -> bool {
    !worker.is_empty()
}

#[narrate(
    action = "resize",
    human = "Resized to {result} in {elapsed_ms} ms",
    level = "debug"
)]
fn resize(pool: &mut Pool, by: usize) -> usize {
    pool.size += by;
    pool.size
}

#[test]
fn narrate_attribute_renders_its_template() {
    let (_lock, capture) = capture();
    assert!(dispatch(17, "w-3"));
    let mut pool = Pool { size: 2 };
    assert_eq!(resize(&mut pool, 3), 5);
    let events = flushed(capture);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].level, Level::Info);
    assert_eq!(
        (events[0].actor, events[0].action),
        ("dispatcher", "dispatch")
    );
    assert_eq!(events[0].human, "Dispatched job 17 to worker w-3");
    assert!(events[0].json.contains("\"cute\":\"off you go!\""));
    assert_eq!(events[1].level, Level::Debug);
    assert!(
        events[1].human.starts_with("Resized to 5 in "),
        "{}",
        events[1].human
    );
    assert!(
        events[1]
            .field("elapsed_ms")
            .unwrap()
            .parse::<f64>()
            .unwrap()
            >= 0.0
    );
}

#[test]
fn arguments_of_disabled_events_are_not_evaluated() {
    let (_lock, capture) = capture();
    narrate::set_level(Level::Info);
    fn boom() -> u64 {
        panic!("evaluated an argument of a disabled event")
    }
    narrate::debug!("never", v = boom());
    narrate::trace_tiny!("a", "b", boom(), "never");
    narrate::set_level(Level::Trace);
    assert!(flushed(capture).is_empty());
}
