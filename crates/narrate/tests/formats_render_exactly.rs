//! The three formats, pinned: the same events rendered as JSON, logfmt and
//! pretty (no colour), timestamps masked.

use std::io;
use std::sync::{Arc, Mutex};

use narrate::{Config, Event, Format, Level, Sink, SinkSpec};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Sink for Lines {
    fn write(&mut self, _event: &Event<'_>, line: &[u8]) -> io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push(String::from_utf8(line.to_vec()).unwrap());
        Ok(())
    }
}

/// Replaces the timestamp (the first RFC 3339 value) with `TS`.
fn mask(line: &str) -> String {
    let start = line.find("20").unwrap();
    let end = start + line[start..].find('Z').unwrap() + 1;
    format!("{}TS{}", &line[..start], &line[end..])
}

#[derive(Debug)]
struct Inner;
impl std::fmt::Display for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk \"full\"")
    }
}
impl std::error::Error for Inner {}

#[derive(Debug)]
struct Outer(Inner);
impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("save failed")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn json_logfmt_and_pretty_render_exactly() {
    let (json, logfmt, pretty) = (Lines::default(), Lines::default(), Lines::default());
    let _guard = narrate::init(
        Config::new()
            .level(Level::Trace)
            .env_filter(false)
            .sink(SinkSpec::custom(json.clone(), Format::Json))
            .sink(SinkSpec::custom(logfmt.clone(), Format::Logfmt))
            .sink(SinkSpec::custom(pretty.clone(), Format::Pretty)),
    )
    .unwrap();
    let lines = std::thread::Builder::new()
        .name("worker-1".into())
        .spawn(|| {
            let city = "Saint-Étienne";
            let info_line = line!() + 1;
            narrate::info!(
                actor = "orders",
                action = "ship",
                target = 42u64,
                correlation_id = "req-7",
                "Order {order_id} shipped to {city}",
                order_id = 42u64,
                weight = 1.25,
                express = true,
                note = "fragile, \"glass\"",
            );
            let error_line = line!() + 1;
            narrate::error!(
                actor = "store",
                "could not save",
                err = narrate::error(&Outer(Inner)),
                nan = f64::NAN
            );
            (info_line, error_line)
        })
        .unwrap()
        .join()
        .unwrap();
    narrate::flush();

    let json: Vec<String> = json.0.lock().unwrap().iter().map(|l| mask(l)).collect();
    let logfmt: Vec<String> = logfmt.0.lock().unwrap().iter().map(|l| mask(l)).collect();
    let pretty: Vec<String> = pretty.0.lock().unwrap().iter().map(|l| mask(l)).collect();
    let file = file!();
    let (info_line, error_line) = lines;
    assert_eq!(
        json,
        [
            format!(
                "{{\"ts\":\"TS\",\"level\":\"info\",\"actor\":\"orders\",\"action\":\"ship\",\"target\":42,\"human\":\"Order 42 shipped to Saint-Étienne\",\"correlation_id\":\"req-7\",\"fields\":{{\"order_id\":42,\"weight\":1.25,\"express\":true,\"note\":\"fragile, \\\"glass\\\"\",\"city\":\"Saint-Étienne\"}},\"thread\":\"worker-1\",\"tid\":1,\"file\":\"{file}\",\"line\":{info_line}}}\n"
            ),
            format!(
                "{{\"ts\":\"TS\",\"level\":\"error\",\"actor\":\"store\",\"human\":\"could not save\",\"fields\":{{\"err\":{{\"message\":\"save failed\",\"sources\":[\"disk \\\"full\\\"\"]}},\"nan\":\"NaN\"}},\"thread\":\"worker-1\",\"tid\":1,\"file\":\"{file}\",\"line\":{error_line}}}\n"
            ),
        ]
    );
    assert_eq!(
        logfmt,
        [
            "ts=TS level=info actor=orders action=ship target=42 human=\"Order 42 shipped to Saint-Étienne\" correlation_id=req-7 order_id=42 weight=1.25 express=true note=\"fragile, \\\"glass\\\"\" city=\"Saint-Étienne\" thread=worker-1\n",
            "ts=TS level=error actor=store human=\"could not save\" err=\"save failed: disk \\\"full\\\"\" nan=NaN thread=worker-1\n",
        ]
    );
    assert_eq!(
        pretty,
        [
            "TS  INFO orders/ship #42  Order 42 shipped to Saint-Étienne  weight=1.25 express=true note=fragile, \"glass\" correlation_id=req-7  [worker-1]\n",
            "TS ERROR store  could not save  err=save failed: disk \"full\" nan=NaN  [worker-1]\n",
        ]
    );
}
