//! The method enums: what each `method` means in each direction, with typed params, and the
//! typed results of requests.
//!
//! Every enum is `#[non_exhaustive]` and has an `Unknown` variant: a method this crate does
//! not model parses as `Unknown { method, params }` and serializes back unchanged.

use std::borrow::Cow;

use serde_json::Value;

use super::goal::{
    ThreadGoalClearParams, ThreadGoalClearResponse, ThreadGoalClearedNotification,
    ThreadGoalGetParams, ThreadGoalGetResponse, ThreadGoalSetParams, ThreadGoalSetResponse,
    ThreadGoalUpdatedNotification,
};
use super::initialize::{InitializeParams, InitializeResponse};
use super::notification::{
    AccountRateLimitsUpdatedNotification, AgentMessageDeltaNotification,
    CommandExecutionOutputDeltaNotification, ConfigWarningNotification,
    ContextCompactedNotification, DeprecationNoticeNotification, ErrorNotification,
    FileChangeOutputDeltaNotification, ItemCompletedNotification, ItemStartedNotification,
    McpToolCallProgressNotification, PlanDeltaNotification, ReasoningSummaryPartAddedNotification,
    ReasoningSummaryTextDeltaNotification, ReasoningTextDeltaNotification,
    RemoteControlStatusChangedNotification, ServerRequestResolvedNotification,
    ThreadArchivedNotification, ThreadClosedNotification, ThreadNameUpdatedNotification,
    ThreadReadStateChangedNotification, ThreadStartedNotification, ThreadStatusChangedNotification,
    ThreadTokenUsageUpdatedNotification, ThreadUnarchivedNotification, TurnCompletedNotification,
    TurnDiffUpdatedNotification, TurnPlanUpdatedNotification, TurnStartedNotification,
    WarningNotification,
};
use super::server_request::{
    CommandExecutionRequestApprovalParams, CommandExecutionRequestApprovalResponse,
    DynamicToolCallParams, DynamicToolCallResponse, FileChangeRequestApprovalParams,
    FileChangeRequestApprovalResponse, McpServerElicitationRequestParams,
    McpServerElicitationRequestResponse, PermissionsRequestApprovalParams,
    PermissionsRequestApprovalResponse, ToolRequestUserInputParams, ToolRequestUserInputResponse,
};
use super::status::{
    GetAccountParams, GetAccountResponse, ListMcpServerStatusParams, ListMcpServerStatusResponse,
    ModelListParams, ModelListResponse,
};
use super::thread::{
    ThreadArchiveParams, ThreadArchiveResponse, ThreadForkParams, ThreadForkResponse,
    ThreadListParams, ThreadListResponse, ThreadReadParams, ThreadReadResponse, ThreadResumeParams,
    ThreadResumeResponse, ThreadSetNameParams, ThreadSetNameResponse, ThreadStartParams,
    ThreadStartResponse, ThreadUnarchiveParams, ThreadUnarchiveResponse,
};
use super::turn::{
    TurnInterruptParams, TurnInterruptResponse, TurnStartParams, TurnStartResponse,
    TurnSteerParams, TurnSteerResponse,
};
use crate::Unknowns;
use crate::app_server::macros::{method_enum, request_enum};
use crate::app_server::unknowns::{Walk, join};

request_enum! {
    /// `ClientRequest`: the requests a client sends, by method.
    pub enum ClientRequest;
    /// `ClientRequestResult`: the typed `result` of each [`ClientRequest`], by method. Parse it
    /// with [`ClientRequestResult::from_result`] and the method of the request the response
    /// answers.
    pub enum ClientRequestResult;
    {
        /// `initialize`: the first request of a connection. Result: [`InitializeResponse`].
        Initialize("initialize", Box<InitializeParams> => InitializeResponse),
        /// `thread/start`: create a thread. Result: [`ThreadStartResponse`].
        ThreadStart("thread/start", Box<ThreadStartParams> => Box<ThreadStartResponse>),
        /// `thread/resume`: load a stored thread. Result: [`ThreadResumeResponse`].
        ThreadResume("thread/resume", Box<ThreadResumeParams> => Box<ThreadResumeResponse>),
        /// `thread/fork`: copy a thread. Result: [`ThreadForkResponse`].
        ThreadFork("thread/fork", Box<ThreadForkParams> => Box<ThreadForkResponse>),
        /// `thread/list`: page through stored threads. Result: [`ThreadListResponse`].
        ThreadList("thread/list", Box<ThreadListParams> => Box<ThreadListResponse>),
        /// `thread/read`: read a stored thread. Result: [`ThreadReadResponse`].
        ThreadRead("thread/read", ThreadReadParams => Box<ThreadReadResponse>),
        /// `thread/archive`. Result: [`ThreadArchiveResponse`] (empty).
        ThreadArchive("thread/archive", ThreadArchiveParams => ThreadArchiveResponse),
        /// `thread/unarchive`. Result: [`ThreadUnarchiveResponse`].
        ThreadUnarchive("thread/unarchive", ThreadUnarchiveParams => Box<ThreadUnarchiveResponse>),
        /// `thread/name/set`. Result: [`ThreadSetNameResponse`] (empty).
        ThreadSetName("thread/name/set", ThreadSetNameParams => ThreadSetNameResponse),
        /// `thread/goal/set`: create or change the thread's goal. Result:
        /// [`ThreadGoalSetResponse`].
        ThreadGoalSet("thread/goal/set", Box<ThreadGoalSetParams> => Box<ThreadGoalSetResponse>),
        /// `thread/goal/get`. Result: [`ThreadGoalGetResponse`].
        ThreadGoalGet("thread/goal/get", ThreadGoalGetParams => Box<ThreadGoalGetResponse>),
        /// `thread/goal/clear`. Result: [`ThreadGoalClearResponse`].
        ThreadGoalClear("thread/goal/clear", ThreadGoalClearParams => ThreadGoalClearResponse),
        /// `turn/start`: start a turn. Result: [`TurnStartResponse`].
        TurnStart("turn/start", Box<TurnStartParams> => Box<TurnStartResponse>),
        /// `turn/steer`: add input to the active turn. Result: [`TurnSteerResponse`].
        TurnSteer("turn/steer", TurnSteerParams => TurnSteerResponse),
        /// `turn/interrupt`: stop the active turn. Result: [`TurnInterruptResponse`] (empty).
        TurnInterrupt("turn/interrupt", TurnInterruptParams => TurnInterruptResponse),
        /// `model/list`: one page of the model catalog. Result: [`ModelListResponse`].
        ModelList("model/list", ModelListParams => Box<ModelListResponse>),
        /// `account/read`: who is logged in. Result: [`GetAccountResponse`].
        AccountRead("account/read", GetAccountParams => GetAccountResponse),
        /// `mcpServerStatus/list`: the configured MCP servers. Result:
        /// [`ListMcpServerStatusResponse`].
        McpServerStatusList(
            "mcpServerStatus/list",
            Box<ListMcpServerStatusParams> => Box<ListMcpServerStatusResponse>
        ),
    }
}

request_enum! {
    /// `ServerRequest`: the requests the server sends the client, by method. Every one must
    /// be answered, unknown ones included (with an error response).
    pub enum ServerRequest;
    /// `ServerRequestResult`: the typed `result` a client sends for each [`ServerRequest`].
    pub enum ServerRequestResult;
    {
        /// `item/commandExecution/requestApproval`: may codex run this command?
        CommandExecutionRequestApproval(
            "item/commandExecution/requestApproval",
            Box<CommandExecutionRequestApprovalParams> => CommandExecutionRequestApprovalResponse
        ),
        /// `item/fileChange/requestApproval`: may codex apply this patch?
        FileChangeRequestApproval(
            "item/fileChange/requestApproval",
            Box<FileChangeRequestApprovalParams> => FileChangeRequestApprovalResponse
        ),
        /// `item/permissions/requestApproval`: may the agent have these permissions?
        PermissionsRequestApproval(
            "item/permissions/requestApproval",
            Box<PermissionsRequestApprovalParams> => Box<PermissionsRequestApprovalResponse>
        ),
        /// `item/tool/requestUserInput`: the agent asks the user questions.
        ToolRequestUserInput("item/tool/requestUserInput", Box<ToolRequestUserInputParams> => ToolRequestUserInputResponse),
        /// `item/tool/call`: call a dynamic tool the client registered.
        DynamicToolCall("item/tool/call", Box<DynamicToolCallParams> => DynamicToolCallResponse),
        /// `mcpServer/elicitation/request`: an MCP server asks the user for input.
        McpServerElicitationRequest(
            "mcpServer/elicitation/request",
            Box<McpServerElicitationRequestParams> => Box<McpServerElicitationRequestResponse>
        ),
    }
}

impl ServerRequest {
    /// The thread a request is about, for the kinds that name one (every kind this crate
    /// models does); `None` for unknown methods.
    #[must_use]
    pub fn thread_id(&self) -> Option<&str> {
        match self {
            Self::CommandExecutionRequestApproval(params) => Some(&params.thread_id),
            Self::FileChangeRequestApproval(params) => Some(&params.thread_id),
            Self::PermissionsRequestApproval(params) => Some(&params.thread_id),
            Self::ToolRequestUserInput(params) => Some(&params.thread_id),
            Self::McpServerElicitationRequest(params) => Some(&params.thread_id),
            Self::DynamicToolCall(params) => Some(&params.thread_id),
            Self::Unknown { .. } => None,
        }
    }
}

method_enum! {
    /// `ServerNotification`: the notifications the server sends, by method. The usual order
    /// of a turn: `thread/started` → `thread/status/changed` (active) → `turn/started` →
    /// `item/started` / deltas / `item/completed` … → `thread/tokenUsage/updated` →
    /// `thread/status/changed` (idle) → `turn/completed`.
    pub enum ServerNotification {
        /// `error`: a turn hit an error (see `willRetry`).
        Error("error", Box<ErrorNotification>),
        /// `thread/started`: a thread was created or loaded.
        ThreadStarted("thread/started", Box<ThreadStartedNotification>),
        /// `thread/status/changed`: idle, active (with flags), …
        ThreadStatusChanged("thread/status/changed", Box<ThreadStatusChangedNotification>),
        /// `thread/readState/changed`
        ThreadReadStateChanged("thread/readState/changed", Box<ThreadReadStateChangedNotification>),
        /// `thread/archived`
        ThreadArchived("thread/archived", ThreadArchivedNotification),
        /// `thread/unarchived`
        ThreadUnarchived("thread/unarchived", ThreadUnarchivedNotification),
        /// `thread/closed`
        ThreadClosed("thread/closed", ThreadClosedNotification),
        /// `thread/name/updated`
        ThreadNameUpdated("thread/name/updated", ThreadNameUpdatedNotification),
        /// `thread/goal/updated`: the goal was set or changed.
        ThreadGoalUpdated("thread/goal/updated", Box<ThreadGoalUpdatedNotification>),
        /// `thread/goal/cleared`
        ThreadGoalCleared("thread/goal/cleared", ThreadGoalClearedNotification),
        /// `thread/tokenUsage/updated`: after each model call.
        ThreadTokenUsageUpdated("thread/tokenUsage/updated", Box<ThreadTokenUsageUpdatedNotification>),
        /// `thread/compacted`
        ThreadCompacted("thread/compacted", ContextCompactedNotification),
        /// `turn/started`
        TurnStarted("turn/started", Box<TurnStartedNotification>),
        /// `turn/completed`: the turn ended; its status says how.
        TurnCompleted("turn/completed", Box<TurnCompletedNotification>),
        /// `turn/diff/updated`: the aggregated diff of the turn.
        TurnDiffUpdated("turn/diff/updated", TurnDiffUpdatedNotification),
        /// `turn/plan/updated`: the agent's to-do list.
        TurnPlanUpdated("turn/plan/updated", TurnPlanUpdatedNotification),
        /// `item/started`
        ItemStarted("item/started", Box<ItemStartedNotification>),
        /// `item/completed`
        ItemCompleted("item/completed", Box<ItemCompletedNotification>),
        /// `item/agentMessage/delta`: streamed agent text.
        AgentMessageDelta("item/agentMessage/delta", AgentMessageDeltaNotification),
        /// `item/plan/delta`: streamed plan text.
        PlanDelta("item/plan/delta", PlanDeltaNotification),
        /// `item/commandExecution/outputDelta`: streamed command output.
        CommandExecutionOutputDelta("item/commandExecution/outputDelta", CommandExecutionOutputDeltaNotification),
        /// `item/fileChange/outputDelta`
        FileChangeOutputDelta("item/fileChange/outputDelta", FileChangeOutputDeltaNotification),
        /// `item/reasoning/summaryTextDelta`: streamed reasoning summary.
        ReasoningSummaryTextDelta("item/reasoning/summaryTextDelta", ReasoningSummaryTextDeltaNotification),
        /// `item/reasoning/summaryPartAdded`: a new reasoning summary part.
        ReasoningSummaryPartAdded("item/reasoning/summaryPartAdded", ReasoningSummaryPartAddedNotification),
        /// `item/reasoning/textDelta`: streamed raw reasoning.
        ReasoningTextDelta("item/reasoning/textDelta", ReasoningTextDeltaNotification),
        /// `item/mcpToolCall/progress`
        McpToolCallProgress("item/mcpToolCall/progress", McpToolCallProgressNotification),
        /// `serverRequest/resolved`: a server request was answered.
        ServerRequestResolved("serverRequest/resolved", ServerRequestResolvedNotification),
        /// `account/rateLimits/updated`
        AccountRateLimitsUpdated("account/rateLimits/updated", Box<AccountRateLimitsUpdatedNotification>),
        /// `remoteControl/status/changed`: sent at startup.
        RemoteControlStatusChanged("remoteControl/status/changed", Box<RemoteControlStatusChangedNotification>),
        /// `configWarning`: a configuration problem, sent at startup.
        ConfigWarning("configWarning", Box<ConfigWarningNotification>),
        /// `warning`
        Warning("warning", WarningNotification),
        /// `deprecationNotice`
        DeprecationNotice("deprecationNotice", DeprecationNoticeNotification),
    }
}

/// `ClientNotification`: the notifications a client sends.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientNotification {
    /// `initialized` (no params): sent once, after the `initialize` response.
    Initialized,
    /// A method this version of the crate does not know, kept verbatim.
    Unknown {
        /// The method name.
        method: String,
        /// The raw params, when present.
        params: Option<Value>,
    },
}

impl ClientNotification {
    /// Every method this crate models.
    pub const KNOWN_METHODS: &'static [&'static str] = &["initialized"];

    /// The method name on the wire.
    #[must_use]
    pub fn method(&self) -> &str {
        match self {
            Self::Initialized => "initialized",
            Self::Unknown { method, .. } => method,
        }
    }

    /// Whether this is a method this crate does not know.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown { .. })
    }

    /// `initialized` takes no params; any it carries are dropped.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "same signature as the generated method enums"
    )]
    pub(crate) fn from_parts(method: String, params: Option<Value>) -> Result<Self, String> {
        Ok(match method.as_str() {
            "initialized" => Self::Initialized,
            _ => Self::Unknown { method, params },
        })
    }

    pub(crate) fn serialize_params<M: serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> Result<(), M::Error> {
        match self {
            Self::Unknown {
                params: Some(params),
                ..
            } => map.serialize_entry("params", params),
            Self::Initialized | Self::Unknown { params: None, .. } => Ok(()),
        }
    }
}

impl schemars::JsonSchema for ClientNotification {
    fn schema_name() -> Cow<'static, str> {
        "ClientNotification".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "oneOf": [{
                "type": "object",
                "title": "initialized",
                "properties": { "method": { "type": "string", "enum": ["initialized"] } },
                "required": ["method"],
            }],
            "description": "Open set of methods: others parse as `Unknown`.",
        })
    }
}

impl Unknowns for ClientNotification {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        self.walk(path, out);
    }
}

impl Walk for ClientNotification {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        if let Self::Unknown { method, .. } = self {
            out.push(format!("{}={method}", join(path, "method")));
        }
    }
}
