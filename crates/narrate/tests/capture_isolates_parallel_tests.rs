//! `narrate::testing::capture` sees exactly the events of its own test,
//! whatever else runs in the process at the same time.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use narrate::Level;
use narrate::testing::{CaptureScope, capture, capture_async};

#[test]
fn thirty_two_parallel_captures_a_hundred_times_never_cross_talk() {
    // 32 threads, each running one capture per round; the barrier makes
    // every round's 32 captures overlap.
    let barrier = Arc::new(std::sync::Barrier::new(32));
    let workers: Vec<_> = (0..32u64)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                for round in 0..100u64 {
                    barrier.wait();
                    let events = capture(|| {
                        for i in 0..(t % 5 + 1) {
                            narrate::info!(
                                action = "work",
                                "round {round} test {t} event {i}",
                                round,
                                t,
                                i
                            );
                        }
                        narrate::debug!("test {t} debug", t);
                    });
                    let expected = t % 5 + 1;
                    events.assert_count(Level::Info, expected as usize);
                    events.assert_count(Level::Debug, 1);
                    assert_eq!(events.len() as u64, expected + 1);
                    for e in events.iter() {
                        assert_eq!(e.field("t"), Some(t.to_string().as_str()), "{}", e.json);
                        if e.level == Level::Info {
                            assert_eq!(e.field("round"), Some(round.to_string().as_str()));
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn events_outside_the_closure_are_not_captured() {
    narrate::info!("before");
    let events = capture(|| narrate::info!("inside"));
    narrate::info!("after");
    let again = capture(|| {});
    assert_eq!(events.len(), 1);
    events.assert_contains("inside");
    assert!(again.is_empty());
}

#[test]
fn threads_that_enter_the_scope_are_captured_and_others_are_not() {
    let events = capture(|| {
        let scope = CaptureScope::current().expect("inside capture");
        let inside = std::thread::spawn(move || {
            scope.in_scope(|| narrate::warn!(action = "worker", "from a worker"))
        });
        let outside = std::thread::spawn(|| narrate::warn!("not passed the scope"));
        inside.join().unwrap();
        outside.join().unwrap();
    });
    events.assert_contains("from a worker");
    assert!(!events.contains("not passed the scope"));
    assert_eq!(events.with_action("worker").len(), 1);
    assert_ne!(
        events.events()[0].thread_id,
        0,
        "worker events carry their own thread"
    );
}

#[test]
fn nested_captures_each_get_their_own_events() {
    let mut inner = None;
    let outer = capture(|| {
        narrate::info!("outer 1");
        inner = Some(capture(|| narrate::info!("inner")));
        narrate::info!("outer 2");
    });
    let inner = inner.unwrap();
    assert_eq!(inner.len(), 1);
    inner.assert_contains("inner");
    assert_eq!(outer.len(), 2);
    assert!(!outer.contains("inner"));
}

#[test]
fn a_panic_inside_a_capture_leaves_the_thread_clean() {
    let result = std::panic::catch_unwind(|| {
        capture(|| {
            narrate::info!("before the panic");
            panic!("boom");
        })
    });
    assert!(result.is_err());
    assert!(CaptureScope::current().is_none());
    let events = capture(|| narrate::info!("next test"));
    assert_eq!(events.len(), 1);
}

#[test]
fn assertion_helpers_report_what_was_captured() {
    let events = capture(|| {
        narrate::info!(
            action = "ship",
            target = 7u64,
            "shipped {order}",
            order = 42u64
        );
        narrate::warn!("low stock {sku}", sku = "A-1");
    });
    events.assert_contains("shipped 42");
    events.assert_field("order", "42");
    events.assert_field("sku", "A-1");
    events.assert_nothing_above(Level::Warn);
    assert_eq!(events.count_at_least(Level::Info), 2);
    assert_eq!(
        events
            .find(|e| e.action == "ship")
            .unwrap()
            .target
            .as_deref(),
        Some("7")
    );

    let failure = std::panic::catch_unwind(|| events.assert_nothing_above(Level::Info));
    let message = *failure.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("1 event(s) above info"), "{message}");
    assert!(message.contains("low stock A-1"), "{message}");
}

/// A minimal executor: polls on the current thread, parks between polls.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Yields once, after waking itself from another thread.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || waker.wake());
        Poll::Pending
    }
}

#[test]
fn async_capture_follows_the_future_across_polls() {
    let (answer, events) = block_on(capture_async(async {
        narrate::info!("first poll");
        YieldOnce(false).await;
        narrate::info!("second poll");
        42
    }));
    assert_eq!(answer, 42);
    assert_eq!(events.len(), 2);
    events.assert_contains("second poll");
}
