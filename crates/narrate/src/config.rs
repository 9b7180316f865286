//! Configuration for [`crate::init`].
//!
//! ```no_run
//! use narrate::{Config, Format, Level, FileSink};
//! let _guard = narrate::init(
//!     Config::new()
//!         .level(Level::Debug)
//!         .stdout(Format::Pretty)
//!         .sink(FileSink::new("logs/app.jsonl").max_bytes(64 << 20).keep(5)),
//! )?;
//! # Ok::<(), narrate::InitError>(())
//! ```
//!
//! # Full rings: block or drop?
//!
//! Each thread writes into its own ring. When the backend falls behind and a
//! ring fills, the level's [`FullRingPolicy`] decides: `Block` waits for
//! room (never loses an event, but the caller stalls), `DropNewest` discards
//! the event and counts it (the caller never stalls; the loss is reported
//! in-band and in [`crate::stats`]). The default blocks for every level, since
//! losing log lines silently is the failure users trust a logger least for;
//! latency-critical services that prefer to shed Trace…Warn under overload set
//! `on_full_ring(FullRingPolicy::DropNewest)`, which leaves Error and Fatal
//! on `Block` unless they are set explicitly.
//!
//! # Ring size
//!
//! The default 1 MiB per thread holds about 15 000 typical events (≈ 70 bytes
//! each), i.e. a few milliseconds of a burst at full speed, which is what it
//! takes for the backend to wake from idle and catch up.

use std::path::PathBuf;
use std::time::Duration;

use crate::filter::{Filter, FilterError};
use crate::format::Format;
use crate::level::Level;
use crate::sinks::{Capture, Sink};
use narrate_redact::RedactConfig;

/// What a caller does when its ring has no room for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullRingPolicy {
    /// Wait until the backend makes room. Never loses an event.
    Block,
    /// Discard the event and count it as dropped.
    DropNewest,
}

/// Where a sink writes.
pub(crate) enum SinkTarget {
    Stdout,
    Stderr,
    File(FileSink),
    Custom(Box<dyn Sink>),
}

/// One sink: where, in which format, from which level.
pub struct SinkSpec {
    pub(crate) target: SinkTarget,
    pub(crate) format: Format,
    pub(crate) min_level: Level,
    pub(crate) takes: Takes,
}

/// Which events a sink receives: ordinary events, audit events, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    Events,
    Audit,
    Both,
}

impl Takes {
    /// Whether a sink that takes `self` receives an event of `kind`.
    #[inline]
    pub(crate) fn accepts(self, kind: crate::callsite::Kind) -> bool {
        match (self, kind) {
            (Takes::Both, _) => true,
            (Takes::Audit, crate::callsite::Kind::Audit) => true,
            (Takes::Events, crate::callsite::Kind::Audit) | (Takes::Audit, _) => false,
            (Takes::Events, _) => true,
        }
    }
}

impl SinkSpec {
    pub fn stdout(format: Format) -> SinkSpec {
        SinkSpec::with_target(SinkTarget::Stdout, format)
    }

    pub fn stderr(format: Format) -> SinkSpec {
        SinkSpec::with_target(SinkTarget::Stderr, format)
    }

    /// A user-defined sink; it receives every event already formatted.
    pub fn custom(sink: impl Sink + 'static, format: Format) -> SinkSpec {
        SinkSpec::with_target(SinkTarget::Custom(Box::new(sink)), format)
    }

    /// Only events at `level` or above reach this sink.
    pub fn min_level(mut self, level: Level) -> SinkSpec {
        self.min_level = level;
        self
    }

    fn with_target(target: SinkTarget, format: Format) -> SinkSpec {
        SinkSpec {
            target,
            format,
            min_level: Level::Trace,
            takes: Takes::Events,
        }
    }
}

impl From<FileSink> for SinkSpec {
    fn from(file: FileSink) -> SinkSpec {
        let format = file.format;
        let min_level = file.min_level;
        SinkSpec {
            target: SinkTarget::File(file),
            format,
            min_level,
            takes: Takes::Events,
        }
    }
}

impl From<&Capture> for SinkSpec {
    fn from(capture: &Capture) -> SinkSpec {
        SinkSpec::custom(capture.clone(), Format::Json)
    }
}

/// A buffered file sink with optional size and daily rotation.
///
/// Rotation renames the active file to `NAME.N` with `N` one more than the
/// highest existing number (so higher is newer and no file is ever renamed
/// twice), then deletes the oldest rotated files beyond `keep`.
#[derive(Debug, Clone)]
pub struct FileSink {
    pub(crate) path: PathBuf,
    pub(crate) format: Format,
    pub(crate) min_level: Level,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) daily: bool,
    pub(crate) keep: Option<usize>,
    pub(crate) buffer_bytes: usize,
    pub(crate) check_interval: Duration,
}

impl FileSink {
    /// JSON lines to `path`, appending; parent directories are created.
    pub fn new(path: impl Into<PathBuf>) -> FileSink {
        FileSink {
            path: path.into(),
            format: Format::Json,
            min_level: Level::Trace,
            max_bytes: None,
            daily: false,
            keep: None,
            buffer_bytes: 64 * 1024,
            check_interval: Duration::from_secs(1),
        }
    }

    /// How often the backend checks whether the file was deleted, moved
    /// away or truncated from outside (default 1 s; see
    /// [`crate::sinks::FileWriter`]). The check is two `stat` calls on the
    /// backend thread, never per event.
    pub fn check_interval(mut self, interval: Duration) -> FileSink {
        self.check_interval = interval;
        self
    }

    pub fn format(mut self, format: Format) -> FileSink {
        self.format = format;
        self
    }

    pub fn min_level(mut self, level: Level) -> FileSink {
        self.min_level = level;
        self
    }

    /// Rotate before a write would take the file past `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> FileSink {
        self.max_bytes = Some(bytes.max(1));
        self
    }

    /// Rotate when the UTC date of an event differs from the file's.
    pub fn daily(mut self) -> FileSink {
        self.daily = true;
        self
    }

    /// Keep at most `n` rotated files (the active file is not counted).
    pub fn keep(mut self, n: usize) -> FileSink {
        self.keep = Some(n);
        self
    }

    /// Size of the write buffer (default 64 KiB).
    pub fn buffer_bytes(mut self, bytes: usize) -> FileSink {
        self.buffer_bytes = bytes.max(1);
        self
    }
}

/// Everything [`crate::init`] needs. Built with chained setters.
pub struct Config {
    pub(crate) min_level: Level,
    pub(crate) sinks: Vec<SinkSpec>,
    pub(crate) ring_bytes: usize,
    pub(crate) full_ring: [FullRingPolicy; 7],
    pub(crate) merge_window: Duration,
    pub(crate) idle_sleep: Duration,
    pub(crate) handle_signals: bool,
    pub(crate) panic_hook: bool,
    pub(crate) filter: Option<Result<Filter, FilterError>>,
    pub(crate) env_filter: bool,
    pub(crate) backend_core: Option<usize>,
    pub(crate) redact: Option<RedactConfig>,
    pub(crate) reload_on_sighup: bool,
    /// See [`crate::sampling`]; set with `Config::sampling`.
    pub(crate) sampling: Option<crate::sampling::Sampling>,
    /// Where to serve Prometheus metrics; set with `Config::metrics_address`.
    pub(crate) metrics_address: Option<String>,
    /// Audit events also go to the ordinary sinks (`Config::audit_to_all_sinks`).
    pub(crate) audit_to_all_sinks: bool,
    pub(crate) reopen_on_sighup: bool,
    pub(crate) sink_panic_limit: u32,
    /// The file this config was read from (`Config::from_file`), for reloads.
    #[cfg(feature = "config-file")]
    pub(crate) source: Option<PathBuf>,
    #[cfg(feature = "config-file")]
    pub(crate) file: Option<crate::config_file::FileConfig>,
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

impl Config {
    pub fn new() -> Config {
        Config {
            min_level: Level::Info,
            sinks: Vec::new(),
            ring_bytes: 1 << 20,
            full_ring: [FullRingPolicy::Block; 7],
            // Events are held this long for stragglers from other threads
            // before being written in timestamp order: longer than a typical
            // enqueue (tens of ns), shorter than anything a human notices.
            merge_window: Duration::from_micros(100),
            // How long the backend sleeps when every ring is empty. 200 µs
            // keeps a 1 MiB ring from filling during a sleep at ~5 M events/s
            // while costing well under 1 % of a core when idle.
            idle_sleep: Duration::from_micros(200),
            handle_signals: false,
            panic_hook: true,
            filter: None,
            env_filter: true,
            backend_core: None,
            redact: Some(RedactConfig::default()),
            reload_on_sighup: false,
            sampling: None,
            metrics_address: None,
            audit_to_all_sinks: false,
            reopen_on_sighup: false,
            sink_panic_limit: 3,
            #[cfg(feature = "config-file")]
            source: None,
            #[cfg(feature = "config-file")]
            file: None,
        }
    }

    /// Filter directives in `RUST_LOG` syntax extended with actions, e.g.
    /// `"warn,my_crate::db=debug,[dispatch]=trace"` (see [`crate::filter`]).
    /// A malformed spec makes `init` fail with [`crate::InitError::Filter`].
    /// Replaces [`Config::level`]; a spec with no bare level keeps it as default.
    pub fn filter(mut self, spec: &str) -> Config {
        self.filter = Some(Filter::parse(spec, self.min_level));
        self
    }

    /// Whether `init` reads directives from `NARRATE_LOG` (default on). They
    /// take precedence over the configured filter; a malformed value is
    /// reported (stderr and an in-band warning) and ignored.
    pub fn env_filter(mut self, on: bool) -> Config {
        self.env_filter = on;
        self
    }

    /// Least severe level emitted (default `Info`). `Mute` silences everything.
    pub fn level(mut self, level: Level) -> Config {
        self.min_level = level;
        self
    }

    /// Adds a sink. With no sink at all, events go to stdout in `Pretty` format.
    pub fn sink(mut self, sink: impl Into<SinkSpec>) -> Config {
        self.sinks.push(sink.into());
        self
    }

    pub fn stdout(self, format: Format) -> Config {
        self.sink(SinkSpec::stdout(format))
    }

    pub fn stderr(self, format: Format) -> Config {
        self.sink(SinkSpec::stderr(format))
    }

    /// Bytes per thread ring (rounded up to at least 4 KiB).
    pub fn ring_bytes(mut self, bytes: usize) -> Config {
        self.ring_bytes = bytes.max(4096);
        self
    }

    /// Policy for a full ring at Trace, Debug, Info and Warn. Error and Fatal
    /// keep their own policy (default `Block`); see [`Config::on_full_ring_for`].
    pub fn on_full_ring(mut self, policy: FullRingPolicy) -> Config {
        for level in [Level::Trace, Level::Debug, Level::Info, Level::Warn] {
            self.full_ring[level as usize] = policy;
        }
        self
    }

    /// Policy for a full ring at one level.
    pub fn on_full_ring_for(mut self, level: Level, policy: FullRingPolicy) -> Config {
        self.full_ring[level as usize] = policy;
        self
    }

    /// How long the backend waits for events from other threads before
    /// writing in timestamp order (default 100 µs).
    pub fn merge_window(mut self, window: Duration) -> Config {
        self.merge_window = window;
        self
    }

    /// How long the backend sleeps when all rings are empty (default 200 µs).
    pub fn idle_sleep(mut self, sleep: Duration) -> Config {
        self.idle_sleep = sleep;
        self
    }

    /// Redaction settings (default: every built-in detector except UUID and
    /// e-mail, the default sensitive field names, `[REDACTED]`). A bad custom
    /// pattern makes `init` fail with [`crate::InitError::Redact`].
    pub fn redact(mut self, cfg: RedactConfig) -> Config {
        self.redact = Some(cfg);
        self
    }

    /// Turns redaction off: values are written as logged.
    pub fn no_redaction(mut self) -> Config {
        self.redact = None;
        self
    }

    /// Pins the backend thread to one CPU core (by index in the list the OS
    /// reports). Keeps the backend off the cores of latency-critical threads;
    /// ignored where pinning is not supported.
    pub fn backend_core(mut self, core: usize) -> Config {
        self.backend_core = Some(core);
        self
    }

    /// Flush on SIGTERM and SIGINT, then die of the signal as usual (opt-in).
    pub fn handle_signals(mut self, on: bool) -> Config {
        self.handle_signals = on;
        self
    }

    /// Re-read the configuration file on SIGHUP (opt-in; only for a config
    /// from [`Config::from_file`] / [`Config::load`]): level, filter and
    /// rules change at run time, see [`crate::reload_config`].
    pub fn reload_on_sighup(mut self, on: bool) -> Config {
        self.reload_on_sighup = on;
        self
    }

    /// Reopen every file sink on SIGHUP (opt-in), for `logrotate` in
    /// `create` mode: it moves the file away, then sends SIGHUP
    /// (`postrotate kill -HUP <pid>`). Works with or without a configuration
    /// file; with [`Config::reload_on_sighup`] as well, one SIGHUP does both
    /// (reload first, then reopen). Same as calling [`crate::reopen`].
    pub fn reopen_on_sighup(mut self, on: bool) -> Config {
        self.reopen_on_sighup = on;
        self
    }

    /// Panics a sink may raise before it is disabled (default 3, at least 1).
    /// Each panic is caught on the backend, counted
    /// ([`crate::Stats::sink_panics`]) and reported in-band; the event that
    /// caused it is not written to that sink, the other sinks get it.
    pub fn sink_panic_limit(mut self, panics: u32) -> Config {
        self.sink_panic_limit = panics.max(1);
        self
    }

    /// Log panics as Fatal events and flush before the previous hook runs
    /// (default on).
    pub fn panic_hook(mut self, on: bool) -> Config {
        self.panic_hook = on;
        self
    }
}
