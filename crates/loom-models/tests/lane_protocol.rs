//! The lane protocol under every interleaving loom can find: nothing a
//! thread committed is lost when its lane closes, when it flushes, when it
//! logs through the orphan queue, or when shutdown follows its last event.
//! Run with `scripts/loom.sh` (`RUSTFLAGS="--cfg loom"`).
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use loom_models::{Backend, Lane, Runtime};

/// A thread registers its lane, commits two records and exits (closing the
/// lane) while the backend runs rounds; the backend frees the lane only
/// after both records were written, in order.
#[test]
fn a_closed_lane_is_drained_before_it_is_freed() {
    loom::model(|| {
        let rt = Arc::new(Runtime::default());
        let caller = {
            let rt = rt.clone();
            thread::spawn(move || {
                let lane = Arc::new(Lane::default());
                rt.register_lane(lane.clone());
                assert!(lane.ring.push(1));
                assert!(lane.ring.push(2));
                lane.close();
            })
        };
        let mut backend = Backend::default();
        while !(backend.lanes_seen == 1 && backend.lanes() == 0) {
            backend.round(&rt);
            thread::yield_now();
        }
        assert_eq!(
            backend.written,
            [1, 2],
            "the lane was freed with records in it"
        );
        caller.join().unwrap();
    });
}

/// `flush()` returns only after the backend wrote what the flushing thread
/// committed before it, through a lane registered just before, and its
/// orphan record.
#[test]
fn a_flush_serves_everything_committed_before_its_ticket() {
    loom::model(|| {
        let rt = Arc::new(Runtime::default());
        let backend = {
            let rt = rt.clone();
            thread::spawn(move || {
                let mut backend = Backend::default();
                backend.run_until_stopped(&rt);
                backend.written
            })
        };
        let lane = Arc::new(Lane::default());
        rt.register_lane(lane.clone());
        assert!(lane.ring.push(7));
        rt.push_orphan(8);
        rt.flush();
        assert_eq!(
            lane.ring.consumed(),
            1,
            "flush returned before the record was written"
        );
        assert_eq!(
            rt.orphans_pending(),
            0,
            "flush returned before the orphan was written"
        );
        rt.stop();
        let mut written = backend.join().unwrap();
        written.sort_unstable();
        assert_eq!(written, [7, 8]);
    });
}

/// Shutdown racing with a caller: what the caller committed before the
/// stopping thread decided to stop is written; what it commits during the
/// shutdown is written at most once, in order.
#[test]
fn shutdown_drains_what_was_committed_before_it() {
    loom::model(|| {
        let rt = Arc::new(Runtime::default());
        let committed = Arc::new(AtomicBool::new(false));
        let caller = {
            let (rt, committed) = (rt.clone(), committed.clone());
            thread::spawn(move || {
                let lane = Arc::new(Lane::default());
                rt.register_lane(lane.clone());
                assert!(lane.ring.push(1));
                committed.store(true, Ordering::Release);
                // Races with shutdown: may or may not be written.
                assert!(lane.ring.push(2));
                lane.close();
            })
        };
        let backend = {
            let rt = rt.clone();
            thread::spawn(move || {
                let mut backend = Backend::default();
                backend.run_until_stopped(&rt);
                backend.written
            })
        };
        while !committed.load(Ordering::Acquire) {
            thread::yield_now();
        }
        rt.stop();
        let written = backend.join().unwrap();
        caller.join().unwrap();
        assert!(written == [1] || written == [1, 2], "written {written:?}");
    });
}
