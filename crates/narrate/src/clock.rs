//! Timestamps: a raw TSC read on the caller, wall-clock nanoseconds on the backend.
//!
//! The caller reads the time-stamp counter (`rdtsc` through `quanta`, about
//! 10 ns on our VMs, see `shared/BENCHMARKING.md`) and stores the raw count in
//! the record. The backend turns counts into Unix nanoseconds against an
//! [`Anchor`]: one `(tsc, SystemTime)` pair taken at `init`, plus quanta's
//! calibrated TSC frequency. Where there is no invariant TSC, quanta falls
//! back to the monotonic clock and the same arithmetic holds.
//!
//! Trade-off: the anchor is taken once, so wall-clock steps after `init`
//! (NTP slews, manual changes) are not followed; in exchange, timestamps from
//! all threads are monotonic and directly comparable, which is what the
//! backend's merge needs.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The caller-side clock: cheap to clone, one per thread lane.
pub type RawClock = quanta::Clock;

/// Maps raw counter values to Unix nanoseconds.
#[derive(Debug, Clone)]
pub struct Anchor {
    clock: RawClock,
    raw: u64,
    unix_ns: u64,
}

impl Anchor {
    fn new() -> Anchor {
        let clock = RawClock::new();
        let raw = clock.raw();
        let unix_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Anchor {
            clock,
            raw,
            unix_ns,
        }
    }

    pub fn clock(&self) -> &RawClock {
        &self.clock
    }

    /// Unix time in nanoseconds of a raw counter value.
    #[inline]
    pub fn unix_nanos(&self, raw: u64) -> u64 {
        if raw >= self.raw {
            self.unix_ns + self.clock.delta_as_nanos(self.raw, raw)
        } else {
            self.unix_ns
                .saturating_sub(self.clock.delta_as_nanos(raw, self.raw))
        }
    }

    /// Converts a duration in nanoseconds to raw counter ticks (approximate).
    pub fn ticks_for_nanos(&self, nanos: u64) -> u64 {
        let probe = 1_000_000_000u64;
        let ns = self.clock.delta_as_nanos(0, probe).max(1);
        ((nanos as u128 * probe as u128) / ns as u128) as u64
    }

    /// A raw read of the counter.
    #[inline(always)]
    pub fn now_raw(&self) -> u64 {
        self.clock.raw()
    }
}

/// The process-wide anchor, created on first use (calibration takes a few ms).
pub fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(Anchor::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_reads_convert_to_current_wall_clock() {
        let a = anchor();
        let raw = a.now_raw();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let converted = a.unix_nanos(raw);
        // Same instant, two clocks: they agree to well within a second.
        assert!(
            converted.abs_diff(now) < 1_000_000_000,
            "{converted} vs {now}"
        );
        assert!(a.unix_nanos(raw + 1000) >= converted);
        let ticks = a.ticks_for_nanos(1_000_000);
        assert!(ticks > 0);
    }
}
