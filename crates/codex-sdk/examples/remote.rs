//! Runs one turn on a remote `codex app-server` over a WebSocket and prints the final
//! response.
//!
//! Start the server where codex should run (its `CODEX_HOME`, login and filesystem apply),
//! with a token in a file only you can read:
//!
//! ```sh
//! openssl rand -hex 32 > ~/.codex-ws-token && chmod 600 ~/.codex-ws-token
//! codex app-server --listen ws://127.0.0.1:4500 \
//!     --ws-auth capability-token --ws-token-file ~/.codex-ws-token
//! ```
//!
//! Then, with the token in an environment variable (never on the command line, where `ps`
//! shows it):
//!
//! ```sh
//! export CODEX_WS_TOKEN="$(cat ~/.codex-ws-token)"
//! cargo run -p codex-agent-sdk --example remote -- \
//!     --endpoint ws://127.0.0.1:4500 --token-env CODEX_WS_TOKEN "Explain what this repository does"
//! ```
//!
//! The turn runs in the server's working directory unless `--cwd DIR` names one (a path on
//! the server). The server listens on loopback only: reach another machine through an SSH
//! tunnel (`ssh -L 4500:127.0.0.1:4500 host`).
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{Codex, CodexOptions, Error, RemoteEndpoint, ThreadOptions, TurnOptions};

/// The command line.
struct Args {
    endpoint: String,
    token_env: Option<String>,
    cwd: Option<String>,
    prompt: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = parse(std::env::args().skip(1)) else {
        eprintln!("usage: remote --endpoint ws://HOST:PORT [--token-env VAR] [--cwd DIR] <prompt>");
        return ExitCode::from(2);
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

fn parse(mut argv: impl Iterator<Item = String>) -> Option<Args> {
    let (mut endpoint, mut token_env, mut cwd, mut prompt) = (None, None, None, None);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = Some(argv.next()?),
            "--token-env" => token_env = Some(argv.next()?),
            "--cwd" => cwd = Some(argv.next()?),
            flag if flag.starts_with("--") => return None,
            _ if prompt.is_none() => prompt = Some(arg),
            _ => return None,
        }
    }
    Some(Args {
        endpoint: endpoint?,
        token_env,
        cwd,
        prompt: prompt?,
    })
}

async fn run(args: Args) -> Result<(), Error> {
    let mut endpoint = RemoteEndpoint::new(args.endpoint).map_err(Error::InvalidOptions)?;
    if let Some(name) = &args.token_env {
        match std::env::var(name) {
            Ok(token) if !token.is_empty() => endpoint = endpoint.token(token),
            _ => eprintln!("warning: {name} is not set; connecting without a token"),
        }
    }
    let codex = Codex::new(CodexOptions::new().remote(endpoint))?;
    let mut options = ThreadOptions::new().skip_git_repo_check(true);
    if let Some(cwd) = args.cwd {
        options = options.working_directory(cwd);
    }
    let thread = codex.start_thread(options);
    let turn = thread.run(args.prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
}
