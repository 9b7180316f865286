//! Stable-toolchain smoke run of the fuzz properties: NOT coverage-guided.
//! For every target, feeds its check with (1) every file in
//! `corpus/<target>/`, (2) random byte strings and (3) random
//! concatenations of fragments that exercise that parser, from a fixed seed
//! so failures reproduce. Usage: `smoke [ITERATIONS] [SEED]` (ITERATIONS
//! per target).

use std::path::Path;

const FRAGMENTS: &[&str] = &[
    "password=",
    "api_key: ",
    "\"token\":\"",
    "\"",
    "'",
    "Bearer ",
    "bearer ",
    "eyJ",
    ".eyJ",
    ".",
    "-----BEGIN ",
    "RSA PRIVATE KEY-----",
    "-----END ",
    "://",
    "@",
    ":",
    "=",
    "AKIA",
    "ASIA",
    "4111 1111 1111 1111",
    "4111111111111111",
    "378282246310005",
    "1234",
    " ",
    "-",
    "\n",
    "\r",
    "\t",
    "\u{202e}",
    "\u{200d}",
    "🎉",
    "[REDACTED]",
    "[REDACTED:0badc0de]",
    "Authorization: Basic ",
    "Cookie: ",
    "123e4567-e89b-12d3-a456-426614174000",
    "a.b@example.com",
    "user",
    "hunter2",
    "Zm9vYmFyYmF6cXV4",
    "\u{7}",
    "é",
    "\\",
];

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces of the inputs the other targets parse.
const FILTER_FRAGMENTS: &[&str] = &[
    ",", "=", "[", "]", "info", "debug", "warn", "trace", "error", "off", "mute", "my::mod", "::",
    " ", "action", "x",
];
const CONFIG_FRAGMENTS: &[&str] = &[
    "level = \"info\"\n",
    "[[sinks]]\n",
    "kind = \"file\"\n",
    "kind = \"stdout\"\n",
    "path = \"/tmp/x.jsonl\"\n",
    "max_bytes = \"64 MiB\"\n",
    "keep = 3\n",
    "format = \"json\"\n",
    "[redaction]\n",
    "enabled = false\n",
    "[[rules]]\n",
    "path = \"a::b\"\n",
    "filter = \"warn\"\n",
    "merge_window = \"100us\"\n",
    "ring_bytes = 4096\n",
    "[full_ring]\n",
    "info = \"drop_newest\"\n",
    "=",
    "\"",
    "[",
    "]",
    "\n",
    "#",
    "{",
    "}",
    "1e9",
    "-1",
];
const RECORD_FRAGMENTS: &[&str] = &[
    "\u{1}",
    "\u{2}",
    "\u{3}",
    "\u{4}",
    "\u{5}",
    "\u{6}",
    "\u{7}",
    "\u{8}",
    "\u{9}",
    "\u{a}",
    "\u{0}\u{0}\u{0}\u{0}",
    "\u{3}\u{0}\u{0}\u{0}abc",
    "\u{7f}\u{7f}\u{7f}\u{7f}",
    "\"\\\n",
    "\u{202e}",
];

type Check = fn(&[u8]);

fn run(name: &str, check: Check, fragments: &[&str], iterations: usize, seed: u64) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    let mut seeds = 0;
    if let Ok(entries) = std::fs::read_dir(&corpus) {
        for e in entries.flatten() {
            if let Ok(data) = std::fs::read(e.path()) {
                check(&data);
                seeds += 1;
            }
        }
    }
    let mut rng = XorShift(seed | 1);
    let mut buf = Vec::new();
    for i in 0..iterations {
        buf.clear();
        buf.push(rng.next() as u8);
        if i % 2 == 0 {
            let n = rng.below(256);
            buf.extend((0..n).map(|_| rng.next() as u8));
        } else {
            for _ in 0..rng.below(16) {
                buf.extend_from_slice(fragments[rng.below(fragments.len())].as_bytes());
                if rng.below(4) == 0 {
                    let n = rng.below(12);
                    buf.extend((0..n).map(|_| b"aZ09 -_./+=:"[rng.below(12)]));
                }
            }
        }
        check(&buf);
    }
    println!(
        "smoke {name}: {seeds} corpus files and {iterations} generated inputs (seed {seed}) passed"
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    let targets: [(&str, Check, &[&str]); 4] = [
        ("redact_sanitize", narrate_redact_fuzz::check, FRAGMENTS),
        (
            "record_decode",
            narrate_redact_fuzz::record::check,
            RECORD_FRAGMENTS,
        ),
        (
            "filter_parse",
            narrate_redact_fuzz::filter::check,
            FILTER_FRAGMENTS,
        ),
        (
            "config_parse",
            narrate_redact_fuzz::config::check,
            CONFIG_FRAGMENTS,
        ),
    ];
    for (name, check, fragments) in targets {
        run(name, check, fragments, iterations, seed);
    }
}
