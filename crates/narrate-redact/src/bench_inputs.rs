//! Deterministic inputs for benchmarks, shared by this crate's criterion
//! benches and the `narrate bench` tool so both measure the same thing.
//!
//! The clean text is realistic log prose: words, paths, numbers, dates,
//! durations and `key=value` pairs with harmless keys — the bytes that make
//! a redactor's prefilters fire without anything to mask.

/// Realistic clean log text, cycled to fill the requested size.
const CLEAN_CORPUS: &str = "GET /api/v1/orders/8812 completed status=200 in 23ms for user=alice \
    (region eu-west-1, cache hit ratio 0.93); retrying job 4411 after timeout at 2024-05-17T10:21:33Z, \
    attempt 3 of 5 queued by scheduler worker-7 on host app-12.internal:8080 with payload size 1532 bytes; \
    connection pool has 12 idle and 4 active connections, latency p99=87ms p50=12ms, \
    shipped order 1234567812345678 to warehouse B via https://shipping.example.com/track?id=99812 ok. ";

/// The realistic clean log text of exactly `len` bytes (ASCII).
pub fn clean(len: usize) -> String {
    CLEAN_CORPUS
        .bytes()
        .cycle()
        .take(len)
        .map(char::from)
        .collect()
}

/// Plain ASCII letters and spaces, `len` bytes: the sanitize fast path.
pub fn ascii(len: usize) -> String {
    "The quick brown fox jumps over the lazy dog while logging. "
        .bytes()
        .cycle()
        .take(len)
        .map(char::from)
        .collect()
}

/// Secrets planted by [`with_secrets`], in order.
pub const SECRETS: [&str; 3] = [
    "Authorization: Bearer 8f3kQ9xZpL2mN7vB4cR1tY6wE0uI5oAs",
    "db password=Tr0ub4dor&3x",
    "card 4111 1111 1111 1111",
];

/// Clean text of about `len` bytes with `n` (1–3) secrets from [`SECRETS`]
/// spread evenly through it.
pub fn with_secrets(len: usize, n: usize) -> String {
    let n = n.clamp(1, SECRETS.len());
    let planted: usize = SECRETS[..n].iter().map(|s| s.len() + 2).sum();
    let filler = len.saturating_sub(planted);
    let piece = filler / (n + 1);
    let base = clean(filler);
    let mut out = String::with_capacity(len);
    for (i, secret) in SECRETS[..n].iter().enumerate() {
        out.push_str(&base[i * piece..(i + 1) * piece]);
        out.push(' ');
        out.push_str(secret);
        out.push(' ');
    }
    out.push_str(&base[n * piece..]);
    out
}

/// Near-miss patterns that make naive redactors quadratic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pathological {
    /// `-----BEGIN ` repeated.
    PemBegin,
    /// `-----BEGIN PRIVATE KEY-----` repeated, never closed.
    PemHeaders,
    /// `eyJ` repeated (a JWT header that never ends).
    JwtPrefix,
    /// `://a:` repeated (URL userinfo that never gets an `@`).
    UrlUserinfo,
    /// One long digit run.
    Digits,
    /// Digit groups separated by spaces, never Luhn-valid as a whole.
    DigitGroups,
    /// `password=` repeated with no value.
    KeyNoValue,
    /// `Bearer ` repeated.
    BearerWord,
}

impl Pathological {
    /// All kinds.
    pub const ALL: [Pathological; 8] = [
        Pathological::PemBegin,
        Pathological::PemHeaders,
        Pathological::JwtPrefix,
        Pathological::UrlUserinfo,
        Pathological::Digits,
        Pathological::DigitGroups,
        Pathological::KeyNoValue,
        Pathological::BearerWord,
    ];

    /// Short name for benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Pathological::PemBegin => "pem-begin",
            Pathological::PemHeaders => "pem-headers",
            Pathological::JwtPrefix => "jwt-prefix",
            Pathological::UrlUserinfo => "url-userinfo",
            Pathological::Digits => "digits",
            Pathological::DigitGroups => "digit-groups",
            Pathological::KeyNoValue => "key-no-value",
            Pathological::BearerWord => "bearer-word",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Pathological::PemBegin => "-----BEGIN ",
            Pathological::PemHeaders => "-----BEGIN PRIVATE KEY-----",
            Pathological::JwtPrefix => "eyJ",
            Pathological::UrlUserinfo => "://a:",
            Pathological::Digits => "1234567890",
            Pathological::DigitGroups => "1000 ",
            Pathological::KeyNoValue => "password=;",
            Pathological::BearerWord => "Bearer ",
        }
    }

    /// The input, `len` bytes.
    pub fn input(self, len: usize) -> String {
        self.unit()
            .bytes()
            .cycle()
            .take(len)
            .map(char::from)
            .collect()
    }
}
