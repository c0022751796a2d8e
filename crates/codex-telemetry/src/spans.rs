//! [`Telemetry`], and the trackers the facade drives: [`ThreadTracker`] per thread,
//! [`TurnTracker`] per turn. They emit the `tracing` spans, append to the event log and keep
//! usage, cost and the budget.
//!
//! # Spans
//!
//! All at `INFO`, target `codex_agent_telemetry`, with `otel.name` and `otel.kind` as
//! `tracing-opentelemetry` reads them:
//!
//! ```text
//! codex.thread                      gen_ai.conversation.id, gen_ai.agent.name
//! └─ invoke_agent codex (CLIENT)    gen_ai.operation.name = invoke_agent, gen_ai.provider.name,
//!    │                              gen_ai.agent.name, gen_ai.conversation.id,
//!    │                              gen_ai.request.model, gen_ai.usage.*, codex.turn.id,
//!    │                              codex.cost.usd, error.type
//!    ├─ execute_tool {name}         gen_ai.operation.name = execute_tool, gen_ai.tool.name,
//!    │                              gen_ai.tool.call.id, gen_ai.tool.type, codex.item.status,
//!    │                              codex.command.exit_code, error.type,
//!    │                              gen_ai.tool.call.arguments (opt-in, redacted)
//!    ├─ approval {kind}             codex.approval.kind, codex.approval.decision,
//!    │                              gen_ai.tool.call.id (app-server)
//!    └─ hook {event}                codex.hook.event, codex.hook.outcome, gen_ai.tool.name
//!       └─ approval command_execution   (exec: the approval handler asked by the hook)
//! ```
//!
//! The `approval` and `hook` spans come from `codex-agent-tools` (target
//! `codex_agent_tools::spans`), where approvals and hooks are answered; the facade parents
//! them on the running turn's span.
//!
//! # Metrics
//!
//! As `tracing` events in the conventions of `tracing-opentelemetry`'s `MetricsLayer`
//! (`histogram.*`, `monotonic_counter.*` fields; the other fields are attributes), which the
//! `otlp` feature's layer turns into OpenTelemetry metrics: per turn
//! `gen_ai.client.token.usage` (`gen_ai.token.type` = `input` | `output`),
//! `gen_ai.client.operation.duration` (s) and `codex.turns` (`codex.turn.outcome`); per tool
//! call `gen_ai.execute_tool.duration` (s), `codex.tool.calls` and, when it failed,
//! `codex.tool.errors` (with `gen_ai.tool.name` and `error.type`); from `codex-agent-tools`,
//! `codex.approvals` (`codex.approval.kind`, `codex.approval.decision`) and `codex.hooks`
//! (`codex.hook.event`, `codex.hook.outcome`).
//!
//! One `execute_tool` span per command, patch, MCP call, web search and host (dynamic) tool
//! call, from `item.started` to `item.completed` (an item that only completes gets a span
//! that opens and closes at once). Item starts and completions are also `DEBUG` events in the
//! turn span (target `codex_agent_telemetry::spans`: `item.started` / `item.completed`, with `item.kind` and `item.id`). Prompts,
//! messages and command output are never recorded; tool arguments only with
//! [`Telemetry::capture_content`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use codex_agent_protocol::exec::{ItemDetails, TextItemStatus, ThreadEvent, ThreadItem, Usage};
use codex_agent_protocol::secret::Redactor;
use serde_json::Value;
use tracing::field::Empty;
use tracing::{Level, Span};

use crate::budget::{Budget, BudgetExceeded, ThreadUsage};
use crate::error::Error;
use crate::event_log::{EventLog, redact_strings};
use crate::pricing::PricingTable;
use crate::semconv;

/// What the SDK records about its threads: the event log, prices, content capture.
///
/// Spans are always emitted through `tracing` (they cost next to nothing without a
/// subscriber); what receives them is the application's subscriber.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct Telemetry {
    event_log: Option<EventLog>,
    pricing: Arc<PricingTable>,
    capture_content: bool,
    redactor: Redactor,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            event_log: None,
            pricing: Arc::new(PricingTable::builtin()),
            capture_content: false,
            redactor: Redactor::default(),
        }
    }
}

impl Telemetry {
    /// No event log, the built-in prices, no content capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends every event of every turn to this log.
    ///
    /// By default, no log.
    pub fn event_log(mut self, log: EventLog) -> Self {
        self.event_log = Some(log);
        self
    }

    /// Prices turns with this table.
    ///
    /// By default, [`PricingTable::builtin`].
    pub fn pricing(mut self, table: PricingTable) -> Self {
        self.pricing = Arc::new(table);
        self
    }

    /// Records tool call arguments (commands, MCP and host tool arguments, search queries) on
    /// the `execute_tool` spans as `gen_ai.tool.call.arguments`, redacted.
    ///
    /// By default, `false`: no content is recorded.
    pub fn capture_content(mut self, capture: bool) -> Self {
        self.capture_content = capture;
        self
    }

    /// The redactor for recorded content (the event log has its own, see
    /// [`EventLogOptions::redactor`](crate::EventLogOptions::redactor)).
    ///
    /// By default, [`Redactor::default`].
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// The pricing table in use.
    pub fn pricing_table(&self) -> &PricingTable {
        &self.pricing
    }

    /// A tracker for a thread on `model` (`None`: codex's configured model, which the SDK does
    /// not know, so the thread is unpriced), resumed as `thread_id` or new.
    ///
    /// # Errors
    ///
    /// [`Error::UnpricedModel`] when `budget` limits USD and the model has no price.
    pub fn thread(
        &self,
        model: Option<&str>,
        budget: Option<Budget>,
        thread_id: Option<&str>,
    ) -> Result<ThreadTracker, Error> {
        let budget = budget.unwrap_or_default();
        let priced = model.is_some_and(|m| self.pricing.price(m).is_some());
        if budget.limits_cost() && !priced {
            return Err(Error::UnpricedModel {
                model: model.map(str::to_owned),
            });
        }
        let span = tracing::info_span!(
            target: "codex_agent_telemetry",
            "codex.thread",
            "otel.name" = semconv::THREAD_SPAN,
            "gen_ai.agent.name" = semconv::AGENT_CODEX,
            "gen_ai.conversation.id" = Empty,
        );
        if let Some(id) = thread_id {
            span.record(semconv::GEN_AI_CONVERSATION_ID, id);
        }
        Ok(ThreadTracker {
            telemetry: self.clone(),
            model: model.map(str::to_owned),
            budget,
            span,
            state: Arc::new(Mutex::new(ThreadState {
                usage: ThreadUsage {
                    cost_usd: priced.then_some(0.0),
                    ..ThreadUsage::default()
                },
                thread_id: thread_id.map(str::to_owned),
            })),
        })
    }
}

/// The telemetry of one thread: its span, usage and budget. Cheap to clone (clones share the
/// state).
#[derive(Debug, Clone)]
pub struct ThreadTracker {
    telemetry: Telemetry,
    model: Option<String>,
    budget: Budget,
    span: Span,
    state: Arc<Mutex<ThreadState>>,
}

#[derive(Debug)]
struct ThreadState {
    usage: ThreadUsage,
    thread_id: Option<String>,
}

impl ThreadTracker {
    /// The thread's usage over its ended turns.
    #[must_use]
    pub fn usage(&self) -> ThreadUsage {
        self.lock().usage.clone()
    }

    /// The thread's span, parent of its turns' spans.
    #[must_use]
    pub fn span(&self) -> &Span {
        &self.span
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThreadState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the budget has room for another turn.
    ///
    /// # Errors
    ///
    /// [`BudgetExceeded`] naming the limit reached.
    pub fn check_start(&self) -> Result<(), BudgetExceeded> {
        self.budget.check_start(&self.lock().usage)
    }

    /// Starts tracking a turn: `turn_id` is the app-server's turn id, `None` on exec (the
    /// turn is then called `exec-<n>`, its 1-based number on this thread).
    ///
    /// # Errors
    ///
    /// [`BudgetExceeded`] when the budget has no room for another turn.
    pub fn start_turn(&self, turn_id: Option<&str>) -> Result<TurnTracker, BudgetExceeded> {
        let state = self.lock();
        self.budget.check_start(&state.usage)?;
        let turn_id =
            turn_id.map_or_else(|| format!("exec-{}", state.usage.turns + 1), str::to_owned);
        // Parented through the subscriber's own context (the thread's span entered), not
        // with `parent:`: a thread made under another subscriber, or none, has a span id
        // that means nothing to this one (tracing-subscriber's registry panics on it).
        let span = self.span.in_scope(|| {
            tracing::info_span!(
                target: "codex_agent_telemetry",
                "invoke_agent codex",
                "otel.name" = semconv::INVOKE_AGENT_SPAN,
                "otel.kind" = "client",
                "gen_ai.operation.name" = "invoke_agent",
                "gen_ai.provider.name" = semconv::PROVIDER_OPENAI,
                "gen_ai.agent.name" = semconv::AGENT_CODEX,
                "gen_ai.conversation.id" = state.thread_id.as_deref(),
                "gen_ai.request.model" = self.model.as_deref(),
                "codex.turn.id" = turn_id.as_str(),
                "gen_ai.usage.input_tokens" = Empty,
                "gen_ai.usage.output_tokens" = Empty,
                "gen_ai.usage.cache_read.input_tokens" = Empty,
                "gen_ai.usage.reasoning.output_tokens" = Empty,
                "codex.cost.usd" = Empty,
                "error.type" = Empty,
            )
        });
        drop(state);
        // Tool calls are tracked only for a subscriber that takes their spans or metrics:
        // without one, keying every item by its id was most of this tracker's cost.
        let track_tools = tracing::span_enabled!(target: "codex_agent_telemetry", Level::INFO)
            || tracing::event_enabled!(Level::INFO);
        Ok(TurnTracker {
            thread: self.clone(),
            turn_id,
            span,
            track_tools,
            tools: HashMap::new(),
            usage: Usage::default(),
            ended: false,
            started: Instant::now(),
        })
    }
}

/// The telemetry of one running turn. Feed it every event ([`on_event`](Self::on_event));
/// dropping it before the turn's end counts the turn as stopped (`error.type` =
/// `cancelled`).
#[derive(Debug)]
pub struct TurnTracker {
    thread: ThreadTracker,
    turn_id: String,
    span: Span,
    /// Whether any subscriber takes the tool calls' spans or metrics (decided when the turn
    /// starts).
    track_tools: bool,
    tools: HashMap<String, OpenTool>,
    /// The turn's usage so far.
    usage: Usage,
    ended: bool,
    started: Instant,
}

/// A tool call between `item.started` and `item.completed`.
#[derive(Debug)]
struct OpenTool {
    span: Span,
    name: String,
    started: Instant,
}

impl TurnTracker {
    /// The SDK's id of the turn.
    #[must_use]
    pub fn turn_id(&self) -> &str {
        &self.turn_id
    }

    /// The turn's span.
    #[must_use]
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records one event: logs it, opens or closes tool spans, and at `turn.completed` /
    /// `turn.failed` records usage and cost and ends the turn.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the event log cannot be written (the event is still recorded
    /// otherwise).
    pub fn on_event(&mut self, event: &ThreadEvent) -> Result<(), Error> {
        if let ThreadEvent::ThreadStarted(started) = event {
            self.thread.lock().thread_id = Some(started.thread_id.clone());
            self.thread
                .span
                .record(semconv::GEN_AI_CONVERSATION_ID, started.thread_id.as_str());
            self.span
                .record(semconv::GEN_AI_CONVERSATION_ID, started.thread_id.as_str());
        }
        match event {
            ThreadEvent::ItemStarted(e) => {
                self.span.in_scope(|| {
                    tracing::debug!(
                        item.kind = kind(&e.item),
                        item.id = e.item.id.as_str(),
                        "item.started"
                    );
                });
                self.open_tool(&e.item);
            }
            ThreadEvent::ItemCompleted(e) => {
                self.span.in_scope(|| {
                    tracing::debug!(
                        item.kind = kind(&e.item),
                        item.id = e.item.id.as_str(),
                        "item.completed"
                    );
                });
                self.close_tool(&e.item);
            }
            ThreadEvent::TurnCompleted(done) => self.end(&done.usage.clone(), None),
            ThreadEvent::TurnFailed(_) => self.end(&self.usage.clone(), Some("turn_failed")),
            _ => {}
        }
        if let Some(log) = &self.thread.telemetry.event_log {
            let thread_id = self.thread.lock().thread_id.clone();
            log.append(thread_id.as_deref(), Some(&self.turn_id), event)?;
        }
        Ok(())
    }

    /// Checks the budget against the turn's usage so far (the app-server reports it after
    /// every model call; exec only at the end).
    ///
    /// # Errors
    ///
    /// [`BudgetExceeded`] when the thread's usage with this turn's so far exceeds a limit:
    /// the caller then stops the turn.
    pub fn check_usage(&mut self, so_far: &Usage) -> Result<(), BudgetExceeded> {
        self.usage = so_far.clone();
        let state = self.thread.lock();
        let usage = state.usage.plus(so_far, self.cost(so_far));
        self.thread.budget.check_running(&usage)
    }

    /// Sets the turn's id once known (the app-server's, after `turn/start`).
    pub fn set_turn_id(&mut self, turn_id: &str) {
        turn_id.clone_into(&mut self.turn_id);
        self.span.record(semconv::CODEX_TURN_ID, turn_id);
    }

    /// Ends a turn that never started (codex refused it, or could not be spawned): the span
    /// gets `error.type`, and the thread's usage does not count it.
    pub fn not_started(mut self, error_type: &str) {
        self.ended = true;
        self.span.record(semconv::ERROR_TYPE, error_type);
    }

    /// Ends the turn with an error (`error.type`), counting its usage so far.
    pub fn fail(&mut self, error_type: &str) {
        self.end(&self.usage.clone(), Some(error_type));
    }

    fn cost(&self, usage: &Usage) -> Option<f64> {
        let model = self.thread.model.as_deref()?;
        self.thread.telemetry.pricing.cost(model, usage)
    }

    fn end(&mut self, usage: &Usage, error: Option<&str>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.usage = usage.clone();
        let cost = self.cost(usage);
        let span = &self.span;
        // OpenTelemetry has no unsigned integers (u64 would be exported as a string).
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        span.record(semconv::GEN_AI_USAGE_INPUT_TOKENS, int(usage.input_tokens));
        span.record(
            semconv::GEN_AI_USAGE_OUTPUT_TOKENS,
            int(usage.output_tokens),
        );
        span.record(
            semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
            int(usage.cached_input_tokens),
        );
        span.record(
            semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
            int(usage.reasoning_output_tokens),
        );
        if let Some(cost) = cost {
            span.record(semconv::CODEX_COST_USD, cost);
        }
        if let Some(error) = error {
            span.record(semconv::ERROR_TYPE, error);
        }
        let unfinished = error.unwrap_or("unfinished");
        for (_, tool) in self.tools.drain() {
            tool.span.record(semconv::ERROR_TYPE, unfinished);
            tool_metrics(&tool, Some(unfinished));
        }
        let model = self.thread.model.as_deref();
        for (kind, tokens) in [
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
        ] {
            tracing::info!(
                histogram.gen_ai.client.token.usage = tokens,
                "gen_ai.token.type" = kind,
                "gen_ai.operation.name" = "invoke_agent",
                "gen_ai.provider.name" = semconv::PROVIDER_OPENAI,
                "gen_ai.request.model" = model,
            );
        }
        tracing::info!(
            histogram.gen_ai.client.operation.duration = self.started.elapsed().as_secs_f64(),
            "gen_ai.operation.name" = "invoke_agent",
            "gen_ai.provider.name" = semconv::PROVIDER_OPENAI,
            "gen_ai.request.model" = model,
            "error.type" = error,
        );
        tracing::info!(
            monotonic_counter.codex.turns = 1_u64,
            "codex.turn.outcome" = error.unwrap_or("completed"),
        );
        let mut state = self.thread.lock();
        let mut total = state.usage.plus(usage, cost);
        total.turns += 1;
        state.usage = total;
    }

    fn open_tool(&mut self, item: &ThreadItem) {
        if !self.track_tools {
            return;
        }
        let Some((name, tool_type)) = tool(item) else {
            return;
        };
        // Through the turn's span entered, as in `start_turn`.
        let span = self.span.in_scope(|| {
            tracing::info_span!(
                target: "codex_agent_telemetry",
                "execute_tool",
                "otel.name" = format!("{} {name}", semconv::EXECUTE_TOOL_SPAN),
                "otel.kind" = "internal",
                "gen_ai.operation.name" = "execute_tool",
                "gen_ai.tool.name" = name.as_str(),
                "gen_ai.tool.call.id" = item.id.as_str(),
                "gen_ai.tool.type" = tool_type,
                "gen_ai.tool.call.arguments" = Empty,
                "codex.item.status" = Empty,
                "codex.command.exit_code" = Empty,
                "error.type" = Empty,
            )
        });
        if self.thread.telemetry.capture_content {
            let mut arguments = tool_arguments(item);
            redact_strings(&self.thread.telemetry.redactor, &mut arguments);
            let text = match arguments {
                Value::String(text) => text,
                other => other.to_string(),
            };
            span.record(semconv::GEN_AI_TOOL_CALL_ARGUMENTS, text.as_str());
        }
        self.tools.insert(
            item.id.clone(),
            OpenTool {
                span,
                name,
                started: Instant::now(),
            },
        );
    }

    fn close_tool(&mut self, item: &ThreadItem) {
        if !self.track_tools {
            return;
        }
        if !self.tools.contains_key(&item.id) {
            self.open_tool(item);
        }
        let Some(tool) = self.tools.remove(&item.id) else {
            return;
        };
        let span = &tool.span;
        // The wire status, read from the typed item: serializing the whole item (a command's
        // output included) for one field was most of this tracker's cost on long turns.
        let status = wire_status(item);
        let failed = status.filter(|status| *status != "completed");
        if let Some(status) = status {
            span.record(semconv::CODEX_ITEM_STATUS, status);
        }
        if let Some(failed) = failed {
            span.record(semconv::ERROR_TYPE, failed);
        }
        tool_metrics(&tool, failed);
        if let ItemDetails::CommandExecution(command) = &item.details
            && let Some(code) = command.exit_code
        {
            span.record(semconv::CODEX_COMMAND_EXIT_CODE, i64::from(code));
        }
    }
}

impl Drop for TurnTracker {
    fn drop(&mut self) {
        self.end(&self.usage.clone(), Some("cancelled"));
    }
}

/// The metrics of one finished tool call.
fn tool_metrics(tool: &OpenTool, error: Option<&str>) {
    let name = tool.name.as_str();
    tracing::info!(
        histogram.gen_ai.execute_tool.duration = tool.started.elapsed().as_secs_f64(),
        "gen_ai.operation.name" = "execute_tool",
        "gen_ai.tool.name" = name,
        "error.type" = error,
    );
    tracing::info!(
        monotonic_counter.codex.tool.calls = 1_u64,
        "gen_ai.tool.name" = name,
        "error.type" = error,
    );
    if let Some(error) = error {
        tracing::info!(
            monotonic_counter.codex.tool.errors = 1_u64,
            "gen_ai.tool.name" = name,
            "error.type" = error,
        );
    }
}

/// The wire name of an item's type.
fn kind(item: &ThreadItem) -> &'static str {
    match &item.details {
        ItemDetails::AgentMessage(_) => "agent_message",
        ItemDetails::Reasoning(_) => "reasoning",
        ItemDetails::CommandExecution(_) => "command_execution",
        ItemDetails::FileChange(_) => "file_change",
        ItemDetails::McpToolCall(_) => "mcp_tool_call",
        ItemDetails::CollabToolCall(_) => "collab_tool_call",
        ItemDetails::WebSearch(_) => "web_search",
        ItemDetails::TodoList(_) => "todo_list",
        ItemDetails::Error(_) => "error",
        ItemDetails::DynamicToolCall(_) => "dynamic_tool_call",
        _ => "unknown",
    }
}

/// A tool item's name and `gen_ai.tool.type`; `None` for other items.
fn tool(item: &ThreadItem) -> Option<(String, &'static str)> {
    Some(match &item.details {
        ItemDetails::CommandExecution(_) => ("shell".to_owned(), "function"),
        ItemDetails::FileChange(_) => ("apply_patch".to_owned(), "function"),
        ItemDetails::McpToolCall(c) => (c.tool.clone(), "extension"),
        ItemDetails::DynamicToolCall(c) => (c.tool.clone(), "function"),
        ItemDetails::WebSearch(_) => ("web_search".to_owned(), "datastore"),
        _ => return None,
    })
}

/// A tool item's arguments, copied only when content is captured.
fn tool_arguments(item: &ThreadItem) -> Value {
    match &item.details {
        ItemDetails::CommandExecution(c) => Value::String(c.command.clone()),
        ItemDetails::McpToolCall(c) => c.arguments.to_value(),
        ItemDetails::DynamicToolCall(c) => c.arguments.to_value(),
        ItemDetails::WebSearch(w) => Value::String(w.query.clone()),
        _ => Value::Null,
    }
}

/// The item's wire `status`, as its JSON carries it (an unmodeled `status` field included).
fn wire_status(item: &ThreadItem) -> Option<&str> {
    let extra = match &item.details {
        ItemDetails::CommandExecution(c) => return Some(c.status.as_str()),
        ItemDetails::FileChange(f) => return Some(f.status.as_str()),
        ItemDetails::McpToolCall(m) => return Some(m.status.as_str()),
        ItemDetails::CollabToolCall(c) => return Some(c.status.as_str()),
        ItemDetails::DynamicToolCall(d) => return Some(d.status.as_str()),
        ItemDetails::AgentMessage(m) if m.status.is_some() => {
            return m.status.as_ref().map(TextItemStatus::as_str);
        }
        ItemDetails::Reasoning(r) if r.status.is_some() => {
            return r.status.as_ref().map(TextItemStatus::as_str);
        }
        ItemDetails::AgentMessage(m) => &m.extra,
        ItemDetails::Reasoning(r) => &r.extra,
        ItemDetails::WebSearch(w) => &w.extra,
        ItemDetails::TodoList(t) => &t.extra,
        ItemDetails::Error(e) => &e.extra,
        ItemDetails::Unknown(u) => &u.fields,
        _ => return None,
    };
    extra.get("status").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use codex_agent_protocol::exec::parse_event;
    use codex_agent_testkit::spans::SpanCapture;
    use pretty_assertions::assert_eq;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Without a subscriber that takes tool spans or metrics, tool calls are not tracked (no
    /// map entry per item); with one, every open call is tracked until it completes.
    #[test]
    fn tool_calls_are_tracked_only_for_a_subscriber() {
        let open_calls = |turn: &mut TurnTracker| {
            let lines = codex_agent_testkit::synthetic::exec_stream(14);
            let mut most = 0;
            for line in &lines {
                turn.on_event(&parse_event(line).expect("event"))
                    .expect("no log");
                most = most.max(turn.tools.len());
            }
            most
        };
        let telemetry = Telemetry::new();
        let thread = telemetry.thread(Some("m"), None, None).expect("thread");
        let mut turn = thread.start_turn(None).expect("no budget");
        assert!(!turn.track_tools);
        assert_eq!(open_calls(&mut turn), 0);
        assert_eq!(thread.usage().turns, 1, "usage is still counted");
        let capture = SpanCapture::new();
        let subscriber = tracing_subscriber::registry().with(capture.layer());
        tracing::subscriber::with_default(subscriber, || {
            // The same thread, made before this subscriber: its turn runs under it.
            let mut turn = thread.start_turn(None).expect("no budget");
            assert!(turn.track_tools);
            assert!(open_calls(&mut turn) > 0);
        });
    }

    /// A thread made where no subscriber is the default, whose turn then runs under one (a
    /// scoped subscriber in a test, a subscriber installed after the thread was made): the
    /// thread's span id means nothing to that subscriber, and giving it as the turn's parent
    /// made `tracing-subscriber`'s registry panic. The turn (and its tool spans) are then
    /// children of whatever that subscriber has as its current span.
    #[test]
    fn a_thread_made_without_a_subscriber_runs_its_turn_under_one() {
        let run = |thread: &ThreadTracker| {
            let mut turn = thread.start_turn(None).expect("no budget");
            for line in &codex_agent_testkit::synthetic::exec_stream(14) {
                turn.on_event(&parse_event(line).expect("event"))
                    .expect("no log");
            }
        };
        let telemetry = Telemetry::new();
        // A first subscriber registers the callsites as always interesting, as any other
        // subscriber in the process would: a span made with none is then not disabled but
        // gets a placeholder id.
        let first = SpanCapture::new();
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(first.layer()),
            || {
                run(&telemetry.thread(Some("m"), None, None).expect("thread"));
            },
        );
        let orphan = telemetry.thread(Some("m"), None, None).expect("thread");
        let capture = SpanCapture::new();
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(capture.layer()),
            || {
                run(&orphan);
            },
        );
        let spans = capture.spans();
        let turn = spans
            .iter()
            .position(|s| s.name == "invoke_agent codex")
            .expect("the turn span reached the second subscriber");
        assert_eq!(spans[turn].parent, None, "{spans:#?}");
        assert!(
            spans
                .iter()
                .any(|s| s.name == "execute_tool" && s.parent == Some(turn)),
            "{spans:#?}"
        );
    }

    /// The synthetic turn (3 commands, an MCP call, a patch) makes the span tree thread →
    /// `invoke_agent codex` → one `execute_tool` per tool item, with the conventions' names.
    #[test]
    fn a_turn_makes_the_genai_span_tree() {
        let capture = SpanCapture::new();
        let subscriber = tracing_subscriber::registry().with(capture.layer());
        let secret = "sk-proj-abcdefgh12345678";
        tracing::subscriber::with_default(subscriber, || {
            let telemetry = Telemetry::new()
                .pricing(PricingTable::empty().with("m", crate::Price::new(1.0, 0.5, 2.0)))
                .capture_content(true);
            let thread = telemetry.thread(Some("m"), None, None).expect("thread");
            let mut turn = thread.start_turn(None).expect("no budget");
            for line in codex_agent_testkit::synthetic::exec_stream(14) {
                let line = line.replace("--nocapture", secret);
                turn.on_event(&parse_event(&line).expect("event"))
                    .expect("no log");
            }
            assert_eq!(thread.usage().turns, 1);
            // 4000 uncached * 1 + 20000 cached * 0.5 + 850 * 2 = 15700 µ$.
            assert!((thread.usage().cost_usd.expect("priced") - 0.0157).abs() < 1e-12);
        });
        let spans = capture.spans();
        let summary: Vec<(String, Option<usize>, Option<String>)> = spans
            .iter()
            .map(|s| {
                (
                    s.field("otel.name").unwrap_or(&s.name).to_owned(),
                    s.parent,
                    s.field("codex.item.status").map(str::to_owned),
                )
            })
            .collect();
        let tool = |name: &str, status: &str| {
            (
                format!("execute_tool {name}"),
                Some(1),
                Some(status.to_owned()),
            )
        };
        assert_eq!(
            summary,
            [
                ("codex.thread".to_owned(), None, None),
                ("invoke_agent codex".to_owned(), Some(0), None),
                tool("shell", "completed"),
                tool("shell", "failed"),
                tool("shell", "completed"),
                tool("echo", "completed"),
                tool("apply_patch", "completed"),
            ]
        );
        let agent = &spans[1];
        let expected = [
            (semconv::GEN_AI_OPERATION_NAME, "invoke_agent"),
            (semconv::GEN_AI_PROVIDER_NAME, "openai"),
            (semconv::GEN_AI_AGENT_NAME, "codex"),
            (
                semconv::GEN_AI_CONVERSATION_ID,
                "01a1fd14-d7a7-70d3-a8a3-000000000000",
            ),
            (semconv::GEN_AI_REQUEST_MODEL, "m"),
            (semconv::GEN_AI_USAGE_INPUT_TOKENS, "24000"),
            (semconv::GEN_AI_USAGE_OUTPUT_TOKENS, "850"),
            (semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, "20000"),
            (semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, "300"),
            (semconv::CODEX_TURN_ID, "exec-1"),
            (semconv::CODEX_COST_USD, "0.0157"),
            ("otel.kind", "client"),
        ];
        for (name, value) in expected {
            assert_eq!(agent.field(name), Some(value), "{name}");
        }
        assert_eq!(agent.field(semconv::ERROR_TYPE), None);
        let failed = &spans[3];
        for (name, value) in [
            (semconv::GEN_AI_OPERATION_NAME, "execute_tool"),
            (semconv::GEN_AI_TOOL_NAME, "shell"),
            (semconv::GEN_AI_TOOL_CALL_ID, "item_2"),
            (semconv::GEN_AI_TOOL_TYPE, "function"),
            (semconv::CODEX_COMMAND_EXIT_CODE, "1"),
            (semconv::ERROR_TYPE, "failed"),
        ] {
            assert_eq!(failed.field(name), Some(value), "{name}");
        }
        assert_eq!(spans[5].field(semconv::GEN_AI_TOOL_TYPE), Some("extension"));
        let arguments = failed
            .field(semconv::GEN_AI_TOOL_CALL_ARGUMENTS)
            .expect("captured");
        assert!(arguments.contains("[REDACTED]"), "{arguments}");
        let all = format!("{spans:?}");
        assert!(!all.contains(secret), "{all}");
    }

    #[test]
    fn content_is_not_recorded_by_default_and_a_dropped_turn_counts_as_cancelled() {
        let capture = SpanCapture::new();
        let subscriber = tracing_subscriber::registry().with(capture.layer());
        tracing::subscriber::with_default(subscriber, || {
            let thread = Telemetry::new()
                .thread(None, None, Some("t"))
                .expect("thread");
            let mut turn = thread.start_turn(Some("turn-9")).expect("no budget");
            for line in codex_agent_testkit::synthetic::exec_stream(4) {
                turn.on_event(&parse_event(&line).expect("event"))
                    .expect("no log");
            }
            drop(turn);
            let usage = thread.usage();
            assert_eq!((usage.turns, usage.cost_usd), (1, None));
        });
        let spans = capture.spans();
        assert_eq!(spans[1].field(semconv::ERROR_TYPE), Some("cancelled"));
        assert_eq!(spans[1].field(semconv::CODEX_TURN_ID), Some("turn-9"));
        assert_eq!(spans[2].field(semconv::ERROR_TYPE), Some("cancelled"));
        assert!(
            spans
                .iter()
                .all(|s| s.field(semconv::GEN_AI_TOOL_CALL_ARGUMENTS).is_none())
        );
    }

    #[test]
    fn a_usd_budget_needs_a_priced_model() {
        let budget = Budget::new().max_usd(1.0);
        let telemetry = Telemetry::new();
        for model in [None, Some("no-such-model")] {
            let error = telemetry
                .thread(model, Some(budget), None)
                .expect_err("unpriced");
            assert!(matches!(error, Error::UnpricedModel { .. }), "{error:?}");
        }
        assert!(telemetry.thread(Some("gpt-5"), Some(budget), None).is_ok());
    }

    /// The budget refuses the turn after the limit and reports a running turn that crosses it.
    #[test]
    fn budgets_stop_turns() {
        let thread = Telemetry::new()
            .thread(None, Some(Budget::new().max_turns(1).max_tokens(100)), None)
            .expect("thread");
        let mut turn = thread.start_turn(None).expect("room");
        let mut usage = Usage::default();
        usage.input_tokens = 60;
        assert!(turn.check_usage(&usage).is_ok());
        usage.output_tokens = 41;
        let crossed = turn.check_usage(&usage).expect_err("101 > 100");
        assert_eq!(crossed.limit, crate::BudgetLimit::Tokens(100));
        turn.fail("budget_exceeded");
        drop(turn);
        assert_eq!(thread.usage().total_tokens(), 101);
        let refused = thread.start_turn(None).expect_err("used up");
        assert_eq!(refused.limit, crate::BudgetLimit::Turns(1));
    }
}
