//! Lifetime: `init`, `flush`, `shutdown`, the guard, the panic hook and
//! signal handling.
//!
//! # The flush protocol
//!
//! `flush()` takes a ticket (`flush_requested += 1`), wakes the backend and
//! waits until `flush_done >= ticket`. The backend reads `flush_requested`
//! (`Acquire`) at the start of a round; everything the flushing thread
//! committed to its ring happened before its ticket (`AcqRel`), so that round
//! sees it. The round drains every ring up to the current time with no merge
//! window, flushes every sink, and then publishes the ticket under the
//! `flush_done` mutex and wakes the waiters.
//!
//! # Exits
//!
//! * Returning from `main`: the [`Guard`] drops and shuts down (drain, flush,
//!   join the backend).
//! * A panic: the hook logs it as a Fatal event and flushes before the
//!   previous hook runs; the unwinding guard then shuts down.
//! * SIGTERM/SIGINT (opt-in, [`crate::Config::handle_signals`]): a watcher
//!   thread logs the signal, shuts down, then re-raises the signal with its
//!   default action, so the exit status still says what killed the process.
//! * `std::process::exit` runs no destructors: call [`shutdown`] first.
//!
//! # SIGHUP
//!
//! One opt-in watcher thread serves both SIGHUP uses: with
//! `Config::reload_on_sighup` it re-reads the configuration file
//! (`crate::reload_config`), with [`crate::Config::reopen_on_sighup`] it
//! reopens the file sinks ([`reopen`]); with both, reload first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::backend::{Backend, SinkSlot};
use crate::callsite;
use crate::config::{Config, FullRingPolicy, SinkSpec, SinkTarget, Takes};
use crate::filter::{Filter, FilterError};
use crate::format::{Format, Style};
use crate::level::Level;
use crate::ring::LaneHandle;
use crate::sinks::{FileWriter, Sink, StdioWriter};

/// State shared between callers and the backend thread.
pub(crate) struct Runtime {
    pub ring_bytes: usize,
    pub full_ring: [FullRingPolicy; 7],
    pub merge_window: Duration,
    pub idle_sleep: Duration,
    new_lanes: Mutex<Vec<LaneHandle>>,
    /// Set (`Release`) after pushing to `new_lanes`; the backend checks it
    /// (`Acquire`) every round and only then takes the lock.
    has_new_lanes: AtomicBool,
    orphans: Mutex<Vec<Vec<u8>>>,
    has_orphans: AtomicBool,
    pub flush_requested: AtomicU64,
    flush_done: Mutex<u64>,
    flush_cv: Condvar,
    pub stop: AtomicBool,
    /// Bumped by [`reopen`]; the backend reopens its sinks when it differs
    /// from the last value it served.
    pub reopen_requested: AtomicU64,
    pub sink_panic_limit: u32,
    alive: AtomicBool,
    shut_down: AtomicBool,
    backend_thread: OnceLock<Thread>,
    backend_join: Mutex<Option<JoinHandle<()>>>,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

pub(crate) fn runtime() -> Option<&'static Runtime> {
    RUNTIME.get().filter(|rt| rt.alive.load(Ordering::Acquire))
}

pub(crate) fn backend_alive() -> bool {
    runtime().is_some()
}

pub(crate) fn wake_backend() {
    if let Some(t) = RUNTIME.get().and_then(|rt| rt.backend_thread.get()) {
        t.unpark();
    }
}

fn on_backend_thread() -> bool {
    RUNTIME
        .get()
        .and_then(|rt| rt.backend_thread.get())
        .is_some_and(|t| t.id() == std::thread::current().id())
}

impl Runtime {
    pub fn register_lane(&self, handle: LaneHandle) {
        self.new_lanes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
        self.has_new_lanes.store(true, Ordering::Release);
    }

    pub fn take_new_lanes(&self, mut f: impl FnMut(LaneHandle)) {
        if self.has_new_lanes.swap(false, Ordering::Acquire) {
            let mut lanes = self.new_lanes.lock().unwrap_or_else(|e| e.into_inner());
            for handle in lanes.drain(..) {
                f(handle);
            }
        }
    }

    pub fn push_orphan(&self, record: Vec<u8>) {
        self.orphans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        self.has_orphans.store(true, Ordering::Release);
    }

    pub fn take_orphans(&self, mut f: impl FnMut(Vec<u8>)) {
        if self.has_orphans.swap(false, Ordering::Acquire) {
            let records =
                std::mem::take(&mut *self.orphans.lock().unwrap_or_else(|e| e.into_inner()));
            for record in records {
                f(record);
            }
        }
    }

    pub fn complete_flush(&self, ticket: u64) {
        let mut done = self.flush_done.lock().unwrap_or_else(|e| e.into_inner());
        *done = (*done).max(ticket);
        self.flush_cv.notify_all();
    }
}

/// Why [`init`] failed.
#[derive(Debug)]
pub enum InitError {
    /// `init` was already called in this process.
    AlreadyInitialized,
    /// A file sink could not be opened.
    Sink {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The signal handler could not be installed.
    Signals(std::io::Error),
    /// The backend thread could not be started.
    Thread(std::io::Error),
    /// The filter given to [`Config::filter`] is malformed.
    Filter(FilterError),
    /// The redaction settings are invalid (e.g. a bad custom pattern).
    Redact(narrate_redact::RedactError),
    /// The metrics address ([`Config::metrics_address`]) cannot be bound.
    Metrics {
        address: String,
        source: std::io::Error,
    },
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::AlreadyInitialized => {
                f.write_str("narrate is already initialized in this process")
            }
            InitError::Sink { path, source } => {
                write!(f, "cannot open log file `{}`: {source}", path.display())
            }
            InitError::Signals(e) => write!(f, "cannot install SIGTERM/SIGINT handling: {e}"),
            InitError::Thread(e) => write!(f, "cannot start the narrate backend thread: {e}"),
            InitError::Filter(e) => write!(f, "{e}"),
            InitError::Redact(e) => write!(f, "invalid redaction settings: {e}"),
            InitError::Metrics { address, source } => {
                write!(f, "cannot serve metrics on `{address}`: {source}")
            }
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Sink { source, .. } => Some(source),
            InitError::Signals(e) | InitError::Thread(e) => Some(e),
            InitError::Filter(e) => Some(e),
            InitError::Redact(e) => Some(e),
            InitError::Metrics { source, .. } => Some(source),
            InitError::AlreadyInitialized => None,
        }
    }
}

/// Shuts narrate down (draining and flushing everything) when dropped.
/// Keep it alive for as long as the program logs: `let _guard = narrate::init(…)?;`
#[must_use = "dropping the guard shuts narrate down at once"]
#[derive(Debug)]
pub struct Guard {
    _private: (),
}

impl Drop for Guard {
    fn drop(&mut self) {
        shutdown();
    }
}

fn open_sink((index, spec): (usize, SinkSpec)) -> Result<SinkSlot, InitError> {
    use std::io::IsTerminal;
    // Metrics label the sink by kind (`custom`, `file:PATH`); notices by
    // instance (`custom#2`, `PATH`).
    let metrics_name = match &spec.target {
        SinkTarget::Stdout => "stdout".to_string(),
        SinkTarget::Stderr => "stderr".to_string(),
        SinkTarget::File(cfg) => format!("file:{}", cfg.path.display()),
        SinkTarget::Custom(_) => "custom".to_string(),
    };
    let (sink, color, name): (Box<dyn Sink>, bool, String) = match spec.target {
        SinkTarget::Stdout => (
            Box::new(StdioWriter::new(false)),
            std::io::stdout().is_terminal(),
            "stdout".into(),
        ),
        SinkTarget::Stderr => (
            Box::new(StdioWriter::new(true)),
            std::io::stderr().is_terminal(),
            "stderr".into(),
        ),
        SinkTarget::File(cfg) => {
            let path = cfg.path.clone();
            let name = path.display().to_string();
            let writer =
                FileWriter::open(cfg).map_err(|source| InitError::Sink { path, source })?;
            (Box::new(writer), false, name)
        }
        SinkTarget::Custom(sink) => (sink, false, format!("custom#{index}")),
    };
    // NO_COLOR (https://no-color.org) turns colour off even on a terminal.
    let color = color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Ok(SinkSlot::new(
        sink,
        Style::of(spec.format, color),
        spec.min_level,
        spec.takes,
        name,
        metrics_name,
    ))
}

/// Starts narrate: opens the sinks, starts the backend thread, enables the
/// call sites at or above the configured level.
///
/// Errors are returned before anything is started: an unwritable file path
/// gives [`InitError::Sink`] naming it. `init` works once per process.
pub fn init(mut config: Config) -> Result<Guard, InitError> {
    let filter = match config.filter.take() {
        Some(Ok(filter)) => filter,
        Some(Err(e)) => return Err(InitError::Filter(e)),
        None => Filter::level(config.min_level),
    };
    if config.sinks.iter().all(|s| s.takes == Takes::Audit) {
        config.sinks.push(SinkSpec::stdout(Format::Pretty));
    }
    // Audit events are never lost for want of an audit sink: without one
    // they go to the ordinary sinks.
    let no_audit_sink = !config.sinks.iter().any(|s| s.takes == Takes::Audit);
    if config.audit_to_all_sinks || no_audit_sink {
        for spec in &mut config.sinks {
            if spec.takes == Takes::Events {
                spec.takes = Takes::Both;
            }
        }
    }
    let redactor = match config.redact.take() {
        Some(cfg) => Some(narrate_redact::Redactor::new(cfg).map_err(InitError::Redact)?),
        None => None,
    };
    let mut sinks = config
        .sinks
        .into_iter()
        .enumerate()
        .map(open_sink)
        .collect::<Result<Vec<_>, _>>()?;
    // Checked after opening the sinks, so a bad path is reported as such
    // even in a process that already logs.
    if RUNTIME.get().is_some() {
        return Err(InitError::AlreadyInitialized);
    }
    let metrics_listener = match &config.metrics_address {
        Some(address) => {
            Some(
                crate::metrics::bind(address).map_err(|source| InitError::Metrics {
                    address: address.clone(),
                    source,
                })?,
            )
        }
        None => None,
    };
    // Calibrate the clock before the first event needs it.
    let _ = crate::clock::anchor();
    let runtime = Runtime {
        ring_bytes: config.ring_bytes,
        full_ring: config.full_ring,
        merge_window: config.merge_window,
        idle_sleep: config.idle_sleep,
        new_lanes: Mutex::new(Vec::new()),
        has_new_lanes: AtomicBool::new(false),
        orphans: Mutex::new(Vec::new()),
        has_orphans: AtomicBool::new(false),
        flush_requested: AtomicU64::new(0),
        flush_done: Mutex::new(0),
        flush_cv: Condvar::new(),
        stop: AtomicBool::new(false),
        reopen_requested: AtomicU64::new(0),
        sink_panic_limit: config.sink_panic_limit,
        alive: AtomicBool::new(true),
        shut_down: AtomicBool::new(false),
        backend_thread: OnceLock::new(),
        backend_join: Mutex::new(None),
    };
    if RUNTIME.set(runtime).is_err() {
        return Err(InitError::AlreadyInitialized);
    }
    let rt = RUNTIME.get().expect("just set");
    // Before the backend starts, so that it sees the report interval and
    // adaptive settings, and before the filter enables any call site.
    crate::sampling::install(config.sampling.take());
    crate::metrics::list_sinks(sinks.iter_mut().map(|s| &mut s.metrics));
    let backend = Backend::new(sinks, redactor);
    let core = config
        .backend_core
        .and_then(|i| core_affinity::get_core_ids().and_then(|ids| ids.get(i).copied()));
    let join = std::thread::Builder::new()
        .name("narrate-backend".into())
        .spawn(move || {
            if let Some(core) = core {
                core_affinity::set_for_current(core);
            }
            backend.run(rt)
        })
        .map_err(|e| {
            rt.alive.store(false, Ordering::Release);
            InitError::Thread(e)
        })?;
    let _ = rt.backend_thread.set(join.thread().clone());
    *rt.backend_join.lock().unwrap_or_else(|e| e.into_inner()) = Some(join);
    if config.handle_signals {
        install_signal_handling().inspect_err(|_| shutdown())?;
    }
    if config.panic_hook {
        install_panic_hook();
    }
    if let Some(listener) = metrics_listener {
        crate::metrics::serve(listener).map_err(InitError::Thread)?;
    }
    #[cfg(feature = "config-file")]
    crate::config_file::on_init(config.source.take(), config.file.take());
    if config.reload_on_sighup || config.reopen_on_sighup {
        start_sighup_watcher(config.reload_on_sighup, config.reopen_on_sighup);
    }
    let mut env_error = None;
    let filter = match (&config.env_filter, std::env::var(ENV_FILTER)) {
        (true, Ok(spec)) => Filter::parse(&spec, filter.default).unwrap_or_else(|e| {
            env_error = Some(e);
            filter
        }),
        _ => filter,
    };
    callsite::set_filter(filter);
    callsite::set_running(true);
    if let Some(e) = env_error {
        // A typo in an environment variable should not stop a service from
        // starting; it is reported where its operators will look.
        eprintln!("narrate: {ENV_FILTER} ignored: {e}");
        crate::warn!(
            actor = "narrate",
            action = "filter",
            "{ENV_FILTER} ignored: invalid directive {directive}: {reason}",
            directive = e.directive.as_str(),
            reason = e.reason.as_str(),
        );
    }
    Ok(Guard { _private: () })
}

/// The environment variable read by `init` for filter directives.
pub const ENV_FILTER: &str = "NARRATE_LOG";

/// Changes the default level, at runtime, keeping the directives.
pub fn set_level(level: Level) {
    let mut filter = callsite::current_filter();
    filter.default = level;
    callsite::set_filter(filter);
}

/// Replaces the filter with `spec` (see [`crate::filter`]), at runtime. On a
/// malformed spec nothing changes and the error names the bad directive.
pub fn set_filter(spec: &str) -> Result<(), FilterError> {
    let default = callsite::current_filter().default;
    callsite::set_filter(Filter::parse(spec, default)?);
    Ok(())
}

/// Returns once every event emitted before the call is written and every
/// sink flushed. Returns at once when narrate is not running.
pub fn flush() {
    flush_timeout(Duration::MAX);
}

/// Like [`flush`], giving up after `timeout`. True when the flush completed.
pub fn flush_timeout(timeout: Duration) -> bool {
    let Some(rt) = runtime() else { return true };
    if on_backend_thread() {
        return false;
    }
    let ticket = rt.flush_requested.fetch_add(1, Ordering::AcqRel) + 1;
    wake_backend();
    let deadline = Instant::now().checked_add(timeout);
    let mut done = rt.flush_done.lock().unwrap_or_else(|e| e.into_inner());
    while *done < ticket {
        if !rt.alive.load(Ordering::Acquire) {
            return true; // shutdown drained everything
        }
        // Bounded waits, so a shutdown racing with us is noticed.
        let mut wait = Duration::from_millis(50);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            wait = wait.min(left);
        }
        done = rt
            .flush_cv
            .wait_timeout(done, wait)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

/// Reopens every file sink at its path (`logrotate` in `create` mode moves
/// the file away, then asks for this, e.g. with SIGHUP and
/// [`crate::Config::reopen_on_sighup`]).
///
/// Everything emitted before the call is written to the old file first;
/// returns once the sinks have reopened. Each reopen is counted
/// ([`crate::Stats::files_reopened`]) and reported in-band
/// (`narrate/reopen`); a path that cannot be opened is reported and the old
/// file kept. Does nothing when narrate is not running.
pub fn reopen() {
    let Some(rt) = runtime() else { return };
    if on_backend_thread() {
        // A sink asking from inside the backend: served at the next round.
        rt.reopen_requested.fetch_add(1, Ordering::Release);
        return;
    }
    flush();
    rt.reopen_requested.fetch_add(1, Ordering::Release);
    flush();
}

fn start_sighup_watcher(reload: bool, reopen_files: bool) {
    use signal_hook::consts::SIGHUP;
    let signals = match signal_hook::iterator::Signals::new([SIGHUP]) {
        Ok(s) => s,
        Err(e) => {
            let error = e.to_string();
            crate::error!(
                actor = "narrate",
                action = "signal",
                "cannot watch SIGHUP: {error}",
            );
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("narrate-sighup".into())
        .spawn(move || {
            let mut signals = signals;
            for _ in signals.forever() {
                #[cfg(feature = "config-file")]
                if reload {
                    // Errors are already reported in-band by reload_config.
                    let _ = crate::config_file::reload_config();
                }
                #[cfg(not(feature = "config-file"))]
                let _ = reload;
                if reopen_files {
                    reopen();
                }
            }
        });
    if spawned.is_err() {
        eprintln!("narrate: cannot start the SIGHUP watcher thread");
    }
}

/// Stops narrate: disables every call site, drains every ring, flushes every
/// sink and joins the backend thread. Idempotent.
///
/// Dropping the [`Guard`] does this. Call it yourself before
/// `std::process::exit`, which runs no destructors:
///
/// ```no_run
/// narrate::shutdown();
/// std::process::exit(2);
/// ```
pub fn shutdown() {
    let Some(rt) = RUNTIME.get() else { return };
    if rt.shut_down.swap(true, Ordering::AcqRel) {
        return;
    }
    callsite::set_running(false);
    rt.stop.store(true, Ordering::Release);
    wake_backend();
    if !on_backend_thread() {
        let join = rt
            .backend_join
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(join) = join {
            let _ = join.join();
        }
    }
    rt.alive.store(false, Ordering::Release);
    rt.complete_flush(u64::MAX);
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // On the backend thread the only code that can panic is a sink's
        // (narrate's own is panic-free): the backend catches it and reports
        // it in-band as `narrate/sink_panic`, so no Fatal event here.
        if on_backend_thread() {
            return previous(info);
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("Box<dyn Any>");
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        crate::fatal!(
            actor = "narrate",
            action = "panic",
            "thread '{thread}' panicked at {location}: {message}",
        );
        flush_timeout(Duration::from_secs(5));
        previous(info);
    }));
}

fn install_signal_handling() -> Result<(), InitError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGINT]).map_err(InitError::Signals)?;
    std::thread::Builder::new()
        .name("narrate-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let name = if signal == SIGTERM {
                    "SIGTERM"
                } else {
                    "SIGINT"
                };
                crate::warn!(
                    actor = "narrate",
                    action = "signal",
                    "received {name}, flushing before exit",
                );
                shutdown();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Only reached if the default action does not end the process.
                std::process::exit(128 + signal);
            }
        })
        .map_err(InitError::Thread)?;
    Ok(())
}
