//! Sends local images with a prompt: each `--image PATH` attaches one file (codex reads it and
//! sends it to the model inline), then the prompt. Prints the final response.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example images -- --image screenshot.png --image diagram.png "What differs?"
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
//! cargo run -p codex-agent-sdk --example images -- --transport app-server --image screenshot.png "What is this?"
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use codex_agent_sdk::{
    Codex, CodexOptions, Error, ThreadOptions, Transport, TurnOptions, UserInput,
};

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, input)) =
        cli::args().and_then(|(transport, args)| Some((transport, parse_args(args.into_iter())?)))
    else {
        eprintln!(
            "usage: images {} [--image PATH]... <prompt>",
            cli::TRANSPORT_USAGE
        );
        return ExitCode::from(2);
    };
    match run(transport, input).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

/// The images in order, then the prompt; `None` when the arguments do not fit the usage.
fn parse_args(mut args: impl Iterator<Item = String>) -> Option<Vec<UserInput>> {
    let mut images = Vec::new();
    let mut prompt = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--image" => images.push(UserInput::LocalImage(PathBuf::from(args.next()?))),
            _ if prompt.is_none() => prompt = Some(arg),
            _ => return None,
        }
    }
    images.push(UserInput::Text(prompt?));
    Some(images)
}

async fn run(transport: Transport, input: Vec<UserInput>) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let turn = thread.run(input, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
