//! A real audit file, written through the whole pipeline, then damaged the
//! ways Certificate Transparency's test vectors damage a log: each damage is
//! found with the right kind and record number. Bad files get clear errors;
//! a half-written last record is repaired with a note in the chain.

use std::path::PathBuf;
use std::sync::OnceLock;

use narrate::audit::format::{FRAME_HEAD, HASH_LEN, HEADER};
use narrate::audit::{AuditFile, DamageKind, Durability, OnSyncError, read_records, verify};

const RECORDS: u64 = 10;

/// Ten audit records written by the real pipeline (init once per process).
fn fixture() -> &'static (tempfile::TempDir, Vec<u8>) {
    static FIXTURE: OnceLock<(tempfile::TempDir, Vec<u8>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.audit");
        let file =
            AuditFile::open(&path, Durability::EveryRecords(4), OnSyncError::Continue).unwrap();
        let status = file.status();
        let guard = narrate::init(
            narrate::Config::new()
                .level(narrate::Level::Error)
                .sink(narrate::SinkSpec::custom(Discard, narrate::Format::Json))
                .audit(file),
        )
        .unwrap();
        for i in 0..RECORDS {
            narrate::audit!(
                Access,
                principal = "alice",
                operation = "read",
                outcome = "allowed",
                document = i
            );
        }
        narrate::info!("an ordinary event: never in the audit file");
        narrate::flush();
        assert_eq!(
            status.synced_seq(),
            RECORDS,
            "flush fsyncs everything written"
        );
        std::mem::forget(guard);
        let bytes = std::fs::read(&path).unwrap();
        (dir, bytes)
    })
}

/// Byte ranges of each record (marker to end of hash).
fn records(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = HEADER.len();
    while pos < bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let end = pos + FRAME_HEAD + len + HASH_LEN;
        out.push(pos..end);
        pos = end;
    }
    out
}

fn damage_of(bytes: &[u8]) -> (DamageKind, u64) {
    let d = verify(bytes).unwrap().damage.expect("damage is found");
    (d.kind, d.record)
}

#[test]
fn the_intact_file_verifies_and_holds_only_the_audit_events() {
    let bytes = &fixture().1;
    let v = verify(bytes).unwrap();
    assert_eq!(v.damage, None);
    assert_eq!(v.intact_records, RECORDS);
    assert_eq!(v.intact_len, bytes.len() as u64);
    let recs = read_records(bytes).unwrap();
    assert_eq!(recs.len() as u64, RECORDS);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1);
        assert_eq!(r.text("kind"), Some("access"));
        assert_eq!(r.text("principal"), Some("alice"));
        assert_eq!(r.text("operation"), Some("read"));
        assert_eq!(r.text("outcome"), Some("allowed"));
        assert!(
            matches!(r.field("document"), Some(narrate::audit::RecordValue::U64(d)) if *d == i as u64)
        );
    }
    assert!(
        recs.windows(2)
            .all(|w| w[0].time_unix_ns <= w[1].time_unix_ns)
    );
}

#[test]
fn a_flipped_bit_in_a_record_body_is_modified_at_that_record() {
    let mut b = fixture().1.clone();
    let r = records(&b)[3].clone();
    b[r.start + FRAME_HEAD + 30] ^= 0x01;
    assert_eq!(damage_of(&b), (DamageKind::Modified, 4));
}

#[test]
fn a_flipped_bit_in_a_sequence_number_or_hash_is_modified() {
    let mut b = fixture().1.clone();
    let r = records(&b)[3].clone();
    b[r.start + FRAME_HEAD] ^= 0x04; // seq 4 -> 0: lower, not a duplicate
    assert_eq!(damage_of(&b), (DamageKind::Modified, 4));
    let mut b = fixture().1.clone();
    let r = records(&b)[6].clone();
    b[r.end - 1] ^= 0x80;
    assert_eq!(damage_of(&b), (DamageKind::Modified, 7));
}

#[test]
fn a_seq_raised_by_a_flipped_bit_is_modified_not_deleted() {
    let mut b = fixture().1.clone();
    let r = records(&b)[3].clone();
    b[r.start + FRAME_HEAD + 1] ^= 0x01; // seq 4 -> 260
    assert_eq!(damage_of(&b), (DamageKind::Modified, 4));
}

#[test]
fn a_deleted_record_is_deleted_at_its_number() {
    let mut b = fixture().1.clone();
    let r = records(&b)[4].clone();
    b.drain(r);
    assert_eq!(damage_of(&b), (DamageKind::Deleted, 5));
}

#[test]
fn a_duplicated_record_is_inserted_after_the_original() {
    let mut b = fixture().1.clone();
    let r = records(&b)[4].clone();
    let copy = b[r.clone()].to_vec();
    b.splice(r.end..r.end, copy);
    assert_eq!(damage_of(&b), (DamageKind::Inserted, 6));
}

#[test]
fn two_swapped_records_are_reordered_at_the_first() {
    let b = fixture().1.clone();
    let rs = records(&b);
    let mut out = b[..rs[2].start].to_vec();
    out.extend_from_slice(&b[rs[3].clone()]);
    out.extend_from_slice(&b[rs[2].clone()]);
    out.extend_from_slice(&b[rs[4].start..]);
    assert_eq!(damage_of(&out), (DamageKind::Reordered, 3));
}

#[test]
fn appended_bytes_are_extra_bytes_after_the_last_record() {
    let mut b = fixture().1.clone();
    b.extend_from_slice(b"{\"forged\":true}\n");
    assert_eq!(damage_of(&b), (DamageKind::ExtraBytes, RECORDS + 1));
}

#[test]
fn a_file_cut_inside_a_record_is_truncated_at_that_record() {
    let b = fixture().1.clone();
    let r = records(&b)[9].clone();
    for cut in [r.start + 2, r.start + FRAME_HEAD + 5, r.end - 1] {
        assert_eq!(
            damage_of(&b[..cut]),
            (DamageKind::Truncated, 10),
            "cut at {cut}"
        );
    }
}

#[test]
fn empty_and_foreign_files_are_not_audit_files() {
    assert!(verify(b"").unwrap_err().0.contains("empty"));
    assert!(
        verify(b"hello, world\n")
            .unwrap_err()
            .0
            .contains("not a narrate audit file")
    );
    assert!(
        verify(&HEADER[..5])
            .unwrap_err()
            .0
            .contains("truncated audit header")
    );
    // A header and nothing else is an intact, empty trail.
    assert_eq!(verify(HEADER).unwrap().intact_records, 0);
}

fn tmp_copy(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn a_half_written_last_record_is_truncated_and_noted_in_the_chain() {
    let b = fixture().1.clone();
    let (_dir, path) = tmp_copy("torn.audit", &b[..b.len() - 10]);
    let file = AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue).unwrap();
    assert_eq!(file.status().synced_seq(), RECORDS);
    drop(file);
    let repaired = std::fs::read(&path).unwrap();
    let v = verify(&repaired).unwrap();
    assert_eq!((v.damage, v.intact_records), (None, RECORDS));
    let recs = read_records(&repaired).unwrap();
    let note = recs.last().unwrap();
    assert_eq!(note.record_type, narrate::audit::format::TYPE_NOTE);
    assert_eq!(note.text("note"), Some("torn_tail_truncated"));
    let torn = (records(&b)[9].len() - 10) as u64;
    assert_eq!(
        note.field("bytes"),
        Some(&narrate::audit::RecordValue::U64(torn))
    );
    assert_eq!(
        note.field("after_seq"),
        Some(&narrate::audit::RecordValue::U64(RECORDS - 1))
    );
}

#[test]
fn a_tampered_or_foreign_file_is_refused_for_appending_and_left_untouched() {
    let mut b = fixture().1.clone();
    let r = records(&b)[1].clone();
    b[r.start + FRAME_HEAD + 20] ^= 0x10;
    let (_dir, path) = tmp_copy("tampered.audit", &b);
    let err = AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue)
        .err()
        .unwrap();
    assert!(err.to_string().contains("record 2 is modified"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b);

    let (_dir, path) = tmp_copy("notes.txt", b"shopping list\n");
    let err = AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("not a narrate audit file"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"shopping list\n");
}

#[test]
fn a_zero_byte_file_becomes_a_new_trail() {
    let (_dir, path) = tmp_copy("empty.audit", b"");
    drop(AuditFile::open(&path, Durability::EveryRecord, OnSyncError::Continue).unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), HEADER);
}

#[test]
fn dev_full_missing_and_unwritable_directories_are_clear_errors() {
    let err = AuditFile::open("/dev/full", Durability::EveryRecord, OnSyncError::Continue)
        .err()
        .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull, "{err}");
    assert!(err.to_string().contains("/dev/full"), "{err}");

    let err = AuditFile::open(
        "/nonexistent-narrate-dir/trail.audit",
        Durability::EveryRecord,
        OnSyncError::Continue,
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains("/nonexistent-narrate-dir/trail.audit"),
        "{err}"
    );

    // /proc refuses new files even to root (permission bits do not).
    let err = AuditFile::open(
        "/proc/trail.audit",
        Durability::EveryRecord,
        OnSyncError::Continue,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("/proc/trail.audit"), "{err}");
}

/// An ordinary sink, to show ordinary events do not reach the audit file.
struct Discard;

impl narrate::Sink for Discard {
    fn write(&mut self, _: &narrate::Event<'_>, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}
