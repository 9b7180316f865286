//! `narrate stats`: reads the self-metrics a narrate process serves on its
//! metrics address (`Config::metrics_address`, or `[metrics] address` in
//! narrate.toml) and prints them.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Where the process serves its metrics.
    #[arg(long, short, default_value = "127.0.0.1:9464")]
    address: String,
    /// Print the Prometheus text as served, comments included.
    #[arg(long)]
    raw: bool,
    /// Give up after this many milliseconds.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
}

pub fn run(args: StatsArgs) -> ExitCode {
    let text = match narrate::metrics::fetch(&args.address, Duration::from_millis(args.timeout_ms))
    {
        Ok(text) => text,
        Err(e) => {
            eprintln!(
                "narrate stats: cannot read metrics from {}: {e}",
                args.address
            );
            return ExitCode::FAILURE;
        }
    };
    if args.raw {
        print!("{text}");
    } else {
        print!("{}", table(&text));
    }
    ExitCode::SUCCESS
}

/// The samples as an aligned two-column table, without the `# HELP` and
/// `# TYPE` lines and the `narrate_` prefix.
fn table(text: &str) -> String {
    let rows: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(name, value)| (name.strip_prefix("narrate_").unwrap_or(name), value))
        .collect();
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, value) in rows {
        out.push_str(&format!("{name:<width$}  {value}\n"));
    }
    out
}
