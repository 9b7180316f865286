//! `narrate rules test RULES EVENTS.jsonl`: what each rule does to sample
//! events. One line per event (its number, the rules that matched, the
//! verdict, and the event as changed by redact/tag), then each rule's counts.
//! Exit status 2 when the rules file does not compile (the reason is printed).

use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use narrate_daemon::rules::Rules;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RulesCommand {
    /// Apply RULES to each JSON line of EVENTS and show the outcome.
    Test { rules: PathBuf, events: PathBuf },
}

pub fn run(args: RulesArgs) -> ExitCode {
    let RulesCommand::Test { rules, events } = args.command;
    let text = match std::fs::read_to_string(&rules) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("narrate rules: {}: {e}", rules.display());
            return ExitCode::FAILURE;
        }
    };
    let compiled = match Rules::compile(&text) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("narrate rules: {}: {e}", rules.display());
            return ExitCode::from(2);
        }
    };
    let file = match std::fs::File::open(&events) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("narrate rules: {}: {e}", events.display());
            return ExitCode::FAILURE;
        }
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("narrate rules: {}: {e}", events.display());
                return ExitCode::FAILURE;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut event: serde_json::Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(out, "{}: not JSON ({e}), skipped", n + 1);
                continue;
            }
        };
        let o = compiled.apply(&mut event);
        let verdict = if o.dropped {
            "drop".to_string()
        } else {
            format!("→ {}", o.routes.join(", "))
        };
        let matched = if o.matched.is_empty() {
            "no rule".to_string()
        } else {
            o.matched.join(", ")
        };
        let _ = write!(out, "{}: {matched}: {verdict}", n + 1);
        if o.modified {
            let _ = write!(out, " {event}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "\nrule\tmatched\tdropped");
    for r in &compiled.rules {
        let _ = writeln!(
            out,
            "{}\t{}\t{}",
            r.name,
            r.matched.load(Ordering::Relaxed),
            r.dropped.load(Ordering::Relaxed)
        );
    }
    ExitCode::SUCCESS
}
