//! Approvals and host tools for codex-sdk-rs: how a client answers what codex asks of it,
//! and the functions of your program the model can call, on both transports.
//!
//! On the app-server transport, codex asks the client before it runs a command, applies a
//! patch or widens its permissions; it asks the user questions and relays MCP servers'
//! requests for input; and it calls the client's own functions, declared as dynamic tools.
//! Each of these is a JSON-RPC request that must be answered, or the turn waits forever. This
//! crate decides the answers: approval handlers and policies, typed [`tools`] in a
//! [`ToolRegistry`](registry::ToolRegistry), and [`answer`], which turns one request into its
//! response. On the exec transport, the same registry is served to codex by an in-process MCP
//! server ([`mcp`], feature `mcp`). It has no connection and spawns no process: codex-agent-sdk
//! re-exports its modules as `codex_agent_sdk::approval`, `codex_agent_sdk::tools` and
//! `codex_agent_sdk::registry`, calls [`answer`] for every request of a thread, and starts the MCP
//! server for exec turns that have tools.
//!
//! ```
//! use codex_agent_protocol::app_server::{ServerMessage, parse_server_message};
//! use codex_agent_tools::approval::{self, ApprovalDecision, ApprovalRequest};
//! use codex_agent_tools::registry::ToolRegistry;
//! use codex_agent_tools::tools::{Tool, ToolError};
//! use serde_json::json;
//!
//! // An approval handler is a closure: no `rm`, anything else runs.
//! let handler = approval::from_fn(|request: ApprovalRequest| async move {
//!     match request.command() {
//!         Some(command) if command.contains("rm ") => ApprovalDecision::Decline,
//!         _ => ApprovalDecision::Accept,
//!     }
//! });
//!
//! // A tool takes typed arguments; its JSON Schema comes from the same type.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Place {
//!     /// The city, in English.
//!     city: String,
//! }
//! let tools = ToolRegistry::new();
//! tools.register(Tool::typed(
//!     "lookup_weather",
//!     "Look up the current weather for a city.",
//!     |place: Place| async move { Ok::<_, ToolError>(format!("Sunny in {}", place.city)) },
//! )).expect("a valid tool");
//! let tools = tools.session();
//!
//! // Two requests as codex sends them, and their answers.
//! let request = |line: &str| match parse_server_message(line) {
//!     Ok(ServerMessage::Request(request)) => request.body,
//!     other => panic!("not a request: {other:?}"),
//! };
//! let approval = request(r#"{"id": 0, "method": "item/commandExecution/requestApproval",
//!     "params": {"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1,
//!                "command": "/bin/bash -lc 'rm -rf target'"}}"#);
//! let call = request(r#"{"id": 1, "method": "item/tool/call", "params": {"threadId": "t",
//!     "turnId": "u", "callId": "c", "namespace": null, "tool": "lookup_weather",
//!     "arguments": {"city": "Paris"}}}"#);
//! # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
//! assert_eq!(
//!     codex_agent_tools::answer(approval, &handler, &tools).await,
//!     Ok(json!({"decision": "decline"}))
//! );
//! assert_eq!(
//!     codex_agent_tools::answer(call, &handler, &tools).await,
//!     Ok(json!({"contentItems": [{"type": "inputText", "text": "Sunny in Paris"}], "success": true}))
//! );
//! # });
//! ```
//!
//! # What is here
//!
//! - [`approval`]: the [`ApprovalHandler`](approval::ApprovalHandler) trait and the
//!   [`ApprovalDecision`](approval::ApprovalDecision)s it returns; handlers from closures
//!   ([`from_fn`](approval::from_fn) over an [`ApprovalRequest`](approval::ApprovalRequest),
//!   [`ApprovalHandlers`](approval::ApprovalHandlers) per request kind); ready-made policies:
//!   [`AlwaysDecline`](approval::AlwaysDecline) (what a thread without a handler gets),
//!   [`AlwaysAccept`](approval::AlwaysAccept) and
//!   [`CommandPrefixPolicy`](approval::CommandPrefixPolicy) (allow and deny lists of command
//!   prefixes).
//! - [`tools`]: [`Tool`](tools::Tool), a function of this program the model can call, with
//!   typed input ([`typed`](tools::Tool::typed)) or a hand-written schema
//!   ([`new`](tools::Tool::new)), annotations and a namespace; [`ToolOutput`](tools::ToolOutput)
//!   (text, JSON, images) and [`ToolError`](tools::ToolError) (what the model sees when a call
//!   fails).
//! - [`registry`]: [`ToolRegistry`](registry::ToolRegistry) (register, deregister, list, typed
//!   [`RegistrationError`](registry::RegistrationError)s, per-tool
//!   [`ToolMetrics`](registry::ToolMetrics)) and [`ToolSession`](registry::ToolSession), which
//!   runs calls with a timeout, bounded parallelism, panic isolation and cancellation.
//! - [`mcp`] (feature `mcp`): [`McpServer`](mcp::McpServer), the registry over streamable
//!   HTTP on `127.0.0.1` with a bearer token, for `codex exec`.
//! - `mcp_client` (feature `mcp`): `McpClient`, a supervised client of an external MCP server
//!   (stdio through a [`process::ProcessLauncher`], or streamable HTTP), and `import`, which
//!   makes its tools host tools of a registry.
//! - `builtin` (feature `builtin`): opt-in `grep`, `list_files` and `shell` tools.
//! - [`process`]: the seam through which the MCP client and `shell` get child processes
//!   without this crate spawning any (codex-agent-sdk fills it with codex-agent-exec).
//! - [`answer`]: one server request answered with a handler and a tool session;
//!   [`thread_id`] to find the thread a request belongs to; [`ANSWERED_METHODS`].
//!
//! Tool calls run on tokio (each in a task of its own, so that a panic or a timeout is
//! contained); approvals are plain futures. Time limits of approvals and the promise that
//! every request is answered exactly once belong to the connection that receives the
//! requests (codex-agent-exec's `AppServer`).
//!
//! # Feature flags
//!
//! - `mcp` (off here; on in codex-agent-sdk's default features): the in-process MCP server, built on
//!   the official `rmcp` crate with hyper, and the MCP client (rmcp's client, reqwest for
//!   streamable HTTP). Costs rmcp and its dependencies (about 60 crates).
//! - `builtin` (off): the built-in tools; costs ripgrep's `grep-searcher`, `grep-regex` and
//!   `ignore` (about 15 crates).
//!
//! Supported codex versions: 0.169.0 through 0.171.0.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
pub mod approval;
#[cfg(feature = "builtin")]
pub mod builtin;
pub mod hooks;
#[cfg(feature = "mcp")]
pub mod mcp;
#[cfg(feature = "mcp")]
pub mod mcp_client;
pub mod process;
pub mod registry;
mod spans;
pub mod tools;

pub use answer::{ANSWERED_METHODS, answer, thread_id};
