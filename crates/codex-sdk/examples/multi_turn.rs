//! Two turns on one thread: the second turn sees the first one's conversation. Prints the
//! thread id (pass it to `Codex::resume_thread` to continue later) and both answers.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example multi_turn -- "Find the entry point" "Now explain its error handling"
//! ```
//!
//! The second prompt is optional; by default it asks for a one-sentence summary of the first
//! answer. codex is found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits
//! this process's environment, so your `CODEX_HOME/config.toml` and login apply. The turns
//! run in the current directory, which does not have to be a git repository.
//!
//! With `--transport app-server` the turn runs on a shared `codex app-server` process instead
//! of one `codex exec` per turn; both turns then share
//! one process:
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example multi_turn -- --transport app-server "Find the entry point" "Now explain its error handling"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Error, ThreadOptions, Transport, TurnOptions};

mod cli;

/// The second prompt when none is given.
const FOLLOW_UP: &str = "Summarize your previous answer in one sentence.";

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let (first, second) = match args.as_slice() {
        [first] => (first.as_str(), FOLLOW_UP),
        [first, second] => (first.as_str(), second.as_str()),
        _ => return usage(),
    };
    match run(transport, first, second).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

async fn run(transport: Transport, first: &str, second: &str) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let turn = thread.run(first, TurnOptions::new()).await?;
    // The id is known once the first turn has started.
    println!("thread: {}", thread.id().unwrap_or_default());
    println!("> {first}\n{}", turn.final_response);
    // The thread remembers its id, so this turn resumes the same conversation.
    let turn = thread.run(second, TurnOptions::new()).await?;
    println!("> {second}\n{}", turn.final_response);
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: multi_turn {} <prompt> [follow-up prompt]",
        cli::TRANSPORT_USAGE
    );
    ExitCode::from(2)
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
