//! `narrate daemon`: the collector. Listens on a Unix socket for clients'
//! daemon sinks and writes their events to a file and/or stdout (see
//! `docs/daemon-protocol.md`). `--metrics` asks a running daemon for its
//! counters instead.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// The socket to listen on.
    #[arg(long, default_value = "narrate.sock")]
    socket: PathBuf,
    /// Permission bits of the socket file, in octal.
    #[arg(long, default_value = "600")]
    mode: String,
    /// Append the events to this file (JSON lines).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Rotate the file at this many bytes.
    #[arg(long)]
    max_bytes: Option<u64>,
    /// Write the events to stdout too.
    #[arg(long)]
    stdout: bool,
    /// Print the metrics of the daemon running on --socket, then exit.
    #[arg(long)]
    metrics: bool,
}

pub fn run(args: DaemonArgs) -> ExitCode {
    if args.metrics {
        return match narrate_daemon::query_metrics(&args.socket) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("narrate daemon: {}: {e}", args.socket.display());
                ExitCode::FAILURE
            }
        };
    }
    let Ok(mode) = u32::from_str_radix(&args.mode, 8) else {
        eprintln!("narrate daemon: --mode {}: not an octal mode", args.mode);
        return ExitCode::from(2);
    };
    if args.file.is_none() && !args.stdout {
        eprintln!("narrate daemon: give --file PATH and/or --stdout");
        return ExitCode::from(2);
    }
    let mut cfg = narrate_daemon::Config::new(&args.socket);
    cfg.mode = mode;
    cfg.file = args.file;
    cfg.max_bytes = args.max_bytes;
    cfg.stdout = args.stdout;
    match narrate_daemon::Daemon::start(cfg) {
        Ok(daemon) => {
            eprintln!("narrate daemon: listening on {}", args.socket.display());
            daemon.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("narrate daemon: {}: {e}", args.socket.display());
            ExitCode::FAILURE
        }
    }
}
