//! The backend's record decoder and the three formats, on arbitrary bytes:
//! a corrupt record must decode (missing or bad values as none) and every
//! format must still write exactly one line, the JSON one valid JSON.

/// First 8 bytes: the timestamp; the rest: the record's payload.
pub fn check(data: &[u8]) {
    let (ts, payload) = data.split_at(data.len().min(8));
    let mut t = [0u8; 8];
    t[..ts.len()].copy_from_slice(ts);
    let lines = narrate::fuzz_entry::decode_and_format(payload, u64::from_le_bytes(t));
    for (style, line) in lines.iter().enumerate() {
        assert_eq!(line.last(), Some(&b'\n'), "style {style}: no newline");
        let body = &line[..line.len() - 1];
        assert!(
            !body.contains(&b'\n') && !body.contains(&b'\r'),
            "style {style}: more than one line: {:?}",
            String::from_utf8_lossy(line)
        );
        assert!(
            std::str::from_utf8(line).is_ok(),
            "style {style}: not UTF-8"
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&lines[0])
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&lines[0])));
    assert_eq!(json["level"], "info");
    assert_eq!(json["actor"], "fuzz");
}
