//! The attribute and span names of the `OpenTelemetry` `GenAI` semantic conventions this crate
//! emits, as our own constants.
//!
//! The conventions are status "Development", and `opentelemetry-semantic-conventions` marks
//! its `GEN_AI_*` constants deprecated, so the names are defined here. The `tracing` macros
//! need field names as literal tokens; a unit test checks that the spans carry exactly these
//! names. Facts with no convention (exit codes, item status) go under the `codex.` namespace.

/// `gen_ai.operation.name`: `invoke_agent` or `execute_tool`.
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`: `openai`.
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// `gen_ai.agent.name`: `codex`.
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.conversation.id`: the thread id.
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `gen_ai.request.model`: the model asked for, when the thread options name one.
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.usage.input_tokens` (cached tokens included).
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens` (reasoning tokens included).
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens`.
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens`.
pub const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
/// `gen_ai.tool.name`.
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.call.id`: the item id.
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `gen_ai.tool.type`: `function` (commands, patches, host tools), `extension` (MCP),
/// `datastore` (web search).
pub const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
/// `gen_ai.tool.call.arguments`: opt-in content, redacted.
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `error.type`: why the operation failed.
pub const ERROR_TYPE: &str = "error.type";
/// `codex.item.status`: the final status of a tool item (`completed`, `failed`, …).
pub const CODEX_ITEM_STATUS: &str = "codex.item.status";
/// `codex.command.exit_code`: a command's exit code.
pub const CODEX_COMMAND_EXIT_CODE: &str = "codex.command.exit_code";
/// `codex.turn.id`: the SDK's id of the turn (the app-server's turn id, or
/// `exec-<n>` on the exec transport, which has none).
pub const CODEX_TURN_ID: &str = "codex.turn.id";
/// `codex.cost.usd`: the turn's estimated cost, when the model is priced.
pub const CODEX_COST_USD: &str = "codex.cost.usd";

/// `codex.approval.kind`: what a request that asks the user is about (`command_execution`,
/// `file_change`, `permissions`, `user_input` for the agent's questions, `elicitation` for an
/// MCP server's).
pub const CODEX_APPROVAL_KIND: &str = "codex.approval.kind";
/// `codex.approval.decision`: the handler's answer (`accept`, `accept_for_session`,
/// `accept_with_execpolicy_amendment`, `decline`, `cancel`). A permissions answer that
/// grants nothing, and an answer to questions that answers none, are `decline`.
pub const CODEX_APPROVAL_DECISION: &str = "codex.approval.decision";
/// `codex.hook.event`: codex's name of a hook event (`PreToolUse`, `PostToolUse`, `Stop`, …).
pub const CODEX_HOOK_EVENT: &str = "codex.hook.event";
/// `codex.hook.outcome`: what the hooks answered (`allow` | `deny` for `PreToolUse`;
/// `proceed` | `add_context` | `block` for the other events).
pub const CODEX_HOOK_OUTCOME: &str = "codex.hook.outcome";

/// Histogram `gen_ai.client.token.usage` (`{token}`), per turn, attribute `gen_ai.token.type`
/// = `input` | `output`.
pub const GEN_AI_CLIENT_TOKEN_USAGE: &str = "gen_ai.client.token.usage";
/// Histogram `gen_ai.client.operation.duration` (`s`), per turn.
pub const GEN_AI_CLIENT_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
/// Histogram `gen_ai.execute_tool.duration` (`s`), per tool call.
pub const GEN_AI_EXECUTE_TOOL_DURATION: &str = "gen_ai.execute_tool.duration";
/// Counter `codex.tool.calls`, per tool call, attributes `gen_ai.tool.name` and, when it
/// failed, `error.type`.
pub const CODEX_TOOL_CALLS: &str = "codex.tool.calls";
/// Counter `codex.tool.errors`, per failed tool call.
pub const CODEX_TOOL_ERRORS: &str = "codex.tool.errors";
/// Counter `codex.turns`, per turn, attribute `codex.turn.outcome` (`completed`, or the
/// turn's `error.type`).
pub const CODEX_TURNS: &str = "codex.turns";
/// Counter `codex.approvals`, per approval request answered, attributes
/// `codex.approval.kind` and `codex.approval.decision` ("approvals by decision").
pub const CODEX_APPROVALS: &str = "codex.approvals";
/// Counter `codex.hooks`, per hook event run, attributes `codex.hook.event` and
/// `codex.hook.outcome`.
pub const CODEX_HOOKS: &str = "codex.hooks";
/// `codex.turn.outcome`.
pub const CODEX_TURN_OUTCOME: &str = "codex.turn.outcome";
/// `gen_ai.token.type`.
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";

/// The span name of a turn: `invoke_agent codex`.
pub const INVOKE_AGENT_SPAN: &str = "invoke_agent codex";
/// The span name of a tool call, before its tool name: `execute_tool`.
pub const EXECUTE_TOOL_SPAN: &str = "execute_tool";
/// The span name of a request that asks the user, before its kind: `approval` (`approval
/// command_execution`, `approval file_change`, `approval permissions`, `approval
/// user_input`, `approval elicitation`). Emitted by `codex-agent-tools`, a child of the
/// turn's span (on exec, of the `hook PreToolUse` span that asks the handler).
pub const APPROVAL_SPAN: &str = "approval";
/// The span name of a hook event's run, before codex's event name: `hook` (`hook
/// PreToolUse`). Emitted by `codex-agent-tools`, a child of the turn's span.
pub const HOOK_SPAN: &str = "hook";
/// The span name of a thread: `codex.thread`.
pub const THREAD_SPAN: &str = "codex.thread";
/// `gen_ai.provider.name` of every span.
pub const PROVIDER_OPENAI: &str = "openai";
/// `gen_ai.agent.name` of every span.
pub const AGENT_CODEX: &str = "codex";
