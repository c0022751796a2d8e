//! Projections from the app-server model onto the exec model: what `codex app-server` sends,
//! turned into what `codex exec --json` writes, so that both transports yield the same
//! [`ThreadEvent`](crate::exec::ThreadEvent)s and [`ThreadItem`](crate::exec::ThreadItem)s.
//!
//! Like the rest of this crate, the projection is pure: values in, values out, no IO, no
//! clock, no async runtime. Reading notifications from the server and delivering the events
//! is the caller's job (codex-agent-sdk's app-server transport does both), which keeps the
//! projection testable on the live transcripts alone.
//!
//! - [`item`] projects one app-server [`ThreadItem`](crate::app_server::ThreadItem);
//!   [`is_user_message`] tells the user's own input, which exec does not report, apart.
//! - [`TurnProjection`] projects the notifications of one turn, one at a time, into events;
//!   it remembers what a turn needs (open items, summed usage, the plan).
//!
//! # Items
//!
//! | app-server `type` | exec `type` | notes |
//! |---|---|---|
//! | `agentMessage` | `agent_message` | `phase` kept |
//! | `reasoning` | `reasoning` | `text` = summary parts joined with `\n` (as exec); raw parts in `content` |
//! | `commandExecution` | `command_execution` | `aggregatedOutput: null` → `""`; `cwd`, `durationMs`, `processId` kept; `completed` with a non-zero exit code → `failed`, as exec reports it |
//! | `fileChange` | `file_change` | per-file `diff` and `move_path` kept |
//! | `mcpToolCall` | `mcp_tool_call` | `durationMs` kept; `structuredContent: null` → absent |
//! | `dynamicToolCall` | `dynamic_tool_call` | a type exec does not have: the client runs these tools |
//! | `webSearch` | `web_search` | actions renamed to exec's spelling (`openPage` → `open_page`) |
//! | anything else | [`ItemDetails::Unknown`](crate::exec::ItemDetails::Unknown) | `type` and fields as the app-server sent them (camelCase, so never mistaken for an exec type) |
//!
//! Statuses go from camelCase to exec's spelling (`inProgress` → `in_progress`); an unknown
//! status keeps its value, converted to `snake_case`. The timestamps every app-server item
//! carries (`startedAtMs`, `completedAtMs`) are dropped: the exec model has no place for them
//! and the events are delivered as they happen. Fields the app-server has and exec does not
//! (`moderation`, `pluginId`, MCP app metadata, …) are kept in `extra` under `snake_case`
//! keys when set; fields a newer codex adds land in `extra` too.
//!
//! # Turns
//!
//! | app-server notification | exec events |
//! |---|---|
//! | `turn/started` | `turn.started` |
//! | `item/started`, `item/completed` | `item.started`, `item.completed` (items projected by [`item`]); `userMessage` items (the user's own input, steer input included) are not reported, as exec does not report them |
//! | `item/agentMessage/delta`, `item/reasoning/summaryTextDelta`, `item/reasoning/textDelta`, `item/commandExecution/outputDelta`, `item/fileChange/outputDelta` | the delta events exec does not have (`item.agent_message.delta`, …) |
//! | `turn/plan/updated` | a `todo_list` item with id `todo_list_<turn id>`: `item.started` the first time, `item.updated` after, `item.completed` when the turn ends (exec's order) |
//! | `thread/tokenUsage/updated` | nothing; its `last` counts (one model call each) are summed into the turn's usage, exec's per-turn sum |
//! | `error` | `error` (retries included, as exec reports its reconnects) |
//! | `turn/completed` `completed` | `turn.completed` with the summed usage |
//! | `turn/completed` `interrupted` | `item.completed` for every item still open, with status `interrupted` and the text streamed so far, then `turn.completed` with `status: interrupted` |
//! | `turn/completed` `failed` | `turn.failed` with the message, `codex_error_info` and `additional_details` |
//!
//! Everything else (status changes, rate limits, diffs, methods a newer codex adds, …)
//! produces no event.
//!
//! # Where the projection and `codex exec` differ
//!
//! The projection adds; it does not reshape. Checked against the exec capture of the same
//! scenario (`tests/it/projection.rs`), the projected items have exec's types, texts,
//! commands, outputs, exit codes and statuses, and the turn the same usage. The differences
//! are deliberate:
//!
//! - item ids are the app-server's (`msg_…`, `call_…`), not exec's counters (`item_0`, …);
//! - every item gets `item.started` before `item.completed`, where exec reports agent
//!   messages and reasoning by `item.completed` alone;
//! - the additions exec never writes, all optional: delta events, `cwd`, `duration_ms`,
//!   `process_id`, `phase`, `model_context_window` in the usage, `codex_error_info` on
//!   `turn.failed`, `interrupted` statuses and `turn.completed.status`;
//! - the `thread.started` event is not the projection's: a turn has no thread to start, so
//!   the caller emits it when it knows the thread id.

mod items;
mod turn;

pub use items::{is_user_message, item};
pub use turn::TurnProjection;
