//! Small shared vocabularies: sandbox and approval policies, reasoning options, sources,
//! text ranges, and the empty payload of tag-only variants.

use crate::app_server::macros::{open_enum, string_enum, tagged_enum, wire_struct};

wire_struct! {
    /// The payload of a variant that carries nothing but its tag (for example
    /// `{"type": "idle"}`).
    #[derive(Default)]
    pub struct TagOnly {}
}

string_enum! {
    /// `SandboxMode`: the coarse sandbox choice of `thread/start`, `thread/resume` and
    /// `thread/fork` (`sandbox`).
    pub enum SandboxMode {
        /// `read-only`: commands may read anything and write nothing.
        ReadOnly = "read-only",
        /// `workspace-write`: commands may write inside the workspace roots.
        WorkspaceWrite = "workspace-write",
        /// `danger-full-access`: no sandbox.
        DangerFullAccess = "danger-full-access",
    }
}

string_enum! {
    /// `NetworkAccess` of an external sandbox.
    pub enum NetworkAccess {
        /// `restricted`
        Restricted = "restricted",
        /// `enabled`
        Enabled = "enabled",
    }
}

wire_struct! {
    /// Payload of [`SandboxPolicy::ReadOnly`].
    #[derive(Default)]
    pub struct ReadOnlySandbox {
        /// Whether commands may use the network; absent means codex's default (no).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_access: Option<bool>,
    }
}

wire_struct! {
    /// Payload of [`SandboxPolicy::ExternalSandbox`].
    #[derive(Default)]
    pub struct ExternalSandbox {
        /// Network access inside the external sandbox; absent means `restricted`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_access: Option<NetworkAccess>,
    }
}

wire_struct! {
    /// Payload of [`SandboxPolicy::WorkspaceWrite`].
    #[derive(Default)]
    pub struct WorkspaceWriteSandbox {
        /// Extra writable roots besides the working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub writable_roots: Option<Vec<String>>,
        /// Whether commands may use the network.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_access: Option<bool>,
        /// Whether `$TMPDIR` is left out of the writable roots.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exclude_tmpdir_env_var: Option<bool>,
        /// Whether `/tmp` is left out of the writable roots.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exclude_slash_tmp: Option<bool>,
    }
}

tagged_enum! {
    /// `SandboxPolicy`: the full sandbox policy, reported by `thread/start` (`sandbox`) and
    /// accepted by `turn/start` (`sandboxPolicy`).
    pub enum SandboxPolicy {
        /// `dangerFullAccess`: no sandbox.
        DangerFullAccess("dangerFullAccess", TagOnly),
        /// `readOnly {networkAccess?}`
        ReadOnly("readOnly", ReadOnlySandbox),
        /// `externalSandbox {networkAccess?}`: codex runs inside a sandbox it does not manage.
        ExternalSandbox("externalSandbox", ExternalSandbox),
        /// `workspaceWrite {writableRoots?, networkAccess?, excludeTmpdirEnvVar?, excludeSlashTmp?}`
        WorkspaceWrite("workspaceWrite", WorkspaceWriteSandbox),
    }
}

wire_struct! {
    /// The payload of [`AskForApproval::Granular`]: which kinds of prompts are allowed (wire
    /// names are `snake_case`).
    pub struct GranularApprovalConfig {
        /// Whether sandbox escalations may prompt.
        pub sandbox_approval: bool => "sandbox_approval",
        /// Whether execpolicy rules may prompt.
        pub rules: bool,
        /// Whether MCP elicitations may prompt.
        pub mcp_elicitations: bool => "mcp_elicitations",
        /// Whether permission requests may prompt (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_permissions: Option<bool> => "request_permissions",
        /// Whether skill approvals may prompt (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub skill_approval: Option<bool> => "skill_approval",
    }
}

open_enum! {
    /// `AskForApproval`: when codex asks the client before running a command.
    pub enum AskForApproval {
        /// `untrusted`: ask before anything that is not known to be safe.
        Untrusted = "untrusted",
        /// `on-request`: the model decides when to ask (for sandbox escalations).
        OnRequest = "on-request",
        /// `never`: never ask; failures go back to the model.
        Never = "never",
        ;
        /// `{"granular": {…}}`: per-kind choices.
        Granular("granular", GranularApprovalConfig),
    }
}

string_enum! {
    /// `ApprovalsReviewer`: who answers approval prompts.
    pub enum ApprovalsReviewer {
        /// `user`: the client (the prompts reach you as server requests).
        User = "user",
        /// `auto_review`: an automatic reviewer.
        AutoReview = "auto_review",
        /// `guardian_subagent`: a guardian sub-agent.
        GuardianSubagent = "guardian_subagent",
    }
}

string_enum! {
    /// `Personality` of the agent.
    pub enum Personality {
        /// `none`
        None = "none",
        /// `friendly`
        Friendly = "friendly",
        /// `pragmatic`
        Pragmatic = "pragmatic",
    }
}

string_enum! {
    /// `ReasoningSummary`: how much reasoning summary the model produces.
    pub enum ReasoningSummary {
        /// `auto`
        Auto = "auto",
        /// `concise`
        Concise = "concise",
        /// `detailed`
        Detailed = "detailed",
        /// `none`
        None = "none",
    }
}

string_enum! {
    /// `ThreadStartSource`: why a thread was started.
    pub enum ThreadStartSource {
        /// `startup`
        Startup = "startup",
        /// `clear`
        Clear = "clear",
    }
}

string_enum! {
    /// `ThreadHistoryMode`: how a thread's history is stored and paged.
    #[derive(Default)]
    pub enum ThreadHistoryMode {
        /// `legacy` (the default when absent)
        #[default]
        Legacy = "legacy",
        /// `paginated`
        Paginated = "paginated",
    }
}

open_enum! {
    /// `MultiAgentMode`: when the agent may spawn sub-agents.
    #[derive(Default)]
    pub enum MultiAgentMode {
        /// `explicitRequestOnly` (the default)
        #[default]
        ExplicitRequestOnly = "explicitRequestOnly",
        /// `proactive`
        Proactive = "proactive",
        ;
        /// `{"custom": "<mode>"}`
        Custom("custom", String),
    }
}

open_enum! {
    /// `SessionSource`: which kind of client created a thread.
    pub enum SessionSource {
        /// `cli`
        Cli = "cli",
        /// `vscode` (also what app-server threads report by default)
        Vscode = "vscode",
        /// `exec`
        Exec = "exec",
        /// `appServer`
        AppServer = "appServer",
        /// `unknown`: codex itself does not know the source. (Not to be confused with
        /// [`SessionSource::Unknown`], a value this crate does not know.)
        Unspecified = "unknown",
        ;
        /// `{"custom": "<name>"}`
        Custom("custom", String),
        /// `{"subAgent": …}`: spawned by another agent (kept as raw JSON).
        SubAgent("subAgent", serde_json::Value),
    }
}

wire_struct! {
    /// `TextPosition`: a 1-based position in a text file.
    pub struct TextPosition {
        /// 1-based line.
        pub line: i64,
        /// 1-based column, in Unicode scalar values.
        pub column: i64,
    }
}

wire_struct! {
    /// `TextRange`: a range in a text file.
    pub struct TextRange {
        /// Where it starts.
        pub start: TextPosition,
        /// Where it ends.
        pub end: TextPosition,
    }
}
