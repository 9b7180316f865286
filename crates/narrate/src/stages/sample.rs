//! The backend's half of sampling: the coarse clock, in-band suppressed
//! reports and the adaptive controller. The caller's half (the decision) is
//! [`crate::sampling`].
//!
//! Runs once per backend round, after the merge pass. The report and the
//! controller look at the clock first and return at once unless their
//! interval has passed, so a round costs a couple of comparisons.
//!
//! Both write events of their own (`actor = "narrate"`, never sampled):
//!
//! * `action = "suppressed"`: "N events like this suppressed in the last
//!   interval", one per call site that suppressed anything, with the call
//!   site's template, file and line as fields;
//! * `action = "sampling"`: every change of the adaptive rate, with the ring
//!   fill and lag that caused it.
//!
//! Those records are appended to one reusable buffer, so reporting allocates
//! nothing once the buffer has grown.

use crate::callsite::{Callsite, Metadata, Piece};
use crate::clock::Anchor;
use crate::encode::{Encode, HEADER_LEN, Writer};
use crate::level::Level;
use crate::sampling::{self, Adaptive};

pub(crate) static SUPPRESSED_REPORT: Callsite = Callsite::new(Metadata {
    level: Level::Info,
    kind: crate::callsite::Kind::Event,
    actor: "narrate",
    action: "suppressed",
    template: "{suppressed} events like this suppressed in the last {interval_ms} ms: {like}",
    pieces: &[
        Piece::Field(0),
        Piece::Literal(" events like this suppressed in the last "),
        Piece::Field(1),
        Piece::Literal(" ms: "),
        Piece::Field(2),
    ],
    fields: &[
        "suppressed",
        "interval_ms",
        "like",
        "like_actor",
        "like_action",
        "like_file",
        "like_line",
        "suppressed_total",
    ],
    target: None,
    correlation_id: None,
    cute: None,
    story: None,
    module_path: "narrate::stages::sample",
    file: file!(),
    line: line!(),
});

pub(crate) static RATE_CHANGE: Callsite = Callsite::new(Metadata {
    level: Level::Warn,
    kind: crate::callsite::Kind::Event,
    actor: "narrate",
    action: "sampling",
    template: "adaptive sampling {direction}: keeping 1 in {keep_one_in} sampleable events (ring {fill_pct}% full, lag {lag_us} µs)",
    pieces: &[
        Piece::Literal("adaptive sampling "),
        Piece::Field(0),
        Piece::Literal(": keeping 1 in "),
        Piece::Field(1),
        Piece::Literal(" sampleable events (ring "),
        Piece::Field(2),
        Piece::Literal("% full, lag "),
        Piece::Field(3),
        Piece::Literal(" µs)"),
    ],
    fields: &["direction", "keep_one_in", "fill_pct", "lag_us", "step"],
    target: None,
    correlation_id: None,
    cute: None,
    story: None,
    module_path: "narrate::stages::sample",
    file: file!(),
    line: line!(),
});

/// What the backend measured this round, for the controller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    /// Bytes waiting in the fullest ring.
    pub fill_bytes: u64,
    /// Capacity of one ring.
    pub ring_bytes: u64,
    /// Age of the oldest waiting event, in ticks.
    pub lag_ticks: u64,
}

struct Controller {
    settings: Adaptive,
    step_ticks: u64,
    lag_ticks: u64,
    last_change: u64,
}

pub(crate) struct SampleStage {
    interval_ticks: u64,
    interval_ms: u64,
    next_report: u64,
    /// Suppressed counts already reported, by call-site id - 1.
    reported: Vec<u64>,
    controller: Option<Controller>,
}

impl SampleStage {
    /// `None` when sampling is not configured: the backend skips the stage.
    pub fn new(anchor: &Anchor) -> Option<SampleStage> {
        let sampling = sampling::installed()?;
        let now = anchor.now_raw();
        let interval_ticks = anchor
            .ticks_for_nanos(sampling.report_interval.as_nanos() as u64)
            .max(1);
        Some(SampleStage {
            interval_ticks,
            interval_ms: sampling.report_interval.as_millis() as u64,
            next_report: now + interval_ticks,
            reported: Vec::new(),
            controller: sampling.adaptive.map(|settings| Controller {
                step_ticks: anchor.ticks_for_nanos(settings.step.as_nanos() as u64),
                lag_ticks: anchor.ticks_for_nanos(settings.max_lag.as_nanos() as u64),
                settings,
                last_change: now,
            }),
        })
    }

    /// Makes the next round write the suppressed report whatever the time
    /// (at shutdown).
    pub fn report_now(&mut self) {
        self.next_report = 0;
    }

    /// One round: adaptive control, then the report if it is due. Records to
    /// write are pushed to `out`.
    pub fn round(
        &mut self,
        now: u64,
        load: Load,
        callsites: &mut Vec<&'static Callsite>,
        out: &mut Vec<u8>,
    ) {
        sampling::tick(now);
        if let Some(c) = &mut self.controller
            && now.saturating_sub(c.last_change) >= c.step_ticks
        {
            let fill = load.fill_bytes as f64 / load.ring_bytes.max(1) as f64;
            let step = sampling::adaptive_step();
            let over = fill > c.settings.high_fill || load.lag_ticks > c.lag_ticks;
            let under = fill < c.settings.low_fill && load.lag_ticks < c.lag_ticks / 4;
            let new_step = if over && step < c.settings.max_steps {
                step + 1
            } else if under && step > 0 {
                step - 1
            } else {
                step
            };
            if new_step != step {
                c.last_change = now;
                sampling::set_adaptive_step(new_step);
                let anchor = crate::clock::anchor();
                let lag_us = anchor.clock().delta_as_nanos(0, load.lag_ticks) / 1000;
                let direction = if new_step > step { "lowered" } else { "raised" };
                let fields = (
                    direction,
                    1u64 << new_step,
                    (fill * 100.0).round() as u64,
                    lag_us,
                    new_step as u64,
                );
                rate_change_record(out, now, fields);
            }
        }
        if now < self.next_report {
            return;
        }
        self.next_report = now + self.interval_ticks;
        crate::callsite::sync_callsites(callsites);
        if self.reported.len() < callsites.len() {
            self.reported.resize(callsites.len(), 0);
        }
        for (i, cs) in callsites.iter().enumerate() {
            let total = cs.sample_cell().suppressed();
            let delta = total.saturating_sub(self.reported[i]);
            if delta == 0 {
                continue;
            }
            self.reported[i] = total;
            suppressed_record(out, now, cs.metadata(), delta, self.interval_ms, total);
            crate::stats::SUPPRESSED_REPORTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Appends one record of `len` bytes to `out` (no allocation once `out` has
/// grown to the largest report round).
fn append_record(out: &mut Vec<u8>, len: usize, f: impl FnOnce(&mut Writer<'_>)) {
    let start = out.len();
    out.resize(start + len, 0);
    let mut w = Writer::new(&mut out[start..], &mut []);
    f(&mut w);
}

fn suppressed_record(
    out: &mut Vec<u8>,
    tsc: u64,
    like: &Metadata,
    delta: u64,
    interval_ms: u64,
    total: u64,
) {
    let id = crate::callsite::id_of(&SUPPRESSED_REPORT);
    let values = (
        delta,
        interval_ms,
        like.template,
        like.actor,
        like.action,
        like.file,
        like.line as u64,
        total,
    );
    let len = HEADER_LEN
        + values.0.encoded_len()
        + values.1.encoded_len()
        + values.2.encoded_len()
        + values.3.encoded_len()
        + values.4.encoded_len()
        + values.5.encoded_len()
        + values.6.encoded_len()
        + values.7.encoded_len();
    append_record(out, len, |w| {
        w.put_header(id, len, tsc);
        values.0.encode(w);
        values.1.encode(w);
        values.2.encode(w);
        values.3.encode(w);
        values.4.encode(w);
        values.5.encode(w);
        values.6.encode(w);
        values.7.encode(w);
    })
}

fn rate_change_record(out: &mut Vec<u8>, tsc: u64, v: (&str, u64, u64, u64, u64)) {
    let id = crate::callsite::id_of(&RATE_CHANGE);
    let len = HEADER_LEN
        + v.0.encoded_len()
        + v.1.encoded_len()
        + v.2.encoded_len()
        + v.3.encoded_len()
        + v.4.encoded_len();
    append_record(out, len, |w| {
        w.put_header(id, len, tsc);
        v.0.encode(w);
        v.1.encode(w);
        v.2.encode(w);
        v.3.encode(w);
        v.4.encode(w);
    })
}
