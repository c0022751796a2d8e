//! One turn's app-server notifications → exec [`ThreadEvent`]s: [`TurnState`], pure.
//!
//! The notifications of one turn (already filtered by thread and turn) go in, one at a time;
//! the events a `codex exec` consumer expects come out:
//!
//! | app-server notification | events |
//! |---|---|
//! | `turn/started` | `turn.started` |
//! | `item/started`, `item/completed` | `item.started`, `item.completed` (items mapped by [`map_item`]); `userMessage` items — the user's own input, steer input included — are not reported, as exec does not report them |
//! | `item/agentMessage/delta`, `item/reasoning/summaryTextDelta`, `item/reasoning/textDelta`, `item/commandExecution/outputDelta`, `item/fileChange/outputDelta` | the SDK-synthesized delta events (`item.agent_message.delta`, …) |
//! | `turn/plan/updated` | a `todo_list` item: `item.started` the first time, `item.updated` after, `item.completed` when the turn ends (exec's order) |
//! | `thread/tokenUsage/updated` | nothing; its `last` counts (one model call each) are summed into the turn's usage, exec's per-turn sum |
//! | `error` | `error` (retries included, as exec reports its reconnects) |
//! | `turn/completed` `completed` | `turn.completed` with the summed usage |
//! | `turn/completed` `interrupted` | `item.completed` for every item still open, with status `interrupted` and the text streamed so far, then `turn.completed` with `status: interrupted` |
//! | `turn/completed` `failed` | `turn.failed` with the message, `codex_error_info` and `additional_details` |
//!
//! Everything else (status changes, rate limits, diffs, …) produces no event.

use codex_protocol::app_server::{self as wire, ServerNotification};
use codex_protocol::exec::{
    CommandExecutionStatus, DynamicToolCallStatus, ItemDelta, ItemDetails, ItemEvent,
    McpToolCallStatus, PatchApplyStatus, ReasoningSummaryDelta, ReasoningTextDelta, StreamError,
    TextItemStatus, ThreadEvent, ThreadItem, TodoItem, TodoListItem, TurnCompleted, TurnError,
    TurnFailed, TurnStarted, TurnStatus, Usage,
};
use serde_json::Map;

use super::mapping::{is_user_message, map_item, snake};

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

/// The state of one turn on the app-server transport.
#[derive(Debug)]
pub(crate) struct TurnState {
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

impl TurnState {
    pub(crate) fn new(turn_id: impl Into<String>) -> Self {
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

    /// Whether `turn/completed` was seen: no more events will come.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the turn ended with status `interrupted`.
    pub(crate) fn was_interrupted(&self) -> bool {
        self.interrupted
    }

    /// The process ids of the turn's commands that started and have not completed. codex
    /// keeps them running after the turn ends (unified exec's background terminals).
    pub(crate) fn running_processes(&self) -> Vec<String> {
        self.running
            .iter()
            .map(|(_, process)| process.clone())
            .collect()
    }

    /// The events one notification of this turn produces.
    pub(crate) fn on_notification(
        &mut self,
        notification: &ServerNotification,
    ) -> Vec<ThreadEvent> {
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
        let mapped = map_item(item);
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
        let mapped = map_item(item);
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
    use std::fmt::Write as _;
    use std::path::Path;

    use codex_protocol::app_server::{ServerMessage, parse_server_message};
    use expect_test::{Expect, expect};
    use serde_json::Value;

    use super::*;

    /// The server notifications of the first turn of an app-server transcript, in order.
    fn notifications(name: &str) -> (String, Vec<ServerNotification>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/codex-0.169.0/app-server")
            .join(format!("{name}.jsonl"));
        let text = std::fs::read_to_string(&path).expect("the transcript exists");
        let mut turn = None;
        let mut out = Vec::new();
        for line in text.lines() {
            let record: Value = serde_json::from_str(line).expect("a JSON record");
            if record["dir"] != "server->client" {
                continue;
            }
            let message = parse_server_message(&record["msg"].to_string()).expect("parses");
            match message {
                ServerMessage::Response(r) => {
                    if let Some(id) = r.result.pointer("/turn/id").and_then(Value::as_str) {
                        turn.get_or_insert_with(|| id.to_owned());
                    }
                }
                ServerMessage::Notification(n) => out.push(n.body),
                _ => {}
            }
        }
        (turn.expect("a turn/start response"), out)
    }

    /// Feeds a transcript's turn through a [`TurnState`] and renders the events, one per line.
    fn check(name: &str, expect: &Expect) {
        let (turn, notes) = notifications(name);
        let mut state = TurnState::new(turn);
        let mut out = String::new();
        for note in &notes {
            for event in state.on_notification(note) {
                let _ = writeln!(out, "{}", event.to_json_line());
            }
        }
        assert!(state.is_done(), "{name}: the turn completes");
        expect.assert_eq(&out);
    }

    #[test]
    fn plain_turn() {
        check(
            "as-plain",
            &expect![[r#"
                {"type":"turn.started"}
                {"type":"item.started","item":{"id":"rs_as1","type":"reasoning","text":""}}
                {"type":"item.reasoning.summary_delta","item_id":"rs_as1","delta":"**Thinking**\n\nAb","summary_index":0}
                {"type":"item.reasoning.summary_delta","item_id":"rs_as1","delta":"out a greeting.","summary_index":0}
                {"type":"item.completed","item":{"id":"rs_as1","type":"reasoning","text":"**Thinking**\n\nAbout a greeting."}}
                {"type":"item.started","item":{"id":"msg_as1","type":"agent_message","text":""}}
                {"type":"item.agent_message.delta","item_id":"msg_as1","delta":"Hello f"}
                {"type":"item.agent_message.delta","item_id":"msg_as1","delta":"rom the"}
                {"type":"item.agent_message.delta","item_id":"msg_as1","delta":" mock m"}
                {"type":"item.agent_message.delta","item_id":"msg_as1","delta":"odel."}
                {"type":"item.completed","item":{"id":"msg_as1","type":"agent_message","text":"Hello from the mock model."}}
                {"type":"turn.completed","usage":{"input_tokens":120,"cached_input_tokens":20,"cache_write_input_tokens":0,"output_tokens":30,"reasoning_output_tokens":8,"model_context_window":258400}}
            "#]],
        );
    }

    #[test]
    fn shell_with_output_deltas() {
        check(
            "as-shell",
            &expect![[r#"
                {"type":"turn.started"}
                {"type":"item.started","item":{"id":"call_as_sh1","type":"command_execution","command":"/bin/bash -lc 'echo hello'","aggregated_output":"","exit_code":null,"status":"in_progress","cwd":"/tmp/wd.as-shell","process_id":"43793"}}
                {"type":"item.command_execution.output_delta","item_id":"call_as_sh1","delta":"hello\n"}
                {"type":"item.completed","item":{"id":"call_as_sh1","type":"command_execution","command":"/bin/bash -lc 'echo hello'","aggregated_output":"hello\n","exit_code":0,"status":"completed","cwd":"/tmp/wd.as-shell","duration_ms":14,"process_id":"43793"}}
                {"type":"item.started","item":{"id":"msg_as_sh2","type":"agent_message","text":""}}
                {"type":"item.agent_message.delta","item_id":"msg_as_sh2","delta":"The comma"}
                {"type":"item.agent_message.delta","item_id":"msg_as_sh2","delta":"nd printe"}
                {"type":"item.agent_message.delta","item_id":"msg_as_sh2","delta":"d hello."}
                {"type":"item.completed","item":{"id":"msg_as_sh2","type":"agent_message","text":"The command printed hello."}}
                {"type":"turn.completed","usage":{"input_tokens":240,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":60,"reasoning_output_tokens":16,"model_context_window":258400}}
            "#]],
        );
    }

    #[test]
    fn declined_command() {
        check(
            "as-approval-decline",
            &expect![[r#"
                {"type":"turn.started"}
                {"type":"item.started","item":{"id":"call_as_de1","type":"command_execution","command":"/bin/bash -lc 'touch declined.txt'","aggregated_output":"","exit_code":null,"status":"in_progress","cwd":"/tmp/wd.as-approval-decline"}}
                {"type":"item.completed","item":{"id":"call_as_de1","type":"command_execution","command":"/bin/bash -lc 'touch declined.txt'","aggregated_output":"","exit_code":null,"status":"declined","cwd":"/tmp/wd.as-approval-decline"}}
                {"type":"item.started","item":{"id":"msg_as_de2","type":"agent_message","text":""}}
                {"type":"item.agent_message.delta","item_id":"msg_as_de2","delta":"OK, I d"}
                {"type":"item.agent_message.delta","item_id":"msg_as_de2","delta":"id not "}
                {"type":"item.agent_message.delta","item_id":"msg_as_de2","delta":"run it."}
                {"type":"item.completed","item":{"id":"msg_as_de2","type":"agent_message","text":"OK, I did not run it."}}
                {"type":"turn.completed","usage":{"input_tokens":240,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":60,"reasoning_output_tokens":16,"model_context_window":258400}}
            "#]],
        );
    }

    #[test]
    fn dynamic_tool() {
        check(
            "as-dynamic-tool",
            &expect![[r#"
                {"type":"turn.started"}
                {"type":"item.started","item":{"id":"call_as_dt1","type":"dynamic_tool_call","tool":"lookup_weather","arguments":{"city":"Paris"},"status":"in_progress"}}
                {"type":"item.completed","item":{"id":"call_as_dt1","type":"dynamic_tool_call","tool":"lookup_weather","arguments":{"city":"Paris"},"status":"completed","content_items":[{"text":"Sunny, 21 C","type":"inputText"}],"success":true,"duration_ms":2}}
                {"type":"item.started","item":{"id":"msg_as_dt2","type":"agent_message","text":""}}
                {"type":"item.agent_message.delta","item_id":"msg_as_dt2","delta":"It is s"}
                {"type":"item.agent_message.delta","item_id":"msg_as_dt2","delta":"unny in"}
                {"type":"item.agent_message.delta","item_id":"msg_as_dt2","delta":" Paris."}
                {"type":"item.completed","item":{"id":"msg_as_dt2","type":"agent_message","text":"It is sunny in Paris."}}
                {"type":"turn.completed","usage":{"input_tokens":240,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":60,"reasoning_output_tokens":16,"model_context_window":258400}}
            "#]],
        );
    }

    #[test]
    fn failed_turn() {
        check(
            "as-turn-failed",
            &expect![[r#"
                {"type":"turn.started"}
                {"type":"error","message":"We’re currently experiencing high demand, which may cause temporary errors."}
                {"type":"turn.failed","error":{"message":"We’re currently experiencing high demand, which may cause temporary errors.","codex_error_info":"internalServerError"}}
            "#]],
        );
    }

    fn parse(json: &str) -> ServerNotification {
        match parse_server_message(json).expect("parses") {
            ServerMessage::Notification(n) => n.body,
            other => panic!("not a notification: {other:?}"),
        }
    }

    #[test]
    fn interrupted_turn_closes_open_items_with_what_streamed() {
        let mut state = TurnState::new("u");
        let notes = [
            r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"reasoning","id":"rs","summary":[],"content":[],"startedAtMs":1,"completedAtMs":null}}}"#,
            r#"{"method":"item/reasoning/summaryTextDelta","params":{"threadId":"t","turnId":"u","itemId":"rs","delta":"**Plan**","summaryIndex":0}}"#,
            r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"agentMessage","id":"m","text":"","phase":null,"moderation":null,"memoryCitation":null,"delivery":null,"questions":null,"startedAtMs":1,"completedAtMs":null}}}"#,
            r#"{"method":"item/agentMessage/delta","params":{"threadId":"t","turnId":"u","itemId":"m","delta":"Paris is "}}"#,
            r#"{"method":"item/started","params":{"threadId":"t","turnId":"u","startedAtMs":1,"item":{"type":"commandExecution","id":"c","command":"sleep 9","cwd":"/w","processId":null,"source":"agent","status":"inProgress","commandActions":[],"aggregatedOutput":null,"exitCode":null,"durationMs":null,"pluginId":null,"scriptPath":null,"startedAtMs":1,"completedAtMs":null}}}"#,
            r#"{"method":"item/commandExecution/outputDelta","params":{"threadId":"t","turnId":"u","itemId":"c","delta":"tick\n"}}"#,
            r#"{"method":"turn/plan/updated","params":{"threadId":"t","turnId":"u","explanation":null,"plan":[{"step":"look","status":"completed"},{"step":"fix","status":"inProgress"}]}}"#,
            r#"{"method":"turn/completed","params":{"threadId":"t","turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"summary","status":"interrupted","error":null,"startedAt":1,"completedAt":2,"durationMs":1}}}"#,
        ];
        let mut out = String::new();
        for note in notes {
            for event in state.on_notification(&parse(note)) {
                if !event.is_delta() {
                    let _ = writeln!(out, "{}", event.to_json_line());
                }
            }
        }
        expect![[r#"
            {"type":"item.started","item":{"id":"rs","type":"reasoning","text":""}}
            {"type":"item.started","item":{"id":"m","type":"agent_message","text":""}}
            {"type":"item.started","item":{"id":"c","type":"command_execution","command":"sleep 9","aggregated_output":"","exit_code":null,"status":"in_progress","cwd":"/w"}}
            {"type":"item.started","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":false}]}}
            {"type":"item.completed","item":{"id":"rs","type":"reasoning","text":"**Plan**","status":"interrupted"}}
            {"type":"item.completed","item":{"id":"m","type":"agent_message","text":"Paris is ","status":"interrupted"}}
            {"type":"item.completed","item":{"id":"c","type":"command_execution","command":"sleep 9","aggregated_output":"tick\n","exit_code":null,"status":"interrupted","cwd":"/w"}}
            {"type":"item.completed","item":{"id":"todo_list_u","type":"todo_list","items":[{"text":"look","completed":true},{"text":"fix","completed":false}]}}
            {"type":"turn.completed","usage":{"input_tokens":0,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0},"status":"interrupted"}
        "#]]
        .assert_eq(&out);
        assert!(
            state.on_notification(&parse(notes[3])).is_empty(),
            "nothing after the end"
        );
        assert!(state.was_interrupted());
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
            let mut state = TurnState::new("u");
            for note in [
                command("c1", r#""101""#, "started"),
                command("c2", r#""102""#, "started"),
                command("c3", "null", "started"),
                command("c2", r#""102""#, "completed"),
                completed(status),
            ] {
                let _ = state.on_notification(&parse(&note));
            }
            assert_eq!(
                (state.running_processes(), state.was_interrupted()),
                (vec!["101".to_owned()], status == "interrupted"),
                "{status}"
            );
        }
    }
}
