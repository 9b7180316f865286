//! The `config_load` scenario: how long `narrate::Config::from_file` takes
//! for a `narrate.toml` with 100 filter rules (target: ≤ 1 ms), from reading
//! the file to a ready `Config` (sinks are opened later, by `init`). Runs in
//! this process; rows are under `"config"` in the JSON.
//!
//! A second case adds 8 custom redaction patterns: each is compiled once at
//! load to check it (regex-automata), which is most of that case's time.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One measured case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigRow {
    pub case: String,
    pub rules: usize,
    pub file_bytes: usize,
    /// Median over loads, µs per load.
    pub median_us: f64,
    pub p90_us: f64,
}

/// A file with `rules` `[[rules]]` entries, two sinks and redaction
/// settings; `patterns` custom patterns.
pub fn config_text(dir: &Path, rules: usize, patterns: usize) -> String {
    let mut s = String::from("level = \"info\"\nfilter = \"hyper=warn,[heartbeat]=mute\"\n");
    for i in 0..rules {
        let _ = writeln!(
            s,
            "\n[[rules]]\npath = \"service::module_{i}::inner\"\n{}level = \"{}\"",
            if i % 3 == 0 {
                format!("action = \"action_{i}\"\n")
            } else {
                String::new()
            },
            ["trace", "debug", "warn", "error"][i % 4]
        );
    }
    s.push_str("\n[redaction]\nsensitive_fields = [\"password\", \"pin\", \"ssn\"]\n");
    for i in 0..patterns {
        let _ = writeln!(
            s,
            "\n[[redaction.patterns]]\nname = \"p{i}\"\nregex = \"TCK{i}-[0-9]{{6}}\""
        );
    }
    let _ = writeln!(
        s,
        "\n[[sinks]]\nkind = \"stdout\"\nformat = \"pretty\"\n\n[[sinks]]\nname = \"main\"\nkind = \"file\"\npath = \"{}\"\nmax_bytes = \"64 MiB\"\nkeep = 5",
        dir.join("app.jsonl").display()
    );
    s
}

fn measure(case: &str, rules: usize, patterns: usize, loads: usize) -> ConfigRow {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("narrate.toml");
    let text = config_text(dir.path(), rules, patterns);
    std::fs::write(&path, &text).expect("write config");
    let clock = quanta::Clock::new();
    let mut us: Vec<f64> = (0..loads + 5)
        .map(|_| {
            let t0 = clock.raw();
            let config = narrate::Config::from_file(&path).expect("valid config");
            let t1 = clock.raw();
            drop(std::hint::black_box(config));
            clock.delta_as_nanos(t0, t1) as f64 / 1e3
        })
        .skip(5)
        .collect();
    us.sort_by(f64::total_cmp);
    ConfigRow {
        case: case.to_string(),
        rules,
        file_bytes: text.len(),
        median_us: (us[us.len() / 2] * 10.0).round() / 10.0,
        p90_us: (us[us.len() * 9 / 10] * 10.0).round() / 10.0,
    }
}

/// Runs both cases; `quick` loads fewer times.
pub fn run(quick: bool) -> Vec<ConfigRow> {
    let loads = if quick { 51 } else { 301 };
    vec![
        measure("100 rules", 100, 0, loads),
        measure("100 rules + 8 patterns", 100, 8, loads),
    ]
}

pub fn table(rows: &[ConfigRow]) -> String {
    let mut s = String::from("\nconfig_load (Config::from_file, target ≤ 1000 µs for 100 rules)\n");
    let _ = writeln!(
        s,
        "{:<26} {:>6} {:>10} {:>12} {:>10}",
        "case", "rules", "bytes", "median µs", "p90 µs"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<26} {:>6} {:>10} {:>12.1} {:>10.1}",
            r.case, r.rules, r.file_bytes, r.median_us, r.p90_us
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_file_is_valid_and_has_every_rule() {
        let dir = tempfile::tempdir().unwrap();
        let text = super::config_text(dir.path(), 100, 8);
        let cfg = narrate::config_file::FileConfig::parse(&text, "bench").unwrap();
        assert_eq!(cfg.rules.len(), 100);
        assert_eq!(cfg.redaction.patterns.len(), 8);
        assert_eq!(cfg.sinks.len(), 2);
    }
}
