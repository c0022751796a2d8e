//! Exec JSONL types: what `codex exec --json` writes on stdout, one event per line.
//!
//! Modeled on codex CLI 0.169.0; 0.171.0 writes the same events and items. Every line parses
//! into a [`ThreadEvent`]:
//!
//! - an unknown event `type` becomes [`ThreadEvent::Unknown`] with the whole object;
//! - an unknown item `type` becomes [`ItemDetails::Unknown`] with every field;
//! - an unknown status or kind value becomes that enum's `Unknown(String)`;
//! - an unknown field on a known type is kept in that type's `extra` map;
//!
//! so that parsing a newer codex's output never fails on something new and re-serializing
//! loses nothing. [`parse_event_strict`] rejects all of these instead, for tests.
//!
//! Known quirks handled here:
//!
//! - `web_search` items carry `"id"` twice (item id, then search id); a plain serde derive
//!   rejects that line, this parser keeps both ([`WebSearchItem::search_id`]).
//! - `turn.completed.usage.cache_write_input_tokens` is absent in older codex versions and
//!   defaults to `0` (as the TypeScript SDK does).
//!
//! # The same model for the app-server transport
//!
//! [`projection`](crate::projection) maps the app-server's items and notifications onto these
//! types (codex-agent-sdk's app-server transport runs it), so that both transports yield the same
//! events. What only the app-server has arrives as additions that
//! `codex exec` never writes, all optional and omitted when unset, so exec lines round-trip
//! byte for byte: delta events (`item.agent_message.delta`, …, see [`ThreadEvent`]), the
//! `dynamic_tool_call` item, the `interrupted` statuses of items closed after an interrupt,
//! `turn.completed.status`, and fields such as [`CommandExecutionItem::duration_ms`],
//! [`AgentMessageItem::phase`], [`FileUpdateChange::diff`] and
//! [`TurnError::codex_error_info`].
//!
//! ```
//! use codex_agent_protocol::exec::{parse_event, ThreadEvent};
//!
//! let event = parse_event(r#"{"type":"thread.started","thread_id":"01a1"}"#)?;
//! let ThreadEvent::ThreadStarted(started) = &event else { panic!("not thread.started") };
//! assert_eq!(started.thread_id, "01a1");
//! assert_eq!(event.to_json_line(), r#"{"type":"thread.started","thread_id":"01a1"}"#);
//! # Ok::<(), codex_agent_protocol::ParseError>(())
//! ```

mod event;
pub(crate) mod fast_event;
mod item;
#[cfg(test)]
mod properties;
mod transcript;

pub use event::{
    ItemDelta, ItemEvent, ReasoningSummaryDelta, ReasoningTextDelta, StreamError, ThreadEvent,
    ThreadStarted, TurnCompleted, TurnError, TurnFailed, TurnStarted, TurnStatus, Usage,
};
pub use item::{
    AgentMessageItem, CollabAgentState, CollabAgentStatus, CollabTool, CollabToolCallItem,
    CollabToolCallStatus, CommandExecutionItem, CommandExecutionStatus, DynamicToolCallItem,
    DynamicToolCallStatus, ErrorItem, FileChangeItem, FileUpdateChange, ItemDetails, ItemStatus,
    McpContent, McpEmbeddedResource, McpMediaContent, McpResourceContents, McpResourceLink,
    McpTextContent, McpToolCallError, McpToolCallItem, McpToolCallResult, McpToolCallStatus,
    MessagePhase, PatchApplyStatus, PatchChangeKind, ReasoningItem, TextItemStatus, ThreadItem,
    TodoItem, TodoListItem, UnknownItem, WebSearchAction, WebSearchItem,
};
pub use transcript::TranscriptReport;

use crate::ParseError;
use crate::wire::Unknowns;

/// Parses one line of `codex exec --json` output (without its newline; a trailing `\r` or
/// surrounding whitespace is fine).
///
/// Never panics, whatever the input. The error carries a bounded excerpt; set the line number
/// with [`ParseError::with_line`].
///
/// # Errors
///
/// [`ParseError::Json`] when the line is not JSON, [`ParseError::Shape`] when it is JSON but not
/// an event object (no `type`, a known type missing a required field, a field of the wrong type).
pub fn parse_event(line: &str) -> Result<ThreadEvent, ParseError> {
    if let Some(event) = fast_event::event(line) {
        return Ok(event);
    }
    crate::fast_json::parse_with(line, |e| ParseError::from_serde(&e, line))
}

/// Like [`parse_event`], for raw bytes: invalid UTF-8 is a [`ParseError::Json`].
///
/// # Errors
///
/// As [`parse_event`].
pub fn parse_event_bytes(line: &[u8]) -> Result<ThreadEvent, ParseError> {
    match std::str::from_utf8(line) {
        Ok(text) => parse_event(text),
        Err(e) => {
            let valid = &line[..e.valid_up_to()];
            let excerpt = String::from_utf8_lossy(
                &valid[valid.len().saturating_sub(crate::MAX_EXCERPT_CHARS)..],
            );
            Err(ParseError::Json {
                line: None,
                reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                excerpt: crate::error::excerpt_around(&excerpt, 0, 0),
            })
        }
    }
}

/// Strict mode, for tests: like [`parse_event`], but anything this crate does not model
/// (unknown event, item, status or kind values; unknown fields) is an error.
///
/// # Errors
///
/// As [`parse_event`], plus [`ParseError::Strict`] listing every unknown.
pub fn parse_event_strict(line: &str) -> Result<ThreadEvent, ParseError> {
    let event = parse_event(line)?;
    let unknowns = event.unknowns();
    if unknowns.is_empty() {
        Ok(event)
    } else {
        Err(ParseError::strict(unknowns, line))
    }
}
