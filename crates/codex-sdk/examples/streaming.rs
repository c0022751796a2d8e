//! Streams a turn: prints each event as one JSON line, in codex's own `codex exec --json`
//! shape, as it arrives. Ctrl-C cancels the turn (codex and everything it started are killed)
//! and exits with status 130.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example streaming -- "List the largest files here"
//! ```
//!
//! codex is found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits this
//! process's environment, so your `CODEX_HOME/config.toml` and login apply. The turn runs in
//! the current directory, which does not have to be a git repository.
//!
//! With `--transport app-server` the turn runs on a shared `codex app-server` process instead
//! of one `codex exec` per turn; the stream then also carries
//! the text deltas (`item.agent_message.delta`, …) and Ctrl-C interrupts the turn
//! (`turn/interrupt`) instead of killing codex:
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example streaming -- --transport app-server "List the largest files here"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Error, ThreadOptions, Transport, TurnOptions};
use futures::StreamExt as _;

mod cli;

/// The conventional exit status of a program stopped by Ctrl-C (128 + `SIGINT`).
const INTERRUPTED: u8 = 130;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let [prompt] = args.as_slice() else {
        return usage();
    };
    match run(transport, prompt).await {
        Ok(code) => code,
        Err(error) => report(&error),
    }
}

async fn run(transport: Transport, prompt: &str) -> Result<ExitCode, Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
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
                // Dropping the stream cancels the turn: with exec, codex's process group gets
                // SIGTERM, then SIGKILL after a grace period, and is reaped; with the
                // app-server, the turn gets `turn/interrupt` and the app-server stops with
                // the `Codex` as the program exits.
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

fn usage() -> ExitCode {
    eprintln!("usage: streaming {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
