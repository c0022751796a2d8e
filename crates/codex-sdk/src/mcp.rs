//! External MCP servers (feature `mcp`): connect to one, list and call its tools, and import
//! them as host tools, so codex calls them through this SDK, where approvals, hooks and
//! metrics apply; or declare a server to codex directly ([`declare_to_codex`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use codex_agent_sdk::mcp::{self, ImportOptions, McpClient, McpClientOptions};
//! use codex_agent_sdk::registry::ToolRegistry;
//!
//! let transport = mcp::stdio("npx", ["-y", "@modelcontextprotocol/server-everything"]);
//! let client = McpClient::connect(transport, McpClientOptions::new().name("everything")).await?;
//! let tools = ToolRegistry::new();
//! let _import = mcp::import(&client, &tools, ImportOptions::new().allow("echo"))?;
//! # Ok(()) }
//! ```

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

pub use codex_agent_tools::mcp_client::{
    Error, Import, ImportOptions, McpCallResult, McpClient, McpClientOptions, McpProgress,
    McpPrompt, McpResource, McpServerInfo, McpTool, McpTransport, TRUNCATION_MARKER, import,
};
pub use codex_agent_tools::process::{LaunchSpec, LaunchedProcess, ProcessExit, ProcessLauncher};

use crate::CodexOptions;
pub use crate::launcher::ExecLauncher;

/// A stdio MCP server: `program` with `args`, started through [`ExecLauncher`].
pub fn stdio<I, S>(program: impl Into<PathBuf>, args: I) -> McpTransport
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    McpTransport::stdio(Arc::new(ExecLauncher), LaunchSpec::new(program).args(args))
}

/// A stdio MCP server from one command line, split at whitespace (no quoting): the first
/// word is the program. `None` for a blank line.
#[must_use]
pub fn stdio_command_line(command_line: &str) -> Option<McpTransport> {
    let mut words = command_line.split_whitespace();
    let program = words.next()?;
    Some(stdio(program, words))
}

/// Declares a stdio MCP server to codex itself (`--config mcp_servers.<name>.command=…`,
/// `args`, `required = true`): codex starts it, owns it and calls its tools; this SDK does
/// not see those calls. With `required`, a server that fails to start fails the turn instead
/// of being dropped silently.
pub fn declare_to_codex<I, S>(
    options: CodexOptions,
    name: &str,
    program: &str,
    args: I,
) -> CodexOptions
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    options.config_entry(
        format!("mcp_servers.{name}"),
        json!({"command": program, "args": args, "required": true}),
    )
}

/// The config value [`declare_to_codex`] sets, for callers building their own config map.
#[must_use]
pub fn codex_server_config(program: &str, args: &[&str]) -> Value {
    json!({"command": program, "args": args, "required": true})
}
