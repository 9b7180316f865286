//! Self-measurement: the cost of one event, component by component.
//!
//! Each component of the journey is run on its own in a tight loop over the
//! same event (info, fields u64, f64 and a 16-byte `&str`, a 40-character
//! template) and timed with the TSC as a batch average. `narrate profile`
//! adds the end-to-end cost of the real pipeline beside these, so that the
//! difference (what the isolated loops do not explain: cache misses between
//! stages, the merge, branch mispredictions) is visible as its own row.
//!
//! Components measured in isolation run hotter than in the pipeline (their
//! code and data stay in cache), so the sum is a lower bound.

use std::hint::black_box;

use crate::backend::decode::{Fields, decode_slots};
use crate::callsite::{Callsite, Metadata, Piece};
use crate::clock::anchor;
use crate::encode::{Encode, HEADER_LEN, Writer};
use crate::event::Event;
use crate::format::escape::Mode;
use crate::format::{Formatter, Style};
use crate::level::Level;
use crate::sinks::FileWriter;
use crate::stages::redact::RedactStage;

/// Which thread pays for a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Caller,
    Backend,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Caller => "caller",
            Side::Backend => "backend",
        }
    }
}

/// The average cost of one component for one event.
#[derive(Debug, Clone)]
pub struct ComponentCost {
    pub name: &'static str,
    pub side: Side,
    pub ns_per_event: f64,
}

static PROFILE_CALLSITE: Callsite = Callsite::new(Metadata {
    level: Level::Info,
    kind: crate::callsite::Kind::Event,
    actor: "profile",
    action: "ship",
    template: "Order {order_id} shipped at {price} to {city}",
    pieces: &[
        Piece::Literal("Order "),
        Piece::Field(0),
        Piece::Literal(" shipped at "),
        Piece::Field(1),
        Piece::Literal(" to "),
        Piece::Field(2),
    ],
    fields: &["order_id", "price", "city"],
    target: None,
    correlation_id: None,
    cute: None,
    story: None,
    module_path: "narrate::profile",
    file: file!(),
    line: line!(),
});

const CITY: &str = "0123456789abcdef";

fn payload_len(i: u64) -> usize {
    i.encoded_len() + 1.5f64.encoded_len() + CITY.encoded_len()
}

fn encode_payload(w: &mut Writer<'_>, i: u64) {
    i.encode(w);
    (i as f64 * 0.5).encode(w);
    CITY.encode(w);
}

/// Times `f` over `n` calls in 10 chunks; returns ns per call of the
/// fastest chunk. On a shared machine a chunk that was preempted is slower,
/// never faster, so the minimum is the cost of the code itself; the real
/// pipeline's total is measured in CPU time, which excludes preemption too.
fn time_per_call(n: u64, mut f: impl FnMut(u64)) -> f64 {
    const CHUNKS: u64 = 10;
    let a = anchor();
    // Warm-up: code and data into cache, branch predictors trained.
    for i in 0..n.min(10_000) {
        f(i);
    }
    let per_chunk = (n / CHUNKS).max(1);
    let mut best = f64::MAX;
    let mut i = 0;
    for _ in 0..CHUNKS {
        let t0 = a.now_raw();
        for _ in 0..per_chunk {
            f(i);
            i += 1;
        }
        let t1 = a.now_raw();
        best = best.min(a.clock().delta_as_nanos(t0, t1) as f64 / per_chunk as f64);
    }
    best
}

/// A sink that discards: the backend's own per-event work, without I/O.
struct Discard;

impl crate::Sink for Discard {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> std::io::Result<()> {
        black_box(line);
        Ok(())
    }
}

/// ns per event of a real backend (merge, peek, decode, redact, format,
/// dispatch to a discarding JSON sink) draining rings prefilled with the
/// bench event. Fastest of `rounds`.
fn backend_per_event(record: &[u8], rounds: usize) -> std::io::Result<f64> {
    use crate::backend::{Backend, SinkSlot};
    let redactor = narrate_redact::Redactor::new(narrate_redact::RedactConfig::default())
        .map_err(std::io::Error::other)?;
    let mut backend = Backend::new(
        vec![SinkSlot::new(
            Box::new(Discard),
            Style::Json,
            Level::Trace,
            crate::config::Takes::Events,
            "profile".into(),
            "profile".into(),
        )],
        Some(redactor),
    );
    let clock = anchor().clock().clone();
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let (mut producer, consumer) = rtrb::RingBuffer::<u8>::new(1 << 20);
        let mut tsc = clock.raw();
        while let Ok(mut chunk) = producer.write_chunk(record.len()) {
            let (first, second) = chunk.as_mut_slices();
            let mut w = Writer::new(first, second);
            w.put(&record[..8]);
            w.put_u64(tsc);
            w.put(&record[HEADER_LEN..]);
            chunk.commit_all();
            tsc += 1;
        }
        let handle = crate::ring::LaneHandle {
            consumer,
            shared: std::sync::Arc::new(crate::ring::LaneShared::named("profile", 1)),
        };
        let t0 = clock.raw();
        let n = backend.drain_lane_for_profile(handle);
        let t1 = clock.raw();
        if n > 0 {
            best = best.min(clock.delta_as_nanos(t0, t1) as f64 / n as f64);
        }
    }
    Ok(if best == f64::MAX { 0.0 } else { best })
}

/// The minimal capture: a TSC read, a 64-byte copy into a 1 MiB ring and a
/// `Release` store of the write index, per event. No logger can do less.
pub fn minimal_capture_floor(n: u64) -> f64 {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let a = anchor();
    let clock = a.clock();
    let mut ring = vec![0u8; 1 << 20];
    let tail = AtomicUsize::new(0);
    let record = [0x5au8; 56];
    let mut pos = 0usize;
    let ns = time_per_call(n, |_| {
        let ts = clock.raw();
        ring[pos..pos + 8].copy_from_slice(&ts.to_le_bytes());
        ring[pos + 8..pos + 64].copy_from_slice(black_box(&record));
        pos = (pos + 64) & ((1 << 20) - 1);
        tail.store(pos, Ordering::Release);
    });
    black_box(&ring);
    ns
}

/// One event's journey, stage by stage, each runnable on its own: the
/// state every stage needs (a record, a private ring, decoded slots, a
/// formatter, a file) built once. `narrate profile` times these in loops;
/// the criterion microbenchmarks (`benches/stages.rs`) call the same methods.
pub struct Stages {
    clock: crate::clock::RawClock,
    record: Vec<u8>,
    producer: rtrb::Producer<u8>,
    consumer: rtrb::Consumer<u8>,
    slots: Vec<crate::backend::decode::Slot>,
    formatter: Formatter,
    redact: RedactStage,
    line: Vec<u8>,
    file: FileWriter,
    timestamp_ns: u64,
}

impl Stages {
    /// `work_dir` receives the file the write stage appends to.
    pub fn new(work_dir: &std::path::Path) -> std::io::Result<Stages> {
        crate::callsite::id_of(&PROFILE_CALLSITE);
        let a = anchor();
        let (producer, consumer) = rtrb::RingBuffer::<u8>::new(1 << 20);
        let mut stages = Stages {
            clock: a.clock().clone(),
            record: vec![0u8; HEADER_LEN + payload_len(0)],
            producer,
            consumer,
            slots: Vec::with_capacity(8),
            formatter: Formatter::default(),
            redact: RedactStage::new(
                narrate_redact::Redactor::new(narrate_redact::RedactConfig::default())
                    .map_err(std::io::Error::other)?,
            ),
            line: Vec::with_capacity(512),
            file: FileWriter::open(crate::FileSink::new(work_dir.join("profile-write.jsonl")))?,
            timestamp_ns: a.unix_nanos(a.now_raw()),
        };
        stages.encode(7);
        stages.decode();
        stages.format_json();
        Ok(stages)
    }

    /// Is the call site enabled? (one relaxed load and a branch)
    #[inline]
    pub fn level_gate(&self) -> Option<u32> {
        black_box(&PROFILE_CALLSITE).enabled_id()
    }

    #[inline]
    pub fn timestamp(&self) -> u64 {
        self.clock.raw()
    }

    /// Header and the three fields into the record buffer.
    #[inline]
    pub fn encode(&mut self, i: u64) {
        let total = self.record.len();
        let mut w = Writer::new(&mut self.record, &mut []);
        w.put_header(1, total, i);
        encode_payload(&mut w, i);
    }

    /// Reserve, copy and publish the record in the ring. False if full.
    #[inline]
    pub fn enqueue(&mut self) -> bool {
        let total = self.record.len();
        match self.producer.write_chunk(total) {
            Ok(mut chunk) => {
                let (first, second) = chunk.as_mut_slices();
                let split = first.len();
                first.copy_from_slice(&self.record[..split]);
                second.copy_from_slice(&self.record[split..]);
                chunk.commit_all();
                true
            }
            Err(_) => false,
        }
    }

    /// Peek the header, take the record, release its space. False if empty.
    #[inline]
    pub fn dequeue(&mut self) -> bool {
        let len = match self.consumer.read_chunk(HEADER_LEN) {
            Ok(head) => {
                let (first, second) = head.as_slices();
                let mut header = [0u8; HEADER_LEN];
                header[..first.len()].copy_from_slice(first);
                header[first.len()..].copy_from_slice(second);
                u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize
            }
            Err(_) => return false,
        };
        match self.consumer.read_chunk(len.max(HEADER_LEN)) {
            Ok(chunk) => {
                black_box(chunk.as_slices());
                chunk.commit_all();
                true
            }
            Err(_) => false,
        }
    }

    /// Field positions out of the record.
    #[inline]
    pub fn decode(&mut self) {
        decode_slots(
            PROFILE_CALLSITE.metadata(),
            &self.record[HEADER_LEN..],
            &mut self.slots,
        );
    }

    /// The decoded event, borrowing the record and slots only, so the
    /// formatter and line can be borrowed mutably beside it.
    fn event<'a>(
        record: &'a [u8],
        slots: &'a [crate::backend::decode::Slot],
        timestamp_ns: u64,
    ) -> Event<'a> {
        Event {
            meta: PROFILE_CALLSITE.metadata(),
            callsite_id: crate::callsite::id_of(&PROFILE_CALLSITE),
            timestamp_ns,
            thread_name: "profile",
            thread_id: 1,
            fields: Fields::new(&record[HEADER_LEN..], slots),
            scope: crate::span::ScopeView::EMPTY,
        }
    }

    /// The redaction stage over the event's values (the bench event holds
    /// no secret, so this is the cost of looking).
    #[inline]
    pub fn redact(&mut self) {
        let id = crate::callsite::id_of(&PROFILE_CALLSITE);
        self.redact.apply(
            id,
            PROFILE_CALLSITE.metadata(),
            &self.record[HEADER_LEN..],
            &mut self.slots,
        );
    }

    /// Sanitizing the event's text values as the formatter does while it
    /// writes them (control characters, invalid UTF-8, bidi and zero-width
    /// characters escaped): here the string field values and the thread name.
    #[inline]
    pub fn sanitize(&mut self) -> usize {
        let event = Self::event(&self.record, &self.slots, self.timestamp_ns);
        self.line.clear();
        for i in 0..event.fields.len() {
            if let crate::Value::Str(s) = event.fields.get(i) {
                crate::format::escape::escape_str(&mut self.line, s, Mode::Json);
            }
        }
        crate::format::escape::escape_str(&mut self.line, event.thread_name, Mode::Json);
        self.line.len()
    }

    /// The human text as the JSON format renders it (its sanitizing included).
    #[inline]
    pub fn render(&mut self) -> usize {
        let event = Self::event(&self.record, &self.slots, self.timestamp_ns);
        self.line.clear();
        self.formatter.human_json(&event, &mut self.line);
        self.line.len()
    }

    /// The whole JSON line (render included).
    #[inline]
    pub fn format_json(&mut self) -> usize {
        let event = Self::event(&self.record, &self.slots, self.timestamp_ns);
        self.line.clear();
        self.formatter.format(Style::Json, &event, &mut self.line);
        self.line.len()
    }

    /// Append the last formatted line to the buffered file sink.
    #[inline]
    pub fn write(&mut self) -> std::io::Result<()> {
        self.file.write_line(&self.line, self.timestamp_ns)
    }

    pub fn flush_file(&mut self) -> std::io::Result<()> {
        crate::Sink::flush(&mut self.file)
    }

    /// The JSON line last formatted.
    pub fn line(&self) -> &[u8] {
        &self.line
    }
}

/// The cost of each component of one event's journey, `n` iterations each.
/// `work_dir` receives a scratch file for the write component.
pub fn components(n: u64, work_dir: &std::path::Path) -> std::io::Result<Vec<ComponentCost>> {
    let mut out = Vec::new();
    let mut push = |name, side, ns| {
        out.push(ComponentCost {
            name,
            side,
            ns_per_event: ns,
        })
    };
    let mut st = Stages::new(work_dir)?;
    push(
        "level gate",
        Side::Caller,
        time_per_call(n, |_| {
            black_box(st.level_gate());
        }),
    );
    push(
        "timestamp",
        Side::Caller,
        time_per_call(n, |_| {
            black_box(st.timestamp());
        }),
    );
    push(
        "encode",
        Side::Caller,
        time_per_call(n, |i| st.encode(black_box(i))),
    );

    // The ring, both halves, in alternating batches so it never fills.
    let clock = anchor().clock().clone();
    let batch = 1_000u64;
    let rounds = (n / batch).max(1);
    // Fastest round of each, as in `time_per_call`.
    let (mut enq, mut deq) = (u64::MAX, u64::MAX);
    for _ in 0..rounds {
        let t0 = clock.raw();
        for _ in 0..batch {
            black_box(st.enqueue());
        }
        let t1 = clock.raw();
        for _ in 0..batch {
            black_box(st.dequeue());
        }
        let t2 = clock.raw();
        enq = enq.min(clock.delta_as_nanos(t0, t1));
        deq = deq.min(clock.delta_as_nanos(t1, t2));
    }
    push("enqueue", Side::Caller, enq as f64 / batch as f64);

    // Backend side.
    push("dequeue", Side::Backend, deq as f64 / batch as f64);
    push("decode", Side::Backend, time_per_call(n, |_| st.decode()));
    let redact_ns = time_per_call(n, |_| st.redact());
    push("redact", Side::Backend, redact_ns);
    // render, sanitize and format overlap in the code (the formatter
    // sanitizes as it writes), so they are timed as nested wholes and
    // reported as differences: the three rows add up to one JSON line.
    let sanitize = time_per_call(n, |_| {
        black_box(st.sanitize());
    });
    let render = time_per_call(n, |_| {
        black_box(st.render());
    });
    let json = time_per_call(n, |_| {
        black_box(st.format_json());
    });
    push(
        "render (without sanitize)",
        Side::Backend,
        (render - sanitize).max(0.0),
    );
    push("sanitize", Side::Backend, sanitize);
    push(
        "format (JSON, without render)",
        Side::Backend,
        (json - render).max(0.0),
    );
    // What a real backend spends per event beyond the stages above: the
    // merge over ring heads, peeking headers, building the event,
    // dispatching to sinks, counters.
    let decode_ns = time_per_call(n, |_| st.decode());
    let staged = deq as f64 / batch as f64 + decode_ns + json;
    let backend = backend_per_event(&st.record, 8)?;
    push(
        "backend loop (merge, dispatch)",
        Side::Backend,
        (backend - staged - redact_ns).max(0.0),
    );
    // Fewer iterations here: each one appends a line to a real file.
    let write = time_per_call(n.min(200_000), |_| {
        let _ = st.write();
    });
    st.flush_file()?;
    push("write (buffered file)", Side::Backend, write);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_is_measured() {
        let dir = std::env::temp_dir().join(format!("narrate-profile-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let costs = components(20_000, &dir).unwrap();
        let names: Vec<&str> = costs.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "level gate",
                "timestamp",
                "encode",
                "enqueue",
                "dequeue",
                "decode",
                "redact",
                "render (without sanitize)",
                "sanitize",
                "format (JSON, without render)",
                "backend loop (merge, dispatch)",
                "write (buffered file)"
            ]
        );
        assert!(
            costs
                .iter()
                .all(|c| c.ns_per_event.is_finite() && c.ns_per_event >= 0.0)
        );
        let written = std::fs::read_to_string(dir.join("profile-write.jsonl")).unwrap();
        let first: &str = written.lines().next().unwrap();
        assert!(
            first.contains("\"human\":\"Order 19999 shipped at 9999.5 to 0123456789abcdef\""),
            "{first}"
        );
        assert!(minimal_capture_floor(20_000) > 0.0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
