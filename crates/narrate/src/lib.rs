//! # narrate
//!
//! Structured logging, narration and audit for Rust services, with a hot path
//! that costs nanoseconds.
//!
//! ```no_run
//! use narrate::{Config, Format, FileSink, Level};
//!
//! fn main() -> Result<(), narrate::InitError> {
//!     let _guard = narrate::init(
//!         Config::new()
//!             .level(Level::Info)
//!             .stdout(Format::Pretty)
//!             .sink(FileSink::new("logs/orders.jsonl")),
//!     )?;
//!     let order_id = 42u64;
//!     narrate::info!(
//!         action = "ship",
//!         target = order_id,
//!         "Order {order_id} shipped to {city}",
//!         city = "Lyon",
//!         weight_kg = 1.5,
//!     );
//!     Ok(())
//! }
//! ```
//!
//! # The journey of an event
//!
//! The file tree follows it. On the **caller** thread:
//!
//! 1. [`callsite`]: the macro's static record; one relaxed load says whether
//!    the event is enabled.
//! 2. [`clock`]: a raw TSC read.
//! 3. [`encode`]: the arguments, copied as tagged bytes.
//! 4. [`ring`]: into the thread's own lock-free ring.
//!
//! On the **backend** thread ([`backend`]): merge the rings in timestamp
//! order, decode ([`backend::decode`]), render the template and
//! [`format`], write to the [`sinks`]. [`lifecycle`] starts and stops it all
//! and holds the flush protocol; [`stats`] counts everything on the way.
//!
//! # Macros
//!
//! `trace!`, `debug!`, `info!`, `warn!`, `error!`, `fatal!` and
//! `narrate!(Level::X, …)` take, in any order:
//!
//! * one string literal: the human template, with `{name}` placeholders
//!   resolved at compile time against the named fields or, failing that,
//!   variables in scope (an unknown name is a compile error);
//! * `actor = "…"`, `action = "…"` (string literals; actor defaults to the
//!   module path), `cute = "…"`, `story = "…"`;
//! * `target = expr`, `correlation_id = expr`;
//! * `name = expr` (typed: integers, floats, bool, strings, bytes, errors),
//!   `name = %expr` (`Display`), `name = ?expr` (`Debug`), or a bare `name`.

#![forbid(unsafe_code)]

extern crate self as narrate;

#[macro_use]
mod macros;

#[cfg(feature = "audit")]
pub mod audit;
mod audit_slow;
pub mod backend;
pub mod callsite;
pub mod clock;
pub mod config;
#[cfg(feature = "config-file")]
pub mod config_file;
pub mod context;
pub mod dynamic;
pub mod encode;
mod encode_auto;
pub mod event;
pub mod filter;
pub mod format;
pub mod format_spec;
#[doc(hidden)]
pub mod fuzz_entry;
mod level;
pub mod lifecycle;
pub mod metrics;
pub mod profile;
pub mod ring;
pub mod sampling;
pub mod sinks;
pub mod span;
pub mod stages;
pub mod stats;
pub mod testing;

pub use audit_slow::audit_slow;
pub use backend::decode::{ErrorChainView, Fields, Value};
pub use config::{Config, FileSink, FullRingPolicy, SinkSpec};
#[cfg(feature = "config-file")]
pub use config_file::{ConfigError, reload_config};
pub use context::{Context, CorrelationId, TraceParent};
pub use encode::{AsDebug, AsDisplay, ErrorChain};
pub use event::Event;
pub use filter::{Filter, FilterError};
pub use format::Format;
pub use level::{Level, ParseLevelError};
pub use lifecycle::reopen;
pub use lifecycle::{
    Guard, InitError, flush, flush_timeout, init, set_filter, set_level, shutdown,
};
pub use sinks::{Capture, CapturedEvent, Sink};
pub use span::{Instrument, Span};

pub use metrics::{Metrics, metrics};
/// Redaction and sanitization as functions and types (the `narrate-redact` crate).
pub use narrate_redact as redaction;
pub use narrate_redact::{RedactConfig, redact, sanitize};
pub use sampling::{Sampler, Sampling, SamplingError, Selector};
pub use stats::{DropReason, Stats, stats};

/// Records an error with its `source()` chain: `err = narrate::error(&e)`.
pub fn error<'a, E: std::error::Error + 'a>(e: &'a E) -> ErrorChain<'a> {
    ErrorChain(e)
}

#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{Callsite, Kind, Metadata, Piece};
    pub use crate::encode::{AsDebug, AsDisplay, Encode};
    pub use crate::encode_auto::{
        FmtDebug, FmtDisplay, FmtRawDebug, FmtRawDisplay, ViaDebug, ViaEncode, ViaError,
        ViaTypeName, Wrap, elapsed_ns, now_raw,
    };
    pub use crate::format_spec::{Align, FormatSpec, SpecKind};
    pub use crate::level::Level;
    pub use crate::ring::{emit, emit_audit};
    pub use crate::span::{AsParent, Span, enter_parent};
    pub use narrate_macros::{audit_event, dispatch_level, dispatch_span, event, span};

    /// Whether the `cute-mode` feature is on (cute/story texts are kept).
    pub const CUTE_MODE: bool = cfg!(narrate_cute);
}

pub use narrate_macros::trace_fn;

/// `tracing`'s `#[instrument]` spelling of [`trace_fn`]: a Trace span named
/// after the function with its arguments as fields, plus enter/exit events.
/// Takes `trace_fn`'s options (`skip(…)`, `skip_all`, `no_result`); see
/// `docs/migrating-from-tracing.md` for `tracing`'s other options.
pub use narrate_macros::trace_fn as instrument;

/// The function attributes, `#[trace_fn]` and `#[narrate(…)]`.
///
/// `#[narrate]` shares its name with the `narrate!` macro, and Rust keeps
/// attributes and macros in one namespace, so it lives here: write
/// `#[narrate::attributes::narrate(…)]`, or `use narrate::attributes::narrate;`
/// and then `#[narrate(…)]`.
pub mod attributes {
    pub use narrate_macros::{narrate, trace_fn};
}
