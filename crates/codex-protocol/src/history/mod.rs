//! Threads as data: a stored thread ([`ThreadRecord`]) with its turns and their items in the
//! exec item model, whichever way it was read, and its exports.
//!
//! Two sources fill the same types, so a program reads a thread the same way on both
//! transports:
//!
//! - the app-server's `thread/read` and `thread/list` results ([`ThreadRecord::from_app_server`],
//!   [`ThreadSummary::from_app_server`]), whose items are mapped by
//!   [`projection::item`];
//! - a rollout file, the JSONL codex keeps under `$CODEX_HOME/sessions/YYYY/MM/DD/`
//!   ([`crate::rollout::Rollout::record`]).
//!
//! [`export`] turns a record into Markdown (readable on GitHub) or versioned JSON
//! ([`ThreadExport`]).

pub mod export;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app_server as wire;
use crate::exec::{ThreadItem, Usage};
use crate::projection;

pub use export::{EXPORT_VERSION, ThreadExport, to_markdown};

/// What a thread list shows of one thread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ThreadSummary {
    /// The thread id (a UUID), what `resume_thread` takes.
    pub id: String,
    /// The name given with `rename`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first prompt of the thread (codex's `preview`), empty before the first turn.
    pub preview: String,
    /// The working directory of the thread.
    pub cwd: String,
    /// Unix seconds when the thread was created.
    pub created_at: i64,
    /// Unix seconds when the thread was last updated.
    pub updated_at: i64,
    /// The version of codex that created the thread.
    pub cli_version: String,
    /// Who started it (`exec`, `vscode`, `appServer`, `cli`, …), in codex's spelling.
    pub source: String,
    /// The thread it was forked from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<String>,
    /// The model provider the thread uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// The rollout file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ThreadSummary {
    /// The summary of an app-server `Thread` (its turns are ignored).
    #[must_use]
    pub fn from_app_server(thread: &wire::Thread) -> Self {
        Self {
            id: thread.id.clone(),
            name: thread.name.clone(),
            preview: thread.preview.clone(),
            cwd: thread.cwd.clone(),
            created_at: thread.created_at,
            updated_at: thread.updated_at,
            cli_version: thread.cli_version.clone(),
            source: source_name(&thread.source),
            forked_from_id: thread.forked_from_id.clone(),
            model_provider: Some(thread.model_provider.clone()),
            path: thread.path.clone(),
        }
    }
}

fn source_name(source: &wire::SessionSource) -> String {
    match serde_json::to_value(source) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// How a stored turn ended, in the exec spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TurnRecordStatus {
    /// The turn completed.
    Completed,
    /// The turn was interrupted.
    Interrupted,
    /// The turn failed.
    Failed,
    /// The turn has not ended (still running, or codex stopped before it ended).
    InProgress,
}

/// One stored turn: the prompt and the items, as the turn streamed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TurnRecord {
    /// The turn id.
    pub id: String,
    /// The text the user sent (text parts joined with a blank line; images are not text).
    pub prompt: String,
    /// The items of the turn, in the exec item model, in the order they completed. The echo
    /// of the prompt is not an item, as on the stream.
    pub items: Vec<ThreadItem>,
    /// How the turn ended.
    pub status: TurnRecordStatus,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Token usage of the turn, when the source has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl TurnRecord {
    /// The text of the last agent message of the turn (what `Turn::final_response` holds).
    #[must_use]
    pub fn final_response(&self) -> Option<&str> {
        self.items
            .iter()
            .rev()
            .find_map(|item| match &item.details {
                crate::exec::ItemDetails::AgentMessage(m) => Some(m.text.as_str()),
                _ => None,
            })
    }
}

/// A line of a stored thread that could not be read; the rest of the thread still is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct RecordProblem {
    /// The 1-based line of the rollout file.
    pub line: u64,
    /// What was wrong (a bounded excerpt, never the whole line).
    pub message: String,
}

/// A stored thread: its summary and its turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ThreadRecord {
    /// What a list shows of the thread.
    #[serde(flatten)]
    pub summary: ThreadSummary,
    /// The turns, oldest first.
    pub turns: Vec<TurnRecord>,
    /// Lines of the rollout file that could not be read (empty for the app-server, and for
    /// every rollout codex 0.169.0 and 0.171.0 write).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RecordProblem>,
}

impl ThreadRecord {
    /// The record of an app-server `Thread` read with its turns (`includeTurns: true`).
    #[must_use]
    pub fn from_app_server(thread: &wire::Thread) -> Self {
        let turns = thread.turns.iter().map(turn_from_app_server).collect();
        Self {
            summary: ThreadSummary::from_app_server(thread),
            turns,
            problems: Vec::new(),
        }
    }

    /// The id of the thread.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.summary.id
    }

    /// The conversation as Responses API input items, to seed a new thread's model-visible
    /// history (`thread/inject_items`): each turn's prompt as a `user` message, then each
    /// agent message as an `assistant` message, in order. Commands, patches, tool calls and
    /// reasoning are left out (the answers after them carry what the model learned); empty
    /// prompts are skipped.
    #[must_use]
    pub fn response_items(&self) -> Vec<serde_json::Value> {
        let message = |role: &str, kind: &str, text: &str| {
            serde_json::json!({
                "type": "message",
                "role": role,
                "content": [{ "type": kind, "text": text }],
            })
        };
        let mut items = Vec::new();
        for turn in &self.turns {
            if !turn.prompt.is_empty() {
                items.push(message("user", "input_text", &turn.prompt));
            }
            for item in &turn.items {
                if let crate::exec::ItemDetails::AgentMessage(m) = &item.details {
                    items.push(message("assistant", "output_text", &m.text));
                }
            }
        }
        items
    }
}

fn turn_from_app_server(turn: &wire::Turn) -> TurnRecord {
    let mut prompt = Vec::new();
    let mut items = Vec::new();
    for item in &turn.items {
        if let wire::ThreadItem::UserMessage(message) = item {
            for input in &message.content {
                if let wire::UserInput::Text(text) = input {
                    prompt.push(text.text.clone());
                }
            }
        } else {
            items.push(projection::item(item));
        }
    }
    let status = match &turn.status {
        wire::TurnStatus::Completed => TurnRecordStatus::Completed,
        wire::TurnStatus::Interrupted => TurnRecordStatus::Interrupted,
        wire::TurnStatus::Failed => TurnRecordStatus::Failed,
        _ => TurnRecordStatus::InProgress,
    };
    TurnRecord {
        id: turn.id.clone(),
        prompt: prompt.join("\n\n"),
        items,
        status,
        error: turn.error.as_ref().map(|e| e.message.clone()),
        usage: None,
    }
}
