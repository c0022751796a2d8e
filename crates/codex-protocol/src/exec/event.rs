//! Top-level exec events: one JSON object per stdout line, tagged by `type`.

use std::fmt;

use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::item::ThreadItem;
use crate::wire::{self, Replay, Unknowns, extra_unknowns, join, wire_enum};

/// One line of `codex exec --json` output.
///
/// Unknown event types parse as [`ThreadEvent::Unknown`] with the raw JSON; they never fail.
///
/// # `thread.started`
/// The first line of every run (repeated with the same id on `resume`); carries `thread_id`.
///
/// # `turn.started`
/// The prompt was sent to the model. No fields.
///
/// # `item.started` / `item.updated` / `item.completed`
/// An item's lifecycle; see [`ThreadItem`]. Some items only ever complete (agent messages,
/// reasoning), `todo_list` is the only item that is updated, and an item may start and never
/// complete when the model ends the turn while a command session still runs.
///
/// # `turn.completed`
/// The turn ended normally; `usage` sums every model request of the turn.
///
/// # `turn.failed`
/// The turn ended with an error; codex then exits with code 1.
///
/// # `error`
/// A stream error (emitted before `turn.failed`, and for each retry as "Reconnecting...").
///
/// # Deltas: `item.agent_message.delta`, `item.reasoning.summary_delta`, `item.reasoning.text_delta`, `item.command_execution.output_delta`, `item.file_change.output_delta`
/// Text appended to a running item, named by `item_id`. **`codex exec` never writes these**
/// (0.169 has no delta events at all): codex-agent-sdk's app-server transport synthesizes them from
/// the app-server's `item/agentMessage/delta`, `item/reasoning/summaryTextDelta`,
/// `item/reasoning/textDelta`, `item/commandExecution/outputDelta` and
/// `item/fileChange/outputDelta` notifications. The names keep the `item.<item type>.` prefix
/// and a `delta` suffix, which no exec event uses, so they cannot be mistaken for exec events.
/// The item's `item.completed` carries the whole text; deltas are for live display only.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum ThreadEvent {
    /// `thread.started`.
    #[serde(rename = "thread.started")]
    ThreadStarted(ThreadStarted),
    /// `turn.started`.
    #[serde(rename = "turn.started")]
    TurnStarted(TurnStarted),
    /// `turn.completed`.
    #[serde(rename = "turn.completed")]
    TurnCompleted(TurnCompleted),
    /// `turn.failed`.
    #[serde(rename = "turn.failed")]
    TurnFailed(TurnFailed),
    /// `item.started`.
    #[serde(rename = "item.started")]
    ItemStarted(ItemEvent),
    /// `item.updated`.
    #[serde(rename = "item.updated")]
    ItemUpdated(ItemEvent),
    /// `item.completed`.
    #[serde(rename = "item.completed")]
    ItemCompleted(ItemEvent),
    /// `error`.
    #[serde(rename = "error")]
    Error(StreamError),
    /// `item.agent_message.delta` (SDK-synthesized, app-server transport only).
    #[serde(rename = "item.agent_message.delta")]
    AgentMessageDelta(ItemDelta),
    /// `item.reasoning.summary_delta` (SDK-synthesized, app-server transport only).
    #[serde(rename = "item.reasoning.summary_delta")]
    ReasoningSummaryDelta(ReasoningSummaryDelta),
    /// `item.reasoning.text_delta` (SDK-synthesized, app-server transport only).
    #[serde(rename = "item.reasoning.text_delta")]
    ReasoningTextDelta(ReasoningTextDelta),
    /// `item.command_execution.output_delta` (SDK-synthesized, app-server transport only).
    #[serde(rename = "item.command_execution.output_delta")]
    CommandOutputDelta(ItemDelta),
    /// `item.file_change.output_delta` (SDK-synthesized, app-server transport only).
    #[serde(rename = "item.file_change.output_delta")]
    FileChangeOutputDelta(ItemDelta),
    /// An event type this crate does not know: the whole object, `type` included.
    #[serde(untagged)]
    Unknown(Value),
}

impl ThreadEvent {
    /// The wire `type` of the event.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            Self::ThreadStarted(_) => "thread.started",
            Self::TurnStarted(_) => "turn.started",
            Self::TurnCompleted(_) => "turn.completed",
            Self::TurnFailed(_) => "turn.failed",
            Self::ItemStarted(_) => "item.started",
            Self::ItemUpdated(_) => "item.updated",
            Self::ItemCompleted(_) => "item.completed",
            Self::Error(_) => "error",
            Self::AgentMessageDelta(_) => "item.agent_message.delta",
            Self::ReasoningSummaryDelta(_) => "item.reasoning.summary_delta",
            Self::ReasoningTextDelta(_) => "item.reasoning.text_delta",
            Self::CommandOutputDelta(_) => "item.command_execution.output_delta",
            Self::FileChangeOutputDelta(_) => "item.file_change.output_delta",
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// Whether this is one of the delta events the app-server transport synthesizes (never
    /// written by `codex exec`).
    #[must_use]
    pub fn is_delta(&self) -> bool {
        matches!(
            self,
            Self::AgentMessageDelta(_)
                | Self::ReasoningSummaryDelta(_)
                | Self::ReasoningTextDelta(_)
                | Self::CommandOutputDelta(_)
                | Self::FileChangeOutputDelta(_)
        )
    }

    /// The item carried by `item.*` events.
    #[must_use]
    pub fn item(&self) -> Option<&ThreadItem> {
        match self {
            Self::ItemStarted(e) | Self::ItemUpdated(e) | Self::ItemCompleted(e) => Some(&e.item),
            _ => None,
        }
    }

    /// Writes the event back in codex's own wire shape, as one line without a newline.
    ///
    /// # Panics
    ///
    /// Never: events hold only string-keyed JSON, which always serializes.
    #[must_use]
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self)
            .expect("events hold only string-keyed JSON and cannot fail to serialize")
    }
}

/// `thread.started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ThreadStarted {
    /// The thread id (a `UUIDv7`); pass it to resume the thread.
    pub thread_id: String,
    /// Fields this crate does not model (some codex versions add `timestamp`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ThreadStarted {
    thread_id: "thread_id" required,
});

impl ThreadStarted {
    /// `thread.started` for this thread id.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            extra: Map::new(),
        }
    }
}

/// `turn.started`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TurnStarted {
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Token usage of a turn, summed over every model request of the turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Input tokens served from the prompt cache.
    pub cached_input_tokens: u64,
    /// Input tokens written to the prompt cache; `0` when an older codex omits it.
    #[serde(default)]
    pub cache_write_input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Output tokens spent on reasoning; `0` when an older codex omits it.
    #[serde(default)]
    pub reasoning_output_tokens: u64,
    /// The model's context window in tokens, when known (app-server only; never written by
    /// `codex exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<u64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(Usage {
    input_tokens: "input_tokens" required,
    cached_input_tokens: "cached_input_tokens" required,
    cache_write_input_tokens: "cache_write_input_tokens" default,
    output_tokens: "output_tokens" required,
    reasoning_output_tokens: "reasoning_output_tokens" default,
    model_context_window: "model_context_window" default,
});

wire_enum! {
    /// How a turn that ended without failing ended.
    pub enum TurnStatus {
        /// Normally.
        Completed = "completed",
        /// Stopped by an interrupt (`TurnStream::interrupt`, a cancel handle, or a `cancel`
        /// approval decision) before the agent finished.
        Interrupted = "interrupted",
    }
}

/// `turn.completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TurnCompleted {
    /// Token usage of the turn.
    pub usage: Usage,
    /// How the turn ended; absent means [`TurnStatus::Completed`]. Never written by
    /// `codex exec`; the app-server transport writes `interrupted` for interrupted turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TurnStatus>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(TurnCompleted {
    usage: "usage" required,
    status: "status" default,
});

/// The error of a failed turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TurnError {
    /// What went wrong, as codex words it.
    pub message: String,
    /// codex's machine-readable classification, as the app-server sends it
    /// (`"internalServerError"`, `{"httpConnectionFailed": {"httpStatusCode": 502}}`, …).
    /// Never written by `codex exec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codex_error_info: Option<Value>,
    /// More detail, when the app-server has it. Never written by `codex exec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(TurnError {
    message: "message" required,
    codex_error_info: "codex_error_info" default,
    additional_details: "additional_details" default,
});

/// `turn.failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TurnFailed {
    /// The error.
    pub error: TurnError,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(TurnFailed {
    error: "error" required,
});

/// `item.started`, `item.updated` and `item.completed`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ItemEvent {
    /// The item in its current state.
    pub item: ThreadItem,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ItemEvent {
    item: "item" required,
});

/// Payload of the text delta events: `item.agent_message.delta`,
/// `item.command_execution.output_delta` and `item.file_change.output_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ItemDelta {
    /// The item the text belongs to.
    pub item_id: String,
    /// The appended text.
    pub delta: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ItemDelta {
    item_id: "item_id" required,
    delta: "delta" required,
});

/// Payload of `item.reasoning.summary_delta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReasoningSummaryDelta {
    /// The reasoning item.
    pub item_id: String,
    /// The appended text.
    pub delta: String,
    /// Which summary part it belongs to (parts are joined with `\n` in the item's `text`).
    pub summary_index: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ReasoningSummaryDelta {
    item_id: "item_id" required,
    delta: "delta" required,
    summary_index: "summary_index" required,
});

/// Payload of `item.reasoning.text_delta`: raw reasoning text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReasoningTextDelta {
    /// The reasoning item.
    pub item_id: String,
    /// The appended text.
    pub delta: String,
    /// Which content part it belongs to.
    pub content_index: u64,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ReasoningTextDelta {
    item_id: "item_id" required,
    delta: "delta" required,
    content_index: "content_index" required,
});

/// Top-level `error`: a stream error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct StreamError {
    /// The message.
    pub message: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(StreamError {
    message: "message" required,
});

impl StreamError {
    /// An `error` event with this message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            extra: Map::new(),
        }
    }
}

impl<'de> Deserialize<'de> for ThreadEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ThreadEventVisitor)
    }
}

struct ThreadEventVisitor;

impl<'de> Visitor<'de> for ThreadEventVisitor {
    type Value = ThreadEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an exec event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ThreadEvent, A::Error> {
        let tagged = wire::read_until_tag(&mut map, "type", false)?;
        macro_rules! payload {
            ($variant:ident, $ty:ty) => {{
                let replay = Replay::new(tagged.prelude, map, None);
                ThreadEvent::$variant(<$ty>::deserialize(MapAccessDeserializer::new(replay))?)
            }};
        }
        Ok(match tagged.tag.as_str() {
            "thread.started" => payload!(ThreadStarted, ThreadStarted),
            "turn.started" => payload!(TurnStarted, TurnStarted),
            "turn.completed" => payload!(TurnCompleted, TurnCompleted),
            "turn.failed" => payload!(TurnFailed, TurnFailed),
            "item.started" => payload!(ItemStarted, ItemEvent),
            "item.updated" => payload!(ItemUpdated, ItemEvent),
            "item.completed" => payload!(ItemCompleted, ItemEvent),
            "error" => payload!(Error, StreamError),
            "item.agent_message.delta" => payload!(AgentMessageDelta, ItemDelta),
            "item.reasoning.summary_delta" => {
                payload!(ReasoningSummaryDelta, ReasoningSummaryDelta)
            }
            "item.reasoning.text_delta" => payload!(ReasoningTextDelta, ReasoningTextDelta),
            "item.command_execution.output_delta" => payload!(CommandOutputDelta, ItemDelta),
            "item.file_change.output_delta" => payload!(FileChangeOutputDelta, ItemDelta),
            other => {
                let mut raw = wire::collect_rest(tagged.prelude, &mut map)?;
                raw.insert("type".to_owned(), Value::String(other.to_owned()));
                ThreadEvent::Unknown(Value::Object(raw))
            }
        })
    }
}

impl Unknowns for ThreadEvent {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        match self {
            Self::ThreadStarted(e) => extra_unknowns(path, &e.extra, out),
            Self::TurnStarted(e) => extra_unknowns(path, &e.extra, out),
            Self::TurnCompleted(e) => {
                extra_unknowns(&join(path, "usage"), &e.usage.extra, out);
                e.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &e.extra, out);
            }
            Self::TurnFailed(e) => {
                extra_unknowns(&join(path, "error"), &e.error.extra, out);
                extra_unknowns(path, &e.extra, out);
            }
            Self::ItemStarted(e) | Self::ItemUpdated(e) | Self::ItemCompleted(e) => {
                e.item.collect_unknowns(&join(path, "item"), out);
                extra_unknowns(path, &e.extra, out);
            }
            Self::Error(e) => extra_unknowns(path, &e.extra, out),
            Self::AgentMessageDelta(e)
            | Self::CommandOutputDelta(e)
            | Self::FileChangeOutputDelta(e) => {
                extra_unknowns(path, &e.extra, out);
            }
            Self::ReasoningSummaryDelta(e) => extra_unknowns(path, &e.extra, out),
            Self::ReasoningTextDelta(e) => extra_unknowns(path, &e.extra, out),
            Self::Unknown(_) => out.push(format!("{}={}", join(path, "type"), self.event_type())),
        }
    }
}
