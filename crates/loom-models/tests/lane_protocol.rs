//! The lane protocol under every interleaving loom can find: nothing a
//! thread committed is lost when its lane closes, when it flushes, when it
//! logs through the orphan queue, or when shutdown follows its last event.
//! Run with `scripts/loom.sh` (`RUSTFLAGS="--cfg loom"`).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use loom_models::{Backend, Lane, Runtime};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // The backend polls (as the real one does, with parks between rounds);
    // every poll is a branch, so allow more than loom's default 1 000.
    builder.max_branches = 100_000;
    builder.check(f);
}

/// A thread registers its lane, commits two records and exits (closing the
/// lane) while the backend runs two rounds; after the thread is joined the
/// backend runs until the lane is freed. A lane freed during the racing
/// rounds with a record still in it would lose that record.
#[test]
fn a_closed_lane_is_drained_before_it_is_freed() {
    model(|| {
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
        backend.round(&rt);
        backend.round(&rt);
        caller.join().unwrap();
        while !(backend.lanes_seen == 1 && backend.lanes() == 0) {
            backend.round(&rt);
        }
        assert_eq!(
            backend.written,
            [1, 2],
            "the lane was freed with records in it"
        );
    });
}

/// `flush()` returns only after the backend wrote what the flushing thread
/// committed to its ring before taking the ticket (the lane registered just
/// before). Nothing else orders the record for the backend: the ticket does.
#[test]
fn a_flush_serves_everything_committed_before_its_ticket() {
    model(|| {
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
        rt.flush();
        assert_eq!(
            lane.ring.consumed(),
            1,
            "flush returned before the record was written"
        );
        rt.stop();
        assert_eq!(backend.join().unwrap(), [7]);
    });
}

/// The same for a record that went through the orphan queue (logged from a
/// thread-local destructor or re-entrantly).
#[test]
fn a_flush_serves_an_orphan_record() {
    model(|| {
        let rt = Arc::new(Runtime::default());
        let backend = {
            let rt = rt.clone();
            thread::spawn(move || {
                let mut backend = Backend::default();
                backend.run_until_stopped(&rt);
                backend.written
            })
        };
        rt.push_orphan(8);
        rt.flush();
        assert_eq!(
            rt.orphans_pending(),
            0,
            "flush returned before the orphan was written"
        );
        rt.stop();
        assert_eq!(backend.join().unwrap(), [8]);
    });
}

/// Shutdown racing with a caller: what the caller committed before it asked
/// to stop is written; what it commits while the backend shuts down is
/// written at most once, in order.
#[test]
fn shutdown_drains_what_was_committed_before_it() {
    model(|| {
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
        assert!(lane.ring.push(1));
        rt.stop();
        // Races with the backend's last rounds: may or may not be written.
        assert!(lane.ring.push(2));
        lane.close();
        let written = backend.join().unwrap();
        assert!(written == [1] || written == [1, 2], "written {written:?}");
    });
}
