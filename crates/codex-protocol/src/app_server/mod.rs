//! App-server JSON-RPC protocol types (`codex app-server --listen stdio://`, codex 0.169.0
//! through 0.171.0).
//!
//! `codex app-server` speaks newline-delimited JSON on stdio: JSON-RPC 2.0 messages without
//! the `"jsonrpc"` field. A client sends `initialize`, then the `initialized` notification,
//! then `thread/start` and `turn/start`; the server streams notifications until
//! `turn/completed`, and sends requests (approvals, dynamic tool calls, user input) that the
//! client must answer.
//!
//! ```
//! use codex_agent_protocol::app_server::{self, ServerMessage, ServerNotification, ThreadItem};
//!
//! let line = r#"{"method":"item/agentMessage/delta","params":{"threadId":"t","turnId":"u","itemId":"m","delta":"Hi"},"emittedAtMs":1}"#;
//! let ServerMessage::Notification(n) = app_server::parse_server_message(line)? else { unreachable!() };
//! let ServerNotification::AgentMessageDelta(delta) = &n.body else { unreachable!() };
//! assert_eq!(delta.delta, "Hi");
//! assert_eq!(n.emitted_at_ms, Some(1));
//! # Ok::<(), codex_agent_protocol::ParseError>(())
//! ```
//!
//! # Entry points
//!
//! * [`parse_server_message`] / [`parse_client_message`]: one line in each direction, into
//!   [`ServerMessage`] / [`ClientMessage`]. Serializing (`serde_json::to_string`, or
//!   `to_line()`) writes the same wire shape back.
//! * [`parse_server_message_strict`] / [`parse_client_message_strict`]: the same, but anything
//!   this crate does not model is a [`ParseError::Strict`](crate::ParseError::Strict).
//! * [`ClientRequestResult::from_result`] / [`ServerRequestResult::from_result`]: a
//!   response's `result`, typed by the method of the request it answers (or
//!   [`Response::result_as`]).
//!
//! # Forward compatibility: unknowns surface as `Unknown`
//!
//! A newer codex adds methods, item types, enum values and fields. None of that is an error
//! here: every enum is `#[non_exhaustive]` and has an `Unknown` variant that keeps the raw
//! JSON (`Unknown { method, params }` for methods, `Unknown(Value)` for the rest), and every
//! struct keeps fields it does not model in `extra`. Serializing gives the input back.
//! [`Unknowns::unknowns`](crate::Unknowns::unknowns) lists all of them with their paths; strict parsing uses it.
//!
//! # Absent and `null`
//!
//! Codex writes most unset optional fields as explicit `null` and leaves a few out. To give
//! back exactly what was read:
//!
//! * optional fields of server-written payloads are `Option<T>` written as `null` when `None`
//!   (codex's own behaviour), except the ones codex omits, which are documented on the field
//!   (for example [`ConfigWarningNotification::path`],
//!   [`CommandExecutionRequestApprovalParams`] as a whole);
//! * optional fields of client-written payloads (request params, answers to server requests)
//!   are omitted when `None`;
//! * optional fields that cannot be `null` on the wire (booleans with a default, …) are
//!   omitted when `None`, which is exact both ways;
//! * optional fields of any JSON type (`outputSchema`, MCP `structuredContent`, …) keep an
//!   explicit `null` as `Some(Value::Null)`.
//!
//! A server-written field that an older or newer codex leaves out is read as `None` and
//! written back as `null`; a client payload with explicit `null`s is written back without
//! them. Both are documented losses of shape, not of meaning.
//!
//! # Messages of the core flow
//!
//! ## `initialize` → [`InitializeParams`], result [`InitializeResponse`]
//! `clientInfo {name, title?, version}` and `capabilities {experimentalApi,
//! optOutNotificationMethods}`; the result has `userAgent` (which embeds the codex version,
//! see [`InitializeResponse::server_version`]), `codexHome`, `platformFamily`, `platformOs`.
//!
//! ## `initialized` → [`ClientNotification::Initialized`]
//! No params. Before it, the server may already send `configWarning` and
//! `remoteControl/status/changed`.
//!
//! ## `thread/start`, `thread/resume`, `thread/fork` → [`ThreadStartParams`], [`ThreadResumeParams`], [`ThreadForkParams`]
//! Results carry the [`Thread`] and the effective settings (model, cwd, approval policy,
//! sandbox policy). `thread/started` follows.
//!
//! ## `thread/list`, `thread/read`, `thread/archive`, `thread/unarchive`, `thread/name/set`
//! [`ThreadListParams`] → [`ThreadListResponse`] (a page of threads and a cursor),
//! [`ThreadReadParams`] → [`ThreadReadResponse`], [`ThreadArchiveParams`] → `{}`,
//! [`ThreadUnarchiveParams`] → [`ThreadUnarchiveResponse`], [`ThreadSetNameParams`] → `{}`.
//!
//! ## `turn/start`, `turn/steer`, `turn/interrupt`
//! [`TurnStartParams`] (`threadId`, `input: [UserInput]`, sticky overrides) →
//! [`TurnStartResponse`] (the `inProgress` turn); [`TurnSteerParams`] → `{turnId}`;
//! [`TurnInterruptParams`] → `{}`, then `turn/completed` with status `interrupted`.
//!
//! ## `model/list`, `account/read`, `mcpServerStatus/list`
//! [`ModelListParams`] → [`ModelListResponse`] (a page of [`Model`]s),
//! [`GetAccountParams`] → [`GetAccountResponse`] (the [`Account`], if any),
//! [`ListMcpServerStatusParams`] → [`ListMcpServerStatusResponse`] (a page of
//! [`McpServerStatus`]es). Only the schema's required fields and a few others are modeled; the
//! rest stay in `extra`.
//!
//! ## Notifications: [`ServerNotification`]
//! `thread/started`, `thread/status/changed`, `turn/started`, `item/started`,
//! `item/agentMessage/delta`, `item/reasoning/*`, `item/commandExecution/outputDelta`,
//! `item/completed`, `turn/plan/updated`, `turn/diff/updated`, `thread/tokenUsage/updated`,
//! `error {error, willRetry}`, `serverRequest/resolved`, `turn/completed` ([`Turn`] with
//! [`TurnStatus`] and [`TurnError`] / [`CodexErrorInfo`]). Items are [`ThreadItem`]s. Each
//! notification carries `emittedAtMs` next to `params` ([`Notification::emitted_at_ms`]).
//!
//! ## Server requests: [`ServerRequest`]
//! `item/commandExecution/requestApproval` (answer [`CommandExecutionApprovalDecision`]),
//! `item/fileChange/requestApproval` ([`FileChangeApprovalDecision`]),
//! `item/permissions/requestApproval`, `item/tool/requestUserInput`, `item/tool/call`
//! (dynamic tools, answer [`DynamicToolCallResponse`]) and `mcpServer/elicitation/request`.
//! Server request ids start at 0.

mod envelope;
pub(crate) mod macros;
mod unknowns;
pub mod v2;

pub use envelope::{
    ClientMessage, ErrorResponse, JsonRpcError, Notification, Request, RequestId, Response,
    ServerMessage, parse_client_message, parse_client_message_strict, parse_server_message,
    parse_server_message_strict,
};
pub use v2::*;
