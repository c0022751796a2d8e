//! Asks you before codex runs a command or edits a file: every approval request is printed
//! and answered on the terminal (`y` accepts, `s` accepts for the rest of the session,
//! anything else declines). Without a terminal on stdin, or on an empty answer, the request is
//! declined. Prints the final response.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example approvals -- "Run touch hello.txt"
//! cargo run -p codex-agent-sdk --example approvals -- --transport app-server "Create hello.txt containing hi"
//! ```
//!
//! The same handler works on both transports (`--transport exec|app-server`, exec by
//! default), but the two can ask different things. On the app-server, codex asks with the
//! `untrusted` approval policy before anything it does not know to be safe: commands, file
//! edits, permissions. `codex exec` never asks; there the SDK asks the handler about every
//! command, before it runs, through a `PreToolUse` hook (file edits are not asked about).
//! The sandbox is `workspace-write`. codex is found through `CODEX_PATH`, then `PATH`, then
//! an npm install, and inherits this process's environment, so your `CODEX_HOME/config.toml`
//! and login apply. The turn runs in the current directory.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use codex_agent_sdk::approval::{self, ApprovalDecision, ApprovalRequest};
use codex_agent_sdk::{
    ApprovalPolicy, Codex, CodexOptions, Error, SandboxMode, ThreadOptions, Transport, TurnOptions,
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

fn usage() -> ExitCode {
    eprintln!("usage: approvals {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}

async fn run(transport: Transport, prompt: &str) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let mut options = ThreadOptions::new()
        .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
        .skip_git_repo_check(true)
        .sandbox_mode(SandboxMode::WorkspaceWrite)
        // One closure answers every kind of request; `ApprovalHandlers` takes one per kind,
        // and the `ApprovalHandler` trait is there for handlers with state.
        .approval_handler(approval::from_fn(|request: ApprovalRequest| {
            ask(question(&request))
        }));
    if transport == Transport::AppServer {
        // codex asks the handler before anything it does not know to be safe.
        options = options.approval_policy(ApprovalPolicy::Untrusted);
    }
    let thread = codex.start_thread(options);
    let turn = thread.run(prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    // Stops the app-server and waits for it (a no-op on exec).
    codex.shutdown().await
}

/// What to ask about a request: what codex wants to do, where, and why.
fn question(request: &ApprovalRequest) -> String {
    let mut question = match request {
        ApprovalRequest::CommandExecution(_) => format!(
            "codex wants to run: {}",
            request.command().unwrap_or("(a command)")
        ),
        ApprovalRequest::FileChange(change) => {
            let mut text = "codex wants to edit files".to_owned();
            if let Some(root) = &change.grant_root {
                let _ = write!(text, "\n  and to write under: {root}");
            }
            text
        }
        _ => format!("codex asks: {}", request.method()),
    };
    if let Some(cwd) = request.cwd() {
        let _ = write!(question, "\n  in: {cwd}");
    }
    if let Some(reason) = request.reason() {
        let _ = write!(question, "\n  because: {reason}");
    }
    question
}

/// Prints `question` and reads a decision from stdin when it is a terminal; declines
/// otherwise, and on an empty answer.
async fn ask(question: String) -> ApprovalDecision {
    println!("{question}");
    if !std::io::stdin().is_terminal() {
        println!("approve? [y/s/N] (stdin is not a terminal) -> declined");
        return ApprovalDecision::Decline;
    }
    print!("approve? [y/s/N] ");
    // The prompt shows without a newline; if stdout is gone, the answer still counts.
    let _ = std::io::stdout().flush();
    // Reading the terminal blocks: off the async runtime's threads.
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await;
    let decision = match answer {
        Ok(Ok(line)) => match line.trim() {
            "y" | "Y" | "yes" => ApprovalDecision::Accept,
            "s" | "S" => ApprovalDecision::AcceptForSession,
            _ => ApprovalDecision::Decline,
        },
        _ => ApprovalDecision::Decline,
    };
    println!("-> {}", describe(&decision));
    decision
}

fn describe(decision: &ApprovalDecision) -> &'static str {
    match decision {
        ApprovalDecision::Accept => "accepted",
        ApprovalDecision::AcceptForSession => "accepted for the session",
        ApprovalDecision::Decline => "declined",
        _ => "answered",
    }
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
