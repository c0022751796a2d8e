//! Not an example: the stdio MCP server (tools `echo` and `add`) that this crate's
//! integration tests register with the real codex.
//!
//! Built by `cargo test` next to the test executable, like `sdk-fake-codex`; the tests find it
//! with `codex_agent_testkit::mcp_server::locate("sdk-mcp-echo-server")`. The server is
//! [`codex_agent_testkit::mcp_server`].

use std::process::ExitCode;

fn main() -> ExitCode {
    codex_agent_testkit::mcp_server::main()
}
