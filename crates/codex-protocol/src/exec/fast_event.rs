//! [`parse_event`](super::parse_event)'s shortcut for the events that fill a turn, exactly as
//! `codex exec` writes them: `thread.started`, `turn.started`, `turn.completed`, and
//! `item.started`, `item.updated` and `item.completed` of a `command_execution`,
//! `agent_message`, `reasoning`, `file_change`, `todo_list` or `mcp_tool_call` item.
//!
//! The general path is `serde`: the event's visitor reads the tag, hands the rest of the object
//! to the item's visitor, which reads its own tag and hands the rest to the payload's
//! deserializer, each layer returning its value through a `Result` (an event is 224 bytes,
//! copied at every layer). Here the same tokens are read by hand, with the deserializer's own
//! [`Cursor`] (so strings decode and numbers read exactly as they would there), straight into
//! the fields. The values of an MCP call (`arguments`, `result`, `error`) and of unknown keys are
//! read by their own `Deserialize` on that deserializer, the call the general path makes for
//! them.
//!
//! It takes only what it can read without a decision of its own: the keys `codex exec` writes
//! for these events, and keys that no event or item type has, which go into `extra` as the
//! general path puts them there (so a newer codex that adds a key does not send every line down
//! both paths). A key of these types it does not read (`cwd`, `phase`, `model_context_window`,
//! a key inside a change, a to-do or the usage, …), a repeated one, a missing field, an escaped
//! key or tag, a number that is not a non-negative integer, and every other event and item type
//! make it return `None`, and the line goes down the general path, whose value or error is the
//! answer. When it returns an event, it is the one the general path returns for
//! the same line: the fast path's tests check both against `serde_json` on every captured
//! line, on edge cases and on mutated lines, and the `exec_line` fuzz target on whatever the
//! fuzzer finds. Codex writes `type` first in an event and `id`, `type` first in an item, so a
//! line this shortcut does not take is given up after a few bytes.

use serde_json::{Map, Value};

use super::event::{ItemEvent, ThreadEvent, ThreadStarted, TurnCompleted, TurnStarted, Usage};
use super::item::{
    AgentMessageItem, CommandExecutionItem, CommandExecutionStatus, FileChangeItem,
    FileUpdateChange, ItemDetails, McpToolCallError, McpToolCallItem, McpToolCallResult,
    McpToolCallStatus, PatchApplyStatus, PatchChangeKind, ReasoningItem, ThreadItem, TodoItem,
    TodoListItem,
};
use crate::RawJson;
use crate::fast_json::Cursor;

/// The event types this shortcut reads.
#[derive(Clone, Copy)]
enum Event {
    ThreadStarted,
    TurnStarted,
    TurnCompleted,
    ItemStarted,
    ItemUpdated,
    ItemCompleted,
}

/// The item types this shortcut reads.
#[derive(Clone, Copy)]
enum Kind {
    Command,
    AgentMessage,
    Reasoning,
    FileChange,
    TodoList,
    McpToolCall,
}

/// The event on `line`, or `None` when the line is not one this shortcut takes.
#[inline]
pub(crate) fn event(line: &str) -> Option<ThreadEvent> {
    let mut at = Cursor::new(line);
    at.byte(b'{')?;
    let mut event = None;
    let mut item = None;
    let mut thread_id = None;
    let mut usage = None;
    let mut extra = Map::new();
    loop {
        let key = at.plain_str()?;
        at.byte(b':')?;
        match key {
            "type" if event.is_none() => {
                event = Some(match at.plain_str()? {
                    "thread.started" => Event::ThreadStarted,
                    "turn.started" => Event::TurnStarted,
                    "turn.completed" => Event::TurnCompleted,
                    "item.started" => Event::ItemStarted,
                    "item.updated" => Event::ItemUpdated,
                    "item.completed" => Event::ItemCompleted,
                    _ => return None,
                });
            }
            "item" if item.is_none() => item = Some(thread_item(&mut at)?),
            "thread_id" if thread_id.is_none() => thread_id = Some(at.string()?),
            "usage" if usage.is_none() => usage = Some(read_usage(&mut at)?),
            // A repeated key, and the keys of these events this shortcut does not read.
            "type" | "item" | "thread_id" | "usage" | "status" => return None,
            // A key no event here has: kept, as the event's `extra` keeps it.
            _ => {
                extra.insert(key.to_owned(), at.value::<Value>()?);
            }
        }
        if !at.comma_or(b'}')? {
            break;
        }
    }
    if !at.at_end() {
        return None;
    }
    let event = event?;
    match (event, item, thread_id, usage) {
        (Event::ThreadStarted, None, Some(thread_id), None) => {
            Some(ThreadEvent::ThreadStarted(ThreadStarted {
                thread_id,
                extra,
            }))
        }
        (Event::TurnStarted, None, None, None) => {
            Some(ThreadEvent::TurnStarted(TurnStarted { extra }))
        }
        (Event::TurnCompleted, None, None, Some(usage)) => {
            Some(ThreadEvent::TurnCompleted(TurnCompleted {
                usage,
                status: None,
                extra,
            }))
        }
        (
            Event::ItemStarted | Event::ItemUpdated | Event::ItemCompleted,
            Some(item),
            None,
            None,
        ) => {
            let item = ItemEvent { item, extra };
            Some(match event {
                Event::ItemStarted => ThreadEvent::ItemStarted(item),
                Event::ItemUpdated => ThreadEvent::ItemUpdated(item),
                _ => ThreadEvent::ItemCompleted(item),
            })
        }
        _ => None,
    }
}

/// `turn.completed`'s `usage` object at the cursor.
fn read_usage(at: &mut Cursor<'_>) -> Option<Usage> {
    at.byte(b'{')?;
    let mut input = None;
    let mut cached = None;
    let mut cache_write = None;
    let mut output = None;
    let mut reasoning = None;
    loop {
        let key = at.plain_str()?;
        at.byte(b':')?;
        let slot = match key {
            "input_tokens" => &mut input,
            "cached_input_tokens" => &mut cached,
            "cache_write_input_tokens" => &mut cache_write,
            "output_tokens" => &mut output,
            "reasoning_output_tokens" => &mut reasoning,
            _ => return None,
        };
        if slot.replace(at.u64()?).is_some() {
            return None;
        }
        if !at.comma_or(b'}')? {
            break;
        }
    }
    Some(Usage {
        input_tokens: input?,
        cached_input_tokens: cached?,
        cache_write_input_tokens: cache_write.unwrap_or_default(),
        output_tokens: output?,
        reasoning_output_tokens: reasoning.unwrap_or_default(),
        model_context_window: None,
        extra: Map::new(),
    })
}

/// The keys of an item, one bit each, to check that every key read belongs to the item's kind.
mod key {
    pub(super) const COMMAND: u16 = 1;
    pub(super) const OUTPUT: u16 = 1 << 1;
    pub(super) const EXIT_CODE: u16 = 1 << 2;
    pub(super) const STATUS: u16 = 1 << 3;
    pub(super) const TEXT: u16 = 1 << 4;
    pub(super) const CHANGES: u16 = 1 << 5;
    pub(super) const ITEMS: u16 = 1 << 6;
    pub(super) const SERVER: u16 = 1 << 7;
    pub(super) const TOOL: u16 = 1 << 8;
    pub(super) const ARGUMENTS: u16 = 1 << 9;
    pub(super) const RESULT: u16 = 1 << 10;
    pub(super) const ERROR: u16 = 1 << 11;
}

impl Kind {
    /// The keys an item of this kind has besides `id` and `type`.
    fn keys(self) -> u16 {
        match self {
            Self::Command => key::COMMAND | key::OUTPUT | key::EXIT_CODE | key::STATUS,
            Self::AgentMessage | Self::Reasoning => key::TEXT,
            Self::FileChange => key::CHANGES | key::STATUS,
            Self::TodoList => key::ITEMS,
            Self::McpToolCall => {
                key::SERVER | key::TOOL | key::ARGUMENTS | key::RESULT | key::ERROR | key::STATUS
            }
        }
    }
}

/// The fields of an item as they are read.
#[derive(Default)]
struct Fields<'de> {
    command: Option<String>,
    output: Option<String>,
    exit_code: Option<i32>,
    status: Option<&'de str>,
    text: Option<String>,
    changes: Option<Vec<FileUpdateChange>>,
    todos: Option<Vec<TodoItem>>,
    server: Option<String>,
    tool: Option<String>,
    arguments: Option<RawJson>,
    /// `result` and `error` of an MCP call, `null` or absent alike (as the `serde` path reads
    /// them); whether the key was there is in the `seen` bits.
    result: Option<McpToolCallResult>,
    error: Option<McpToolCallError>,
    /// Keys no item type has, with their values.
    extra: Map<String, Value>,
}

/// The item object at the cursor.
fn thread_item(at: &mut Cursor<'_>) -> Option<ThreadItem> {
    at.byte(b'{')?;
    let mut id = None;
    let mut kind = None;
    let mut fields = Fields::default();
    let mut seen = 0;
    loop {
        let name = at.plain_str()?;
        at.byte(b':')?;
        seen |= match name {
            "id" if id.is_none() => {
                id = Some(at.string()?);
                0
            }
            "type" if kind.is_none() => {
                kind = Some(match at.plain_str()? {
                    "command_execution" => Kind::Command,
                    "agent_message" => Kind::AgentMessage,
                    "reasoning" => Kind::Reasoning,
                    "file_change" => Kind::FileChange,
                    "todo_list" => Kind::TodoList,
                    "mcp_tool_call" => Kind::McpToolCall,
                    _ => return None,
                });
                0
            }
            "command" if fields.command.is_none() => {
                fields.command = Some(at.string()?);
                key::COMMAND
            }
            "aggregated_output" if fields.output.is_none() => {
                fields.output = Some(at.string()?);
                key::OUTPUT
            }
            "exit_code" if seen & key::EXIT_CODE == 0 => {
                fields.exit_code = at.i32_or_null().ok()?;
                key::EXIT_CODE
            }
            "status" if fields.status.is_none() => {
                fields.status = Some(at.plain_str()?);
                key::STATUS
            }
            "text" if fields.text.is_none() => {
                fields.text = Some(at.string()?);
                key::TEXT
            }
            "changes" if fields.changes.is_none() => {
                fields.changes = Some(read_changes(at)?);
                key::CHANGES
            }
            "items" if fields.todos.is_none() => {
                fields.todos = Some(read_todos(at)?);
                key::ITEMS
            }
            "server" if fields.server.is_none() => {
                fields.server = Some(at.string()?);
                key::SERVER
            }
            "tool" if fields.tool.is_none() => {
                fields.tool = Some(at.string()?);
                key::TOOL
            }
            "arguments" if fields.arguments.is_none() => {
                fields.arguments = Some(at.value()?);
                key::ARGUMENTS
            }
            "result" if seen & key::RESULT == 0 => {
                fields.result = at.value()?;
                key::RESULT
            }
            "error" if seen & key::ERROR == 0 => {
                fields.error = at.value()?;
                key::ERROR
            }
            // A repeated key, and the keys of any item type this shortcut does not read.
            "id" | "type" | "command" | "aggregated_output" | "exit_code" | "status" | "text"
            | "changes" | "items" | "server" | "tool" | "arguments" | "result" | "error"
            | "cwd" | "duration_ms" | "process_id" | "phase" | "content" => return None,
            // A key no item type has: kept, as the payload's `extra` keeps it.
            _ => {
                fields.extra.insert(name.to_owned(), at.value::<Value>()?);
                0
            }
        };
        if !at.comma_or(b'}')? {
            break;
        }
    }
    let kind = kind?;
    // Every key read belongs to the item's kind.
    if seen & !kind.keys() != 0 {
        return None;
    }
    Some(ThreadItem {
        id: id?,
        details: fields.details(kind)?,
    })
}

impl Fields<'_> {
    /// The payload of an item of `kind`, when every field it requires was read.
    fn details(self, kind: Kind) -> Option<ItemDetails> {
        let extra = self.extra;
        Some(match kind {
            Kind::Command => ItemDetails::CommandExecution(CommandExecutionItem {
                command: self.command?,
                aggregated_output: self.output?,
                exit_code: self.exit_code,
                status: CommandExecutionStatus::from_wire(self.status?),
                cwd: None,
                duration_ms: None,
                process_id: None,
                extra,
            }),
            Kind::AgentMessage => ItemDetails::AgentMessage(AgentMessageItem {
                text: self.text?,
                phase: None,
                status: None,
                extra,
            }),
            Kind::Reasoning => ItemDetails::Reasoning(ReasoningItem {
                text: self.text?,
                content: None,
                status: None,
                extra,
            }),
            Kind::FileChange => ItemDetails::FileChange(FileChangeItem {
                changes: self.changes?,
                status: PatchApplyStatus::from_wire(self.status?),
                extra,
            }),
            Kind::TodoList => ItemDetails::TodoList(TodoListItem {
                items: self.todos?,
                extra,
            }),
            Kind::McpToolCall => ItemDetails::McpToolCall(Box::new(McpToolCallItem {
                server: self.server?,
                tool: self.tool?,
                arguments: self.arguments.unwrap_or_default(),
                result: self.result,
                error: self.error,
                status: McpToolCallStatus::from_wire(self.status?),
                duration_ms: None,
                extra,
            })),
        })
    }
}

/// A `file_change` item's `changes` array at the cursor: `path` and `kind` each.
fn read_changes(at: &mut Cursor<'_>) -> Option<Vec<FileUpdateChange>> {
    let mut changes = Vec::new();
    let mut more = at.array()?;
    while more {
        at.byte(b'{')?;
        let mut path = None;
        let mut kind = None;
        loop {
            let key = at.plain_str()?;
            at.byte(b':')?;
            match key {
                "path" if path.is_none() => path = Some(at.string()?),
                "kind" if kind.is_none() => {
                    kind = Some(PatchChangeKind::from_wire(at.plain_str()?));
                }
                _ => return None,
            }
            if !at.comma_or(b'}')? {
                break;
            }
        }
        changes.push(FileUpdateChange {
            path: path?,
            kind: kind?,
            diff: None,
            move_path: None,
            extra: Map::new(),
        });
        more = at.comma_or(b']')?;
    }
    Some(changes)
}

/// A `todo_list` item's `items` array at the cursor: `text` and `completed` each.
fn read_todos(at: &mut Cursor<'_>) -> Option<Vec<TodoItem>> {
    let mut todos = Vec::new();
    let mut more = at.array()?;
    while more {
        at.byte(b'{')?;
        let mut text = None;
        let mut completed = None;
        loop {
            let key = at.plain_str()?;
            at.byte(b':')?;
            match key {
                "text" if text.is_none() => text = Some(at.string()?),
                "completed" if completed.is_none() => completed = Some(at.bool()?),
                _ => return None,
            }
            if !at.comma_or(b'}')? {
                break;
            }
        }
        todos.push(TodoItem {
            text: text?,
            completed: completed?,
            extra: Map::new(),
        });
        more = at.comma_or(b']')?;
    }
    Some(todos)
}
