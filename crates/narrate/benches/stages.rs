//! Microbenchmarks, one per stage of an event's journey, on the bench event
//! (info, u64 + f64 + 16-byte str, a 40-character template). The stages are
//! `narrate::profile::Stages`, the same code `narrate profile` times.
//!
//! `cargo bench -p narrate --bench stages`; `scripts/compare-baseline`
//! compares against `benchmarks/baseline.json`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use narrate::profile::Stages;

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut st = Stages::new(dir.path()).expect("stages");
    let mut g = c.benchmark_group("stage");
    g.bench_function("level_gate", |b| b.iter(|| black_box(st.level_gate())));
    g.bench_function("timestamp", |b| b.iter(|| black_box(st.timestamp())));
    let mut i = 0u64;
    g.bench_function("encode", |b| {
        b.iter(|| {
            i += 1;
            st.encode(black_box(i))
        })
    });
    g.bench_function("enqueue_dequeue", |b| {
        b.iter(|| {
            black_box(st.enqueue());
            black_box(st.dequeue())
        })
    });
    g.bench_function("decode", |b| b.iter(|| st.decode()));
    g.bench_function("render", |b| b.iter(|| black_box(st.render())));
    g.bench_function("format_json", |b| b.iter(|| black_box(st.format_json())));
    g.bench_function("write_file", |b| b.iter(|| st.write()));
    g.finish();
    st.flush_file().expect("flush");
}

criterion_group! {
    name = benches;
    // Short runs: these are nanosecond loops, and CI runs them only as a smoke test.
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = stages
}
criterion_main!(benches);
