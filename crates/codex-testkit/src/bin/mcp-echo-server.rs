//! A tiny stdio MCP server for tests, with tools `echo` and `add`.
//!
//! See [`codex_agent_testkit::mcp_server`] for the protocol subset it speaks.

use std::process::ExitCode;

fn main() -> ExitCode {
    codex_agent_testkit::mcp_server::main()
}
