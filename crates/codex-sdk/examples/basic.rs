//! Runs one turn and prints codex's final response.
//!
//! ```sh
//! cargo run -p codex-sdk --example basic -- "Explain what this repository does"
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

#[tokio::main]
async fn main() -> ExitCode {
    let Some(prompt) = std::env::args().nth(1) else {
        eprintln!("usage: basic <prompt>");
        return ExitCode::from(2);
    };
    match run(&prompt).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

async fn run(prompt: &str) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new())?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let turn = thread.run(prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
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
