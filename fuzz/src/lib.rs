//! The properties checked by both the libFuzzer targets and the stable
//! smoke runner, so they can never drift apart: [`check`] (redaction and
//! sanitizing), [`record::check`], [`filter::check`],
//! [`config::check`].
#![forbid(unsafe_code)]

pub mod config;
pub mod filter;
pub mod record;


use std::borrow::Cow;
use std::sync::OnceLock;

use narrate_redact::{Detectors, RedactConfig, Redactor, Replacement, sanitize, sanitize_bytes};

fn redactors() -> &'static [Redactor; 3] {
    static R: OnceLock<[Redactor; 3]> = OnceLock::new();
    R.get_or_init(|| {
        [
            Redactor::new(RedactConfig::default()).unwrap(),
            Redactor::new(RedactConfig {
                replacement: Replacement::keyed_hash(*b"fuzz-key-0000001"),
                ..Default::default()
            })
            .unwrap(),
            Redactor::new(RedactConfig {
                detectors: Detectors::all(),
                ..Default::default()
            })
            .unwrap(),
        ]
    })
}

/// Panics if any invariant fails for `data`:
/// * `sanitize_bytes` output holds no control, bidi or zero-width character
///   (except a ZWJ inside an emoji sequence) and is a fixed point;
/// * redaction (three configurations, chosen by the first byte) is
///   idempotent, borrowed on its own output, and `redact_into` agrees;
/// * nothing panics.
pub fn check(data: &[u8]) {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    let clean = sanitize_bytes(data);
    for c in clean.chars() {
        assert!(!c.is_control(), "control char {c:?} survived in {clean:?}");
        assert!(
            !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{200c}' | '\u{2060}' | '\u{feff}' | '\u{2028}' | '\u{2029}'),
            "{c:?} survived in {clean:?}"
        );
    }
    assert_eq!(sanitize(&clean), clean, "sanitize is not idempotent");

    let r = &redactors()[usize::from(selector % 3)];
    let raw = String::from_utf8_lossy(data);
    for text in [&*raw, &*clean] {
        let once = r.redact(text);
        let twice = r.redact(&once);
        assert!(
            matches!(twice, Cow::Borrowed(_)),
            "second pass changed {once:?} into {twice:?} (input {text:?}, config {})",
            selector % 3
        );
        let mut buf = Vec::new();
        let changed = r.redact_into(text, &mut buf);
        assert_eq!(changed, matches!(once, Cow::Owned(_)));
        assert_eq!(buf, once.as_bytes());
    }
}
