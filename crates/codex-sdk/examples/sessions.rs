//! Stored threads as data: list them, show one, export it as Markdown or JSON, fork, archive
//! or rename it.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example sessions -- list
//! cargo run -p codex-agent-sdk --example sessions -- show <id>
//! cargo run -p codex-agent-sdk --example sessions -- export <id> --format md|json
//! cargo run -p codex-agent-sdk --example sessions -- fork <id>
//! cargo run -p codex-agent-sdk --example sessions -- --transport app-server archive <id>
//! cargo run -p codex-agent-sdk --example sessions -- --transport app-server rename <id> <name>
//! ```
//!
//! `list` prints one line per thread, newest first: id, name (`-` when unnamed), updated time
//! (Unix seconds) and first prompt. On the exec transport (the default) threads are read from
//! the rollout files under `$CODEX_HOME/sessions` and forked with `codex exec fork`; archiving
//! and renaming need `--transport app-server`.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::protocol::history::to_markdown;
use codex_agent_sdk::{
    Codex, CodexOptions, Error, ThreadExport, ThreadListOptions, ThreadOptions, Transport,
};
use futures::TryStreamExt as _;

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(transport, &args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => usage(),
        Err(error) => report(&error),
    }
}

async fn run(transport: Transport, args: &[&str]) -> Result<bool, Error> {
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    match args {
        ["list"] => {
            let threads: Vec<_> = codex
                .list_threads(ThreadListOptions::new())
                .try_collect()
                .await?;
            for thread in threads {
                let prompt = thread.preview.lines().next().unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{prompt}",
                    thread.id,
                    thread.name.as_deref().unwrap_or("-"),
                    thread.updated_at
                );
            }
        }
        ["show", id] => {
            let thread = codex.read_thread(id).await?;
            println!("{} ({} turns)", thread.id(), thread.turns.len());
            for turn in &thread.turns {
                println!("> {}", turn.prompt);
                for item in &turn.items {
                    println!("  [{}]", item.item_type());
                }
                println!("{}", turn.final_response().unwrap_or_default());
            }
            for problem in &thread.problems {
                eprintln!("unreadable line {}: {}", problem.line, problem.message);
            }
        }
        ["export", id, "--format", format] => {
            let thread = codex.read_thread(id).await?;
            match *format {
                "md" => println!("{}", to_markdown(&thread)),
                "json" => println!(
                    "{}",
                    serde_json::to_string_pretty(&ThreadExport::new(thread)).unwrap_or_default()
                ),
                _ => return Ok(false),
            }
        }
        ["fork", id] => {
            let fork = codex.fork_thread(id, None, ThreadOptions::new()).await?;
            println!("{}", fork.id().unwrap_or_default());
        }
        ["archive", id] => codex.archive_thread(id).await?,
        ["rename", id, name] => codex.rename_thread(id, *name).await?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: sessions {} list | show <id> | export <id> --format md|json | fork <id> | archive <id> | rename <id> <name>",
        cli::TRANSPORT_USAGE
    );
    ExitCode::from(2)
}

/// Prints the error and its causes, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
