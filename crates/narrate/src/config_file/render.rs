//! Writing configuration back out: the effective configuration that
//! `narrate config check` prints, and the commented example file.

use std::fmt::Write;

use narrate_redact::Detector;

use super::{DETECTOR_KEYS, FileConfig, ReplacementEntry, SinkKind, detector};
use crate::config::FullRingPolicy;
use crate::format::Format;
use crate::level::Level;

/// A commented `narrate.toml` with every key at its default
/// (`narrate config example`). Parsing it gives [`FileConfig::default`]
/// plus the two sinks shown; a test keeps it that way.
pub const EXAMPLE: &str = r#"# narrate.toml: every key, at its default. Keys may be left out.
# Reference: docs/configuration.md. Check a file: `narrate config check FILE`.

# Least severe level written: mute, trace, debug, info, warn, error, fatal.
level = "info"

# Directives in NARRATE_LOG syntax: PATH=LEVEL, [ACTION]=LEVEL, PATH[ACTION]=LEVEL.
# filter = "my_service::db=debug,[dispatch]=trace"

# The same directives as tables; applied after `filter`, most specific wins.
# [[rules]]
# path = "my_service::db"   # module path or actor, and everything under it
# action = "query"          # optional
# level = "debug"

# Whether NARRATE_LOG (when set) overrides level, filter and rules.
env_filter = true

# Bytes per thread ring (integer, or a string with a unit).
ring_bytes = "1 MiB"

# How long the backend waits for other threads' events to merge them in order.
merge_window = "100us"

# How long the backend sleeps when every ring is empty.
idle_sleep = "200us"

# Flush on SIGTERM/SIGINT, then die of the signal.
handle_signals = false

# Log panics as Fatal events and flush before the previous hook runs.
panic_hook = true

# Pin the backend thread to this CPU (index in the OS's list). Unset: not pinned.
# backend_core = 1

# Re-read this file on SIGHUP (level, filter and rules change at run time).
reload_on_sighup = false

# What a caller does when its ring is full: "block" (never lose) or
# "drop_newest" (count and report the loss). `default` sets trace..warn.
[full_ring]
# default = "block"   # sets trace, debug, info and warn at once
trace = "block"
debug = "block"
info = "block"
warn = "block"
error = "block"
fatal = "block"

[redaction]
enabled = true
# Field names whose values are always masked (replaces the default list).
sensitive_fields = ["password", "passwd", "secret", "token", "api_key", "authorization", "cookie", "set-cookie", "private_key"]
# Key names whose values are masked inside text (`db_password=...`).
secret_keys = ["api_key", "access_key", "secret_key", "private_key", "token", "secret", "password", "passwd", "passphrase", "credential", "credentials", "authorization", "cookie"]
# What a secret becomes.
replacement = "[REDACTED]"
# Or a keyed hash, `[REDACTED:1a2b3c4d]`, so equal secrets stay correlatable:
# hash_key = "00112233445566778899aabbccddeeff"   # 32 hex digits; keep it secret
# hash_label = "REDACTED"

[redaction.detectors]
bearer = true
api_key = true
jwt = true
pem_private_key = true
url_password = true
aws_access_key = true
card_number = true
uuid = false
email = false

# Custom patterns (regex crate syntax), always on:
# [[redaction.patterns]]
# name = "ticket"
# regex = "TCK-[0-9]{6}"

# Sinks. With none, events go to stdout in the pretty format.
# kind: stdout, stderr, file. format: json, logfmt, pretty (default: pretty
# for stdout/stderr, json for files). min_level: least severe level sent here.
[[sinks]]
name = "console"
kind = "stdout"
format = "pretty"
min_level = "trace"

[[sinks]]
name = "main"
kind = "file"
path = "logs/app.jsonl"
format = "json"
min_level = "trace"
# Rotate before a write would pass this size (unset: never by size).
# max_bytes = "64 MiB"
# Rotate when the UTC date changes.
daily = false
# Rotated files kept (unset: all).
# keep = 10
buffer_bytes = "64 KiB"

# RFC 5424 syslog (rsyslog, syslog-ng): transport udp (default), tcp or unix.
# [[sinks]]
# kind = "syslog"
# transport = "udp"
# address = "127.0.0.1:514"   # a socket path for unix, e.g. "/dev/log"
# facility = "user"           # kern, user, mail, daemon, auth, …, local0-local7
# app_name = "my-service"     # default: the program's name

# The collector daemon (`narrate daemon --socket PATH`).
# [[sinks]]
# kind = "daemon"
# socket = "/run/narrate/narrate.sock"

# Sampling (off unless this table is present). Audit events, error, fatal and
# narrate's own events are never sampled. See docs/configuration.md.
# [sampling]
# report_interval = "1s"            # how often "N events like this suppressed" is written
# always_keep_actors = ["payments"] # never sampled (actor or module path prefix)
# always_keep_actions = ["charge"]  # never sampled
#
# Rules, first match wins. Select with any of path, action, max_level, site;
# then exactly one sampler: first + every (+ interval), rate, or per_second (+ burst).
# [[sampling.rules]]
# path = "my_service::poller"       # module path or actor, and everything under it
# action = "poll"
# max_level = "info"                # only events at this level or below
# site = "src/poller.rs:42"         # one call site
# first = 10                        # the first 10 per interval...
# every = 100                       # ...then every 100th
# interval = "1s"
# [[sampling.rules]]
# path = "my_service::cache"
# rate = 0.01                       # keep 1 %; 1.0 keeps all at no cost
# [[sampling.rules]]
# action = "retry"
# per_second = 50                   # token bucket per actor/action
# burst = 10                        # default: per_second
#
# Adaptive sampling: when the backend falls behind, halve the rate of
# sampleable events step by step; recover when it catches up.
# [sampling.adaptive]
# enabled = true
# high_fill = 0.5                   # fullest ring above this fraction: lower the rate
# low_fill = 0.1                    # below this (and lag < max_lag / 4): raise it
# max_lag = "250ms"                 # oldest waiting event older than this: lower the rate
# step = "50ms"                     # at most one change per step
# max_steps = 10                    # never below 1/2^10
# max_level = "info"                # warn and above are never adaptively sampled

# Self-metrics in the Prometheus text format, served here (`narrate stats` reads them).
# [metrics]
# address = "127.0.0.1:9464"
"#;

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn policy(p: FullRingPolicy) -> &'static str {
    match p {
        FullRingPolicy::Block => "block",
        FullRingPolicy::DropNewest => "drop_newest",
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Json => "json",
        Format::Logfmt => "logfmt",
        Format::Pretty => "pretty",
    }
}

fn duration(d: std::time::Duration) -> String {
    let ns = d.as_nanos();
    if ns.is_multiple_of(1_000_000_000) {
        format!("{}s", ns / 1_000_000_000)
    } else if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

impl FileConfig {
    /// The effective configuration as TOML, every key present (secrets
    /// such as `hash_key` shown as `<hidden>` in a comment, not written).
    /// Parsing the output gives back the same configuration, except a
    /// hidden hash key.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "level = {}", quoted(self.level.as_str()));
        if let Some(f) = &self.filter {
            let _ = writeln!(s, "filter = {}", quoted(f));
        }
        let _ = writeln!(s, "env_filter = {}", self.env_filter);
        let _ = writeln!(s, "ring_bytes = {}", self.ring_bytes);
        let _ = writeln!(s, "merge_window = {}", quoted(&duration(self.merge_window)));
        let _ = writeln!(s, "idle_sleep = {}", quoted(&duration(self.idle_sleep)));
        let _ = writeln!(s, "handle_signals = {}", self.handle_signals);
        let _ = writeln!(s, "panic_hook = {}", self.panic_hook);
        if let Some(core) = self.backend_core {
            let _ = writeln!(s, "backend_core = {core}");
        }
        let _ = writeln!(s, "reload_on_sighup = {}", self.reload_on_sighup);
        for rule in &self.rules {
            let _ = writeln!(s, "\n[[rules]]");
            if let Some(p) = &rule.path {
                let _ = writeln!(s, "path = {}", quoted(p));
            }
            if let Some(a) = &rule.action {
                let _ = writeln!(s, "action = {}", quoted(a));
            }
            let _ = writeln!(s, "level = {}", quoted(rule.level.as_str()));
        }
        let _ = writeln!(s, "\n[full_ring]");
        for l in &Level::ALL[1..] {
            let _ = writeln!(
                s,
                "{} = {}",
                l.as_str(),
                quoted(policy(self.full_ring[*l as usize]))
            );
        }
        let r = &self.redaction;
        let _ = writeln!(s, "\n[redaction]");
        let _ = writeln!(s, "enabled = {}", r.enabled);
        let _ = writeln!(s, "sensitive_fields = {}", list(&r.sensitive_fields));
        let _ = writeln!(s, "secret_keys = {}", list(&r.secret_keys));
        match &r.replacement {
            ReplacementEntry::Fixed(t) => {
                let _ = writeln!(s, "replacement = {}", quoted(t));
            }
            ReplacementEntry::KeyedHash { label, .. } => {
                let _ = writeln!(s, "# hash_key = <hidden>");
                let _ = writeln!(s, "hash_label = {}", quoted(label));
            }
        }
        let _ = writeln!(s, "\n[redaction.detectors]");
        for name in DETECTOR_KEYS {
            let on = r.detectors.contains(detector(name));
            let _ = writeln!(s, "{name} = {on}");
        }
        let _ = Detector::ALL; // every detector has a key: see the test below
        for p in &r.patterns {
            let _ = writeln!(s, "\n[[redaction.patterns]]");
            let _ = writeln!(s, "name = {}", quoted(&p.name));
            let _ = writeln!(s, "regex = {}", quoted(&p.pattern));
        }
        for sink in &self.sinks {
            let _ = writeln!(s, "\n[[sinks]]");
            let _ = writeln!(s, "name = {}", quoted(&sink.name));
            match &sink.kind {
                SinkKind::Stdout => {
                    let _ = writeln!(s, "kind = \"stdout\"");
                }
                SinkKind::Stderr => {
                    let _ = writeln!(s, "kind = \"stderr\"");
                }
                SinkKind::Syslog {
                    transport,
                    address,
                    facility,
                    app_name,
                } => {
                    let _ = writeln!(s, "kind = \"syslog\"");
                    let _ = writeln!(s, "transport = {}", quoted(transport));
                    let _ = writeln!(s, "address = {}", quoted(address));
                    let _ = writeln!(s, "facility = {}", quoted(facility));
                    if let Some(name) = app_name {
                        let _ = writeln!(s, "app_name = {}", quoted(name));
                    }
                }
                SinkKind::Daemon { socket } => {
                    let _ = writeln!(s, "kind = \"daemon\"");
                    let _ = writeln!(s, "socket = {}", quoted(&socket.display().to_string()));
                }
                SinkKind::File {
                    path,
                    max_bytes,
                    daily,
                    keep,
                    buffer_bytes,
                } => {
                    let _ = writeln!(s, "kind = \"file\"");
                    let _ = writeln!(s, "path = {}", quoted(&path.display().to_string()));
                    if let Some(n) = max_bytes {
                        let _ = writeln!(s, "max_bytes = {n}");
                    }
                    let _ = writeln!(s, "daily = {daily}");
                    if let Some(n) = keep {
                        let _ = writeln!(s, "keep = {n}");
                    }
                    let _ = writeln!(s, "buffer_bytes = {buffer_bytes}");
                }
            }
            let _ = writeln!(s, "format = {}", quoted(format_name(sink.format)));
            let _ = writeln!(s, "min_level = {}", quoted(sink.min_level.as_str()));
        }
        if let Some(sampling) = &self.sampling {
            render_sampling(&mut s, sampling);
        }
        if let Some(address) = &self.metrics_address {
            let _ = writeln!(s, "\n[metrics]\naddress = {}", quoted(address));
        }
        s
    }
}

fn render_sampling(s: &mut String, sampling: &crate::sampling::Sampling) {
    use crate::sampling::Sampler;
    let _ = writeln!(s, "\n[sampling]");
    let _ = writeln!(
        s,
        "report_interval = {}",
        quoted(&duration(sampling.report_interval))
    );
    let _ = writeln!(s, "always_keep_actors = {}", list(&sampling.keep_actors));
    let _ = writeln!(s, "always_keep_actions = {}", list(&sampling.keep_actions));
    for rule in &sampling.rules {
        let _ = writeln!(s, "\n[[sampling.rules]]");
        let sel = &rule.selector;
        if let Some(p) = &sel.path {
            let _ = writeln!(s, "path = {}", quoted(p));
        }
        if let Some(a) = &sel.action {
            let _ = writeln!(s, "action = {}", quoted(a));
        }
        if let Some(l) = sel.max_level {
            let _ = writeln!(s, "max_level = {}", quoted(l.as_str()));
        }
        if let Some((file, line)) = &sel.site {
            let _ = writeln!(s, "site = {}", quoted(&format!("{file}:{line}")));
        }
        match rule.sampler {
            Sampler::FirstThenEvery {
                first,
                every,
                interval,
            } => {
                let _ = writeln!(s, "first = {first}\nevery = {every}");
                let _ = writeln!(s, "interval = {}", quoted(&duration(interval)));
            }
            Sampler::Probability(rate) => {
                let _ = writeln!(s, "rate = {rate:?}");
            }
            Sampler::RateLimit { per_second, burst } => {
                let _ = writeln!(s, "per_second = {per_second}\nburst = {burst}");
            }
        }
    }
    if let Some(a) = &sampling.adaptive {
        let _ = writeln!(s, "\n[sampling.adaptive]\nenabled = true");
        let _ = writeln!(
            s,
            "high_fill = {:?}\nlow_fill = {:?}",
            a.high_fill, a.low_fill
        );
        let _ = writeln!(s, "max_lag = {}", quoted(&duration(a.max_lag)));
        let _ = writeln!(s, "step = {}", quoted(&duration(a.step)));
        let _ = writeln!(s, "max_steps = {}", a.max_steps);
        let _ = writeln!(s, "max_level = {}", quoted(a.max_level.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn every_detector_has_a_key() {
        for d in Detector::ALL {
            assert!(
                DETECTOR_KEYS.iter().any(|k| detector(k) == d),
                "{d:?} has no key in [redaction.detectors]"
            );
        }
    }

    #[test]
    fn the_example_is_the_defaults_plus_two_sinks() {
        let parsed = FileConfig::parse(EXAMPLE, "example").unwrap();
        let expected = FileConfig {
            sinks: parsed.sinks.clone(),
            ..FileConfig::default()
        };
        assert_eq!(parsed, expected);
        assert_eq!(parsed.sinks.len(), 2);
        assert_eq!(parsed.sinks[1].name, "main");
    }

    #[test]
    fn the_example_mentions_every_key() {
        let keys = TOP_KEYS
            .iter()
            .chain(FULL_RING_KEYS)
            .chain(RULE_KEYS)
            .chain(REDACTION_KEYS)
            .chain(DETECTOR_KEYS)
            .chain(PATTERN_KEYS)
            .chain(SINK_KEYS)
            .chain(SAMPLING_KEYS)
            .chain(SAMPLING_RULE_KEYS)
            .chain(ADAPTIVE_KEYS)
            .chain(METRICS_KEYS);
        for key in keys {
            let written = [format!("{key} ="), format!("{key}]"), format!(".{key}")]
                .iter()
                .any(|form| EXAMPLE.contains(form.as_str()));
            assert!(written, "`{key}` is missing from the example file");
        }
    }

    #[test]
    fn the_effective_configuration_reads_back_the_same() {
        let text = r#"
level = "debug"
filter = "a::b=trace,[x]=warn"
ring_bytes = "64 KiB"
merge_window = "1ms"
idle_sleep = "300us"
backend_core = 0
[[rules]]
path = "svc::db"
level = "trace"
[[rules]]
action = "noisy"
level = "mute"
[full_ring]
default = "drop_newest"
[redaction]
replacement = "***"
sensitive_fields = ["pin"]
[redaction.detectors]
email = true
card_number = false
[[redaction.patterns]]
name = "ticket"
regex = "TCK-[0-9]{6}"
[[sinks]]
kind = "stderr"
format = "logfmt"
min_level = "warn"
[[sinks]]
kind = "syslog"
transport = "tcp"
address = "127.0.0.1:6514"
facility = "local3"
app_name = "svc"
[[sinks]]
kind = "daemon"
socket = "/run/narrate/narrate.sock"
[sampling]
report_interval = "250ms"
always_keep_actors = ["payments"]
always_keep_actions = ["charge"]
[[sampling.rules]]
path = "svc::poller"
max_level = "info"
first = 10
every = 100
interval = "2s"
[[sampling.rules]]
action = "cache"
site = "src/cache.rs:42"
rate = 0.01
[[sampling.rules]]
action = "retry"
per_second = 50
burst = 5
[sampling.adaptive]
high_fill = 0.6
max_steps = 4
"#;
        let cfg = FileConfig::parse(text, "t").unwrap();
        assert_eq!(cfg.sampling.as_ref().unwrap().rules.len(), 3);
        let again = FileConfig::parse(&cfg.to_toml(), "rendered").unwrap();
        assert_eq!(cfg, again);
    }
}
