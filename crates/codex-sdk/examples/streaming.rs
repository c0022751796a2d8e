//! Streams a turn: prints each event as one JSON line, in codex's own `codex exec --json`
//! shape, as it arrives. Ctrl-C cancels the turn (codex and everything it started are killed)
//! and exits with status 130.
//!
//! ```sh
//! cargo run -p codex-sdk --example streaming -- "List the largest files here"
//! ```
//!
//! codex is found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits this
//! process's environment, so your `CODEX_HOME/config.toml` and login apply. The turn runs in
//! the current directory, which does not have to be a git repository.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::error::Error as _;
use std::process::ExitCode;

use codex_sdk::{Codex, CodexOptions, Error, ThreadOptions, TurnOptions};
use futures::StreamExt as _;

/// The conventional exit status of a program stopped by Ctrl-C (128 + `SIGINT`).
const INTERRUPTED: u8 = 130;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(prompt) = std::env::args().nth(1) else {
        eprintln!("usage: streaming <prompt>");
        return ExitCode::from(2);
    };
    match run(&prompt).await {
        Ok(code) => code,
        Err(error) => report(&error),
    }
}

async fn run(prompt: &str) -> Result<ExitCode, Error> {
    let codex = Codex::new(CodexOptions::new())?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let mut events = thread.run_streamed(prompt, TurnOptions::new()).await?;
    // One listener for the whole turn, so a Ctrl-C between two events is not missed. It is
    // polled first, so it is listening before the first event is printed.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            biased;
            _ = &mut ctrl_c => {
                // Dropping the stream cancels the turn: codex's process group gets SIGTERM,
                // then SIGKILL after a grace period, and is reaped.
                drop(events);
                eprintln!("cancelled");
                return Ok(ExitCode::from(INTERRUPTED));
            }
            event = events.next() => match event {
                Some(event) => println!("{}", event?.to_json_line()),
                None => return Ok(ExitCode::SUCCESS),
            },
        }
    }
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {error}");
    let mut cause = error.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
    if let Some(tail) = error.stderr_tail().filter(|tail| !tail.is_empty()) {
        eprintln!("codex stderr:\n{tail}");
    }
    ExitCode::FAILURE
}
