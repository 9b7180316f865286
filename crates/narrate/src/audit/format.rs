//! The audit file's canonical encoding, and the verifier that reads it back.
//!
//! The byte layout is specified in `docs/audit-format.md`; this module is its
//! only implementation. Both the writer (encoding records, scanning an
//! existing file before appending) and `narrate verify` use it, so what is
//! written and what is checked cannot drift apart.

use sha2::{Digest, Sha256};

use crate::backend::decode::Value;

/// The first bytes of every audit file.
pub const HEADER: &[u8; 16] = b"narrate-audit-1\n";
/// The first bytes of every record.
pub const MARKER: [u8; 4] = [0x1e, b'N', b'A', b'R'];
/// Marker and body length.
pub const FRAME_HEAD: usize = 8;
pub const HASH_LEN: usize = 32;
/// Largest body a record may have; a longer length field is damage.
pub const MAX_BODY: usize = 16 << 20;

/// Record types (byte 16 of the body).
pub const TYPE_EVENT: u8 = 0;
/// A record narrate wrote about the file itself (torn tail repaired, fsync failed).
pub const TYPE_NOTE: u8 = 1;

/// The hash the first record chains from: SHA-256 of the header.
pub fn genesis() -> [u8; HASH_LEN] {
    Sha256::digest(HEADER).into()
}

/// SHA-256(previous hash ‖ body).
pub fn chain_hash(prev: &[u8; HASH_LEN], body: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(body);
    h.finalize().into()
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s);
}

/// Encodes a record body (see `docs/audit-format.md`) into `out` (cleared first).
pub fn encode_body<'a>(
    out: &mut Vec<u8>,
    seq: u64,
    time_unix_ns: u64,
    record_type: u8,
    actor: &str,
    action: &str,
    fields: impl ExactSizeIterator<Item = (&'a str, Value<'a>)>,
) {
    out.clear();
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&time_unix_ns.to_le_bytes());
    out.push(record_type);
    put_str(out, actor.as_bytes());
    put_str(out, action.as_bytes());
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for (name, value) in fields {
        put_str(out, name.as_bytes());
        match value {
            Value::None => out.push(0),
            Value::U64(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::I64(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::F64(v) => {
                out.push(3);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            Value::Bool(v) => {
                out.push(4);
                out.push(v as u8);
            }
            Value::Str(s) => {
                out.push(5);
                put_str(out, s.as_bytes());
            }
            Value::Bytes(b) => {
                out.push(6);
                put_str(out, b);
            }
            Value::Display(s) => {
                out.push(7);
                put_str(out, s.as_bytes());
            }
            Value::Debug(s) => {
                out.push(8);
                put_str(out, s.as_bytes());
            }
            Value::Error(e) => {
                out.push(9);
                out.extend_from_slice(&(e.links().count() as u32).to_le_bytes());
                for link in e.links() {
                    put_str(out, link.as_bytes());
                }
            }
        }
    }
}

/// Appends one framed record (marker, length, body, hash) to `out`.
pub fn frame(out: &mut Vec<u8>, body: &[u8], hash: &[u8; HASH_LEN]) {
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(hash);
}

/// A value read back from a record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordValue {
    None,
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    Display(String),
    Debug(String),
    /// The error's message, then each source's.
    Error(Vec<String>),
}

/// One record read back from an audit file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub time_unix_ns: u64,
    /// [`TYPE_EVENT`] or [`TYPE_NOTE`].
    pub record_type: u8,
    pub actor: String,
    pub action: String,
    pub fields: Vec<(String, RecordValue)>,
    pub hash: [u8; HASH_LEN],
}

impl Record {
    pub fn field(&self, name: &str) -> Option<&RecordValue> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A text field's value (`Str`, `Display` or `Debug`).
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.field(name)? {
            RecordValue::Str(s) | RecordValue::Display(s) | RecordValue::Debug(s) => Some(s),
            _ => None,
        }
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        Some(std::str::from_utf8(self.bytes()?).ok()?.to_owned())
    }
}

/// Decodes a body; `None` when it does not follow the format.
pub fn decode_body(body: &[u8], hash: [u8; HASH_LEN]) -> Option<Record> {
    let mut c = Cursor(body);
    let seq = c.u64()?;
    let time_unix_ns = c.u64()?;
    let record_type = c.u8()?;
    let actor = c.string()?;
    let action = c.string()?;
    let count = c.u32()? as usize;
    let mut fields = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let name = c.string()?;
        let value = match c.u8()? {
            0 => RecordValue::None,
            1 => RecordValue::U64(c.u64()?),
            2 => RecordValue::I64(c.u64()? as i64),
            3 => RecordValue::F64(f64::from_bits(c.u64()?)),
            4 => RecordValue::Bool(c.u8()? != 0),
            5 => RecordValue::Str(c.string()?),
            6 => RecordValue::Bytes(c.bytes()?.to_vec()),
            7 => RecordValue::Display(c.string()?),
            8 => RecordValue::Debug(c.string()?),
            9 => {
                let n = c.u32()? as usize;
                let mut links = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    links.push(c.string()?);
                }
                RecordValue::Error(links)
            }
            _ => return None,
        };
        fields.push((name, value));
    }
    if !c.0.is_empty() {
        return None;
    }
    Some(Record {
        seq,
        time_unix_ns,
        record_type,
        actor,
        action,
        fields,
        hash,
    })
}

/// Whether `body` follows the format, without decoding it (no allocation:
/// the verifier runs this on every record).
fn well_formed(body: &[u8]) -> bool {
    fn text(c: &mut Cursor<'_>) -> Option<()> {
        std::str::from_utf8(c.bytes()?).ok().map(|_| ())
    }
    fn walk(body: &[u8]) -> Option<()> {
        let mut c = Cursor(body);
        c.take(17)?; // seq, time, type
        text(&mut c)?;
        text(&mut c)?;
        for _ in 0..c.u32()? {
            text(&mut c)?;
            match c.u8()? {
                0 => {}
                1..=3 => {
                    c.take(8)?;
                }
                4 => {
                    c.take(1)?;
                }
                5 | 7 | 8 => text(&mut c)?,
                6 => {
                    c.bytes()?;
                }
                9 => {
                    for _ in 0..c.u32()? {
                        text(&mut c)?;
                    }
                }
                _ => return None,
            }
        }
        c.0.is_empty().then_some(())
    }
    walk(body).is_some()
}

/// What is wrong with a damaged audit file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageKind {
    /// The record's bytes differ from what was written (its hash does not
    /// chain, or its body is malformed).
    Modified,
    /// One or more records are missing here (the next sequence number skips).
    Deleted,
    /// A record that does not belong here: a sequence number already seen
    /// (a duplicated or inserted record).
    Inserted,
    /// The expected record appears later in the file: records were swapped.
    Reordered,
    /// The file ends in the middle of a record.
    Truncated,
    /// Bytes after the last record that are not a record.
    ExtraBytes,
}

impl DamageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DamageKind::Modified => "modified",
            DamageKind::Deleted => "deleted",
            DamageKind::Inserted => "inserted",
            DamageKind::Reordered => "reordered",
            DamageKind::Truncated => "truncated",
            DamageKind::ExtraBytes => "extra_bytes",
        }
    }
}

/// The first damage found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub kind: DamageKind,
    /// The record number (1-based position in the file, which is the
    /// sequence number an intact record there would have).
    pub record: u64,
    /// Byte offset where that record starts.
    pub offset: u64,
    pub detail: String,
}

/// The result of verifying a file that is an audit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records that verified, from the start of the file.
    pub intact_records: u64,
    /// Where the intact prefix ends (the offset a writer may append at).
    pub intact_len: u64,
    /// The hash of the last intact record (the genesis hash when there is none).
    pub last_hash: [u8; HASH_LEN],
    /// `None` when the whole file is intact.
    pub damage: Option<Damage>,
}

/// The file is not an audit file at all (or is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAuditFile(pub String);

impl std::fmt::Display for NotAuditFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAuditFile {}

/// One frame as found in the file.
struct Frame<'a> {
    body: &'a [u8],
    hash: [u8; HASH_LEN],
    end: usize,
}

enum FrameError {
    Truncated(String),
    NotARecord(String),
}

fn read_frame(bytes: &[u8], pos: usize) -> Result<Frame<'_>, FrameError> {
    let rest = &bytes[pos..];
    let marker_len = rest.len().min(MARKER.len());
    if rest[..marker_len] != MARKER[..marker_len] {
        return Err(FrameError::NotARecord(format!(
            "{} bytes that do not start with a record marker",
            rest.len()
        )));
    }
    if rest.len() < FRAME_HEAD {
        return Err(FrameError::Truncated(format!(
            "the file ends {} bytes into a record header",
            rest.len()
        )));
    }
    let len = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes")) as usize;
    if len > MAX_BODY {
        return Err(FrameError::NotARecord(format!(
            "a record length of {len} bytes (more than the {MAX_BODY} allowed)"
        )));
    }
    let total = FRAME_HEAD + len + HASH_LEN;
    if rest.len() < total {
        return Err(FrameError::Truncated(format!(
            "the record needs {total} bytes, the file has {} left",
            rest.len()
        )));
    }
    let body = &rest[FRAME_HEAD..FRAME_HEAD + len];
    let hash = rest[FRAME_HEAD + len..total].try_into().expect("32 bytes");
    Ok(Frame {
        body,
        hash,
        end: pos + total,
    })
}

fn seq_of(body: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(body.get(..8)?.try_into().ok()?))
}

/// Checks the header and the whole hash chain of `bytes` (a whole file).
///
/// Reports the *first* damage: past it, record numbers are not meaningful.
/// Removing whole records from the end of a file cannot be told apart from a
/// shorter file by the chain alone; that is what checkpoints are for (not
/// built yet, see `docs/audit.md`).
pub fn verify(bytes: &[u8]) -> Result<Verification, NotAuditFile> {
    if bytes.is_empty() {
        return Err(NotAuditFile(
            "the file is empty (0 bytes): no audit header".into(),
        ));
    }
    if bytes.len() < HEADER.len() || bytes[..HEADER.len()] != HEADER[..] {
        if HEADER.starts_with(bytes) {
            return Err(NotAuditFile(format!(
                "the file is {} bytes, a truncated audit header",
                bytes.len()
            )));
        }
        return Err(NotAuditFile(
            "not a narrate audit file (it does not start with `narrate-audit-1`)".into(),
        ));
    }
    let mut prev = genesis();
    let mut pos = HEADER.len();
    let mut expected = 1u64;
    let damage = |kind, record, offset: usize, detail: String| {
        Some(Damage {
            kind,
            record,
            offset: offset as u64,
            detail,
        })
    };
    let found = loop {
        if pos == bytes.len() {
            break None;
        }
        let frame = match read_frame(bytes, pos) {
            Ok(f) => f,
            Err(FrameError::Truncated(d)) => break damage(DamageKind::Truncated, expected, pos, d),
            Err(FrameError::NotARecord(d)) => {
                break damage(DamageKind::ExtraBytes, expected, pos, d);
            }
        };
        let Some(seq) = seq_of(frame.body) else {
            break damage(
                DamageKind::Modified,
                expected,
                pos,
                "the record body is too short to hold a sequence number".into(),
            );
        };
        if seq != expected {
            // A modified sequence number: the body with the expected number
            // restored still chains.
            let mut patched = frame.body.to_vec();
            patched[..8].copy_from_slice(&expected.to_le_bytes());
            if chain_hash(&prev, &patched) == frame.hash {
                break damage(
                    DamageKind::Modified,
                    expected,
                    pos,
                    format!("the sequence number was changed to {seq}"),
                );
            }
        }
        if seq < expected {
            break damage(
                DamageKind::Inserted,
                expected,
                pos,
                format!("sequence number {seq} again (a duplicated or inserted record)"),
            );
        }
        if seq > expected {
            let mut later = frame.end;
            let mut reordered = false;
            while later < bytes.len() {
                let Ok(f) = read_frame(bytes, later) else {
                    break;
                };
                if seq_of(f.body) == Some(expected) {
                    reordered = true;
                    break;
                }
                later = f.end;
            }
            break if reordered {
                damage(
                    DamageKind::Reordered,
                    expected,
                    pos,
                    format!("record {seq} comes before record {expected}"),
                )
            } else {
                damage(
                    DamageKind::Deleted,
                    expected,
                    pos,
                    format!(
                        "records {expected} to {} are missing (the next one is {seq})",
                        seq - 1
                    ),
                )
            };
        }
        let hash = chain_hash(&prev, frame.body);
        if hash != frame.hash {
            break damage(
                DamageKind::Modified,
                expected,
                pos,
                "the record's hash does not match its contents and the previous record".into(),
            );
        }
        if !well_formed(frame.body) {
            // Unreachable for files narrate wrote (the hash covers the body).
            break damage(
                DamageKind::Modified,
                expected,
                pos,
                "the record body is malformed".into(),
            );
        }
        prev = hash;
        pos = frame.end;
        expected += 1;
    };
    Ok(Verification {
        intact_records: expected - 1,
        intact_len: pos as u64,
        last_hash: prev,
        damage: found,
    })
}

/// Decodes every record of an intact prefix (stops at the first damage).
pub fn read_records(bytes: &[u8]) -> Result<Vec<Record>, NotAuditFile> {
    let v = verify(bytes)?;
    let mut out = Vec::with_capacity(v.intact_records as usize);
    let mut pos = HEADER.len();
    while (pos as u64) < v.intact_len {
        let Ok(frame) = read_frame(bytes, pos) else {
            break;
        };
        if let Some(r) = decode_body(frame.body, frame.hash) {
            out.push(r);
        }
        pos = frame.end;
    }
    Ok(out)
}

/// Lower-case hex of a hash.
pub fn hex(hash: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(hash.len() * 2);
    for b in hash {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_fips_180_2_test_vectors() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_body_round_trips_through_the_canonical_encoding() {
        let mut body = Vec::new();
        let fields = [
            ("principal", Value::Str("alice")),
            ("n", Value::U64(7)),
            ("d", Value::I64(-3)),
            ("ok", Value::Bool(true)),
            ("raw", Value::Bytes(&[0xff, 0])),
        ];
        encode_body(
            &mut body,
            5,
            99,
            TYPE_EVENT,
            "svc",
            "login",
            fields.into_iter(),
        );
        assert!(well_formed(&body));
        assert!(!well_formed(&body[..body.len() - 1]));
        let r = decode_body(&body, [0; 32]).unwrap();
        assert_eq!((r.seq, r.time_unix_ns, r.actor.as_str()), (5, 99, "svc"));
        assert_eq!(r.text("principal"), Some("alice"));
        assert_eq!(r.field("d"), Some(&RecordValue::I64(-3)));
        assert_eq!(r.field("raw"), Some(&RecordValue::Bytes(vec![0xff, 0])));
    }
}
