//! Stable-toolchain smoke run of the fuzz property: NOT coverage-guided.
//! Feeds `narrate_redact_fuzz::check` with (1) every file in
//! `corpus/redact_sanitize/`, (2) random byte strings and (3) random
//! concatenations of fragments that exercise the detectors, from a fixed
//! seed so failures reproduce. Usage: `smoke [ITERATIONS] [SEED]`.

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

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/redact_sanitize");
    let mut seeds = 0;
    if let Ok(entries) = std::fs::read_dir(&corpus) {
        for e in entries.flatten() {
            if let Ok(data) = std::fs::read(e.path()) {
                narrate_redact_fuzz::check(&data);
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
                buf.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes());
                if rng.below(4) == 0 {
                    let n = rng.below(12);
                    buf.extend((0..n).map(|_| b"aZ09 -_./+=:"[rng.below(12)]));
                }
            }
        }
        narrate_redact_fuzz::check(&buf);
    }
    println!("smoke: {seeds} corpus files and {iterations} generated inputs (seed {seed}) passed");
}
