//! Interrupts a turn gracefully: streams the answer as it is written, and as soon as the first
//! piece of it arrives (or on Ctrl-C, whichever comes first) sends `turn/interrupt`. The turn
//! then ends on its own: every item still open is completed as `interrupted`, with the text
//! written so far, and codex keeps running for the thread's next turn. Prints each completed
//! item and how the turn ended.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example interrupt -- "Write a long essay about Rust"
//! ```
//!
//! A graceful interrupt needs the app-server transport (`codex exec` can only be killed), so
//! this example always uses it. codex is found through `CODEX_PATH`, then `PATH`, then an npm
//! install, and inherits this process's environment, so your `CODEX_HOME/config.toml` and
//! login apply. The turn runs in the current directory.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::{
    Codex, CodexOptions, Error, ItemDetails, ThreadEvent, ThreadOptions, Transport, TurnOptions,
    TurnStatus,
};
use futures::StreamExt as _;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(prompt), None) = (args.next(), args.next()) else {
        eprintln!("usage: interrupt <prompt>");
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
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into())),
    );
    let mut events = thread.run_streamed(prompt, TurnOptions::new()).await?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut interrupted = false;
    loop {
        let event = tokio::select! {
            biased;
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                println!("(Ctrl-C: interrupting)");
                events.interrupt().await?;
                continue;
            }
            event = events.next() => event,
        };
        let Some(event) = event else { break };
        match event? {
            ThreadEvent::AgentMessageDelta(delta) => {
                println!("delta: {:?}", delta.delta);
                if !interrupted {
                    interrupted = true;
                    println!("(interrupting)");
                    events.interrupt().await?;
                }
            }
            ThreadEvent::ItemCompleted(completed) => {
                let item = completed.item;
                let status = match &item.details {
                    ItemDetails::AgentMessage(m) => m.status.as_ref().map(ToString::to_string),
                    ItemDetails::Reasoning(r) => r.status.as_ref().map(ToString::to_string),
                    ItemDetails::CommandExecution(c) => Some(c.status.to_string()),
                    ItemDetails::FileChange(f) => Some(f.status.to_string()),
                    ItemDetails::McpToolCall(m) => Some(m.status.to_string()),
                    _ => None,
                };
                let text = match &item.details {
                    ItemDetails::AgentMessage(m) => format!(" {:?}", m.text),
                    _ => String::new(),
                };
                println!(
                    "completed: {} ({}){text}",
                    item.item_type(),
                    status.as_deref().unwrap_or("done")
                );
            }
            ThreadEvent::TurnCompleted(end) => {
                let status = end.status.unwrap_or(TurnStatus::Completed);
                println!("turn: {status}");
            }
            _ => {}
        }
    }
    // The stream is done; stop the app-server and wait for it, rather than leaving that to
    // the drop at the end of `main`.
    drop(events);
    codex.shutdown().await
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
