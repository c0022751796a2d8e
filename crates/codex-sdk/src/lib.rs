//! Rust SDK for driving the OpenAI Codex coding agent.
//!
//! `codex-agent-sdk` is the facade: [`Codex`] finds the codex CLI, [`Thread`]s hold conversations,
//! and each [`Thread::run`] is one turn, collected into a [`Turn`]; [`Thread::run_streamed`]
//! yields the events as they come. It reads like the official TypeScript SDK and runs the same
//! `codex exec --json` process per turn, with process-group supervision, typed errors and
//! structured output that cannot be rejected by strict mode.
//!
//! ```no_run
//! use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
//!
//! # async fn demo() -> Result<(), codex_agent_sdk::Error> {
//! let codex = Codex::new(CodexOptions::new())?;
//! let thread = codex.start_thread(ThreadOptions::new().skip_git_repo_check(true));
//! let turn = thread.run("Diagnose the failing test", TurnOptions::new()).await?;
//! println!("{}", turn.final_response);
//! let next = thread.run("Fix it", TurnOptions::new()).await?;
//! println!("{} items, thread {:?}", next.items.len(), thread.id());
//! # Ok(()) }
//! ```
//!
//! # Two transports
//!
//! By default each turn runs one `codex exec --json` process, as the TypeScript SDK does.
//! [`Transport::AppServer`] runs the same code over one long-lived `codex app-server` per
//! [`Codex`], shared by its threads, and adds what exec cannot do: text deltas in the stream,
//! [`TurnStream::interrupt`] and [`TurnStream::steer`], approvals answered by an
//! [`approval::ApprovalHandler`] and base instructions. Both yield the same
//! [`ThreadEvent`]s and [`Turn`]s for the same work; see [`Transport`] for the differences.
//!
//! ```no_run
//! use codex_agent_sdk::approval::CommandPrefixPolicy;
//! use codex_agent_sdk::{
//!     ApprovalPolicy, Codex, CodexOptions, ThreadEvent, ThreadOptions, Transport, TurnOptions,
//! };
//! use futures::StreamExt as _;
//!
//! # async fn demo() -> Result<(), codex_agent_sdk::Error> {
//! let codex = Codex::new(CodexOptions::new().transport(Transport::AppServer))?;
//! let thread = codex.start_thread(
//!     ThreadOptions::new()
//!         .approval_policy(ApprovalPolicy::OnRequest)
//!         .approval_handler(CommandPrefixPolicy::new().allow(["cargo", "test"]).deny(["rm"]))
//!         .developer_instructions("Keep answers short."),
//! );
//! let mut events = thread.run_streamed("Run the tests", TurnOptions::new()).await?;
//! while let Some(event) = events.next().await {
//!     match event? {
//!         ThreadEvent::AgentMessageDelta(delta) => print!("{}", delta.delta),
//!         ThreadEvent::ItemStarted(started) if started.item.item_type() == "web_search" => {
//!             // Changed our mind: stop the turn, gracefully.
//!             events.interrupt().await?;
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Attachments
//!
//! [`TurnOptions::attach`] hands files, images and directories to a turn. Each is staged once
//! in the [`Codex`]'s content-addressed store (see [`files`]; configured with
//! [`CodexOptions::attachment_store`]) and placed in a read-only view for the turn, which is
//! removed when the turn ends, however it ends. **Only images reach the model as images**
//! (`--image` on exec, `localImage` on the app-server); files and directories are listed in
//! the prompt by path, and the agent reads them with its tools.
//!
//! ```no_run
//! use codex_agent_sdk::{Attachment, Codex, CodexOptions, ThreadOptions, TurnOptions};
//!
//! # async fn demo() -> Result<(), codex_agent_sdk::Error> {
//! let codex = Codex::new(CodexOptions::new())?;
//! let thread = codex.start_thread(ThreadOptions::new());
//! let options = TurnOptions::new()
//!     .attach(Attachment::file("logs/build.log"))
//!     .attach(Attachment::image("screenshot.png"));
//! let turn = thread.run("Why did the build fail?", options).await?;
//! println!("{}", turn.final_response);
//! # Ok(()) }
//! ```
//!
//! # Host tools, on both transports
//!
//! A [`tools::Tool`] is a function of your program the model can call: a typed input (its
//! schema derived and made strict-mode safe), an async handler returning text, JSON or images,
//! or an error the model sees. Tools live in a [`registry::ToolRegistry`] given to a thread.
//! On the app-server they are declared as `dynamicTools` (calls are `dynamic_tool_call`
//! items); on exec they are served by an in-process MCP server on `127.0.0.1`, guarded by a
//! fresh bearer token per [`Codex`] (calls are `mcp_tool_call` items; cargo feature `mcp`, on
//! by default). Every call gets a timeout, runs in its own task with bounded parallelism, is
//! cancelled when its turn ends, and is counted in [`registry::ToolRegistry::metrics`].
//!
//! ```no_run
//! use codex_agent_sdk::registry::ToolRegistry;
//! use codex_agent_sdk::tools::{Tool, ToolError};
//! use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Add {
//!     a: i64,
//!     b: i64,
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tools = ToolRegistry::new().with(Tool::typed("add", "Adds two integers.", |i: Add| async move {
//!     Ok::<_, ToolError>((i.a + i.b).to_string())
//! }))?;
//! let codex = Codex::new(CodexOptions::new())?;
//! let thread = codex.start_thread(ThreadOptions::new().tools(tools.clone()));
//! let turn = thread.run("What is 2 + 3? Use the add tool.", TurnOptions::new()).await?;
//! // `metrics()` lists the tools called so far: empty when the model answered without one.
//! let calls: u64 = tools.metrics().iter().map(|m| m.calls()).sum();
//! println!("{} ({calls} tool calls)", turn.final_response);
//! # Ok(()) }
//! ```
//!
//! # Telemetry
//!
//! Every turn emits `tracing` spans after the `OpenTelemetry` `GenAI` conventions (thread →
//! `invoke_agent codex` → `execute_tool {name}`, `approval {kind}`, `hook {event}`);
//! [`CodexOptions::telemetry`] adds an event log and prices, [`ThreadOptions::budget`] limits
//! turns, tokens and cost, and [`Thread::usage`] reports them (see [`telemetry`]). The `otlp`
//! cargo feature (off by default; it adds `opentelemetry-otlp` and `tracing-opentelemetry`)
//! exports the spans and metrics over OTLP/HTTP, `otlp-grpc` over gRPC as well (configured in
//! code or by `OTEL_EXPORTER_OTLP_*`), and links codex's own spans to them on the app-server.
//!
//! ```no_run
//! # async fn demo() -> Result<(), codex_agent_sdk::Error> {
//! use codex_agent_sdk::telemetry::{EventLog, EventLogOptions};
//! use codex_agent_sdk::{Budget, Codex, CodexOptions, Telemetry, ThreadOptions, TurnOptions};
//!
//! let log = EventLog::open(EventLogOptions::new("logs")).map_err(codex_agent_sdk::Error::Telemetry)?;
//! let codex = Codex::new(CodexOptions::new().telemetry(Telemetry::new().event_log(log)))?;
//! let thread = codex.start_thread(
//!     ThreadOptions::new().model("gpt-5").budget(Budget::new().max_usd(0.50)),
//! );
//! thread.run("Fix the failing test", TurnOptions::new()).await?;
//! println!("{:?} USD so far", thread.usage().cost_usd);
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//!
//! - `mcp` (default): host tools on the exec transport, through codex-agent-tools' in-process MCP
//!   server (rmcp and hyper). Without it, an exec thread with tools fails with
//!   [`Error::Unsupported`]. Also the client of external MCP servers (`mcp` module: connect
//!   over stdio or streamable HTTP, import their tools into a registry).
//! - `builtin` (off): the opt-in tools `builtin::grep`, `builtin::list_files` (ripgrep's
//!   crates) and `builtin::shell`.
//! - `otlp` (off): OTLP/HTTP export of the SDK's spans and metrics (`telemetry::otlp`; adds
//!   `opentelemetry-otlp` and `tracing-opentelemetry`).
//! - `otlp-grpc` (off): `otlp`, plus OTLP over gRPC (`OtlpProtocol::Grpc`, or
//!   `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`; adds tonic). The exporter runs on the Tokio runtime it
//!   is built in.
//!
//! # Secrets
//!
//! The API key is a [`Secret`]: `Debug` prints `[REDACTED]`, and it reaches codex through its
//! environment, never argv. Everything codex writes is redacted of it before you see it
//! (events, items, [`Turn`]s, errors, stderr tails, log records), and the commands the agent
//! runs do not see it; the same holds for `OPENAI_API_KEY`, a custom provider's `env_key`, an
//! MCP server's `bearer_token_env_var`, and whatever you register with
//! [`CodexOptions::secret`] or [`CodexOptions::secret_env`].
//!
//! # Naming every type
//!
//! The common types are re-exported at the root; everything else a public signature
//! mentions is reachable under [`protocol`] (the wire types, the projection of app-server
//! notifications onto these events) and [`exec`] (process supervision, the app-server client
//! and runtime), so a program never needs a second dependency to name a type.
//!
//! Supported codex versions: 0.169.0 through 0.171.0, except 0.170.0, whose npm package is
//! broken (it names platform packages that were never published). The tests that run the real
//! CLI run against both 0.169.0 and 0.171.0, over both transports.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "builtin")]
pub mod builtin;
mod codex;
mod error;
mod goals;
#[cfg(any(feature = "mcp", feature = "builtin"))]
mod launcher;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod retry;
mod thread;
mod thread_options;
mod threads;
mod turn;

pub use codex_agent_protocol::structured;
pub use codex_agent_tools::{approval, hooks, registry, tools};

/// The attachment store ([`files::Store`], its options, entries and errors), for what
/// [`TurnOptions::attach`] and [`Codex::attachment_store`] do not wrap.
pub use codex_agent_files as files;
pub use codex_agent_files::{Attached, Attachment};

pub use codex::{Codex, CodexOptions, Transport};
pub use error::{Error, Report, TimeoutKind};
pub use goals::{GoalEvent, GoalEvents, GoalUpdate};
pub use retry::{RetryPolicy, retry};
pub use thread::{Thread, TurnOptions, TurnStream};
pub use thread_options::ThreadOptions;
pub use threads::{ThreadList, ThreadListOptions};
pub use turn::{JsonTurn, SkippedLine, Turn, TurnCollector};

/// Spans, the event log, pricing and budgets ([`telemetry::Telemetry`],
/// [`telemetry::EventLog`], [`telemetry::PricingTable`], [`telemetry::Budget`]).
pub use codex_agent_telemetry as telemetry;
pub use codex_agent_telemetry::{Budget, BudgetExceeded, Telemetry, ThreadUsage};

/// The wire types and parsers the SDK is built on, for the names the curated list below does
/// not carry (every type a public signature of this crate mentions is reachable from here).
pub use codex_agent_protocol as protocol;

/// Process supervision and the app-server client, for what the facade does not wrap.
pub use codex_agent_exec as exec;

/// The JSON types the options and tools take (`Value`, `Map`, `json!`), so that they can be
/// named without a dependency of your own.
pub use serde_json;

/// Remote app-servers ([`CodexOptions::remote`]) and a pool of them.
pub use codex_agent_exec::app_server::{EndpointStatus, Lease, RemoteEndpoint, RemotePool};
pub use codex_agent_exec::{
    ApprovalPolicy, BinarySource, CancelHandle, CodexBinary, Containment, CyberAccessProgram,
    Input, ReasoningEffort, SandboxMode, UserInput, Version, WebSearchMode,
};
/// MCP and dynamic tool payloads in items ([`McpToolCallItem::arguments`], ...) are JSON text.
pub use codex_agent_protocol::RawJson;
pub use codex_agent_protocol::app_server::{CodexErrorInfo, ThreadGoal, ThreadGoalStatus};
pub use codex_agent_protocol::exec::{
    AgentMessageItem, CommandExecutionItem, CommandExecutionStatus, DynamicToolCallItem,
    DynamicToolCallStatus, ErrorItem, FileChangeItem, FileUpdateChange, ItemDelta, ItemDetails,
    ItemEvent, McpContent, McpEmbeddedResource, McpMediaContent, McpResourceContents,
    McpResourceLink, McpTextContent, McpToolCallError, McpToolCallItem, McpToolCallResult,
    McpToolCallStatus, MessagePhase, PatchApplyStatus, PatchChangeKind, ReasoningItem,
    ReasoningSummaryDelta, ReasoningTextDelta, StreamError, TextItemStatus, ThreadEvent,
    ThreadItem, ThreadStarted, TodoItem, TodoListItem, TurnCompleted, TurnError, TurnFailed,
    TurnStarted, TurnStatus, Usage, WebSearchItem,
};
pub use codex_agent_protocol::history::{
    RecordProblem, ThreadExport, ThreadRecord, ThreadSummary, TurnRecord, TurnRecordStatus,
};
pub use codex_agent_protocol::secret::{Redactor, Secret};
