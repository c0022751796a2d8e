//! Runs a turn that may edit files, then lists every file codex changed: the kind of change
//! (`add`, `update`, `delete`) and the path.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example file_operations -- "Add a CONTRIBUTING.md"
//! ```
//!
//! Edits land in the current directory, which does not have to be a git repository; whether
//! codex may write there is up to the sandbox mode of your `CODEX_HOME/config.toml`. codex is
//! found through `CODEX_PATH`, then `PATH`, then an npm install, and inherits this process's
//! environment.
//!
//! With `--transport app-server` the turn runs on a shared `codex app-server` process instead
//! of one `codex exec` per turn; each change then also carries its diff:
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example file_operations -- --transport app-server "Add a CONTRIBUTING.md"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{
    Codex, CodexOptions, Error, ItemDetails, ThreadOptions, Transport, TurnOptions,
};

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
    let changes: Vec<_> = turn
        .items
        .iter()
        .filter_map(|item| match &item.details {
            ItemDetails::FileChange(change) => Some(change),
            _ => None,
        })
        .flat_map(|change| &change.changes)
        .collect();
    if changes.is_empty() {
        println!("no files changed");
    }
    for change in changes {
        println!("{:<6} {}", change.kind.as_str(), change.path);
    }
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: file_operations {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
