//! [`ThreadOptions`]: the options of a thread, for both transports.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use codex_agent_exec::{ApprovalPolicy, ReasoningEffort, SandboxMode, WebSearchMode};
use codex_agent_telemetry::Budget;

use crate::approval::{AlwaysDecline, ApprovalHandler};
use crate::hooks::Hooks;
use crate::registry::{ToolRegistry, ToolSession};

/// Options of a thread, like the TypeScript SDK's `ThreadOptions`, plus what only the
/// app-server transport can do (instructions, approvals, dynamic tools).
///
/// On the exec transport the options become `codex exec` flags, exactly as the TypeScript
/// SDK builds them; on the app-server transport they become the fields of `thread/start` (and
/// of `thread/resume` for a resumed thread).
#[derive(Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct ThreadOptions {
    /// The one options model: lowered to argv or to `thread/start` by `codex-agent-exec`.
    pub(crate) exec: codex_agent_exec::ThreadOptions,
    pub(crate) approval_handler: Option<Arc<dyn ApprovalHandler>>,
    pub(crate) tools: ToolRegistry,
    pub(crate) budget: Option<Budget>,
    pub(crate) hooks: Hooks,
}

impl fmt::Debug for ThreadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadOptions")
            .field("options", &self.exec)
            .field(
                "approval_handler",
                &self.approval_handler.as_ref().map(|_| "custom"),
            )
            .field("tools", &self.tools)
            .field("budget", &self.budget)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

impl ThreadOptions {
    /// Creates the default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Limits the thread's turns, tokens and estimated cost. A turn is not started once a
    /// limit is reached ([`Error::BudgetExceeded`](crate::Error::BudgetExceeded)). A running
    /// turn that crosses the token or USD limit is interrupted on the app-server transport,
    /// which reports usage after every model call, and its stream ends with
    /// [`Error::BudgetExceeded`](crate::Error::BudgetExceeded); `codex exec` reports usage only
    /// with `turn.completed`, so there the crossing turn completes and the next one is
    /// refused. A USD limit needs the thread's [`model`](Self::model) to have a price in the
    /// telemetry's pricing table ([`CodexOptions::telemetry`](crate::CodexOptions::telemetry)),
    /// else the turn fails with [`Error::Telemetry`](crate::Error::Telemetry).
    ///
    /// By default, no limits.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The model (`--model`; `model` of `thread/start`). An empty string counts as unset.
    ///
    /// By default, codex's configured model is used.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.exec = self.exec.model(model);
        self
    }

    /// Source classification of a new thread (`--thread-source`; `threadSource`); not sent
    /// when resuming.
    ///
    /// By default, codex classifies the thread itself.
    pub fn thread_source(mut self, source: impl Into<String>) -> Self {
        self.exec = self.exec.thread_source(source);
        self
    }

    /// The sandbox (`--sandbox`; `sandbox`).
    ///
    /// By default, the sandbox mode is left to codex's config (read-only unless configured).
    pub fn sandbox_mode(mut self, mode: SandboxMode) -> Self {
        self.exec = self.exec.sandbox_mode(mode);
        self
    }

    /// The agent's working directory (`--cd`; `cwd`, made absolute). An empty path counts as
    /// unset.
    ///
    /// By default, codex works in its current directory (on the app-server transport, the
    /// directory of this process, where the shared app-server runs).
    pub fn working_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.exec = self.exec.working_directory(dir);
        self
    }

    /// More writable directories (`--add-dir`, repeated;
    /// `sandbox_workspace_write.writable_roots` on the app-server, made absolute). Replaces
    /// earlier ones.
    ///
    /// By default, none.
    pub fn additional_directories(
        mut self,
        dirs: impl IntoIterator<Item = impl Into<PathBuf>>,
    ) -> Self {
        self.exec = self.exec.additional_directories(dirs);
        self
    }

    /// Whether to run outside a Git repository (`--skip-git-repo-check`). The app-server does
    /// not check, so this only matters for the exec transport.
    ///
    /// By default, `false`: `codex exec` refuses to run outside a trusted directory.
    pub fn skip_git_repo_check(mut self, skip: bool) -> Self {
        self.exec = self.exec.skip_git_repo_check(skip);
        self
    }

    /// Reasoning effort (`model_reasoning_effort`).
    ///
    /// By default, the model's default effort.
    pub fn model_reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.exec = self.exec.model_reasoning_effort(effort);
        self
    }

    /// Network access in the `workspace-write` sandbox
    /// (`sandbox_workspace_write.network_access`).
    ///
    /// By default, left to codex's config.
    pub fn network_access_enabled(mut self, enabled: bool) -> Self {
        self.exec = self.exec.network_access_enabled(enabled);
        self
    }

    /// Web search mode (`web_search`); wins over
    /// [`web_search_enabled`](Self::web_search_enabled).
    ///
    /// By default, left to codex's config.
    pub fn web_search_mode(mut self, mode: WebSearchMode) -> Self {
        self.exec = self.exec.web_search_mode(mode);
        self
    }

    /// Web search on (`web_search="live"`) or off (`web_search="disabled"`), when no
    /// [`web_search_mode`](Self::web_search_mode) is set.
    ///
    /// By default, left to codex's config.
    pub fn web_search_enabled(mut self, enabled: bool) -> Self {
        self.exec = self.exec.web_search_enabled(enabled);
        self
    }

    /// When codex asks before acting (`approval_policy`; `approvalPolicy`). On the app-server
    /// transport, [`ApprovalPolicy::OnRequest`] and [`ApprovalPolicy::Untrusted`] send
    /// requests to the [`approval_handler`](Self::approval_handler). `codex exec` never asks
    /// and refuses `Untrusted` (codex 0.169.0 no longer starts with it).
    ///
    /// By default, left to codex's config.
    pub fn approval_policy(mut self, policy: ApprovalPolicy) -> Self {
        self.exec = self.exec.approval_policy(policy);
        self
    }

    /// Replaces codex's base instructions (its system prompt) for this thread (app-server
    /// transport only: `codex exec` has no such setting, and a thread with base instructions
    /// fails there with [`Error::Unsupported`](crate::Error::Unsupported)).
    ///
    /// By default, codex's own instructions.
    pub fn base_instructions(mut self, text: impl Into<String>) -> Self {
        self.exec = self.exec.base_instructions(text);
        self
    }

    /// Developer instructions added to the conversation (`developerInstructions`; on the
    /// exec transport `--config developer_instructions=…`).
    ///
    /// By default, none beyond codex's config.
    pub fn developer_instructions(mut self, text: impl Into<String>) -> Self {
        self.exec = self.exec.developer_instructions(text);
        self
    }

    /// Answers codex's approval requests (see [`approval`](crate::approval)).
    ///
    /// On the app-server transport, codex asks the handler before acting, as the
    /// [`approval_policy`](Self::approval_policy) says. `codex exec` never asks (it forces
    /// `approval_policy = never`): there the handler decides **every command** through a
    /// `PreToolUse` hook (see [`hooks`](Self::hooks)), asked with only
    /// [`command`](crate::approval::CommandExecutionRequestApprovalParams::command) set (the
    /// ids are empty); accepting runs the command, declining or cancelling blocks it and tells
    /// the model (the turn goes on). Exec cannot ask about file changes (`apply_patch`),
    /// permissions, questions or elicitations: a handler explicitly given answers for those
    /// ([`ApprovalHandlers`](crate::approval::ApprovalHandlers) with `on_file_change`,
    /// `on_permissions`, `on_user_input` or `on_elicitation`) fails an exec turn with
    /// [`Error::Unsupported`](crate::Error::Unsupported) instead of never being asked.
    ///
    /// By default, no handler: on the app-server, every request is refused, as
    /// [`AlwaysDecline`] would; on exec, commands run as codex's sandbox allows.
    pub fn approval_handler(mut self, handler: impl ApprovalHandler + 'static) -> Self {
        self.approval_handler = Some(Arc::new(handler));
        self
    }

    /// The tools the model can call (see [`tools`](crate::tools) and
    /// [`registry`](crate::registry)). The registry is shared, not copied: tools registered or
    /// deregistered later are seen by the next exec turn; on the app-server, codex learns a
    /// thread's tools once, with `thread/start`, so a later turn of a thread whose tools
    /// changed since fails with [`Error::Unsupported`](crate::Error::Unsupported) (start a new
    /// thread, or change the registry between threads).
    ///
    /// On the app-server they become `dynamicTools`; on exec they are served by an
    /// in-process MCP server (cargo feature `mcp`, on by default; without it, a turn with
    /// tools fails with [`Error::Unsupported`](crate::Error::Unsupported)).
    ///
    /// By default, an empty registry.
    pub fn tools(mut self, registry: ToolRegistry) -> Self {
        self.tools = registry;
        self
    }

    /// Hooks, as Rust closures, that codex runs on its hook events (see
    /// [`hooks`](crate::hooks)): `PreToolUse` allows a tool call or denies it with a reason
    /// the model sees; `PostToolUse`, `UserPromptSubmit`, `SessionStart` and `Stop` add
    /// context or block.
    ///
    /// Both transports (cargo feature `mcp`; without it, a turn with hooks fails with
    /// [`Error::Unsupported`](crate::Error::Unsupported)): codex calls them through `mcp_tool`
    /// hook handlers pointed at the SDK's in-process MCP server, declared with
    /// `--config hooks.<Event>=…` on exec and in the `thread/start` (and `thread/resume`)
    /// `config` on the app-server. codex runs only trusted hooks; as these are the SDK's own,
    /// declared for this thread only, the SDK bypasses codex's hook trust for them
    /// (`--dangerously-bypass-hook-trust` on exec, whose two warning `error` items it removes
    /// from the stream; the thread's `bypass_hook_trust` override on the app-server). Nothing
    /// is written to `CODEX_HOME`. The bypass covers the run or thread as a whole: hooks the
    /// user's own codex config enables run then too, trusted or not.
    ///
    /// By default, no hooks.
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// On exec, what the approval handler was given to answer that exec cannot ask.
    pub(crate) fn exec_unsupported_approvals(&self) -> Option<&'static str> {
        self.approval_handler
            .as_deref()
            .and_then(ApprovalHandler::beyond_commands)
    }

    /// The hooks of an exec turn: the thread's, then its approval handler's.
    pub(crate) fn exec_hooks(&self) -> Hooks {
        match &self.approval_handler {
            Some(handler) => self.hooks.clone().approval_handler(Arc::clone(handler)),
            None => self.hooks.clone(),
        }
    }

    /// The thread's approval handler.
    pub(crate) fn handler(&self) -> Arc<dyn ApprovalHandler> {
        self.approval_handler
            .clone()
            .unwrap_or_else(|| Arc::new(AlwaysDecline))
    }

    /// What answers the thread's server requests on the app-server: codex-agent-tools' dispatcher
    /// over the approval handler and the tool session of the turn running now (`session`,
    /// replaced by every turn; the handler is registered once per thread).
    /// Answers run in the running turn's span (`turn_span`), so that their `approval` spans
    /// are its children.
    pub(crate) fn request_handler(
        &self,
        session: Arc<std::sync::Mutex<ToolSession>>,
        turn_span: &crate::thread::TurnSpan,
    ) -> codex_agent_exec::app_server::RequestHandler {
        use tracing::Instrument as _;
        let handler = self.handler();
        let turn_span = turn_span.clone();
        Arc::new(move |request| {
            let handler = Arc::clone(&handler);
            let tools = session
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let span = turn_span.get().unwrap_or_else(tracing::Span::current);
            Box::pin(
                async move { codex_agent_tools::answer(request, &*handler, &tools).await }
                    .instrument(span),
            )
        })
    }

    /// The tools, as `thread/start` declares them.
    pub(crate) fn tool_specs(&self) -> Vec<codex_agent_protocol::app_server::DynamicToolSpec> {
        self.tools.dynamic_tool_specs()
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::tools::{Tool, ToolError};

    #[test]
    fn thread_start_carries_every_option() {
        let options = ThreadOptions::new()
            .model("gpt-5.5")
            .thread_source("sdk-test")
            .sandbox_mode(SandboxMode::WorkspaceWrite)
            .working_directory("/w")
            .additional_directories(["/data"])
            .skip_git_repo_check(true)
            .model_reasoning_effort(ReasoningEffort::High)
            .network_access_enabled(true)
            .web_search_enabled(false)
            .approval_policy(ApprovalPolicy::Untrusted)
            .base_instructions("You are terse.")
            .developer_instructions("Answer in French.")
            .tools(
                ToolRegistry::new()
                    .with(Tool::new(
                        "t",
                        "a tool",
                        json!({"type": "object"}),
                        |_| async { Ok::<_, ToolError>("x") },
                    ))
                    .expect("a valid tool"),
            );
        assert_eq!(
            serde_json::to_value({
                let mut p = options.exec.thread_start_params();
                p.dynamic_tools = Some(options.tool_specs());
                p
            })
            .expect("json"),
            json!({
                "model": "gpt-5.5",
                "cwd": "/w",
                "approvalPolicy": "untrusted",
                "sandbox": "workspace-write",
                "config": {
                    "model_reasoning_effort": "high",
                    "sandbox_workspace_write": {"network_access": true, "writable_roots": ["/data"]},
                    "web_search": "disabled"
                },
                "baseInstructions": "You are terse.",
                "developerInstructions": "Answer in French.",
                "threadSource": "sdk-test",
                "dynamicTools": [{"type": "function", "name": "t", "description": "a tool",
                    "inputSchema": {"type": "object", "properties": {}, "required": [],
                        "additionalProperties": false}}]
            })
        );
        assert_eq!(options.tool_specs().len(), 1);
        assert_eq!(
            serde_json::to_value(options.exec.thread_resume_params("th")).expect("json"),
            json!({
                "threadId": "th",
                "model": "gpt-5.5",
                "cwd": "/w",
                "approvalPolicy": "untrusted",
                "sandbox": "workspace-write",
                "config": {
                    "model_reasoning_effort": "high",
                    "sandbox_workspace_write": {"network_access": true, "writable_roots": ["/data"]},
                    "web_search": "disabled"
                },
                "baseInstructions": "You are terse.",
                "developerInstructions": "Answer in French.",
                "excludeTurns": true
            })
        );
        assert_eq!(
            serde_json::to_value(ThreadOptions::new().exec.thread_start_params()).expect("json"),
            json!({})
        );
        let debug = format!("{options:?}");
        assert!(debug.contains("approval_handler: None"), "{debug}");
        assert!(!debug.contains("codex:"), "{debug}");
    }
}
