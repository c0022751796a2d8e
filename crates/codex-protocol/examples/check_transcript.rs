//! Checks exec JSONL transcripts (`codex exec --json` output) against this crate's types.
//!
//! ```text
//! cargo run -p codex-agent-protocol --example check_transcript -- [--strict] FILE...
//! ```
//!
//! Prints one line per file, `<file>: <L> lines, <E> events, <U> unknown, <X> errors`, then one
//! line per error (line number and reason). Exits with status 1 if any file has errors, or,
//! with `--strict`, if any has unknowns; 2 on usage errors or unreadable files.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example"
)]

use std::process::ExitCode;

use codex_agent_protocol::exec::TranscriptReport;

fn main() -> ExitCode {
    let mut strict = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--strict" => strict = true,
            "-h" | "--help" => {
                println!("usage: check_transcript [--strict] FILE...");
                return ExitCode::SUCCESS;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: check_transcript [--strict] FILE...");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("{file}: cannot read: {err}");
                return ExitCode::from(2);
            }
        };
        // Invalid UTF-8 is reported per line rather than failing the whole file.
        let text = String::from_utf8_lossy(&bytes);
        let report = TranscriptReport::check(&text);
        print!("{}", report.render(file));
        if report.fails(strict) {
            status = ExitCode::from(1);
        }
    }
    status
}
