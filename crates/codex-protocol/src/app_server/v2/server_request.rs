//! Params of the requests the server sends to the client, and the results the client sends
//! back.
//!
//! An unanswered server request blocks its turn forever: a client must answer every one,
//! including those of methods it does not know (with an error response).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::item::{CommandAction, DynamicToolCallOutputContentItem};
use crate::app_server::macros::{open_enum, string_enum, wire_struct};

string_enum! {
    /// `CommandExecutionApprovalKind`: what an approval request is for.
    pub enum CommandExecutionApprovalKind {
        /// `command`: running a command (the default).
        Command = "command",
        /// `writeStdin`: writing to a running command.
        WriteStdin = "writeStdin",
        /// `humanCommand`
        HumanCommand = "humanCommand",
    }
}

string_enum! {
    /// `NetworkApprovalProtocol`.
    pub enum NetworkApprovalProtocol {
        /// `http`
        Http = "http",
        /// `https`
        Https = "https",
        /// `socks5Tcp`
        Socks5Tcp = "socks5Tcp",
        /// `socks5Udp`
        Socks5Udp = "socks5Udp",
    }
}

wire_struct! {
    /// `NetworkApprovalContext`: the network access a command asks for.
    pub struct NetworkApprovalContext {
        /// The host.
        pub host: String,
        /// The protocol.
        pub protocol: NetworkApprovalProtocol,
    }
}

string_enum! {
    /// `NetworkPolicyRuleAction`.
    pub enum NetworkPolicyRuleAction {
        /// `allow`
        Allow = "allow",
        /// `deny`
        Deny = "deny",
    }
}

wire_struct! {
    /// `NetworkPolicyAmendment`: a network rule to remember.
    pub struct NetworkPolicyAmendment {
        /// The host.
        pub host: String,
        /// Allow or deny.
        pub action: NetworkPolicyRuleAction,
    }
}

wire_struct! {
    /// Payload of [`CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment`].
    pub struct ExecpolicyAmendment {
        /// The command prefix to allow from now on (wire name
        /// `execpolicy_amendment`).
        pub execpolicy_amendment: Vec<String> => "execpolicy_amendment",
    }
}

wire_struct! {
    /// Payload of [`CommandExecutionApprovalDecision::ApplyNetworkPolicyAmendment`].
    pub struct NetworkPolicyAmendmentDecision {
        /// The rule to remember (wire name `network_policy_amendment`).
        pub network_policy_amendment: NetworkPolicyAmendment => "network_policy_amendment",
    }
}

open_enum! {
    /// `CommandExecutionApprovalDecision`: the answer to a command approval.
    pub enum CommandExecutionApprovalDecision {
        /// `accept`: run it this once.
        Accept = "accept",
        /// `acceptForSession`: run it, and similar commands without asking for the session.
        AcceptForSession = "acceptForSession",
        /// `decline`: do not run it; the turn continues (the item completes as `declined`).
        Decline = "decline",
        /// `cancel`: do not run it and interrupt the turn.
        Cancel = "cancel",
        ;
        /// `{"acceptWithExecpolicyAmendment": {"execpolicy_amendment": [...]}}`: run it and
        /// allow this command prefix from now on.
        AcceptWithExecpolicyAmendment("acceptWithExecpolicyAmendment", ExecpolicyAmendment),
        /// `{"applyNetworkPolicyAmendment": {"network_policy_amendment": {host, action}}}`
        ApplyNetworkPolicyAmendment("applyNetworkPolicyAmendment", NetworkPolicyAmendmentDecision),
    }
}

wire_struct! {
    /// `CommandExecutionRequestApprovalParams` (`item/commandExecution/requestApproval`):
    /// codex asks before running a command. The matching `commandExecution` item has
    /// already started.
    ///
    /// Codex omits unset optional fields here (rather than writing `null`), and so does
    /// this crate.
    pub struct CommandExecutionRequestApprovalParams {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The `commandExecution` item.
        pub item_id: String,
        /// Unix milliseconds when the request started.
        pub started_at_ms: i64,
        /// An id distinguishing several approvals of one item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approval_id: Option<String>,
        /// What the approval is for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kind: Option<CommandExecutionApprovalKind>,
        /// The environment (`local`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub environment_id: Option<String>,
        /// The model's justification (for escalation requests).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
        /// The command line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub command: Option<String>,
        /// Its working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<String>,
        /// What codex understood it to do.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub command_actions: Option<Vec<CommandAction>>,
        /// The network access it asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_approval_context: Option<NetworkApprovalContext>,
        /// A command prefix the client could allow from now on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub proposed_execpolicy_amendment: Option<Vec<String>>,
        /// Network rules the client could remember.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub proposed_network_policy_amendments: Option<Vec<NetworkPolicyAmendment>>,
        /// Experimental: the decisions the client may offer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub available_decisions: Option<Vec<CommandExecutionApprovalDecision>>,
        /// Experimental: extra permissions requested (kept as raw JSON; an explicit `null` is
        /// kept).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub additional_permissions: Option<Value>,
    }
}

wire_struct! {
    /// `CommandExecutionRequestApprovalResponse`: the client's answer.
    pub struct CommandExecutionRequestApprovalResponse {
        /// The decision.
        pub decision: CommandExecutionApprovalDecision,
    }
}

impl CommandExecutionRequestApprovalResponse {
    /// An answer with this decision.
    #[must_use]
    pub fn new(decision: CommandExecutionApprovalDecision) -> Self {
        Self {
            decision,
            extra: Map::new(),
        }
    }
}

string_enum! {
    /// `FileChangeApprovalDecision`: the answer to a file change approval.
    pub enum FileChangeApprovalDecision {
        /// `accept`
        Accept = "accept",
        /// `acceptForSession`
        AcceptForSession = "acceptForSession",
        /// `decline`: the turn continues.
        Decline = "decline",
        /// `cancel`: interrupt the turn.
        Cancel = "cancel",
    }
}

wire_struct! {
    /// `FileChangeRequestApprovalParams` (`item/fileChange/requestApproval`): codex asks
    /// before applying a patch.
    pub struct FileChangeRequestApprovalParams {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The `fileChange` item.
        pub item_id: String,
        /// Unix milliseconds when the request started.
        pub started_at_ms: i64,
        /// Why (for example a request for extra write access).
        pub reason: Option<String>,
        /// A root the agent asks to write under for the rest of the session.
        pub grant_root: Option<String>,
    }
}

wire_struct! {
    /// `FileChangeRequestApprovalResponse`: the client's answer.
    pub struct FileChangeRequestApprovalResponse {
        /// The decision.
        pub decision: FileChangeApprovalDecision,
    }
}

impl FileChangeRequestApprovalResponse {
    /// An answer with this decision.
    #[must_use]
    pub fn new(decision: FileChangeApprovalDecision) -> Self {
        Self {
            decision,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `RequestPermissionProfile`: permissions the agent asks for.
    pub struct RequestPermissionProfile {
        /// File system permissions (kept as raw JSON).
        pub file_system: Option<Value>,
        /// Network permissions (kept as raw JSON).
        pub network: Option<Value>,
    }
}

wire_struct! {
    /// `PermissionsRequestApprovalParams` (`item/permissions/requestApproval`): the agent asks
    /// for more permissions.
    pub struct PermissionsRequestApprovalParams {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// Unix milliseconds when the request started.
        pub started_at_ms: i64,
        /// The working directory the permissions are relative to.
        pub cwd: String,
        /// The environment.
        pub environment_id: Option<String>,
        /// Why.
        pub reason: Option<String>,
        /// What is asked for.
        pub permissions: RequestPermissionProfile,
    }
}

wire_struct! {
    /// `GrantedPermissionProfile`: permissions the client grants (a subset of those asked).
    #[derive(Default)]
    pub struct GrantedPermissionProfile {
        /// File system permissions (raw JSON).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub file_system: Option<Value>,
        /// Network permissions (raw JSON).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network: Option<Value>,
    }
}

string_enum! {
    /// `PermissionGrantScope`.
    pub enum PermissionGrantScope {
        /// `turn` (the default)
        Turn = "turn",
        /// `session`
        Session = "session",
    }
}

wire_struct! {
    /// `PermissionsRequestApprovalResponse`: the client's answer. Granting nothing declines.
    pub struct PermissionsRequestApprovalResponse {
        /// What is granted.
        pub permissions: GrantedPermissionProfile,
        /// For how long (default `turn`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub scope: Option<PermissionGrantScope>,
        /// Whether to review strictly afterwards.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub strict_auto_review: Option<bool>,
    }
}

impl PermissionsRequestApprovalResponse {
    /// An answer granting these permissions for the default scope.
    #[must_use]
    pub fn new(permissions: GrantedPermissionProfile) -> Self {
        Self {
            permissions,
            scope: None,
            strict_auto_review: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ToolRequestUserInputOption`: a choice offered for a question.
    pub struct ToolRequestUserInputOption {
        /// The label.
        pub label: String,
        /// What it means.
        pub description: String,
    }
}

wire_struct! {
    /// `ToolRequestUserInputQuestion`.
    pub struct ToolRequestUserInputQuestion {
        /// The id the answer is keyed by.
        pub id: String,
        /// A short header.
        pub header: String,
        /// The question.
        pub question: String,
        /// Whether a free-form "other" answer is allowed (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub is_other: Option<bool>,
        /// Whether the answer is secret (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub is_secret: Option<bool>,
        /// Choices, if any.
        pub options: Option<Vec<ToolRequestUserInputOption>>,
    }
}

wire_struct! {
    /// `ToolRequestUserInputParams` (`item/tool/requestUserInput`): the agent asks the user
    /// questions.
    pub struct ToolRequestUserInputParams {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// Whether the turn waits for the answer.
        pub is_blocking: bool,
        /// The questions.
        pub questions: Vec<ToolRequestUserInputQuestion>,
        /// After how many milliseconds codex resolves the request by itself, if it does.
        pub auto_resolution_ms: Option<i64>,
    }
}

wire_struct! {
    /// `ToolRequestUserInputAnswer`.
    pub struct ToolRequestUserInputAnswer {
        /// The answers to one question.
        pub answers: Vec<String>,
    }
}

impl ToolRequestUserInputAnswer {
    /// An answer.
    #[must_use]
    pub fn new(answers: Vec<String>) -> Self {
        Self {
            answers,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ToolRequestUserInputResponse`: the client's answers, keyed by question id.
    pub struct ToolRequestUserInputResponse {
        /// Answers by question id.
        pub answers: BTreeMap<String, ToolRequestUserInputAnswer>,
    }
}

impl ToolRequestUserInputResponse {
    /// A response with these answers.
    #[must_use]
    pub fn new(answers: BTreeMap<String, ToolRequestUserInputAnswer>) -> Self {
        Self {
            answers,
            extra: Map::new(),
        }
    }
}

string_enum! {
    /// The `mode` of an MCP elicitation.
    pub enum McpElicitationMode {
        /// `form`: fill in `requestedSchema`.
        Form = "form",
        /// `url`: open `url`.
        Url = "url",
        /// `openai/userVerification`: a device-authenticated approval.
        OpenaiUserVerification = "openai/userVerification",
        /// `openai/form`
        OpenaiForm = "openai/form",
        /// `openaiForm`
        OpenaiFormLegacy = "openaiForm",
    }
}

wire_struct! {
    /// `McpServerElicitationRequestParams` (`mcpServer/elicitation/request`): an MCP server
    /// asks the user for input. Which fields are set depends on `mode`.
    pub struct McpServerElicitationRequestParams {
        /// The thread.
        pub thread_id: String,
        /// The MCP server.
        pub server_name: String,
        /// The turn, when codex could correlate one.
        pub turn_id: Option<String>,
        /// The registration scope of the server (codex 0.171 on), not necessarily the
        /// environment it runs in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub environment_id: Option<String>,
        /// The kind of elicitation.
        pub mode: McpElicitationMode,
        /// The message to show (`form`, `url` modes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
        /// The schema of the requested input (form modes; raw JSON).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub requested_schema: Option<Value>,
        /// The URL to open (`url` mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// The elicitation id (`url` mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub elicitation_id: Option<String>,
        /// The challenge (`openai/userVerification` mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub challenge: Option<String>,
        /// The title (`openai/userVerification` mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// The description (`openai/userVerification` mode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// MCP `_meta` (raw JSON).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub meta: Option<Value> => "_meta",
    }
}

string_enum! {
    /// `McpServerElicitationAction`.
    pub enum McpServerElicitationAction {
        /// `accept` (with `content` for forms)
        Accept = "accept",
        /// `decline`
        Decline = "decline",
        /// `cancel`
        Cancel = "cancel",
    }
}

wire_struct! {
    /// `McpServerElicitationRequestResponse`: the client's answer.
    pub struct McpServerElicitationRequestResponse {
        /// What the user did.
        pub action: McpServerElicitationAction,
        /// The input, for accepted forms (raw JSON; an explicit `null` is kept).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub content: Option<Value>,
        /// Client metadata (raw JSON).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub meta: Option<Value> => "_meta",
    }
}

impl McpServerElicitationRequestResponse {
    /// An answer with this action and no content.
    #[must_use]
    pub fn new(action: McpServerElicitationAction) -> Self {
        Self {
            action,
            content: None,
            meta: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `DynamicToolCallParams` (`item/tool/call`): the model called a tool the client
    /// registered with `thread/start.dynamicTools`.
    pub struct DynamicToolCallParams {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The call id (also the `dynamicToolCall` item id).
        pub call_id: String,
        /// The tool's namespace, if any.
        pub namespace: Option<String>,
        /// The tool.
        pub tool: String,
        /// The arguments the model chose (raw JSON).
        pub arguments: Value,
    }
}

wire_struct! {
    /// `DynamicToolCallResponse`: the tool's output.
    pub struct DynamicToolCallResponse {
        /// The output parts; text parts become the model's function call output.
        pub content_items: Vec<DynamicToolCallOutputContentItem>,
        /// Whether the call succeeded.
        pub success: bool,
    }
}

impl DynamicToolCallResponse {
    /// A response with these parts.
    #[must_use]
    pub fn new(content_items: Vec<DynamicToolCallOutputContentItem>, success: bool) -> Self {
        Self {
            content_items,
            success,
            extra: Map::new(),
        }
    }
}
