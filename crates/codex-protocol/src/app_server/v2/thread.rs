//! Threads: [`Thread`], its status, dynamic tool specs, and the `thread/*` requests
//! (`start`, `resume`, `fork`, `list`, `read`, `archive`, `unarchive`, `name/set`).
//!
//! Server-written optional fields are `null` when unset and are written back as `null`;
//! client-written optional fields are omitted when `None`.

use serde_json::{Map, Value};

use super::common::{
    ApprovalsReviewer, AskForApproval, MultiAgentMode, Personality, SandboxMode, SandboxPolicy,
    SessionSource, TagOnly, ThreadHistoryMode, ThreadStartSource,
};
use super::turn::Turn;
use crate::app_server::macros::{string_enum, tagged_enum, wire_struct};

string_enum! {
    /// `ThreadActiveFlag`: why an active thread is waiting.
    pub enum ThreadActiveFlag {
        /// `waitingOnApproval`: a server request for approval is pending.
        WaitingOnApproval = "waitingOnApproval",
        /// `waitingOnUserInput`: an `item/tool/requestUserInput` request is pending.
        WaitingOnUserInput = "waitingOnUserInput",
    }
}

wire_struct! {
    /// Payload of [`ThreadStatus::Active`].
    pub struct ActiveThreadStatus {
        /// Why the thread is waiting, if it is.
        pub active_flags: Vec<ThreadActiveFlag>,
    }
}

tagged_enum! {
    /// `ThreadStatus`: the runtime state of a thread (`thread/status/changed`).
    pub enum ThreadStatus {
        /// `notLoaded`: stored but not loaded in this server.
        NotLoaded("notLoaded", TagOnly),
        /// `idle`: loaded, no turn running.
        Idle("idle", TagOnly),
        /// `systemError`
        SystemError("systemError", TagOnly),
        /// `active {activeFlags}`: a turn is running.
        Active("active", ActiveThreadStatus),
    }
}

wire_struct! {
    /// `ThreadEnvironment`: an execution environment attached to a thread.
    pub struct ThreadEnvironment {
        /// The environment (`local` for the server's machine).
        pub environment_id: String,
        /// The working directory in it.
        pub cwd: String,
        /// Its workspace roots.
        pub runtime_workspace_roots: Vec<String>,
    }
}

wire_struct! {
    /// `GitInfo` of a thread's working directory.
    pub struct GitInfo {
        /// The branch.
        pub branch: Option<String>,
        /// The `origin` remote URL.
        pub origin_url: Option<String>,
        /// The commit.
        pub sha: Option<String>,
    }
}

wire_struct! {
    /// `ActivePermissionProfile`.
    pub struct ActivePermissionProfile {
        /// The profile id (for example `:read-only`).
        pub id: String,
        /// The profile it extends.
        pub extends: Option<String>,
    }
}

wire_struct! {
    /// `Thread`: a conversation. Its `id` is what `thread/resume`, `turn/start` and the
    /// notifications refer to.
    pub struct Thread {
        /// The thread id (a `UUIDv7`).
        pub id: String,
        /// The session id.
        pub session_id: String,
        /// The thread it was forked from.
        pub forked_from_id: Option<String>,
        /// The thread it is attached to.
        pub attached_to_thread_id: Option<String>,
        /// The parent thread of a sub-agent thread.
        pub parent_thread_id: Option<String>,
        /// The first user message, shortened.
        pub preview: String,
        /// Whether the thread is kept in memory only.
        pub ephemeral: bool,
        /// The sidebar section (kept as raw JSON).
        pub section: Option<Value>,
        /// Unix seconds when it entered its section.
        pub section_entered_at: Option<i64>,
        /// The project.
        #[schemars(required)]
        pub project_id: Option<String>,
        /// How history is stored.
        #[serde(default)]
        pub history_mode: ThreadHistoryMode,
        /// The model provider id.
        pub model_provider: String,
        /// The model.
        pub model: Option<String>,
        /// The reasoning effort.
        pub reasoning_effort: Option<String>,
        /// Unix seconds of creation.
        pub created_at: i64,
        /// Unix seconds of the last update.
        pub updated_at: i64,
        /// Unix seconds of the last activity.
        pub recency_at: Option<i64>,
        /// The runtime status.
        pub status: ThreadStatus,
        /// The rollout file on disk.
        pub path: Option<String>,
        /// The working directory.
        pub cwd: String,
        /// The codex version that created it.
        pub cli_version: String,
        /// The client that created it (`clientInfo.name`).
        pub originator: Option<String>,
        /// The kind of client that created it.
        pub source: SessionSource,
        /// Whether the thread accepts input directly.
        pub can_accept_direct_input: Option<bool>,
        /// The client-defined source label.
        pub thread_source: Option<String>,
        /// The sub-agent nickname.
        pub agent_nickname: Option<String>,
        /// The sub-agent role.
        pub agent_role: Option<String>,
        /// Git information about `cwd`.
        pub git_info: Option<GitInfo>,
        /// The user-given name.
        pub name: Option<String>,
        /// Whether daybreak is enabled.
        pub daybreak_enabled: Option<bool>,
        /// Loaded turns (empty in `thread/start`).
        pub turns: Vec<Turn>,
        /// Execution environments.
        pub environments: Option<Vec<ThreadEnvironment>>,
        /// The wire field `extra` (kept as raw JSON; not to be confused with
        /// [`Thread::extra`], the map of unmodeled fields).
        pub thread_extra: Option<Value> => "extra",
    }
}

wire_struct! {
    /// A function tool the client implements: payload of [`DynamicToolSpec::Function`] and
    /// [`DynamicToolNamespaceTool::Function`].
    pub struct DynamicFunctionTool {
        /// The tool name the model calls.
        pub name: String,
        /// What the tool does, for the model.
        pub description: String,
        /// The JSON Schema of its arguments.
        pub input_schema: Value,
        /// Whether the model must discover it through tool search first (needs a namespace).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub defer_loading: Option<bool>,
    }
}

impl DynamicFunctionTool {
    /// A function tool.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            input_schema,
            defer_loading: None,
            extra: Map::new(),
        }
    }
}

tagged_enum! {
    /// `DynamicToolNamespaceTool`: a tool inside a namespace.
    pub enum DynamicToolNamespaceTool {
        /// `function {name, description, inputSchema, deferLoading?}`
        Function("function", DynamicFunctionTool),
    }
}

wire_struct! {
    /// Payload of [`DynamicToolSpec::Namespace`].
    pub struct DynamicToolNamespace {
        /// The namespace name.
        pub name: String,
        /// What the namespace is for.
        pub description: String,
        /// Its tools.
        pub tools: Vec<DynamicToolNamespaceTool>,
    }
}

tagged_enum! {
    /// `DynamicToolSpec`: a tool the client implements, registered with `thread/start`
    /// (`dynamicTools`, experimental). Calls arrive as `item/tool/call` server requests.
    pub enum DynamicToolSpec {
        /// `function {name, description, inputSchema, deferLoading?}`
        Function("function", DynamicFunctionTool),
        /// `namespace {name, description, tools}`
        Namespace("namespace", DynamicToolNamespace),
    }
}

wire_struct! {
    /// `ThreadStartParams` of `thread/start`: create a thread. Followed by `thread/started`.
    #[derive(Default)]
    pub struct ThreadStartParams {
        /// The model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model: Option<String>,
        /// The model provider id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model_provider: Option<String>,
        /// The working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<String>,
        /// The approval policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approval_policy: Option<AskForApproval>,
        /// Who answers approvals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approvals_reviewer: Option<ApprovalsReviewer>,
        /// The sandbox mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<SandboxMode>,
        /// `config.toml` overrides as a JSON object (dotted keys allowed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub config: Option<Map<String, Value>>,
        /// Replaces the base instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base_instructions: Option<String>,
        /// Developer instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub developer_instructions: Option<String>,
        /// Keep the thread in memory only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ephemeral: Option<bool>,
        /// The personality.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub personality: Option<Personality>,
        /// The service name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_name: Option<String>,
        /// The service tier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_tier: Option<String>,
        /// Why the thread starts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub session_start_source: Option<ThreadStartSource>,
        /// A client-defined source label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thread_source: Option<String>,
        /// Experimental: tools the client implements (needs `experimentalApi`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dynamic_tools: Option<Vec<DynamicToolSpec>>,
        /// Experimental: a permission profile id, instead of `sandbox`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub permissions: Option<String>,
    }
}

impl ThreadStartParams {
    /// Sets the model. By default codex's configured model is used.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the working directory. By default the server's working directory is used.
    #[must_use]
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets the approval policy. By default codex's config decides (`on-request`).
    #[must_use]
    pub fn approval_policy(mut self, policy: AskForApproval) -> Self {
        self.approval_policy = Some(policy);
        self
    }

    /// Sets the sandbox mode. By default codex's config decides (`read-only`).
    #[must_use]
    pub fn sandbox(mut self, mode: SandboxMode) -> Self {
        self.sandbox = Some(mode);
        self
    }

    /// Sets the developer instructions. By default there are none.
    #[must_use]
    pub fn developer_instructions(mut self, text: impl Into<String>) -> Self {
        self.developer_instructions = Some(text.into());
        self
    }

    /// Sets `ephemeral`. By default threads are persisted.
    #[must_use]
    pub fn ephemeral(mut self, ephemeral: bool) -> Self {
        self.ephemeral = Some(ephemeral);
        self
    }

    /// Sets `config.toml` overrides. By default there are none.
    #[must_use]
    pub fn config(mut self, config: Map<String, Value>) -> Self {
        self.config = Some(config);
        self
    }

    /// Sets the dynamic tools (experimental: the connection must have been initialized with
    /// `experimentalApi: true`). By default there are none.
    #[must_use]
    pub fn dynamic_tools(mut self, tools: Vec<DynamicToolSpec>) -> Self {
        self.dynamic_tools = Some(tools);
        self
    }
}

wire_struct! {
    /// `ThreadStartResponse`: the result of `thread/start`, with the effective settings.
    pub struct ThreadStartResponse {
        /// The new thread.
        pub thread: Thread,
        /// The effective model.
        pub model: String,
        /// The effective model provider.
        pub model_provider: String,
        /// The effective service tier.
        pub service_tier: Option<String>,
        /// The effective working directory.
        pub cwd: String,
        /// The effective approval policy.
        pub approval_policy: AskForApproval,
        /// Who answers approvals.
        pub approvals_reviewer: ApprovalsReviewer,
        /// The effective sandbox policy.
        pub sandbox: SandboxPolicy,
        /// The effective reasoning effort.
        pub reasoning_effort: Option<String>,
        /// Instruction files in effect (`AGENTS.md`…).
        #[serde(default)]
        pub instruction_sources: Vec<String>,
        /// Disabled plugins.
        #[serde(default)]
        pub disabled_plugin_ids: Vec<String>,
        /// Experimental: the workspace roots.
        #[serde(default)]
        pub runtime_workspace_roots: Vec<String>,
        /// Experimental: the permission profile in effect.
        pub active_permission_profile: Option<ActivePermissionProfile>,
        /// Experimental: the multi-agent mode.
        #[serde(default)]
        pub multi_agent_mode: MultiAgentMode,
    }
}

wire_struct! {
    /// `ThreadResumeParams` of `thread/resume`: load a stored thread, optionally with new
    /// settings.
    pub struct ThreadResumeParams {
        /// The thread.
        pub thread_id: String,
        /// The model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model: Option<String>,
        /// The model provider id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model_provider: Option<String>,
        /// The working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<String>,
        /// The approval policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approval_policy: Option<AskForApproval>,
        /// Who answers approvals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approvals_reviewer: Option<ApprovalsReviewer>,
        /// The sandbox mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<SandboxMode>,
        /// `config.toml` overrides.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub config: Option<Map<String, Value>>,
        /// Replaces the base instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base_instructions: Option<String>,
        /// Developer instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub developer_instructions: Option<String>,
        /// The personality.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub personality: Option<Personality>,
        /// The service tier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_tier: Option<String>,
        /// Leave the turns out of the response.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exclude_turns: Option<bool>,
    }
}

impl ThreadResumeParams {
    /// Resume params with no overrides.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            model: None,
            model_provider: None,
            cwd: None,
            approval_policy: None,
            approvals_reviewer: None,
            sandbox: None,
            config: None,
            base_instructions: None,
            developer_instructions: None,
            personality: None,
            service_tier: None,
            exclude_turns: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ThreadResumeResponse`: the result of `thread/resume`.
    pub struct ThreadResumeResponse {
        /// The thread, with its turns unless `excludeTurns`.
        pub thread: Thread,
        /// The effective model.
        pub model: String,
        /// The effective model provider.
        pub model_provider: String,
        /// The effective service tier.
        pub service_tier: Option<String>,
        /// The effective working directory.
        pub cwd: String,
        /// The effective approval policy.
        pub approval_policy: AskForApproval,
        /// Who answers approvals.
        pub approvals_reviewer: ApprovalsReviewer,
        /// The effective sandbox policy.
        pub sandbox: SandboxPolicy,
        /// The effective reasoning effort.
        pub reasoning_effort: Option<String>,
        /// Instruction files in effect.
        #[serde(default)]
        pub instruction_sources: Vec<String>,
        /// Disabled plugins.
        #[serde(default)]
        pub disabled_plugin_ids: Vec<String>,
        /// The collaboration mode (kept as raw JSON).
        pub collaboration_mode: Option<Value>,
        /// Cursor to page items backwards.
        pub items_backwards_cursor: Option<String>,
        /// Cursor to page turns backwards.
        pub turns_backwards_cursor: Option<String>,
    }
}

wire_struct! {
    /// `ThreadForkParams` of `thread/fork`: copy a thread into a new one.
    pub struct ThreadForkParams {
        /// The thread to fork.
        pub thread_id: String,
        /// Fork after this turn (default: the last one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_turn_id: Option<String>,
        /// The model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model: Option<String>,
        /// The model provider id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model_provider: Option<String>,
        /// The working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<String>,
        /// The approval policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approval_policy: Option<AskForApproval>,
        /// Who answers approvals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approvals_reviewer: Option<ApprovalsReviewer>,
        /// The sandbox mode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<SandboxMode>,
        /// `config.toml` overrides.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub config: Option<Map<String, Value>>,
        /// Replaces the base instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub base_instructions: Option<String>,
        /// Developer instructions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub developer_instructions: Option<String>,
        /// Keep the fork in memory only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ephemeral: Option<bool>,
        /// The service tier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_tier: Option<String>,
        /// A client-defined source label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thread_source: Option<String>,
        /// Leave the turns out of the response.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exclude_turns: Option<bool>,
    }
}

impl ThreadForkParams {
    /// Fork params with no overrides.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            last_turn_id: None,
            model: None,
            model_provider: None,
            cwd: None,
            approval_policy: None,
            approvals_reviewer: None,
            sandbox: None,
            config: None,
            base_instructions: None,
            developer_instructions: None,
            ephemeral: None,
            service_tier: None,
            thread_source: None,
            exclude_turns: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ThreadForkResponse`: the result of `thread/fork`.
    pub struct ThreadForkResponse {
        /// The new thread.
        pub thread: Thread,
        /// The effective model.
        pub model: String,
        /// The effective model provider.
        pub model_provider: String,
        /// The effective service tier.
        pub service_tier: Option<String>,
        /// The effective working directory.
        pub cwd: String,
        /// The effective approval policy.
        pub approval_policy: AskForApproval,
        /// Who answers approvals.
        pub approvals_reviewer: ApprovalsReviewer,
        /// The effective sandbox policy.
        pub sandbox: SandboxPolicy,
        /// The effective reasoning effort.
        pub reasoning_effort: Option<String>,
        /// Instruction files in effect.
        #[serde(default)]
        pub instruction_sources: Vec<String>,
        /// Disabled plugins.
        #[serde(default)]
        pub disabled_plugin_ids: Vec<String>,
    }
}

string_enum! {
    /// `ThreadSortKey` of `thread/list`.
    pub enum ThreadSortKey {
        /// `created_at`
        CreatedAt = "created_at",
        /// `updated_at`
        UpdatedAt = "updated_at",
        /// `recency_at`
        RecencyAt = "recency_at",
        /// `section_position`
        SectionPosition = "section_position",
    }
}

string_enum! {
    /// `SortDirection`.
    pub enum SortDirection {
        /// `asc`
        Asc = "asc",
        /// `desc`
        Desc = "desc",
    }
}

string_enum! {
    /// `ThreadSourceKind`: a filter of `thread/list`.
    pub enum ThreadSourceKind {
        /// `cli`
        Cli = "cli",
        /// `vscode`
        Vscode = "vscode",
        /// `exec`
        Exec = "exec",
        /// `appServer`
        AppServer = "appServer",
        /// `subAgent`
        SubAgent = "subAgent",
        /// `subAgentReview`
        SubAgentReview = "subAgentReview",
        /// `subAgentCompact`
        SubAgentCompact = "subAgentCompact",
        /// `subAgentThreadSpawn`
        SubAgentThreadSpawn = "subAgentThreadSpawn",
        /// `subAgentOther`
        SubAgentOther = "subAgentOther",
        /// `unknown`: threads whose source codex does not know. (Not to be confused with
        /// [`ThreadSourceKind::Unknown`], a value this crate does not know.)
        Unspecified = "unknown",
    }
}

wire_struct! {
    /// `ThreadListParams` of `thread/list`: page through stored threads.
    #[derive(Default)]
    pub struct ThreadListParams {
        /// The cursor from a previous page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cursor: Option<String>,
        /// The page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub limit: Option<i64>,
        /// Archived threads instead of active ones.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub archived: Option<bool>,
        /// Only threads under this directory, or these directories (a string or an array).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<Value>,
        /// Only these model providers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model_providers: Option<Vec<String>>,
        /// Only these originators.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub originators: Option<Vec<String>>,
        /// Only these source kinds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source_kinds: Option<Vec<ThreadSourceKind>>,
        /// A search term.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub search_term: Option<String>,
        /// The sort key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sort_key: Option<ThreadSortKey>,
        /// The sort direction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sort_direction: Option<SortDirection>,
        /// Only these threads (at most 100 ids), before pagination; repeat them on every
        /// page. An empty list matches nothing. Codex 0.171 on: the field is not in codex 0.169's
        /// schema.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub included_thread_ids: Option<Vec<String>>,
    }
}

wire_struct! {
    /// `ThreadListResponse`: one page of threads.
    pub struct ThreadListResponse {
        /// The threads.
        pub data: Vec<Thread>,
        /// The cursor of the next page, if any.
        pub next_cursor: Option<String>,
        /// The cursor of the previous page, if any.
        pub backwards_cursor: Option<String>,
    }
}

wire_struct! {
    /// `ThreadReadParams` of `thread/read`: read a stored thread without loading it.
    pub struct ThreadReadParams {
        /// The thread.
        pub thread_id: String,
        /// Include the turns.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub include_turns: Option<bool>,
    }
}

wire_struct! {
    /// `ThreadReadResponse`: the result of `thread/read`.
    pub struct ThreadReadResponse {
        /// The thread.
        pub thread: Thread,
    }
}

wire_struct! {
    /// `ThreadArchiveParams` of `thread/archive`.
    pub struct ThreadArchiveParams {
        /// The thread.
        pub thread_id: String,
    }
}

wire_struct! {
    /// `ThreadArchiveResponse`: the (empty) result of `thread/archive`.
    #[derive(Default)]
    pub struct ThreadArchiveResponse {}
}

wire_struct! {
    /// `ThreadUnarchiveParams` of `thread/unarchive`.
    pub struct ThreadUnarchiveParams {
        /// The thread.
        pub thread_id: String,
    }
}

wire_struct! {
    /// `ThreadUnarchiveResponse`: the result of `thread/unarchive`.
    pub struct ThreadUnarchiveResponse {
        /// The restored thread.
        pub thread: Thread,
    }
}

wire_struct! {
    /// `ThreadSetNameParams` of `thread/name/set`. Followed by `thread/name/updated`.
    pub struct ThreadSetNameParams {
        /// The thread.
        pub thread_id: String,
        /// The new name.
        pub name: String,
    }
}

wire_struct! {
    /// `ThreadSetNameResponse`: the (empty) result of `thread/name/set`.
    #[derive(Default)]
    pub struct ThreadSetNameResponse {}
}

/// Constructors for the single-id params.
macro_rules! thread_id_params {
    ($($t:ident),*) => {
        $(impl $t {
            /// Params for this thread.
            #[must_use]
            pub fn new(thread_id: impl Into<String>) -> Self {
                Self { thread_id: thread_id.into(), extra: Map::new() }
            }
        })*
    };
}

thread_id_params!(ThreadArchiveParams, ThreadUnarchiveParams);

impl ThreadReadParams {
    /// Params for this thread, turns left to codex's default.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            include_turns: None,
            extra: Map::new(),
        }
    }
}

impl ThreadSetNameParams {
    /// Params naming this thread.
    #[must_use]
    pub fn new(thread_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            name: name.into(),
            extra: Map::new(),
        }
    }
}
