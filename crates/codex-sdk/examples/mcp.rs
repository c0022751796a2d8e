//! Imports the tools of an external MCP server (stdio) as host tools and streams one turn:
//! prints each event as one JSON line, in codex's own `codex exec --json` shape.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example mcp -- \
//!     --stdio "npx -y @modelcontextprotocol/server-everything" --allow echo --allow get-sum \
//!     "Add 2 and 3 with the get-sum tool."
//! ```
//!
//! The server is started by the SDK (through codex-agent-exec: its own process group, reaped at
//! the end), its tools go into the namespace `external` of a `ToolRegistry` (only the
//! `--allow`ed ones when any is given; `--deny` wins), and codex calls them through the SDK's
//! own MCP server, where approvals, hooks and metrics apply. The command line is split at
//! whitespace. The per-tool metrics go to stderr at the end.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::mcp::{self, ImportOptions, McpClient, McpClientOptions};
use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, Transport, TurnOptions};
use futures::StreamExt as _;

mod cli;

/// What the command line asked for.
struct Args {
    stdio: String,
    import: ImportOptions,
    prompt: String,
}

fn parse(args: Vec<String>) -> Option<Args> {
    let mut stdio = None;
    let mut import = ImportOptions::new().namespace("external");
    let mut prompt = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stdio" => stdio = Some(args.next()?),
            "--allow" => import = import.allow(args.next()?),
            "--deny" => import = import.deny(args.next()?),
            _ if prompt.is_none() && !arg.starts_with("--") => prompt = Some(arg),
            _ => return None,
        }
    }
    Some(Args {
        stdio: stdio?,
        import,
        prompt: prompt?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let Some(args) = parse(args) else {
        return usage();
    };
    match run(transport, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(transport: Transport, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let server = mcp::stdio_command_line(&args.stdio).ok_or("--stdio needs a command line")?;
    let client = McpClient::connect(server, McpClientOptions::new().name("external")).await?;
    let tools = ToolRegistry::new();
    let import = mcp::import(&client, &tools, args.import)?;
    eprintln!("imported: {}", import.names().join(", "));
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true)
            .tools(tools.clone()),
    );
    let mut events = thread
        .run_streamed(&args.prompt, TurnOptions::new())
        .await?;
    while let Some(event) = events.next().await {
        println!("{}", event?.to_json_line());
    }
    for metrics in tools.metrics() {
        eprintln!(
            "{}: {} calls, {} errors, mean {:?}",
            metrics.name(),
            metrics.calls(),
            metrics.errors(),
            metrics.mean_latency()
        );
    }
    import.remove();
    client.shutdown().await;
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: mcp {} --stdio \"<command line>\" [--allow <tool>]... [--deny <tool>]... <prompt>",
        cli::TRANSPORT_USAGE
    );
    ExitCode::from(2)
}
