//! Redaction and sanitization for narrate.
//!
//! Two independent jobs, both on the hot path of the logging backend:
//!
//! * **Redaction** ([`Redactor`], [`redact`]) finds secrets in text — bearer
//!   tokens, API keys in `key=value`/JSON form, JWTs, PEM private keys, URL
//!   passwords, AWS key ids, card numbers, optionally UUIDs, e-mails and
//!   custom patterns — and replaces them with `[REDACTED]` or a keyed-hash
//!   tag. Field values can also be masked by field name
//!   ([`Redactor::is_sensitive_field`], [`Redactor::redact_field`]).
//! * **Sanitization** ([`sanitize`], [`sanitize_bytes`]) makes text safe to
//!   write into a line-oriented log: control characters, bidi overrides and
//!   zero-width characters are escaped, invalid UTF-8 becomes U+FFFD.
//!
//! Apply redaction first, then sanitization ([`clean`] does both): detectors
//! see the raw text (a PEM block spans real newlines), and the replacement
//! tokens need no escaping.
//!
//! # Design
//!
//! Everything is one left-to-right pass with cursors that only move forward
//! (`redactor.rs` explains the scan, `detectors.rs` why each matcher is
//! linear). Nothing is allocated until the first change, so clean input
//! comes back as [`Cow::Borrowed`]. The
//! trade-off is that detectors are hand-written matchers behind a literal
//! prefilter rather than one big regex: a regex set cannot say how far a
//! failed attempt read, which is what guarantees linear time on inputs such
//! as `eyJ` repeated a million times, and it cannot Luhn-check. Only the
//! opt-in UUID/e-mail detectors and custom patterns use `regex-automata`.
//!
//! The free functions use a default [`Redactor`] built once on first use.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::borrow::Cow;
use std::sync::OnceLock;

pub mod bench_inputs;
mod detectors;
mod redactor;
mod replacement;
mod sanitize;

pub use detectors::{Detector, Detectors, MAX_PEM_BLOCK};
pub use redactor::{
    CustomPattern, DEFAULT_SECRET_KEYS, DEFAULT_SENSITIVE_FIELDS, MAX_CUSTOM_PATTERNS,
    MAX_PATTERN_LEN, MAX_PATTERN_NFA_BYTES, RedactConfig, RedactError, Redactor,
};
pub use replacement::{DEFAULT_HASH_LABEL, DEFAULT_REPLACEMENT, Replacement, Sink};
pub use sanitize::{sanitize, sanitize_bytes, sanitize_bytes_into, sanitize_into};

/// The default [`Redactor`] (all detectors except UUID and e-mail,
/// `[REDACTED]`), built on first use.
pub fn default_redactor() -> &'static Redactor {
    static DEFAULT: OnceLock<Redactor> = OnceLock::new();
    DEFAULT.get_or_init(|| Redactor::new(RedactConfig::default()).expect("default config is valid"))
}

/// Redacts `s` with the default configuration. Borrowed when clean.
pub fn redact(s: &str) -> Cow<'_, str> {
    default_redactor().redact(s)
}

/// [`redact`] then [`sanitize`]: what a text log line should contain.
/// Borrowed when neither changed anything.
pub fn clean(s: &str) -> Cow<'_, str> {
    match redact(s) {
        Cow::Borrowed(b) => sanitize(b),
        Cow::Owned(o) => match sanitize(&o) {
            Cow::Borrowed(_) => Cow::Owned(o),
            Cow::Owned(x) => Cow::Owned(x),
        },
    }
}
