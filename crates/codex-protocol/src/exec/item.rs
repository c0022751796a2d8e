//! Thread items: the payload of `item.started`, `item.updated` and `item.completed`.
//!
//! On the wire an item is one flat object: `{"id": "item_0", "type": "<kind>", ...fields}`.
//! Item ids are `item_<n>`, counted per `codex exec` process (a resumed turn starts again at
//! `item_0`).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::RawJson;
use crate::wire::{self, Replay, Unknowns, extra_unknowns, join, wire_enum};

/// One item of a thread: its id and its typed payload.
///
/// Unknown item types parse as [`ItemDetails::Unknown`] with the raw JSON; they never fail.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ThreadItem {
    /// The item id, `item_<n>` per codex process.
    pub id: String,
    /// The typed payload, tagged by `type` on the wire.
    #[serde(flatten)]
    pub details: ItemDetails,
}

impl ThreadItem {
    /// An item with this id and payload.
    #[must_use]
    pub fn new(id: impl Into<String>, details: ItemDetails) -> Self {
        Self {
            id: id.into(),
            details,
        }
    }

    /// The wire `type` of the item (`agent_message`, `command_execution`, ...).
    #[must_use]
    pub fn item_type(&self) -> &str {
        self.details.item_type()
    }

    /// Where the item is in its lifecycle, for the kinds that carry a status (commands,
    /// file changes, MCP, collaboration and dynamic tool calls); agent messages and reasoning
    /// report [`ItemStatus::Interrupted`] when an interrupt cut them short and `None`
    /// otherwise, as do the kinds without a status.
    #[must_use]
    pub fn status(&self) -> Option<ItemStatus> {
        let wire = match &self.details {
            ItemDetails::AgentMessage(m) => m.status.as_ref().map(TextItemStatus::as_str),
            ItemDetails::Reasoning(r) => r.status.as_ref().map(TextItemStatus::as_str),
            ItemDetails::CommandExecution(c) => Some(c.status.as_str()),
            ItemDetails::FileChange(f) => Some(f.status.as_str()),
            ItemDetails::McpToolCall(m) => Some(m.status.as_str()),
            ItemDetails::CollabToolCall(c) => Some(c.status.as_str()),
            ItemDetails::DynamicToolCall(d) => Some(d.status.as_str()),
            ItemDetails::WebSearch(_)
            | ItemDetails::TodoList(_)
            | ItemDetails::Error(_)
            | ItemDetails::Unknown(_) => None,
        }?;
        Some(ItemStatus::from_wire(wire))
    }
}

/// The lifecycle status of a [`ThreadItem`], the same for every kind
/// ([`ThreadItem::status`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemStatus {
    /// Still running (`in_progress`).
    InProgress,
    /// Done (`completed`).
    Completed,
    /// Done, unsuccessfully (`failed`).
    Failed,
    /// Refused by an approval (`declined`).
    Declined,
    /// Cut short by an interrupt (`interrupted`).
    Interrupted,
    /// A status this crate does not know, verbatim.
    Other(String),
}

impl ItemStatus {
    fn from_wire(wire: &str) -> Self {
        match wire {
            "in_progress" => Self::InProgress,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "declined" => Self::Declined,
            "interrupted" => Self::Interrupted,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// The typed payload of a [`ThreadItem`], one variant per item `type`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemDetails {
    /// `agent_message`: the agent's answer; a JSON string when an output schema was given.
    AgentMessage(AgentMessageItem),
    /// `reasoning`: the reasoning summary, parts joined with `\n`.
    Reasoning(ReasoningItem),
    /// `command_execution`: a command the agent ran.
    CommandExecution(CommandExecutionItem),
    /// `file_change`: a patch the agent applied.
    FileChange(FileChangeItem),
    /// `mcp_tool_call`: a call to an MCP server's tool.
    McpToolCall(Box<McpToolCallItem>),
    /// `collab_tool_call`: a call to a multi-agent collaboration tool.
    CollabToolCall(Box<CollabToolCallItem>),
    /// `web_search`: a web search request.
    WebSearch(WebSearchItem),
    /// `todo_list`: the agent's running to-do list.
    TodoList(TodoListItem),
    /// `error`: a non-fatal error surfaced as an item.
    Error(ErrorItem),
    /// `dynamic_tool_call`: a call to a tool the client declared. Never written by
    /// `codex exec`; codex-agent-sdk's app-server transport maps the app-server's `dynamicToolCall`
    /// items to it.
    DynamicToolCall(Box<DynamicToolCallItem>),
    /// An item type this crate does not know, kept verbatim.
    #[serde(untagged)]
    Unknown(UnknownItem),
}

impl ItemDetails {
    /// The wire `type` of this payload.
    #[must_use]
    pub fn item_type(&self) -> &str {
        match self {
            Self::AgentMessage(_) => "agent_message",
            Self::Reasoning(_) => "reasoning",
            Self::CommandExecution(_) => "command_execution",
            Self::FileChange(_) => "file_change",
            Self::McpToolCall(_) => "mcp_tool_call",
            Self::CollabToolCall(_) => "collab_tool_call",
            Self::WebSearch(_) => "web_search",
            Self::TodoList(_) => "todo_list",
            Self::Error(_) => "error",
            Self::DynamicToolCall(_) => "dynamic_tool_call",
            Self::Unknown(u) => &u.item_type,
        }
    }
}

/// An item of a type this crate does not model.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[non_exhaustive]
pub struct UnknownItem {
    /// The item's wire `type`.
    pub item_type: String,
    /// Every field of the item except `id` (which is [`ThreadItem::id`]) and `type`.
    pub fields: Map<String, Value>,
}

impl Serialize for UnknownItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.fields.len() + 1))?;
        map.serialize_entry("type", &self.item_type)?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

wire_enum! {
    /// What an agent message is, when the model says (app-server only).
    pub enum MessagePhase {
        /// Intermediate narration while the agent works.
        Commentary = "commentary",
        /// Part of the answer.
        PartialAnswer = "partial_answer",
        /// The final answer.
        FinalAnswer = "final_answer",
    }
}

wire_enum! {
    /// How a text item (`agent_message`, `reasoning`) ended, when not normally.
    ///
    /// `codex exec` never writes it: its text items only ever complete. codex-agent-sdk's app-server
    /// transport sets it on the items it closes itself after an interrupt.
    pub enum TextItemStatus {
        /// The turn was interrupted while the text streamed; the text is what arrived so far.
        Interrupted = "interrupted",
    }
}

/// `agent_message`: the agent's response text.
///
/// `phase` and `status` are never written by `codex exec`; the app-server transport fills
/// them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct AgentMessageItem {
    /// Natural-language text, or a JSON document when an output schema was given.
    pub text: String,
    /// Commentary or final answer, when the model says (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<MessagePhase>,
    /// Set when the message did not end normally (see [`TextItemStatus`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TextItemStatus>,
    /// Fields this crate does not model, kept for lossless re-serialization.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(AgentMessageItem {
    text: "text" required,
    phase: "phase" default,
    status: "status" default,
});

impl AgentMessageItem {
    /// A message with this text and nothing else.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            phase: None,
            status: None,
            extra: Map::new(),
        }
    }
}

/// `reasoning`: the model's reasoning summary.
///
/// `content` and `status` are never written by `codex exec`; the app-server transport fills
/// them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReasoningItem {
    /// The summary parts joined with `\n`.
    pub text: String,
    /// The raw reasoning parts joined with `\n`, when the model sent any (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Set when the reasoning did not end normally (see [`TextItemStatus`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TextItemStatus>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ReasoningItem {
    text: "text" required,
    content: "content" default,
    status: "status" default,
});

impl ReasoningItem {
    /// A reasoning item with this summary text and nothing else.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            content: None,
            status: None,
            extra: Map::new(),
        }
    }
}

wire_enum! {
    /// Status of a `command_execution` item.
    pub enum CommandExecutionStatus {
        /// Running; `exit_code` is null.
        InProgress = "in_progress",
        /// Exited with code 0.
        Completed = "completed",
        /// Exited non-zero (the turn still goes on).
        Failed = "failed",
        /// Declined by an approval decision.
        Declined = "declined",
        /// Still running when the turn was interrupted (never written by `codex exec`; the
        /// app-server transport closes open items with it).
        Interrupted = "interrupted",
    }
}

/// `command_execution`: a command the agent ran.
///
/// `cwd`, `duration_ms` and `process_id` are never written by `codex exec`; the app-server
/// transport fills them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CommandExecutionItem {
    /// The command as codex ran it, e.g. `/bin/bash -lc 'echo hi'`.
    pub command: String,
    /// stdout and stderr, merged; empty while running. Never truncated in exec JSONL.
    pub aggregated_output: String,
    /// The exit code; `null` while running.
    pub exit_code: Option<i32>,
    /// Lifecycle status.
    pub status: CommandExecutionStatus,
    /// The working directory (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// How long it ran, in milliseconds, once it ended (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The process id, once started (app-server only; a string, as codex reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(CommandExecutionItem {
    command: "command" required,
    aggregated_output: "aggregated_output" required,
    exit_code: "exit_code" default,
    status: "status" required,
    cwd: "cwd" default,
    duration_ms: "duration_ms" default,
    process_id: "process_id" default,
});

wire_enum! {
    /// Status of a `file_change` item.
    pub enum PatchApplyStatus {
        /// Being applied (0.169 emits `item.started` with this status).
        InProgress = "in_progress",
        /// Applied.
        Completed = "completed",
        /// Failed to apply.
        Failed = "failed",
        /// Declined by an approval decision (app-server only).
        Declined = "declined",
        /// Still being applied when the turn was interrupted (never written by `codex exec`;
        /// the app-server transport closes open items with it).
        Interrupted = "interrupted",
    }
}

wire_enum! {
    /// Kind of one change in a `file_change` item.
    pub enum PatchChangeKind {
        /// A file was added.
        Add = "add",
        /// A file was deleted.
        Delete = "delete",
        /// A file was updated.
        Update = "update",
    }
}

/// One changed file in a `file_change` item.
///
/// `diff` and `move_path` are never written by `codex exec`; the app-server transport fills
/// them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct FileUpdateChange {
    /// Absolute path of the file.
    pub path: String,
    /// What happened to it.
    pub kind: PatchChangeKind,
    /// The unified diff of this file (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The new path, when an update moved the file (app-server only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_path: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(FileUpdateChange {
    path: "path" required,
    kind: "kind" required,
    diff: "diff" default,
    move_path: "move_path" default,
});

/// `file_change`: a patch applied by the agent. Exec JSONL carries no diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct FileChangeItem {
    /// The changed files.
    pub changes: Vec<FileUpdateChange>,
    /// Lifecycle status.
    pub status: PatchApplyStatus,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(FileChangeItem {
    changes: "changes" required,
    status: "status" required,
});

wire_enum! {
    /// Status of an `mcp_tool_call` item.
    pub enum McpToolCallStatus {
        /// Dispatched, no answer yet.
        InProgress = "in_progress",
        /// The server answered.
        Completed = "completed",
        /// The call failed, or the tool answered with `isError: true` (then `result` is set).
        Failed = "failed",
        /// Still running when the turn was interrupted (never written by `codex exec`; the
        /// app-server transport closes open items with it).
        Interrupted = "interrupted",
    }
}

/// One block of an MCP tool result's `content`, tagged by `type` on the wire: text, an image,
/// audio, a link to a resource, or an embedded resource, as the MCP server sent it (codex
/// passes the blocks on unchanged).
///
/// A block of another `type`, or one whose fields are not what its `type` says, is kept
/// verbatim as [`McpContent::Unknown`]: reading `content` never fails. The blocks are the MCP
/// server's data, not codex's protocol, so strict mode ([`Unknowns`](crate::Unknowns)) reports
/// neither their unknown types nor their unmodeled fields (MCP's `annotations` and `_meta`
/// are in each block's `extra`).
///
/// ```
/// use codex_agent_protocol::exec::McpContent;
///
/// let block: McpContent = serde_json::from_str(r#"{"type":"text","text":"5"}"#)?;
/// assert_eq!(block.text(), Some("5"));
/// let image: McpContent =
///     serde_json::from_str(r#"{"type":"image","data":"iVBORw0=","mimeType":"image/png"}"#)?;
/// assert!(matches!(&image, McpContent::Image(image) if image.mime_type == "image/png"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum McpContent {
    /// `text`.
    Text(McpTextContent),
    /// `image`: base64-encoded data and its MIME type.
    Image(McpMediaContent),
    /// `audio`: base64-encoded data and its MIME type.
    Audio(McpMediaContent),
    /// `resource_link`: a link to a resource the server offers.
    ResourceLink(Box<McpResourceLink>),
    /// `resource`: a resource embedded in the result.
    Resource(Box<McpEmbeddedResource>),
    /// Any other block, kept verbatim: the whole JSON value, `type` included.
    Unknown(Value),
}

impl McpContent {
    /// Every block `type` this crate models, in wire spelling.
    pub const KNOWN_TYPES: &'static [&'static str] =
        &["text", "image", "audio", "resource_link", "resource"];

    /// The wire `type` (for [`McpContent::Unknown`], the `type` it carried, or `""`).
    #[must_use]
    pub fn content_type(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Image(_) => "image",
            Self::Audio(_) => "audio",
            Self::ResourceLink(_) => "resource_link",
            Self::Resource(_) => "resource",
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// Whether this is a block this crate does not model.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }

    /// The text of a `text` block.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(&text.text),
            _ => None,
        }
    }

    /// A block from its JSON: typed when its `type` is known and its fields fit, otherwise
    /// [`McpContent::Unknown`] holding `value` unchanged.
    #[must_use]
    pub fn from_value(mut value: Value) -> Self {
        fn typed<T: serde::de::DeserializeOwned>(
            value: &Value,
            wrap: fn(T) -> McpContent,
        ) -> Option<McpContent> {
            T::deserialize(value).ok().map(wrap)
        }
        // The common block, moved out of the JSON rather than copied.
        if let Value::Object(map) = &mut value
            && map.get("type").and_then(Value::as_str) == Some("text")
            && map.get("text").is_some_and(Value::is_string)
        {
            let text = match map.remove("text") {
                Some(Value::String(text)) => text,
                _ => String::new(),
            };
            map.remove("type");
            // An emptied map still holds its node: a block without other fields keeps none.
            let extra = if map.is_empty() {
                Map::new()
            } else {
                std::mem::take(map)
            };
            return Self::Text(McpTextContent { text, extra });
        }
        let known = match value.get("type").and_then(Value::as_str) {
            Some("text") => typed(&value, Self::Text),
            Some("image") => typed(&value, Self::Image),
            Some("audio") => typed(&value, Self::Audio),
            Some("resource_link") => typed(&value, |l| Self::ResourceLink(Box::new(l))),
            Some("resource") => typed(&value, |r| Self::Resource(Box::new(r))),
            _ => None,
        };
        known.unwrap_or(Self::Unknown(value))
    }
}

impl Serialize for McpContent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The payload with the tag in front of its own fields.
        #[derive(Serialize)]
        struct Tagged<'a, T> {
            #[serde(rename = "type")]
            tag: &'static str,
            #[serde(flatten)]
            payload: &'a T,
        }
        match self {
            Self::Text(payload) => Tagged {
                tag: "text",
                payload,
            }
            .serialize(serializer),
            Self::Image(payload) => Tagged {
                tag: "image",
                payload,
            }
            .serialize(serializer),
            Self::Audio(payload) => Tagged {
                tag: "audio",
                payload,
            }
            .serialize(serializer),
            Self::ResourceLink(payload) => Tagged {
                tag: "resource_link",
                payload: &**payload,
            }
            .serialize(serializer),
            Self::Resource(payload) => Tagged {
                tag: "resource",
                payload: &**payload,
            }
            .serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for McpContent {
    /// Reads the block as JSON, then types it ([`McpContent::from_value`]); only JSON that is
    /// not valid at all is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}

impl JsonSchema for McpContent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "McpContent".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        use crate::app_server::macros::tagged_variant_schema;
        let alternatives = vec![
            tagged_variant_schema::<McpTextContent>(generator, "Text", "type", "text"),
            tagged_variant_schema::<McpMediaContent>(generator, "Image", "type", "image"),
            tagged_variant_schema::<McpMediaContent>(generator, "Audio", "type", "audio"),
            tagged_variant_schema::<McpResourceLink>(
                generator,
                "ResourceLink",
                "type",
                "resource_link",
            ),
            tagged_variant_schema::<McpEmbeddedResource>(generator, "Resource", "type", "resource"),
        ];
        schemars::json_schema!({
            "anyOf": [
                { "oneOf": alternatives, "discriminator": { "propertyName": "type" } },
                { "description": "Any other block, kept verbatim." },
            ],
        })
    }
}

/// An MCP `text` content block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpTextContent {
    /// The text.
    pub text: String,
    /// Fields this crate does not model (MCP's `annotations`, `_meta`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpTextContent skipping ["type"] {
    text: "text" required,
});

impl McpTextContent {
    /// A text block.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            extra: Map::new(),
        }
    }
}

/// An MCP `image` or `audio` content block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpMediaContent {
    /// The data, base64-encoded.
    pub data: String,
    /// Its MIME type (`image/png`, `audio/wav`, ...).
    #[serde(rename = "mimeType")]
    pub mime_type: String,
    /// Fields this crate does not model (MCP's `annotations`, `_meta`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpMediaContent skipping ["type"] {
    data: "data" required,
    mime_type: "mimeType" required,
});

impl McpMediaContent {
    /// An image or audio block of base64 `data` of this MIME type.
    #[must_use]
    pub fn new(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            mime_type: mime_type.into(),
            extra: Map::new(),
        }
    }
}

/// An MCP `resource_link` content block: a resource the server offers, by URI.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpResourceLink {
    /// The resource's URI.
    pub uri: String,
    /// Its name.
    pub name: String,
    /// A title for people, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its MIME type, when known.
    #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Its size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Fields this crate does not model (MCP's `annotations`, `icons`, `_meta`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpResourceLink skipping ["type"] {
    uri: "uri" required,
    name: "name" required,
    title: "title" default,
    description: "description" default,
    mime_type: "mimeType" default,
    size: "size" default,
});

impl McpResourceLink {
    /// A link to the resource at `uri` named `name`.
    #[must_use]
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
            size: None,
            extra: Map::new(),
        }
    }
}

/// An MCP `resource` content block: a resource embedded in the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpEmbeddedResource {
    /// The resource.
    pub resource: McpResourceContents,
    /// Fields this crate does not model (MCP's `annotations`, `_meta`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpEmbeddedResource skipping ["type"] {
    resource: "resource" required,
});

impl McpEmbeddedResource {
    /// A block embedding `resource`.
    #[must_use]
    pub fn new(resource: McpResourceContents) -> Self {
        Self {
            resource,
            extra: Map::new(),
        }
    }
}

/// The contents of an embedded MCP resource: its URI and either `text` or base64 `blob`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpResourceContents {
    /// The resource's URI.
    pub uri: String,
    /// Its MIME type, when known.
    #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Its text, for a text resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Its data, base64-encoded, for a binary resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// Fields this crate does not model (MCP's `_meta`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpResourceContents {
    uri: "uri" required,
    mime_type: "mimeType" default,
    text: "text" default,
    blob: "blob" default,
});

impl McpResourceContents {
    /// The contents of the resource at `uri`, neither text nor blob yet.
    #[must_use]
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            mime_type: None,
            text: None,
            blob: None,
            extra: Map::new(),
        }
    }
}

/// The result of an MCP tool call.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpToolCallResult {
    /// The MCP content blocks, typed (a block this crate does not model is
    /// [`McpContent::Unknown`]).
    pub content: Vec<McpContent>,
    /// The tool's structured content, when it returned any (`null` otherwise).
    pub structured_content: Option<RawJson>,
    /// The MCP `_meta` object, when present.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<RawJson>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpToolCallResult {
    content: "content" required,
    structured_content: "structured_content" default,
    meta: "_meta" default,
});

/// The error of a failed MCP tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpToolCallError {
    /// What went wrong.
    pub message: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpToolCallError {
    message: "message" required,
});

/// `mcp_tool_call`: a call to a tool of an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct McpToolCallItem {
    /// The MCP server's configured name.
    pub server: String,
    /// The tool name.
    pub tool: String,
    /// The call arguments (an object; `null` when absent).
    #[serde(default)]
    pub arguments: RawJson,
    /// The result; `null` while running or when the call failed without one.
    pub result: Option<McpToolCallResult>,
    /// The error; `null` unless the call itself failed.
    pub error: Option<McpToolCallError>,
    /// Lifecycle status.
    pub status: McpToolCallStatus,
    /// How long the call took, in milliseconds, once it ended (app-server only; never
    /// written by `codex exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(McpToolCallItem {
    server: "server" required,
    tool: "tool" required,
    arguments: "arguments" default,
    result: "result" default,
    error: "error" default,
    status: "status" required,
    duration_ms: "duration_ms" default,
});

wire_enum! {
    /// A multi-agent collaboration tool.
    pub enum CollabTool {
        /// Spawn a sub-agent.
        SpawnAgent = "spawn_agent",
        /// Send input to a sub-agent.
        SendInput = "send_input",
        /// Wait for sub-agents.
        Wait = "wait",
        /// Close a sub-agent.
        CloseAgent = "close_agent",
    }
}

wire_enum! {
    /// Status of a `collab_tool_call` item.
    pub enum CollabToolCallStatus {
        /// Running.
        InProgress = "in_progress",
        /// Done.
        Completed = "completed",
        /// Failed.
        Failed = "failed",
    }
}

wire_enum! {
    /// Last known status of a collaborating agent.
    pub enum CollabAgentStatus {
        /// Being set up.
        PendingInit = "pending_init",
        /// Working.
        Running = "running",
        /// Finished.
        Completed = "completed",
        /// Stopped with an error.
        Errored = "errored",
        /// Shut down.
        Shutdown = "shutdown",
        /// Not found.
        NotFound = "not_found",
    }
}

/// Last known state of a collaborating agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CollabAgentState {
    /// Its status.
    pub status: CollabAgentStatus,
    /// Its last message, if any.
    #[serde(default)]
    pub message: Option<String>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(CollabAgentState {
    status: "status" required,
    message: "message" default,
});

/// `collab_tool_call`: a call to a multi-agent tool (not in the TypeScript SDK's types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct CollabToolCallItem {
    /// Which tool.
    pub tool: CollabTool,
    /// The calling thread.
    pub sender_thread_id: String,
    /// The threads addressed.
    pub receiver_thread_ids: Vec<String>,
    /// The prompt sent, if any.
    #[serde(default)]
    pub prompt: Option<String>,
    /// State per agent thread id.
    #[serde(default)]
    pub agents_states: BTreeMap<String, CollabAgentState>,
    /// Lifecycle status.
    pub status: CollabToolCallStatus,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(CollabToolCallItem {
    tool: "tool" required,
    sender_thread_id: "sender_thread_id" required,
    receiver_thread_ids: "receiver_thread_ids" required,
    prompt: "prompt" default,
    agents_states: "agents_states" default,
    status: "status" required,
});

/// What a web search did.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebSearchAction {
    /// A search.
    Search {
        /// The query, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<String>,
        /// Several queries, when the model sent more than one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queries: Option<Vec<String>>,
    },
    /// Opening a page.
    OpenPage {
        /// The page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Finding text in a page.
    FindInPage {
        /// The page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The text looked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// Not known yet (what `item.started` carries before the query arrives).
    Other,
    /// An action this crate does not know, kept verbatim.
    #[serde(untagged)]
    Unknown(Value),
}

impl<'de> Deserialize<'de> for WebSearchAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Known {
            Search {
                #[serde(default)]
                query: Option<String>,
                #[serde(default)]
                queries: Option<Vec<String>>,
            },
            OpenPage {
                #[serde(default)]
                url: Option<String>,
            },
            FindInPage {
                #[serde(default)]
                url: Option<String>,
                #[serde(default)]
                pattern: Option<String>,
            },
            Other,
        }
        // Small and rare: go through a value so that an unknown or extended action is kept whole.
        let value = Value::deserialize(deserializer)?;
        let known_keys: &[&str] = match value.get("type").and_then(Value::as_str) {
            Some("search") => &["type", "query", "queries"],
            Some("open_page") => &["type", "url"],
            Some("find_in_page") => &["type", "url", "pattern"],
            Some("other") => &["type"],
            _ => return Ok(Self::Unknown(value)),
        };
        let fully_known = value
            .as_object()
            .is_some_and(|o| o.keys().all(|k| known_keys.contains(&k.as_str())));
        if !fully_known {
            return Ok(Self::Unknown(value));
        }
        Ok(match Known::deserialize(&value) {
            Ok(Known::Search { query, queries }) => Self::Search { query, queries },
            Ok(Known::OpenPage { url }) => Self::OpenPage { url },
            Ok(Known::FindInPage { url, pattern }) => Self::FindInPage { url, pattern },
            Ok(Known::Other) => Self::Other,
            Err(_) => Self::Unknown(value),
        })
    }
}

impl Unknowns for WebSearchAction {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        if let Self::Unknown(value) = self {
            let ty = value.get("type").and_then(Value::as_str).unwrap_or("?");
            out.push(format!("{path}.type={ty}"));
        }
    }
}

/// `web_search`: a web search request.
///
/// codex 0.169 writes this item with **two** `id` keys: the item id first, then the search id
/// (`{"id":"item_0","type":"web_search","id":"ws-1",...}`). Both are kept: the first is
/// [`ThreadItem::id`], the second is [`WebSearchItem::search_id`]; serialization writes both
/// back in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct WebSearchItem {
    /// The search id (the second `id` key on the wire), when present.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub search_id: Option<String>,
    /// The query; empty on `item.started`, filled in on `item.completed`.
    #[serde(default)]
    pub query: String,
    /// What the search did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebSearchAction>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of a to-do list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TodoItem {
    /// The step.
    pub text: String,
    /// Whether it is done (`in_progress` steps are `false`).
    pub completed: bool,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(TodoItem {
    text: "text" required,
    completed: "completed" required,
});

/// `todo_list`: the agent's plan. Started on the first `update_plan`, updated on later ones,
/// completed at the end of the turn (after the final agent message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TodoListItem {
    /// The steps, in order.
    pub items: Vec<TodoItem>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(TodoListItem {
    items: "items" required,
});

/// `error`: a non-fatal error surfaced as an item (for example unknown model metadata).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ErrorItem {
    /// The message.
    pub message: String,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(ErrorItem {
    message: "message" required,
});

wire_enum! {
    /// Status of a `dynamic_tool_call` item.
    pub enum DynamicToolCallStatus {
        /// The client's handler runs.
        InProgress = "in_progress",
        /// The handler answered with success.
        Completed = "completed",
        /// The handler failed (or answered `success: false`).
        Failed = "failed",
        /// Still running when the turn was interrupted.
        Interrupted = "interrupted",
    }
}

/// `dynamic_tool_call`: the model called a tool the client declared at thread start.
///
/// Never written by `codex exec` (it has no dynamic tools); codex-agent-sdk's app-server transport
/// maps the app-server's `dynamicToolCall` items to it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct DynamicToolCallItem {
    /// The tool name.
    pub tool: String,
    /// The tool's namespace, when it was declared in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The arguments the model chose (`null` when absent).
    #[serde(default)]
    pub arguments: RawJson,
    /// Lifecycle status.
    pub status: DynamicToolCallStatus,
    /// The output parts the client answered, as the app-server reports them
    /// (`{"type": "inputText", "text": …}`, …); absent while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_items: Option<Vec<Value>>,
    /// Whether the client reported success; absent while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// How long the call took, in milliseconds, once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

wire::deserialize_with_extra!(DynamicToolCallItem {
    tool: "tool" required,
    namespace: "namespace" default,
    arguments: "arguments" default,
    status: "status" required,
    content_items: "content_items" default,
    success: "success" default,
    duration_ms: "duration_ms" default,
});

impl<'de> Deserialize<'de> for ThreadItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ThreadItemVisitor)
    }
}

struct ThreadItemVisitor;

impl<'de> Visitor<'de> for ThreadItemVisitor {
    type Value = ThreadItem;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a thread item object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ThreadItem, A::Error> {
        use serde::de::Error as _;
        let tagged = wire::read_until_tag(&mut map, "type", true)?;
        let mut id = tagged.id;
        macro_rules! payload {
            ($variant:ident, $ty:ty) => {{
                let replay = Replay::new(tagged.prelude, map, Some(&mut id));
                ItemDetails::$variant(<$ty>::deserialize(MapAccessDeserializer::new(replay))?)
            }};
        }
        let details = match tagged.tag.as_str() {
            "agent_message" => payload!(AgentMessage, AgentMessageItem),
            "reasoning" => payload!(Reasoning, ReasoningItem),
            "command_execution" => payload!(CommandExecution, CommandExecutionItem),
            "file_change" => payload!(FileChange, FileChangeItem),
            "mcp_tool_call" => payload!(McpToolCall, Box<McpToolCallItem>),
            "collab_tool_call" => payload!(CollabToolCall, Box<CollabToolCallItem>),
            "web_search" => payload!(WebSearch, WebSearchItem),
            "todo_list" => payload!(TodoList, TodoListItem),
            "error" => payload!(Error, ErrorItem),
            "dynamic_tool_call" => payload!(DynamicToolCall, Box<DynamicToolCallItem>),
            other => {
                let mut fields = wire::collect_rest(tagged.prelude, &mut map)?;
                if id.is_none() {
                    match fields.remove("id") {
                        Some(Value::String(s)) => id = Some(s),
                        Some(_) => return Err(A::Error::custom("field `id` must be a string")),
                        None => {}
                    }
                }
                ItemDetails::Unknown(UnknownItem {
                    item_type: other.to_owned(),
                    fields,
                })
            }
        };
        let id = id.ok_or_else(|| A::Error::missing_field("id"))?;
        Ok(ThreadItem { id, details })
    }
}

impl Unknowns for ThreadItem {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        match &self.details {
            ItemDetails::AgentMessage(i) => {
                i.phase.collect_unknowns(&join(path, "phase"), out);
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::Reasoning(i) => {
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::CommandExecution(i) => {
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::FileChange(i) => {
                for (n, change) in i.changes.iter().enumerate() {
                    let p = format!("{}[{n}]", join(path, "changes"));
                    change.kind.collect_unknowns(&join(&p, "kind"), out);
                    extra_unknowns(&p, &change.extra, out);
                }
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::McpToolCall(i) => {
                if let Some(result) = &i.result {
                    extra_unknowns(&join(path, "result"), &result.extra, out);
                }
                if let Some(error) = &i.error {
                    extra_unknowns(&join(path, "error"), &error.extra, out);
                }
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::CollabToolCall(i) => {
                i.tool.collect_unknowns(&join(path, "tool"), out);
                for (agent, state) in &i.agents_states {
                    let p = join(&join(path, "agents_states"), agent);
                    state.status.collect_unknowns(&join(&p, "status"), out);
                    extra_unknowns(&p, &state.extra, out);
                }
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::WebSearch(i) => {
                i.action.collect_unknowns(&join(path, "action"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::TodoList(i) => {
                for (n, todo) in i.items.iter().enumerate() {
                    extra_unknowns(&format!("{}[{n}]", join(path, "items")), &todo.extra, out);
                }
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::Error(i) => extra_unknowns(path, &i.extra, out),
            ItemDetails::DynamicToolCall(i) => {
                i.status.collect_unknowns(&join(path, "status"), out);
                extra_unknowns(path, &i.extra, out);
            }
            ItemDetails::Unknown(u) => out.push(format!("{}={}", join(path, "type"), u.item_type)),
        }
    }
}
