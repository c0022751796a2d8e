//! [`answer`]: one server request of `codex app-server`, answered with an approval handler and
//! a set of dynamic tools. Pure: no IO, no runtime, no state of its own.

use codex_agent_protocol::app_server::{
    CommandExecutionRequestApprovalResponse, FileChangeRequestApprovalResponse, JsonRpcError,
    ServerRequest,
};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument as _;

use crate::approval::ApprovalHandler;
use crate::registry::ToolSession;
use crate::{spans, tools};

/// The server requests [`answer`] answers, by method. Every other method gets a JSON-RPC
/// `-32601` (method not found) error from it.
///
/// A client registers its handler for exactly these methods and leaves the rest to its
/// defaults.
pub const ANSWERED_METHODS: &[&str] = ServerRequest::KNOWN_METHODS;

/// The thread a request names (its `threadId`), for a request of [`ANSWERED_METHODS`];
/// `None` for any other request.
///
/// A client that serves several threads on one connection looks up the thread's handler and
/// tools with it before calling [`answer`].
#[must_use]
pub fn thread_id(request: &ServerRequest) -> Option<&str> {
    request.thread_id()
}

/// Answers one server request: the `result` of the JSON-RPC response, or the error to send
/// instead.
///
/// | request | answered by |
/// |---|---|
/// | `item/commandExecution/requestApproval` | [`ApprovalHandler::command_execution`], as `{"decision"}` |
/// | `item/fileChange/requestApproval` | [`ApprovalHandler::file_change`], as `{"decision"}` |
/// | `item/permissions/requestApproval` | [`ApprovalHandler::permissions`] |
/// | `item/tool/requestUserInput` | [`ApprovalHandler::user_input`] |
/// | `mcpServer/elicitation/request` | [`ApprovalHandler::elicitation`] |
/// | `item/tool/call` | the tool of that namespace and name in `tools` ([`ToolSession::call`]); a failed call (unknown tool, bad arguments, handler error, timeout, cancellation, panic) is `success: false` with a text saying why |
/// | anything else | error `-32601` (method not found) |
///
/// Every request that asks the user (command and file change approvals, permissions, the
/// agent's questions, MCP elicitations) runs in a span `approval {kind}` (a child of the
/// current span; kind `command_execution`, `file_change`, `permissions`, `user_input` or
/// `elicitation`) with the decision as `codex.approval.decision`, and counts in the metric
/// `codex.approvals` (by `codex.approval.kind` and `codex.approval.decision`). The decision
/// of a permissions answer is `decline` when it grants nothing, `accept_for_session` when it
/// grants for the session, else `accept`; of an answer to questions, `decline` when it
/// answers none, else `accept`; of an elicitation, its action. Tool calls are not asked of
/// the user: their spans come from the turn's items.
///
/// # Errors
///
/// A handler's or a tool's failure is an answer too (a declined request, a failed tool call).
/// The error response to send comes only for a request this function does not answer
/// (`-32601`), or, in theory, for an answer that does not serialize (`-32603`).
///
/// ```
/// use codex_agent_protocol::app_server::{ServerMessage, parse_server_message};
/// use codex_agent_tools::approval::AlwaysAccept;
/// use serde_json::json;
///
/// # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
/// let line = r#"{"id": 0, "method": "item/commandExecution/requestApproval", "params": {
///     "threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1, "command": "ls"}}"#;
/// let Ok(ServerMessage::Request(request)) = parse_server_message(line) else { unreachable!() };
/// assert_eq!(codex_agent_tools::thread_id(&request.body), Some("t"));
/// let tools = codex_agent_tools::registry::ToolRegistry::new().session();
/// let result = codex_agent_tools::answer(request.body, &AlwaysAccept, &tools).await;
/// assert_eq!(result, Ok(json!({"decision": "accept"})));
/// # });
/// ```
///
/// # Cancel safety
///
/// Dropping the future drops the handler's or the tool's future and answers nothing; the
/// caller must then answer the request some other way (codex blocks on an unanswered one).
pub async fn answer(
    request: ServerRequest,
    handler: &dyn ApprovalHandler,
    tools: &ToolSession,
) -> Result<Value, JsonRpcError> {
    match request {
        ServerRequest::CommandExecutionRequestApproval(params) => {
            const KIND: &str = "command_execution";
            let span = spans::approval(KIND, &params.item_id);
            let decision = handler
                .command_execution(&params)
                .instrument(span.clone())
                .await;
            spans::decided(&span, KIND, &decision);
            to_value(&CommandExecutionRequestApprovalResponse::new(
                decision.for_command(),
            ))
        }
        ServerRequest::FileChangeRequestApproval(params) => {
            const KIND: &str = "file_change";
            let span = spans::approval(KIND, &params.item_id);
            let decision = handler.file_change(&params).instrument(span.clone()).await;
            spans::decided(&span, KIND, &decision);
            to_value(&FileChangeRequestApprovalResponse::new(
                decision.for_file_change(),
            ))
        }
        ServerRequest::PermissionsRequestApproval(params) => {
            const KIND: &str = "permissions";
            let span = spans::approval(KIND, &params.item_id);
            let answer = handler.permissions(&params).instrument(span.clone()).await;
            spans::answered(&span, KIND, spans::permissions_decision(&answer));
            to_value(&answer)
        }
        ServerRequest::ToolRequestUserInput(params) => {
            const KIND: &str = "user_input";
            let span = spans::approval(KIND, &params.item_id);
            let answer = handler.user_input(&params).instrument(span.clone()).await;
            spans::answered(&span, KIND, spans::user_input_decision(&answer));
            to_value(&answer)
        }
        ServerRequest::McpServerElicitationRequest(params) => {
            const KIND: &str = "elicitation";
            let span = spans::approval(KIND, "");
            let answer = handler.elicitation(&params).instrument(span.clone()).await;
            spans::answered(&span, KIND, spans::elicitation_decision(&answer));
            to_value(&answer)
        }
        ServerRequest::DynamicToolCall(params) => {
            let result = tools
                .call(params.namespace.as_deref(), &params.tool, params.arguments)
                .await;
            to_value(&tools::dynamic_response(result))
        }
        other => Err(JsonRpcError::new(
            JsonRpcError::METHOD_NOT_FOUND,
            format!("this client does not answer `{}`", other.method()),
        )),
    }
}

fn to_value(answer: &impl Serialize) -> Result<Value, JsonRpcError> {
    serde_json::to_value(answer).map_err(|e| {
        JsonRpcError::new(
            JsonRpcError::INTERNAL_ERROR,
            format!("the answer does not serialize: {e}"),
        )
    })
}
