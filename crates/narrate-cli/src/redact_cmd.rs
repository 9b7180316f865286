//! `narrate redact [FILE…]`: clean existing logs.
//!
//! Reads lines from the files (or stdin when none is given, or for `-`),
//! redacts and sanitizes each one and writes it to stdout. Streaming: one
//! reused line buffer, `read_until(b'\n')` so lines that are not UTF-8 are
//! handled (invalid sequences become U+FFFD), so memory is bounded by the
//! longest line, not by the file.
//!
//! Private keys written over several lines (a PEM block in a log file) are
//! handled across lines: after a line that opens a `… PRIVATE KEY-----`
//! block without closing it, following lines that look like key material
//! are masked up to the `-----END` line (at most `MAX_PEM_BLOCK` bytes).
//!
//! Exit status: 0 on success, 1 if an input could not be read or stdout
//! failed (other inputs are still processed), 2 for invalid options.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use narrate_redact::{
    CustomPattern, DEFAULT_SECRET_KEYS, Detector, Detectors, MAX_PEM_BLOCK, RedactConfig, Redactor,
    Replacement, sanitize,
};

/// Detector names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectorArg {
    /// `Bearer <token>`
    Bearer,
    /// `api_key=…`, `password: …`, JSON `"secret": "…"`
    ApiKey,
    /// JSON Web Tokens
    Jwt,
    /// PEM private key blocks
    Pem,
    /// Passwords in `scheme://user:pass@host`
    UrlPassword,
    /// AWS access key ids
    AwsKey,
    /// Luhn-valid card numbers
    Card,
    /// UUIDs (off by default)
    Uuid,
    /// E-mail addresses (off by default)
    Email,
    /// Every detector above
    All,
}

impl DetectorArg {
    fn detectors(self) -> Vec<Detector> {
        match self {
            DetectorArg::Bearer => vec![Detector::Bearer],
            DetectorArg::ApiKey => vec![Detector::ApiKey],
            DetectorArg::Jwt => vec![Detector::Jwt],
            DetectorArg::Pem => vec![Detector::PemPrivateKey],
            DetectorArg::UrlPassword => vec![Detector::UrlPassword],
            DetectorArg::AwsKey => vec![Detector::AwsAccessKey],
            DetectorArg::Card => vec![Detector::CardNumber],
            DetectorArg::Uuid => vec![Detector::Uuid],
            DetectorArg::Email => vec![Detector::Email],
            DetectorArg::All => Detector::ALL.to_vec(),
        }
    }
}

/// Redact secrets from log files and escape control characters.
#[derive(clap::Args, Debug)]
pub struct RedactArgs {
    /// Input files; stdin when none is given or for `-`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Also turn on these detectors (comma-separated), e.g. `--enable uuid,email`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DETECTOR")]
    pub enable: Vec<DetectorArg>,

    /// Turn off these detectors (comma-separated), e.g. `--disable card`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DETECTOR")]
    pub disable: Vec<DetectorArg>,

    /// Use exactly these detectors instead of the defaults.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DETECTOR",
          conflicts_with_all = ["enable", "disable"])]
    pub only: Vec<DetectorArg>,

    /// Extra pattern to redact, as NAME=REGEX (repeatable).
    #[arg(long = "pattern", value_name = "NAME=REGEX")]
    pub patterns: Vec<String>,

    /// Extra key name whose values are secrets in `key=value` text (repeatable).
    #[arg(long = "secret-key", value_name = "NAME")]
    pub secret_keys: Vec<String>,

    /// Fixed replacement text.
    #[arg(long, value_name = "TEXT", default_value = narrate_redact::DEFAULT_REPLACEMENT)]
    pub replacement: String,

    /// Replace secrets with a keyed hash tag such as `[REDACTED:1a2b3c4d]`,
    /// so equal secrets can be correlated. The key (32 hex digits) is read
    /// from the environment variable named by `--hash-key-env`; without it
    /// a random key is used and tags only correlate within this run.
    #[arg(long, conflicts_with = "replacement")]
    pub hash: bool,

    /// Environment variable holding the hash key.
    #[arg(long, value_name = "VAR", default_value = "NARRATE_REDACT_KEY")]
    pub hash_key_env: String,

    /// Label inside hash tags.
    #[arg(long, value_name = "LABEL", default_value = narrate_redact::DEFAULT_HASH_LABEL)]
    pub hash_label: String,

    /// Do not escape control, bidi and zero-width characters.
    #[arg(long)]
    pub no_sanitize: bool,
}

/// Runs `narrate redact`.
pub fn run(args: RedactArgs) -> ExitCode {
    let redactor = match build(&args) {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("narrate redact: {msg}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut state = Stream::new(&redactor, !args.no_sanitize);
    let mut failed = false;

    let stdin_only = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if args.files.is_empty() {
        &stdin_only
    } else {
        &args.files
    };
    for path in inputs {
        let result = if path.as_os_str() == "-" {
            state.copy(io::stdin().lock(), &mut out)
        } else {
            match File::open(path) {
                Ok(f) => state.copy(BufReader::with_capacity(64 * 1024, f), &mut out),
                Err(e) => Err(Failure::Read(e)),
            }
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                eprintln!("narrate redact: {}: {e}", display(path));
                failed = true;
            }
            Err(Failure::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                return ExitCode::SUCCESS;
            }
            Err(Failure::Write(e)) => {
                eprintln!("narrate redact: writing output: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match out.flush() {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("narrate redact: writing output: {e}");
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

fn build(args: &RedactArgs) -> Result<Redactor, String> {
    let mut detectors = if args.only.is_empty() {
        Detectors::default()
    } else {
        Detectors::none()
    };
    for d in args
        .only
        .iter()
        .chain(&args.enable)
        .flat_map(|a| a.detectors())
    {
        detectors.set(d, true);
    }
    for d in args.disable.iter().flat_map(|a| a.detectors()) {
        detectors.set(d, false);
    }
    let mut custom_patterns = Vec::new();
    for p in &args.patterns {
        let (name, re) = p
            .split_once('=')
            .ok_or_else(|| format!("--pattern {p:?}: expected NAME=REGEX"))?;
        custom_patterns.push(CustomPattern::new(name, re));
    }
    let mut secret_keys: Vec<String> = DEFAULT_SECRET_KEYS.iter().map(|s| s.to_string()).collect();
    secret_keys.extend(args.secret_keys.iter().cloned());
    let replacement = if args.hash {
        let key = match std::env::var(&args.hash_key_env) {
            Ok(hex) => parse_key(&hex).ok_or_else(|| {
                format!(
                    "${}: expected 32 hex digits (a 128-bit key)",
                    args.hash_key_env
                )
            })?,
            Err(_) => {
                eprintln!(
                    "narrate redact: ${} not set; using a random key, tags correlate only within this run",
                    args.hash_key_env
                );
                random_key()
            }
        };
        Replacement::KeyedHash {
            key,
            label: args.hash_label.clone(),
        }
    } else {
        Replacement::Fixed(args.replacement.clone())
    };
    let cfg = RedactConfig {
        detectors,
        custom_patterns,
        secret_keys,
        replacement,
        ..Default::default()
    };
    Redactor::new(cfg).map_err(|e| e.to_string())
}

fn parse_key(hex: &str) -> Option<[u8; 16]> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 32 {
        return None;
    }
    let mut key = [0u8; 16];
    for (k, pair) in key.iter_mut().zip(hex.chunks(2)) {
        *k = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(key)
}

fn random_key() -> [u8; 16] {
    // std's RandomState is seeded from the OS; two hashers give 128 bits.
    use std::hash::{BuildHasher, Hasher};
    let mut key = [0u8; 16];
    for (i, half) in key.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x006e_6172_7261_7465 ^ i as u64);
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    key
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Per-run state: reused buffers and the multi-line PEM tracker.
struct Stream<'r> {
    redactor: &'r Redactor,
    sanitize: bool,
    line: Vec<u8>,
    lossy: String,
    masked: String,
    /// Bytes of key material masked since a PEM block opened, if inside one.
    in_pem: Option<usize>,
}

impl<'r> Stream<'r> {
    fn new(redactor: &'r Redactor, sanitize: bool) -> Self {
        Stream {
            redactor,
            sanitize,
            line: Vec::with_capacity(8 * 1024),
            lossy: String::new(),
            masked: String::new(),
            in_pem: None,
        }
    }

    fn copy(&mut self, mut input: impl BufRead, out: &mut impl Write) -> Result<(), Failure> {
        loop {
            self.line.clear();
            let n = input
                .read_until(b'\n', &mut self.line)
                .map_err(Failure::Read)?;
            if n == 0 {
                return Ok(());
            }
            let mut body: &[u8] = &self.line;
            let mut ending: &[u8] = b"";
            if let Some(b) = body.strip_suffix(b"\n") {
                ending = b"\n";
                body = b;
                if let Some(b) = body.strip_suffix(b"\r") {
                    // Keep CRLF files CRLF rather than escaping every `\r`.
                    ending = b"\r\n";
                    body = b;
                }
            }
            let text: &str = match std::str::from_utf8(body) {
                Ok(s) => s,
                Err(_) => {
                    self.lossy.clear();
                    for chunk in body.utf8_chunks() {
                        self.lossy.push_str(chunk.valid());
                        if !chunk.invalid().is_empty() {
                            self.lossy.push('\u{fffd}');
                        }
                    }
                    &self.lossy
                }
            };
            if let Some(seen) = self.in_pem {
                if text.contains("-----END ") {
                    self.in_pem = None;
                    self.masked.clear();
                    self.redactor.mask_into(text, &mut self.masked);
                    write_line(out, self.masked.as_bytes(), ending)?;
                    continue;
                }
                if looks_like_key_material(text) && seen + text.len() <= MAX_PEM_BLOCK {
                    self.in_pem = Some(seen + text.len());
                    self.masked.clear();
                    self.redactor.mask_into(text, &mut self.masked);
                    write_line(out, self.masked.as_bytes(), ending)?;
                    continue;
                }
                self.in_pem = None;
            }
            if self.redactor.detectors().contains(Detector::PemPrivateKey)
                && opens_private_key(text)
            {
                self.in_pem = Some(0);
            }
            let redacted = self.redactor.redact(text);
            if self.sanitize {
                write_line(out, sanitize(&redacted).as_bytes(), ending)?;
            } else {
                write_line(out, redacted.as_bytes(), ending)?;
            }
        }
    }
}

fn write_line(out: &mut impl Write, body: &[u8], ending: &[u8]) -> Result<(), Failure> {
    out.write_all(body).map_err(Failure::Write)?;
    out.write_all(ending).map_err(Failure::Write)
}

/// Whether the line opens a private key block that it does not close.
fn opens_private_key(text: &str) -> bool {
    match text.rfind("-----BEGIN ") {
        Some(i) => {
            let rest = &text[i..];
            rest.contains("PRIVATE KEY") && !rest.contains("-----END ")
        }
        None => false,
    }
}

/// Base64 body lines and RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`).
fn looks_like_key_material(text: &str) -> bool {
    text.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'/' | b'=' | b':' | b',' | b'-' | b' ' | b'\t')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &[u8]) -> String {
        let r = Redactor::new(RedactConfig::default()).unwrap();
        let mut s = Stream::new(&r, true);
        let mut out = Vec::new();
        assert!(s.copy(input, &mut out).is_ok());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_are_redacted_and_sanitized() {
        let out = run_on(b"ok line\npassword=hunter2 \x1b[31m\nbad \xff utf8\r\nlast");
        assert_eq!(
            out,
            "ok line\npassword=[REDACTED] \\u{1b}[31m\nbad \u{fffd} utf8\r\nlast"
        );
    }

    #[test]
    fn multi_line_pem_block() {
        let out = run_on(
            b"before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc+/=\n-----END RSA PRIVATE KEY-----\nafter 12:00\n",
        );
        assert_eq!(
            out,
            "before\n[REDACTED]\n[REDACTED]\n[REDACTED]\n[REDACTED]\nafter 12:00\n"
        );
        assert!(!out.contains("MIIE"));
    }

    #[test]
    fn key_parsing() {
        assert_eq!(
            parse_key("000102030405060708090a0b0c0d0e0f").unwrap()[15],
            15
        );
        assert!(parse_key("xyz").is_none());
    }
}
