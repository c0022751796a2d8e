//! Asks you before codex runs a command or edits a file: every approval request is printed
//! and answered on the terminal (`y` accepts, `s` accepts for the rest of the session,
//! anything else declines). Without a terminal on stdin, or on an empty answer, the request is
//! declined. Prints the final response.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example approvals -- "Create hello.txt containing hi"
//! ```
//!
//! Approvals are richest on the app-server transport (`codex exec` never asks; there a handler
//! decides commands only, through a `PreToolUse` hook), so this example always
//! uses it, with the `untrusted` approval policy (codex asks before anything it does not know
//! to be safe) and the `workspace-write` sandbox. codex is found through `CODEX_PATH`, then
//! `PATH`, then an npm install, and inherits this process's environment, so your
//! `CODEX_HOME/config.toml` and login apply. The turn runs in the current directory.
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

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(prompt), None) = (args.next(), args.next()) else {
        eprintln!("usage: approvals <prompt>");
        return ExitCode::from(2);
    };
    match run(&prompt).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

async fn run(prompt: &str) -> Result<(), Error> {
    let codex = Codex::new(CodexOptions::new().transport(Transport::AppServer))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .approval_policy(ApprovalPolicy::Untrusted)
            .sandbox_mode(SandboxMode::WorkspaceWrite)
            // One closure answers every kind of request; `ApprovalHandlers` takes one per kind,
            // and the `ApprovalHandler` trait is there for handlers with state.
            .approval_handler(approval::from_fn(|request: ApprovalRequest| {
                ask(question(&request))
            })),
    );
    let turn = thread.run(prompt, TurnOptions::new()).await?;
    println!("{}", turn.final_response);
    Ok(())
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
