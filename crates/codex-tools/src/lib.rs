//! Approvals and dynamic tools for codex-sdk-rs: how a client answers the requests
//! `codex app-server` sends it.
//!
//! - [`approval`]: the [`ApprovalHandler`](approval::ApprovalHandler) trait and ready-made
//!   policies for command, patch and permission approvals, questions and MCP elicitations.
//! - [`tools`]: [`DynamicTool`](tools::DynamicTool), a function of the client the model can
//!   call (`item/tool/call`).
//! - [`answer`]: one server request answered with a handler and a set of tools.
//!
//! It depends on `codex-protocol` only, does no IO and never spawns processes.

mod answer;
pub mod approval;
pub mod tools;

pub use answer::{ANSWERED_METHODS, answer, thread_id};
