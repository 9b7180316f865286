//! From a narrate [`Event`] to an OTLP `LogRecord`.
//!
//! | narrate | OTLP |
//! |---|---|
//! | timestamp | `time_unix_nano` (`observed_time_unix_nano`: when mapped) |
//! | level Trace/Debug/Info/Warn/Error/Fatal | `severity_number` 1/5/9/13/17/21, `severity_text` TRACE … FATAL |
//! | human text | `body` (string) |
//! | free fields | attributes, typed: integers → `int_value` (a `u64` above `i64::MAX` → string), floats → `double_value`, bool → `bool_value`, strings, `%Display` and `?Debug` → `string_value`, bytes → `bytes_value`, errors → `string_value` (the chain joined by `": "`); a `None` field is left out |
//! | actor, action, target | `narrate.actor`, `narrate.action` (also `event_name`), `narrate.target` |
//! | correlation id | `correlation_id` |
//! | a field `trace_id` (32 hex digits) / `span_id` (16 hex digits) | `trace_id` / `span_id` bytes (and not repeated as attributes) |
//! | thread | `thread.name`, `thread.id` (semantic conventions) |
//!
//! The resource carries `service.name`, `service.version` (when set) and
//! `host.name`; the scope is `narrate` with narrate-otlp's version.

use narrate::{Event, Level, Value};

use crate::proto::{
    AnyValue, InstrumentationScope, KeyValue, LogRecord, Resource, any_value, kv_str,
};

/// OTLP `SeverityNumber` and text of a level.
pub fn severity(level: Level) -> (i32, &'static str) {
    match level {
        Level::Trace => (1, "TRACE"),
        Level::Debug => (5, "DEBUG"),
        Level::Info => (9, "INFO"),
        Level::Warn => (13, "WARN"),
        Level::Error => (17, "ERROR"),
        Level::Fatal => (21, "FATAL"),
        Level::Mute => (0, ""),
    }
}

/// The typed OTLP value of a field; `None` for a missing value.
pub fn any_value(value: Value<'_>) -> Option<AnyValue> {
    use any_value::Value as V;
    let v = match value {
        Value::U64(n) => match i64::try_from(n) {
            Ok(i) => V::IntValue(i),
            Err(_) => V::StringValue(n.to_string()),
        },
        Value::I64(n) => V::IntValue(n),
        Value::F64(x) => V::DoubleValue(x),
        Value::Bool(b) => V::BoolValue(b),
        Value::Str(s) | Value::Display(s) | Value::Debug(s) => V::StringValue(s.to_string()),
        Value::Bytes(b) => V::BytesValue(b.to_vec()),
        Value::Error(e) => V::StringValue(e.links().collect::<Vec<_>>().join(": ")),
        Value::None => return None,
    };
    Some(AnyValue { value: Some(v) })
}

/// Maps events; keeps a reusable text buffer.
#[derive(Default)]
pub struct Mapper {
    text: String,
}

impl Mapper {
    pub fn record(&mut self, event: &Event<'_>) -> LogRecord {
        let (severity_number, severity_text) = severity(event.level());
        self.text.clear();
        event.write_human(&mut self.text);
        let mut attributes = Vec::with_capacity(event.metadata().fields.len() + 4);
        attributes.push(kv_str("narrate.actor", event.actor()));
        if !event.action().is_empty() {
            attributes.push(kv_str("narrate.action", event.action()));
        }
        if let Some(v) = event.target().and_then(any_value) {
            attributes.push(KeyValue {
                key: "narrate.target".into(),
                value: Some(v),
            });
        }
        if let Some(v) = event.correlation_id().and_then(any_value) {
            attributes.push(KeyValue {
                key: "correlation_id".into(),
                value: Some(v),
            });
        }
        let mut trace_id = Vec::new();
        let mut span_id = Vec::new();
        for (name, value) in event.key_values() {
            if let Value::Str(s) | Value::Display(s) = value {
                if name == "trace_id"
                    && let Some(b) = hex_id::<16>(s)
                {
                    trace_id = b;
                    continue;
                }
                if name == "span_id"
                    && let Some(b) = hex_id::<8>(s)
                {
                    span_id = b;
                    continue;
                }
            }
            if let Some(v) = any_value(value) {
                attributes.push(KeyValue {
                    key: name.to_string(),
                    value: Some(v),
                });
            }
        }
        attributes.push(kv_str("thread.name", event.thread_name()));
        attributes.push(KeyValue {
            key: "thread.id".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::IntValue(event.thread_id() as i64)),
            }),
        });
        LogRecord {
            time_unix_nano: event.timestamp_nanos(),
            observed_time_unix_nano: unix_nanos_now(),
            severity_number,
            severity_text: severity_text.to_string(),
            body: Some(AnyValue {
                value: Some(any_value::Value::StringValue(self.text.clone())),
            }),
            attributes,
            flags: 0,
            trace_id,
            span_id,
            event_name: event.action().to_string(),
        }
    }
}

/// `N` bytes from `2N` hex digits, not all zero (an all-zero id is invalid in OTLP).
fn hex_id<const N: usize>(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(N);
    for pair in s.chunks(2) {
        out.push(digit(pair[0])? << 4 | digit(pair[1])?);
    }
    out.iter().any(|&b| b != 0).then_some(out)
}

fn unix_nanos_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// What goes into the OTLP resource.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    pub service_name: String,
    pub service_version: Option<String>,
    pub host_name: Option<String>,
    pub extra: Vec<(String, String)>,
}

impl ResourceInfo {
    /// Executable name as `service.name`, the kernel's host name as `host.name`.
    pub fn detect() -> ResourceInfo {
        let service_name = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "unknown_service".to_string());
        let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        ResourceInfo {
            service_name,
            service_version: None,
            host_name,
            extra: Vec::new(),
        }
    }
}

pub fn resource(info: &ResourceInfo) -> Resource {
    let mut attributes = vec![kv_str("service.name", info.service_name.clone())];
    if let Some(v) = &info.service_version {
        attributes.push(kv_str("service.version", v.clone()));
    }
    if let Some(h) = &info.host_name {
        attributes.push(kv_str("host.name", h.clone()));
    }
    for (k, v) in &info.extra {
        attributes.push(kv_str(k, v.clone()));
    }
    Resource { attributes }
}

pub fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "narrate".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        attributes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse_and_reject_bad_input() {
        assert_eq!(hex_id::<2>("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_id::<2>("0000"), None);
        assert_eq!(hex_id::<2>("0g00"), None);
        assert_eq!(hex_id::<2>("000"), None);
    }

    #[test]
    fn levels_map_to_the_otlp_severity_numbers() {
        let got: Vec<i32> = [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
            Level::Fatal,
        ]
        .into_iter()
        .map(|l| severity(l).0)
        .collect();
        assert_eq!(got, [1, 5, 9, 13, 17, 21]);
    }
}
