//! Hooks as Rust closures, in the manner of Claude's: [`Hooks`] holds closures for codex's hook
//! events, the tool hooks each with a matcher on the tool name.
//!
//! | Event | Closure gets | It may answer |
//! |---|---|---|
//! | `PreToolUse` | [`PreToolUse`] | [`HookDecision`]: allow, or deny with a reason the model sees |
//! | `PostToolUse` | [`PostToolUse`] | [`HookOutput`]: proceed, add context for the model, or block (the model gets the reason; the tool has run) |
//! | `UserPromptSubmit` | [`UserPromptSubmit`] | [`HookOutput`]: proceed, add context, or block the prompt (it never reaches the model) |
//! | `SessionStart` | [`SessionStart`] | [`HookOutput`]: proceed or add context (a block is sent as `decision: block`, which codex ignores here) |
//! | `Stop` | [`Stop`] | [`HookOutput`]: proceed (the turn ends) or block with a reason (codex goes on, the reason as the next instruction) |
//!
//! On both transports (feature `mcp`), codex-agent-sdk declares one codex hook per event
//! (`hooks.<Event>`, handler `{"type": "mcp_tool", …}`) pointed at the SDK's in-process MCP
//! server, which runs the matching closures ([`Hooks::answer`]) and answers codex's hook
//! protocol ([`Hooks::codex_config`] is the declaration). A denied command never runs; the
//! model gets `Command blocked by PreToolUse hook: <reason>`. codex runs only trusted hooks: the
//! SDK has these run with codex's hook-trust bypass for its own runs (`codex exec
//! --dangerously-bypass-hook-trust`, the app-server thread's `bypass_hook_trust` override),
//! which also applies to hooks the user's `CODEX_HOME` enables; nothing is written there.
//!
//! codex names its shell tool `Bash` in hooks (whatever the model's tool is called), so a
//! matcher `"Bash"` sees every command the agent runs.
//!
//! ```
//! use codex_agent_tools::hooks::{HookDecision, Hooks, PreToolUse};
//!
//! let hooks = Hooks::new().pre_tool_use("Bash", |event: PreToolUse| async move {
//!     match event.command() {
//!         Some(command) if command.starts_with("rm ") => HookDecision::deny("no rm here"),
//!         _ => HookDecision::Allow,
//!     }
//! });
//! assert!(!hooks.is_empty());
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tracing::Instrument as _;

use crate::approval::{ApprovalDecision, ApprovalHandler, CommandExecutionRequestApprovalParams};
use crate::spans;

/// The name codex gives its shell tool in hooks.
pub const SHELL_TOOL: &str = "Bash";

/// A tool call codex is about to make, as a `PreToolUse` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreToolUse {
    tool_name: String,
    command: Option<String>,
}

impl PreToolUse {
    /// An event for `tool_name`, with the command line when the tool is the shell.
    #[must_use]
    pub fn new(tool_name: impl Into<String>, command: Option<String>) -> Self {
        Self {
            tool_name: tool_name.into(),
            command: command.filter(|c| !c.is_empty()),
        }
    }

    /// The tool's name as codex reports it to hooks ([`SHELL_TOOL`] for commands).
    #[must_use]
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The command line the agent wants to run (the shell tool only).
    #[must_use]
    pub fn command(&self) -> Option<&str> {
        self.command.as_deref()
    }
}

/// A tool call that has run, as a `PostToolUse` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostToolUse {
    tool_name: String,
    command: Option<String>,
    response: Option<String>,
}

impl PostToolUse {
    /// An event for `tool_name`, with the command line when the tool is the shell and the
    /// tool's response as codex reports it.
    #[must_use]
    pub fn new(
        tool_name: impl Into<String>,
        command: Option<String>,
        response: Option<String>,
    ) -> Self {
        Self {
            tool_name: tool_name.into(),
            command: command.filter(|c| !c.is_empty()),
            response: response.filter(|r| !r.is_empty()),
        }
    }

    /// The tool's name as codex reports it to hooks ([`SHELL_TOOL`] for commands).
    #[must_use]
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The command line that ran (the shell tool only).
    #[must_use]
    pub fn command(&self) -> Option<&str> {
        self.command.as_deref()
    }

    /// The tool's response as text, when codex reports one.
    #[must_use]
    pub fn response(&self) -> Option<&str> {
        self.response.as_deref()
    }
}

/// A prompt about to be sent to the model, as a `UserPromptSubmit` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPromptSubmit {
    prompt: String,
}

impl UserPromptSubmit {
    /// An event for `prompt`.
    #[must_use]
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
        }
    }

    /// The prompt's text.
    #[must_use]
    pub fn prompt(&self) -> &str {
        &self.prompt
    }
}

/// A session starting, as a `SessionStart` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStart {
    source: String,
}

impl SessionStart {
    /// An event for a session started from `source`.
    #[must_use]
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
        }
    }

    /// Why the session starts, as codex says it (`startup`, `resume`, …; empty when codex
    /// does not say).
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The agent about to end its turn, as a `Stop` hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    last_message: Option<String>,
}

impl Stop {
    /// An event whose turn's last agent message is `last_message`.
    #[must_use]
    pub fn new(last_message: Option<String>) -> Self {
        Self {
            last_message: last_message.filter(|m| !m.is_empty()),
        }
    }

    /// The turn's last agent message, when codex reports it.
    #[must_use]
    pub fn last_message(&self) -> Option<&str> {
        self.last_message.as_deref()
    }
}

/// What a `PreToolUse` hook decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookDecision {
    /// Let the call run.
    Allow,
    /// Block the call; the model is told the reason.
    Deny(String),
}

impl HookDecision {
    /// Blocks the call with `reason`, which the model sees.
    #[must_use]
    pub fn deny(reason: impl Into<String>) -> Self {
        Self::Deny(reason.into())
    }

    /// The answer codex's hook protocol expects from the hook's MCP tool: `{}` allows;
    /// `hookSpecificOutput` with `permissionDecision: "deny"` blocks.
    #[must_use]
    pub fn to_hook_output(&self) -> serde_json::Value {
        match self {
            Self::Allow => serde_json::json!({}),
            Self::Deny(reason) => serde_json::json!({
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": reason,
                }
            }),
        }
    }
}

/// What a `PostToolUse`, `UserPromptSubmit`, `SessionStart` or `Stop` hook answers (the
/// table in the [module docs](self) says what each event does with it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookOutput {
    /// Nothing to add: codex goes on as it would.
    Proceed,
    /// Text codex adds to the model's context (`additionalContext`).
    AddContext(String),
    /// `decision: "block"` with a reason: the prompt is not sent, the tool's result is
    /// replaced by the reason, or (for `Stop`) the agent goes on with the reason.
    Block(String),
}

impl HookOutput {
    /// Adds `context` to the model's context.
    #[must_use]
    pub fn add_context(context: impl Into<String>) -> Self {
        Self::AddContext(context.into())
    }

    /// Blocks with `reason`.
    #[must_use]
    pub fn block(reason: impl Into<String>) -> Self {
        Self::Block(reason.into())
    }

    /// The answer codex's hook protocol expects for `event` (codex's name, such as
    /// `PostToolUse`).
    #[must_use]
    pub fn to_hook_output(&self, event: &str) -> serde_json::Value {
        match self {
            Self::Proceed => serde_json::json!({}),
            Self::AddContext(context) => serde_json::json!({
                "hookSpecificOutput": {
                    "hookEventName": event,
                    "additionalContext": context,
                }
            }),
            Self::Block(reason) => serde_json::json!({"decision": "block", "reason": reason}),
        }
    }

    /// Several hooks' outputs as one: the first block wins, contexts are joined by lines.
    fn merge(outputs: Vec<Self>) -> Self {
        let mut contexts = Vec::new();
        for output in outputs {
            match output {
                Self::Block(_) => return output,
                Self::AddContext(context) => contexts.push(context),
                Self::Proceed => {}
            }
        }
        if contexts.is_empty() {
            Self::Proceed
        } else {
            Self::AddContext(contexts.join("\n"))
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One closure of one event, with its matcher.
struct Hook<E, O> {
    matcher: Matcher,
    run: Arc<dyn Fn(E) -> BoxFuture<O> + Send + Sync>,
}

impl<E, O> Clone for Hook<E, O> {
    fn clone(&self) -> Self {
        Self {
            matcher: self.matcher.clone(),
            run: Arc::clone(&self.run),
        }
    }
}

impl<E: 'static, O: 'static> Hook<E, O> {
    fn new<F, Fut>(matcher: &str, hook: F) -> Self
    where
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
    {
        Self {
            matcher: Matcher::parse(matcher),
            run: Arc::new(move |event| Box::pin(hook(event))),
        }
    }
}

/// Which tools a hook sees: every tool (`"*"` or `""`), or the names listed, separated by `|`
/// (`"Bash|mcp__host__add"`), matched exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    Any,
    Names(Vec<String>),
}

impl Matcher {
    fn parse(matcher: &str) -> Self {
        let matcher = matcher.trim();
        if matcher.is_empty() || matcher == "*" {
            return Self::Any;
        }
        Self::Names(matcher.split('|').map(|n| n.trim().to_owned()).collect())
    }

    fn matches(&self, tool: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Names(names) => names.iter().any(|n| n == tool),
        }
    }

    /// The same matcher as codex's regular expression on the tool name.
    fn to_regex(&self) -> String {
        match self {
            Self::Any => ".*".to_owned(),
            Self::Names(names) => {
                let escaped: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
                format!("^({})$", escaped.join("|"))
            }
        }
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// codex's regular expression for the tools any of `hooks` sees, or `None` without hooks.
fn union_regex<E, O>(hooks: &[Hook<E, O>]) -> Option<String> {
    if hooks.is_empty() {
        return None;
    }
    if hooks.iter().any(|h| h.matcher == Matcher::Any) {
        return Some(".*".to_owned());
    }
    let parts: Vec<String> = hooks.iter().map(|h| h.matcher.to_regex()).collect();
    Some(parts.join("|"))
}

/// Runs the hooks whose matcher selects `tool` (every hook for `None`), in order.
async fn run_all<E: Clone, O>(hooks: &[Hook<E, O>], tool: Option<&str>, event: &E) -> Vec<O> {
    let mut outputs = Vec::new();
    for hook in hooks {
        if tool.is_some_and(|tool| !hook.matcher.matches(tool)) {
            continue;
        }
        outputs.push((hook.run)(event.clone()).await);
    }
    outputs
}

/// A thread's hooks: closures for codex's hook events. Cheap to clone (the closures are
/// shared).
#[derive(Clone, Default)]
#[must_use]
pub struct Hooks {
    pre_tool_use: Vec<Hook<PreToolUse, HookDecision>>,
    post_tool_use: Vec<Hook<PostToolUse, HookOutput>>,
    user_prompt_submit: Vec<Hook<UserPromptSubmit, HookOutput>>,
    session_start: Vec<Hook<SessionStart, HookOutput>>,
    stop: Vec<Hook<Stop, HookOutput>>,
    /// The parent of the `hook {event}` spans, asked at each run; `None`: the current span.
    parent: Option<ParentSpan>,
}

/// What [`Hooks::parent_span`] keeps.
type ParentSpan = Arc<dyn Fn() -> Option<tracing::Span> + Send + Sync>;

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn matchers<E, O>(hooks: &[Hook<E, O>]) -> Vec<&Matcher> {
            hooks.iter().map(|hook| &hook.matcher).collect()
        }
        f.debug_struct("Hooks")
            .field("pre_tool_use", &matchers(&self.pre_tool_use))
            .field("post_tool_use", &matchers(&self.post_tool_use))
            .field("user_prompt_submit", &self.user_prompt_submit.len())
            .field("session_start", &self.session_start.len())
            .field("stop", &self.stop.len())
            .field("parent_span", &self.parent.is_some())
            .finish()
    }
}

/// codex's names of the events, as the keys of its `hooks` table.
const PRE_TOOL_USE: &str = "PreToolUse";
const POST_TOOL_USE: &str = "PostToolUse";
const USER_PROMPT_SUBMIT: &str = "UserPromptSubmit";
const SESSION_START: &str = "SessionStart";
const STOP: &str = "Stop";

impl Hooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `PreToolUse` hook: `hook` runs before every call of a tool `matcher` selects
    /// (`"*"` for every tool, or names separated by `|`, such as [`SHELL_TOOL`]) and allows or
    /// denies it. Hooks run in the order added; the first denial wins.
    pub fn pre_tool_use<F, Fut>(mut self, matcher: impl AsRef<str>, hook: F) -> Self
    where
        F: Fn(PreToolUse) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HookDecision> + Send + 'static,
    {
        self.pre_tool_use.push(Hook::new(matcher.as_ref(), hook));
        self
    }

    /// Adds a `PostToolUse` hook: `hook` runs after every call of a tool `matcher` selects
    /// (as for [`pre_tool_use`](Self::pre_tool_use)). Hooks run in the order added; the first
    /// block wins, contexts are joined.
    pub fn post_tool_use<F, Fut>(mut self, matcher: impl AsRef<str>, hook: F) -> Self
    where
        F: Fn(PostToolUse) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HookOutput> + Send + 'static,
    {
        self.post_tool_use.push(Hook::new(matcher.as_ref(), hook));
        self
    }

    /// Adds a `UserPromptSubmit` hook: `hook` runs before each prompt goes to the model.
    pub fn user_prompt_submit<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(UserPromptSubmit) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HookOutput> + Send + 'static,
    {
        self.user_prompt_submit.push(Hook::new("*", hook));
        self
    }

    /// Adds a `SessionStart` hook: `hook` runs when codex starts or resumes the session.
    pub fn session_start<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SessionStart) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HookOutput> + Send + 'static,
    {
        self.session_start.push(Hook::new("*", hook));
        self
    }

    /// Adds a `Stop` hook: `hook` runs when the agent is about to end its turn.
    pub fn stop<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Stop) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HookOutput> + Send + 'static,
    {
        self.stop.push(Hook::new("*", hook));
        self
    }

    /// Adds a `PreToolUse` hook on [`SHELL_TOOL`] that asks `handler` about every command
    /// ([`ApprovalHandler::command_execution`]): accepting allows it, declining or cancelling
    /// denies it (the turn goes on; the model is told the handler declined).
    pub fn approval_handler(self, handler: Arc<dyn ApprovalHandler>) -> Self {
        const KIND: &str = "command_execution";
        self.pre_tool_use(SHELL_TOOL, move |event: PreToolUse| {
            let handler = Arc::clone(&handler);
            async move {
                let Some(request) = approval_request(event.command().unwrap_or_default()) else {
                    return HookDecision::deny("the approval request could not be built");
                };
                let span = spans::approval(KIND, "");
                let decision = handler
                    .command_execution(&request)
                    .instrument(span.clone())
                    .await;
                spans::decided(&span, KIND, &decision);
                match decision {
                    ApprovalDecision::Accept
                    | ApprovalDecision::AcceptForSession
                    | ApprovalDecision::AcceptWithExecpolicyAmendment(_) => HookDecision::Allow,
                    _ => HookDecision::deny("the command was declined by the approval handler"),
                }
            }
        })
    }

    /// Where the hook spans go: each run of [`answer`](Self::answer) asks `parent` for the
    /// span to put its `hook {event}` span under (codex-agent-sdk answers with the running
    /// turn's span, as hooks run on the MCP server's tasks, outside the turn). `None` from
    /// `parent` means the current span.
    ///
    /// By default, the current span where [`answer`](Self::answer) runs.
    pub fn parent_span(
        mut self,
        parent: impl Fn() -> Option<tracing::Span> + Send + Sync + 'static,
    ) -> Self {
        self.parent = Some(Arc::new(parent));
        self
    }

    /// Whether no hook is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pre_tool_use.is_empty()
            && self.post_tool_use.is_empty()
            && self.user_prompt_submit.is_empty()
            && self.session_start.is_empty()
            && self.stop.is_empty()
    }

    /// The regular expression, on the tool name, of the tools some `PreToolUse` hook sees
    /// (codex's `matcher`), or `None` without `PreToolUse` hooks.
    #[must_use]
    pub fn pre_tool_use_matcher(&self) -> Option<String> {
        union_regex(&self.pre_tool_use)
    }

    /// codex's `hooks` configuration for these hooks, as `(key, value)` config overrides: one
    /// `hooks.<Event>` entry per event that has hooks, each with one handler
    /// `{"type": "mcp_tool", "server": server, "tool": tool, "input": …, "timeout": …}` whose
    /// templated input [`answer`](Self::answer) reads. Empty without hooks.
    #[must_use]
    pub fn codex_config(
        &self,
        server: &str,
        tool: &str,
        timeout_secs: u64,
    ) -> Vec<(String, serde_json::Value)> {
        use serde_json::json;
        let tool_input = json!({
            "tool_name": "${tool_name}",
            "command": "${tool_input.command}",
        });
        let events = [
            (
                PRE_TOOL_USE,
                union_regex(&self.pre_tool_use),
                tool_input.clone(),
            ),
            (POST_TOOL_USE, union_regex(&self.post_tool_use), {
                let mut input = tool_input;
                input["tool_response"] = json!("${tool_response}");
                input
            }),
            (
                USER_PROMPT_SUBMIT,
                any(&self.user_prompt_submit),
                json!({"prompt": "${prompt}"}),
            ),
            (
                SESSION_START,
                any(&self.session_start),
                json!({"source": "${source}"}),
            ),
            (
                STOP,
                any(&self.stop),
                json!({"last_message": "${last_assistant_message}"}),
            ),
        ];
        events
            .into_iter()
            .filter_map(|(event, matcher, mut input)| {
                let matcher = matcher?;
                input["event"] = json!(event);
                let handler = json!({
                    "type": "mcp_tool",
                    "server": server,
                    "tool": tool,
                    "input": input,
                    "timeout": timeout_secs,
                });
                let group = if matcher.is_empty() {
                    json!({ "hooks": [handler] })
                } else {
                    json!({ "matcher": matcher, "hooks": [handler] })
                };
                Some((format!("hooks.{event}"), json!([group])))
            })
            .collect()
    }

    /// Runs the hooks of one call of the hook tool, whose arguments are the templated input
    /// of [`codex_config`](Self::codex_config), and returns codex's hook output (`{}` when no
    /// hook has anything to say; an `event` this version does not know gets `{}` too).
    ///
    /// The run is a span `hook {event}` (under [`parent_span`](Self::parent_span)'s answer)
    /// with `codex.hook.event`, the tool as `gen_ai.tool.name` and the outcome as
    /// `codex.hook.outcome` (`allow` | `deny` for `PreToolUse`, `proceed` | `add_context` |
    /// `block` for the others), and counts in the metric `codex.hooks`. An approval handler's
    /// decision is an `approval command_execution` span inside it.
    ///
    /// A hook that panics still gets codex an answer: a `PreToolUse` call is denied (the
    /// decision fails closed, as an approval does), the other events proceed.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is left running but what the closures themselves spawned.
    pub async fn answer(&self, arguments: &serde_json::Value) -> serde_json::Value {
        use futures::FutureExt as _;
        let field = |key: &str| {
            arguments
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|value| !is_unfilled_template(value))
        };
        let event = field("event").unwrap_or_default();
        let parent = self
            .parent
            .as_ref()
            .and_then(|parent| parent())
            .unwrap_or_else(tracing::Span::current);
        let span = spans::hook(&parent, event, field("tool_name"));
        let ran = std::panic::AssertUnwindSafe(self.run(arguments))
            .catch_unwind()
            .instrument(span.clone())
            .await;
        let (output, outcome) = ran.unwrap_or_else(|_panic| {
            tracing::warn!(event, "a hook panicked");
            if event == PRE_TOOL_USE {
                let denied = HookDecision::deny("a hook panicked; the tool call is denied");
                (denied.to_hook_output(), Some("deny"))
            } else {
                (serde_json::json!({}), Some("proceed"))
            }
        });
        if let Some(outcome) = outcome {
            spans::hook_ran(&span, event, outcome);
        }
        output
    }

    /// [`answer`](Self::answer)'s work: codex's hook output, and the outcome for the span
    /// (`None` for an event this version does not know).
    async fn run(
        &self,
        arguments: &serde_json::Value,
    ) -> (serde_json::Value, Option<&'static str>) {
        let text = |key: &str| {
            arguments
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|value| !is_unfilled_template(value))
                .map(str::to_owned)
        };
        let event = text("event").unwrap_or_default();
        let tool = text("tool_name").unwrap_or_default();
        let (output, name) = match event.as_str() {
            PRE_TOOL_USE => {
                let event = PreToolUse::new(tool, text("command"));
                let decision = self.run_pre_tool_use(&event).await;
                let outcome = match decision {
                    HookDecision::Allow => "allow",
                    HookDecision::Deny(_) => "deny",
                };
                return (decision.to_hook_output(), Some(outcome));
            }
            POST_TOOL_USE => {
                let event = PostToolUse::new(tool, text("command"), text("tool_response"));
                let outputs = run_all(&self.post_tool_use, Some(event.tool_name()), &event).await;
                (HookOutput::merge(outputs), POST_TOOL_USE)
            }
            USER_PROMPT_SUBMIT => {
                let event = UserPromptSubmit::new(text("prompt").unwrap_or_default());
                let outputs = run_all(&self.user_prompt_submit, None, &event).await;
                (HookOutput::merge(outputs), USER_PROMPT_SUBMIT)
            }
            SESSION_START => {
                let event = SessionStart::new(text("source").unwrap_or_default());
                let outputs = run_all(&self.session_start, None, &event).await;
                (HookOutput::merge(outputs), SESSION_START)
            }
            STOP => {
                let event = Stop::new(text("last_message"));
                let outputs = run_all(&self.stop, None, &event).await;
                (HookOutput::merge(outputs), STOP)
            }
            _ => return (serde_json::json!({}), None),
        };
        let outcome = match output {
            HookOutput::Proceed => "proceed",
            HookOutput::AddContext(_) => "add_context",
            HookOutput::Block(_) => "block",
        };
        (output.to_hook_output(name), Some(outcome))
    }

    /// Runs the `PreToolUse` hooks that match `event`'s tool, in order, until one denies.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is left running but what the closures themselves spawned.
    pub async fn run_pre_tool_use(&self, event: &PreToolUse) -> HookDecision {
        for hook in &self.pre_tool_use {
            if !hook.matcher.matches(event.tool_name()) {
                continue;
            }
            let decision = (hook.run)(event.clone()).await;
            if decision != HookDecision::Allow {
                return decision;
            }
        }
        HookDecision::Allow
    }
}

/// `Some("")` (no matcher: every occurrence) when `hooks` has hooks.
fn any<E, O>(hooks: &[Hook<E, O>]) -> Option<String> {
    (!hooks.is_empty()).then(String::new)
}

/// Whether codex left a template such as `${tool_response}` as it was (the value is absent).
fn is_unfilled_template(value: &str) -> bool {
    value.starts_with("${") && value.ends_with('}')
}

/// A command approval request as the app-server would send it, for a handler asked on exec
/// (which has no thread, turn or item ids at that point: they are empty).
fn approval_request(command: &str) -> Option<CommandExecutionRequestApprovalParams> {
    serde_json::from_value(serde_json::json!({
        "threadId": "",
        "turnId": "",
        "itemId": "",
        "startedAtMs": 0,
        "command": command,
    }))
    .ok()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::approval::CommandPrefixPolicy;

    #[tokio::test]
    async fn matchers_select_tools_and_the_first_denial_wins() {
        let hooks = Hooks::new()
            .pre_tool_use("mcp__host__add|Bash", |_| async { HookDecision::Allow })
            .pre_tool_use("Bash", |e: PreToolUse| async move {
                if e.command() == Some("rm -rf /") {
                    HookDecision::deny("no")
                } else {
                    HookDecision::Allow
                }
            })
            .pre_tool_use("*", |_| async { HookDecision::deny("last") });
        let run = |tool: &str, command: Option<&str>| {
            let hooks = hooks.clone();
            let event = PreToolUse::new(tool, command.map(str::to_owned));
            async move { hooks.run_pre_tool_use(&event).await }
        };
        assert_eq!(
            run("Bash", Some("rm -rf /")).await,
            HookDecision::deny("no")
        );
        assert_eq!(run("Bash", Some("ls")).await, HookDecision::deny("last"));
        assert_eq!(hooks.pre_tool_use_matcher().as_deref(), Some(".*"));
        let only = Hooks::new().pre_tool_use("Bash|a.b", |_| async { HookDecision::Allow });
        assert_eq!(
            only.pre_tool_use_matcher().as_deref(),
            Some(r"^(Bash|a\.b)$")
        );
        assert_eq!(Hooks::new().pre_tool_use_matcher(), None);
    }

    #[tokio::test]
    async fn a_panicking_hook_denies_a_tool_call_and_lets_other_events_proceed() {
        let hooks = Hooks::new()
            .pre_tool_use("*", |_| async { panic!("the hook fails") })
            .stop(|_| async { panic!("the hook fails") });
        assert_eq!(
            hooks
                .answer(&serde_json::json!({"event": PRE_TOOL_USE, "tool_name": "Bash"}))
                .await,
            HookDecision::deny("a hook panicked; the tool call is denied").to_hook_output()
        );
        assert_eq!(
            hooks.answer(&serde_json::json!({"event": STOP})).await,
            serde_json::json!({})
        );
    }

    #[tokio::test]
    async fn an_approval_handler_decides_commands() {
        let hooks = Hooks::new().approval_handler(Arc::new(
            CommandPrefixPolicy::new()
                .deny(["touch"])
                .fallback(ApprovalDecision::Accept),
        ));
        let decide = |command: &str| {
            let event = PreToolUse::new(SHELL_TOOL, Some(command.to_owned()));
            let hooks = hooks.clone();
            async move { hooks.run_pre_tool_use(&event).await }
        };
        assert_eq!(
            decide("touch hooked.txt").await,
            HookDecision::deny("the command was declined by the approval handler")
        );
        assert_eq!(decide("ls").await, HookDecision::Allow);
        assert_eq!(
            HookDecision::deny("why").to_hook_output(),
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                "permissionDecision": "deny", "permissionDecisionReason": "why"}})
        );
    }

    #[test]
    fn the_codex_config_declares_one_handler_per_event_with_hooks() {
        let hooks = Hooks::new()
            .pre_tool_use("Bash", |_| async { HookDecision::Allow })
            .stop(|_| async { HookOutput::Proceed });
        let config = hooks.codex_config("srv", "run", 7);
        let handler = |input: serde_json::Value| {
            serde_json::json!({"type": "mcp_tool", "server": "srv", "tool": "run",
                "input": input, "timeout": 7})
        };
        assert_eq!(
            config,
            [
                (
                    "hooks.PreToolUse".to_owned(),
                    serde_json::json!([{"matcher": "^(Bash)$", "hooks": [handler(serde_json::json!(
                        {"event": "PreToolUse", "tool_name": "${tool_name}",
                         "command": "${tool_input.command}"}))]}])
                ),
                (
                    "hooks.Stop".to_owned(),
                    serde_json::json!([{"hooks": [handler(serde_json::json!(
                        {"event": "Stop", "last_message": "${last_assistant_message}"}))]}])
                ),
            ]
        );
        assert!(Hooks::new().codex_config("srv", "run", 7).is_empty());
    }

    #[tokio::test]
    async fn answers_follow_codex_hook_protocol() {
        let hooks = Hooks::new()
            .post_tool_use("Bash", |e: PostToolUse| async move {
                HookOutput::add_context(format!("saw {}", e.response().unwrap_or("nothing")))
            })
            .post_tool_use("*", |_| async { HookOutput::add_context("and more") })
            .user_prompt_submit(|e: UserPromptSubmit| async move {
                if e.prompt().contains("secret") {
                    HookOutput::block("no secrets")
                } else {
                    HookOutput::Proceed
                }
            })
            .session_start(|e: SessionStart| async move {
                HookOutput::add_context(format!("started by {}", e.source()))
            });
        let answer = |arguments: serde_json::Value| {
            let hooks = hooks.clone();
            async move { hooks.answer(&arguments).await }
        };
        assert_eq!(
            answer(
                serde_json::json!({"event": "PostToolUse", "tool_name": "Bash",
                "command": "ls", "tool_response": "${tool_response}"})
            )
            .await,
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "PostToolUse",
                "additionalContext": "saw nothing\nand more"}})
        );
        assert_eq!(
            answer(serde_json::json!({"event": "UserPromptSubmit", "prompt": "a secret"})).await,
            serde_json::json!({"decision": "block", "reason": "no secrets"})
        );
        assert_eq!(
            answer(serde_json::json!({"event": "UserPromptSubmit", "prompt": "hi"})).await,
            serde_json::json!({})
        );
        assert_eq!(
            answer(serde_json::json!({"event": "SessionStart", "source": "resume"})).await,
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "SessionStart",
                "additionalContext": "started by resume"}})
        );
        assert_eq!(
            answer(serde_json::json!({"event": "Stop"})).await,
            serde_json::json!({}),
            "no Stop hook: nothing to say"
        );
        assert_eq!(
            answer(serde_json::json!({"event": "SomethingNewer"})).await,
            serde_json::json!({})
        );
        assert_eq!(
            answer(serde_json::json!({"event": "PreToolUse", "tool_name": "Bash"})).await,
            serde_json::json!({})
        );
    }
}
