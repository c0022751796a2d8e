//! [`answer`]: one server request of `codex app-server`, answered with an approval handler and
//! a set of dynamic tools. Pure: no IO, no runtime, no state of its own.

use codex_protocol::app_server::{
    CommandExecutionRequestApprovalResponse, FileChangeRequestApprovalResponse, JsonRpcError,
    ServerRequest,
};
use serde::Serialize;
use serde_json::Value;

use crate::approval::ApprovalHandler;
use crate::tools::{self, DynamicTool};

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
/// | `item/tool/call` | the tool of `tools` with that name ([`DynamicTool::call`]); for a name not in `tools`, or a namespaced tool (`namespace/name`), `success: false` with a text naming it |
/// | anything else | error `-32601` (method not found) |
///
/// # Errors
///
/// A handler's or a tool's failure is an answer too (a declined request, a failed tool call).
/// The error response to send comes only for a request this function does not answer
/// (`-32601`), or, in theory, for an answer that does not serialize (`-32603`).
///
/// ```
/// use codex_protocol::app_server::{ServerMessage, parse_server_message};
/// use codex_tools::approval::AlwaysAccept;
/// use serde_json::json;
///
/// # futures::executor::block_on(async {
/// let line = r#"{"id": 0, "method": "item/commandExecution/requestApproval", "params": {
///     "threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1, "command": "ls"}}"#;
/// let Ok(ServerMessage::Request(request)) = parse_server_message(line) else { unreachable!() };
/// assert_eq!(codex_tools::thread_id(&request.body), Some("t"));
/// let result = codex_tools::answer(request.body, &AlwaysAccept, &[]).await;
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
    tools: &[DynamicTool],
) -> Result<Value, JsonRpcError> {
    match request {
        ServerRequest::CommandExecutionRequestApproval(params) => {
            let decision = handler.command_execution(&params).await;
            to_value(&CommandExecutionRequestApprovalResponse::new(
                decision.for_command(),
            ))
        }
        ServerRequest::FileChangeRequestApproval(params) => {
            let decision = handler.file_change(&params).await;
            to_value(&FileChangeRequestApprovalResponse::new(
                decision.for_file_change(),
            ))
        }
        ServerRequest::PermissionsRequestApproval(params) => {
            to_value(&handler.permissions(&params).await)
        }
        ServerRequest::ToolRequestUserInput(params) => to_value(&handler.user_input(&params).await),
        ServerRequest::McpServerElicitationRequest(params) => {
            to_value(&handler.elicitation(&params).await)
        }
        ServerRequest::DynamicToolCall(params) => {
            // Namespaced tools belong to someone else (codex's own integrations); dynamic
            // tools declared with `thread/start` have no namespace.
            let tool = params
                .namespace
                .is_none()
                .then(|| tools.iter().find(|t| t.name() == params.tool))
                .flatten();
            if let Some(tool) = tool {
                to_value(&tool.call(params.arguments).await)
            } else {
                let name = match &params.namespace {
                    Some(namespace) => format!("{namespace}/{}", params.tool),
                    None => params.tool,
                };
                tracing::debug!(tool = %name, "call of an undeclared dynamic tool");
                to_value(&tools::unknown_tool(&name))
            }
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
