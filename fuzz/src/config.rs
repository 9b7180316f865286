//! `narrate.toml` (`FileConfig::parse`): never panics; an error points
//! inside the text; an accepted file, written back by `to_toml`, parses to
//! the same configuration (except a keyed-hash key, which `to_toml` hides).

use narrate::config_file::{FileConfig, ReplacementEntry};

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match FileConfig::parse(text, "fuzz.toml") {
        Ok(config) => config,
        Err(e) => {
            assert!(!e.message.is_empty());
            if let Some(line) = e.line {
                let lines = text.split('\n').count();
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
            }
            if let Some(column) = e.column {
                assert!(column >= 1, "{e}");
            }
            return;
        }
    };
    if matches!(
        config.redaction.replacement,
        ReplacementEntry::KeyedHash { .. }
    ) {
        return;
    }
    let written = config.to_toml();
    match FileConfig::parse(&written, "written.toml") {
        Ok(again) => assert_eq!(again, config, "{text:?} written as {written:?}"),
        Err(e) => panic!("to_toml wrote what parse rejects: {e}\n{written}\nfrom {text:?}"),
    }
}
