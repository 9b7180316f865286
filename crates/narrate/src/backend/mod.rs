//! The backend thread: drains every ring, merges by timestamp, decodes,
//! formats and writes.
//!
//! # The merge
//!
//! Each ring is in timestamp order on its own (one thread, a monotonic TSC).
//! Across rings the backend does a k-way merge on the ring heads: it peeks
//! the header of each ring, repeatedly takes the record with the smallest
//! timestamp, and processes it in place. Records stay in their ring until
//! written, so the merge needs no buffer of its own.
//!
//! A record with timestamp `t` is only written once `t <= now - window`
//! (default 100 µs): a thread that read the clock before `t` but has not
//! committed yet gets that long to do so. The order is exact whenever every
//! enqueue finishes within the window, which is all of them unless a thread
//! is preempted between reading the clock and committing. `flush()` and
//! shutdown drain with no window.
//!
//! The head scan is linear in the number of rings; with the tens of threads a
//! service typically has that is cheaper than a heap.
//!
//! # Buffers
//!
//! The backend reuses everything: one output buffer per format, one scratch
//! buffer for records that wrap the end of their ring, one slot vector for
//! decoding. After warm-up an event costs no allocation here either.
//!
//! # Sinks that misbehave, files touched from outside
//!
//! Every sink call goes through [`SinkSlot::call`]: a `catch_unwind` (free
//! unless something panics) that counts and reports a panic and disables the
//! sink after `sink_panic_limit` of them, and disables a sink whose pipe was
//! closed. Three small hooks, each a compare per round when idle:
//! `reopen_requested` ([`crate::reopen`]) makes the round flush and reopen
//! every sink before it merges; every [`MAINTENANCE_INTERVAL`] the sinks'
//! `maintain` runs (file sinks look for their file moved, deleted or
//! truncated); and notices sinks posted ([`crate::sinks::notice`]) are
//! written in-band after the pass, like drop reports.

pub mod decode;

use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering::{self, Relaxed};
use std::time::Duration;

use crate::callsite::{Callsite, Kind, Metadata, Piece};
use crate::clock::Anchor;
use crate::encode::{Encode, HEADER_LEN, encode_to_vec};
use crate::event::Event;
use crate::format::{Formatter, Style};
use crate::level::Level;
use crate::lifecycle::Runtime;
use crate::metrics::SinkCounters;
use crate::ring::{LaneHandle, LaneShared, OVERSIZE_MARKER};
use crate::sinks::Sink;
use crate::sinks::notice::{self, Notice, NoticeKind};
use crate::stages::redact::RedactStage;
use crate::stats;
use decode::{Fields, Slot, decode_slots};

/// A sink as the backend drives it.
pub(crate) struct SinkSlot {
    pub sink: Box<dyn Sink>,
    pub style: Style,
    pub min_level: Level,
    pub takes: crate::config::Takes,
    pub dirty: bool,
    /// Bytes, writes, errors and write time, for [`crate::metrics`].
    pub metrics: std::sync::Arc<crate::metrics::SinkCounters>,
    /// For notices: `stdout`, a file path, `custom#2`.
    pub name: String,
    panics: u32,
    disabled: bool,
}

impl SinkSlot {
    pub fn new(
        sink: Box<dyn Sink>,
        style: Style,
        min_level: Level,
        takes: crate::config::Takes,
        name: String,
        metrics_name: String,
    ) -> SinkSlot {
        SinkSlot {
            sink,
            style,
            min_level,
            takes,
            dirty: false,
            metrics: crate::metrics::SinkCounters::named(metrics_name),
            name,
            panics: 0,
            disabled: false,
        }
    }

    /// Runs one call on the sink: errors counted, a panic caught, counted
    /// and reported (the sink disabled at `panic_limit`), a closed pipe
    /// disabling the sink. Does nothing once the sink is disabled. False
    /// when the call failed or panicked.
    fn call(
        &mut self,
        panic_limit: u32,
        call: impl FnOnce(&mut dyn Sink) -> io::Result<()>,
    ) -> bool {
        if self.disabled {
            return true;
        }
        let sink = &mut *self.sink;
        match std::panic::catch_unwind(AssertUnwindSafe(|| call(sink))) {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                stats::SINK_ERRORS.fetch_add(1, Relaxed);
                if e.kind() == io::ErrorKind::BrokenPipe {
                    self.disable("its output was closed (broken pipe); no longer written to");
                }
                false
            }
            Err(payload) => {
                self.panicked(payload, panic_limit);
                false
            }
        }
    }

    #[cold]
    fn panicked(&mut self, payload: Box<dyn std::any::Any + Send>, panic_limit: u32) {
        self.panics += 1;
        stats::SINK_PANICS.fetch_add(1, Relaxed);
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        notice::post(
            NoticeKind::Panicked,
            &self.name,
            format!(
                "panicked ({} of {panic_limit} allowed): {message}",
                self.panics
            ),
            u64::from(self.panics),
        );
        if self.panics >= panic_limit {
            self.disable("disabled after too many panics; the other sinks keep writing");
        }
    }

    #[cold]
    fn disable(&mut self, why: &str) {
        self.disabled = true;
        self.dirty = false;
        stats::SINKS_DISABLED.fetch_add(1, Relaxed);
        notice::post(NoticeKind::Disabled, &self.name, why.to_owned(), 0);
    }
}

/// How often the sinks' `maintain` runs (file checks decide their own,
/// longer interval inside it).
const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(10);

/// Most events written in one merge pass before the backend looks at flush
/// requests, new lanes and drop counters again (a few hundred µs of work).
const PASS_LIMIT: usize = 4096;

/// How a merge pass ended.
enum Pass {
    /// No head is eligible: every ring is empty or (draining) past `now`.
    Empty(usize),
    /// Heads remain but are younger than the merge window.
    HeldBack(usize),
    /// Stopped at `PASS_LIMIT`; more may be ready.
    Limited(usize),
}

impl Pass {
    fn written(&self) -> usize {
        match *self {
            Pass::Empty(n) | Pass::HeldBack(n) | Pass::Limited(n) => n,
        }
    }
}

#[derive(Clone, Copy)]
struct Head {
    id: u32,
    len: usize,
    tsc: u64,
}

struct LaneState {
    handle: LaneHandle,
    head: Option<Head>,
}

/// Everything an event passes through after it leaves its ring.
struct Pipeline {
    anchor: &'static Anchor,
    redact: Option<RedactStage>,
    callsites: Vec<&'static Callsite>,
    sinks: Vec<SinkSlot>,
    formatter: Formatter,
    lines: [Vec<u8>; Style::COUNT],
    slots: Vec<Slot>,
    /// Spans and per-thread scope stacks (crate::span).
    scopes: crate::span::Scopes,
    sink_panic_limit: u32,
}

pub(crate) struct Backend {
    lanes: Vec<LaneState>,
    scratch: Vec<u8>,
    pipeline: Pipeline,
    reported_drops: [u64; 2],
    flush_done: u64,
    sample: Option<crate::stages::sample::SampleStage>,
    sample_out: Vec<u8>,
    ring_bytes: u64,
    reopen_done: u64,
    next_maintenance: u64,
    notices: Vec<Notice>,
}

static DROP_REPORT: Callsite = Callsite::new(Metadata {
    level: Level::Warn,
    kind: crate::callsite::Kind::Event,
    actor: "narrate",
    action: "dropped",
    template: "dropped {dropped} events since the last report ({reason})",
    pieces: &[
        Piece::Literal("dropped "),
        Piece::Field(0),
        Piece::Literal(" events since the last report ("),
        Piece::Field(1),
        Piece::Literal(")"),
    ],
    fields: &["dropped", "reason", "dropped_total"],
    target: None,
    correlation_id: None,
    cute: None,
    story: None,
    module_path: "narrate::backend",
    file: file!(),
    line: line!(),
});

impl Backend {
    pub fn new(sinks: Vec<SinkSlot>, redactor: Option<narrate_redact::Redactor>) -> Backend {
        Backend {
            lanes: Vec::new(),
            scratch: Vec::with_capacity(64 * 1024),
            pipeline: Pipeline {
                anchor: crate::clock::anchor(),
                redact: redactor.map(RedactStage::new),
                callsites: Vec::with_capacity(256),
                sinks,
                formatter: Formatter::default(),
                lines: std::array::from_fn(|_| Vec::with_capacity(4096)),
                slots: Vec::with_capacity(32),
                scopes: crate::span::Scopes::default(),
                sink_panic_limit: 3,
            },
            reported_drops: [0; 2],
            flush_done: 0,
            sample: crate::stages::sample::SampleStage::new(crate::clock::anchor()),
            sample_out: Vec::new(),
            ring_bytes: 0,
            reopen_done: 0,
            next_maintenance: 0,
            notices: Vec::new(),
        }
    }

    /// The backend thread's body; returns after `shutdown`.
    pub fn run(mut self, rt: &'static Runtime) {
        let anchor = self.pipeline.anchor;
        let window = anchor.ticks_for_nanos(rt.merge_window.as_nanos() as u64);
        let maintenance = anchor.ticks_for_nanos(MAINTENANCE_INTERVAL.as_nanos() as u64);
        self.pipeline.sink_panic_limit = rt.sink_panic_limit;
        let mut idle = 0u32;
        loop {
            let stopping = rt.stop.load(Ordering::Acquire);
            let flush_requested = rt.flush_requested.load(Ordering::Acquire);
            // Loaded after `flush_requested`: `reopen()` bumps it before
            // taking its flush ticket, so the round serving that ticket
            // sees the request.
            let reopen_requested = rt.reopen_requested.load(Ordering::Acquire);
            if reopen_requested != self.reopen_done {
                self.reopen_done = reopen_requested;
                self.reopen_sinks();
            }
            rt.take_new_lanes(|handle| {
                crate::metrics::lane_opened(&handle.shared);
                self.lanes.push(LaneState { handle, head: None })
            });
            let draining = stopping || flush_requested > self.flush_done;
            let now = anchor.now_raw();
            let orphans = self.drain_orphans(rt);
            let pass = self.merge(now, now.saturating_sub(window), draining);
            self.report_drops();
            self.sample_round(rt, now);
            if now >= self.next_maintenance {
                self.next_maintenance = now.saturating_add(maintenance);
                self.maintain_sinks();
            }
            let notices = self.write_notices();
            self.retire_closed_lanes();
            let written = orphans + notices + pass.written();
            if draining {
                if let Pass::Limited(_) = pass {
                    continue; // more to drain before the flush is complete
                }
                self.flush_sinks();
                if flush_requested > self.flush_done {
                    self.flush_done = flush_requested;
                    rt.complete_flush(flush_requested);
                }
                if stopping && written == 0 && self.lanes.iter().all(|l| l.head.is_none()) {
                    // The last suppressed counts, so the log says what it
                    // left out up to the end.
                    if let Some(stage) = &mut self.sample {
                        stage.report_now();
                        self.sample_round(rt, now);
                    }
                    break;
                }
                continue;
            }
            if written > 0 {
                idle = 0;
                continue;
            }
            if let Pass::HeldBack(_) = pass {
                // Records are waiting out the merge window: come back soon,
                // without flushing the sinks or backing off.
                std::thread::park_timeout(Duration::from_micros(20));
                continue;
            }
            // Nothing to do. A producer between two commits is back within
            // microseconds, so first sleep briefly without writing; only a
            // backend that stays idle writes its buffers out (one write per
            // idle period, not one per gap between bursts) and sleeps longer.
            idle = idle.saturating_add(1);
            if idle <= 3 {
                std::thread::park_timeout(Duration::from_micros(20));
            } else {
                if idle == 4 {
                    self.flush_sinks();
                }
                std::thread::park_timeout(rt.idle_sleep);
            }
        }
        self.flush_sinks();
    }

    /// Takes `handle` as a lane and drains every lane completely, as a flush
    /// would; returns the events processed. For `narrate::profile`, which
    /// runs a backend over prefilled rings to time its per-event loop.
    pub(crate) fn drain_lane_for_profile(&mut self, handle: LaneHandle) -> usize {
        self.lanes.push(LaneState { handle, head: None });
        let mut total = 0;
        loop {
            let pass = self.merge(u64::MAX, u64::MAX, true);
            total += pass.written();
            if let Pass::Empty(_) = pass {
                break;
            }
        }
        self.lanes.clear();
        total
    }

    /// One k-way merge pass over the ring heads.
    ///
    /// A head is written when it is the oldest of all heads and either every
    /// lane has a head (nothing can still arrive earlier than it) or it is
    /// older than `window_cutoff` (an empty lane had `merge_window` to commit
    /// anything earlier). When draining, everything up to `now` goes.
    fn merge(&mut self, now: u64, window_cutoff: u64, draining: bool) -> Pass {
        let mut high_water = stats::RING_HIGH_WATER.load(Relaxed);
        let mut fill = 0u64;
        let mut oldest = u64::MAX;
        for lane in &mut self.lanes {
            if lane.head.is_none() {
                lane.head = peek(lane);
            }
            let waiting = lane.handle.consumer.slots() as u64;
            fill = fill.max(waiting);
            if waiting > lane.handle.shared.high_water.load(Relaxed) {
                lane.handle.shared.high_water.store(waiting, Relaxed);
            }
            if let Some(h) = lane.head {
                oldest = oldest.min(h.tsc);
            }
        }
        high_water = high_water.max(fill);
        stats::RING_HIGH_WATER.store(high_water, Relaxed);
        stats::RING_FILL.store(fill, Relaxed);
        let lag = if oldest == u64::MAX {
            0
        } else {
            now.saturating_sub(oldest)
        };
        stats::BACKEND_LAG_TICKS.store(lag, Relaxed);
        let mut written = 0;
        loop {
            if written == PASS_LIMIT {
                return Pass::Limited(written);
            }
            let mut best: Option<(usize, u64)> = None;
            let mut some_lane_empty = false;
            for (i, lane) in self.lanes.iter().enumerate() {
                match lane.head {
                    Some(h) if best.is_none_or(|(_, t)| h.tsc < t) => best = Some((i, h.tsc)),
                    Some(_) => {}
                    None => some_lane_empty = true,
                }
            }
            let Some((i, tsc)) = best else {
                return Pass::Empty(written);
            };
            let eligible = if draining {
                tsc <= now
            } else {
                !some_lane_empty || tsc <= window_cutoff
            };
            if !eligible {
                return if draining {
                    Pass::Empty(written)
                } else {
                    Pass::HeldBack(written)
                };
            }
            if written % 256 == 0 {
                // Not per record: the samplers' callers read this line, and
                // a store per record would bounce it between their cores and
                // ours on every kept event. Once per 256 keeps it moving
                // while a slow sink stretches a pass.
                crate::sampling::tick(tsc);
            }
            self.consume_head(i);
            written += 1;
            let lane = &mut self.lanes[i];
            lane.head = peek(lane);
        }
    }

    fn consume_head(&mut self, i: usize) {
        let Backend {
            lanes,
            scratch,
            pipeline,
            ..
        } = self;
        let lane = &mut lanes[i];
        let Some(head) = lane.head.take() else { return };
        let Ok(chunk) = lane.handle.consumer.read_chunk(head.len) else {
            return;
        };
        let (first, second) = chunk.as_slices();
        if head.id == OVERSIZE_MARKER {
            let record = lane
                .handle
                .shared
                .overflow
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            if let Some(record) = record {
                pipeline.process(&record, &lane.handle.shared);
            }
        } else if second.is_empty() {
            pipeline.process(first, &lane.handle.shared);
        } else {
            scratch.clear();
            scratch.extend_from_slice(first);
            scratch.extend_from_slice(second);
            pipeline.process(scratch, &lane.handle.shared);
        }
        chunk.commit_all();
    }

    fn drain_orphans(&mut self, rt: &Runtime) -> usize {
        let mut n = 0;
        rt.take_orphans(|record| {
            self.pipeline.process(&record, &ORPHAN_LANE);
            n += 1;
        });
        n
    }

    fn retire_closed_lanes(&mut self) {
        self.lanes.retain_mut(|lane| {
            // `closed` is stored after the lane's last commit, so once it
            // reads true (Acquire) an empty ring stays empty.
            if !lane.handle.shared.closed.load(Ordering::Acquire) {
                return true;
            }
            if lane.head.is_none() {
                lane.head = peek(lane);
            }
            if lane.head.is_none() {
                crate::metrics::lane_closed(&lane.handle.shared);
            }
            lane.head.is_some()
        });
    }

    /// Writes an in-band event for drops counted since the last report.
    fn report_drops(&mut self) {
        let totals = [
            stats::DROPPED_RING_FULL.load(Relaxed),
            stats::DROPPED_AFTER_SHUTDOWN.load(Relaxed),
        ];
        for (k, reason) in [
            stats::DropReason::RingFull,
            stats::DropReason::AfterShutdown,
        ]
        .into_iter()
        .enumerate()
        {
            let delta = totals[k] - self.reported_drops[k];
            if delta == 0 {
                continue;
            }
            self.reported_drops[k] = totals[k];
            let id = crate::callsite::id_of(&DROP_REPORT);
            let tsc = self.pipeline.anchor.now_raw();
            let (a, b, c) = (delta, reason.as_str(), totals[k]);
            let len = HEADER_LEN + a.encoded_len() + b.encoded_len() + c.encoded_len();
            // Drops are rare and already a degraded state; this one
            // allocation is not on the steady-state path.
            let record = encode_to_vec(len, |w| {
                w.put_header(id, len, tsc);
                a.encode(w);
                b.encode(w);
                c.encode(w);
            });
            self.pipeline.process(&record, &BACKEND_LANE);
            stats::DROP_REPORTS.fetch_add(1, Relaxed);
            // Counted as a report, not as a user event.
            stats::EVENTS_WRITTEN.fetch_sub(1, Relaxed);
            stats::EVENTS_READ.fetch_sub(1, Relaxed);
        }
    }

    /// Sampling's backend half: adaptive control and suppressed reports.
    fn sample_round(&mut self, rt: &Runtime, now: u64) {
        let Some(stage) = &mut self.sample else {
            return;
        };
        self.ring_bytes = rt.ring_bytes as u64;
        let load = crate::stages::sample::Load {
            fill_bytes: stats::RING_FILL.load(Relaxed),
            ring_bytes: self.ring_bytes,
            lag_ticks: stats::BACKEND_LAG_TICKS.load(Relaxed),
        };
        let mut out = std::mem::take(&mut self.sample_out);
        out.clear();
        stage.round(now, load, &mut self.pipeline.callsites, &mut out);
        let mut rest = &out[..];
        while rest.len() >= HEADER_LEN {
            let len = u32::from_le_bytes(rest[4..8].try_into().unwrap_or_default()) as usize;
            let (record, tail) = rest.split_at(len.clamp(HEADER_LEN, rest.len()));
            self.pipeline.process(record, &BACKEND_LANE);
            // Counted as a report, not as a user event.
            stats::EVENTS_WRITTEN.fetch_sub(1, Relaxed);
            stats::EVENTS_READ.fetch_sub(1, Relaxed);
            rest = tail;
        }
        self.sample_out = out;
    }

    fn flush_sinks(&mut self) {
        let limit = self.pipeline.sink_panic_limit;
        for slot in &mut self.pipeline.sinks {
            if slot.dirty {
                slot.dirty = false;
                if !slot.call(limit, |sink| sink.flush()) {
                    // It may still hold data (a network sink waiting to
                    // reconnect): flush it again next time.
                    slot.dirty = true;
                    SinkCounters::add(&slot.metrics.errors, 1);
                }
            }
        }
    }

    /// Serves [`crate::reopen`]: everything processed so far goes to the
    /// old files, then every sink reopens.
    #[cold]
    fn reopen_sinks(&mut self) {
        self.flush_sinks();
        let limit = self.pipeline.sink_panic_limit;
        for slot in &mut self.pipeline.sinks {
            slot.call(limit, |sink| sink.reopen());
        }
    }

    fn maintain_sinks(&mut self) {
        let limit = self.pipeline.sink_panic_limit;
        for slot in &mut self.pipeline.sinks {
            slot.call(limit, |sink| {
                sink.maintain();
                Ok(())
            });
        }
    }

    /// Writes the notices sinks posted as events; returns how many.
    fn write_notices(&mut self) -> usize {
        notice::take(&mut self.notices);
        if self.notices.is_empty() {
            return 0;
        }
        let mut notices = std::mem::take(&mut self.notices);
        let written = notices.len();
        for n in notices.drain(..) {
            let id = crate::callsite::id_of(n.kind.callsite());
            let tsc = self.pipeline.anchor.now_raw();
            let (a, b, c) = (n.sink.as_str(), n.message.as_str(), n.count);
            let len = HEADER_LEN + a.encoded_len() + b.encoded_len() + c.encoded_len();
            // Notices are rare (something went wrong with a sink): this
            // allocation is off the steady-state path.
            let record = encode_to_vec(len, |w| {
                w.put_header(id, len, tsc);
                a.encode(w);
                b.encode(w);
                c.encode(w);
            });
            self.pipeline.process(&record, &BACKEND_LANE);
            // Counted as a notice, not as a user event.
            stats::EVENTS_WRITTEN.fetch_sub(1, Relaxed);
            stats::EVENTS_READ.fetch_sub(1, Relaxed);
        }
        self.notices = notices;
        written
    }
}

/// Stage timing for one event: `clock` is `None` when it is not timed.
struct Laps {
    clock: Option<&'static Anchor>,
    t: u64,
}

impl Laps {
    /// Adds the time since the last lap to `stage`; returns it in ticks.
    #[inline(always)]
    fn lap(&mut self, stage: usize) -> u64 {
        let Some(a) = self.clock else { return 0 };
        let now = a.now_raw();
        let ticks = now.saturating_sub(self.t);
        SinkCounters::add(&crate::metrics::STAGE_TICKS[stage], ticks);
        self.t = now;
        ticks
    }
}

static ORPHAN_LANE: LaneShared = LaneShared::named("unknown", 0);
static BACKEND_LANE: LaneShared = LaneShared::named("narrate-backend", 0);

fn peek(lane: &mut LaneState) -> Option<Head> {
    let consumer = &mut lane.handle.consumer;
    let mut header = [0u8; HEADER_LEN];
    {
        let chunk = consumer.read_chunk(HEADER_LEN).ok()?;
        let (a, b) = chunk.as_slices();
        header[..a.len()].copy_from_slice(a);
        header[a.len()..].copy_from_slice(b);
        // Dropped without commit: peeking consumes nothing.
    }
    let id = u32::from_le_bytes(header[0..4].try_into().ok()?);
    let len = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
    let tsc = u64::from_le_bytes(header[8..16].try_into().ok()?);
    Some(Head {
        id,
        len: len.max(HEADER_LEN),
        tsc,
    })
}

impl Pipeline {
    fn callsite(&mut self, id: u32) -> Option<&'static Callsite> {
        let index = (id as usize).checked_sub(1)?;
        if index >= self.callsites.len() {
            crate::callsite::sync_callsites(&mut self.callsites);
        }
        self.callsites.get(index).copied()
    }

    /// Decodes, formats and writes one record (header included).
    fn process(&mut self, record: &[u8], lane: &LaneShared) {
        let id = u32::from_le_bytes(record[0..4].try_into().unwrap_or_default());
        if id == crate::testing::SCOPE_MARKER {
            // Only real lanes carry scopes: orphan records mix threads.
            if lane.thread_id != 0 {
                let scope = crate::testing::marker_scope(&record[HEADER_LEN..]);
                lane.capture_scope.store(scope, Relaxed);
            }
            return;
        }
        // The backend is the only writer of these counters: a load and a
        // store, not a locked read-modify-write, per event.
        let read = stats::EVENTS_READ.load(Relaxed) + 1;
        stats::EVENTS_READ.store(read, Relaxed);
        // Stage times for `narrate::metrics`, on one event in TIMING_PERIOD
        // (see there); `clock` is None on the others.
        let clock = read
            .is_multiple_of(crate::metrics::TIMING_PERIOD)
            .then_some(self.anchor);
        let mut laps = Laps {
            clock,
            t: clock.map_or(0, |a| a.now_raw()),
        };
        let tsc = u64::from_le_bytes(record[8..16].try_into().unwrap_or_default());
        let Some(callsite) = self.callsite(id) else {
            return;
        };
        let meta = callsite.metadata();
        let payload = &record[HEADER_LEN..];
        if matches!(meta.kind, Kind::Span | Kind::Scope) {
            // Span and context bookkeeping (crate::span): replayed, not written.
            return self.scopes.apply(callsite, payload, lane.thread_id);
        }
        decode_slots(meta, payload, &mut self.slots);
        laps.lap(0);
        let fields = match &mut self.redact {
            Some(stage) => {
                stage.apply(id, meta, payload, &mut self.slots);
                Fields::with_rewrites(payload, stage.rewritten(), &self.slots)
            }
            None => Fields::new(payload, &self.slots),
        };
        laps.lap(1);
        let event = Event {
            meta,
            callsite_id: id,
            timestamp_ns: self.anchor.unix_nanos(tsc),
            thread_name: &lane.thread_name,
            thread_id: lane.thread_id,
            fields,
            scope: self.scopes.view(lane.thread_id),
        };
        let mut rendered = [false; Style::COUNT];
        let limit = self.sink_panic_limit;
        for slot in &mut self.sinks {
            if meta.level < slot.min_level || slot.disabled || !slot.takes.accepts(meta.kind) {
                continue;
            }
            if slot.takes == crate::config::Takes::Audit {
                // The audit file encodes the event itself: no text line.
                slot.dirty = true;
                slot.call(limit, |sink| sink.write(&event, &[]));
                continue;
            }
            let style = slot.style as usize;
            if !rendered[style] {
                self.lines[style].clear();
                self.formatter
                    .format(slot.style, &event, &mut self.lines[style]);
                rendered[style] = true;
                laps.lap(2);
            }
            slot.dirty = true;
            let line = &self.lines[style];
            let failed = !slot.call(limit, |sink| sink.write(&event, line));
            let write_ticks = laps.lap(3);
            let m = &slot.metrics;
            SinkCounters::add(&m.bytes, line.len() as u64);
            SinkCounters::add(&m.writes, 1);
            if clock.is_some() {
                SinkCounters::add(&m.write_ticks, write_ticks);
                SinkCounters::add(&m.timed_writes, 1);
            }
            if failed {
                SinkCounters::add(&m.errors, 1);
            }
        }
        if clock.is_some() {
            SinkCounters::add(&crate::metrics::STAGE_SAMPLES, 1);
        }
        let scope = lane.capture_scope.load(Relaxed);
        if scope != 0 {
            let json = Style::Json as usize;
            if !rendered[json] {
                self.lines[json].clear();
                self.formatter
                    .format(Style::Json, &event, &mut self.lines[json]);
            }
            crate::testing::deliver(scope, &event, &self.lines[json]);
        }
        stats::EVENTS_WRITTEN.store(stats::EVENTS_WRITTEN.load(Relaxed) + 1, Relaxed);
    }
}
