//! Asks for a typed answer: the final response must be a `RepoSummary`, whose JSON Schema is
//! derived from the Rust type and made strict before it is sent. Prints it as pretty JSON.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example structured_output -- "Summarize this repository"
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
//! cargo run -p codex-agent-sdk --example structured_output -- --transport app-server "Summarize this repository"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Error, ThreadOptions, Transport, TurnOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod cli;

/// The answer codex must give.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct RepoSummary {
    /// One sentence on what the code does.
    summary: String,
    /// The most important files, relative to the repository root.
    key_files: Vec<String>,
    /// The primary programming language.
    language: Language,
    /// Something worth a closer look, if anything.
    concern: Option<String>,
}

/// A few languages, and a catch-all.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Language {
    Rust,
    Python,
    TypeScript,
    Go,
    Other,
}

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
    let summary: RepoSummary = thread.run_json(prompt, TurnOptions::new()).await?.value;
    // Serializing a struct of strings cannot fail.
    let pretty = serde_json::to_string_pretty(&summary).expect("a RepoSummary serializes");
    println!("{pretty}");
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: structured_output {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
