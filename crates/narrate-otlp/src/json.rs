//! OTLP/JSON: the same messages in the JSON mapping the OTLP specification
//! defines (protobuf's JSON mapping with its OTLP exceptions): lowerCamelCase
//! keys, 64-bit integers as decimal strings, enums as numbers, `traceId` /
//! `spanId` as hex (not base64), other bytes as base64, empty fields left out.

use serde_json::{Map, Value, json};

use crate::proto::{AnyValue, ExportLogsServiceRequest, KeyValue, LogRecord, any_value};

pub fn encode_request(req: &ExportLogsServiceRequest) -> Vec<u8> {
    let resource_logs: Vec<Value> = req
        .resource_logs
        .iter()
        .map(|rl| {
            let mut o = Map::new();
            if let Some(r) = &rl.resource {
                o.insert(
                    "resource".into(),
                    json!({ "attributes": attributes(&r.attributes) }),
                );
            }
            let scope_logs: Vec<Value> = rl
                .scope_logs
                .iter()
                .map(|sl| {
                    let mut s = Map::new();
                    if let Some(scope) = &sl.scope {
                        s.insert(
                            "scope".into(),
                            json!({ "name": scope.name, "version": scope.version }),
                        );
                    }
                    s.insert(
                        "logRecords".into(),
                        Value::Array(sl.log_records.iter().map(record).collect()),
                    );
                    Value::Object(s)
                })
                .collect();
            o.insert("scopeLogs".into(), Value::Array(scope_logs));
            Value::Object(o)
        })
        .collect();
    serde_json::to_vec(&json!({ "resourceLogs": resource_logs }))
        .expect("serializing a Value cannot fail")
}

fn record(r: &LogRecord) -> Value {
    let mut o = Map::new();
    o.insert(
        "timeUnixNano".into(),
        Value::String(r.time_unix_nano.to_string()),
    );
    o.insert(
        "observedTimeUnixNano".into(),
        Value::String(r.observed_time_unix_nano.to_string()),
    );
    o.insert("severityNumber".into(), json!(r.severity_number));
    o.insert(
        "severityText".into(),
        Value::String(r.severity_text.clone()),
    );
    if let Some(b) = &r.body {
        o.insert("body".into(), any(b));
    }
    o.insert("attributes".into(), attributes(&r.attributes));
    if !r.trace_id.is_empty() {
        o.insert("traceId".into(), Value::String(hex(&r.trace_id)));
    }
    if !r.span_id.is_empty() {
        o.insert("spanId".into(), Value::String(hex(&r.span_id)));
    }
    if !r.event_name.is_empty() {
        o.insert("eventName".into(), Value::String(r.event_name.clone()));
    }
    Value::Object(o)
}

fn attributes(kvs: &[KeyValue]) -> Value {
    Value::Array(
        kvs.iter()
            .map(|kv| {
                let value = kv.value.as_ref().map(any).unwrap_or_else(|| json!({}));
                json!({ "key": kv.key, "value": value })
            })
            .collect(),
    )
}

fn any(v: &AnyValue) -> Value {
    use any_value::Value as V;
    match &v.value {
        None => json!({}),
        Some(V::StringValue(s)) => json!({ "stringValue": s }),
        Some(V::BoolValue(b)) => json!({ "boolValue": b }),
        Some(V::IntValue(i)) => json!({ "intValue": i.to_string() }),
        Some(V::DoubleValue(d)) if d.is_finite() => json!({ "doubleValue": d }),
        Some(V::DoubleValue(d)) => {
            let s = if d.is_nan() {
                "NaN"
            } else if *d > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            json!({ "doubleValue": s })
        }
        Some(V::BytesValue(b)) => json!({ "bytesValue": base64(b) }),
        Some(V::ArrayValue(a)) => {
            json!({ "arrayValue": { "values": a.values.iter().map(any).collect::<Vec<_>>() } })
        }
        Some(V::KvlistValue(l)) => json!({ "kvlistValue": { "values": attributes(&l.values) } }),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// `partialSuccess` of a JSON `ExportLogsServiceResponse`: (rejected, message).
/// An empty or unparsable body means full success, as the specification says.
pub fn decode_partial_success(body: &[u8]) -> Option<(u64, String)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let p = v.get("partialSuccess")?;
    let rejected = match p.get("rejectedLogRecords") {
        Some(Value::String(s)) => s.parse().ok()?,
        Some(Value::Number(n)) => n.as_u64()?,
        _ => 0,
    };
    let message = p
        .get("errorMessage")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Some((rejected, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn partial_success_reads_string_or_number_counts() {
        let s = br#"{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"old"}}"#;
        assert_eq!(decode_partial_success(s), Some((3, "old".into())));
        let n = br#"{"partialSuccess":{"rejectedLogRecords":2}}"#;
        assert_eq!(decode_partial_success(n), Some((2, String::new())));
        assert_eq!(decode_partial_success(b"{}"), None);
        assert_eq!(decode_partial_success(b""), None);
    }

    #[test]
    fn integers_are_strings_and_ids_are_hex() {
        let r = LogRecord {
            time_unix_nano: 5,
            severity_number: 9,
            trace_id: vec![0xab; 16],
            attributes: vec![KeyValue {
                key: "n".into(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::IntValue(-7)),
                }),
            }],
            ..Default::default()
        };
        let v = record(&r);
        assert_eq!(v["timeUnixNano"], "5");
        assert_eq!(v["severityNumber"], 9);
        assert_eq!(v["traceId"], "ab".repeat(16));
        assert_eq!(v["attributes"][0]["value"]["intValue"], "-7");
    }
}
