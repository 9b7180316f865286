//! The logging macros.
//!
//! Each level macro exists in two forms, chosen when narrate is compiled from
//! its Cargo features (see `build.rs`): the real one, which hands its
//! arguments to the `event!` proc macro, and an empty one, which expands to
//! `{}`. A compiled-out call site therefore leaves nothing behind: no static,
//! no branch, and its arguments are never evaluated.

/// Emits a Trace event. See the crate docs for the arguments.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Trace, $($arg)+) };
}

/// Emits a Trace event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => {{}};
}

/// Emits a Debug event. See the crate docs for the arguments.
#[cfg(narrate_static_debug)]
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Debug, $($arg)+) };
}

/// Emits a Debug event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_debug))]
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {{}};
}

/// Emits a Info event. See the crate docs for the arguments.
#[cfg(narrate_static_info)]
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Info, $($arg)+) };
}

/// Emits a Info event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_info))]
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {{}};
}

/// Emits a Warn event. See the crate docs for the arguments.
#[cfg(narrate_static_warn)]
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Warn, $($arg)+) };
}

/// Emits a Warn event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_warn))]
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {{}};
}

/// Emits a Error event. See the crate docs for the arguments.
#[cfg(narrate_static_error)]
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Error, $($arg)+) };
}

/// Emits a Error event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_error))]
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => {{}};
}

/// Emits a Fatal event. See the crate docs for the arguments.
#[cfg(narrate_static_fatal)]
#[macro_export]
macro_rules! fatal {
    ($($arg:tt)+) => { $crate::__private::event!($crate, Fatal, $($arg)+) };
}

/// Emits a Fatal event (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_fatal))]
#[macro_export]
macro_rules! fatal {
    ($($arg:tt)*) => {{}};
}

/// Emits an event at a level given as a path: `narrate!(Level::Warn, "…")`.
/// Expands to the level's own macro, so compile-out applies to it too.
#[macro_export]
macro_rules! narrate {
    ($($arg:tt)+) => { $crate::__private::dispatch_level!($crate, $($arg)+) };
}

/// Creates a span at a level given as a path: `span!(Level::INFO, "name", k = v)`.
/// Expands to the level's own `x_span!`, so compile-out applies to it too.
#[macro_export]
macro_rules! span {
    ($($arg:tt)+) => { $crate::__private::dispatch_span!($crate, $($arg)+) };
}

/// `tracing`'s `event!(Level::INFO, …)`: the same as [`narrate!`].
#[macro_export]
macro_rules! event {
    ($($arg:tt)+) => { $crate::__private::dispatch_level!($crate, $($arg)+) };
}

/// Creates a Trace span: `trace_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `trace!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! trace_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(trace, { $crate::__private::span!($crate, Trace, $($arg)+) }, { $crate::Span::none() })
    };
}

/// Creates a Debug span: `debug_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `debug!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! debug_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(debug, { $crate::__private::span!($crate, Debug, $($arg)+) }, { $crate::Span::none() })
    };
}

/// Creates a Info span: `info_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `info!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! info_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(info, { $crate::__private::span!($crate, Info, $($arg)+) }, { $crate::Span::none() })
    };
}

/// Creates a Warn span: `warn_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `warn!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! warn_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(warn, { $crate::__private::span!($crate, Warn, $($arg)+) }, { $crate::Span::none() })
    };
}

/// Creates a Error span: `error_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `error!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! error_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(error, { $crate::__private::span!($crate, Error, $($arg)+) }, { $crate::Span::none() })
    };
}

/// Creates a Fatal span: `fatal_span!("name", field = value, ?debug, %display)`.
/// Compiled out with `fatal!` (then it is [`Span::none`](crate::Span::none)).
#[macro_export]
macro_rules! fatal_span {
    ($($arg:tt)+) => {
        $crate::__level_gate!(fatal, { $crate::__private::span!($crate, Fatal, $($arg)+) }, { $crate::Span::none() })
    };
}

/// The smallest narration: `trace_tiny!(actor, action, target, human)`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_tiny {
    ($actor:literal, $action:literal, $target:expr, $human:literal $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human,  $($($rest)*)?
        )
    };
}

/// The smallest narration: `trace_tiny!(actor, action, target, human)`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_tiny {
    ($($arg:tt)*) => {{}};
}

/// `trace_with_correlation!(actor, action, target, human, correlation_id)`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_with_correlation {
    ($actor:literal, $action:literal, $target:expr, $human:literal, $correlation:expr $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human, correlation_id = $correlation, $($($rest)*)?
        )
    };
}

/// `trace_with_correlation!(actor, action, target, human, correlation_id)`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_with_correlation {
    ($($arg:tt)*) => {{}};
}

/// Entering a function or phase: `trace_enter!(actor, action, target, human)`; adds `phase = "enter"`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_enter {
    ($actor:literal, $action:literal, $target:expr, $human:literal $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human, phase = "enter", $($($rest)*)?
        )
    };
}

/// Entering a function or phase: `trace_enter!(actor, action, target, human)`; adds `phase = "enter"`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_enter {
    ($($arg:tt)*) => {{}};
}

/// Leaving a function or phase: `trace_exit!(actor, action, target, human)`; adds `phase = "exit"`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_exit {
    ($actor:literal, $action:literal, $target:expr, $human:literal $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human, phase = "exit", $($($rest)*)?
        )
    };
}

/// Leaving a function or phase: `trace_exit!(actor, action, target, human)`; adds `phase = "exit"`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_exit {
    ($($arg:tt)*) => {{}};
}

/// One iteration: `trace_loop!(actor, action, target, human, index, total)`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_loop {
    ($actor:literal, $action:literal, $target:expr, $human:literal, $index:expr, $total:expr $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human, index = $index, total = $total, $($($rest)*)?
        )
    };
}

/// One iteration: `trace_loop!(actor, action, target, human, index, total)`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_loop {
    ($($arg:tt)*) => {{}};
}

/// A state change: `trace_state!(actor, action, target, human, from, to)`.
///
/// Trace level, on the same hot path as `trace!`; trailing `key = value`
/// fields are allowed. Compiled out with `trace!`.
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! trace_state {
    ($actor:literal, $action:literal, $target:expr, $human:literal, $from:expr, $to:expr $(, $($rest:tt)*)?) => {
        $crate::__private::event!(
            $crate, Trace, actor = $actor, action = $action, target = $target, $human, from = $from, to = $to, $($($rest)*)?
        )
    };
}

/// A state change: `trace_state!(actor, action, target, human, from, to)`. (compiled out by narrate's Cargo features: expands to nothing).
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! trace_state {
    ($($arg:tt)*) => {{}};
}

/// Expands to its first block when `$level` is compiled in, to its second
/// when it is not. Used by `#[trace_fn]` and `#[narrate]`, which cannot see
/// narrate's features themselves.
#[doc(hidden)]
#[macro_export]
macro_rules! __level_gate {
    (trace, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_trace!({ $($on)* }, { $($off)* }) };
    (debug, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_debug!({ $($on)* }, { $($off)* }) };
    (info, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_info!({ $($on)* }, { $($off)* }) };
    (warn, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_warn!({ $($on)* }, { $($off)* }) };
    (error, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_error!({ $($on)* }, { $($off)* }) };
    (fatal, { $($on:tt)* }, { $($off:tt)* }) => { $crate::__level_gate_fatal!({ $($on)* }, { $($off)* }) };
}

#[doc(hidden)]
#[cfg(narrate_static_trace)]
#[macro_export]
macro_rules! __level_gate_trace {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_trace))]
#[macro_export]
macro_rules! __level_gate_trace {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

#[doc(hidden)]
#[cfg(narrate_static_debug)]
#[macro_export]
macro_rules! __level_gate_debug {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_debug))]
#[macro_export]
macro_rules! __level_gate_debug {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

#[doc(hidden)]
#[cfg(narrate_static_info)]
#[macro_export]
macro_rules! __level_gate_info {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_info))]
#[macro_export]
macro_rules! __level_gate_info {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

#[doc(hidden)]
#[cfg(narrate_static_warn)]
#[macro_export]
macro_rules! __level_gate_warn {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_warn))]
#[macro_export]
macro_rules! __level_gate_warn {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

#[doc(hidden)]
#[cfg(narrate_static_error)]
#[macro_export]
macro_rules! __level_gate_error {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_error))]
#[macro_export]
macro_rules! __level_gate_error {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

#[doc(hidden)]
#[cfg(narrate_static_fatal)]
#[macro_export]
macro_rules! __level_gate_fatal {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($on)* }};
}

#[doc(hidden)]
#[cfg(not(narrate_static_fatal))]
#[macro_export]
macro_rules! __level_gate_fatal {
    ({ $($on:tt)* }, { $($off:tt)* }) => {{ $($off)* }};
}

/// Emits an audit event:
/// `audit!(Security, principal = user, operation = "login", outcome = "ok", ip = addr)`.
///
/// The first argument is an [`AuditKind`](crate::audit::AuditKind) variant
/// (`Security`, `Compliance`, `Access`, `Change`, `Performance`); `principal`,
/// `operation` and `outcome` are required, in that order; any further
/// `key = value` fields are the payload. An audit call site is enabled
/// whenever narrate runs (no level filter), blocks on a full ring whatever
/// the configured policy, and goes to the audit sink (see
/// [`Config::audit`](crate::Config::audit)). It is shown at Info level in the
/// ordinary sinks when [`Config::audit_to_all_sinks`](crate::Config::audit_to_all_sinks) is on.
#[cfg(feature = "audit")]
#[macro_export]
macro_rules! audit {
    ($kind:ident, principal = $principal:expr, operation = $operation:expr, outcome = $outcome:expr $(, $($rest:tt)*)?) => {
        $crate::__private::audit_event!(
            $crate, Info, "{operation} by {principal}: {outcome}",
            kind = $crate::audit::AuditKind::$kind.as_str(),
            principal = $principal, operation = $operation, outcome = $outcome, $($($rest)*)?
        )
    };
}

/// Emits an audit event (the `audit` feature is off: expands to nothing).
#[cfg(not(feature = "audit"))]
#[macro_export]
macro_rules! audit {
    ($($arg:tt)*) => {{}};
}
