//! The audit path, with a real hash-chained `AuditFile` (fsync every 1 000
//! records) behind a running pipeline:
//!
//! * `audit/audit_caller`: one `audit!` (kind, principal, operation, outcome,
//!   two payload fields) on the caller. Sustained cost per call: when the
//!   backend (hash + write + fsync) is slower than the caller, the ring
//!   fills and the caller blocks, and that is included.
//! * `audit/audit_throughput`: bursts of 10 000 `audit!` then `flush()`:
//!   from the first call until every record is written and fsynced.
//! * `audit_verify/verify`: `narrate::audit::verify` over the file written
//!   by the two cases above, in memory (bytes/s).
//! * `audit_slow/bare` vs `audit_slow/wrapped`: decoding one 64-byte
//!   fixed-width record, alone and inside `audit_slow` (never slow).
//!
//! `cargo bench -p narrate --bench audit`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use narrate::audit::{AuditFile, Durability, OnSyncError};

/// A fixed-width record: id (10 digits), amount (12), account (20), code (22).
const RECORD: &[u8; 64] = b"0000012345000000099999ACCOUNT-0000000042XYZ-CODE-000000000000007";

fn digits(b: &[u8]) -> u64 {
    b.iter()
        .fold(0u64, |n, &c| n * 10 + (c.wrapping_sub(b'0') as u64 % 10))
}

fn decode(r: &[u8; 64]) -> (u64, u64, u64) {
    (digits(&r[..10]), digits(&r[10..22]), digits(&r[32..42]))
}

fn audit(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = AuditFile::open(
        dir.path().join("bench.audit"),
        Durability::EveryRecords(1000),
        OnSyncError::Continue,
    )
    .expect("audit file");
    let status = file.status();
    let _guard = narrate::init(
        narrate::Config::new()
            .level(narrate::Level::Mute)
            .ring_bytes(8 << 20)
            .audit(file),
    )
    .expect("init");

    let mut g = c.benchmark_group("audit");
    let mut i = 0u64;
    g.bench_function("audit_caller", |b| {
        b.iter(|| {
            i += 1;
            narrate::audit!(
                Access,
                principal = "alice",
                operation = "read",
                outcome = "allowed",
                document = black_box(i),
                bytes = 4096u32
            );
        })
    });
    narrate::flush();
    const BURST: u64 = 10_000;
    g.throughput(Throughput::Elements(BURST));
    g.bench_function("audit_throughput", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = Instant::now();
                for k in 0..BURST {
                    narrate::audit!(
                        Change,
                        principal = "ops",
                        operation = "set",
                        outcome = "ok",
                        k = k
                    );
                }
                narrate::flush();
                total += t0.elapsed();
            }
            total
        })
    });
    g.finish();
    assert!(!status.suspect());

    // Verifying the file the two benches above wrote (hundreds of thousands
    // of records), from memory: framing, sequence numbers, SHA-256 chain.
    narrate::flush();
    let bytes = std::fs::read(dir.path().join("bench.audit")).expect("read the trail");
    let mut g = c.benchmark_group("audit_verify");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("verify", |b| {
        b.iter(|| {
            let v = narrate::audit::verify(black_box(&bytes)).expect("an audit file");
            assert!(v.damage.is_none());
            v.intact_records
        })
    });
    g.finish();

    let mut g = c.benchmark_group("audit_slow");
    g.bench_function("bare", |b| b.iter(|| decode(black_box(RECORD))));
    g.bench_function("wrapped", |b| {
        b.iter(|| {
            narrate::audit_slow("decode", Duration::from_millis(1), || {
                decode(black_box(RECORD))
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = audit
}
criterion_main!(benches);
