//! The `narrate` command: demo, bench, and tools around narrate's logs.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo(args) => demo::run(args),
    }
}
