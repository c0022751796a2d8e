//! A JSON-RPC client for `codex app-server`: one long-lived codex process serving many
//! threads and turns, with approvals, dynamic tools, steering and interrupts.
//!
//! ```no_run
//! use codex_agent_exec::app_server::{AppServer, AppServerOptions, Handlers};
//! use codex_agent_exec::{CodexOptions, Discovery};
//! use codex_agent_protocol::app_server::{
//!     CommandExecutionApprovalDecision, ServerNotification, ThreadStartParams, TurnStartParams,
//!     UserInput,
//! };
//! use futures::StreamExt;
//!
//! # async fn demo() -> Result<(), codex_agent_exec::Error> {
//! let binary = Discovery::from_env().discover()?;
//! let handlers = Handlers::new();
//! handlers.on_command_approval(|_| async { CommandExecutionApprovalDecision::Accept });
//! let server = AppServer::spawn(
//!     &binary,
//!     &CodexOptions::new(),
//!     AppServerOptions::new().handlers(handlers),
//! )
//! .await?;
//! let thread = server.thread_start(ThreadStartParams::default().cwd("/work")).await?.thread;
//! let mut turn = server
//!     .turn_start(TurnStartParams::new(&thread.id, vec![UserInput::text("Run the tests")]))
//!     .await?;
//! while let Some(note) = turn.next().await {
//!     if let ServerNotification::AgentMessageDelta(delta) = note?.body {
//!         print!("{}", delta.delta);
//!     }
//! }
//! server.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The process
//!
//! [`AppServer::spawn`] starts `codex app-server --listen stdio://` exactly as `codex exec` is
//! started (discovery, environment, `--config` flags, process group, parent-death signal,
//! bounded line framing, redacted stderr tail; see the crate docs), except that stdin stays
//! open: it is the request channel. Dropping the [`AppServer`] stops codex (`SIGTERM` to the
//! group, `SIGKILL` after the grace period); [`AppServer::shutdown`] closes stdin and lets it
//! exit. [`AppServer::connect`] runs the same client over any `AsyncRead`/`AsyncWrite` pair
//! instead, which is how the record/replay tests drive it.
//!
//! # Remote app-servers
//!
//! [`AppServer::connect_remote`] connects to a `codex app-server --listen ws://IP:PORT`
//! started elsewhere, over a WebSocket (one JSON-RPC message per text frame) with the
//! [`RemoteEndpoint`]'s token as `Authorization: Bearer`; [`Runtime::remote`] runs turns
//! there with the same API as a spawned app-server, and [`RemotePool`] spreads work over
//! several endpoints, least-loaded first, taking out those that fail their `GET /readyz`
//! check. The transport is one seam (stdio lines or WebSocket frames) under the same client.
//!
//! # Messages
//!
//! * **Requests** get integer ids from 1. Each waits for its response at most the request
//!   timeout ([`Error::RequestTimeout`](crate::Error::RequestTimeout)); an error response is
//!   [`Error::Rpc`](crate::Error::Rpc) with the server's code, message and data. Writes go
//!   through one writer task fed by a bounded queue.
//! * **Notifications** go to subscriptions ([`AppServer::subscribe_all`],
//!   [`AppServer::subscribe_thread`], and the [`TurnStream`] of each [`AppServer::turn_start`])
//!   through bounded buffers. A subscriber that falls behind is closed with
//!   [`Error::Lagged`](crate::Error::Lagged) after the notifications it buffered; no
//!   notification is dropped without its subscriber being told, and the reader never waits
//!   for a consumer (which could deadlock a consumer waiting for a response). Notifications
//!   of a turn that arrive before its `turn/start` response are kept for that turn.
//! * **Server requests** (approvals, user input, elicitations, dynamic tool calls) are
//!   answered by the [`Handlers`] registered for their method, each on its own task, or by a
//!   safe default (decline, no answers, an error for unknown methods) when there is no
//!   handler, it times out or it panics. None is ever left unanswered.
//! * **Closing.** When codex exits or closes its output, every pending request and open
//!   subscription fails at once with [`Error::AppServerClosed`](crate::Error::AppServerClosed),
//!   which carries the exit status and the redacted stderr tail.
//!
//! # Supported codex versions
//!
//! The protocol of codex-cli 0.169.0 through 0.171.0, 0.170.0 excepted
//! (`codex_agent_protocol::app_server`). [`Capabilities`] tells which request fields the running codex
//! accepts.

mod capabilities;
mod client;
mod connection;
mod goals;
mod handlers;
mod options;
mod pool;
mod remote;
mod router;
mod runtime;
mod transport;

pub use capabilities::{Capabilities, CapabilitySource, ServerInfo};
pub use client::{AppServer, TurnStream};
pub use handlers::{
    HandlerFuture, Handlers, INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND, ServerRequestHandler,
};
pub use options::{
    AppServerOptions, CLIENT_NAME, CLIENT_TITLE, CLIENT_VERSION, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SERVER_REQUEST_TIMEOUT, DEFAULT_SUBSCRIPTION_CAPACITY, DEFAULT_TURN_PROBE_AFTER,
    DEFAULT_WRITE_QUEUE_LEN, TraceContext, TraceSource,
};
pub use pool::{
    DEFAULT_CHECK_INTERVAL, DEFAULT_MAX_BACKOFF, DEFAULT_MIN_BACKOFF, EndpointStatus, Lease,
    RemotePool,
};
pub use remote::{DEFAULT_CONNECT_TIMEOUT, RemoteEndpoint};
pub use router::Subscription;
pub use runtime::{
    RequestHandler, Runtime, RuntimeTurn, THREAD_REQUEST_METHODS, ThreadSlot, TurnRequest,
};
