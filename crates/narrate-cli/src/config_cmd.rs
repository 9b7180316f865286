//! `narrate config check FILE` and `narrate config example`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use narrate::config_file::{EXAMPLE, FileConfig};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a narrate.toml and print the effective configuration
    /// (every key, defaults filled in). Exit 0 if valid, 1 if not.
    Check {
        /// The file to check.
        file: PathBuf,
        /// Print nothing when the file is valid.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print a commented narrate.toml with every key and its default.
    Example,
}

pub fn run(args: ConfigArgs) -> ExitCode {
    match args.command {
        ConfigCommand::Example => {
            print!("{EXAMPLE}");
            ExitCode::SUCCESS
        }
        ConfigCommand::Check { file, quiet } => match FileConfig::read(&file) {
            Ok(cfg) => {
                if !quiet {
                    println!("# {}: valid. Effective configuration:", file.display());
                    print!("{}", cfg.to_toml());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
