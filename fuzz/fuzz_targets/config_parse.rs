#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| narrate_redact_fuzz::config::check(data));
