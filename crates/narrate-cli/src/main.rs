//! The `narrate` command-line tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "narrate", version, about = "narrate's command-line tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Caller latency of narrate against tracing and log, in one run.
    Bench(narrate_bench::BenchArgs),
    /// One logger of `narrate bench`, in its own process (internal).
    #[command(name = "__bench-child", hide = true)]
    BenchChild(narrate_bench::ChildArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Bench(args) => narrate_bench::run(args),
        Command::BenchChild(args) => narrate_bench::run_child(args),
    }
}
