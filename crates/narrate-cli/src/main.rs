//! The `narrate` command: the demo, and the tools that measure narrate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod daemon_cmd;
mod demo;
mod profile;
mod redact_cmd;
mod rules_cmd;

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
    /// The collector: receive events from daemon sinks on a Unix socket.
    Daemon(daemon_cmd::DaemonArgs),
    /// Try a rules file on sample events (`rules test RULES EVENTS.jsonl`).
    Rules(rules_cmd::RulesArgs),
    /// The cost of one event, component by component.
    Profile(profile::ProfileArgs),
    /// One logger of `narrate bench`, in its own process (internal).
    #[command(name = "__bench-child", hide = true)]
    BenchChild(narrate_bench::ChildArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(args),
        Command::Bench(args) => narrate_bench::run(args),
        Command::Profile(args) => profile::run(args),
        Command::Daemon(args) => daemon_cmd::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Redact(args) => redact_cmd::run(args),
        Command::BenchChild(args) => narrate_bench::run_child(args),
    }
}
