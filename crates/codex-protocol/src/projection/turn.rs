//! Turn projection: one turn's app-server notifications onto exec events
//! ([`TurnProjection`]).
//!
//! The table of what each notification becomes is in the [module docs](super).

use crate::app_server::{self as wire, ServerNotification};
use crate::exec::{
    CommandExecutionStatus, DynamicToolCallStatus, ItemDelta, ItemDetails, ItemEvent,
    McpToolCallStatus, PatchApplyStatus, ReasoningSummaryDelta, ReasoningTextDelta, StreamError,
    TextItemStatus, ThreadEvent, ThreadItem, TodoItem, TodoListItem, TurnCompleted, TurnError,
    TurnFailed, TurnStarted, TurnStatus, Usage,
};
use serde_json::Map;

use super::items::{is_user_message, item as project_item, snake};

/// An item that started and has not completed, with what streamed into it so far.
#[derive(Debug)]
struct OpenItem {
    item: ThreadItem,
    /// Agent message text, or command / file change output, from deltas.
    text: String,
    /// Reasoning summary parts, from deltas.
    summary: Vec<String>,
    /// Raw reasoning parts, from deltas.
    content: Vec<String>,
}

/// The projection of one app-server turn onto exec events: notifications in, one at a time,
/// [`ThreadEvent`]s out.
///
/// It holds what a turn needs to remember between notifications: the items that started and
/// have not completed (with the text streamed into them, for the `interrupted` items it
/// synthesizes), the usage summed so far, the turn's plan as a `todo_list` item, and whether
/// the turn ended. It does no IO and never panics; the caller reads the notifications and
/// delivers the events. What each notification becomes is in the [module docs](super).
///
/// Only feed it notifications of its own turn (codex-agent-exec's turn subscriptions deliver
/// exactly those): it does not look at the `threadId` and `turnId` they carry.
///
/// ```
/// use codex_agent_protocol::app_server::{parse_server_message, ServerMessage};
/// use codex_agent_protocol::projection::TurnProjection;
///
/// let mut turn = TurnProjection::new("turn_1");
/// let lines = [
///     r#"{"method":"turn/started","params":{"threadId":"t","turn":{"id":"turn_1","rootTurnId":null,"items":[],"itemsView":"summary","status":"inProgress","error":null,"startedAt":1,"completedAt":null,"durationMs":null}}}"#,
///     r#"{"method":"item/completed","params":{"threadId":"t","turnId":"turn_1","completedAtMs":2,"item":{"type":"agentMessage","id":"m","text":"Hi.","phase":null,"moderation":null,"memoryCitation":null,"delivery":null,"questions":null,"startedAtMs":1,"completedAtMs":2}}}"#,
///     r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"turn_1","rootTurnId":null,"items":[],"itemsView":"summary","status":"completed","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#,
/// ];
/// let mut events = Vec::new();
/// for line in lines {
///     let ServerMessage::Notification(note) = parse_server_message(line)? else { unreachable!() };
///     events.extend(turn.on_notification(&note.body));
/// }
/// let types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
/// assert_eq!(types, ["turn.started", "item.completed", "turn.completed"]);
/// assert!(turn.is_done());
/// # Ok::<(), codex_agent_protocol::ParseError>(())
/// ```
#[derive(Debug)]
pub struct TurnProjection {
    turn_id: String,
    open: Vec<OpenItem>,
    usage: Usage,
    todo: Option<TodoListItem>,
    /// The turn's commands that codex started as processes of their own (a `processId` at
    /// `item/started`) and that have not completed: item id and process id.
    running: Vec<(String, String)>,
    done: bool,
    interrupted: bool,
}

impl TurnProjection {
    /// A projection for the turn `turn_id` (the id `turn/start` answered with), before any
    /// notification.
    #[must_use]
    pub fn new(turn_id: impl Into<String>) -> Self {
        Self {
            turn_id: turn_id.into(),
            open: Vec::new(),
            usage: Usage::default(),
            todo: None,
            running: Vec::new(),
            done: false,
            interrupted: false,
        }
    }

    /// The id of the turn, as given to [`TurnProjection::new`].
    #[must_use]
    pub fn turn_id(&self) -> &str {
        &self.turn_id
    }

    /// Whether `turn/completed` was seen: the turn ended and no more events will come.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The turn's usage so far: the `last` counts of every `thread/tokenUsage/updated` seen,
    /// summed (codex sends one after each model call, so this grows during the turn).
    #[must_use]
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Whether the turn ended with status `interrupted`.
    #[must_use]
    pub fn was_interrupted(&self) -> bool {
        self.interrupted
    }

    /// The process ids of the turn's commands that started and have not completed. codex
    /// keeps such commands running after the turn ends (unified exec's background
    /// terminals), so a client that stops a turn stops these too.
    #[must_use]
    pub fn running_processes(&self) -> Vec<String> {
        self.running
            .iter()
            .map(|(_, process)| process.clone())
            .collect()
    }

    /// The events one notification of this turn produces, in order; often none, sometimes
    /// several (`turn/completed` after an interrupt closes every open item first).
    ///
    /// After `turn/completed`, every notification produces nothing.
    #[must_use = "the events are the projection's only output"]
    pub fn on_notification(&mut self, notification: &ServerNotification) -> Vec<ThreadEvent> {
        if self.done {
            return Vec::new();
        }
        match notification {
            ServerNotification::TurnStarted(_) => {
                vec![ThreadEvent::TurnStarted(TurnStarted::default())]
            }
            ServerNotification::ItemStarted(n) => self.item_started(&n.item),
            ServerNotification::ItemCompleted(n) => self.item_completed(&n.item),
            ServerNotification::AgentMessageDelta(d) => {
                self.append_text(&d.item_id, &d.delta);
                vec![ThreadEvent::AgentMessageDelta(delta(&d.item_id, &d.delta))]
            }
            ServerNotification::CommandExecutionOutputDelta(d) => {
                self.append_text(&d.item_id, &d.delta);
                vec![ThreadEvent::CommandOutputDelta(delta(&d.item_id, &d.delta))]
            }
            ServerNotification::FileChangeOutputDelta(d) => {
                vec![ThreadEvent::FileChangeOutputDelta(delta(
                    &d.item_id, &d.delta,
                ))]
            }
            ServerNotification::ReasoningSummaryTextDelta(d) => {
                let index = index(d.summary_index);
                if let Some(open) = self.open_mut(&d.item_id) {
                    part(&mut open.summary, index).push_str(&d.delta);
                }
                vec![ThreadEvent::ReasoningSummaryDelta(ReasoningSummaryDelta {
                    item_id: d.item_id.clone(),
                    delta: d.delta.clone(),
                    summary_index: index as u64,
                    extra: Map::new(),
                })]
            }
            ServerNotification::ReasoningTextDelta(d) => {
                let index = index(d.content_index);
                if let Some(open) = self.open_mut(&d.item_id) {
                    part(&mut open.content, index).push_str(&d.delta);
                }
                vec![ThreadEvent::ReasoningTextDelta(ReasoningTextDelta {
                    item_id: d.item_id.clone(),
                    delta: d.delta.clone(),
                    content_index: index as u64,
                    extra: Map::new(),
                })]
            }
            ServerNotification::TurnPlanUpdated(p) => self.plan_updated(&p.plan),
            ServerNotification::ThreadTokenUsageUpdated(u) => {
                self.add_usage(&u.token_usage);
                Vec::new()
            }
            ServerNotification::Error(e) => vec![ThreadEvent::Error(StreamError {
                message: e.error.message.clone(),
                extra: Map::new(),
            })],
            ServerNotification::TurnCompleted(c) => self.turn_completed(&c.turn),
            _ => Vec::new(),
        }
    }

    fn item_started(&mut self, item: &wire::ThreadItem) -> Vec<ThreadEvent> {
        if let wire::ThreadItem::CommandExecution(command) = item
            && let Some(process) = &command.process_id
        {
            self.running.retain(|(id, _)| *id != command.id);
            self.running.push((command.id.clone(), process.clone()));
        }
        if is_user_message(item) {
            return Vec::new();
        }
        let mapped = project_item(item);
        self.open.retain(|open| open.item.id != mapped.id);
        self.open.push(OpenItem {
            item: mapped.clone(),
            text: String::new(),
            summary: Vec::new(),
            content: Vec::new(),
        });
        vec![item_event(ThreadEvent::ItemStarted, mapped)]
    }

    fn item_completed(&mut self, item: &wire::ThreadItem) -> Vec<ThreadEvent> {
        if let wire::ThreadItem::CommandExecution(command) = item {
            self.running.retain(|(id, _)| *id != command.id);
        }
        if is_user_message(item) {
            return Vec::new();
        }
        let mapped = project_item(item);
        self.open.retain(|open| open.item.id != mapped.id);
        vec![item_event(ThreadEvent::ItemCompleted, mapped)]
    }

    fn open_mut(&mut self, item_id: &str) -> Option<&mut OpenItem> {
        self.open.iter_mut().find(|open| open.item.id == item_id)
    }

    fn append_text(&mut self, item_id: &str, delta: &str) {
        if let Some(open) = self.open_mut(item_id) {
            open.text.push_str(delta);
        }
    }

    fn plan_updated(&mut self, plan: &[wire::TurnPlanStep]) -> Vec<ThreadEvent> {
        let items = plan
            .iter()
            .map(|step| TodoItem {
                text: step.step.clone(),
                completed: step.status == wire::TurnPlanStepStatus::Completed,
                extra: Map::new(),
            })
            .collect();
        let started = self.todo.is_none();
        let todo = TodoListItem {
            items,
            extra: Map::new(),
        };
        self.todo = Some(todo.clone());
        let item = ThreadItem {
            id: self.todo_id(),
            details: ItemDetails::TodoList(todo),
        };
        if started {
            vec![item_event(ThreadEvent::ItemStarted, item)]
        } else {
            vec![item_event(ThreadEvent::ItemUpdated, item)]
        }
    }

    /// The id of the turn's synthesized `todo_list` item.
    fn todo_id(&self) -> String {
        format!("todo_list_{}", self.turn_id)
    }

    fn add_usage(&mut self, usage: &wire::ThreadTokenUsage) {
        let last = &usage.last;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let total = &mut self.usage;
        total.input_tokens += count(last.input_tokens);
        total.cached_input_tokens += count(last.cached_input_tokens);
        total.cache_write_input_tokens += count(last.cache_write_input_tokens);
        total.output_tokens += count(last.output_tokens);
        total.reasoning_output_tokens += count(last.reasoning_output_tokens);
        if let Some(window) = usage.model_context_window {
            total.model_context_window = u64::try_from(window).ok();
        }
    }

    fn turn_completed(&mut self, turn: &wire::Turn) -> Vec<ThreadEvent> {
        self.done = true;
        let mut events = Vec::new();
        match &turn.status {
            wire::TurnStatus::Failed => {
                let (message, codex_error_info, additional_details) = match &turn.error {
                    Some(error) => (
                        error.message.clone(),
                        error
                            .codex_error_info
                            .as_ref()
                            .and_then(|info| serde_json::to_value(info).ok()),
                        error.additional_details.clone(),
                    ),
                    None => ("the turn failed".to_owned(), None, None),
                };
                events.push(ThreadEvent::TurnFailed(TurnFailed {
                    error: TurnError {
                        message,
                        codex_error_info,
                        additional_details,
                        extra: Map::new(),
                    },
                    extra: Map::new(),
                }));
            }
            status => {
                let status = match status {
                    wire::TurnStatus::Completed | wire::TurnStatus::InProgress => None,
                    wire::TurnStatus::Interrupted => {
                        self.interrupted = true;
                        events.extend(self.close_open());
                        Some(TurnStatus::Interrupted)
                    }
                    other => Some(TurnStatus::from_wire(&snake(
                        other.as_str().unwrap_or("unknown"),
                    ))),
                };
                if let Some(todo) = self.todo.take() {
                    let item = ThreadItem {
                        id: self.todo_id(),
                        details: ItemDetails::TodoList(todo),
                    };
                    events.push(item_event(ThreadEvent::ItemCompleted, item));
                }
                events.push(ThreadEvent::TurnCompleted(TurnCompleted {
                    usage: self.usage.clone(),
                    status,
                    extra: Map::new(),
                }));
            }
        }
        events
    }

    /// `item.completed` for every item still open, in the order they started, marked
    /// interrupted, with what streamed into them so far.
    fn close_open(&mut self) -> Vec<ThreadEvent> {
        std::mem::take(&mut self.open)
            .into_iter()
            .map(|open| item_event(ThreadEvent::ItemCompleted, interrupted(open)))
            .collect()
    }
}

/// An open item, closed as interrupted.
fn interrupted(open: OpenItem) -> ThreadItem {
    let OpenItem {
        mut item,
        text,
        summary,
        content,
    } = open;
    match &mut item.details {
        ItemDetails::AgentMessage(m) => {
            if m.text.len() < text.len() {
                m.text = text;
            }
            m.status = Some(TextItemStatus::Interrupted);
        }
        ItemDetails::Reasoning(r) => {
            if !summary.is_empty() && r.text.is_empty() {
                r.text = summary.join("\n");
            }
            if !content.is_empty() && r.content.is_none() {
                r.content = Some(content.join("\n"));
            }
            r.status = Some(TextItemStatus::Interrupted);
        }
        ItemDetails::CommandExecution(c) => {
            if c.aggregated_output.len() < text.len() {
                c.aggregated_output = text;
            }
            c.status = CommandExecutionStatus::Interrupted;
        }
        ItemDetails::FileChange(f) => f.status = PatchApplyStatus::Interrupted,
        ItemDetails::McpToolCall(m) => m.status = McpToolCallStatus::Interrupted,
        ItemDetails::DynamicToolCall(d) => d.status = DynamicToolCallStatus::Interrupted,
        _ => {}
    }
    item
}

fn item_event(variant: fn(ItemEvent) -> ThreadEvent, item: ThreadItem) -> ThreadEvent {
    variant(ItemEvent {
        item,
        extra: Map::new(),
    })
}

fn delta(item_id: &str, delta: &str) -> ItemDelta {
    ItemDelta {
        item_id: item_id.to_owned(),
        delta: delta.to_owned(),
        extra: Map::new(),
    }
}

/// A part index from the wire, where a negative value cannot occur (clamped to 0).
fn index(i: i64) -> usize {
    usize::try_from(i).unwrap_or(0)
}

/// The part at `index`, growing the list as needed.
fn part(parts: &mut Vec<String>, index: usize) -> &mut String {
    // Bounded: one part per index the server sends, and the server sends them in order.
    if parts.len() <= index {
        parts.resize(index.min(1024) + 1, String::new());
    }
    let last = parts.len() - 1;
    &mut parts[index.min(last)]
}

#[cfg(test)]
mod tests {
    //! Synthetic notification sequences for what the live transcripts do not show
    //! (interrupts, plans, several model calls); the transcripts themselves are projected in
    //! `tests/it/projection.rs`.

    use std::fmt::Write as _;

    use expect_test::{Expect, expect};

    use super::*;
    use crate::app_server::{ServerMessage, parse_server_message};

    /// Feeds `notes` (notification lines of the turn `u`) through a [`TurnProjection`] and
    /// renders the events, one per line, then `(done)` when the turn ended.
    fn check(notes: &[&str], expect: &Expect) {
        let mut projection = TurnProjection::new("u");
        let mut out = String::new();
        for note in notes {
            let ServerMessage::Notification(note) = parse_server_message(note).expect("parses")
            else {
                panic!("not a notification: {note}");
            };
            for event in projection.on_notification(&note.body) {
                let _ = writeln!(out, "{}", event.to_json_line());
            }
        }
        if projection.is_done() {
            out.push_str("(done)\n");
        }
        expect.assert_eq(&out);
    }

    const AGENT_MESSAGE_STARTED: &str = r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"agentMessage","id":"m","text":"","phase":null,"moderation":null,"memoryCitation":null,"delivery":null,"questions":null,"startedAtMs":1,"completedAtMs":null}}}"#;
    const AGENT_MESSAGE_DELTA: &str = r#"{"method":"item/agentMessage/delta","params":{"threadId":"t","turnId":"u","itemId":"m","delta":"Paris is "}}"#;
    const PLAN: &str = r#"{"method":"turn/plan/updated","params":{"threadId":"t","turnId":"u","explanation":null,"plan":[{"step":"look","status":"completed"},{"step":"fix","status":"inProgress"}]}}"#;
    const PLAN_DONE: &str = r#"{"method":"turn/plan/updated","params":{"threadId":"t","turnId":"u","explanation":null,"plan":[{"step":"look","status":"completed"},{"step":"fix","status":"completed"}]}}"#;
    const COMPLETED: &str = r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"completed","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#;
    const INTERRUPTED: &str = r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"interrupted","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#;

    #[test]
    fn interrupted_turn_closes_open_items_with_what_streamed() {
        check(
            &[
                r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"reasoning","id":"rs","summary":[],"content":[],"startedAtMs":1,"completedAtMs":null}}}"#,
                r#"{"method":"item/reasoning/summaryTextDelta","params":{"threadId":"t","turnId":"u","itemId":"rs","delta":"**Plan**","summaryIndex":0}}"#,
                AGENT_MESSAGE_STARTED,
                AGENT_MESSAGE_DELTA,
                r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"commandExecution","id":"c","command":"sleep 9","cwd":"/w","processId":null,"source":"agent","status":"inProgress","commandActions":[],"aggregatedOutput":null,"exitCode":null,"durationMs":null,"pluginId":null,"scriptPath":null,"startedAtMs":1,"completedAtMs":null}}}"#,
                r#"{"method":"item/commandExecution/outputDelta","params":{"threadId":"t","turnId":"u","itemId":"c","delta":"tick\n"}}"#,
                PLAN,
                INTERRUPTED,
                // Nothing comes out after the end.
                AGENT_MESSAGE_DELTA,
            ],
            &expect![[r#"
                {"type":"item.started","item":{"id":"rs","type":"reasoning","text":""}}
                {"type":"item.reasoning.summary_delta","item_id":"rs","delta":"**Plan**","summary_index":0}
                {"type":"item.started","item":{"id":"m","type":"agent_message","text":""}}
                {"type":"item.agent_message.delta","item_id":"m","delta":"Paris is "}
                {"type":"item.started","item":{"id":"c","type":"command_execution","command":"sleep 9","aggregated_output":"","exit_code":null,"status":"in_progress","cwd":"/w"}}
                {"type":"item.command_execution.output_delta","item_id":"c","delta":"tick\n"}
                {"type":"item.started","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":false}]}}
                {"type":"item.completed","item":{"id":"rs","type":"reasoning","text":"**Plan**","status":"interrupted"}}
                {"type":"item.completed","item":{"id":"m","type":"agent_message","text":"Paris is ","status":"interrupted"}}
                {"type":"item.completed","item":{"id":"c","type":"command_execution","command":"sleep 9","aggregated_output":"tick\n","exit_code":null,"status":"interrupted","cwd":"/w"}}
                {"type":"item.completed","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":false}]}}
                {"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0},"status":"interrupted"}
                (done)
            "#]],
        );
    }

    #[test]
    fn plan_is_a_todo_list_started_updated_and_completed_with_the_turn() {
        check(
            &[PLAN, PLAN_DONE, COMPLETED],
            &expect![[r#"
                {"type":"item.started","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":false}]}}
                {"type":"item.updated","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":true}]}}
                {"type":"item.completed","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":true}]}}
                {"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0}}
                (done)
            "#]],
        );
    }

    #[test]
    fn usage_sums_the_last_call_of_every_update() {
        let usage = |input: u32, window: &str| {
            format!(
                r#"{{"method":"thread/tokenUsage/updated","params":{{"threadId":"t","turnId":"u","tokenUsage":{{"total":{{"totalTokens":0,"inputTokens":0,"cachedInputTokens":0,"cacheWriteInputTokens":0,"outputTokens":0,"reasoningOutputTokens":0}},"last":{{"totalTokens":{input},"inputTokens":{input},"cachedInputTokens":2,"cacheWriteInputTokens":1,"outputTokens":3,"reasoningOutputTokens":1}},"modelContextWindow":{window}}}}}}}"#
            )
        };
        let (first, second) = (usage(100, "1000"), usage(20, "null"));
        check(
            &[&first, &second, COMPLETED],
            &expect![[r#"
                {"type":"turn.completed","usage":{"input_tokens":120,"cached_input_tokens":4,"cache_write_input_tokens":2,"output_tokens":6,"reasoning_output_tokens":2,"model_context_window":1000}}
                (done)
            "#]],
        );
    }

    #[test]
    fn user_input_echoed_back_is_not_reported() {
        check(
            &[
                r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"userMessage","id":"s","clientId":null,"content":[{"type":"text","text":"steer","text_elements":[]}],"startedAtMs":1,"completedAtMs":null}}}"#,
                r#"{"method":"item/completed","params":{"threadId":"t","turnId":"u","completedAtMs":1,"item":{"type":"userMessage","id":"s","clientId":null,"content":[{"type":"text","text":"steer","text_elements":[]}],"startedAtMs":1,"completedAtMs":1}}}"#,
                INTERRUPTED,
            ],
            &expect![[r#"
                {"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0},"status":"interrupted"}
                (done)
            "#]],
        );
    }

    #[test]
    fn failed_turn_without_an_error_still_says_it_failed() {
        check(
            &[
                AGENT_MESSAGE_STARTED,
                r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"failed","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#,
            ],
            &expect![[r#"
                {"type":"item.started","item":{"id":"m","type":"agent_message","text":""}}
                {"type":"turn.failed","error":{"message":"the turn failed"}}
                (done)
            "#]],
        );
    }

    #[test]
    fn unknown_turn_status_is_kept_in_exec_spelling() {
        check(
            &[
                r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"pausedForReview","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#,
            ],
            &expect![[r#"
                {"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0},"status":"paused_for_review"}
                (done)
            "#]],
        );
    }

    #[test]
    fn notifications_without_an_exec_counterpart_produce_nothing() {
        check(
            &[
                r#"{"method":"thread/status/changed","params":{"threadId":"t","status":{"type":"idle"}}}"#,
                r#"{"method":"some/futureNotification","params":{"threadId":"t","turnId":"u"}}"#,
            ],
            &expect![""],
        );
    }

    #[test]
    fn commands_that_did_not_complete_are_still_running() {
        let command = |id: &str, process: &str, method: &str| {
            format!(
                r#"{{"method":"item/{method}","params":{{"threadId":"t","turnId":"u","{method}AtMs":1,"item":{{"type":"commandExecution","id":"{id}","command":"sleep 9","cwd":"/w","processId":{process},"source":"unifiedExecStartup","status":"inProgress","commandActions":[],"aggregatedOutput":null,"exitCode":null,"durationMs":null,"startedAtMs":1,"completedAtMs":null}}}}}}"#
            )
        };
        let completed = |status: &str| {
            format!(
                r#"{{"method":"turn/completed","params":{{"threadId":"t","turn":{{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"{status}","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}}}}"#
            )
        };
        for status in ["interrupted", "completed"] {
            let mut projection = TurnProjection::new("u");
            for note in [
                command("c1", r#""101""#, "started"),
                command("c2", r#""102""#, "started"),
                command("c3", "null", "started"),
                command("c2", r#""102""#, "completed"),
                completed(status),
            ] {
                let ServerMessage::Notification(note) =
                    parse_server_message(&note).expect("parses")
                else {
                    panic!("not a notification: {note}");
                };
                let _ = projection.on_notification(&note.body);
            }
            assert_eq!(
                (projection.running_processes(), projection.was_interrupted()),
                (vec!["101".to_owned()], status == "interrupted"),
                "{status}"
            );
        }
    }
}
