//! Hands files, images and directories to a turn: each is staged in the attachment store, its
//! path in the turn's read-only view and its checksum are printed, then the turn runs and the
//! final response is printed. Without `--keep`, nothing it staged remains afterwards.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example attachments -- --file build.log --image screenshot.png "Why did the build fail?"
//! ```
//!
//! Only `--image` files reach the model as images; `--file` and `--dir` are listed in the
//! prompt by path and read by the agent with its tools. `--keep` stages them persistently
//! (they stay in the store for the next run, deduplicated by content); `--store DIR` uses
//! another store than the default one under your cache directory. `--transport app-server`
//! runs the turn on a shared `codex app-server`.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use codex_agent_sdk::files::StoreOptions;
use codex_agent_sdk::{
    Attachment, Codex, CodexOptions, Error, ThreadOptions, Transport, TurnCollector, TurnOptions,
};
use futures::StreamExt as _;

mod cli;

/// The parsed command line.
struct Args {
    attachments: Vec<Attachment>,
    keep: bool,
    store: Option<PathBuf>,
    prompt: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) =
        cli::args().and_then(|(transport, args)| Some((transport, parse_args(args.into_iter())?)))
    else {
        eprintln!(
            "usage: attachments {} [--file PATH]... [--image PATH]... [--dir PATH]... [--keep] [--store DIR] <prompt>",
            cli::TRANSPORT_USAGE
        );
        return ExitCode::from(2);
    };
    match run(transport, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Option<Args> {
    let mut attachments = Vec::new();
    let mut keep = false;
    let mut store = None;
    let mut prompt = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--file" => attachments.push(Attachment::file(args.next()?)),
            "--image" => attachments.push(Attachment::image(args.next()?)),
            "--dir" => attachments.push(Attachment::directory(args.next()?)),
            "--keep" => keep = true,
            "--store" => store = Some(PathBuf::from(args.next()?)),
            _ if prompt.is_none() => prompt = Some(arg),
            _ => return None,
        }
    }
    Some(Args {
        attachments,
        keep,
        store,
        prompt: prompt?,
    })
}

async fn run(transport: Transport, args: Args) -> Result<(), Error> {
    let mut store = StoreOptions::new();
    if let Some(root) = args.store {
        store = store.root(root);
    }
    let codex = Codex::new(
        CodexOptions::new()
            .transport(transport)
            .attachment_store(store),
    )?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true),
    );
    let mut options = TurnOptions::new();
    for attachment in args.attachments {
        options = options.attach(if args.keep {
            attachment.persistent(None)
        } else {
            attachment
        });
    }
    let mut stream = thread.run_streamed(args.prompt, options).await?;
    for attached in stream.attachments() {
        for file in &attached.files {
            println!(
                "staged {} sha256:{} ({}, {} bytes)",
                file.path.display(),
                file.entry.sha256,
                file.entry.media_type,
                file.entry.size
            );
        }
    }
    let mut collector = TurnCollector::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => collector.push(event),
            Err(error) => collector.skip(error)?,
        }
    }
    let turn = collector.finish()?;
    println!("{}", turn.final_response);
    Ok(())
}

/// Prints the error, its causes and codex's stderr tail, and returns a failing exit code.
fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", error.report());
    ExitCode::FAILURE
}
