//! Redaction and sanitization benchmarks.
//!
//! Targets (issue 4): clean 1 000 chars ≤ 300 ns, 1–3 secrets ≤ 2 µs,
//! sanitize 100 ASCII chars ≤ 50 ns, and pathological inputs linear
//! (10× the size ≤ 15× the time). Quick run:
//!
//! ```text
//! cargo bench -p narrate-redact --bench redact -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use narrate_redact::bench_inputs::{self, Pathological};
use narrate_redact::{RedactConfig, Redactor, Replacement, sanitize, sanitize_bytes};

fn redact_clean(c: &mut Criterion) {
    let r = Redactor::new(RedactConfig::default()).unwrap();
    let mut g = c.benchmark_group("redact/clean");
    for len in [100, 1_000, 10_000] {
        let s = bench_inputs::clean(len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::from_parameter(len), &s, |b, s| {
            b.iter(|| r.redact(black_box(s)))
        });
    }
    g.finish();
}

fn redact_secrets(c: &mut Criterion) {
    let fixed = Redactor::new(RedactConfig::default()).unwrap();
    let hashed = Redactor::new(RedactConfig {
        replacement: Replacement::keyed_hash(*b"bench-key-000001"),
        ..Default::default()
    })
    .unwrap();
    let mut g = c.benchmark_group("redact/secrets-1000");
    for n in 1..=3 {
        let s = bench_inputs::with_secrets(1_000, n);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_with_input(BenchmarkId::new("fixed", n), &s, |b, s| {
            b.iter(|| fixed.redact(black_box(s)))
        });
        g.bench_with_input(BenchmarkId::new("hashed", n), &s, |b, s| {
            b.iter(|| hashed.redact(black_box(s)))
        });
        let mut buf = Vec::with_capacity(2 * s.len());
        g.bench_with_input(BenchmarkId::new("into-buffer", n), &s, |b, s| {
            b.iter(|| {
                buf.clear();
                fixed.redact_into(black_box(s), &mut buf)
            })
        });
    }
    g.finish();
}

fn sanitize_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sanitize");
    for len in [100, 1_000, 10_000] {
        let s = bench_inputs::ascii(len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::new("ascii", len), &s, |b, s| {
            b.iter(|| sanitize(black_box(s)))
        });
        g.bench_with_input(BenchmarkId::new("ascii-bytes", len), &s, |b, s| {
            b.iter(|| sanitize_bytes(black_box(s.as_bytes())))
        });
    }
    let mixed = "Grüße aus Köln — “quoted” € 🎉 日本語 ".repeat(30);
    g.throughput(Throughput::Bytes(mixed.len() as u64));
    g.bench_function("unicode-clean", |b| b.iter(|| sanitize(black_box(&mixed))));
    let dirty = "line one\nline two\ttabbed\u{202e}rlo ".repeat(30);
    g.throughput(Throughput::Bytes(dirty.len() as u64));
    g.bench_function("escapes", |b| b.iter(|| sanitize(black_box(&dirty))));
    g.finish();
}

/// Linear time: each kind at 100 KiB and 1 MiB; compare the two.
fn pathological(c: &mut Criterion) {
    let r = Redactor::new(RedactConfig::default()).unwrap();
    let mut g = c.benchmark_group("pathological");
    g.sample_size(10);
    for kind in Pathological::ALL {
        for len in [100 * 1024, 1024 * 1024] {
            let s = kind.input(len);
            g.throughput(Throughput::Bytes(len as u64));
            g.bench_with_input(BenchmarkId::new(kind.name(), len), &s, |b, s| {
                b.iter(|| r.redact(black_box(s)))
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    redact_clean,
    redact_secrets,
    sanitize_bench,
    pathological
);
criterion_main!(benches);
