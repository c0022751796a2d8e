//! Item projection: one app-server `ThreadItem` onto the exec item model ([`item`]).
//!
//! The table of what maps onto what is in the [module docs](super).

use crate::RawJson;
use crate::app_server as wire;
use crate::exec::{
    AgentMessageItem, CommandExecutionItem, CommandExecutionStatus, DynamicToolCallItem,
    DynamicToolCallStatus, FileChangeItem, FileUpdateChange, ItemDetails, McpContent,
    McpToolCallError, McpToolCallItem, McpToolCallResult, McpToolCallStatus, MessagePhase,
    PatchApplyStatus, PatchChangeKind, ReasoningItem, ThreadItem, UnknownItem, WebSearchAction,
    WebSearchItem,
};
use serde_json::{Map, Value};

/// Projects one app-server item onto the exec item model.
///
/// The item keeps its id. Known types map onto their exec counterpart (see the table in the
/// [module docs](super)); any other type, `userMessage` included, becomes
/// [`ItemDetails::Unknown`] with the app-server's camelCase `type` and fields, so it is never
/// mistaken for an exec type. Never panics.
///
/// ```
/// use codex_agent_protocol::app_server::ThreadItem;
/// use codex_agent_protocol::exec::ItemDetails;
///
/// let wire: ThreadItem = serde_json::from_str(
///     r#"{"type":"agentMessage","id":"msg_1","text":"Hi.","phase":"final_answer",
///         "moderation":null,"memoryCitation":null,"delivery":null,"questions":null,
///         "startedAtMs":1,"completedAtMs":2}"#,
/// )?;
/// let item = codex_agent_protocol::projection::item(&wire);
/// assert_eq!(item.id, "msg_1");
/// let ItemDetails::AgentMessage(message) = &item.details else { panic!("an agent message") };
/// assert_eq!(message.text, "Hi.");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[must_use]
pub fn item(item: &wire::ThreadItem) -> ThreadItem {
    let details = match item {
        wire::ThreadItem::AgentMessage(m) => ItemDetails::AgentMessage(agent_message(m)),
        wire::ThreadItem::Reasoning(r) => ItemDetails::Reasoning(reasoning(r)),
        wire::ThreadItem::CommandExecution(c) => {
            ItemDetails::CommandExecution(command_execution(c))
        }
        wire::ThreadItem::FileChange(f) => ItemDetails::FileChange(file_change(f)),
        wire::ThreadItem::McpToolCall(m) => ItemDetails::McpToolCall(Box::new(mcp_tool_call(m))),
        wire::ThreadItem::DynamicToolCall(d) => {
            ItemDetails::DynamicToolCall(Box::new(dynamic_tool_call(d)))
        }
        wire::ThreadItem::WebSearch(w) => ItemDetails::WebSearch(web_search(w)),
        other => ItemDetails::Unknown(unknown(other)),
    };
    ThreadItem {
        id: item.id().to_owned(),
        details,
    }
}

/// Whether the item is the user's own input echoed back (`userMessage`): the turn's prompt
/// and every `turn/steer` input.
///
/// `codex exec` reports none of them, so [`TurnProjection`](super::TurnProjection) drops
/// them; a caller projecting items one by one (a thread's history, say) may want to as well.
#[must_use]
pub fn is_user_message(item: &wire::ThreadItem) -> bool {
    matches!(item, wire::ThreadItem::UserMessage(_))
}

fn agent_message(m: &wire::AgentMessageItem) -> AgentMessageItem {
    let mut extra = m.extra.clone();
    keep(
        &mut extra,
        "moderation",
        m.moderation
            .as_ref()
            .and_then(|m| serde_json::to_value(m).ok()),
    );
    keep(&mut extra, "memory_citation", m.memory_citation.clone());
    keep(&mut extra, "questions", m.questions.clone());
    keep(
        &mut extra,
        "delivery",
        m.delivery
            .as_ref()
            .and_then(|d| serde_json::to_value(d).ok()),
    );
    AgentMessageItem {
        text: m.text.clone(),
        phase: m
            .phase
            .as_ref()
            .map(|p| MessagePhase::from_wire(&string_value(p.as_str(), p))),
        status: None,
        extra,
    }
}

fn reasoning(r: &wire::ReasoningItem) -> ReasoningItem {
    ReasoningItem {
        text: r.summary.join("\n"),
        content: (!r.content.is_empty()).then(|| r.content.join("\n")),
        status: None,
        extra: r.extra.clone(),
    }
}

fn command_execution(c: &wire::CommandExecutionItem) -> CommandExecutionItem {
    let exit_code = c.exit_code.and_then(|code| i32::try_from(code).ok());
    let status = match &c.status {
        // `codex exec` reports a non-zero exit as `failed`; the app-server says `completed`
        // and leaves the verdict to `exitCode`.
        wire::CommandExecutionStatus::Completed if exit_code.is_some_and(|code| code != 0) => {
            CommandExecutionStatus::Failed
        }
        wire::CommandExecutionStatus::Completed => CommandExecutionStatus::Completed,
        wire::CommandExecutionStatus::InProgress => CommandExecutionStatus::InProgress,
        wire::CommandExecutionStatus::Failed => CommandExecutionStatus::Failed,
        wire::CommandExecutionStatus::Declined => CommandExecutionStatus::Declined,
        other => CommandExecutionStatus::from_wire(&snake(&string_value(other.as_str(), other))),
    };
    let mut extra = c.extra.clone();
    // Commands the agent runs through unified exec report `unifiedExec*` sources, an
    // implementation detail; only a command the user ran is worth telling apart.
    if c.source == wire::CommandExecutionSource::UserShell {
        keep(&mut extra, "source", Some(Value::from("user_shell")));
    }
    keep(
        &mut extra,
        "plugin_id",
        c.plugin_id.clone().map(Value::String),
    );
    keep(
        &mut extra,
        "script_path",
        c.script_path.clone().map(Value::String),
    );
    CommandExecutionItem {
        command: c.command.clone(),
        aggregated_output: c.aggregated_output.clone().unwrap_or_default(),
        exit_code,
        status,
        cwd: Some(c.cwd.clone()),
        duration_ms: c.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
        process_id: c.process_id.clone(),
        extra,
    }
}

fn file_change(f: &wire::FileChangeItem) -> FileChangeItem {
    let changes = f
        .changes
        .iter()
        .map(|change| {
            let (kind, move_path) = match &change.kind {
                wire::PatchChangeKind::Add(_) => (PatchChangeKind::Add, None),
                wire::PatchChangeKind::Delete(_) => (PatchChangeKind::Delete, None),
                wire::PatchChangeKind::Update(u) => (PatchChangeKind::Update, u.move_path.clone()),
                other => {
                    let raw = serde_json::to_value(other).unwrap_or(Value::Null);
                    let kind = raw.get("type").and_then(Value::as_str).unwrap_or("unknown");
                    (PatchChangeKind::from_wire(&snake(kind)), None)
                }
            };
            FileUpdateChange {
                path: change.path.clone(),
                kind,
                diff: Some(change.diff.clone()),
                move_path,
                extra: change.extra.clone(),
            }
        })
        .collect();
    let status = match &f.status {
        wire::PatchApplyStatus::InProgress => PatchApplyStatus::InProgress,
        wire::PatchApplyStatus::Completed => PatchApplyStatus::Completed,
        wire::PatchApplyStatus::Failed => PatchApplyStatus::Failed,
        wire::PatchApplyStatus::Declined => PatchApplyStatus::Declined,
        other => PatchApplyStatus::from_wire(&snake(&string_value(other.as_str(), other))),
    };
    FileChangeItem {
        changes,
        status,
        extra: f.extra.clone(),
    }
}

fn mcp_tool_call(m: &wire::McpToolCallItem) -> McpToolCallItem {
    let status = match &m.status {
        wire::McpToolCallStatus::InProgress => McpToolCallStatus::InProgress,
        wire::McpToolCallStatus::Completed => McpToolCallStatus::Completed,
        wire::McpToolCallStatus::Failed => McpToolCallStatus::Failed,
        other => McpToolCallStatus::from_wire(&snake(&string_value(other.as_str(), other))),
    };
    let mut extra = m.extra.clone();
    keep(&mut extra, "app_context", m.app_context.clone());
    keep(
        &mut extra,
        "mcp_app_resource_uri",
        m.mcp_app_resource_uri.clone().map(Value::String),
    );
    keep(&mut extra, "mcp_app_ui", m.mcp_app_ui.clone());
    keep(
        &mut extra,
        "plugin_id",
        m.plugin_id.clone().map(Value::String),
    );
    keep(
        &mut extra,
        "read_only_hint",
        m.read_only_hint.map(Value::Bool),
    );
    keep(
        &mut extra,
        "environment_id",
        m.environment_id.clone().map(Value::String),
    );
    McpToolCallItem {
        server: m.server.clone(),
        tool: m.tool.clone(),
        arguments: RawJson::from_value(&m.arguments),
        result: m.result.as_ref().map(|r| McpToolCallResult {
            content: r
                .content
                .iter()
                .cloned()
                .map(McpContent::from_value)
                .collect(),
            structured_content: r
                .structured_content
                .as_ref()
                .filter(|v| !v.is_null())
                .map(RawJson::from_value),
            meta: r
                .meta
                .as_ref()
                .filter(|v| !v.is_null())
                .map(RawJson::from_value),
            extra: r.extra.clone(),
        }),
        error: m.error.as_ref().map(|e| McpToolCallError {
            message: e.message.clone(),
            extra: e.extra.clone(),
        }),
        status,
        duration_ms: m.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
        extra,
    }
}

fn dynamic_tool_call(d: &wire::DynamicToolCallItem) -> DynamicToolCallItem {
    let status = match &d.status {
        wire::DynamicToolCallStatus::InProgress => DynamicToolCallStatus::InProgress,
        wire::DynamicToolCallStatus::Completed => DynamicToolCallStatus::Completed,
        wire::DynamicToolCallStatus::Failed => DynamicToolCallStatus::Failed,
        other => DynamicToolCallStatus::from_wire(&snake(&string_value(other.as_str(), other))),
    };
    DynamicToolCallItem {
        tool: d.tool.clone(),
        namespace: d.namespace.clone(),
        arguments: RawJson::from_value(&d.arguments),
        status,
        content_items: d.content_items.as_ref().map(|items| {
            items
                .iter()
                .filter_map(|item| serde_json::to_value(item).ok())
                .collect()
        }),
        success: d.success,
        duration_ms: d.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
        extra: d.extra.clone(),
    }
}

fn web_search(w: &wire::WebSearchItem) -> WebSearchItem {
    let action = w.action.as_ref().map(|action| match action {
        wire::WebSearchAction::Search(s) => WebSearchAction::Search {
            query: s.query.clone(),
            queries: s.queries.clone(),
        },
        wire::WebSearchAction::OpenPage(p) => WebSearchAction::OpenPage { url: p.url.clone() },
        wire::WebSearchAction::FindInPage(p) => WebSearchAction::FindInPage {
            url: p.url.clone(),
            pattern: p.pattern.clone(),
        },
        wire::WebSearchAction::Other(_) => WebSearchAction::Other,
        other => WebSearchAction::Unknown(serde_json::to_value(other).unwrap_or(Value::Null)),
    });
    let mut extra = w.extra.clone();
    keep(&mut extra, "results", w.results.clone());
    WebSearchItem {
        // The app-server's item id *is* the search id; exec's second `id` key is not repeated.
        search_id: None,
        query: w.query.clone(),
        action,
        extra,
    }
}

/// An item without an exec counterpart, kept as the app-server sent it (minus `id`).
fn unknown(item: &wire::ThreadItem) -> UnknownItem {
    let mut fields = match serde_json::to_value(item) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    fields.remove("id");
    let item_type = match fields.remove("type") {
        Some(Value::String(t)) => t,
        _ => "unknown".to_owned(),
    };
    UnknownItem { item_type, fields }
}

/// Puts `value` into `extra` under `key` unless it is absent or `null`.
fn keep(extra: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        extra.insert(key.to_owned(), value);
    }
}

/// The string of an open enum value; a non-string unknown value as its JSON text.
fn string_value(known: Option<&str>, value: &impl serde::Serialize) -> String {
    known.map_or_else(
        || serde_json::to_string(value).unwrap_or_default(),
        str::to_owned,
    )
}

/// `inProgress` → `in_progress`.
pub(super) fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::Unknowns as _;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    /// Parses an app-server item, maps it, and returns the exec wire JSON.
    fn check(app_server: &Value) -> Value {
        let item: wire::ThreadItem =
            serde_json::from_value(app_server.clone()).expect("an app-server item");
        serde_json::to_value(super::item(&item)).expect("serializes")
    }

    #[test]
    fn agent_message_and_reasoning() {
        assert_eq!(
            check(
                &json!({"type": "agentMessage", "id": "msg_1", "text": "Hi.", "phase": "final_answer",
                "moderation": null, "memoryCitation": null, "delivery": null, "questions": null,
                "startedAtMs": 1, "completedAtMs": 2})
            ),
            json!({"id": "msg_1", "type": "agent_message", "text": "Hi.", "phase": "final_answer"})
        );
        assert_eq!(
            check(
                &json!({"type": "reasoning", "id": "rs_1", "summary": ["**A**", "b"], "content": [],
                "startedAtMs": 1, "completedAtMs": 2})
            ),
            json!({"id": "rs_1", "type": "reasoning", "text": "**A**\nb"})
        );
        assert_eq!(
            check(
                &json!({"type": "reasoning", "id": "rs_1", "summary": [], "content": ["x", "y"],
                "startedAtMs": 1, "completedAtMs": null})
            ),
            json!({"id": "rs_1", "type": "reasoning", "text": "", "content": "x\ny"})
        );
    }

    #[test]
    fn command_execution_statuses_follow_exec() {
        let base = json!({"type": "commandExecution", "id": "call_1", "pluginId": null,
            "scriptPath": null, "command": "/bin/bash -lc 'exit 3'", "cwd": "/w",
            "processId": "98301", "source": "agent", "commandActions": [],
            "startedAtMs": 1, "completedAtMs": 2});
        let with = |fields: Value| {
            let mut item = base.clone();
            item.as_object_mut()
                .expect("object")
                .extend(fields.as_object().expect("object").clone());
            check(&item)
        };
        assert_eq!(
            with(
                json!({"status": "inProgress", "aggregatedOutput": null, "exitCode": null, "durationMs": null})
            ),
            json!({"id": "call_1", "type": "command_execution", "command": "/bin/bash -lc 'exit 3'",
                "aggregated_output": "", "exit_code": null, "status": "in_progress", "cwd": "/w",
                "process_id": "98301"})
        );
        assert_eq!(
            with(
                json!({"status": "completed", "aggregatedOutput": "x\n", "exitCode": 3, "durationMs": 41})
            )["status"],
            "failed",
            "a non-zero exit is `failed`, as in exec"
        );
        assert_eq!(
            with(
                json!({"status": "completed", "aggregatedOutput": "x\n", "exitCode": 0, "durationMs": 41})
            ),
            json!({"id": "call_1", "type": "command_execution", "command": "/bin/bash -lc 'exit 3'",
                "aggregated_output": "x\n", "exit_code": 0, "status": "completed", "cwd": "/w",
                "duration_ms": 41, "process_id": "98301"})
        );
        assert_eq!(
            with(
                json!({"status": "declined", "aggregatedOutput": null, "exitCode": null, "durationMs": null})
            )["status"],
            "declined"
        );
        let future = with(
            json!({"status": "queuedForLater", "aggregatedOutput": null, "exitCode": null, "durationMs": null}),
        );
        assert_eq!(future["status"], "queued_for_later");
    }

    #[test]
    fn file_change_keeps_diffs() {
        assert_eq!(
            check(
                &json!({"type": "fileChange", "id": "call_p", "status": "completed",
                "changes": [
                    {"path": "/w/a.txt", "kind": {"type": "add"}, "diff": "+hello\n"},
                    {"path": "/w/b.txt", "kind": {"type": "update", "move_path": "/w/c.txt"}, "diff": "@@"}
                ],
                "startedAtMs": 1, "completedAtMs": 2})
            ),
            json!({"id": "call_p", "type": "file_change", "status": "completed", "changes": [
                {"path": "/w/a.txt", "kind": "add", "diff": "+hello\n"},
                {"path": "/w/b.txt", "kind": "update", "diff": "@@", "move_path": "/w/c.txt"}
            ]})
        );
    }

    #[test]
    fn mcp_and_dynamic_tool_calls() {
        assert_eq!(
            check(
                &json!({"type": "mcpToolCall", "id": "call_m", "server": "echo", "tool": "echo",
                "status": "completed", "arguments": {"text": "ping"},
                "result": {"content": [{"type": "text", "text": "echo: ping"}], "structuredContent": null},
                "error": null, "durationMs": 7, "appContext": null, "mcpAppResourceUri": null,
                "mcpAppUi": null, "pluginId": null, "readOnlyHint": null,
                "startedAtMs": 1, "completedAtMs": 2})
            ),
            json!({"id": "call_m", "type": "mcp_tool_call", "server": "echo", "tool": "echo",
                "arguments": {"text": "ping"},
                "result": {"content": [{"type": "text", "text": "echo: ping"}], "structured_content": null},
                "error": null, "status": "completed", "duration_ms": 7})
        );
        assert_eq!(
            check(
                &json!({"type": "dynamicToolCall", "id": "call_d", "namespace": null,
                "tool": "lookup_weather", "arguments": {"city": "Paris"}, "status": "completed",
                "contentItems": [{"type": "inputText", "text": "Sunny"}], "success": true,
                "durationMs": 2, "startedAtMs": 1, "completedAtMs": 2})
            ),
            json!({"id": "call_d", "type": "dynamic_tool_call", "tool": "lookup_weather",
                "arguments": {"city": "Paris"}, "status": "completed",
                "content_items": [{"type": "inputText", "text": "Sunny"}], "success": true,
                "duration_ms": 2})
        );
    }

    #[test]
    fn web_search_actions_use_exec_spelling() {
        assert_eq!(
            check(&json!({"type": "webSearch", "id": "ws-1", "query": "q",
                "action": {"type": "openPage", "url": "https://example.com"}, "results": null,
                "startedAtMs": 1, "completedAtMs": 2})),
            json!({"id": "ws-1", "type": "web_search", "query": "q",
                "action": {"type": "open_page", "url": "https://example.com"}})
        );
    }

    #[test]
    fn items_without_exec_counterpart_are_kept_raw() {
        let plan = json!({"type": "plan", "id": "p1", "text": "1. look", "startedAtMs": 1, "completedAtMs": 2});
        let mapped = check(&plan);
        assert_eq!(
            mapped,
            json!({"id": "p1", "type": "plan", "text": "1. look", "startedAtMs": 1, "completedAtMs": 2})
        );
        let item: crate::exec::ThreadItem = serde_json::from_value(mapped).expect("an exec item");
        assert_eq!(item.unknowns(), ["type=plan"]);
        let user: wire::ThreadItem = serde_json::from_value(json!({"type": "userMessage",
            "id": "u1", "clientId": null, "content": [{"type": "text", "text": "hi"}],
            "startedAtMs": 1, "completedAtMs": null}))
        .expect("a user message");
        assert!(is_user_message(&user));
        assert_eq!(super::item(&user).item_type(), "userMessage");
    }

    #[test]
    fn snake_case() {
        assert_eq!(snake("inProgress"), "in_progress");
        assert_eq!(snake("completed"), "completed");
    }
}
