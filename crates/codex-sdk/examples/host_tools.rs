//! Gives the agent two functions of this program and streams one turn: prints each event as
//! one JSON line, in codex's own `codex exec --json` shape, like the `streaming` example.
//!
//! - `add` takes `{"a": integer, "b": integer}` (a typed input: its schema comes from a Rust
//!   struct) and answers the sum as text;
//! - `now` takes nothing and answers the current time as Unix seconds.
//!
//! ```sh
//! cargo run -p codex-agent-sdk --example host_tools -- "What is 1234 + 4321? Use the add tool."
//! cargo run -p codex-agent-sdk --example host_tools -- --transport app-server "What time is it?"
//! ```
//!
//! On the exec transport the tools are served by the SDK's in-process MCP server (the calls
//! are `mcp_tool_call` items of the MCP server `host`); on the app-server they are dynamic
//! tools (`dynamic_tool_call` items). The per-tool metrics go to stderr at the end.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::tools::{Tool, ToolError};
use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, Transport, TurnOptions};
use futures::StreamExt as _;
use serde_json::json;

mod cli;

/// The two integers to add.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Add {
    /// The first term.
    a: i64,
    /// The second term.
    b: i64,
}

/// The `add` tool's handler: an `async fn` over its typed input.
async fn add(input: Add) -> Result<String, ToolError> {
    let sum = input.a.checked_add(input.b).ok_or("the sum overflows")?;
    Ok(sum.to_string())
}

fn tools() -> Result<ToolRegistry, codex_agent_sdk::registry::RegistrationError> {
    ToolRegistry::new()
        .with(
            Tool::typed("add", "Adds two integers and answers the sum.", add)
                .read_only(true)
                .idempotent(true),
        )?
        .with(
            Tool::new(
                "now",
                "The current time, as Unix seconds.",
                json!({"type": "object", "properties": {}}),
                |_| async {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_err(ToolError::new)?;
                    Ok(now.as_secs().to_string())
                },
            )
            .read_only(true),
        )
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
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(transport: Transport, prompt: &str) -> Result<(), Box<dyn std::error::Error>> {
    let tools = tools()?;
    let codex = Codex::new(CodexOptions::new().transport(transport))?;
    let thread = codex.start_thread(
        ThreadOptions::new()
            .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            .skip_git_repo_check(true)
            .tools(tools.clone()),
    );
    let mut events = thread.run_streamed(prompt, TurnOptions::new()).await?;
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
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: host_tools {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}
