//! The caller side: one single-producer ring per thread.
//!
//! A thread's first event creates its [`Lane`]: an `rtrb` byte ring (default
//! 1 MiB) whose consumer half is handed to the backend through
//! [`crate::lifecycle`]'s registration queue. That costs one allocation and one
//! lock, once per thread; after it, an event is:
//!
//! 1. a TSC read,
//! 2. `write_chunk` on the ring (a compare against a cached head index),
//! 3. the binary encoding of the arguments straight into the ring,
//! 4. `commit_all` (one `Release` store of the tail index).
//!
//! No allocation, no lock, no syscall, no formatting. Records may wrap around
//! the end of the ring; [`Writer`] handles the split, so no space is wasted on
//! padding.
//!
//! # Why rtrb and not a hand-written ring
//!
//! rtrb is a well-tested wait-free SPSC ring whose chunk API lets us encode in
//! place; it keeps this crate free of `unsafe`. A hand-written byte ring could
//! skip the zero-fill `write_chunk` does on the reserved bytes; at ~60 bytes
//! per event that fill is a few ns of the budget, measured by `narrate bench`
//! against the minimal-capture floor before deciding otherwise.
//!
//! # Slow paths
//!
//! * Ring full: the level's [`FullRingPolicy`]. `Block` spins briefly, then
//!   wakes the backend and yields until there is room; `DropNewest` counts
//!   the event in [`crate::stats`].
//! * Event larger than the whole ring: encoded into a heap buffer, queued on
//!   the lane's overflow list, and a 16-byte marker is written into the ring
//!   in its place, so the backend still sees it in order. Nothing is lost.
//! * No usable lane (logging from inside a `Display` impl that is itself being
//!   logged, or from a thread-local destructor after the lane is gone): the
//!   record goes to a global orphan queue under a mutex.
//! * Thread exit: the lane's destructor marks it closed; the backend drains
//!   what is left and then frees the ring.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rtrb::{Consumer, Producer, RingBuffer};

use crate::clock::RawClock;
use crate::config::FullRingPolicy;
use crate::encode::{HEADER_LEN, Writer, encode_to_vec};
use crate::level::Level;
use crate::lifecycle;
use crate::stats::{self, DropReason};

/// Call-site id of the marker record that stands for an oversized event.
pub(crate) const OVERSIZE_MARKER: u32 = 0;

/// What the backend knows about a lane besides its ring.
#[derive(Debug)]
pub(crate) struct LaneShared {
    pub thread_name: Cow<'static, str>,
    /// Small sequential number, stable for the thread's life.
    pub thread_id: u64,
    /// Records too large for the ring, in the order of their markers.
    pub overflow: Mutex<VecDeque<Vec<u8>>>,
    /// Set (`Release`) by the lane's destructor after its last commit; read
    /// (`Acquire`) by the backend, which then drains the ring and drops it.
    pub closed: AtomicBool,
    /// The test-capture scope the thread is in at the record the backend is
    /// processing (0: none); see [`crate::testing`]. Written and read by
    /// the backend only, at scope markers, so `Relaxed` suffices.
    pub capture_scope: AtomicU64,
    /// Most bytes ever seen waiting in this lane's ring (backend-written).
    pub high_water: AtomicU64,
}

impl LaneShared {
    /// A lane with no ring, for events the backend makes or finds elsewhere.
    pub const fn named(name: &'static str, thread_id: u64) -> LaneShared {
        LaneShared {
            thread_name: Cow::Borrowed(name),
            thread_id,
            overflow: Mutex::new(VecDeque::new()),
            closed: AtomicBool::new(false),
            capture_scope: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
        }
    }
}

/// The consumer half, owned by the backend.
pub(crate) struct LaneHandle {
    pub consumer: Consumer<u8>,
    pub shared: Arc<LaneShared>,
}

struct Lane {
    producer: Producer<u8>,
    clock: RawClock,
    policy: [FullRingPolicy; 7],
    capacity: usize,
    shared: Arc<LaneShared>,
}

impl Drop for Lane {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
    }
}

thread_local! {
    static LANE: RefCell<Option<Lane>> = const { RefCell::new(None) };
}

static NEXT_THREAD_ID: AtomicU64 = AtomicU64::new(1);

/// Writes one event for call site `id`. `payload_len` must be exactly what
/// `encode` writes. Called by the macros; see the module docs for the cost.
#[inline(always)]
pub fn emit<F: FnOnce(&mut Writer<'_>)>(id: u32, level: Level, payload_len: usize, encode: F) {
    let mut encode = Some(encode);
    let written = LANE
        .try_with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return false;
            };
            let lane = match &mut *slot {
                Some(lane) => lane,
                None => match Lane::register() {
                    Some(lane) => slot.insert(lane),
                    None => {
                        stats::count_drop(DropReason::AfterShutdown);
                        return true;
                    }
                },
            };
            if let Some(encode) = encode.take() {
                lane.write(id, level, payload_len, encode);
            }
            true
        })
        .unwrap_or(false);
    if !written && let Some(encode) = encode {
        emit_orphan(id, payload_len, encode);
    }
}

/// Writes one audit event: as [`emit`], but always `Block` on a full ring.
///
/// No event is ever emitted at `Level::Mute`, so its slot in the policy table
/// serves as the audit lane's, pinned to `Block` when the lane is created
/// whatever the configuration says.
#[inline(always)]
pub fn emit_audit<F: FnOnce(&mut Writer<'_>)>(id: u32, payload_len: usize, encode: F) {
    emit(id, Level::Mute, payload_len, encode)
}

fn audit_pinned_to_block(mut policy: [FullRingPolicy; 7]) -> [FullRingPolicy; 7] {
    policy[Level::Mute as usize] = FullRingPolicy::Block;
    policy
}

impl Lane {
    #[cold]
    fn register() -> Option<Lane> {
        let runtime = lifecycle::runtime()?;
        let (mut producer, consumer) = RingBuffer::new(runtime.ring_bytes);
        // Touch every page now, once: otherwise the first pass through the
        // ring page-faults on the hot path (~256 faults per MiB, each a few
        // µs). The chunk is dropped uncommitted, so nothing is published.
        if let Ok(mut chunk) = producer.write_chunk(producer.buffer().capacity()) {
            std::hint::black_box(chunk.as_mut_slices());
        }
        let thread_id = NEXT_THREAD_ID.fetch_add(1, Ordering::Relaxed);
        let thread_name = std::thread::current()
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("thread-{thread_id}"));
        let shared = Arc::new(LaneShared {
            thread_name: Cow::Owned(thread_name),
            thread_id,
            overflow: Mutex::new(VecDeque::new()),
            closed: AtomicBool::new(false),
            capture_scope: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
        });
        runtime.register_lane(LaneHandle {
            consumer,
            shared: shared.clone(),
        });
        stats::LANES_REGISTERED.fetch_add(1, Ordering::Relaxed);
        Some(Lane {
            capacity: producer.buffer().capacity(),
            producer,
            clock: crate::clock::anchor().clock().clone(),
            policy: audit_pinned_to_block(runtime.full_ring),
            shared,
        })
    }

    #[inline(always)]
    fn write<F: FnOnce(&mut Writer<'_>)>(
        &mut self,
        id: u32,
        level: Level,
        payload_len: usize,
        encode: F,
    ) {
        let tsc = self.clock.raw();
        let total = HEADER_LEN + payload_len;
        if total > self.capacity {
            return self.write_oversized(id, level, tsc, payload_len, encode);
        }
        if let Ok(chunk) = self.producer.write_chunk(total) {
            return fill(chunk, id, total, tsc, encode);
        }
        if !self.make_room(total, level) {
            return;
        }
        match self.producer.write_chunk(total) {
            Ok(chunk) => fill(chunk, id, total, tsc, encode),
            // Unreachable: only this thread writes, so the room make_room
            // found cannot shrink. Counted rather than panicking.
            Err(_) => stats::count_drop(DropReason::RingFull),
        }
    }

    /// Applies the full-ring policy. True when `total` bytes are now free.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, total: usize, level: Level) -> bool {
        if self.policy[level as usize] == FullRingPolicy::DropNewest {
            stats::count_drop(DropReason::RingFull);
            return false;
        }
        // Spin briefly (the backend is usually mid-pass), then yield a few
        // times, then sleep in growing steps: on a machine with few cores a
        // blocked caller must not take the CPU the backend needs to drain.
        let mut round = 0u32;
        loop {
            if self.producer.slots() >= total {
                return true;
            }
            if self.producer.is_abandoned() || !lifecycle::backend_alive() {
                stats::count_drop(DropReason::AfterShutdown);
                return false;
            }
            round += 1;
            match round {
                0..=100 => std::hint::spin_loop(),
                101..=110 => {
                    lifecycle::wake_backend();
                    std::thread::yield_now();
                }
                _ => {
                    lifecycle::wake_backend();
                    let micros = (round - 110).min(20) as u64 * 10;
                    std::thread::sleep(std::time::Duration::from_micros(micros));
                }
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn write_oversized<F: FnOnce(&mut Writer<'_>)>(
        &mut self,
        id: u32,
        level: Level,
        tsc: u64,
        payload_len: usize,
        encode: F,
    ) {
        let total = HEADER_LEN + payload_len;
        let record = encode_to_vec(total, |w| {
            w.put_header(id, total, tsc);
            encode(w);
        });
        if self.producer.write_chunk(HEADER_LEN).is_err() && !self.make_room(HEADER_LEN, level) {
            return;
        }
        let Ok(mut chunk) = self.producer.write_chunk(HEADER_LEN) else {
            return stats::count_drop(DropReason::RingFull);
        };
        // The record is queued before its marker is committed, so the
        // backend always finds it when it reads the marker.
        self.shared
            .overflow
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(record);
        stats::OVERSIZED.fetch_add(1, Ordering::Relaxed);
        let (first, second) = chunk.as_mut_slices();
        let mut w = Writer::new(first, second);
        w.put_header(OVERSIZE_MARKER, HEADER_LEN, tsc);
        chunk.commit_all();
    }
}

/// Writes header and payload into a reserved chunk and publishes it.
#[inline(always)]
fn fill<F: FnOnce(&mut Writer<'_>)>(
    mut chunk: rtrb::chunks::WriteChunk<'_, u8>,
    id: u32,
    total: usize,
    tsc: u64,
    encode: F,
) {
    let (first, second) = chunk.as_mut_slices();
    let mut w = Writer::new(first, second);
    w.put_header(id, total, tsc);
    encode(&mut w);
    debug_assert_eq!(w.position(), total, "encoded_len disagrees with encode");
    chunk.commit_all();
}

#[cold]
#[inline(never)]
fn emit_orphan<F: FnOnce(&mut Writer<'_>)>(id: u32, payload_len: usize, encode: F) {
    let Some(runtime) = lifecycle::runtime() else {
        return stats::count_drop(DropReason::AfterShutdown);
    };
    let tsc = crate::clock::anchor().now_raw();
    let total = HEADER_LEN + payload_len;
    let record = encode_to_vec(total, |w| {
        w.put_header(id, total, tsc);
        encode(w);
    });
    runtime.push_orphan(record);
}
