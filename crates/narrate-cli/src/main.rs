//! The `narrate` command: the demo, and the tools that measure narrate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod config_cmd;
mod daemon_cmd;
mod demo;
mod profile;
mod redact_cmd;
mod rules_cmd;
mod stats_cmd;
mod verify;

#[derive(Debug, Parser)]
#[command(
    name = "narrate",
    version,
    about = "Structured logging, narration and audit: demo and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a simulated order service that narrates through the whole pipeline.
    Demo(demo::DemoArgs),
    /// Caller latency of narrate against tracing and log, in one run.
    Bench(narrate_bench::BenchArgs),
    /// Redact and sanitize log lines from files or stdin, to stdout.
    Redact(redact_cmd::RedactArgs),
    /// Validate a narrate.toml (`check FILE`) or print a commented one (`example`).
    Config(config_cmd::ConfigArgs),
    /// Check an audit file's hash chain: exit 0 intact, 1 damaged, 2 error.
    Verify(verify::VerifyArgs),
    /// The collector: receive events from daemon sinks on a Unix socket.
    Daemon(daemon_cmd::DaemonArgs),
    /// Try a rules file on sample events (`rules test RULES EVENTS.jsonl`).
    Rules(rules_cmd::RulesArgs),
    /// The cost of one event, component by component.
    Profile(profile::ProfileArgs),
    /// Print the self-metrics a narrate process serves on its metrics address.
    Stats(stats_cmd::StatsArgs),
    /// One logger of `narrate bench`, in its own process (internal).
    #[command(name = "__bench-child", hide = true)]
    BenchChild(narrate_bench::ChildArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(args),
        Command::Bench(args) => narrate_bench::run(args),
        Command::Profile(args) => profile::run(args),
        Command::Config(args) => config_cmd::run(args),
        Command::Daemon(args) => daemon_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Redact(args) => redact_cmd::run(args),
        Command::Stats(args) => stats_cmd::run(args),
        Command::Verify(args) => verify::run(args),
        Command::BenchChild(args) => narrate_bench::run_child(args),
    }
}
