//! Real OTLP receivers for the exporter's tests: rotel (an OpenTelemetry
//! collector) and the scripted receiver (`tests/scripted_receiver.py`,
//! decoding with the official `opentelemetry-proto` package), both from the
//! venv that scripts/install-rotel.sh builds.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The venv with rotel and the protobuf packages, installed through the
/// project's script if missing. Panics loudly if that fails: these tests
/// exist to run against the real receivers.
pub fn venv() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-rotel.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/install-rotel.sh");
    assert!(
        out.status.success(),
        "scripts/install-rotel.sh failed; the OTLP tests need rotel and opentelemetry-proto"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

pub fn rotel_agent() -> PathBuf {
    let lib = venv().join("lib");
    for entry in std::fs::read_dir(&lib).unwrap() {
        let p = entry
            .unwrap()
            .path()
            .join("site-packages/rotel/rotel-agent");
        if p.exists() {
            return p;
        }
    }
    panic!("no rotel-agent under {}", lib.display());
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Collects a child's stdout+stderr lines in the background.
#[derive(Clone, Default)]
pub struct Output(Arc<Mutex<String>>);

impl Output {
    fn follow(&self, r: impl Read + Send + 'static) {
        let out = self.0.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(r);
            let mut line = String::new();
            while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                out.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
    }
    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

pub struct Rotel {
    child: Child,
    pub port: u16,
    pub output: Output,
}

impl Rotel {
    pub fn start() -> Rotel {
        Rotel::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Rotel {
        let grpc = free_port();
        let mut child = Command::new(rotel_agent())
            .args(["start", "--exporter", "blackhole", "--debug-log", "logs"])
            .args(["--debug-log-verbosity", "detailed"])
            .arg("--otlp-http-endpoint")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--otlp-grpc-endpoint")
            .arg(format!("127.0.0.1:{grpc}"))
            .arg("--log-file")
            .arg(std::env::temp_dir().join(format!("rotel-{port}.log")))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rotel-agent");
        let output = Output::default();
        output.follow(child.stdout.take().unwrap());
        output.follow(child.stderr.take().unwrap());
        let mut r = Rotel {
            child,
            port,
            output,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("rotel exited at start: {status}\n{}", r.output.text());
            }
            assert!(
                Instant::now() < deadline,
                "rotel did not listen:\n{}",
                r.output.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One log record as rotel's detailed debug output shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RotelRecord {
    pub severity_text: String,
    pub severity_number: String,
    pub body: String,
    pub event_name: String,
    pub attributes: Vec<(String, String)>,
    /// The resource attributes of the ResourceLog it came in.
    pub resource: Vec<(String, String)>,
}

impl RotelRecord {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses rotel's `--debug-log logs --debug-log-verbosity detailed` output
/// (one line per field; values must not contain newlines).
pub fn parse_rotel(text: &str) -> Vec<RotelRecord> {
    #[derive(PartialEq)]
    enum In {
        Resource,
        Record,
        Other,
    }
    let mut out = Vec::new();
    let mut resource: Vec<(String, String)> = Vec::new();
    let mut cur: Option<RotelRecord> = None;
    let mut section = In::Other;
    for line in text.lines() {
        if line.starts_with("ResourceLog #") {
            out.extend(cur.take());
            resource.clear();
            section = In::Resource;
        } else if line.starts_with("LogRecord #") {
            out.extend(cur.take());
            cur = Some(RotelRecord {
                resource: resource.clone(),
                ..Default::default()
            });
            section = In::Record;
        } else if line.starts_with("ScopeLogs #") {
            out.extend(cur.take());
            section = In::Other;
        } else if let Some(kv) = line.trim_start().strip_prefix("-> ") {
            let (k, v) = kv.split_once(": ").unwrap_or((kv, ""));
            match section {
                In::Resource => resource.push((k.to_string(), v.to_string())),
                In::Record => cur
                    .as_mut()
                    .unwrap()
                    .attributes
                    .push((k.to_string(), v.to_string())),
                In::Other => {}
            }
        } else if let Some(r) = cur.as_mut() {
            if let Some(v) = line.strip_prefix("SeverityText: ") {
                r.severity_text = v.to_string();
            } else if let Some(v) = line.strip_prefix("SeverityNumber: ") {
                r.severity_number = v.to_string();
            } else if let Some(v) = line.strip_prefix("Body: ") {
                r.body = v.to_string();
            } else if let Some(v) = line.strip_prefix("EventName: ") {
                r.event_name = v.to_string();
            }
        }
    }
    out.extend(cur);
    out
}

/// Waits until rotel has printed at least `n` records (or 60 s), returns them.
pub fn wait_for_records(rotel: &Rotel, n: usize) -> Vec<RotelRecord> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = rotel.output.text();
        if text.matches("\nLogRecord #").count() >= n || Instant::now() > deadline {
            // Let the last record's lines arrive.
            std::thread::sleep(Duration::from_millis(100));
            return parse_rotel(&rotel.output.text());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The scripted receiver (`tests/scripted_receiver.py`) running under the venv's Python.
pub struct Scripted {
    child: Child,
    pub port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

/// One request as the scripted receiver decoded it.
#[derive(Debug, Clone)]
pub struct Request {
    pub n: u64,
    pub time: f64,
    pub gzip: bool,
    pub bodies: Vec<String>,
    pub severities: Vec<i64>,
}

impl Scripted {
    pub fn start(script: &str) -> Scripted {
        let python = venv().join("bin/python");
        let mut child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripted_receiver.py"))
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripted_receiver.py");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("scripted receiver said {first:?}"))
            .parse()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Scripted { child, port, lines }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| parse_request(l))
            .collect()
    }

    /// Waits (up to 20 s) until `n` requests have arrived.
    pub fn wait_requests(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = self.requests();
            if r.len() >= n {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "only {} requests: {r:?}",
                r.len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the receiver's JSON line without a JSON dependency: the fields
/// are written by `json.dumps` in a fixed order with known types.
fn parse_request(line: &str) -> Request {
    let field = |name: &str| -> &str {
        let start = line
            .find(&format!("\"{name}\": "))
            .unwrap_or_else(|| panic!("{name} in {line}"))
            + name.len()
            + 4;
        &line[start..]
    };
    let scalar = |name: &str| -> String {
        field(name)
            .split([',', '}'])
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    let list = |name: &str| -> Vec<String> {
        let rest = field(name);
        let inner = &rest[1..rest.find(']').unwrap()];
        if inner.is_empty() {
            return Vec::new();
        }
        inner
            .split(", ")
            .map(|s| s.trim_matches('"').to_string())
            .collect()
    };
    Request {
        n: scalar("n").parse().unwrap(),
        time: scalar("time").parse().unwrap(),
        gzip: scalar("gzip") == "true",
        bodies: list("bodies"),
        severities: list("severities")
            .iter()
            .map(|s| s.parse().unwrap())
            .collect(),
    }
}
