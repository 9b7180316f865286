//! Property tests: planted secrets never survive, redaction is idempotent
//! (both replacement modes), clean input is borrowed, arbitrary bytes never
//! panic and sanitized output never contains a raw control character.

use std::borrow::Cow;

use narrate_redact::{
    Detectors, RedactConfig, Redactor, Replacement, redact, sanitize, sanitize_bytes,
};
use proptest::prelude::*;

fn luhn_complete(prefix: &[u8]) -> String {
    // Appends the check digit that makes `prefix` Luhn-valid.
    let mut sum = 0;
    for (i, &d) in prefix.iter().rev().enumerate() {
        let mut d = u32::from(d);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let check = (10 - sum % 10) % 10;
    let mut s: String = prefix.iter().map(|d| char::from(b'0' + d)).collect();
    s.push(char::from(b'0' + check as u8));
    s
}

/// (text containing a secret, the secret part that must disappear).
fn planted() -> impl Strategy<Value = (String, String)> {
    let value = "[A-Za-z0-9]{6,24}";
    prop_oneof![
        (
            value,
            prop_oneof![
                Just("password"),
                Just("api_key"),
                Just("X-Api-Key"),
                Just("client_secret"),
                Just("token")
            ],
            prop_oneof![Just("="), Just(": "), Just(" = ")]
        )
            .prop_map(|(v, k, sep)| (format!("{k}{sep}{v}"), v)),
        (value, prop_oneof![Just("password"), Just("api_key")])
            .prop_map(|(v, k)| (format!("{{\"{k}\": \"{v}\"}}"), v)),
        "[A-Za-z0-9]{10,30}[0-9][A-Za-z0-9._~+/-]{0,10}"
            .prop_map(|t| (format!("Authorization: Bearer {t}"), t)),
        "[A-Za-z0-9]{10,30}[0-9]".prop_map(|t| (format!("Bearer {t}"), t)),
        (
            "[a-z]{1,8}",
            "[A-Za-z0-9!$%*]{4,20}",
            "[a-z]{1,10}\\.[a-z]{2,5}"
        )
            .prop_map(|(u, p, h)| (format!("https://{u}:{p}@{h}/x"), format!(":{p}@"))),
        "[A-Z0-9]{16}".prop_map(|k| (format!("AKIA{k}"), format!("AKIA{k}"))),
        (
            prop_oneof![Just(4u8), Just(5u8), Just(3u8), Just(6u8)],
            proptest::collection::vec(0u8..10, 14),
            prop_oneof![Just(""), Just(" "), Just("-")]
        )
            .prop_map(|(first, rest, sep)| {
                let mut digits = vec![first];
                digits.extend(rest);
                let card = luhn_complete(&digits);
                let grouped: Vec<&str> = (0..4).map(|i| &card[i * 4..i * 4 + 4]).collect();
                (grouped.join(sep), card[..12].to_string())
            }),
        (
            "[A-Za-z0-9_-]{10,40}",
            "[A-Za-z0-9_-]{10,40}",
            "[A-Za-z0-9_-]{0,40}"
        )
            .prop_map(|(h, p, s)| {
                let jwt = format!("eyJ{h}.eyJ{p}.{s}");
                (jwt.clone(), jwt)
            }),
        "[A-Za-z0-9+/]{20,200}".prop_map(|b| (
            format!("-----BEGIN RSA PRIVATE KEY-----\n{b}\n-----END RSA PRIVATE KEY-----"),
            b
        )),
    ]
}

/// Text built from fragments that exercise the detectors, mixed with noise.
fn tricky() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just("password=".to_string()),
        Just("api_key: ".to_string()),
        Just("\"token\":\"".to_string()),
        Just("Bearer ".to_string()),
        Just("eyJ".to_string()),
        Just(".eyJ".to_string()),
        Just("-----BEGIN ".to_string()),
        Just("PRIVATE KEY-----".to_string()),
        Just("-----END ".to_string()),
        Just("://".to_string()),
        Just("@".to_string()),
        Just("AKIA".to_string()),
        Just("4111 1111 1111 1111".to_string()),
        Just("[REDACTED]".to_string()),
        Just("[REDACTED:0badc0de]".to_string()),
        Just("Authorization: Basic ".to_string()),
        "[0-9 -]{1,30}",
        "[A-Za-z0-9]{1,20}",
        "[ \n\t\"'=:;,&]{1,3}",
        any::<String>(),
    ];
    proptest::collection::vec(frag, 0..12).prop_map(|v| v.concat())
}

fn hashed() -> Redactor {
    Redactor::new(RedactConfig {
        replacement: Replacement::keyed_hash(*b"proptest-key-001"),
        ..Default::default()
    })
    .unwrap()
}

fn everything() -> Redactor {
    Redactor::new(RedactConfig {
        detectors: Detectors::all(),
        ..Default::default()
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn planted_secret_never_survives(
        pre in "[a-zA-Z0-9 .,;_-]{0,40}",
        (text, secret) in planted(),
        post in "[a-zA-Z0-9 .,;_-]{0,40}",
    ) {
        let input = format!("{pre} {text} {post}");
        for r in [narrate_redact::default_redactor(), &hashed(), &everything()] {
            let out = r.redact(&input);
            prop_assert!(!out.contains(&secret), "{input:?} -> {out:?}");
        }
    }

    #[test]
    fn redaction_is_idempotent(s in tricky()) {
        for r in [narrate_redact::default_redactor(), &hashed(), &everything()] {
            let once = r.redact(&s).into_owned();
            let twice = r.redact(&once);
            prop_assert_eq!(&twice, &once, "input {:?}", s);
            prop_assert!(matches!(twice, Cow::Borrowed(_)));
        }
    }

    #[test]
    fn redaction_is_idempotent_on_any_string(s in any::<String>()) {
        let once = redact(&s).into_owned();
        prop_assert_eq!(redact(&once), once.as_str());
    }

    #[test]
    fn clean_input_is_borrowed(s in "[a-z ,.!?()'-]{0,300}") {
        prop_assert!(matches!(redact(&s), Cow::Borrowed(_)));
        prop_assert!(matches!(sanitize(&s), Cow::Borrowed(_)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let s = sanitize_bytes(&b);
        for c in s.chars() {
            prop_assert!(!c.is_control(), "control char {:?} in {:?}", c, s);
            let bidi_or_zero_width = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}' | '\u{200c}' | '\u{2060}' | '\u{feff}' | '\u{2028}' | '\u{2029}');
            prop_assert!(!bidi_or_zero_width, "{:?} in {:?}", c, s);
        }
        // Sanitizing again changes nothing.
        prop_assert_eq!(sanitize(&s), s.clone());
        let _ = everything().redact(&s);
        let _ = hashed().redact(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn redact_into_matches_redact(s in tricky()) {
        let r = narrate_redact::default_redactor();
        let mut buf = Vec::new();
        let changed = r.redact_into(&s, &mut buf);
        let cow = r.redact(&s);
        prop_assert_eq!(changed, matches!(cow, Cow::Owned(_)));
        prop_assert_eq!(std::str::from_utf8(&buf).unwrap(), &*cow);
    }
}
