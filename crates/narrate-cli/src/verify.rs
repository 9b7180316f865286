//! `narrate verify FILE [--json]`: checks an audit file's hash chain.
//!
//! Exit codes: 0 intact, 1 damaged (the first bad record and the kind of
//! damage are named), 2 usage or I/O error, or not an audit file.

use std::path::PathBuf;
use std::process::ExitCode;

use narrate::audit::{self, format::hex};

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The audit file.
    file: PathBuf,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: VerifyArgs) -> ExitCode {
    let path = args.file.display().to_string();
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => return fail(&args, &path, &format!("cannot read {path}: {e}")),
    };
    let v = match audit::verify(&bytes) {
        Ok(v) => v,
        Err(e) => return fail(&args, &path, &format!("{path}: {e}")),
    };
    let last_hash = hex(&v.last_hash);
    match &v.damage {
        None => {
            if args.json {
                let out = serde_json::json!({
                    "file": path, "status": "intact",
                    "records": v.intact_records, "last_hash": last_hash,
                });
                println!("{out}");
            } else {
                println!(
                    "{path}: intact, {} records, last hash {last_hash}",
                    v.intact_records
                );
            }
            ExitCode::SUCCESS
        }
        Some(d) => {
            if args.json {
                let out = serde_json::json!({
                    "file": path, "status": "damaged",
                    "damage": d.kind.as_str(), "record": d.record, "offset": d.offset,
                    "detail": d.detail, "intact_records": v.intact_records,
                });
                println!("{out}");
            } else {
                println!(
                    "{path}: damaged: record {} (byte {}) is {}: {}; the {} records before it verify",
                    d.record,
                    d.offset,
                    d.kind.as_str(),
                    d.detail,
                    v.intact_records
                );
            }
            ExitCode::from(1)
        }
    }
}

fn fail(args: &VerifyArgs, path: &str, message: &str) -> ExitCode {
    if args.json {
        let out = serde_json::json!({"file": path, "status": "error", "error": message});
        println!("{out}");
    } else {
        eprintln!("narrate verify: {message}");
    }
    ExitCode::from(2)
}
