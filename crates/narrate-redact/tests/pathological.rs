//! Near-miss inputs that make naive redactors quadratic must complete and
//! be handled correctly. No wall-clock assertions here (shared machines);
//! the timing side is the `pathological` criterion group.

use narrate_redact::bench_inputs::Pathological;
use narrate_redact::{Detectors, RedactConfig, Redactor, redact, sanitize};

const MIB: usize = 1 << 20;

#[test]
fn pathological_inputs_complete_and_are_handled() {
    let all = Redactor::new(RedactConfig {
        detectors: Detectors::all(),
        ..Default::default()
    })
    .unwrap();
    for kind in Pathological::ALL {
        let input = kind.input(MIB);
        let out = redact(&input);
        let out_all = all.redact(&input);
        let _ = sanitize(&input);
        match kind {
            // Nothing in these is a secret: they must come back untouched.
            Pathological::PemBegin
            | Pathological::JwtPrefix
            | Pathological::UrlUserinfo
            | Pathological::Digits
            | Pathological::DigitGroups
            | Pathological::KeyNoValue
            | Pathological::BearerWord => {
                assert_eq!(out, input, "{kind:?}");
            }
            // Unterminated private-key headers are masked, block by block.
            Pathological::PemHeaders => {
                assert!(!out.contains("PRIVATE KEY"), "{kind:?}");
            }
        }
        // The opt-in detectors do not change the verdict on these inputs.
        assert!(out_all.len() <= input.len(), "{kind:?}");
    }
}

#[test]
fn secret_after_pathological_prefix_is_still_found() {
    for kind in Pathological::ALL {
        let mut input = kind.input(64 * 1024);
        input.push_str(" password=hunter2 ");
        let out = redact(&input);
        assert!(
            out.contains("password=[REDACTED]") || kind == Pathological::PemHeaders,
            "{kind:?}"
        );
        assert!(!out.contains("hunter2"), "{kind:?}");
    }
}
