//! Rust SDK for driving the OpenAI Codex coding agent.
//!
//! `codex-sdk` is the facade: [`Codex`] finds the codex CLI, [`Thread`]s hold conversations,
//! and each [`Thread::run`] is one turn, collected into a [`Turn`]; [`Thread::run_streamed`]
//! yields the events as they come. It reads like the official TypeScript SDK and runs the same
//! `codex exec --json` process per turn, with process-group supervision, typed errors and
//! structured output that cannot be rejected by strict mode.
//!
//! ```no_run
//! use codex_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
//!
//! # async fn demo() -> Result<(), codex_sdk::Error> {
//! let codex = Codex::new(CodexOptions::new())?;
//! let thread = codex.start_thread(ThreadOptions::new().skip_git_repo_check(true));
//! let turn = thread.run("Diagnose the failing test", TurnOptions::new()).await?;
//! println!("{}", turn.final_response);
//! let next = thread.run("Fix it", TurnOptions::new()).await?;
//! println!("{} items, thread {:?}", next.items.len(), thread.id());
//! # Ok(()) }
//! ```
//!
//! Supported codex versions: 0.169.0.

mod app_server;
pub mod approval;
mod codex;
mod error;
pub mod retry;
pub mod structured;
mod thread;
mod thread_options;
pub mod tools;

pub use codex::{Codex, CodexOptions, Transport};
pub use error::Error;
pub use retry::{RetryPolicy, retry};
pub use thread::{Thread, Turn, TurnOptions, TurnStream};
pub use thread_options::ThreadOptions;

pub use codex_exec::{
    ApprovalPolicy, CancelHandle, CodexBinary, CyberAccessProgram, Input, ReasoningEffort,
    SandboxMode, UserInput, Version, WebSearchMode,
};
pub use codex_protocol::app_server::CodexErrorInfo;
pub use codex_protocol::exec::{
    AgentMessageItem, CommandExecutionItem, CommandExecutionStatus, DynamicToolCallItem,
    DynamicToolCallStatus, ErrorItem, FileChangeItem, FileUpdateChange, ItemDelta, ItemDetails,
    McpToolCallItem, McpToolCallStatus, MessagePhase, PatchApplyStatus, PatchChangeKind,
    ReasoningItem, ReasoningSummaryDelta, ReasoningTextDelta, TextItemStatus, ThreadEvent,
    ThreadItem, TodoItem, TodoListItem, TurnStatus, Usage, WebSearchItem,
};
