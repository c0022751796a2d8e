//! Builders for OpenAI Responses API server-sent events, as codex 0.169.0 consumes them.
//!
//! A scripted model reply is an [`Sse`] body: an ordered list of [`SseEvent`]s, each rendered as
//! `event: <type>\ndata: <json>\n\n`. The free functions here build the exact payloads of
//! `PROTOCOL-NOTES.md` §6.4, each verified against the real codex binary:
//!
//! | builder | event | what codex makes of it |
//! |---|---|---|
//! | [`response_created`] | `response.created` | nothing visible; optional |
//! | [`assistant_message`] | `response.output_item.done` (message) | an `agent_message` item |
//! | [`assistant_message_streamed`] | `output_item.added`, `output_text.delta`…, `output_item.done` | the same item, plus app-server deltas |
//! | [`reasoning`], [`reasoning_streamed`] | `output_item.done` (reasoning) | a `reasoning` item (summary parts joined with `\n`) |
//! | [`exec_command`] | `output_item.done` (`function_call` `exec_command`) | a `command_execution` item, then a `function_call_output` in the next request |
//! | [`apply_patch`] | `output_item.done` (`custom_tool_call` `apply_patch`) | a `file_change` item, then a `custom_tool_call_output` |
//! | [`update_plan`] | `output_item.done` (`function_call` `update_plan`) | a `todo_list` item (needs `tools.update_plan.enabled`) |
//! | [`mcp_tool_call`] | `output_item.done` (`function_call` with `namespace: "mcp__<server>"`) | an `mcp_tool_call` item |
//! | [`tool_search_call`] | `output_item.done` (`tool_search_call`) | a `tool_search_output` in the next request |
//! | [`web_search_call`] | `output_item.added` + `output_item.done` (`web_search_call`) | a `web_search` item |
//! | [`function_call`] | `output_item.done` (`function_call`) | a dynamic tool call (app-server) or any other tool |
//! | [`response_completed`] | `response.completed` with [`Usage`] | `turn.completed` (usage is summed over the turn's requests) |
//! | [`response_failed`] | `response.failed` | `turn.failed` ("stream disconnected before completion: …", or a mapped message) |
//! | [`response_incomplete`] | `response.incomplete` | `turn.failed` ("Incomplete response returned, reason: …") |
//!
//! A tool call ends the model's reply, but not the turn: codex runs the tool and sends another
//! request carrying its output, so the script needs one more body for it.
//!
//! ```
//! use codex_agent_testkit::sse::{self, Sse};
//!
//! let body = Sse::reply("resp-1", [sse::assistant_message("msg-1", "Hi there!")]);
//! assert!(body.render().starts_with("event: response.created\ndata: {"));
//! assert!(body.render().ends_with("\n\n"));
//! ```

use serde_json::{Map, Value, json};

/// One server-sent event: an event name and a JSON `data` payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    event_type: Option<String>,
    data: Value,
}

impl SseEvent {
    /// An event whose `event:` line is the `type` field of `data`.
    ///
    /// When `data` has no string `type`, the event renders as a lone `data:` line, which codex
    /// also accepts.
    #[must_use]
    pub fn from_json(data: Value) -> Self {
        let event_type = data.get("type").and_then(Value::as_str).map(str::to_owned);
        Self { event_type, data }
    }

    /// An event with an explicit `event:` name, whatever `data` holds.
    #[must_use]
    pub fn with_event_type(event_type: impl Into<String>, data: Value) -> Self {
        Self {
            event_type: Some(event_type.into()),
            data,
        }
    }

    /// The `event:` name, if the event has one.
    #[must_use]
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The JSON payload of the `data:` line.
    #[must_use]
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The event on the wire: `event: <type>\ndata: <json>\n\n`.
    #[must_use]
    pub fn render(&self) -> String {
        let data = self.data.to_string();
        match &self.event_type {
            Some(event_type) => format!("event: {event_type}\ndata: {data}\n\n"),
            None => format!("data: {data}\n\n"),
        }
    }
}

/// A scripted SSE response body: events in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sse {
    events: Vec<SseEvent>,
}

impl Sse {
    /// An empty body.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A body holding exactly `events`.
    #[must_use]
    pub fn from_events(events: impl IntoIterator<Item = SseEvent>) -> Self {
        Self {
            events: events.into_iter().collect(),
        }
    }

    /// A complete model reply: `response.created`, `items`, then `response.completed` with
    /// zero usage.
    #[must_use]
    pub fn reply(response_id: &str, items: impl IntoIterator<Item = SseEvent>) -> Self {
        Self::reply_with_usage(response_id, items, &Usage::default())
    }

    /// Like [`Sse::reply`], with the given token usage in `response.completed`.
    #[must_use]
    pub fn reply_with_usage(
        response_id: &str,
        items: impl IntoIterator<Item = SseEvent>,
        usage: &Usage,
    ) -> Self {
        let mut body = Self::new().with(response_created(response_id));
        body.extend(items);
        body.with(response_completed_with_usage(response_id, usage))
    }

    /// A reply holding one assistant message: the simplest complete turn.
    #[must_use]
    pub fn message(response_id: &str, text: &str) -> Self {
        Self::reply(
            response_id,
            [assistant_message(&format!("msg-{response_id}"), text)],
        )
    }

    /// Appends one event.
    #[must_use]
    pub fn with(mut self, event: SseEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Appends several events.
    #[must_use]
    pub fn with_all(mut self, events: impl IntoIterator<Item = SseEvent>) -> Self {
        self.extend(events);
        self
    }

    /// Appends one event in place.
    pub fn push(&mut self, event: SseEvent) {
        self.events.push(event);
    }

    /// The events, in sending order.
    #[must_use]
    pub fn events(&self) -> &[SseEvent] {
        &self.events
    }

    /// The number of events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the body has no events.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The whole body on the wire.
    #[must_use]
    pub fn render(&self) -> String {
        self.events.iter().map(SseEvent::render).collect()
    }
}

impl Extend<SseEvent> for Sse {
    fn extend<I: IntoIterator<Item = SseEvent>>(&mut self, iter: I) {
        self.events.extend(iter);
    }
}

impl FromIterator<SseEvent> for Sse {
    fn from_iter<I: IntoIterator<Item = SseEvent>>(iter: I) -> Self {
        Self::from_events(iter)
    }
}

impl From<Vec<SseEvent>> for Sse {
    fn from(events: Vec<SseEvent>) -> Self {
        Self { events }
    }
}

/// Token usage reported in `response.completed`.
///
/// codex reads `input_tokens`, `input_tokens_details.cached_tokens`, `output_tokens`,
/// `output_tokens_details.reasoning_tokens` and `total_tokens`; `turn.completed` reports them as
/// `input_tokens`, `cached_input_tokens`, `output_tokens` and `reasoning_output_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    pub input_tokens: u64,
    /// Prompt tokens served from the cache.
    pub cached_tokens: u64,
    /// Generated tokens, reasoning included.
    pub output_tokens: u64,
    /// Generated reasoning tokens.
    pub reasoning_tokens: u64,
    /// The total; `None` means `input_tokens + output_tokens`.
    pub total_tokens: Option<u64>,
}

impl Usage {
    /// `input` prompt tokens and `output` generated tokens, nothing cached, no reasoning.
    pub fn new(input: u64, output: u64) -> Self {
        Self {
            input_tokens: input,
            output_tokens: output,
            ..Self::default()
        }
    }

    /// Sets the cached prompt tokens. By default, none are cached.
    pub fn cached(mut self, cached: u64) -> Self {
        self.cached_tokens = cached;
        self
    }

    /// Sets the reasoning tokens. By default, there are none.
    pub fn reasoning(mut self, reasoning: u64) -> Self {
        self.reasoning_tokens = reasoning;
        self
    }

    /// Sets `total_tokens`. By default, it is `input + output`.
    pub fn total(mut self, total: u64) -> Self {
        self.total_tokens = Some(total);
        self
    }

    fn to_json(self) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self
                .total_tokens
                .unwrap_or(self.input_tokens + self.output_tokens),
        })
    }
}

/// The `encrypted_content` [`reasoning`] items carry; codex replays it in later requests.
pub const ENCRYPTED_REASONING: &str = "gAAAAABcodex-testkit-encrypted-reasoning==";

/// `exec_command`'s `yield_time_ms` in [`exec_command`]: long enough for short commands to
/// finish before codex reports back.
pub const EXEC_YIELD_TIME_MS: u64 = 2000;

fn output_item_event(event_type: &str, item: Value) -> SseEvent {
    let mut event = Map::new();
    event.insert("type".to_owned(), Value::from(event_type));
    event.insert("item".to_owned(), item);
    SseEvent::from_json(Value::Object(event))
}

fn output_item_done(item: Value) -> SseEvent {
    output_item_event("response.output_item.done", item)
}

fn output_item_added(item: Value) -> SseEvent {
    output_item_event("response.output_item.added", item)
}

/// `response.created` for `response_id`.
#[must_use]
pub fn response_created(response_id: &str) -> SseEvent {
    SseEvent::from_json(json!({"type": "response.created", "response": {"id": response_id}}))
}

/// `response.completed` for `response_id`, with zero usage.
#[must_use]
pub fn response_completed(response_id: &str) -> SseEvent {
    response_completed_with_usage(response_id, &Usage::default())
}

/// `response.completed` for `response_id`, with `usage`.
#[must_use]
pub fn response_completed_with_usage(response_id: &str, usage: &Usage) -> SseEvent {
    SseEvent::from_json(json!({
        "type": "response.completed",
        "response": {"id": response_id, "usage": usage.to_json()},
    }))
}

/// `response.failed` with `error {code, message}`.
///
/// codex retries `server_error` (per `stream_max_retries`) and maps some codes to its own
/// message, e.g. `context_length_exceeded`.
#[must_use]
pub fn response_failed(response_id: &str, code: &str, message: &str) -> SseEvent {
    SseEvent::from_json(json!({
        "type": "response.failed",
        "response": {"id": response_id, "error": {"code": code, "message": message}},
    }))
}

/// `response.incomplete` with `incomplete_details {reason}`, e.g. `max_output_tokens`.
#[must_use]
pub fn response_incomplete(response_id: &str, reason: &str) -> SseEvent {
    SseEvent::from_json(json!({
        "type": "response.incomplete",
        "response": {"id": response_id, "incomplete_details": {"reason": reason}},
    }))
}

fn message_item(id: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "role": "assistant",
        "id": id,
        "content": [{"type": "output_text", "text": text}],
    })
}

/// A finished assistant message (`output_item.done`), which codex turns into an
/// `agent_message` item.
#[must_use]
pub fn assistant_message(id: &str, text: &str) -> SseEvent {
    output_item_done(message_item(id, text))
}

/// An assistant message streamed in `deltas`: `output_item.added` with empty text, one
/// `output_text.delta` per delta, then `output_item.done` with the deltas joined.
///
/// Without the final `output_item.done` codex emits no item, so the deltas alone are not
/// enough.
#[must_use]
pub fn assistant_message_streamed(id: &str, deltas: &[&str]) -> Vec<SseEvent> {
    let mut events = vec![output_item_added(message_item(id, ""))];
    events.extend(deltas.iter().map(|delta| {
        SseEvent::from_json(json!({
            "type": "response.output_text.delta",
            "item_id": id,
            "output_index": 0,
            "content_index": 0,
            "delta": delta,
        }))
    }));
    events.push(assistant_message(id, &deltas.concat()));
    events
}

fn reasoning_item(id: &str, summary: &[&str]) -> Value {
    let parts: Vec<Value> = summary
        .iter()
        .map(|text| json!({"type": "summary_text", "text": text}))
        .collect();
    json!({
        "type": "reasoning",
        "id": id,
        "summary": parts,
        "encrypted_content": ENCRYPTED_REASONING,
    })
}

/// A finished reasoning item with one summary part per entry of `summary` and
/// [`ENCRYPTED_REASONING`] as its `encrypted_content`.
#[must_use]
pub fn reasoning(id: &str, summary: &[&str]) -> SseEvent {
    output_item_done(reasoning_item(id, summary))
}

/// A reasoning item streamed part by part: `output_item.added`, then for each summary part
/// `reasoning_summary_part.added`, one `reasoning_summary_text.delta` and
/// `reasoning_summary_text.done`, then `output_item.done`.
#[must_use]
pub fn reasoning_streamed(id: &str, summary: &[&str]) -> Vec<SseEvent> {
    let mut events = vec![output_item_added(json!({
        "type": "reasoning",
        "id": id,
        "summary": [],
    }))];
    for (index, text) in summary.iter().enumerate() {
        let base = |kind: &str| {
            let mut event = Map::new();
            event.insert("type".to_owned(), Value::from(kind));
            event.insert("item_id".to_owned(), Value::from(id));
            event.insert("output_index".to_owned(), Value::from(0));
            event.insert("summary_index".to_owned(), Value::from(index));
            event
        };
        let mut added = base("response.reasoning_summary_part.added");
        added.insert(
            "part".to_owned(),
            json!({"type": "summary_text", "text": ""}),
        );
        let mut delta = base("response.reasoning_summary_text.delta");
        delta.insert("delta".to_owned(), Value::from(*text));
        let mut done = base("response.reasoning_summary_text.done");
        done.insert("text".to_owned(), Value::from(*text));
        events.extend(
            [added, delta, done]
                .into_iter()
                .map(|event| SseEvent::from_json(Value::Object(event))),
        );
    }
    events.push(reasoning(id, summary));
    events
}

/// A finished `function_call` of tool `name` with JSON `arguments` (sent as a string, as the
/// Responses API does).
///
/// This is also how the model calls an app-server dynamic tool: `name` is the tool's name.
#[must_use]
pub fn function_call(call_id: &str, name: &str, arguments: &Value) -> SseEvent {
    output_item_done(json!({
        "type": "function_call",
        "id": format!("fc-{call_id}"),
        "call_id": call_id,
        "name": name,
        "arguments": arguments.to_string(),
    }))
}

/// A call of the `exec_command` tool running `cmd` through the user's shell, with
/// `yield_time_ms` [`EXEC_YIELD_TIME_MS`].
#[must_use]
pub fn exec_command(call_id: &str, cmd: &str) -> SseEvent {
    function_call(
        call_id,
        "exec_command",
        &json!({"cmd": cmd, "yield_time_ms": EXEC_YIELD_TIME_MS}),
    )
}

/// A finished `custom_tool_call` (a freeform tool) of tool `name` with raw `input`.
#[must_use]
pub fn custom_tool_call(call_id: &str, name: &str, input: &str) -> SseEvent {
    output_item_done(json!({
        "type": "custom_tool_call",
        "id": format!("ctc-{call_id}"),
        "call_id": call_id,
        "name": name,
        "input": input,
    }))
}

/// A call of the freeform `apply_patch` tool with `patch`
/// (`*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n`).
#[must_use]
pub fn apply_patch(call_id: &str, patch: &str) -> SseEvent {
    custom_tool_call(call_id, "apply_patch", patch)
}

/// The status of one [`update_plan`] step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepStatus {
    /// `pending`.
    Pending,
    /// `in_progress`.
    InProgress,
    /// `completed`; the only status codex reports as `completed: true` in a `todo_list`.
    Completed,
}

impl StepStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }
}

/// A call of the `update_plan` tool (offered only with `tools.update_plan.enabled = true`).
#[must_use]
pub fn update_plan(call_id: &str, explanation: &str, steps: &[(&str, StepStatus)]) -> SseEvent {
    let plan: Vec<Value> = steps
        .iter()
        .map(|(step, status)| json!({"step": step, "status": status.as_str()}))
        .collect();
    function_call(
        call_id,
        "update_plan",
        &json!({"explanation": explanation, "plan": plan}),
    )
}

/// A call of MCP server `server`'s tool `tool`: a namespaced `function_call`
/// (`namespace: "mcp__<server>"`, `name: <tool>`).
///
/// The flat name `mcp__<server>__<tool>` is rejected by codex 0.169.0 as an unsupported call.
#[must_use]
pub fn mcp_tool_call(call_id: &str, server: &str, tool: &str, arguments: &Value) -> SseEvent {
    output_item_done(json!({
        "type": "function_call",
        "id": format!("fc-{call_id}"),
        "call_id": call_id,
        "namespace": format!("mcp__{server}"),
        "name": tool,
        "arguments": arguments.to_string(),
    }))
}

/// A client-executed `tool_search_call` looking for `query`; codex answers with a
/// `tool_search_output` listing the matching deferred tools (MCP namespaces).
#[must_use]
pub fn tool_search_call(call_id: &str, query: &str, limit: u32) -> SseEvent {
    output_item_done(json!({
        "type": "tool_search_call",
        "id": format!("ts-{call_id}"),
        "call_id": call_id,
        "execution": "client",
        "status": "completed",
        "arguments": {"query": query, "limit": limit},
    }))
}

/// A hosted web search: `output_item.added` (`in_progress`) then `output_item.done`
/// (`completed`, `action {type: search, query}`).
#[must_use]
pub fn web_search_call(id: &str, query: &str) -> Vec<SseEvent> {
    vec![
        output_item_added(json!({"type": "web_search_call", "id": id, "status": "in_progress"})),
        output_item_done(json!({
            "type": "web_search_call",
            "id": id,
            "status": "completed",
            "action": {"type": "search", "query": query},
        })),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_event_and_data_lines() {
        let rendered = response_created("resp-1").render();
        let data = rendered
            .strip_prefix("event: response.created\ndata: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .expect("one event line, one data line, a blank line");
        assert!(!data.contains('\n'));
        assert_eq!(
            serde_json::from_str::<Value>(data).expect("data is JSON"),
            json!({"type": "response.created", "response": {"id": "resp-1"}})
        );
    }

    #[test]
    fn event_without_type_renders_data_only() {
        let event = SseEvent::from_json(json!({"x": 1}));
        assert_eq!(event.event_type(), None);
        assert_eq!(event.render(), "data: {\"x\":1}\n\n");
    }

    #[test]
    fn usage_total_defaults_to_input_plus_output() {
        let usage = Usage::new(42, 5).cached(12).reasoning(3);
        assert_eq!(
            usage.to_json(),
            json!({
                "input_tokens": 42,
                "input_tokens_details": {"cached_tokens": 12},
                "output_tokens": 5,
                "output_tokens_details": {"reasoning_tokens": 3},
                "total_tokens": 47,
            })
        );
        assert_eq!(usage.total(50).to_json()["total_tokens"], json!(50));
    }

    #[test]
    fn streamed_message_ends_with_the_joined_text() {
        let events = assistant_message_streamed("msg-3", &["Paris is ", "sunny."]);
        let types: Vec<_> = events.iter().filter_map(SseEvent::event_type).collect();
        assert_eq!(
            types,
            [
                "response.output_item.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_item.done"
            ]
        );
        assert_eq!(
            events[3].data()["item"]["content"][0]["text"],
            json!("Paris is sunny.")
        );
    }

    #[test]
    fn reply_wraps_items_in_created_and_completed() {
        let body = Sse::message("r1", "hi");
        let types: Vec<_> = body
            .events()
            .iter()
            .filter_map(SseEvent::event_type)
            .collect();
        assert_eq!(
            types,
            [
                "response.created",
                "response.output_item.done",
                "response.completed"
            ]
        );
    }
}
