//! Rollout files: the JSONL history codex keeps of every thread, under
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<timestamp>-<thread id>.jsonl` (archived threads
//! under `$CODEX_HOME/archived_sessions/`).
//!
//! Each line is `{"timestamp": …, "ordinal": …, "type": …, "payload": …}`. The types this
//! crate knows, from live captures of codex 0.169.0 and 0.171.0:
//!
//! | `type` | payload |
//! |---|---|
//! | `session_meta` | [`SessionMeta`]: id, cwd, cli version, source, originator, … (first line) |
//! | `event_msg` | [`EventMsg`]: turn boundaries (`task_started`, `task_complete`, `turn_aborted`), completed items (`item_completed`, carrying codex's core item), token counts, settings |
//! | `response_item` | the model's history item (message, reasoning, function call and output), kept raw |
//! | `turn_context`, `world_state`, `token_usage_record`, `compacted`, `retained_context` | kept raw ([`RolloutItem::Other`]) |
//!
//! Anything else is [`RolloutItem::Unknown`] (an event message codex adds later is
//! [`EventMsg::Unknown`], a core item [`CoreItem::Unknown`]), with the raw JSON, so a rollout of
//! a newer codex still reads. [`parse_rollout`] reads a whole file's text: a line that is not
//! valid becomes a [`RolloutLineError`] naming its line, the other lines are still read, and a
//! torn last line (codex killed mid-write) is reported as [`Rollout::torn_tail`], not as an
//! error. [`Rollout::record`] rebuilds the thread ([`ThreadRecord`]) with the same items its
//! turns streamed.
//!
//! Like the rest of this crate, this is pure: the caller finds and reads the files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::exec::{
    AgentMessageItem, CommandExecutionItem, CommandExecutionStatus, DynamicToolCallItem,
    DynamicToolCallStatus, FileChangeItem, FileUpdateChange, ItemDetails, McpContent,
    McpToolCallError, McpToolCallItem, McpToolCallResult, McpToolCallStatus, PatchApplyStatus,
    PatchChangeKind, ReasoningItem, ThreadItem, Usage,
};
use crate::history::{RecordProblem, ThreadRecord, ThreadSummary, TurnRecord, TurnRecordStatus};
use crate::{ParseError, RawJson};

/// One line of a rollout file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RolloutLine {
    /// When codex wrote the line (RFC 3339), if it said.
    pub timestamp: Option<String>,
    /// The typed payload.
    pub item: RolloutItem,
}

/// The payload of a rollout line, by its `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RolloutItem {
    /// `session_meta`: the thread's metadata (the first line).
    SessionMeta(Box<SessionMeta>),
    /// `event_msg`: something that happened in a turn.
    EventMsg(EventMsg),
    /// A known line type this crate keeps raw: `response_item`, `turn_context`,
    /// `world_state`, `token_usage_record`, `compacted`, `retained_context`.
    Other {
        /// The line's `type`.
        kind: String,
        /// The raw payload.
        payload: Value,
    },
    /// A line type this crate does not know, kept raw.
    Unknown {
        /// The line's `type`.
        kind: String,
        /// The raw payload.
        payload: Value,
    },
}

/// The line types kept raw as [`RolloutItem::Other`].
pub const RAW_LINE_TYPES: &[&str] = &[
    "response_item",
    "turn_context",
    "world_state",
    "token_usage_record",
    "compacted",
    // The user's answers to `request_user_input` that codex keeps for later turns
    // (`{"type": "verified_answer", "turn_id", "call_id", "questions": [{question, answer}]}`),
    // seen with codex 0.169.0 and `features.default_mode_request_user_input`.
    "retained_context",
];

/// `session_meta`: what codex records when a thread starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionMeta {
    /// The thread id.
    pub id: String,
    /// When the thread started (RFC 3339).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The working directory.
    #[serde(default)]
    pub cwd: String,
    /// The client that started it (`codex_exec`, the SDK's originator, …).
    #[serde(default)]
    pub originator: Option<String>,
    /// The codex version that wrote the file.
    #[serde(default)]
    pub cli_version: String,
    /// Who started it (`exec`, `vscode`, …); raw, as codex spells it.
    #[serde(default)]
    pub source: Option<Value>,
    /// The model provider.
    #[serde(default)]
    pub model_provider: Option<String>,
    /// The thread this one was forked from.
    #[serde(default)]
    pub forked_from_id: Option<String>,
    /// Everything else, kept raw (base instructions, workspace roots, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An `event_msg` payload, by its `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventMsg {
    /// `task_started`: a turn started.
    TaskStarted {
        /// The turn id.
        turn_id: String,
    },
    /// `task_complete`: a turn completed.
    TaskComplete {
        /// The turn id.
        turn_id: String,
    },
    /// `turn_aborted`: a turn was interrupted.
    TurnAborted {
        /// The turn id, when codex names it.
        turn_id: Option<String>,
    },
    /// `item_completed`: an item of a turn completed.
    ItemCompleted {
        /// The turn id.
        turn_id: String,
        /// The item, in codex's core model.
        item: CoreItem,
    },
    /// `token_count`: token usage after a model request.
    TokenCount {
        /// The usage of the last request (`info.last_token_usage`), when present.
        last: Option<Usage>,
    },
    /// `error`: a turn failed.
    Error {
        /// The message.
        message: String,
    },
    /// `thread_name_updated`: the thread was renamed.
    ThreadNameUpdated {
        /// The new name, `None` when cleared.
        name: Option<String>,
    },
    /// A known event this crate keeps raw (`thread_settings_applied`, `item_started`, …; see
    /// [`RAW_EVENT_TYPES`]).
    Other {
        /// The event's `type`.
        kind: String,
        /// The raw payload.
        payload: Value,
    },
    /// An event this crate does not know, kept raw.
    Unknown {
        /// The event's `type`.
        kind: String,
        /// The raw payload.
        payload: Value,
    },
}

/// The `event_msg` types kept raw as [`EventMsg::Other`].
pub const RAW_EVENT_TYPES: &[&str] = &[
    "thread_settings_applied",
    "item_started",
    "user_message",
    "agent_message",
    "agent_reasoning",
    "exec_command_end",
    "patch_apply_end",
    "mcp_tool_call_end",
    "web_search_end",
    "plan_update",
    "context_compacted",
    "thread_rolled_back",
    "thread_goal_updated",
    "thread_goal_cleared",
];

/// An item of codex's core model, as `item_completed` carries it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreItem {
    /// `UserMessage`: the prompt; its text parts.
    UserMessage {
        /// The item id.
        id: String,
        /// The text parts.
        texts: Vec<String>,
    },
    /// `HookPrompt`: text a hook handed the model as the next instruction (a `Stop` hook's
    /// block reason, say); like the prompt, not an item of the exec stream.
    HookPrompt {
        /// The item id.
        id: String,
        /// The fragments' texts.
        texts: Vec<String>,
        /// The hook runs that produced them (`hookRunId`), one per fragment that names one.
        hook_run_ids: Vec<String>,
    },
    /// `AgentMessage`: an answer.
    AgentMessage {
        /// The item id.
        id: String,
        /// The text parts, joined.
        text: String,
        /// The phase (`commentary`, `final_answer`), when codex said.
        phase: Option<String>,
    },
    /// `Reasoning`: the reasoning summary and raw content.
    Reasoning {
        /// The item id.
        id: String,
        /// The summary parts.
        summary: Vec<String>,
        /// The raw content parts.
        content: Vec<String>,
    },
    /// `CommandExecution`: a command the agent ran.
    CommandExecution(Box<CoreCommand>),
    /// `FileChange`: a patch the agent applied.
    FileChange {
        /// The item id.
        id: String,
        /// The changed paths and what happened to each (`add`, `delete`, `update`), sorted
        /// by path.
        changes: Vec<(String, String, Option<String>)>,
        /// The status (`completed`, `failed`, `declined`).
        status: String,
    },
    /// `McpToolCall`: a call to a tool of an MCP server (the SDK's host tools on exec
    /// included).
    McpToolCall(Box<CoreMcpToolCall>),
    /// `DynamicToolCall`: a call of a client-registered (dynamic) tool, the SDK's host tools
    /// on the app-server.
    DynamicToolCall(Box<CoreDynamicToolCall>),
    /// An item this crate does not model, kept raw.
    Unknown {
        /// The item's `type`.
        kind: String,
        /// The raw item.
        raw: Value,
    },
}

/// The payload of [`CoreItem::DynamicToolCall`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CoreDynamicToolCall {
    /// The item id (the model's call id).
    pub id: String,
    /// The tool.
    pub tool: String,
    /// The tool's namespace, when it was declared in one.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The arguments.
    #[serde(default)]
    pub arguments: Value,
    /// The status (`completed`, `failed`, …).
    #[serde(default)]
    pub status: String,
    /// The output parts the client answered (`{"type": "inputText", "text": …}`, …).
    #[serde(default)]
    pub content_items: Option<Vec<Value>>,
    /// Whether the client reported success.
    #[serde(default)]
    pub success: Option<bool>,
    /// How long the call took (`{"secs", "nanos"}`).
    #[serde(default)]
    pub duration: Option<CoreDuration>,
}

/// A duration as codex's core writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CoreDuration {
    /// Whole seconds.
    #[serde(default)]
    pub secs: u64,
    /// Nanoseconds on top.
    #[serde(default)]
    pub nanos: u64,
}

impl CoreDuration {
    /// In whole milliseconds.
    #[must_use]
    pub fn as_millis(self) -> u64 {
        self.secs
            .saturating_mul(1000)
            .saturating_add(self.nanos / 1_000_000)
    }
}

/// The payload of [`CoreItem::McpToolCall`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CoreMcpToolCall {
    /// The item id (the model's call id).
    pub id: String,
    /// The MCP server's configured name.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// The arguments.
    #[serde(default)]
    pub arguments: Value,
    /// The status (`completed`, `failed`, …).
    #[serde(default)]
    pub status: String,
    /// The MCP result (`content`, `structuredContent`, `isError`), when the server answered.
    #[serde(default)]
    pub result: Option<Value>,
    /// Why the call failed, when it did without a result (text or an object with `message`).
    #[serde(default)]
    pub error: Option<Value>,
}

/// The payload of [`CoreItem::CommandExecution`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CoreCommand {
    /// The item id (the model's call id).
    pub id: String,
    /// The argv codex ran.
    pub command: Vec<String>,
    /// Everything the command printed.
    #[serde(default)]
    pub aggregated_output: String,
    /// The exit code, once it exited.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// The status (`completed`, `failed`, `declined`, …).
    #[serde(default)]
    pub status: String,
}

impl CoreItem {
    /// Whether this item is one this crate does not model.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }
}

/// A line of a rollout file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the rollout: {error}")]
#[non_exhaustive]
pub struct RolloutLineError {
    /// The 1-based line number.
    pub line: u64,
    /// Why (with a bounded excerpt).
    #[source]
    pub error: ParseError,
}

/// A parsed rollout file: every line that could be read, and the ones that could not.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Rollout {
    /// The lines read, with their 1-based line numbers.
    pub lines: Vec<(u64, RolloutLine)>,
    /// The lines that could not be read (the last line excepted when it is torn).
    pub errors: Vec<RolloutLineError>,
    /// Whether the last line was cut short (no newline and not valid JSON): codex was stopped
    /// mid-write. It is left out, not reported as an error.
    pub torn_tail: bool,
}

/// The newest codex version whose rollout files this crate was checked against. A file
/// written by a later version still reads (what it adds is unknown), and
/// [`Rollout::newer_codex`] says so.
pub const NEWEST_KNOWN_CLI_VERSION: &str = "0.171.0";

/// `major.minor.patch` of a codex version (`0.171.0`, `0.172.0-alpha.1`), if it has that form.
fn version_triple(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(str::parse::<u64>);
    let triple = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    parts.next().is_none().then_some(triple)
}

impl Rollout {
    /// The codex version that wrote this file, when it is newer than
    /// [`NEWEST_KNOWN_CLI_VERSION`]: lines and fields it added read as unknown, and
    /// [`Rollout::record`] lists a problem on the `session_meta` line.
    #[must_use]
    pub fn newer_codex(&self) -> Option<&str> {
        let meta = self.meta()?;
        let known = version_triple(NEWEST_KNOWN_CLI_VERSION)?;
        let written = version_triple(&meta.cli_version)?;
        (written > known).then_some(meta.cli_version.as_str())
    }

    /// The session metadata (the first `session_meta` line), if there is one.
    #[must_use]
    pub fn meta(&self) -> Option<&SessionMeta> {
        self.lines.iter().find_map(|(_, line)| match &line.item {
            RolloutItem::SessionMeta(meta) => Some(&**meta),
            _ => None,
        })
    }

    /// Every unknown in the file, as `line N: <what>` (unknown line types, event types and
    /// core items), for strict checks.
    #[must_use]
    pub fn unknowns(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (number, line) in &self.lines {
            match &line.item {
                RolloutItem::Unknown { kind, .. } => {
                    out.push(format!("line {number}: type={kind}"));
                }
                RolloutItem::EventMsg(EventMsg::Unknown { kind, .. }) => {
                    out.push(format!("line {number}: event_msg.type={kind}"));
                }
                RolloutItem::EventMsg(EventMsg::ItemCompleted {
                    item: CoreItem::Unknown { kind, .. },
                    ..
                }) => out.push(format!("line {number}: item_completed.item.type={kind}")),
                _ => {}
            }
        }
        out
    }

    /// The lines that could not be read, and a newer codex, as record problems.
    fn problems(&self) -> Vec<RecordProblem> {
        let mut problems: Vec<RecordProblem> = self
            .errors
            .iter()
            .map(|e| RecordProblem {
                line: e.line,
                message: e.error.to_string(),
            })
            .collect();
        if let Some(version) = self.newer_codex() {
            let line = self
                .lines
                .iter()
                .find(|(_, l)| matches!(l.item, RolloutItem::SessionMeta(_)))
                .map_or(1, |(number, _)| *number);
            problems.insert(
                0,
                RecordProblem {
                    line,
                    message: format!(
                        "written by codex {version}, newer than {NEWEST_KNOWN_CLI_VERSION} \
                         (the newest this crate knows): what it added is not read"
                    ),
                },
            );
        }
        problems
    }

    /// The thread this rollout records: its summary (`updated_at` is the time of the last
    /// line) and its turns with the items they streamed, in the exec item model. Lines that
    /// could not be read are listed in [`ThreadRecord::problems`].
    #[must_use]
    pub fn record(&self) -> ThreadRecord {
        let mut summary = self.meta().map(summary_of).unwrap_or_default();
        let mut turns: Vec<TurnRecord> = Vec::new();
        let mut open: BTreeMap<String, usize> = BTreeMap::new();
        let mut turn_of = |turn_id: &str, turns: &mut Vec<TurnRecord>| -> usize {
            *open.entry(turn_id.to_owned()).or_insert_with(|| {
                turns.push(TurnRecord {
                    id: turn_id.to_owned(),
                    prompt: String::new(),
                    items: Vec::new(),
                    status: TurnRecordStatus::InProgress,
                    error: None,
                    usage: None,
                });
                turns.len() - 1
            })
        };
        let mut current: Option<usize> = None;
        for (_, line) in &self.lines {
            if let Some(ts) = &line.timestamp {
                summary.updated_at = summary.updated_at.max(unix_seconds(ts));
            }
            let RolloutItem::EventMsg(event) = &line.item else {
                continue;
            };
            match event {
                EventMsg::TaskStarted { turn_id } => current = Some(turn_of(turn_id, &mut turns)),
                EventMsg::TaskComplete { turn_id } => {
                    let index = turn_of(turn_id, &mut turns);
                    if turns[index].status == TurnRecordStatus::InProgress {
                        turns[index].status = TurnRecordStatus::Completed;
                    }
                }
                EventMsg::TurnAborted { turn_id } => {
                    let index = turn_id
                        .as_deref()
                        .map(|id| turn_of(id, &mut turns))
                        .or(current);
                    if let Some(index) = index {
                        turns[index].status = TurnRecordStatus::Interrupted;
                    }
                }
                EventMsg::Error { message } => {
                    if let Some(index) = current {
                        turns[index].status = TurnRecordStatus::Failed;
                        turns[index].error = Some(message.clone());
                    }
                }
                EventMsg::TokenCount { last: Some(last) } => {
                    if let Some(index) = current {
                        let usage = turns[index].usage.get_or_insert_with(Usage::default);
                        usage.input_tokens += last.input_tokens;
                        usage.cached_input_tokens += last.cached_input_tokens;
                        usage.cache_write_input_tokens += last.cache_write_input_tokens;
                        usage.output_tokens += last.output_tokens;
                        usage.reasoning_output_tokens += last.reasoning_output_tokens;
                    }
                }
                EventMsg::ThreadNameUpdated { name } => summary.name.clone_from(name),
                EventMsg::ItemCompleted { turn_id, item } => {
                    let index = turn_of(turn_id, &mut turns);
                    let turn = &mut turns[index];
                    match item {
                        CoreItem::UserMessage { texts, .. } => {
                            if !turn.prompt.is_empty() {
                                turn.prompt.push_str("\n\n");
                            }
                            turn.prompt.push_str(&texts.join("\n\n"));
                        }
                        other => {
                            if let Some(item) = exec_item(other) {
                                turn.items.push(item);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(first) = turns.iter().find(|t| !t.prompt.is_empty()) {
            summary.preview.clone_from(&first.prompt);
        }
        let problems = self.problems();
        ThreadRecord {
            summary,
            turns,
            problems,
        }
    }
}

fn summary_of(meta: &SessionMeta) -> ThreadSummary {
    let mut summary = ThreadSummary::default();
    summary.id.clone_from(&meta.id);
    summary.cwd.clone_from(&meta.cwd);
    summary.cli_version.clone_from(&meta.cli_version);
    summary.source = match &meta.source {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    summary.model_provider.clone_from(&meta.model_provider);
    summary.forked_from_id.clone_from(&meta.forked_from_id);
    summary.created_at = meta.timestamp.as_deref().map_or(0, unix_seconds);

    summary
}

/// The exec item a core item streamed as; `None` for the prompt's echo.
fn exec_item(item: &CoreItem) -> Option<ThreadItem> {
    let (id, details) = match item {
        CoreItem::UserMessage { .. } | CoreItem::HookPrompt { .. } => return None,
        CoreItem::AgentMessage { id, text, .. } => (
            id.clone(),
            ItemDetails::AgentMessage(AgentMessageItem::new(text.clone())),
        ),
        CoreItem::Reasoning {
            id,
            summary,
            content,
        } => {
            let mut reasoning = ReasoningItem::new(summary.join("\n"));
            reasoning.content = (!content.is_empty()).then(|| content.join("\n"));
            (id.clone(), ItemDetails::Reasoning(reasoning))
        }
        CoreItem::CommandExecution(c) => {
            let status = match c.status.as_str() {
                "completed" if c.exit_code.is_some_and(|code| code != 0) => {
                    CommandExecutionStatus::Failed
                }
                other => CommandExecutionStatus::from_wire(other),
            };
            let command = CommandExecutionItem {
                command: shell_join(&c.command),
                aggregated_output: c.aggregated_output.clone(),
                exit_code: c.exit_code,
                status,
                cwd: None,
                duration_ms: None,
                process_id: None,
                extra: Map::new(),
            };
            (c.id.clone(), ItemDetails::CommandExecution(command))
        }
        CoreItem::DynamicToolCall(call) => (
            call.id.clone(),
            ItemDetails::DynamicToolCall(Box::new(DynamicToolCallItem {
                tool: call.tool.clone(),
                namespace: call.namespace.clone(),
                arguments: RawJson::from_value(&call.arguments),
                status: DynamicToolCallStatus::from_wire(&call.status),
                content_items: call.content_items.clone(),
                success: call.success,
                duration_ms: call.duration.map(CoreDuration::as_millis),
                extra: Map::new(),
            })),
        ),
        CoreItem::McpToolCall(call) => (
            call.id.clone(),
            ItemDetails::McpToolCall(Box::new(mcp_item(call))),
        ),
        CoreItem::FileChange {
            id,
            changes,
            status,
        } => {
            let changes = changes
                .iter()
                .map(|(path, kind, move_path)| FileUpdateChange {
                    path: path.clone(),
                    kind: PatchChangeKind::from_wire(kind),
                    diff: None,
                    move_path: move_path.clone(),
                    extra: Map::new(),
                })
                .collect();
            (
                id.clone(),
                ItemDetails::FileChange(FileChangeItem {
                    changes,
                    status: PatchApplyStatus::from_wire(status),
                    extra: Map::new(),
                }),
            )
        }
        CoreItem::Unknown { kind, raw } => {
            let mut fields = raw.as_object().cloned().unwrap_or_default();
            fields.remove("type");
            let id = fields
                .remove("id")
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (
                id,
                ItemDetails::Unknown(crate::exec::UnknownItem {
                    item_type: kind.clone(),
                    fields,
                }),
            )
        }
    };
    Some(ThreadItem::new(id, details))
}

/// The command as `codex exec` shows it: the argv joined, each word quoted for a POSIX shell
/// only when it needs to be.
fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unix seconds of an RFC 3339 UTC timestamp (`2026-12-06T17:41:27.892Z`); 0 when it is not
/// one.
fn unix_seconds(timestamp: &str) -> i64 {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        timestamp.get(range).and_then(|s| s.parse().ok())
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return 0;
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3_600 + mi * 60 + s
}

/// Parses the text of a whole rollout file. Never fails: bad lines are collected in
/// [`Rollout::errors`], a torn last line sets [`Rollout::torn_tail`].
#[must_use]
pub fn parse_rollout(text: &str) -> Rollout {
    let mut rollout = Rollout::default();
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let count = lines.len();
    for (index, raw) in lines.into_iter().enumerate() {
        let number = index as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        match parse_rollout_line(raw) {
            Ok(line) => rollout.lines.push((number, line)),
            Err(error) => {
                let last = index + 1 == count;
                if last && !ends_with_newline && matches!(error, ParseError::Json { .. }) {
                    rollout.torn_tail = true;
                } else {
                    rollout.errors.push(RolloutLineError {
                        line: number,
                        error: error.with_line(number),
                    });
                }
            }
        }
    }
    rollout
}

/// Parses one line of a rollout file.
///
/// # Errors
///
/// [`ParseError::Json`] when the line is not JSON, [`ParseError::Shape`] when it is not a
/// rollout line or a known type has the wrong shape. Unknown types are not errors.
pub fn parse_rollout_line(line: &str) -> Result<RolloutLine, ParseError> {
    let value: Value = crate::fast_json::parse_with(line, |e| ParseError::from_serde(&e, line))?;
    let Value::Object(mut object) = value else {
        return Err(shape("a rollout line is a JSON object", line));
    };
    let timestamp = object
        .remove("timestamp")
        .and_then(|t| t.as_str().map(str::to_owned));
    let Some(Value::String(kind)) = object.remove("type") else {
        return Err(shape("missing string field `type`", line));
    };
    let payload = object.remove("payload").unwrap_or(Value::Null);
    let item = match kind.as_str() {
        "session_meta" => RolloutItem::SessionMeta(Box::new(
            serde_json::from_value(payload)
                .map_err(|e| shape(&format!("session_meta: {e}"), line))?,
        )),
        "event_msg" => RolloutItem::EventMsg(event_msg(payload, line)?),
        known if RAW_LINE_TYPES.contains(&known) => RolloutItem::Other { kind, payload },
        _ => RolloutItem::Unknown { kind, payload },
    };
    Ok(RolloutLine { timestamp, item })
}

fn shape(reason: &str, line: &str) -> ParseError {
    ParseError::shape(reason, line)
}

fn str_field(payload: &Value, key: &str) -> Option<String> {
    payload.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn required(payload: &Value, key: &str, context: &str, line: &str) -> Result<String, ParseError> {
    str_field(payload, key).ok_or_else(|| shape(&format!("{context}: missing `{key}`"), line))
}

fn event_msg(payload: Value, line: &str) -> Result<EventMsg, ParseError> {
    let Some(kind) = str_field(&payload, "type") else {
        return Err(shape("event_msg: missing string field `type`", line));
    };
    Ok(match kind.as_str() {
        "task_started" => EventMsg::TaskStarted {
            turn_id: required(&payload, "turn_id", "task_started", line)?,
        },
        "task_complete" => EventMsg::TaskComplete {
            turn_id: required(&payload, "turn_id", "task_complete", line)?,
        },
        "turn_aborted" => EventMsg::TurnAborted {
            turn_id: str_field(&payload, "turn_id"),
        },
        "error" => EventMsg::Error {
            message: str_field(&payload, "message").unwrap_or_default(),
        },
        "thread_name_updated" => EventMsg::ThreadNameUpdated {
            name: str_field(&payload, "thread_name").or_else(|| str_field(&payload, "name")),
        },
        "token_count" => EventMsg::TokenCount {
            last: payload
                .pointer("/info/last_token_usage")
                .filter(|v| !v.is_null())
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
        },
        "item_completed" => EventMsg::ItemCompleted {
            turn_id: required(&payload, "turn_id", "item_completed", line)?,
            item: core_item(payload.get("item").cloned().unwrap_or(Value::Null), line)?,
        },
        known if RAW_EVENT_TYPES.contains(&known) => EventMsg::Other { kind, payload },
        _ => EventMsg::Unknown { kind, payload },
    })
}

fn texts(content: Option<&Value>, part: &str) -> Vec<String> {
    content
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|p| {
                    p.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case(part))
                })
                .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.get("text").and_then(Value::as_str).map(str::to_owned))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn core_item(raw: Value, line: &str) -> Result<CoreItem, ParseError> {
    let Some(kind) = str_field(&raw, "type") else {
        return Err(shape("item_completed: the item has no `type`", line));
    };
    let id = str_field(&raw, "id").unwrap_or_default();
    Ok(match kind.as_str() {
        "UserMessage" => CoreItem::UserMessage {
            id,
            texts: texts(raw.get("content"), "text"),
        },
        "HookPrompt" => {
            let fragments = raw.get("fragments").and_then(Value::as_array);
            let field = |name: &str| -> Vec<String> {
                fragments
                    .map(|list| {
                        list.iter()
                            .filter_map(|f| f.get(name).and_then(Value::as_str).map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            CoreItem::HookPrompt {
                id,
                texts: field("text"),
                hook_run_ids: field("hookRunId"),
            }
        }
        "AgentMessage" => CoreItem::AgentMessage {
            id,
            text: texts(raw.get("content"), "text").join(""),
            phase: str_field(&raw, "phase"),
        },
        "Reasoning" => CoreItem::Reasoning {
            id,
            summary: strings(raw.get("summary_text")),
            content: strings(raw.get("raw_content")),
        },
        "CommandExecution" => CoreItem::CommandExecution(Box::new(
            serde_json::from_value(raw)
                .map_err(|e| shape(&format!("CommandExecution: {e}"), line))?,
        )),
        "FileChange" => {
            let mut changes: Vec<(String, String, Option<String>)> = raw
                .get("changes")
                .and_then(Value::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(path, change)| {
                            (
                                path.clone(),
                                str_field(change, "type").unwrap_or_default(),
                                str_field(change, "move_path"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            changes.sort();
            CoreItem::FileChange {
                id,
                changes,
                status: str_field(&raw, "status").unwrap_or_default(),
            }
        }
        "DynamicToolCall" => CoreItem::DynamicToolCall(Box::new(
            serde_json::from_value(raw)
                .map_err(|e| shape(&format!("DynamicToolCall: {e}"), line))?,
        )),
        "McpToolCall" => CoreItem::McpToolCall(Box::new(
            serde_json::from_value(raw).map_err(|e| shape(&format!("McpToolCall: {e}"), line))?,
        )),
        _ => CoreItem::Unknown { kind, raw },
    })
}

/// The exec model's MCP tool call item of a core one: an `isError` result is a failed call,
/// as `codex exec` reports it.
fn mcp_item(call: &CoreMcpToolCall) -> McpToolCallItem {
    let result = call
        .result
        .as_ref()
        .filter(|r| !r.is_null())
        .map(|r| McpToolCallResult {
            content: r
                .get("content")
                .and_then(Value::as_array)
                .map(|blocks| blocks.iter().cloned().map(McpContent::from_value).collect())
                .unwrap_or_default(),
            structured_content: r.get("structuredContent").map(RawJson::from_value),
            meta: r.get("_meta").map(RawJson::from_value),
            extra: Map::new(),
        });
    let is_error = call
        .result
        .as_ref()
        .and_then(|r| r.get("isError"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let error = call
        .error
        .as_ref()
        .filter(|e| !e.is_null())
        .map(|e| McpToolCallError {
            message: e
                .as_str()
                .or_else(|| e.get("message").and_then(Value::as_str))
                .map_or_else(|| e.to_string(), str::to_owned),
            extra: Map::new(),
        });
    let status = if call.status == "completed" && is_error {
        McpToolCallStatus::Failed
    } else {
        McpToolCallStatus::from_wire(&call.status)
    };
    McpToolCallItem {
        server: call.server.clone(),
        tool: call.tool.clone(),
        arguments: RawJson::from_value(&call.arguments),
        result,
        error,
        status,
        duration_ms: None,
        extra: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_of_known_dates() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), 0);
        assert_eq!(unix_seconds("2026-12-06T17:41:27.892Z"), 1_796_578_887);
        assert_eq!(unix_seconds("not a date"), 0);
    }

    #[test]
    fn shell_join_quotes_only_what_needs_it() {
        let argv = ["/bin/bash", "-lc", "echo hello"].map(String::from);
        assert_eq!(shell_join(&argv), "/bin/bash -lc 'echo hello'");
        let argv = ["sh", "-c", "echo 'a'"].map(String::from);
        assert_eq!(shell_join(&argv), r"sh -c 'echo '\''a'\'''");
    }

    #[test]
    fn a_torn_last_line_is_not_an_error_but_a_bad_middle_line_is() {
        let text = "{\"type\":\"session_meta\",\"payload\":{\"id\":\"t\"}}\n{oops\n{\"type\":\"event_msg\",\"payload\":{\"type\":\"task_sta";
        let rollout = parse_rollout(text);
        assert!(rollout.torn_tail);
        assert_eq!(rollout.lines.len(), 1);
        assert_eq!(rollout.errors.len(), 1);
        assert_eq!(rollout.errors[0].line, 2);
        assert_eq!(rollout.record().problems[0].line, 2);
    }
}
