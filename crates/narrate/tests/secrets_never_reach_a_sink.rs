//! Secrets in human text and fields come out masked in every format and
//! every sink: the redaction stage runs before any of them.

use std::io;
use std::sync::{Arc, Mutex};

use narrate::{Capture, Config, Event, FileSink, Format, Sink, SinkSpec};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<String>>);

impl Sink for Lines {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(line));
        Ok(())
    }
}

#[derive(Debug)]
struct Upstream(&'static str);
impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Upstream {}

#[derive(Debug)]
struct CallFailed(Upstream);
impl std::fmt::Display for CallFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("call failed")
    }
}
impl std::error::Error for CallFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

const JWT: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const SECRETS: [&str; 6] = [
    "abcDEF123456.xyz",
    "hunter2-very-secret",
    "sk_live_abc123",
    JWT,
    "AKIAIOSFODNN7EXAMPLE",
    "31337",
];

#[test]
fn secrets_are_masked_in_every_format_and_sink() {
    let (json, logfmt, pretty) = (Lines::default(), Lines::default(), Lines::default());
    let capture = Capture::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let _guard = narrate::init(
        Config::new()
            .env_filter(false)
            .sink(SinkSpec::custom(json.clone(), Format::Json))
            .sink(SinkSpec::custom(logfmt.clone(), Format::Logfmt))
            .sink(SinkSpec::custom(pretty.clone(), Format::Pretty))
            .sink(&capture)
            .sink(FileSink::new(&file)),
    )
    .unwrap();

    let header = "Bearer abcDEF123456.xyz";
    narrate::info!("calling upstream with {header}", header);
    narrate::warn!(
        action = "login",
        "login attempt",
        user = "ada",
        password = "hunter2-very-secret",
        token = 31337u64
    );
    narrate::info!("config loaded", note = "api_key=sk_live_abc123 next", raw = b"jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U".as_slice());
    let leak = format!("key AKIAIOSFODNN7EXAMPLE in {JWT}");
    narrate::error!("upstream error", err = narrate::error(&CallFailed(Upstream(Box::leak(leak.into_boxed_str())))), shown = %"AKIAIOSFODNN7EXAMPLE");
    narrate::info!("nothing secret here", city = "Lyon", n = 3u8);
    narrate::flush();

    let outputs = [
        ("json", json.0.lock().unwrap().clone()),
        ("logfmt", logfmt.0.lock().unwrap().clone()),
        ("pretty", pretty.0.lock().unwrap().clone()),
        (
            "capture",
            capture
                .events()
                .iter()
                .map(|e| e.json.clone() + "\n")
                .collect::<String>(),
        ),
        ("file", std::fs::read_to_string(&file).unwrap()),
    ];
    for (name, text) in &outputs {
        assert_eq!(text.lines().count(), 5, "{name}: {text}");
        for secret in SECRETS {
            assert!(!text.contains(secret), "{name} leaked {secret}:\n{text}");
        }
        assert!(text.contains("[REDACTED]"), "{name}");
        assert!(text.contains("Lyon"), "{name}: clean values untouched");
        assert!(text.contains("ada"), "{name}: only the secret is masked");
    }
    let events = capture.events();
    assert_eq!(events[0].human, "calling upstream with Bearer [REDACTED]");
    assert_eq!(events[1].field("password"), Some("[REDACTED]"));
    assert_eq!(
        events[1].field("token"),
        Some("[REDACTED]"),
        "sensitive by name, whatever the type"
    );
    assert_eq!(events[2].field("note"), Some("api_key=[REDACTED] next"));
    let err: serde_json::Value = serde_json::from_str(&events[3].json).unwrap();
    assert_eq!(err["fields"]["err"]["message"], "call failed");
    assert_eq!(
        err["fields"]["err"]["sources"][0],
        "key [REDACTED] in [REDACTED]"
    );
}
