//! Runs one turn and prints codex's final response.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example basic -- "Explain what this repository does"
//! ```
//!
//! codex is found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits this
//! process's environment, so your `CODEX_HOME/config.toml` and login apply. The turn runs in
//! the current directory, which does not have to be a git repository.
//!
//! With `--transport app-server` the turn runs on a shared `codex app-server` process instead
//! of one `codex exec` per turn:
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example basic -- --transport app-server "Explain what this repository does"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Error, ThreadOptions, Transport, TurnOptions};

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let [prompt] = args.as_slice() else {
        return usage();
    };
    match run(transport, prompt).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

async fn run(transport: Transport, prompt: &str) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let turn = thread.run(prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: basic {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
