//! loom models of the protocol between narrate's callers and its backend
//! (see `docs/DESIGN.md` §3–5 and `crates/narrate/src/{lifecycle,ring}.rs`).
//!
//! The models copy the protocol's shared state and the *same orderings* the
//! library uses, on loom's atomics, mutexes and cells, and let loom run every
//! interleaving (and every value a weak memory model allows):
//!
//! | piece | library | model |
//! | --- | --- | --- |
//! | lane registration | `Runtime::register_lane` / `take_new_lanes`: push under a mutex, `has_new_lanes` `Release` / `swap(Acquire)` | [`Runtime::register_lane`], [`Runtime::take_new_lanes`] |
//! | orphan records | `push_orphan` / `take_orphans`: same pattern | [`Runtime::push_orphan`], [`Runtime::take_orphans`] |
//! | closed + drain on exit | `Lane::drop` stores `closed` `Release` after its last commit; `retire_closed_lanes` loads it `Acquire`, peeks once more, frees only an empty ring | [`Lane::close`], [`Backend::retire_closed`] |
//! | flush ticket | `flush_timeout`: `fetch_add(AcqRel)`, wait on `flush_done` (mutex + condvar); the backend loads `flush_requested` `Acquire` at the start of a round, drains, then `complete_flush` | [`Runtime::flush`], [`Backend::round`] |
//! | shutdown | `stop` `Release` / `Acquire`; the backend exits after a draining round that found nothing | [`Backend::run_until_stopped`] |
//!
//! The ring itself is `rtrb` (wait-free SPSC; tail `Release` on commit,
//! `Acquire` by the consumer). It may be replaced by a hand-written ring
//! (issue #14), so it is modelled here only by that contract: [`Ring`], a
//! bounded SPSC ring whose slots are loom `UnsafeCell`s — loom reports any
//! slot read that is not ordered after its write.
//!
//! `--cfg loom_break="…"` weakens one ordering on purpose (`closed` or
//! `flush_ticket`) to show the models catch it (`scripts/loom.sh --broken`).
//!
//! `has_new_lanes` and `has_orphans` are hints: the mutex orders the list
//! itself, and a flush ticket (`AcqRel`/`Acquire`) orders the flag anyway,
//! so weakening them to `Relaxed` would not lose anything and is not offered
//! as a "broken" variant.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};

/// `Release` normally; `Relaxed` when this piece is broken on purpose.
macro_rules! release {
    ($piece:literal) => {
        if cfg!(loom_break = $piece) {
            Ordering::Relaxed
        } else {
            Ordering::Release
        }
    };
}

/// `Acquire` normally; `Relaxed` when this piece is broken on purpose.
macro_rules! acquire {
    ($piece:literal) => {
        if cfg!(loom_break = $piece) {
            Ordering::Relaxed
        } else {
            Ordering::Acquire
        }
    };
}

pub const RING_SLOTS: usize = 4;

/// rtrb's contract: one producer, one consumer; the producer writes a slot
/// then publishes it with the tail (`Release`), the consumer reads the tail
/// (`Acquire`), reads the slot, and returns it with the head (`Release`).
pub struct Ring {
    slots: [UnsafeCell<u64>; RING_SLOTS],
    head: AtomicUsize,
    tail: AtomicUsize,
}

impl Default for Ring {
    fn default() -> Ring {
        Ring {
            slots: std::array::from_fn(|_| UnsafeCell::new(0)),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        }
    }
}

impl Ring {
    /// Producer: false when full (the caller's full-ring policy applies).
    pub fn push(&self, value: u64) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail - self.head.load(Ordering::Acquire) == RING_SLOTS {
            return false;
        }
        // SAFETY: only the producer writes, and only slots the consumer has
        // returned (head, Acquire, above); loom checks exactly this.
        self.slots[tail % RING_SLOTS].with_mut(|p| unsafe { *p = value });
        self.tail.store(tail + 1, Ordering::Release);
        true
    }

    /// Consumer: the oldest record, if any.
    /// Model-only: records the consumer has taken so far (`Relaxed`: read
    /// after something else ordered it, e.g. a completed flush).
    pub fn consumed(&self) -> usize {
        self.head.load(Ordering::Relaxed)
    }

    pub fn pop(&self) -> Option<u64> {
        let head = self.head.load(Ordering::Relaxed);
        if head == self.tail.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: the slot was published by the tail (Acquire, above) and
        // the producer does not touch it until head moves past it.
        let value = self.slots[head % RING_SLOTS].with(|p| unsafe { *p });
        self.head.store(head + 1, Ordering::Release);
        Some(value)
    }
}

/// `LaneShared` + the ring: what the backend holds for one thread.
#[derive(Default)]
pub struct Lane {
    pub ring: Ring,
    closed: AtomicBool,
}

impl Lane {
    /// `impl Drop for Lane`: after the thread's last commit.
    pub fn close(&self) {
        self.closed.store(true, release!("closed"));
    }
}

/// `flag.swap(false, Acquire)`, as the library writes it, expressed as
/// `compare_exchange(true, false, Acquire, Relaxed)`: the same result and
/// the same synchronization (when the flag is already false nothing is
/// written, which changes nothing). loom 0.7 mis-models `swap` racing with
/// a plain store (tokio-rs/loom#254, #389: the store can squeeze between the
/// read and the write of the RMW, so a later swap misses a `true`); with
/// `swap` the models fail for that reason alone, with the CAS they do not.
fn take_flag(flag: &AtomicBool) -> bool {
    flag.compare_exchange(true, false, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
}

/// The parts of `lifecycle::Runtime` the protocol uses.
#[derive(Default)]
pub struct Runtime {
    new_lanes: Mutex<Vec<Arc<Lane>>>,
    has_new_lanes: AtomicBool,
    orphans: Mutex<Vec<u64>>,
    has_orphans: AtomicBool,
    flush_requested: AtomicU64,
    flush_done: Mutex<u64>,
    flush_cv: Condvar,
    stop: AtomicBool,
}

impl Runtime {
    pub fn register_lane(&self, lane: Arc<Lane>) {
        self.new_lanes.lock().unwrap().push(lane);
        self.has_new_lanes.store(true, Ordering::Release);
    }

    pub fn take_new_lanes(&self, out: &mut Vec<Arc<Lane>>) {
        if take_flag(&self.has_new_lanes) {
            out.append(&mut self.new_lanes.lock().unwrap());
        }
    }

    pub fn push_orphan(&self, record: u64) {
        self.orphans.lock().unwrap().push(record);
        self.has_orphans.store(true, Ordering::Release);
    }

    pub fn take_orphans(&self, out: &mut Vec<u64>) {
        if take_flag(&self.has_orphans) {
            out.append(&mut self.orphans.lock().unwrap());
        }
    }

    /// `flush()`: take a ticket, wait until the backend has served it.
    pub fn flush(&self) {
        let ticket = self.flush_requested.fetch_add(
            1,
            if cfg!(loom_break = "flush_ticket") {
                Ordering::Relaxed
            } else {
                Ordering::AcqRel
            },
        ) + 1;
        let mut done = self.flush_done.lock().unwrap();
        while *done < ticket {
            done = self.flush_cv.wait(done).unwrap();
        }
    }

    fn complete_flush(&self, ticket: u64) {
        let mut done = self.flush_done.lock().unwrap();
        *done = (*done).max(ticket);
        self.flush_cv.notify_all();
    }

    /// Model-only: orphan records not yet taken by the backend.
    pub fn orphans_pending(&self) -> usize {
        self.orphans.lock().unwrap().len()
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// The backend's side: its lanes and everything it has written.
#[derive(Default)]
pub struct Backend {
    lanes: Vec<Arc<Lane>>,
    /// Lanes ever taken from the registration queue.
    pub lanes_seen: usize,
    pub written: Vec<u64>,
    flush_done: u64,
}

impl Backend {
    /// One round of `Backend::run`: read `stop` and `flush_requested`, take
    /// new lanes and orphans, drain every ring, retire closed empty lanes,
    /// serve the flush. Returns (stopping, records written this round).
    pub fn round(&mut self, rt: &Runtime) -> (bool, usize) {
        let stopping = rt.stop.load(Ordering::Acquire);
        let flush_requested = rt.flush_requested.load(acquire!("flush_ticket"));
        let known = self.lanes.len();
        rt.take_new_lanes(&mut self.lanes);
        self.lanes_seen += self.lanes.len() - known;
        let before = self.written.len();
        rt.take_orphans(&mut self.written);
        for lane in &self.lanes {
            while let Some(record) = lane.ring.pop() {
                self.written.push(record);
            }
        }
        self.retire_closed();
        if flush_requested > self.flush_done {
            self.flush_done = flush_requested;
            rt.complete_flush(flush_requested);
        }
        (stopping, self.written.len() - before)
    }

    /// `retire_closed_lanes`: once `closed` reads true, one more look; a
    /// lane is freed only when its ring is empty after that look.
    fn retire_closed(&mut self) {
        let written = &mut self.written;
        self.lanes.retain(|lane| {
            if !lane.closed.load(acquire!("closed")) {
                return true;
            }
            match lane.ring.pop() {
                Some(record) => {
                    written.push(record);
                    true
                }
                None => false,
            }
        });
    }

    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Rounds until a round after `stop` finds nothing, as the backend does.
    pub fn run_until_stopped(&mut self, rt: &Runtime) {
        loop {
            let (stopping, n) = self.round(rt);
            if stopping && n == 0 {
                return;
            }
            loom::thread::yield_now();
        }
    }
}
