//! The OTLP/JSON encoding (`.json(true)`), gzip-compressed, read by rotel:
//! severity, body, typed attributes (int, double, bool, string, bytes),
//! trace and span ids, and the resource arrive as with protobuf.

mod support;

use std::time::Duration;

use narrate::{Config, Level};
use narrate_otlp::OtlpExporter;
use support::{Rotel, wait_for_records};

#[test]
fn otlp_json_encoding_reaches_rotel_with_typed_attributes() {
    let rotel = Rotel::start();
    let otlp = OtlpExporter::new(&rotel.endpoint())
        .json(true)
        .gzip(true)
        .service_name("json-svc")
        .shutdown_timeout(Duration::from_secs(20))
        .start();
    let handle = otlp.handle();
    let guard = narrate::init(Config::new().level(Level::Trace).sink(otlp)).unwrap();
    let raw: &[u8] = b"\x00\xffab";
    narrate::error!(
        action = "charge",
        "Charge of {amount} failed",
        amount = 1250i64,
        ratio = 0.25,
        retry = false,
        card = "visa \"gold\"",
        raw,
        trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id = "00f067aa0ba902b7",
    );
    narrate::debug!(big = u64::MAX, "big");
    drop(guard);
    let report = handle.shutdown_report().unwrap();
    assert_eq!(report.stats.sent, 2, "{report:?}");

    let records = wait_for_records(&rotel, 2);
    assert_eq!(records.len(), 2, "{}", rotel.output.text());
    let r = &records[0];
    assert_eq!(r.severity_text, "ERROR");
    assert_eq!(r.severity_number, "SEVERITY_NUMBER_ERROR(17)");
    assert_eq!(r.body, "Str(Charge of 1250 failed)");
    assert_eq!(r.event_name, "charge");
    assert_eq!(r.attr("amount"), Some("Int(1250)"));
    assert_eq!(r.attr("ratio"), Some("Double(0.25)"));
    assert_eq!(r.attr("retry"), Some("Bool(false)"));
    assert_eq!(r.attr("card"), Some("Str(visa \"gold\")"));
    assert!(
        r.attr("raw").is_some_and(|v| v.starts_with("Bytes(")),
        "{:?}",
        r.attr("raw")
    );
    assert_eq!(r.attr("trace_id"), None, "moved to the record's trace id");
    let text = rotel.output.text();
    assert!(text.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{text}");
    assert!(text.contains("00f067aa0ba902b7"), "{text}");
    assert_eq!(
        r.resource[0],
        ("service.name".into(), "Str(json-svc)".into())
    );
    let big = &records[1];
    assert_eq!(big.severity_number, "SEVERITY_NUMBER_DEBUG(5)");
    assert_eq!(big.attr("big"), Some(format!("Str({})", u64::MAX).as_str()));
}
