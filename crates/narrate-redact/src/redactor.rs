//! The [`Redactor`]: configuration, validation and the scan loop.
//!
//! # The scan
//!
//! One left-to-right walk over the input drives a handful of *cursors*, each
//! holding the position of its next candidate:
//!
//! * **literals** – one `aho_corasick::packed` (SIMD "Teddy") search over
//!   every fixed trigger: `Bearer `, `eyJ`, `-----BEGIN `, `AKIA`/`ASIA`,
//!   `://`, the first four letters of the last word of every secret key
//!   name (`key`, `Key`, `KEY`, `pass`, …) and the replacement token itself;
//! * **digits** – a skip loop for card numbers (no literal prefix exists,
//!   so a literal search cannot help; see `next_card_candidate`);
//! * **regex** – only when UUID/e-mail/custom patterns are on: one
//!   multi-pattern `regex_automata::meta::Regex`.
//!
//! Key/value pairs are found from the key *name* rather than from every `=`
//! and `:`: logs are full of harmless separators (`status=200`, `12:30`),
//! and visiting each one cost more than the whole literal search (measured:
//! ~15 ns per separator on the 2.6 GHz bench machine, about 300 ns per
//! 1 000 bytes of logfmt-style text, against ~60 ns for the literal scan).
//! The price is that key names are matched in three spellings of their last
//! word (`token`, `Token`, `TOKEN`); `tOkEn=` is not caught.
//!
//! The loop repeatedly takes the smallest candidate, runs that detector's
//! anchored matcher (`detectors.rs`) and either emits a replacement and jumps
//! past it, or advances that one cursor. A match that starts after its
//! trigger (the value of `key=value`, a URL password) is held back until no
//! other cursor has a candidate before it, so that, say, a card number inside
//! a long key name is not skipped; overlapping matches mask their union. Cursors only move forward and each
//! matcher reads a bounded amount or bytes no later trigger of the same kind
//! re-reads, so the total work is linear in the input for the built-in
//! detectors. (The regex cursor inherits regex-automata's guarantee instead:
//! O(m·n) per search, no backtracking.)
//!
//! The output is produced lazily: nothing is allocated or copied until the
//! first match, so clean input comes back as `Cow::Borrowed`.
//!
//! A replacement token already present in the input (`[REDACTED]`, or
//! `[REDACTED:1a2b3c4d]` in the keyed-hash mode) is found by the literal
//! cursor and skipped as a unit; matchers also refuse values that *start*
//! with a token. Together with the build-time self-check in
//! [`Redactor::new`] this is what makes redaction idempotent.

use std::borrow::Cow;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input as AcInput, MatchKind as AcMatchKind};
use regex_automata::Input;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use crate::detectors::{self, Detector, Detectors, KeyNames, Outcome, PemMemo};
use crate::replacement::{Replacement, Sink};

/// Default field names whose values are always masked (see
/// [`Redactor::is_sensitive_field`]).
pub const DEFAULT_SENSITIVE_FIELDS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "authorization",
    "cookie",
    "set-cookie",
    "private_key",
];

/// Default key-name suffixes for the [`Detector::ApiKey`] detector in free
/// text (`db_password=…`, `"client_secret": "…"`, `X-Api-Key: …`). Matching
/// ignores case, `_`, `-` and `.`.
pub const DEFAULT_SECRET_KEYS: [&str; 13] = [
    "api_key",
    "access_key",
    "secret_key",
    "private_key",
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "credential",
    "credentials",
    "authorization",
    "cookie",
];

/// Limits on custom patterns, so configuration cannot make the backend slow
/// or blow up memory.
pub const MAX_CUSTOM_PATTERNS: usize = 64;
/// Longest custom pattern source, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;
/// Compiled-size limit for each custom pattern (Thompson NFA bytes).
pub const MAX_PATTERN_NFA_BYTES: usize = 256 * 1024;

const UUID_PATTERN: &str =
    r"(?-u:\b)[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?-u:\b)";
const EMAIL_PATTERN: &str = r"(?-u:\b)[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}(?-u:\b)";

/// A user-supplied pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomPattern {
    /// Shown in error messages.
    pub name: String,
    /// Regex syntax of the `regex` crate. Must not match the empty string.
    pub pattern: String,
}

impl CustomPattern {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, pattern: impl Into<String>) -> Self {
        CustomPattern {
            name: name.into(),
            pattern: pattern.into(),
        }
    }
}

/// Everything a [`Redactor`] can be configured with.
#[derive(Clone, Debug)]
pub struct RedactConfig {
    /// Switched-on built-in detectors.
    pub detectors: Detectors,
    /// Extra patterns, always on.
    pub custom_patterns: Vec<CustomPattern>,
    /// Field names whose values are masked whatever they hold (exact name,
    /// ASCII case-insensitive, `-` and `_` equivalent).
    pub sensitive_fields: Vec<String>,
    /// Key-name suffixes for `key=value` / `key: value` / JSON in text.
    pub secret_keys: Vec<String>,
    /// What secrets become.
    pub replacement: Replacement,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            detectors: Detectors::default(),
            custom_patterns: Vec::new(),
            sensitive_fields: DEFAULT_SENSITIVE_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            secret_keys: DEFAULT_SECRET_KEYS.iter().map(|s| s.to_string()).collect(),
            replacement: Replacement::default(),
        }
    }
}

/// Why a configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactError {
    /// A custom pattern is invalid, too big, or matches the empty string.
    InvalidPattern {
        /// The pattern's configured name.
        name: String,
        /// Its source.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
    /// Too many custom patterns.
    TooManyPatterns(usize),
    /// The replacement text is unusable.
    InvalidReplacement(String),
}

impl fmt::Display for RedactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedactError::InvalidPattern {
                name,
                pattern,
                reason,
            } => write!(
                f,
                "custom pattern {name:?} ({pattern:?}) rejected: {reason}"
            ),
            RedactError::TooManyPatterns(n) => {
                write!(
                    f,
                    "{n} custom patterns configured, the limit is {MAX_CUSTOM_PATTERNS}"
                )
            }
            RedactError::InvalidReplacement(r) => write!(f, "invalid replacement: {r}"),
        }
    }
}

impl std::error::Error for RedactError {}

/// What a literal found by aho-corasick triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lit {
    /// The last word of a secret key name, ending at the match end.
    Key,
    /// `://`
    Url,
    Bearer,
    Jwt,
    Pem,
    Aws,
    /// An existing replacement token: skipped as a unit.
    Token,
}

/// A compiled redaction configuration. Cheap to share: `Send + Sync`,
/// no interior mutability, all per-call state lives on the stack.
#[derive(Clone, Debug)]
pub struct Redactor {
    detectors: Detectors,
    literals: Literals,
    lit_kinds: Vec<Lit>,
    /// UUID, e-mail and custom patterns, as one multi-pattern regex.
    regex: Option<Regex>,
    keys: KeyNames,
    fields: Vec<Box<[u8]>>,
    replacement: Replacement,
}

/// The literal trigger search. `packed::Searcher` is Teddy (SIMD) on its
/// own; the full `AhoCorasick` automaton picks its prefilter by heuristics
/// that, for this pattern set, were up to 2× slower on log text (measured:
/// 148 ns vs 69 ns per KiB with the key-name words, 96 vs 63 ns with `://`). The
/// automaton remains the fallback where Teddy is unavailable (no SSSE3,
/// non-x86/aarch64 targets).
#[derive(Clone, Debug)]
enum Literals {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Literals {
    fn new(lits: &[String]) -> Literals {
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(lits)
            .build();
        match packed {
            Some(p) => Literals::Packed(p),
            None => Literals::Automaton(
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::DFA))
                    // Longest, so `credentials` is not shadowed by `credential`.
                    .match_kind(AcMatchKind::LeftmostLongest)
                    .build(lits)
                    .expect("fixed literal set compiles"),
            ),
        }
    }

    /// Leftmost-longest literal at or after `from`: (start, end, index).
    #[inline]
    fn find(&self, hay: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        let m = match self {
            Literals::Packed(p) => p.find_in(hay, aho_corasick::Span::from(from..hay.len()))?,
            Literals::Automaton(a) => a.find(AcInput::new(hay).span(from..hay.len()))?,
        };
        Some((m.start(), m.end(), m.pattern().as_usize()))
    }
}

/// Scan-local cursor: the next candidate at or after `from`, cached.
#[derive(Clone, Copy)]
struct Cursor {
    /// `None`: nothing more in the input. Valid while `>= pos`.
    next: Option<usize>,
    /// `false` once the candidate was consumed: recompute from the
    /// cursor's `*_from` position.
    fresh: bool,
}

impl Cursor {
    const STALE: Cursor = Cursor {
        next: None,
        fresh: false,
    };
    const DONE: Cursor = Cursor {
        next: None,
        fresh: true,
    };
}

impl Redactor {
    /// Compiles `cfg`. Fails with a message naming the offending custom
    /// pattern, or if the replacement text could itself be detected.
    pub fn new(cfg: RedactConfig) -> Result<Redactor, RedactError> {
        cfg.replacement
            .validate()
            .map_err(RedactError::InvalidReplacement)?;
        if cfg.custom_patterns.len() > MAX_CUSTOM_PATTERNS {
            return Err(RedactError::TooManyPatterns(cfg.custom_patterns.len()));
        }
        let d = cfg.detectors;

        let mut lits: Vec<String> = Vec::new();
        let mut lit_kinds = Vec::new();
        let mut add = |s: &str, k: Lit| {
            lits.push(s.to_owned());
            lit_kinds.push(k);
        };
        add(&cfg.replacement.marker(), Lit::Token);
        if d.contains(Detector::Bearer) {
            for b in detectors::BEARER_LITERALS {
                add(b, Lit::Bearer);
            }
        }
        if d.contains(Detector::Jwt) {
            add("eyJ", Lit::Jwt);
        }
        if d.contains(Detector::PemPrivateKey) {
            add(detectors::PEM_BEGIN, Lit::Pem);
        }
        if d.contains(Detector::AwsAccessKey) {
            for a in detectors::AWS_PREFIXES {
                add(a, Lit::Aws);
            }
        }
        if d.contains(Detector::UrlPassword) {
            add("://", Lit::Url);
        }
        if d.contains(Detector::ApiKey) {
            let mut words: Vec<String> = Vec::new();
            for k in &cfg.secret_keys {
                let Some(w) = detectors::key_trigger_word(k) else {
                    continue;
                };
                for v in [w.clone(), detectors::capitalize(&w), w.to_ascii_uppercase()] {
                    if !words.contains(&v) {
                        words.push(v);
                    }
                }
            }
            for w in &words {
                add(w, Lit::Key);
            }
        }
        let literals = Literals::new(&lits);

        let mut sources: Vec<(String, String)> = Vec::new();
        if d.contains(Detector::Uuid) {
            sources.push(("uuid".into(), UUID_PATTERN.into()));
        }
        if d.contains(Detector::Email) {
            sources.push(("email".into(), EMAIL_PATTERN.into()));
        }
        for p in &cfg.custom_patterns {
            validate_pattern(p, &cfg.replacement)?;
            sources.push((p.name.clone(), p.pattern.clone()));
        }
        let regex =
            if sources.is_empty() {
                None
            } else {
                let pats: Vec<&str> = sources.iter().map(|(_, p)| p.as_str()).collect();
                Some(regex_builder().build_many(&pats).map_err(|e| {
                    RedactError::InvalidPattern {
                        name: "<combined>".into(),
                        pattern: pats.join(" | "),
                        reason: error_chain(&e),
                    }
                })?)
            };

        let fields = cfg
            .sensitive_fields
            .iter()
            .map(|f| {
                f.bytes()
                    .map(field_byte)
                    .collect::<Vec<u8>>()
                    .into_boxed_slice()
            })
            .collect();
        let r = Redactor {
            detectors: d,
            literals,
            lit_kinds,
            regex,
            keys: KeyNames::new(&cfg.secret_keys),
            fields,
            replacement: cfg.replacement,
        };
        r.self_check()?;
        Ok(r)
    }

    /// The replacement must survive a second pass unchanged in every place a
    /// detector puts it, or `redact(redact(x)) != redact(x)`.
    fn self_check(&self) -> Result<(), RedactError> {
        let mut tok = String::new();
        self.replacement.write(b"probe", &mut tok);
        let probes = [
            tok.clone(),
            format!("password={tok} x"),
            format!("\"api_key\": \"{tok}\""),
            format!("Authorization: Bearer {tok}"),
            format!("https://user:{tok}@host/"),
            format!("a {tok} b"),
        ];
        for p in &probes {
            if let Cow::Owned(o) = self.redact(p) {
                return Err(RedactError::InvalidReplacement(format!(
                    "the replacement {tok:?} is itself detected ({p:?} becomes {o:?}); \
                     pick a different text or fix the custom patterns"
                )));
            }
        }
        Ok(())
    }

    /// The configured replacement.
    pub fn replacement(&self) -> &Replacement {
        &self.replacement
    }

    /// The switched-on detectors.
    pub fn detectors(&self) -> Detectors {
        self.detectors
    }

    /// Whether values of a field called `name` are always masked
    /// (ASCII case-insensitive, `-` and `_` treated alike). Allocation-free.
    pub fn is_sensitive_field(&self, name: &str) -> bool {
        let n = name.as_bytes();
        self.fields
            .iter()
            .any(|f| f.len() == n.len() && f.iter().zip(n).all(|(&a, &b)| a == field_byte(b)))
    }

    /// Appends the replacement for a whole value (as for a sensitive field)
    /// to `out`: the fixed text, or the keyed-hash tag of `value`.
    pub fn mask_into<S: Sink + ?Sized>(&self, value: &str, out: &mut S) {
        self.replacement.write(value.as_bytes(), out);
    }

    /// Redacts a field value: fully masked when the field name is
    /// sensitive, otherwise scanned like any text.
    pub fn redact_field<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        if self.is_sensitive_field(name) {
            if self.replacement.token_len_at(value.as_bytes(), 0) == Some(value.len()) {
                return Cow::Borrowed(value);
            }
            let mut s = String::new();
            self.replacement.write(value.as_bytes(), &mut s);
            Cow::Owned(s)
        } else {
            self.redact(value)
        }
    }

    /// Redacts `s`. Returns `Cow::Borrowed(s)`, without allocating, when
    /// nothing matched.
    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut out: Option<String> = None;
        let mut copied = 0;
        self.scan(s, |start, end| {
            let o = out.get_or_insert_with(|| String::with_capacity(s.len() + 16));
            o.push_str(&s[copied..start]);
            self.replacement.write(&s.as_bytes()[start..end], o);
            copied = end;
        });
        match out {
            None => Cow::Borrowed(s),
            Some(mut o) => {
                o.push_str(&s[copied..]);
                Cow::Owned(o)
            }
        }
    }

    /// Appends the redacted form of `s` to `out` (a reused `String` or
    /// `Vec<u8>`); returns whether anything was replaced. Allocates only if
    /// `out` has to grow.
    pub fn redact_into<S: Sink + ?Sized>(&self, s: &str, out: &mut S) -> bool {
        let mut copied = 0;
        let mut any = false;
        self.scan(s, |start, end| {
            out.push_str(&s[copied..start]);
            self.replacement.write(&s.as_bytes()[start..end], out);
            copied = end;
            any = true;
        });
        out.push_str(&s[copied..]);
        any
    }

    /// Whether `s` holds anything a detector would mask.
    pub fn contains_secret(&self, s: &str) -> bool {
        let mut any = false;
        self.scan(s, |_, _| any = true);
        any
    }

    /// The core loop: calls `emit(start, end)` for each span to mask, in
    /// order, non-overlapping, on `char` boundaries.
    fn scan(&self, s: &str, mut emit: impl FnMut(usize, usize)) {
        let hay = s.as_bytes();
        let len = hay.len();
        let d = self.detectors;
        let mut pos = 0usize;
        let mut lit = Cursor::STALE;
        let mut lit_kind = Lit::Token;
        let mut lit_end = 0usize;
        let mut lit_from = 0usize;
        let mut card = if d.contains(Detector::CardNumber) {
            Cursor::STALE
        } else {
            Cursor::DONE
        };
        let mut card_from = 0usize;
        let mut rx = if self.regex.is_some() {
            Cursor::STALE
        } else {
            Cursor::DONE
        };
        let mut rx_end = 0usize;
        let mut rx_from = 0usize;
        // No JWT can start before this (see `detectors::jwt`).
        let mut jwt_skip = 0usize;
        let mut pem_memo = PemMemo::default();
        let mut pending: Option<(usize, usize)> = None;

        loop {
            // Refresh stale cursors. A cursor is stale when its candidate
            // lies before `pos` (overtaken by a match) or it was advanced.
            if !lit.fresh || lit.next.is_some_and(|n| n < pos) {
                let from = lit_from.max(pos);
                lit = Cursor::DONE;
                if from < len
                    && let Some((start, end, id)) = self.literals.find(hay, from)
                {
                    lit.next = Some(start);
                    lit_end = end;
                    lit_kind = self.lit_kinds[id];
                }
            }
            if !card.fresh || card.next.is_some_and(|n| n < pos) {
                let from = card_from.max(pos);
                card = Cursor::DONE;
                if from < len {
                    card.next = detectors::next_card_candidate(hay, from);
                }
            }
            if !rx.fresh || rx.next.is_some_and(|n| n < pos) {
                let from = rx_from.max(pos);
                rx = Cursor::DONE;
                if let Some(re) = &self.regex
                    && from < len
                    // Searched as a slice, not a range of the whole input:
                    // `from` is either the start, the end of a masked span
                    // or of a token, and in the redacted output the text
                    // before it is a token, not what the regex would see in
                    // the input. A slice makes `\b` behave the same in both
                    // passes (idempotence; found by cargo-fuzz).
                    && let Some(m) = re.find(Input::new(&hay[from..]))
                {
                    rx.next = Some(from + m.start());
                    rx_end = from + m.end();
                }
            }

            // Smallest candidate; ties go to the literal cursor (which holds
            // existing tokens), then digits, regex.
            let mut best = usize::MAX;
            let mut which = 3;
            for (i, c) in [lit, card, rx].iter().enumerate() {
                if let Some(n) = c.next
                    && n < best
                {
                    best = n;
                    which = i;
                }
            }
            // A pending match is emitted once no candidate precedes it.
            if let Some((ps, pe)) = pending
                && best >= ps
            {
                emit(ps, pe);
                pos = pe;
                pending = None;
                continue;
            }
            let p = best;
            let outcome = match which {
                0 => {
                    lit.fresh = false;
                    lit_from = p + 1;
                    match lit_kind {
                        Lit::Token => match self.replacement.token_len_at(hay, p) {
                            Some(n) => {
                                // Pass an existing token through untouched
                                // (unless it runs into a pending span; then
                                // the span decides).
                                if pending.is_none_or(|(ps, _)| p + n <= ps) {
                                    pos = p + n;
                                }
                                continue;
                            }
                            None => Outcome::Miss { resume: p + 1 },
                        },
                        Lit::Bearer => detectors::bearer(hay, p, &self.replacement),
                        Lit::Jwt if p < jwt_skip => Outcome::Miss { resume: p + 1 },
                        Lit::Jwt => {
                            let o = detectors::jwt(hay, p);
                            if let Outcome::Miss { resume } = o {
                                jwt_skip = resume.max(p + 1);
                            }
                            o
                        }
                        Lit::Pem => detectors::pem(hay, p, &mut pem_memo),
                        Lit::Aws => detectors::aws_key(hay, p, &self.replacement),
                        Lit::Url => detectors::url_password(hay, p, &self.replacement),
                        Lit::Key => match detectors::separator_after_key(hay, lit_end) {
                            Some(sep) => {
                                detectors::key_value(hay, sep, &self.keys, &self.replacement)
                            }
                            None => Outcome::Miss { resume: p + 1 },
                        },
                    }
                }
                1 => {
                    card.fresh = false;
                    let o = detectors::card(hay, p, &self.replacement);
                    card_from = match o {
                        // `max` guards progress even if a matcher misreports.
                        Outcome::Miss { resume } => resume.max(p + 1),
                        // Advance even if the match only joins a pending span.
                        Outcome::Match { end, .. } => end.max(p + 1),
                    };
                    o
                }
                2 => {
                    rx.fresh = false;
                    rx_from = rx_end.max(p + 1);
                    if let Some(n) = self.replacement.token_len_at(hay, p) {
                        rx_from = p + n;
                        Outcome::Miss { resume: p + n }
                    } else {
                        Outcome::Match {
                            start: p,
                            end: rx_end,
                        }
                    }
                }
                _ => {
                    if let Some((ps, pe)) = pending {
                        emit(ps, pe);
                    }
                    break;
                }
            };
            match outcome {
                Outcome::Match { start, end } if end > start => {
                    // Spans already sit on char boundaries; rounding outward
                    // is a cheap guarantee that a bug can only over-mask,
                    // never panic on the backend thread.
                    let start = s.floor_char_boundary(start.max(pos));
                    let end = s.ceil_char_boundary(end);
                    pending = match pending {
                        // Overlapping matches mask their union.
                        Some((ps, pe)) if start <= pe && end >= ps => {
                            Some((ps.min(start), pe.max(end)))
                        }
                        Some((ps, pe)) if end <= ps => {
                            emit(start, end);
                            pos = end;
                            Some((ps, pe))
                        }
                        Some((ps, pe)) => {
                            // Disjoint and after the pending one: the
                            // pending one goes out first.
                            emit(ps, pe);
                            pos = pe;
                            Some((start, end))
                        }
                        // A span that starts after its trigger (the value
                        // of `key=value`, a URL password, a bearer token)
                        // waits: other detectors may still find something
                        // between the trigger and the span, e.g. a card
                        // number inside a long key name.
                        None if start > p => Some((start, end)),
                        None => {
                            emit(start, end);
                            pos = end;
                            None
                        }
                    };
                }
                Outcome::Match { start, .. } => {
                    // Empty span: treat as a miss at that position.
                    let _ = start;
                }
                // Only the cursor that produced the candidate advances, by one
                // byte: other detectors may still start inside what this one
                // read. The two detectors whose failed reads are unbounded
                // record their own skip points (`jwt_skip`, `card_from`).
                Outcome::Miss { .. } => {}
            }
        }
    }
}

/// `meta::BuildError` displays as "error building NFA"; the cause (e.g. the
/// size limit) is in its source.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Normalisation for field-name comparison.
fn field_byte(b: u8) -> u8 {
    if b == b'-' {
        b'_'
    } else {
        b.to_ascii_lowercase()
    }
}

fn regex_builder() -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.syntax(syntax::Config::new().nest_limit(64)).configure(
        Regex::config()
            .nfa_size_limit(Some(MAX_PATTERN_NFA_BYTES * MAX_CUSTOM_PATTERNS))
            .hybrid_cache_capacity(2 * 1024 * 1024),
    );
    b
}

fn validate_pattern(p: &CustomPattern, repl: &Replacement) -> Result<(), RedactError> {
    let err = |reason: String| RedactError::InvalidPattern {
        name: p.name.clone(),
        pattern: p.pattern.clone(),
        reason,
    };
    if p.pattern.len() > MAX_PATTERN_LEN {
        return Err(err(format!(
            "pattern is {} bytes, the limit is {MAX_PATTERN_LEN}",
            p.pattern.len()
        )));
    }
    let hir = syntax::parse_with(&p.pattern, &syntax::Config::new().nest_limit(64))
        .map_err(|e| err(e.to_string()))?;
    if hir.properties().minimum_len().is_none_or(|n| n == 0) {
        return Err(err("pattern can match the empty string".into()));
    }
    let mut b = Regex::builder();
    b.syntax(syntax::Config::new().nest_limit(64))
        .configure(Regex::config().nfa_size_limit(Some(MAX_PATTERN_NFA_BYTES)));
    let re = b.build(&p.pattern).map_err(|e| err(error_chain(&e)))?;
    let mut tok = String::new();
    repl.write(b"probe", &mut tok);
    if re.is_match(tok.as_str()) {
        return Err(err(format!("pattern matches the replacement text {tok:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn redactor_is_send_sync() {
        assert_send_sync::<Redactor>();
    }

    #[test]
    fn bad_custom_pattern_is_named() {
        let cfg = RedactConfig {
            custom_patterns: vec![CustomPattern::new("ticket", "TICKET-(")],
            ..Default::default()
        };
        let e = Redactor::new(cfg).unwrap_err().to_string();
        assert!(e.contains("\"ticket\""), "{e}");
    }

    #[test]
    fn empty_matching_pattern_rejected() {
        for p in ["a*", "", "(?:x|)", r"\b"] {
            let cfg = RedactConfig {
                custom_patterns: vec![CustomPattern::new("bad", p)],
                ..Default::default()
            };
            let e = Redactor::new(cfg).unwrap_err().to_string();
            assert!(e.contains("empty"), "{p}: {e}");
        }
    }

    #[test]
    fn pattern_matching_replacement_rejected() {
        let cfg = RedactConfig {
            custom_patterns: vec![CustomPattern::new("caps", "[A-Z]{5,}")],
            ..Default::default()
        };
        let e = Redactor::new(cfg).unwrap_err().to_string();
        assert!(e.contains("replacement"), "{e}");
    }

    #[test]
    fn sensitive_fields() {
        let r = Redactor::new(RedactConfig::default()).unwrap();
        for f in [
            "password",
            "PASSWORD",
            "Set-Cookie",
            "set_cookie",
            "API_KEY",
            "Authorization",
        ] {
            assert!(r.is_sensitive_field(f), "{f}");
        }
        for f in ["user", "passwords", "token_count", ""] {
            assert!(!r.is_sensitive_field(f), "{f}");
        }
        assert_eq!(r.redact_field("Password", "hunter2"), "[REDACTED]");
        assert_eq!(r.redact_field("user", "alice"), "alice");
    }
}
