//! The bench clock: the time-stamp counter read inside `lfence` brackets.
//!
//! `lfence; rdtsc; lfence` keeps the read from being reordered with the work
//! it measures (the fences wait for earlier instructions to finish and keep
//! later ones from starting). On this project's VMs the counter advances in
//! steps of ~26 ticks (~10 ns) and an empty bracket costs ~20–24 ns; both are
//! measured at run time ([`ClockInfo::measure`]) and the bracket's trimmed
//! mean is subtracted from every timing.
//!
//! `quanta::Clock::raw()` is a plain `rdtsc` without fences: it is as cheap,
//! but lets the measured calls overlap the reads, so it is only used where
//! there is no x86_64 TSC (it then reads the monotonic clock), and its
//! overhead is reported for reference.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One fenced read of the counter, in ticks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn read() -> u64 {
    use core::arch::x86_64::{_mm_lfence, _rdtsc};
    // SAFETY: `lfence` (SSE2) and `rdtsc` are part of the x86_64 baseline,
    // so the CPU always supports them; neither touches memory or has any
    // other precondition.
    unsafe {
        _mm_lfence();
        let t = _rdtsc();
        _mm_lfence();
        t
    }
}

/// One read of quanta's raw counter (monotonic nanoseconds off x86_64).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn read() -> u64 {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new).raw()
}

/// Counter facts measured on this machine, in this process.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClockInfo {
    /// Counter ticks per nanosecond.
    pub ticks_per_ns: f64,
    /// Trimmed mean (10 % cut at each end) of an empty bracket, in ticks.
    pub bracket_overhead_ticks: f64,
    /// The same in nanoseconds.
    pub bracket_overhead_ns: f64,
    /// Smallest non-zero difference seen between two reads, in ticks.
    pub step_ticks: u64,
    /// The same in nanoseconds.
    pub step_ns: f64,
    /// Mean cost of `quanta::Clock::raw()` in a tight loop, in ns.
    pub quanta_raw_ns: f64,
    /// Mean cost of `std::time::Instant::now()` in a tight loop, in ns.
    pub instant_now_ns: f64,
}

impl ClockInfo {
    /// Calibrates the counter against `Instant` (~50 ms) and measures the
    /// bracket overhead (100 000 empty brackets).
    pub fn measure() -> ClockInfo {
        let ticks_per_ns = calibrate(Duration::from_millis(50));
        let mut empty: Vec<u64> = Vec::with_capacity(100_000);
        for _ in 0..100_000 {
            let a = read();
            let b = read();
            empty.push(b.wrapping_sub(a));
        }
        empty.sort_unstable();
        let step_ticks = empty.iter().copied().find(|&d| d > 0).unwrap_or(1);
        let bracket_overhead_ticks = trimmed_mean(&empty, 0.10);
        let quanta_raw_ns = per_call_ns(ticks_per_ns, {
            let clock = quanta::Clock::new();
            move || {
                black_box(clock.raw());
            }
        });
        let instant_now_ns = per_call_ns(ticks_per_ns, || {
            black_box(Instant::now());
        });
        ClockInfo {
            ticks_per_ns,
            bracket_overhead_ticks,
            bracket_overhead_ns: bracket_overhead_ticks / ticks_per_ns,
            step_ticks,
            step_ns: step_ticks as f64 / ticks_per_ns,
            quanta_raw_ns,
            instant_now_ns,
        }
    }

    /// Nanoseconds of a bracket that timed `calls` calls, overhead removed.
    pub fn ns(&self, ticks: u64, calls: usize) -> f64 {
        let net = (ticks as f64 - self.bracket_overhead_ticks).max(0.0);
        net / self.ticks_per_ns / calls as f64
    }
}

fn calibrate(span: Duration) -> f64 {
    let t0 = Instant::now();
    let r0 = read();
    std::thread::sleep(span);
    let r1 = read();
    let elapsed = t0.elapsed();
    (r1.wrapping_sub(r0)) as f64 / elapsed.as_nanos().max(1) as f64
}

/// Mean cost of `f` over 10 000 calls in one bracket, in ns (median of 21).
fn per_call_ns(ticks_per_ns: f64, mut f: impl FnMut()) -> f64 {
    const N: u64 = 10_000;
    let mut runs: Vec<f64> = (0..21)
        .map(|_| {
            let a = read();
            for _ in 0..N {
                f();
            }
            let b = read();
            b.wrapping_sub(a) as f64 / ticks_per_ns / N as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

/// Mean of a sorted slice after cutting `cut` of it at each end.
pub fn trimmed_mean(sorted: &[u64], cut: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = (sorted.len() as f64 * cut) as usize;
    let kept = &sorted[k..sorted.len() - k];
    kept.iter().map(|&v| v as f64).sum::<f64>() / kept.len() as f64
}
