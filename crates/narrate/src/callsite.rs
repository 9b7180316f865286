//! Call sites: the static record behind every logging macro.
//!
//! Each `info!(…)` expands to a `static Callsite` holding everything about the
//! event that is known at compile time: level, actor, action, the template
//! already split into [`Piece`]s, the field names, file and line. The caller
//! never copies any of it; it writes the call site's *id* into the ring and the
//! backend looks the metadata up again.
//!
//! # Interest
//!
//! Whether a call site is enabled is cached in its `state` word, together with
//! its id, so the hot path is one relaxed load and a branch:
//!
//! ```text
//! state = id << 3 | REGISTERED | SLOW | ENABLED
//! ```
//!
//! `ENABLED` alone means "log it now": one `test` and branch. Every other
//! case that needs more than "no" sets `SLOW` instead: an unregistered call
//! site (the initial state is `SLOW`), and an enabled call site that a
//! sampling rule applies to (`ENABLED` clear, `SLOW` set; the sampler
//! decides, out of line, in [`crate::sampling::decide`]). So sampling adds
//! nothing to the enabled or the disabled path: enabled is `state & ENABLED`,
//! disabled is `state & SLOW == 0`, the same two tests as without sampling.
//!
//! A call site starts unregistered. Its first execution takes the
//! registry lock once, assigns an id and computes the interest against the
//! current filter. Whenever the filter changes (`init`, `set_level`,
//! `set_filter`, `shutdown`) every registered call site is re-evaluated under the same lock,
//! so a call site never misses a change and never pays for checking one.
//!
//! Ordering: `state` is written only under the registry lock and read with
//! `Relaxed` on the caller. A caller that reads a stale verdict logs (or skips)
//! one event across a filter change, which is the same guarantee `tracing`
//! gives; the metadata itself is `'static` and immutable, so nothing else
//! depends on the order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::filter::Filter;
use crate::level::Level;
use crate::sampling::{Plan, SampleCell};

const ENABLED: u32 = 0b001;
/// Unregistered, or enabled and sampled: take the out-of-line path.
const SLOW: u32 = 0b010;
const REGISTERED: u32 = 0b100;
const ID_SHIFT: u32 = 3;

/// One piece of a pre-parsed human template: literal text or a field index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Literal(&'static str),
    Field(u16),
    /// A field rendered with a format spec (`{:>8}`, `{x:#x}`, `{:?}`), on
    /// the backend; see [`crate::format_spec`].
    Formatted(u16, &'static crate::format_spec::FormatSpec),
}

/// What a call site produces. Every stage that treats some events apart
/// (audit never sampled or dropped, spans opening and closing) asks this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An ordinary log event.
    Event,
    /// An audit event: never filtered by level, sampled or dropped.
    Audit,
    /// A span being created (`span!`, `info_span!`…): its fields are kept
    /// by the backend and attached to the events inside it; not written.
    Span,
    /// narrate's own scope bookkeeping (span enter/exit/clone/close,
    /// correlation context push/pop); never written. See [`crate::span`].
    Scope,
}

/// Everything about an event known at compile time.
#[derive(Debug)]
pub struct Metadata {
    pub level: Level,
    pub kind: Kind,
    /// Component; the module path unless the call site says otherwise.
    pub actor: &'static str,
    /// Verb; empty when the call site gives none.
    pub action: &'static str,
    /// The human template as written, for display and diagnostics.
    pub template: &'static str,
    /// The template split at its `{placeholders}`.
    pub pieces: &'static [Piece],
    /// Names of the encoded values, in encoding order.
    pub fields: &'static [&'static str],
    /// Index into `fields` of the narration `target`, if given.
    pub target: Option<u16>,
    /// Index into `fields` of the `correlation_id`, if given.
    pub correlation_id: Option<u16>,
    pub cute: Option<&'static str>,
    pub story: Option<&'static str>,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
}

impl Metadata {
    /// True when field `index` is one of the envelope fields (target,
    /// correlation id) rather than a free key-value.
    pub fn is_envelope_field(&self, index: usize) -> bool {
        let i = Some(index as u16);
        self.target == i || self.correlation_id == i
    }

    /// True when field `index` appears in the human text.
    pub fn in_human(&self, index: usize) -> bool {
        self.pieces.iter().any(|p| match *p {
            Piece::Field(i) | Piece::Formatted(i, _) => i as usize == index,
            Piece::Literal(_) => false,
        })
    }
}

/// The static record of one call site. Built by the macros; see the module docs.
pub struct Callsite {
    meta: Metadata,
    state: AtomicU32,
    sample: SampleCell,
}

impl Callsite {
    pub const fn new(meta: Metadata) -> Callsite {
        Callsite {
            meta,
            state: AtomicU32::new(SLOW),
            sample: SampleCell::new(),
        }
    }

    pub fn metadata(&self) -> &Metadata {
        &self.meta
    }

    /// The call site's sampling state (counters and parameters).
    pub fn sample_cell(&self) -> &SampleCell {
        &self.sample
    }

    /// The call site's id when it is enabled, `None` when it is not.
    ///
    /// Steady state: one relaxed load and a branch.
    #[inline(always)]
    pub fn enabled_id(&'static self) -> Option<u32> {
        let state = self.state.load(Ordering::Relaxed);
        if state & ENABLED != 0 {
            Some(state >> ID_SHIFT)
        } else if state & SLOW == 0 {
            None
        } else {
            self.slow_path(state)
        }
    }

    /// Unregistered (register, then decide) or sampled (the sampler decides).
    #[cold]
    #[inline(never)]
    fn slow_path(&'static self, state: u32) -> Option<u32> {
        if state & REGISTERED == 0 {
            self.register()
        } else {
            crate::sampling::decide(self, state >> ID_SHIFT)
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self) -> Option<u32> {
        let mut registry = lock_registry();
        // Another thread may have registered it while we waited for the lock.
        let state = self.state.load(Ordering::Relaxed);
        if state & REGISTERED == 0 {
            registry.callsites.push(self);
            let id = registry.callsites.len() as u32; // ids start at 1; 0 is reserved
            let state = id << ID_SHIFT | REGISTERED | registry.verdict(self);
            self.state.store(state, Ordering::Relaxed);
        }
        let state = self.state.load(Ordering::Relaxed);
        if state & SLOW != 0 {
            drop(registry);
            return crate::sampling::decide(self, state >> ID_SHIFT);
        }
        (state & ENABLED != 0).then_some(state >> ID_SHIFT)
    }
}

struct Registry {
    callsites: Vec<&'static Callsite>,
    filter: Filter,
    /// False before `init` and after `shutdown`: nothing is enabled.
    running: bool,
    sampling: Plan,
}

impl Registry {
    fn verdict(&self, cs: &Callsite) -> u32 {
        let meta = &cs.meta;
        // Audit call sites are on whenever narrate runs: never filtered by
        // level, never sampled.
        if self.running && meta.kind == Kind::Audit {
            ENABLED
        } else if self.running && self.filter.enabled(meta) {
            if self.sampling.apply(meta, &cs.sample) {
                SLOW
            } else {
                ENABLED
            }
        } else {
            0
        }
    }

    fn rebuild(&self) {
        for cs in &self.callsites {
            let state = cs.state.load(Ordering::Relaxed);
            let new = (state & !(ENABLED | SLOW)) | self.verdict(cs);
            cs.state.store(new, Ordering::Relaxed);
        }
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    callsites: Vec::new(),
    filter: Filter::level(Level::Info),
    running: false,
    sampling: Plan::empty(),
});

fn lock_registry() -> std::sync::MutexGuard<'static, Registry> {
    // A panic while holding the lock cannot leave the registry half-updated
    // (each push/store is complete on its own), so poisoning is ignored.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Replaces the filter and re-evaluates every registered call site.
pub(crate) fn set_filter(filter: Filter) {
    let mut registry = lock_registry();
    registry.filter = filter;
    registry.rebuild();
}

/// Turns every call site on (per the filter) or off, e.g. at shutdown.
pub(crate) fn set_running(running: bool) {
    let mut registry = lock_registry();
    registry.running = running;
    registry.rebuild();
}

/// Replaces the sampling plan and re-evaluates every registered call site.
pub(crate) fn set_sampling(plan: Plan) {
    let mut registry = lock_registry();
    registry.sampling = plan;
    registry.rebuild();
}

pub(crate) fn sampling_config() -> Option<crate::sampling::Sampling> {
    lock_registry().sampling.sampling.clone()
}

/// Re-evaluates every registered call site (e.g. the adaptive step changed).
pub(crate) fn rebuild_all() {
    lock_registry().rebuild();
}

/// Calls `f` on every registered call site, under the registry lock.
pub(crate) fn for_each(mut f: impl FnMut(&'static Callsite)) {
    let registry = lock_registry();
    for cs in &registry.callsites {
        f(cs);
    }
}

pub(crate) fn current_filter() -> Filter {
    lock_registry().filter.clone()
}

/// Copies the call sites registered after the first `known.len()` into `known`,
/// so that `known[id - 1]` is the call site with `id`.
pub(crate) fn sync_callsites(known: &mut Vec<&'static Callsite>) {
    let registry = lock_registry();
    if registry.callsites.len() > known.len() {
        known.extend_from_slice(&registry.callsites[known.len()..]);
    }
}

/// Registers `cs` without caring whether it is enabled: the backend uses this
/// for the events it writes itself (drop reports), which bypass the filter.
pub(crate) fn id_of(cs: &'static Callsite) -> u32 {
    let state = cs.state.load(Ordering::Relaxed);
    if state & REGISTERED != 0 {
        return state >> ID_SHIFT;
    }
    let _ = cs.register();
    cs.state.load(Ordering::Relaxed) >> ID_SHIFT
}
