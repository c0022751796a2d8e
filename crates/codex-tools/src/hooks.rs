//! Hooks as Rust closures: [`Hooks`] holds `PreToolUse` hooks, each a closure with a matcher on
//! the tool name, that allow a tool call or deny it with a reason the model sees.
//!
//! On the `codex exec` transport (feature `mcp`), codex-agent-sdk declares one codex hook
//! (`hooks.PreToolUse`, handler `{"type": "mcp_tool", …}`) pointed at the SDK's in-process MCP
//! server, which runs the matching closures and answers codex's hook protocol
//! (`hookSpecificOutput.permissionDecision`). A denied command never runs; the model gets
//! `Command blocked by PreToolUse hook: <reason>`.
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

use crate::approval::{ApprovalDecision, ApprovalHandler, CommandExecutionRequestApprovalParams};

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

type HookFuture = Pin<Box<dyn Future<Output = HookDecision> + Send>>;
type PreToolUseFn = dyn Fn(PreToolUse) -> HookFuture + Send + Sync;

#[derive(Clone)]
struct PreToolUseHook {
    matcher: Matcher,
    run: Arc<PreToolUseFn>,
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

/// A thread's hooks: `PreToolUse` closures, each with a matcher on the tool name. Cheap to
/// clone (the closures are shared).
#[derive(Clone, Default)]
#[must_use]
pub struct Hooks {
    pre_tool_use: Vec<PreToolUseHook>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field(
                "pre_tool_use",
                &self
                    .pre_tool_use
                    .iter()
                    .map(|hook| &hook.matcher)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

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
        self.pre_tool_use.push(PreToolUseHook {
            matcher: Matcher::parse(matcher.as_ref()),
            run: Arc::new(move |event| Box::pin(hook(event))),
        });
        self
    }

    /// Adds a `PreToolUse` hook on [`SHELL_TOOL`] that asks `handler` about every command
    /// ([`ApprovalHandler::command_execution`]): accepting allows it, declining or cancelling
    /// denies it (the turn goes on; the model is told the handler declined).
    pub fn approval_handler(self, handler: Arc<dyn ApprovalHandler>) -> Self {
        self.pre_tool_use(SHELL_TOOL, move |event: PreToolUse| {
            let handler = Arc::clone(&handler);
            async move {
                let Some(request) = approval_request(event.command().unwrap_or_default()) else {
                    return HookDecision::deny("the approval request could not be built");
                };
                match handler.command_execution(&request).await {
                    ApprovalDecision::Accept
                    | ApprovalDecision::AcceptForSession
                    | ApprovalDecision::AcceptWithExecpolicyAmendment(_) => HookDecision::Allow,
                    _ => HookDecision::deny("the command was declined by the approval handler"),
                }
            }
        })
    }

    /// Whether no hook is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pre_tool_use.is_empty()
    }

    /// The regular expression, on the tool name, of the tools some `PreToolUse` hook sees
    /// (codex's `matcher`), or `None` without hooks.
    #[must_use]
    pub fn pre_tool_use_matcher(&self) -> Option<String> {
        if self.pre_tool_use.is_empty() {
            return None;
        }
        if self.pre_tool_use.iter().any(|h| h.matcher == Matcher::Any) {
            return Some(".*".to_owned());
        }
        let parts: Vec<String> = self
            .pre_tool_use
            .iter()
            .map(|h| h.matcher.to_regex())
            .collect();
        Some(parts.join("|"))
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
}
