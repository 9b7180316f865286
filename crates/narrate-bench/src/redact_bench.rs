//! The `redact` scenario: narrate's redaction and sanitization on their own,
//! in this process (they have no peers to compare with). Inputs come from
//! `narrate_redact::bench_inputs`, the same ones the criterion benchmarks use:
//! clean text of 100, 1 000 and 10 000 characters, 1 000 characters holding
//! 1–3 secrets, 100 ASCII characters to sanitize, and the near-miss inputs
//! (`eyJ` repeated, `-----BEGIN ` repeated, …) at 100 KiB and 1 MiB, whose
//! time ratio shows the scan is linear (target: 10× the size, ≤ 15× the time).

use std::hint::black_box;

use narrate_redact::bench_inputs::{self, Pathological};
use serde::{Deserialize, Serialize};

/// One measured case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedactRow {
    pub case: String,
    pub input_bytes: usize,
    /// Median over batches of the batch average, ns per call.
    pub median_ns: f64,
    pub mb_per_s: f64,
    /// Linearity rows: time(1 MiB) / time(100 KiB) for 10.24× the input.
    pub time_ratio_for_10x: Option<f64>,
}

/// Median of `batches` batch averages of `f`, in ns per call.
fn time(batches: usize, per_batch: usize, mut f: impl FnMut()) -> f64 {
    let clock = quanta::Clock::new();
    for _ in 0..per_batch {
        f();
    }
    let mut v: Vec<f64> = (0..batches)
        .map(|_| {
            let t0 = clock.raw();
            for _ in 0..per_batch {
                f();
            }
            clock.delta_as_nanos(t0, clock.raw()) as f64 / per_batch as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn row(case: String, input: &str, ns: f64) -> RedactRow {
    RedactRow {
        case,
        input_bytes: input.len(),
        median_ns: (ns * 10.0).round() / 10.0,
        mb_per_s: (input.len() as f64 / ns * 1e3).round(),
        time_ratio_for_10x: None,
    }
}

/// Runs every case; `quick` takes fewer batches.
pub fn run(quick: bool) -> Vec<RedactRow> {
    let batches = if quick { 21 } else { 101 };
    let redactor = narrate_redact::default_redactor();
    let mut rows = Vec::new();
    for len in [100, 1_000, 10_000] {
        let input = bench_inputs::clean(len);
        let ns = time(batches, (200_000 / len).max(10), || {
            black_box(redactor.redact(black_box(&input)));
        });
        rows.push(row(format!("redact_clean_{len}"), &input, ns));
    }
    for secrets in 1..=3 {
        let input = bench_inputs::with_secrets(1_000, secrets);
        let ns = time(batches, 100, || {
            black_box(redactor.redact(black_box(&input)));
        });
        rows.push(row(format!("redact_{secrets}_secrets_1000"), &input, ns));
    }
    let ascii = bench_inputs::ascii(100);
    let ns = time(batches, 2_000, || {
        black_box(narrate_redact::sanitize(black_box(&ascii)));
    });
    rows.push(row("sanitize_ascii_100".into(), &ascii, ns));
    for p in Pathological::ALL {
        let small = p.input(100 * 1024);
        let large = p.input(1024 * 1024);
        let t_small = time(batches.min(21), 3, || {
            black_box(redactor.redact(black_box(&small)));
        });
        let t_large = time(batches.min(21), 1, || {
            black_box(redactor.redact(black_box(&large)));
        });
        let mut r = row(format!("linear_{}_1mib", p.name()), &large, t_large);
        r.time_ratio_for_10x = Some((t_large / t_small * 100.0).round() / 100.0);
        rows.push(r);
    }
    rows
}

/// The rows as a table.
pub fn table(rows: &[RedactRow]) -> String {
    let mut t = format!(
        "\n{:<36} {:>10} {:>12} {:>10} {:>14}\n",
        "redact case", "bytes", "median", "MB/s", "time ×, 10× size"
    );
    for r in rows {
        let ratio = r
            .time_ratio_for_10x
            .map_or(String::new(), |x| format!("{x:.2}×"));
        t.push_str(&format!(
            "{:<36} {:>10} {:>12} {:>10} {:>14}\n",
            r.case,
            r.input_bytes,
            crate::fmt_ns(r.median_ns),
            r.mb_per_s,
            ratio
        ));
    }
    t
}
