//! Approvals and dynamic tools for codex-sdk-rs: how a client answers the requests
//! `codex app-server` sends it.
//!
//! On the app-server transport, codex asks the client before it runs a command, applies a
//! patch or widens its permissions; it asks the user questions and relays MCP servers'
//! requests for input; and it calls the client's own functions, declared as dynamic tools.
//! Each of these is a JSON-RPC request that must be answered, or the turn waits forever. This
//! crate decides the answers: approval handlers and policies, typed tools, and [`answer`],
//! which turns one request into its response. It has no connection of its own: codex-sdk
//! re-exports its modules as `codex_sdk::approval` and `codex_sdk::tools` and calls [`answer`]
//! for every request of a thread; a client built on codex-exec's `AppServer` can register it
//! for [`ANSWERED_METHODS`] the same way.
//!
//! ```
//! use codex_protocol::app_server::{ServerMessage, parse_server_message};
//! use codex_tools::approval::{self, ApprovalDecision, ApprovalRequest};
//! use codex_tools::tools::{DynamicTool, ToolOutput};
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
//! let tools = [DynamicTool::typed(
//!     "lookup_weather",
//!     "Look up the current weather for a city.",
//!     |place: Place| async move { Ok(ToolOutput::text(format!("Sunny in {}", place.city))) },
//! )];
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
//! # futures::executor::block_on(async {
//! assert_eq!(
//!     codex_tools::answer(approval, &handler, &tools).await,
//!     Ok(json!({"decision": "decline"}))
//! );
//! assert_eq!(
//!     codex_tools::answer(call, &handler, &tools).await,
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
//! - [`tools`]: [`DynamicTool`](tools::DynamicTool), a function of the client the model can
//!   call, with a hand-written schema ([`new`](tools::DynamicTool::new)) or typed arguments
//!   ([`typed`](tools::DynamicTool::typed)); [`ToolOutput`](tools::ToolOutput), its text and
//!   image parts.
//! - [`answer`]: one server request answered with a handler and a set of tools;
//!   [`thread_id`] to find the thread a request belongs to; [`ANSWERED_METHODS`].
//!
//! Everything here is pure: no IO, no processes, no async runtime (the futures run on any
//! executor). Time limits and the promise that every request is answered exactly once
//! belong to the connection that receives the requests (codex-exec's `AppServer`).
//!
//! There are no cargo features. Supported codex versions: 0.169.0.

mod answer;
pub mod approval;
pub mod tools;

pub use answer::{ANSWERED_METHODS, answer, thread_id};
