//! `narrate.toml`: configuring narrate without recompiling.
//!
//! ```toml
//! level = "info"
//! filter = "my_service::db=debug"
//!
//! [[sinks]]
//! kind = "stdout"
//! format = "pretty"
//!
//! [[sinks]]
//! name = "main"
//! kind = "file"
//! path = "logs/app.jsonl"
//! max_bytes = "64 MiB"
//! keep = 10
//! ```
//!
//! [`Config::from_file`] reads a file, [`Config::load`] the file named by
//! `NARRATE_CONFIG` (else `./narrate.toml` if present, else the defaults).
//! Every key is listed in `docs/configuration.md`, and
//! `narrate config example` prints a commented file with all of them.
//!
//! # Errors
//!
//! The file is read in two steps: `toml`'s parser turns the text into tables
//! whose every key and value keeps its byte span, then this module walks
//! them with typed getters ([`reader`]). Whatever is wrong — TOML syntax, an
//! unknown key, a wrong type, a value out of range, a bad regex, a duplicate
//! sink name, a directory that cannot hold the log file — comes back as one
//! [`ConfigError`] naming the file, line, column and key path
//! (`sinks[1].format`), with a "did you mean" for near-miss keys and values.
//! We walk the tables by hand rather than deriving serde: serde's errors
//! know the key but not where the bad value sits, and cannot suggest.
//!
//! # What can change at run time
//!
//! [`reload_config`] (and SIGHUP with `reload_on_sighup = true`) re-reads
//! the file and applies what narrate can change while running: `level`,
//! `filter` and `[[rules]]`. Sinks, ring size, policies, redaction,
//! sampling, the metrics address and the backend's timing are fixed at `init`; a reload that changes them says so
//! in-band and keeps the running values. A file that fails to load keeps the
//! whole old configuration, and the error is logged as a `narrate/config`
//! event as well as returned.
//!
//! # Environment
//!
//! * `NARRATE_CONFIG`: the file [`Config::load`] reads.
//! * `NARRATE_LOG`: filter directives; they take precedence over `level`,
//!   `filter` and `[[rules]]` (unless `env_filter = false`), at `init` and at
//!   every reload.
//! * `NO_COLOR`: no colour in `pretty` output on a terminal.

// A load happens once per start (and per reload): a 128-byte error on its
// cold path costs nothing worth a Box and the less readable field access.
#![allow(clippy::result_large_err)]

mod reader;
mod render;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use narrate_redact::{CustomPattern, Detector, Detectors, RedactConfig, Replacement};

use crate::config::{Config, FileSink, FullRingPolicy, SinkSpec};
use crate::filter::Filter;
use crate::format::Format;
use crate::level::Level;
use reader::{At, Source, Table};

pub use render::EXAMPLE;

/// Largest configuration file accepted. A logging configuration is a few
/// kilobytes; anything this big is a mistake (a log file passed by error),
/// and refusing it early keeps a bad deploy from stalling start-up.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The environment variable [`Config::load`] reads the file's path from.
pub const ENV_CONFIG: &str = "NARRATE_CONFIG";

/// Why a configuration file was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or `<string>`).
    pub origin: String,
    /// 1-based line, when the problem has a position.
    pub line: Option<usize>,
    /// 1-based column (characters).
    pub column: Option<usize>,
    /// Dotted key path, e.g. `sinks[1].format`.
    pub key: Option<String>,
    pub message: String,
    /// A suggestion ("did you mean `level`?").
    pub help: Option<String>,
}

impl ConfigError {
    fn whole_file(origin: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            origin: origin.to_string(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
            help: None,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// What a sink in the file writes to.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    Stdout,
    Stderr,
    File {
        path: PathBuf,
        max_bytes: Option<u64>,
        daily: bool,
        keep: Option<usize>,
        buffer_bytes: usize,
    },
    /// RFC 5424 syslog ([`crate::sinks::SyslogSink`]).
    Syslog {
        /// `udp`, `tcp` or `unix`.
        transport: String,
        /// `host:port`, or a socket path for `unix`.
        address: String,
        facility: String,
        app_name: Option<String>,
    },
    /// The collector daemon ([`crate::sinks::DaemonSink`]).
    Daemon {
        socket: PathBuf,
    },
}

/// One `[[sinks]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkEntry {
    /// Unique among the sinks; defaults to the kind (`stdout`, `file-2`).
    pub name: String,
    pub kind: SinkKind,
    pub format: Format,
    pub min_level: Level,
}

/// One `[[rules]]` entry: a filter directive written as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRule {
    /// Module path or actor (and everything under it).
    pub path: Option<String>,
    pub action: Option<String>,
    pub level: Level,
}

impl FilterRule {
    /// The rule as a directive in `NARRATE_LOG` syntax.
    pub fn directive(&self) -> String {
        let mut d = self.path.clone().unwrap_or_default();
        if let Some(action) = &self.action {
            d.push('[');
            d.push_str(action);
            d.push(']');
        }
        d.push('=');
        d.push_str(self.level.as_str());
        d
    }
}

/// How secrets are replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplacementEntry {
    Fixed(String),
    KeyedHash { key: [u8; 16], label: String },
}

/// The `[redaction]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionEntry {
    pub enabled: bool,
    pub detectors: Detectors,
    pub sensitive_fields: Vec<String>,
    pub secret_keys: Vec<String>,
    pub patterns: Vec<CustomPattern>,
    pub replacement: ReplacementEntry,
}

/// A validated `narrate.toml`: plain data, every default filled in.
/// [`FileConfig::into_config`] turns it into a [`Config`].
#[derive(Debug, Clone, PartialEq)]
pub struct FileConfig {
    pub level: Level,
    pub filter: Option<String>,
    pub rules: Vec<FilterRule>,
    pub env_filter: bool,
    pub ring_bytes: usize,
    pub full_ring: [FullRingPolicy; 7],
    pub merge_window: Duration,
    pub idle_sleep: Duration,
    pub handle_signals: bool,
    pub panic_hook: bool,
    pub backend_core: Option<usize>,
    pub reload_on_sighup: bool,
    pub redaction: RedactionEntry,
    pub sinks: Vec<SinkEntry>,
    /// `[sampling]`, if present.
    pub sampling: Option<crate::sampling::Sampling>,
    /// `[metrics] address`, if set.
    pub metrics_address: Option<String>,
}

impl Default for FileConfig {
    /// The same defaults as [`Config::new`].
    fn default() -> FileConfig {
        let c = Config::new();
        let r = RedactConfig::default();
        FileConfig {
            level: c.min_level,
            filter: None,
            rules: Vec::new(),
            env_filter: c.env_filter,
            ring_bytes: c.ring_bytes,
            full_ring: c.full_ring,
            merge_window: c.merge_window,
            idle_sleep: c.idle_sleep,
            handle_signals: c.handle_signals,
            panic_hook: c.panic_hook,
            backend_core: c.backend_core,
            reload_on_sighup: false,
            redaction: RedactionEntry {
                enabled: true,
                detectors: r.detectors,
                sensitive_fields: r.sensitive_fields,
                secret_keys: r.secret_keys,
                patterns: Vec::new(),
                replacement: ReplacementEntry::Fixed("[REDACTED]".into()),
            },
            sinks: Vec::new(),
            sampling: None,
            metrics_address: None,
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "level",
    "filter",
    "rules",
    "env_filter",
    "ring_bytes",
    "full_ring",
    "merge_window",
    "idle_sleep",
    "handle_signals",
    "panic_hook",
    "backend_core",
    "reload_on_sighup",
    "redaction",
    "sinks",
    "sampling",
    "metrics",
];
const LEVELS: &[&str] = &["mute", "trace", "debug", "info", "warn", "error", "fatal"];
const POLICIES: &[&str] = &["block", "drop_newest"];
const FULL_RING_KEYS: &[&str] = &[
    "default", "trace", "debug", "info", "warn", "error", "fatal",
];
const RULE_KEYS: &[&str] = &["path", "action", "level"];
const REDACTION_KEYS: &[&str] = &[
    "enabled",
    "detectors",
    "sensitive_fields",
    "secret_keys",
    "patterns",
    "replacement",
    "hash_key",
    "hash_label",
];
const DETECTOR_KEYS: &[&str] = &[
    "bearer",
    "api_key",
    "jwt",
    "pem_private_key",
    "url_password",
    "aws_access_key",
    "card_number",
    "uuid",
    "email",
];
const PATTERN_KEYS: &[&str] = &["name", "regex"];
const SINK_KINDS: &[&str] = &["stdout", "stderr", "file", "syslog", "daemon"];
const FORMATS: &[&str] = &["json", "logfmt", "pretty"];
const SINK_KEYS: &[&str] = &[
    "name",
    "kind",
    "format",
    "min_level",
    "path",
    "max_bytes",
    "daily",
    "keep",
    "buffer_bytes",
    "transport",
    "address",
    "facility",
    "app_name",
    "socket",
];
/// Keys that belong to one kind of sink only.
const KIND_KEYS: &[(&str, &[&str])] = &[
    (
        "file",
        &["path", "max_bytes", "daily", "keep", "buffer_bytes"],
    ),
    ("syslog", &["transport", "address", "facility", "app_name"]),
    ("daemon", &["socket"]),
];
const TRANSPORTS: &[&str] = &["udp", "tcp", "unix"];
const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

fn facility(name: &str) -> crate::sinks::Facility {
    use crate::sinks::Facility::*;
    match name {
        "kern" => Kern,
        "user" => User,
        "mail" => Mail,
        "daemon" => Daemon,
        "auth" => Auth,
        "syslog" => Syslog,
        "lpr" => Lpr,
        "news" => News,
        "uucp" => Uucp,
        "cron" => Cron,
        "authpriv" => AuthPriv,
        "ftp" => Ftp,
        "local0" => Local0,
        "local1" => Local1,
        "local2" => Local2,
        "local3" => Local3,
        "local4" => Local4,
        "local5" => Local5,
        "local6" => Local6,
        _ => Local7,
    }
}

fn detector(name: &str) -> Detector {
    match name {
        "bearer" => Detector::Bearer,
        "api_key" => Detector::ApiKey,
        "jwt" => Detector::Jwt,
        "pem_private_key" => Detector::PemPrivateKey,
        "url_password" => Detector::UrlPassword,
        "aws_access_key" => Detector::AwsAccessKey,
        "card_number" => Detector::CardNumber,
        "uuid" => Detector::Uuid,
        _ => Detector::Email,
    }
}

fn level(name: &str) -> Level {
    name.parse().unwrap_or(Level::Info)
}

fn format(name: &str) -> Format {
    match name {
        "json" => Format::Json,
        "logfmt" => Format::Logfmt,
        _ => Format::Pretty,
    }
}

fn policy(name: &str) -> FullRingPolicy {
    if name == "drop_newest" {
        FullRingPolicy::DropNewest
    } else {
        FullRingPolicy::Block
    }
}

impl FileConfig {
    /// Reads and validates a file. Nothing is opened or started.
    pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
        let origin = path.display().to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| ConfigError::whole_file(&origin, format!("cannot read: {e}")))?;
        if meta.is_dir() {
            return Err(ConfigError::whole_file(
                &origin,
                "is a directory, not a configuration file",
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(ConfigError::whole_file(
                &origin,
                format!(
                    "is {} bytes; a narrate configuration file may be at most {MAX_FILE_BYTES} bytes \
                     (is this really the configuration file?)",
                    meta.len()
                ),
            ));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::whole_file(&origin, format!("cannot read: {e}")))?;
        FileConfig::parse_bytes(&bytes, &origin)
    }

    /// Validates configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
        FileConfig::parse_bytes(text.as_bytes(), origin)
    }

    fn parse_bytes(bytes: &[u8], origin: &str) -> Result<FileConfig, ConfigError> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ConfigError::whole_file(
                origin,
                format!(
                    "is {} bytes; a narrate configuration file may be at most {MAX_FILE_BYTES} bytes",
                    bytes.len()
                ),
            ));
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                let (line, column) = reader::line_column(valid, valid.len());
                return Err(ConfigError {
                    origin: origin.to_string(),
                    line: Some(line),
                    column: Some(column),
                    key: None,
                    message: "not UTF-8 text: a configuration file must be TOML".into(),
                    help: None,
                });
            }
        };
        if text.trim().is_empty() {
            return Err(ConfigError::whole_file(
                origin,
                "is empty; to run on the defaults, write at least a comment \
                 (`narrate config example` prints every key with its default)",
            ));
        }
        let doc = toml::de::DeTable::parse(text).map_err(|e| {
            let (line, column) = e.span().map(|s| reader::line_column(text, s.start)).unzip();
            ConfigError {
                origin: origin.to_string(),
                line,
                column,
                key: None,
                message: format!(
                    "not valid TOML: {}",
                    e.message().lines().next().unwrap_or("syntax error")
                ),
                help: None,
            }
        })?;
        let src = Source { origin, text };
        FileConfig::from_table(&Table::root(&src, &doc))
    }

    fn from_table(root: &Table<'_, '_>) -> Result<FileConfig, ConfigError> {
        root.check_keys(TOP_KEYS)?;
        let mut cfg = FileConfig::default();
        if let Some(l) = root.choice("level", LEVELS)? {
            cfg.level = level(l.value);
        }
        if let Some(spec) = root.str("filter")? {
            Filter::parse(&spec.value, cfg.level)
                .map_err(|e| root.src.error(spec.span.clone(), &spec.key, e.to_string()))?;
            cfg.filter = Some(spec.value);
        }
        for rule in root.tables("rules")? {
            cfg.rules.push(parse_rule(&rule)?);
        }
        if let Some(b) = root.bool("env_filter")? {
            cfg.env_filter = b;
        }
        if let Some(n) = root.size("ring_bytes")? {
            if !(4096..=1 << 30).contains(&n.value) {
                return Err(root.src.error(
                    n.span,
                    &n.key,
                    format!(
                        "{} bytes is out of range: a ring holds 4 KiB to 1 GiB",
                        n.value
                    ),
                ));
            }
            cfg.ring_bytes = n.value as usize;
        }
        if let Some(t) = root.table("full_ring")? {
            t.check_keys(FULL_RING_KEYS)?;
            if let Some(p) = t.choice("default", POLICIES)? {
                for l in [Level::Trace, Level::Debug, Level::Info, Level::Warn] {
                    cfg.full_ring[l as usize] = policy(p.value);
                }
            }
            for name in &FULL_RING_KEYS[1..] {
                if let Some(p) = t.choice(name, POLICIES)? {
                    cfg.full_ring[level(name) as usize] = policy(p.value);
                }
            }
        }
        if let Some(d) = root.duration("merge_window")? {
            cfg.merge_window = d.value;
        }
        if let Some(d) = root.duration("idle_sleep")? {
            if d.value.is_zero() {
                return Err(root.src.error(
                    d.span,
                    &d.key,
                    "must be above zero (the backend would spin a core while idle)",
                ));
            }
            cfg.idle_sleep = d.value;
        }
        if let Some(b) = root.bool("handle_signals")? {
            cfg.handle_signals = b;
        }
        if let Some(b) = root.bool("panic_hook")? {
            cfg.panic_hook = b;
        }
        if let Some(n) = root.uint("backend_core")? {
            cfg.backend_core = Some(n.value as usize);
        }
        if let Some(b) = root.bool("reload_on_sighup")? {
            cfg.reload_on_sighup = b;
        }
        if let Some(t) = root.table("redaction")? {
            cfg.redaction = parse_redaction(&t)?;
        }
        if let Some(t) = root.table("sampling")? {
            cfg.sampling = Some(parse_sampling(&t)?);
        }
        if let Some(t) = root.table("metrics")? {
            cfg.metrics_address = parse_metrics(&t)?;
        }
        let mut names: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for (i, t) in root.tables("sinks")?.iter().enumerate() {
            let (sink, name_at) = parse_sink(t, i)?;
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == sink.name) {
                let (line, _) = reader::line_column(root.src.text, first.start);
                return Err(root.src.error(
                    name_at,
                    &t.key_path("name"),
                    format!(
                        "duplicate sink name `{}` (first used on line {line}); every sink needs its own name",
                        sink.name
                    ),
                ));
            }
            names.push((sink.name.clone(), name_at));
            cfg.sinks.push(sink);
        }
        Ok(cfg)
    }

    /// The filter this file describes: `level`, then `filter`, then `[[rules]]`.
    pub fn filter(&self) -> Filter {
        let mut spec = self.filter.clone().unwrap_or_default();
        for rule in &self.rules {
            if !spec.is_empty() {
                spec.push(',');
            }
            spec.push_str(&rule.directive());
        }
        // Each part was validated on its own when the file was read.
        Filter::parse(&spec, self.level).unwrap_or_else(|_| Filter::level(self.level))
    }

    /// Builds the [`Config`] (sinks are opened later, by `init`).
    pub fn into_config(self) -> Config {
        let mut config = Config::new()
            .level(self.level)
            .env_filter(self.env_filter)
            .ring_bytes(self.ring_bytes)
            .merge_window(self.merge_window)
            .idle_sleep(self.idle_sleep)
            .handle_signals(self.handle_signals)
            .panic_hook(self.panic_hook);
        config.filter = Some(Ok(self.filter()));
        config.full_ring = self.full_ring;
        config.backend_core = self.backend_core;
        config.reload_on_sighup = self.reload_on_sighup;
        config.sampling = self.sampling.clone();
        config.metrics_address = self.metrics_address.clone();
        let r = &self.redaction;
        config.redact = r.enabled.then(|| RedactConfig {
            detectors: r.detectors,
            custom_patterns: r.patterns.clone(),
            sensitive_fields: r.sensitive_fields.clone(),
            secret_keys: r.secret_keys.clone(),
            replacement: replacement(&r.replacement),
        });
        for sink in &self.sinks {
            let spec: SinkSpec = match &sink.kind {
                SinkKind::Stdout => SinkSpec::stdout(sink.format),
                SinkKind::Stderr => SinkSpec::stderr(sink.format),
                SinkKind::Syslog {
                    transport,
                    address,
                    facility: f,
                    app_name,
                } => {
                    use crate::sinks::SyslogSink;
                    let addr = || address.parse().expect("validated when the file was read");
                    let mut syslog = match transport.as_str() {
                        "tcp" => SyslogSink::tcp(addr()),
                        "unix" => SyslogSink::unix(address),
                        _ => SyslogSink::udp(addr()),
                    }
                    .facility(facility(f));
                    if let Some(name) = app_name {
                        syslog = syslog.app_name(name.clone());
                    }
                    syslog.into()
                }
                SinkKind::Daemon { socket } => crate::sinks::DaemonSink::new(socket).into(),
                SinkKind::File {
                    path,
                    max_bytes,
                    daily,
                    keep,
                    buffer_bytes,
                } => {
                    let mut f = FileSink::new(path)
                        .format(sink.format)
                        .buffer_bytes(*buffer_bytes);
                    if let Some(n) = max_bytes {
                        f = f.max_bytes(*n);
                    }
                    if *daily {
                        f = f.daily();
                    }
                    if let Some(n) = keep {
                        f = f.keep(*n);
                    }
                    f.into()
                }
            };
            config = config.sink(spec.min_level(sink.min_level));
        }
        config.file = Some(self);
        config
    }
}

fn replacement(r: &ReplacementEntry) -> Replacement {
    match r {
        ReplacementEntry::Fixed(t) => Replacement::Fixed(t.clone()),
        ReplacementEntry::KeyedHash { key, label } => Replacement::KeyedHash {
            key: *key,
            label: label.clone(),
        },
    }
}

fn parse_rule(t: &Table<'_, '_>) -> Result<FilterRule, ConfigError> {
    t.check_keys(RULE_KEYS)?;
    let path = t.str("path")?;
    let action = t.str("action")?;
    let Some(l) = t.choice("level", LEVELS)? else {
        return Err(t.missing(
            "level",
            "one of trace, debug, info, warn, error, fatal, mute",
        ));
    };
    if path.is_none() && action.is_none() {
        return Err(t.src.error(
            t.span.clone(),
            &t.path,
            "a rule needs a `path` (module path or actor), an `action`, or both; \
             for everything, set the top-level `level`",
        ));
    }
    let rule = FilterRule {
        path: path.as_ref().map(|p| p.value.clone()),
        action: action.as_ref().map(|a| a.value.clone()),
        level: level(l.value),
    };
    if let Err(e) = Filter::parse(&rule.directive(), Level::Info) {
        let at = path
            .as_ref()
            .or(action.as_ref())
            .map(|a| (a.span.clone(), a.key.clone()));
        let (span, key) = at.unwrap_or((t.span.clone(), t.path.clone()));
        return Err(t.src.error(span, &key, e.reason));
    }
    Ok(rule)
}

fn parse_redaction(t: &Table<'_, '_>) -> Result<RedactionEntry, ConfigError> {
    t.check_keys(REDACTION_KEYS)?;
    let mut r = FileConfig::default().redaction;
    if let Some(b) = t.bool("enabled")? {
        r.enabled = b;
    }
    if let Some(d) = t.table("detectors")? {
        d.check_keys(DETECTOR_KEYS)?;
        for name in DETECTOR_KEYS {
            if let Some(on) = d.bool(name)? {
                r.detectors.set(detector(name), on);
            }
        }
    }
    if let Some(list) = t.strings("sensitive_fields")? {
        r.sensitive_fields = list.into_iter().map(|a| a.value).collect();
    }
    if let Some(list) = t.strings("secret_keys")? {
        r.secret_keys = list.into_iter().map(|a| a.value).collect();
    }
    if let Some(text) = t.str("replacement")? {
        validate_redaction(
            t,
            &text,
            RedactConfig {
                replacement: Replacement::Fixed(text.value.clone()),
                ..RedactConfig::default()
            },
        )?;
        r.replacement = ReplacementEntry::Fixed(text.value);
    }
    if let Some(hex) = t.str("hash_key")? {
        let key = parse_hash_key(&hex.value).ok_or_else(|| {
            t.src.error(
                hex.span.clone(),
                &hex.key,
                "expected 32 hexadecimal digits (a 128-bit key); generate one with \
                 `head -c16 /dev/urandom | xxd -p`",
            )
        })?;
        let label = t
            .str("hash_label")?
            .map_or_else(|| "REDACTED".to_string(), |l| l.value);
        validate_redaction(
            t,
            &hex,
            RedactConfig {
                replacement: Replacement::KeyedHash {
                    key,
                    label: label.clone(),
                },
                ..RedactConfig::default()
            },
        )?;
        r.replacement = ReplacementEntry::KeyedHash { key, label };
    } else if let Some(label) = t.str("hash_label")? {
        return Err(t.src.error(
            label.span,
            &label.key,
            "`hash_label` needs `hash_key` (the keyed-hash replacement)",
        ));
    }
    let patterns = t.tables("patterns")?;
    if patterns.len() > narrate_redact::MAX_CUSTOM_PATTERNS {
        let extra = &patterns[narrate_redact::MAX_CUSTOM_PATTERNS];
        return Err(t.src.error(
            extra.span.clone(),
            &extra.path,
            format!(
                "too many custom patterns: at most {}",
                narrate_redact::MAX_CUSTOM_PATTERNS
            ),
        ));
    }
    for p in patterns {
        p.check_keys(PATTERN_KEYS)?;
        let Some(name) = p.str("name")? else {
            return Err(p.missing("name", "a name shown in errors"));
        };
        let Some(regex) = p.str("regex")? else {
            return Err(p.missing("regex", "the pattern, in the `regex` crate's syntax"));
        };
        let pattern = CustomPattern::new(name.value, regex.value.clone());
        // Compiled on its own so the error points at this pattern.
        validate_redaction(
            &p,
            &regex,
            RedactConfig {
                detectors: Detectors::none(),
                custom_patterns: vec![pattern.clone()],
                ..RedactConfig::default()
            },
        )?;
        r.patterns.push(pattern);
    }
    Ok(r)
}

fn validate_redaction(
    t: &Table<'_, '_>,
    at: &At<String>,
    cfg: RedactConfig,
) -> Result<(), ConfigError> {
    narrate_redact::Redactor::new(cfg)
        .map(drop)
        .map_err(|e| t.src.error(at.span.clone(), &at.key, e.to_string()))
}

fn parse_hash_key(hex: &str) -> Option<[u8; 16]> {
    let hex = hex.trim();
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 16];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

fn parse_sink(
    t: &Table<'_, '_>,
    index: usize,
) -> Result<(SinkEntry, std::ops::Range<usize>), ConfigError> {
    t.check_keys(SINK_KEYS)?;
    let Some(kind) = t.choice("kind", SINK_KINDS)? else {
        return Err(t.missing("kind", "one of stdout, stderr, file, syslog, daemon"));
    };
    for (owner, keys) in KIND_KEYS {
        if *owner == kind.value {
            continue;
        }
        if let Some((key, _)) = t
            .table
            .iter()
            .find(|(n, _)| keys.contains(&n.get_ref().as_ref()))
        {
            let name: &str = key.get_ref();
            return Err(t.src.error(
                key.span(),
                &t.key_path(name),
                format!("`{name}` applies to `kind = \"{owner}\"` sinks only"),
            ));
        }
    }
    let name = t.str("name")?;
    let (name, name_span) = match name {
        Some(n) if n.value.trim().is_empty() => {
            return Err(t.src.error(n.span, &n.key, "a sink name cannot be empty"));
        }
        Some(n) => (n.value, n.span),
        None => (format!("{}-{}", kind.value, index + 1), t.span.clone()),
    };
    let fmt = t.choice("format", FORMATS)?;
    let min_level = t
        .choice("min_level", LEVELS)?
        .map_or(Level::Trace, |l| level(l.value));
    let kind = match kind.value {
        "stdout" | "stderr" => {
            if kind.value == "stdout" {
                SinkKind::Stdout
            } else {
                SinkKind::Stderr
            }
        }
        "syslog" => {
            let transport = t
                .choice("transport", TRANSPORTS)?
                .map_or("udp", |c| c.value);
            let Some(address) = t.str("address")? else {
                return Err(t.missing("address", "host:port for udp/tcp, a socket path for unix"));
            };
            if transport != "unix" && address.value.parse::<std::net::SocketAddr>().is_err() {
                return Err(t.src.error(
                    address.span,
                    &address.key,
                    format!(
                        "`{}` is not an IP address and port, e.g. \"127.0.0.1:514\"",
                        address.value
                    ),
                ));
            }
            SinkKind::Syslog {
                transport: transport.to_string(),
                address: address.value,
                facility: t
                    .choice("facility", FACILITIES)?
                    .map_or("user", |c| c.value)
                    .to_string(),
                app_name: t.str("app_name")?.map(|a| a.value),
            }
        }
        "daemon" => {
            let Some(socket) = t.str("socket")? else {
                return Err(t.missing("socket", "the collector daemon's Unix socket path"));
            };
            SinkKind::Daemon {
                socket: PathBuf::from(socket.value),
            }
        }
        _ => {
            let Some(path) = t.str("path")? else {
                return Err(t.missing("path", "where the file sink writes"));
            };
            check_writable(t, &path)?;
            let max_bytes = match t.size("max_bytes")? {
                Some(n) if n.value == 0 => {
                    return Err(t.src.error(n.span, &n.key, "must be above zero"));
                }
                other => other.map(|n| n.value),
            };
            let buffer_bytes = match t.size("buffer_bytes")? {
                Some(n) if n.value == 0 || n.value > 1 << 30 => {
                    return Err(t
                        .src
                        .error(n.span, &n.key, "must be between 1 byte and 1 GiB"));
                }
                Some(n) => n.value as usize,
                None => 64 * 1024,
            };
            SinkKind::File {
                path: PathBuf::from(path.value),
                max_bytes,
                daily: t.bool("daily")?.unwrap_or(false),
                keep: t.uint("keep")?.map(|n| n.value as usize),
                buffer_bytes,
            }
        }
    };
    let default_format = match kind {
        SinkKind::File { .. } => Format::Json,
        _ => Format::Pretty,
    };
    Ok((
        SinkEntry {
            name,
            kind,
            format: fmt.map_or(default_format, |f| format(f.value)),
            min_level,
        },
        name_span,
    ))
}

/// Whether the file sink could open its path, without creating anything:
/// an existing file must open for appending; otherwise the nearest existing
/// ancestor must be a directory we can create entries in (checked by
/// creating and removing a probe file there).
fn check_writable(t: &Table<'_, '_>, path: &At<String>) -> Result<(), ConfigError> {
    let err = |msg: String| t.src.error(path.span.clone(), &path.key, msg);
    if path.value.trim().is_empty() {
        return Err(err("the path is empty".into()));
    }
    let p = Path::new(&path.value);
    if p.is_dir() {
        return Err(err(format!("`{}` is a directory, not a file", path.value)));
    }
    if p.exists() {
        return std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .map(drop)
            .map_err(|e| err(format!("cannot open `{}` for appending: {e}", path.value)));
    }
    let mut ancestor = p.parent();
    while let Some(a) = ancestor {
        let dir = if a.as_os_str().is_empty() {
            Path::new(".")
        } else {
            a
        };
        if dir.exists() {
            if !dir.is_dir() {
                return Err(err(format!(
                    "cannot create `{}`: `{}` is not a directory",
                    path.value,
                    dir.display()
                )));
            }
            let probe = dir.join(format!(".narrate-config-check-{}", std::process::id()));
            return match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&probe)
            {
                Ok(_) => {
                    let _ = std::fs::remove_file(&probe);
                    Ok(())
                }
                Err(e) => Err(err(format!(
                    "cannot create `{}`: directory `{}` is not writable: {e}",
                    path.value,
                    dir.display()
                ))),
            };
        }
        ancestor = a.parent();
    }
    Ok(())
}

impl Config {
    /// Reads a `narrate.toml` (see [`crate::config_file`]). The returned
    /// config remembers the file, so [`reload_config`] can re-read it.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let file = FileConfig::read(path)?;
        let mut config = file.into_config();
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// The file named by `NARRATE_CONFIG`, else `./narrate.toml` if it
    /// exists, else [`Config::new`].
    pub fn load() -> Result<Config, ConfigError> {
        match std::env::var_os(ENV_CONFIG) {
            Some(path) if !path.is_empty() => Config::from_file(PathBuf::from(path)),
            _ if Path::new("narrate.toml").is_file() => Config::from_file("narrate.toml"),
            _ => Ok(Config::new()),
        }
    }
}

/// What the running process was configured from, for reloads.
struct Loaded {
    path: PathBuf,
    file: FileConfig,
}

static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

/// Called by `init` with the file the config came from, if any. (The
/// SIGHUP watcher, which calls [`reload_config`], lives in
/// `crate::lifecycle`: one watcher serves reloads and file reopens.)
pub(crate) fn on_init(source: Option<PathBuf>, file: Option<FileConfig>) {
    if let (Some(path), Some(file)) = (source, file) {
        *LOADED.lock().unwrap_or_else(|e| e.into_inner()) = Some(Loaded { path, file });
    }
}

/// What a successful reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    pub path: PathBuf,
    /// Settings that differ in the file but only take effect at the next
    /// start (sinks, ring size, …), by key name.
    pub needs_restart: Vec<&'static str>,
}

/// Re-reads the configuration file `init` was given (through
/// [`Config::from_file`] / [`Config::load`]) and applies `level`, `filter`
/// and `[[rules]]` at once. On error nothing changes; the error is returned
/// and logged in-band (`narrate/config`, Error).
pub fn reload_config() -> Result<Reloaded, ConfigError> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let Some(current) = loaded.as_mut() else {
        return Err(ConfigError::whole_file(
            "<none>",
            "narrate was not configured from a file (use Config::from_file or Config::load)",
        ));
    };
    let path = current.path.clone();
    let new = match FileConfig::read(&path) {
        Ok(new) => new,
        Err(e) => {
            let error = e.to_string();
            crate::error!(
                actor = "narrate",
                action = "config",
                "configuration reload failed, keeping the running configuration: {error}",
            );
            return Err(e);
        }
    };
    let old = &current.file;
    let mut needs_restart = Vec::new();
    let mut differs = |key: &'static str, changed: bool| {
        if changed {
            needs_restart.push(key);
        }
    };
    differs("sinks", old.sinks != new.sinks);
    differs("ring_bytes", old.ring_bytes != new.ring_bytes);
    differs("full_ring", old.full_ring != new.full_ring);
    differs("merge_window", old.merge_window != new.merge_window);
    differs("idle_sleep", old.idle_sleep != new.idle_sleep);
    differs("handle_signals", old.handle_signals != new.handle_signals);
    differs("panic_hook", old.panic_hook != new.panic_hook);
    differs("backend_core", old.backend_core != new.backend_core);
    differs(
        "reload_on_sighup",
        old.reload_on_sighup != new.reload_on_sighup,
    );
    differs("redaction", old.redaction != new.redaction);
    differs("env_filter", old.env_filter != new.env_filter);
    // Sampling is read by the backend at start (report interval, adaptive
    // controller) and the metrics listener is bound once: both need a restart.
    differs("sampling", old.sampling != new.sampling);
    differs("metrics", old.metrics_address != new.metrics_address);

    let mut filter = new.filter();
    if old.env_filter
        && let Ok(spec) = std::env::var(crate::lifecycle::ENV_FILTER)
        && let Ok(env) = Filter::parse(&spec, filter.default)
    {
        filter = env;
    }
    crate::callsite::set_filter(filter);
    let path_text = path.display().to_string();
    if needs_restart.is_empty() {
        crate::info!(
            actor = "narrate",
            action = "config",
            "configuration reloaded from {path_text}",
        );
    } else {
        let keys = needs_restart.join(", ");
        crate::warn!(
            actor = "narrate",
            action = "config",
            "configuration reloaded from {path_text}; changes to {keys} take effect at the next start",
        );
    }
    // The running values stay the comparison base for what needs a restart.
    let mut kept = current.file.clone();
    kept.level = new.level;
    kept.filter = new.filter.clone();
    kept.rules = new.rules.clone();
    current.file = kept;
    Ok(Reloaded {
        path,
        needs_restart,
    })
}

const SAMPLING_KEYS: &[&str] = &[
    "report_interval",
    "always_keep_actors",
    "always_keep_actions",
    "rules",
    "adaptive",
];
const SAMPLING_RULE_KEYS: &[&str] = &[
    "path",
    "action",
    "max_level",
    "site",
    "first",
    "every",
    "interval",
    "rate",
    "per_second",
    "burst",
];
const ADAPTIVE_KEYS: &[&str] = &[
    "enabled",
    "high_fill",
    "low_fill",
    "max_lag",
    "step",
    "max_steps",
    "max_level",
];
const METRICS_KEYS: &[&str] = &["address"];

/// `[sampling]`: see [`crate::sampling`] and docs/configuration.md.
fn parse_sampling(t: &Table<'_, '_>) -> Result<crate::sampling::Sampling, ConfigError> {
    use crate::sampling::{Adaptive, Sampling};
    t.check_keys(SAMPLING_KEYS)?;
    let mut s = Sampling::new();
    if let Some(d) = t.duration("report_interval")? {
        if d.value.is_zero() {
            return Err(t.src.error(d.span, &d.key, "must be above zero"));
        }
        s = s.report_interval(d.value);
    }
    for a in t.strings("always_keep_actors")?.unwrap_or_default() {
        s = s.always_keep_actor(a.value);
    }
    for a in t.strings("always_keep_actions")?.unwrap_or_default() {
        s = s.always_keep_action(a.value);
    }
    for rule in t.tables("rules")? {
        let (selector, sampler) = parse_sampling_rule(&rule)?;
        s = s.rule(selector, sampler);
    }
    if let Some(a) = t.table("adaptive")? {
        a.check_keys(ADAPTIVE_KEYS)?;
        let mut adaptive = Adaptive::default();
        let fraction = |key: &str| -> Result<Option<f64>, ConfigError> {
            match a.number(key)? {
                Some(n) if !(0.0..=1.0).contains(&n.value) => Err(a.src.error(
                    n.span,
                    &n.key,
                    format!("{} is outside [0, 1] (a fraction of the ring)", n.value),
                )),
                n => Ok(n.map(|n| n.value)),
            }
        };
        if let Some(f) = fraction("high_fill")? {
            adaptive.high_fill = f;
        }
        if let Some(f) = fraction("low_fill")? {
            adaptive.low_fill = f;
        }
        if adaptive.low_fill >= adaptive.high_fill {
            return Err(a.src.error(
                a.span.clone(),
                &a.path,
                format!(
                    "low_fill ({}) must be below high_fill ({}), or the rate would never settle",
                    adaptive.low_fill, adaptive.high_fill
                ),
            ));
        }
        if let Some(d) = a.duration("max_lag")? {
            adaptive.max_lag = d.value;
        }
        if let Some(d) = a.duration("step")? {
            adaptive.step = d.value;
        }
        if let Some(n) = a.uint("max_steps")? {
            if !(1..=30).contains(&n.value) {
                return Err(a.src.error(
                    n.span,
                    &n.key,
                    "must be 1 to 30 (the rate goes down to 1/2^max_steps)",
                ));
            }
            adaptive.max_steps = n.value as u32;
        }
        if let Some(l) = a.choice("max_level", LEVELS)? {
            adaptive.max_level = level(l.value);
        }
        if a.bool("enabled")?.unwrap_or(true) {
            s = s.adaptive(adaptive);
        }
    }
    Ok(s)
}

fn parse_sampling_rule(
    t: &Table<'_, '_>,
) -> Result<(crate::sampling::Selector, crate::sampling::Sampler), ConfigError> {
    use crate::sampling::{Sampler, Selector};
    t.check_keys(SAMPLING_RULE_KEYS)?;
    let mut selector = Selector {
        path: t.str("path")?.map(|p| p.value),
        action: t.str("action")?.map(|a| a.value),
        max_level: t.choice("max_level", LEVELS)?.map(|l| level(l.value)),
        site: None,
    };
    if let Some(site) = t.str("site")? {
        let parsed = site
            .value
            .rsplit_once(':')
            .and_then(|(file, line)| Some((file.to_string(), line.parse::<u32>().ok()?)));
        let Some(parsed) = parsed else {
            return Err(t.src.error(
                site.span,
                &site.key,
                "expected FILE:LINE, e.g. \"src/poller.rs:42\"",
            ));
        };
        selector.site = Some(parsed);
    }
    let first = t.uint("first")?;
    let every = t.uint("every")?;
    let interval = t.duration("interval")?;
    let rate = t.number("rate")?;
    let per_second = t.uint("per_second")?;
    let burst = t.uint("burst")?;
    let kinds = usize::from(first.is_some() || every.is_some())
        + usize::from(rate.is_some())
        + usize::from(per_second.is_some());
    if kinds != 1 {
        return Err(t.src.error(
            t.span.clone(),
            &t.path,
            "a sampling rule needs exactly one sampler: `first` and `every` \
             (with an optional `interval`), `rate`, or `per_second` (with an optional `burst`)",
        ));
    }
    let at = |a: &reader::At<u64>, e: crate::sampling::SamplingError| {
        t.src.error(a.span.clone(), &a.key, e.to_string())
    };
    if first.is_some() || every.is_some() {
        let (Some(first), Some(every)) = (first, every) else {
            return Err(t.src.error(
                t.span.clone(),
                &t.path,
                "`first` and `every` go together: the first N per interval, then every Mth",
            ));
        };
        let interval = interval.map_or(std::time::Duration::from_secs(1), |d| d.value);
        let n = u32::try_from(first.value).unwrap_or(u32::MAX);
        let m = u32::try_from(every.value).unwrap_or(u32::MAX);
        return match Sampler::first_then_every(n, m, interval) {
            Ok(s) => Ok((selector, s)),
            Err(e @ crate::sampling::SamplingError::FirstIsZero) => Err(at(&first, e)),
            Err(e) => Err(at(&every, e)),
        };
    }
    if let Some(rate) = rate {
        return Sampler::probability(rate.value)
            .map(|s| (selector, s))
            .map_err(|e| t.src.error(rate.span, &rate.key, e.to_string()));
    }
    let per_second = per_second.expect("counted above");
    let burst_value = burst.as_ref().map_or(per_second.value, |b| b.value);
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    match Sampler::rate_limit(clamp(per_second.value), clamp(burst_value)) {
        Ok(s) => Ok((selector, s)),
        Err(e @ crate::sampling::SamplingError::BurstIsZero) => {
            Err(at(burst.as_ref().unwrap_or(&per_second), e))
        }
        Err(e) => Err(at(&per_second, e)),
    }
}

/// `[metrics] address`: must parse, and must be free now (checked by binding
/// it for a moment), so that `narrate config check` catches an address
/// already in use before a deploy; `init` binds it for real.
fn parse_metrics(t: &Table<'_, '_>) -> Result<Option<String>, ConfigError> {
    t.check_keys(METRICS_KEYS)?;
    let Some(address) = t.str("address")? else {
        return Ok(None);
    };
    if let Err(e) = std::net::TcpListener::bind(address.value.as_str()) {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "address already in use (another process serves there)".to_string()
            }
            _ => format!("cannot listen there: {e}"),
        };
        return Err(t.src.error(address.span, &address.key, why));
    }
    Ok(Some(address.value))
}
