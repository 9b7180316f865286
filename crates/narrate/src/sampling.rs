//! Sampling and rate limiting: which enabled events are kept, and a count of
//! every one that is not.
//!
//! # Where the decision is made
//!
//! Not in the macro: behind [`Callsite::enabled_id`]. A call site no sampling
//! rule applies to keeps its fast path (one relaxed load of its `state` word
//! and one branch on its `ENABLED` bit; see [`crate::callsite`]). A call site
//! a rule matches (or, while adaptive sampling has lowered the rate, any
//! sampleable one) has `ENABLED` clear and `SLOW` set instead, under the
//! registry lock; it takes a second, `#[inline(never)]` path ([`decide`])
//! that works on
//! atomics in the call site's own static record ([`SampleCell`]): no map, no
//! lock, no allocation.
//!
//! # Samplers
//!
//! * [`Sampler::first_then_every`] (zap's model): per call site, the first `N`
//!   events of every interval, then every `M`th. One `fetch_add` per event;
//!   "is `n - N` a multiple of `M`" is a multiplication by a precomputed
//!   constant (Lemire's divisibility test), not a division. The suppressed
//!   count needs no second atomic: within one window the decision is a pure
//!   function of the event's index, so the window's suppressed count is
//!   computed from its final count when the window closes.
//! * [`Sampler::probability`]: a thread-local xorshift generator, no atomic
//!   except the suppressed counter. A rate of `1.0` compiles to no sampler at
//!   all, so the call site keeps the plain fast path.
//! * [`Sampler::rate_limit`]: a token bucket per actor/action, kept as GCRA
//!   (one `AtomicU64` "theoretical arrival time" per bucket, updated by CAS).
//!
//! # The rate-limit table and its collisions
//!
//! Buckets live in one fixed table of [`RATE_LIMIT_SLOTS`] atomics (32 KiB),
//! indexed by a hash of `(actor, action)`. Nothing is ever inserted or
//! evicted, so memory is fixed whatever the number of pairs, and a check is a
//! load and a CAS. Two pairs that hash to the same slot **share** one bucket:
//! together they get the budget of one, so a collision makes limiting
//! stricter, never looser. Storing the keys to tell them apart would need
//! eviction and a compare of two strings per event; with a few hundred
//! rate-limited pairs the chance that a given pair shares its slot is a few
//! percent, and the in-band suppressed reports show what was cut.
//!
//! # Time
//!
//! The samplers need "now" but a TSC read costs ≈10 ns, twice the budget, so
//! they read a coarse clock ([`coarse_now`]) that the backend thread stores
//! (raw TSC ticks) every round and every 256 events within a pass (not per
//! event: each store costs the callers a cache miss on their next read). It
//! is at most one backend round stale (≤ the idle sleep, 200 µs by default)
//! plus 256 events. A backend stuck in a sink freezes it: windows then stay
//! open longer, which suppresses more, never less.
//!
//! # Always kept
//!
//! Audit events, `Error` and `Fatal`, and the actors/actions named with
//! [`Sampling::always_keep_actor`] / [`Sampling::always_keep_action`] are
//! never marked sampled: they never reach [`decide`] at all.
//!
//! # Adaptive sampling
//!
//! With [`Sampling::adaptive`], the backend watches the fullest ring and its
//! lag. Over the threshold it halves the rate of sampleable events (levels at
//! or below the adaptive `max_level`, not always-kept) step by step, down to
//! 1/2^`max_steps`; once the rings are nearly empty again it doubles it step
//! by step back to 1. Every change is written as an event
//! (`actor=narrate action=sampling`).
//!
//! # What was left out
//!
//! Every suppressed event is counted on its call site. Once per report
//! interval (1 s by default) the backend writes, for each call site that
//! suppressed anything, "N events like this suppressed in the last …"
//! (`actor=narrate action=suppressed`), and [`suppressed`] / [`crate::metrics`]
//! give the counts through the API.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::callsite::{Callsite, Kind, Metadata};
use crate::level::Level;

/// Slots in the rate-limit table (a power of two).
pub const RATE_LIMIT_SLOTS: usize = 4096;

const MODE_NONE: u32 = 0;
const MODE_FIRST_EVERY: u32 = 1;
const MODE_PROBABILITY: u32 = 2;
const MODE_RATE_LIMIT: u32 = 3;
const MODE_MASK: u32 = 0b11;
/// The call site is sampleable by the adaptive sampler.
const ADAPTIVE: u32 = 0b100;

/// A sampling configuration error, found at configuration time.
#[derive(Debug, Clone, PartialEq)]
pub enum SamplingError {
    /// A probability outside `[0, 1]` (or NaN).
    RateOutOfRange(f64),
    /// `first_then_every` with `N = 0`.
    FirstIsZero,
    /// `first_then_every` with `M = 0`.
    EveryIsZero,
    /// A zero interval.
    IntervalIsZero,
    /// A rate limit of 0 events per second.
    RateLimitIsZero,
    /// A burst of 0.
    BurstIsZero,
}

impl fmt::Display for SamplingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplingError::RateOutOfRange(r) => {
                write!(f, "sample rate {r} is outside [0, 1]")
            }
            SamplingError::FirstIsZero => {
                f.write_str("`first` must be at least 1 (N events kept per interval)")
            }
            SamplingError::EveryIsZero => {
                f.write_str("`every` must be at least 1 (1 keeps every event after the first N)")
            }
            SamplingError::IntervalIsZero => f.write_str("the sampling interval must not be zero"),
            SamplingError::RateLimitIsZero => f.write_str(
                "a rate limit of 0 events per second would drop everything; use a filter `off` instead",
            ),
            SamplingError::BurstIsZero => f.write_str("a rate-limit burst must be at least 1"),
        }
    }
}

impl std::error::Error for SamplingError {}

/// How a sampled call site decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// The first `first` events per `interval`, then every `every`th.
    FirstThenEvery {
        first: u32,
        every: u32,
        interval: Duration,
    },
    /// Each event kept with probability `rate`.
    Probability(f64),
    /// At most `per_second` events per second per actor/action, bursts of `burst`.
    RateLimit { per_second: u32, burst: u32 },
}

impl Sampler {
    /// Zap's sampler: `first` per `interval`, then every `every`th.
    pub fn first_then_every(
        first: u32,
        every: u32,
        interval: Duration,
    ) -> Result<Sampler, SamplingError> {
        if first == 0 {
            return Err(SamplingError::FirstIsZero);
        }
        if every == 0 {
            return Err(SamplingError::EveryIsZero);
        }
        if interval.is_zero() {
            return Err(SamplingError::IntervalIsZero);
        }
        Ok(Sampler::FirstThenEvery {
            first,
            every,
            interval,
        })
    }

    /// Keeps each event with probability `rate` in `[0, 1]`.
    pub fn probability(rate: f64) -> Result<Sampler, SamplingError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(SamplingError::RateOutOfRange(rate));
        }
        Ok(Sampler::Probability(rate))
    }

    /// A token bucket: `per_second` events per second, up to `burst` at once.
    pub fn rate_limit(per_second: u32, burst: u32) -> Result<Sampler, SamplingError> {
        if per_second == 0 {
            return Err(SamplingError::RateLimitIsZero);
        }
        if burst == 0 {
            return Err(SamplingError::BurstIsZero);
        }
        Ok(Sampler::RateLimit { per_second, burst })
    }
}

/// Which call sites a [`Rule`] applies to. Every part given must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    /// Module path or actor, or a prefix of it at a `::` boundary (as in filters).
    pub path: Option<String>,
    /// The action, exactly.
    pub action: Option<String>,
    /// Only events at this level or below (more verbose).
    pub max_level: Option<Level>,
    /// One call site: a file path suffix and a line, e.g. `("src/db.rs", 42)`.
    pub site: Option<(String, u32)>,
}

impl Selector {
    fn matches(&self, meta: &Metadata) -> bool {
        let path_ok = self
            .path
            .as_deref()
            .is_none_or(|p| under(meta.module_path, p) || under(meta.actor, p));
        let action_ok = self.action.as_deref().is_none_or(|a| a == meta.action);
        let level_ok = self.max_level.is_none_or(|l| meta.level <= l);
        let site_ok = self
            .site
            .as_ref()
            .is_none_or(|(file, line)| meta.line == *line && meta.file.ends_with(file.as_str()));
        path_ok && action_ok && level_ok && site_ok
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix || (path.starts_with(prefix) && path[prefix.len()..].starts_with("::"))
}

/// One sampling rule: a selector and a sampler. The first matching rule wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub selector: Selector,
    pub sampler: Sampler,
}

/// Adaptive sampling settings; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adaptive {
    /// Ring fill (fraction of the fullest ring) above which the rate drops.
    pub high_fill: f64,
    /// Ring fill below which the rate recovers.
    pub low_fill: f64,
    /// Backend lag above which the rate drops.
    pub max_lag: Duration,
    /// Minimum time between two rate changes.
    pub step: Duration,
    /// The rate never goes below 1/2^max_steps.
    pub max_steps: u32,
    /// Levels above this are never adaptively sampled.
    pub max_level: Level,
}

impl Default for Adaptive {
    fn default() -> Adaptive {
        Adaptive {
            high_fill: 0.5,
            low_fill: 0.1,
            max_lag: Duration::from_millis(250),
            step: Duration::from_millis(50),
            max_steps: 10,
            max_level: Level::Info,
        }
    }
}

/// Sampling configuration: rules, always-keep names, adaptive settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    pub(crate) rules: Vec<Rule>,
    pub(crate) keep_actors: Vec<String>,
    pub(crate) keep_actions: Vec<String>,
    pub(crate) adaptive: Option<Adaptive>,
    pub(crate) report_interval: Duration,
}

impl Default for Sampling {
    fn default() -> Sampling {
        Sampling::new()
    }
}

impl Sampling {
    pub fn new() -> Sampling {
        Sampling {
            rules: Vec::new(),
            keep_actors: Vec::new(),
            keep_actions: Vec::new(),
            adaptive: None,
            report_interval: Duration::from_secs(1),
        }
    }

    /// Adds a rule; rules are tried in the order added.
    pub fn rule(mut self, selector: Selector, sampler: Sampler) -> Sampling {
        self.rules.push(Rule { selector, sampler });
        self
    }

    /// A rule for every sampleable call site (Trace…Warn, not always-kept).
    pub fn everything(self, sampler: Sampler) -> Sampling {
        self.rule(Selector::default(), sampler)
    }

    /// Events of this actor (or module path prefix) are never sampled out.
    pub fn always_keep_actor(mut self, actor: impl Into<String>) -> Sampling {
        self.keep_actors.push(actor.into());
        self
    }

    /// Events with this action are never sampled out.
    pub fn always_keep_action(mut self, action: impl Into<String>) -> Sampling {
        self.keep_actions.push(action.into());
        self
    }

    /// Turns adaptive sampling on.
    pub fn adaptive(mut self, adaptive: Adaptive) -> Sampling {
        self.adaptive = Some(adaptive);
        self
    }

    /// How often suppressed counts are reported in-band (default 1 s).
    pub fn report_interval(mut self, interval: Duration) -> Sampling {
        self.report_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Never sampled: audit, Error, Fatal, narrate's own reports and the
    /// always-keep names.
    pub fn always_keeps(&self, meta: &Metadata) -> bool {
        meta.kind == Kind::Audit
            || meta.level >= Level::Error
            || meta.actor == "narrate"
            || self
                .keep_actors
                .iter()
                .any(|a| under(meta.actor, a) || under(meta.module_path, a))
            || self.keep_actions.iter().any(|a| a == meta.action)
    }
}

impl crate::Config {
    /// Sampling, rate limiting and adaptive sampling (see [`crate::sampling`]).
    pub fn sampling(mut self, sampling: Sampling) -> crate::Config {
        self.sampling = Some(sampling);
        self
    }
}

/// The per-call-site sampling state, inside the call site's static record.
///
/// The parameters are written under the registry lock when the configuration
/// changes; the counters by callers (`Relaxed`: they are counts, ordering
/// nothing; a caller seeing half-updated parameters during a reconfiguration
/// decides one event under the old rule).
#[derive(Debug)]
pub struct SampleCell {
    mode: AtomicU32,
    /// FirstThenEvery: N. Probability: keep threshold (of 2^32). RateLimit: slot.
    param: AtomicU32,
    /// FirstThenEvery: M. RateLimit: ticks between two tokens.
    every: AtomicU64,
    /// FirstThenEvery: divisibility constant for M. RateLimit: burst tolerance.
    magic: AtomicU64,
    /// FirstThenEvery: window length in ticks.
    interval: AtomicU64,
    window_end: AtomicU64,
    /// Events decided in the current window (FirstThenEvery).
    count: AtomicU64,
    /// Suppressed events, closed windows included; see [`SampleCell::suppressed`].
    suppressed: AtomicU64,
    /// Events seen by the adaptive sampler.
    adaptive_seen: AtomicU64,
}

impl Default for SampleCell {
    fn default() -> SampleCell {
        SampleCell::new()
    }
}

impl SampleCell {
    pub const fn new() -> SampleCell {
        SampleCell {
            mode: AtomicU32::new(MODE_NONE),
            param: AtomicU32::new(0),
            every: AtomicU64::new(1),
            magic: AtomicU64::new(0),
            interval: AtomicU64::new(1),
            window_end: AtomicU64::new(0),
            count: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            adaptive_seen: AtomicU64::new(0),
        }
    }

    /// Events this call site has suppressed since the process started.
    pub fn suppressed(&self) -> u64 {
        let mode = self.mode.load(Relaxed) & MODE_MASK;
        let mut total = self.suppressed.load(Relaxed);
        if mode == MODE_FIRST_EVERY {
            total += window_suppressed(
                self.count.load(Relaxed),
                self.param.load(Relaxed) as u64,
                self.every.load(Relaxed),
            );
        }
        total
    }
}

/// Events suppressed among the first `count` of a window: all past `first`
/// except every `every`th.
fn window_suppressed(count: u64, first: u64, every: u64) -> u64 {
    if count <= first {
        return 0;
    }
    let past = count - first;
    past - past.div_ceil(every.max(1))
}

/// Lemire's constant: `n` (< 2^32) is a multiple of `d` iff
/// `n.wrapping_mul(c) <= c - 1` with `c = u64::MAX / d + 1`. A multiply
/// instead of a 64-bit division (tens of cycles) on the sampled path.
const fn divisibility_constant(d: u64) -> u64 {
    (u64::MAX / d).wrapping_add(1)
}

// ---------------------------------------------------------------- the clock

static COARSE_NOW: AtomicU64 = AtomicU64::new(0);

/// The coarse clock the samplers read (raw TSC ticks); see the module docs.
#[inline(always)]
pub fn coarse_now() -> u64 {
    COARSE_NOW.load(Relaxed)
}

/// Advances the coarse clock (backend thread; single writer).
#[inline]
pub(crate) fn tick(raw: u64) {
    if raw > COARSE_NOW.load(Relaxed) {
        COARSE_NOW.store(raw, Relaxed);
    }
}

// -------------------------------------------------------- the decision path

/// Current adaptive step: sampleable events are kept 1 in 2^step.
static ADAPTIVE_STEP: AtomicU32 = AtomicU32::new(0);

/// The adaptive sampler's current step (rate 1/2^step).
pub fn adaptive_step() -> u32 {
    ADAPTIVE_STEP.load(Relaxed)
}

/// The decision for a sampled call site: `Some(id)` to keep. Inlined into
/// the call site's one out-of-line slow path, so a sampled event pays one
/// call, not two.
#[inline]
pub(crate) fn decide(cs: &'static Callsite, id: u32) -> Option<u32> {
    let cell = cs.sample_cell();
    let mode = cell.mode.load(Relaxed);
    let keep = match mode & MODE_MASK {
        MODE_FIRST_EVERY => first_then_every(cell),
        MODE_PROBABILITY => probability(cell),
        MODE_RATE_LIMIT => rate_limited(cell),
        _ => true,
    };
    if !keep {
        return None;
    }
    if mode & ADAPTIVE != 0 {
        let step = ADAPTIVE_STEP.load(Relaxed);
        if step != 0 {
            let n = cell.adaptive_seen.fetch_add(1, Relaxed);
            if n & ((1u64 << step) - 1) != 0 {
                cell.suppressed.fetch_add(1, Relaxed);
                return None;
            }
        }
    }
    Some(id)
}

#[inline(always)]
fn first_then_every(cell: &SampleCell) -> bool {
    let now = coarse_now();
    let end = cell.window_end.load(Relaxed);
    if now >= end {
        roll_window(cell, now, end);
    }
    let n = cell.count.fetch_add(1, Relaxed);
    let first = cell.param.load(Relaxed) as u64;
    if n < first {
        return true;
    }
    let past = n - first;
    let magic = cell.magic.load(Relaxed);
    // The divisibility test holds for `past < 2^32`; a window with more
    // events than that falls back to the division.
    if past >> 32 == 0 {
        past.wrapping_mul(magic) <= magic.wrapping_sub(1)
    } else {
        past.is_multiple_of(cell.every.load(Relaxed))
    }
}

#[cold]
fn roll_window(cell: &SampleCell, now: u64, end: u64) {
    let next = now + cell.interval.load(Relaxed);
    // One thread wins the roll; it moves the closed window's suppressed
    // count out of `count`. Events counted between the CAS and the swap
    // belong to the closed window and were decided by its rules.
    if cell
        .window_end
        .compare_exchange(end, next, Relaxed, Relaxed)
        .is_ok()
    {
        let closed = cell.count.swap(0, Relaxed);
        let dropped = window_suppressed(
            closed,
            cell.param.load(Relaxed) as u64,
            cell.every.load(Relaxed),
        );
        if dropped != 0 {
            cell.suppressed.fetch_add(dropped, Relaxed);
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

static RNG_SEED: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

/// xorshift64*: a few shifts and a multiply per number, state in a
/// thread-local `Cell` (no atomics); seeded per thread by splitmix64.
#[inline]
fn next_random_u32() -> u32 {
    RNG.try_with(|cell| {
        let mut x = cell.get();
        if x == 0 {
            let mut z = RNG_SEED.fetch_add(0x9E37_79B9_7F4A_7C15, Relaxed);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x = (z ^ (z >> 31)) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        cell.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    })
    .unwrap_or(0)
}

#[inline(always)]
fn probability(cell: &SampleCell) -> bool {
    let threshold = cell.param.load(Relaxed);
    let keep = next_random_u32() < threshold;
    if !keep {
        cell.suppressed.fetch_add(1, Relaxed);
    }
    keep
}

fn probability_threshold(rate: f64) -> u32 {
    (rate * 4_294_967_296.0).min(u32::MAX as f64) as u32
}

static BUCKETS: [AtomicU64; RATE_LIMIT_SLOTS] = [const { AtomicU64::new(0) }; RATE_LIMIT_SLOTS];

/// The slot of `(actor, action)` in the rate-limit table (FNV-1a).
pub fn rate_limit_slot(actor: &str, action: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in actor.bytes().chain([0xff]).chain(action.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 32)) as usize & (RATE_LIMIT_SLOTS - 1)
}

/// GCRA on one slot: true when an event may pass at `now`.
#[inline]
fn gcra(slot: usize, now: u64, emission: u64, tolerance: u64) -> bool {
    let bucket = &BUCKETS[slot & (RATE_LIMIT_SLOTS - 1)];
    let mut tat = bucket.load(Relaxed);
    loop {
        let base = tat.max(now);
        if base - now > tolerance {
            return false;
        }
        match bucket.compare_exchange_weak(tat, base + emission, Relaxed, Relaxed) {
            Ok(_) => return true,
            Err(seen) => tat = seen,
        }
    }
}

#[inline(always)]
fn rate_limited(cell: &SampleCell) -> bool {
    let keep = gcra(
        cell.param.load(Relaxed) as usize,
        coarse_now(),
        cell.every.load(Relaxed),
        cell.magic.load(Relaxed),
    );
    if !keep {
        cell.suppressed.fetch_add(1, Relaxed);
    }
    keep
}

/// The token bucket of the table for a dynamic `(actor, action)` pair, for
/// events whose actor or action is only known at run time: true when one
/// more event may pass under `per_second`/`burst`. Same fixed table as the
/// call-site rate limits, same collision rule (a shared slot shares its
/// budget); allocates nothing whatever the number of pairs.
pub fn allow(actor: &str, action: &str, per_second: u32, burst: u32) -> bool {
    let (emission, tolerance) = gcra_params(per_second.max(1), burst.max(1));
    gcra(
        rate_limit_slot(actor, action),
        crate::clock::anchor().now_raw(),
        emission,
        tolerance,
    )
}

fn gcra_params(per_second: u32, burst: u32) -> (u64, u64) {
    let emission = crate::clock::anchor()
        .ticks_for_nanos(1_000_000_000 / per_second as u64)
        .max(1);
    (emission, emission * (burst as u64 - 1))
}

// ------------------------------------------------------ configuration time

/// The configuration the registry applies to call sites.
pub(crate) struct Plan {
    pub sampling: Option<Sampling>,
}

impl Plan {
    pub const fn empty() -> Plan {
        Plan { sampling: None }
    }

    /// Writes `meta`'s sampling parameters into `cell`; true when the call
    /// site must take the sampled path now.
    pub fn apply(&self, meta: &Metadata, cell: &SampleCell) -> bool {
        let Some(sampling) = &self.sampling else {
            cell.mode.store(MODE_NONE, Relaxed);
            return false;
        };
        if sampling.always_keeps(meta) {
            cell.mode.store(MODE_NONE, Relaxed);
            return false;
        }
        let rule = sampling.rules.iter().find(|r| r.selector.matches(meta));
        let mut mode = match rule.map(|r| r.sampler) {
            Some(Sampler::FirstThenEvery {
                first,
                every,
                interval,
            }) => {
                let anchor = crate::clock::anchor();
                cell.param.store(first, Relaxed);
                cell.every.store(every as u64, Relaxed);
                cell.magic
                    .store(divisibility_constant(every as u64), Relaxed);
                cell.interval.store(
                    anchor.ticks_for_nanos(interval.as_nanos() as u64).max(1),
                    Relaxed,
                );
                MODE_FIRST_EVERY
            }
            Some(Sampler::Probability(rate)) if rate < 1.0 => {
                cell.param.store(probability_threshold(rate), Relaxed);
                MODE_PROBABILITY
            }
            Some(Sampler::RateLimit { per_second, burst }) => {
                let (emission, tolerance) = gcra_params(per_second, burst);
                cell.param
                    .store(rate_limit_slot(meta.actor, meta.action) as u32, Relaxed);
                cell.every.store(emission, Relaxed);
                cell.magic.store(tolerance, Relaxed);
                MODE_RATE_LIMIT
            }
            _ => MODE_NONE,
        };
        if let Some(adaptive) = &sampling.adaptive
            && meta.level <= adaptive.max_level
        {
            mode |= ADAPTIVE;
        }
        cell.mode.store(mode, Relaxed);
        mode & MODE_MASK != MODE_NONE || (mode & ADAPTIVE != 0 && adaptive_step() != 0)
    }
}

/// Installs `sampling` (or none) on every call site; see [`crate::callsite`].
pub(crate) fn install(sampling: Option<Sampling>) {
    if sampling.is_some() {
        tick(crate::clock::anchor().now_raw());
    }
    crate::callsite::set_sampling(Plan { sampling });
}

/// The sampling configuration in force, if any.
pub(crate) fn installed() -> Option<Sampling> {
    crate::callsite::sampling_config()
}

/// Sets the adaptive step and re-evaluates every call site.
pub(crate) fn set_adaptive_step(step: u32) {
    ADAPTIVE_STEP.store(step, Relaxed);
    crate::callsite::rebuild_all();
}

// ------------------------------------------------------------------ the API

/// One call site's suppressed count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub actor: &'static str,
    pub action: &'static str,
    pub template: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// Events suppressed since the process started.
    pub count: u64,
}

/// Every call site that has suppressed events, with its count.
pub fn suppressed() -> Vec<Suppressed> {
    let mut out = Vec::new();
    crate::callsite::for_each(|cs| {
        let count = cs.sample_cell().suppressed();
        if count != 0 {
            let m = cs.metadata();
            out.push(Suppressed {
                actor: m.actor,
                action: m.action,
                template: m.template,
                file: m.file,
                line: m.line,
                count,
            });
        }
    });
    out
}

/// Events suppressed by sampling, over all call sites.
pub fn suppressed_total() -> u64 {
    let mut total = 0;
    crate::callsite::for_each(|cs| total += cs.sample_cell().suppressed());
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_suppressed_matches_the_per_event_rule() {
        for first in [1u64, 3, 10] {
            for every in [1u64, 2, 7, 100] {
                let magic = divisibility_constant(every);
                let mut dropped = 0;
                for n in 0..1000u64 {
                    let keep = n < first || {
                        let past = n - first;
                        past.wrapping_mul(magic) <= magic.wrapping_sub(1)
                    };
                    assert_eq!(keep, n < first || (n - first) % every == 0);
                    dropped += u64::from(!keep);
                    assert_eq!(window_suppressed(n + 1, first, every), dropped);
                }
            }
        }
    }

    #[test]
    fn bad_sampler_settings_are_errors() {
        assert_eq!(
            Sampler::probability(1.5),
            Err(SamplingError::RateOutOfRange(1.5))
        );
        assert!(Sampler::probability(f64::NAN).is_err());
        assert_eq!(
            Sampler::first_then_every(0, 1, Duration::from_secs(1)),
            Err(SamplingError::FirstIsZero)
        );
        assert_eq!(
            Sampler::first_then_every(1, 0, Duration::from_secs(1)),
            Err(SamplingError::EveryIsZero)
        );
        assert_eq!(
            Sampler::rate_limit(0, 1),
            Err(SamplingError::RateLimitIsZero)
        );
    }
}
