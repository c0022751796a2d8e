//! Answering the requests `codex app-server` sends the client: [`Handlers`], keyed by method,
//! and the safe default answer for each method.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use codex_agent_protocol::app_server::{
    CommandExecutionApprovalDecision, CommandExecutionRequestApprovalParams,
    CommandExecutionRequestApprovalResponse, DynamicToolCallOutputContentItem,
    DynamicToolCallParams, DynamicToolCallResponse, FileChangeApprovalDecision,
    FileChangeRequestApprovalParams, FileChangeRequestApprovalResponse, GrantedPermissionProfile,
    JsonRpcError, McpServerElicitationAction, McpServerElicitationRequestParams,
    McpServerElicitationRequestResponse, PermissionsRequestApprovalParams,
    PermissionsRequestApprovalResponse, ServerRequest, ToolRequestUserInputParams,
    ToolRequestUserInputResponse,
};
use serde::Serialize;
use serde_json::Value;

/// JSON-RPC "method not found".
pub const METHOD_NOT_FOUND: i64 = JsonRpcError::METHOD_NOT_FOUND;
/// JSON-RPC "invalid params".
pub const INVALID_PARAMS: i64 = JsonRpcError::INVALID_PARAMS;
/// JSON-RPC "internal error".
pub const INTERNAL_ERROR: i64 = JsonRpcError::INTERNAL_ERROR;

/// The future a [`ServerRequestHandler`] returns: the `result` of the response, or the error
/// to send instead.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, JsonRpcError>> + Send>>;

/// Answers server requests of one method.
///
/// Implemented for every `Fn(ServerRequest) -> impl Future<Output = Result<Value,
/// JsonRpcError>>`; the typed registration methods of [`Handlers`] are usually more
/// convenient. The future runs on its own task, so a slow handler holds up nothing but its own
/// request.
pub trait ServerRequestHandler: Send + Sync + 'static {
    /// Answers one request.
    fn handle(&self, request: ServerRequest) -> HandlerFuture;
}

impl<F, Fut> ServerRequestHandler for F
where
    F: Fn(ServerRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, JsonRpcError>> + Send + 'static,
{
    fn handle(&self, request: ServerRequest) -> HandlerFuture {
        Box::pin(self(request))
    }
}

/// The handlers of server requests, by method. Clones share one table, so handlers can be
/// added or replaced while the connection runs
/// ([`AppServer::handlers`](super::AppServer::handlers)).
///
/// Every server request gets exactly one answer, because an unanswered one blocks its turn
/// forever. The handler registered for the method answers it; when there is none, when it
/// does not answer within
/// [`AppServerOptions::server_request_timeout`](super::AppServerOptions::server_request_timeout),
/// or when it panics, the client sends the default:
///
/// | method | default answer |
/// |---|---|
/// | `item/commandExecution/requestApproval` | `{"decision": "decline"}`: the command does not run, the turn goes on |
/// | `item/fileChange/requestApproval` | `{"decision": "decline"}` |
/// | `item/permissions/requestApproval` | `{"permissions": {}}`: nothing granted |
/// | `item/tool/requestUserInput` | `{"answers": {}}`: no answers |
/// | `mcpServer/elicitation/request` | `{"action": "decline"}` |
/// | `item/tool/call` | `{"success": false, "contentItems": [{"type": "inputText", "text": "no handler …"}]}` |
/// | `execCommandApproval`, `applyPatchApproval` (legacy v1) | `{"decision": "denied"}` |
/// | anything else | JSON-RPC error `-32601` (method not found) |
///
/// ```
/// use codex_agent_exec::app_server::Handlers;
/// use codex_agent_protocol::app_server::{
///     CommandExecutionApprovalDecision, DynamicToolCallOutputContentItem, DynamicToolCallResponse,
/// };
///
/// let handlers = Handlers::new();
/// handlers
///     .on_command_approval(|params| async move {
///         if params.command.as_deref().is_some_and(|c| c.contains("rm ")) {
///             CommandExecutionApprovalDecision::Decline
///         } else {
///             CommandExecutionApprovalDecision::Accept
///         }
///     })
///     .on_dynamic_tool_call(|call| async move {
///         let text = format!("weather in {}: sunny", call.arguments["city"]);
///         DynamicToolCallResponse::new(vec![DynamicToolCallOutputContentItem::text(text)], true)
///     });
/// assert!(handlers.contains("item/tool/call"));
/// ```
#[derive(Clone, Default)]
pub struct Handlers {
    table: Arc<RwLock<HashMap<String, Arc<dyn ServerRequestHandler>>>>,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        let mut methods: Vec<&str> = table.keys().map(String::as_str).collect();
        methods.sort_unstable();
        f.debug_struct("Handlers")
            .field("methods", &methods)
            .finish()
    }
}

impl Handlers {
    /// No handlers: every request gets its default answer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `method`, replacing an earlier one.
    pub fn set(&self, method: impl Into<String>, handler: impl ServerRequestHandler) -> &Self {
        self.table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(method.into(), Arc::new(handler));
        self
    }

    /// Removes the handler of `method`; its requests get the default answer again.
    pub fn remove(&self, method: &str) -> &Self {
        self.table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(method);
        self
    }

    /// Whether a handler is registered for `method`.
    #[must_use]
    pub fn contains(&self, method: &str) -> bool {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(method)
    }

    pub(crate) fn get(&self, method: &str) -> Option<Arc<dyn ServerRequestHandler>> {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(method)
            .cloned()
    }

    /// Decides `item/commandExecution/requestApproval`: whether codex may run a command.
    pub fn on_command_approval<F, Fut>(&self, decide: F) -> &Self
    where
        F: Fn(CommandExecutionRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CommandExecutionApprovalDecision> + Send + 'static,
    {
        self.set(
            "item/commandExecution/requestApproval",
            Typed {
                extract: |request| match request {
                    ServerRequest::CommandExecutionRequestApproval(params) => Some(*params),
                    _ => None,
                },
                answer: move |params| {
                    let decision = decide(params);
                    async move { CommandExecutionRequestApprovalResponse::new(decision.await) }
                },
            },
        )
    }

    /// Decides `item/fileChange/requestApproval`: whether codex may apply a patch.
    pub fn on_file_change_approval<F, Fut>(&self, decide: F) -> &Self
    where
        F: Fn(FileChangeRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = FileChangeApprovalDecision> + Send + 'static,
    {
        self.set(
            "item/fileChange/requestApproval",
            Typed {
                extract: |request| match request {
                    ServerRequest::FileChangeRequestApproval(params) => Some(*params),
                    _ => None,
                },
                answer: move |params| {
                    let decision = decide(params);
                    async move { FileChangeRequestApprovalResponse::new(decision.await) }
                },
            },
        )
    }

    /// Answers `item/permissions/requestApproval`: which of the requested permissions to
    /// grant.
    pub fn on_permissions_approval<F, Fut>(&self, decide: F) -> &Self
    where
        F: Fn(PermissionsRequestApprovalParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = PermissionsRequestApprovalResponse> + Send + 'static,
    {
        self.set(
            "item/permissions/requestApproval",
            Typed {
                extract: |request| match request {
                    ServerRequest::PermissionsRequestApproval(params) => Some(*params),
                    _ => None,
                },
                answer: decide,
            },
        )
    }

    /// Answers `item/tool/requestUserInput`: the agent's questions to the user.
    pub fn on_user_input<F, Fut>(&self, answer: F) -> &Self
    where
        F: Fn(ToolRequestUserInputParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ToolRequestUserInputResponse> + Send + 'static,
    {
        self.set(
            "item/tool/requestUserInput",
            Typed {
                extract: |request| match request {
                    ServerRequest::ToolRequestUserInput(params) => Some(*params),
                    _ => None,
                },
                answer,
            },
        )
    }

    /// Answers `mcpServer/elicitation/request`: an MCP server asks the user for input.
    pub fn on_elicitation<F, Fut>(&self, answer: F) -> &Self
    where
        F: Fn(McpServerElicitationRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = McpServerElicitationRequestResponse> + Send + 'static,
    {
        self.set(
            "mcpServer/elicitation/request",
            Typed {
                extract: |request| match request {
                    ServerRequest::McpServerElicitationRequest(params) => Some(*params),
                    _ => None,
                },
                answer,
            },
        )
    }

    /// Runs dynamic tools (`item/tool/call`), the tools registered with
    /// `thread/start.dynamicTools`. One handler serves every tool: dispatch on
    /// [`DynamicToolCallParams::tool`].
    pub fn on_dynamic_tool_call<F, Fut>(&self, call: F) -> &Self
    where
        F: Fn(DynamicToolCallParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = DynamicToolCallResponse> + Send + 'static,
    {
        self.set(
            "item/tool/call",
            Typed {
                extract: |request| match request {
                    ServerRequest::DynamicToolCall(params) => Some(*params),
                    _ => None,
                },
                answer: call,
            },
        )
    }
}

/// A handler for one known method: takes its typed params out of the request, answers with a
/// typed response.
struct Typed<P, F> {
    extract: fn(ServerRequest) -> Option<P>,
    answer: F,
}

impl<P, F, Fut, R> ServerRequestHandler for Typed<P, F>
where
    P: Send + 'static,
    F: Fn(P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: Serialize + 'static,
{
    fn handle(&self, request: ServerRequest) -> HandlerFuture {
        let method = request.method().to_owned();
        match (self.extract)(request) {
            Some(params) => {
                let answer = (self.answer)(params);
                Box::pin(async move {
                    serde_json::to_value(answer.await).map_err(|e| {
                        JsonRpcError::new(
                            INTERNAL_ERROR,
                            format!("the answer to `{method}` does not serialize: {e}"),
                        )
                    })
                })
            }
            None => Box::pin(std::future::ready(Err(JsonRpcError::new(
                INTERNAL_ERROR,
                format!("the handler registered for `{method}` cannot answer it"),
            )))),
        }
    }
}

/// The answer sent when no handler answers (see [`Handlers`]).
pub(crate) fn default_answer(request: &ServerRequest) -> Result<Value, JsonRpcError> {
    fn value(answer: impl Serialize) -> Result<Value, JsonRpcError> {
        serde_json::to_value(answer).map_err(|e| JsonRpcError::new(INTERNAL_ERROR, e.to_string()))
    }
    match request {
        ServerRequest::CommandExecutionRequestApproval(_) => value(
            CommandExecutionRequestApprovalResponse::new(CommandExecutionApprovalDecision::Decline),
        ),
        ServerRequest::FileChangeRequestApproval(_) => value(
            FileChangeRequestApprovalResponse::new(FileChangeApprovalDecision::Decline),
        ),
        ServerRequest::PermissionsRequestApproval(_) => value(
            PermissionsRequestApprovalResponse::new(GrantedPermissionProfile::default()),
        ),
        ServerRequest::ToolRequestUserInput(_) => {
            value(ToolRequestUserInputResponse::new(BTreeMap::new()))
        }
        ServerRequest::McpServerElicitationRequest(_) => value(
            McpServerElicitationRequestResponse::new(McpServerElicitationAction::Decline),
        ),
        ServerRequest::DynamicToolCall(call) => value(DynamicToolCallResponse::new(
            vec![DynamicToolCallOutputContentItem::text(format!(
                "no handler is registered for the dynamic tool `{}` in this client",
                call.tool
            ))],
            false,
        )),
        ServerRequest::Unknown { method, .. }
            if method == "execCommandApproval" || method == "applyPatchApproval" =>
        {
            Ok(serde_json::json!({ "decision": "denied" }))
        }
        other => Err(JsonRpcError::new(
            METHOD_NOT_FOUND,
            format!(
                "method not found: this client cannot answer `{}`",
                other.method()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use codex_agent_protocol::app_server::{ServerMessage, parse_server_message};
    use serde_json::json;

    use super::*;

    fn request(method: &str, params: &Value) -> ServerRequest {
        let line = json!({"id": 0, "method": method, "params": params}).to_string();
        match parse_server_message(&line).expect("a request") {
            ServerMessage::Request(r) => r.body,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn ids(extra: &Value) -> Value {
        let mut params = json!({"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        params
    }

    #[test]
    fn defaults_decline_or_refuse() {
        let cases = [
            (
                request("item/commandExecution/requestApproval", &ids(&json!({}))),
                Ok(json!({"decision": "decline"})),
            ),
            (
                request(
                    "item/fileChange/requestApproval",
                    &ids(&json!({"reason": null, "grantRoot": null})),
                ),
                Ok(json!({"decision": "decline"})),
            ),
            (
                request(
                    "item/permissions/requestApproval",
                    &ids(&json!({"cwd": "/w", "environmentId": null, "reason": null,
                        "permissions": {"fileSystem": null, "network": null}})),
                ),
                Ok(json!({"permissions": {}})),
            ),
            (
                request(
                    "item/tool/requestUserInput",
                    &json!({"threadId": "t", "turnId": "u", "itemId": "i", "isBlocking": true,
                        "questions": [], "autoResolutionMs": null}),
                ),
                Ok(json!({"answers": {}})),
            ),
            (
                request(
                    "mcpServer/elicitation/request",
                    &json!({"threadId": "t", "serverName": "s", "turnId": null, "mode": "form"}),
                ),
                Ok(json!({"action": "decline"})),
            ),
            (
                request(
                    "item/tool/call",
                    &json!({"threadId": "t", "turnId": "u", "callId": "c", "namespace": null,
                        "tool": "lookup", "arguments": {}}),
                ),
                Ok(
                    json!({"success": false, "contentItems": [{"type": "inputText",
                    "text": "no handler is registered for the dynamic tool `lookup` in this client"}]}),
                ),
            ),
            (
                request("execCommandApproval", &json!({})),
                Ok(json!({"decision": "denied"})),
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(default_answer(&request), expected, "{}", request.method());
        }
        let unknown = default_answer(&request("attestation/generate", &json!({})));
        let error = unknown.expect_err("unknown methods are refused");
        assert_eq!(error.code, METHOD_NOT_FOUND);
        assert!(error.message.contains("attestation/generate"), "{error:?}");
    }

    #[tokio::test]
    async fn typed_handlers_answer_their_method_only() {
        let handlers = Handlers::new();
        handlers.on_command_approval(|_| async { CommandExecutionApprovalDecision::Accept });
        let handler = handlers
            .get("item/commandExecution/requestApproval")
            .expect("registered");
        let answer = handler
            .handle(request(
                "item/commandExecution/requestApproval",
                &ids(&json!({})),
            ))
            .await;
        assert_eq!(answer, Ok(json!({"decision": "accept"})));
        let wrong = handler
            .handle(request("execCommandApproval", &json!({})))
            .await
            .expect_err("a request of another method");
        assert_eq!(wrong.code, INTERNAL_ERROR);
        assert_eq!(
            format!("{handlers:?}"),
            r#"Handlers { methods: ["item/commandExecution/requestApproval"] }"#
        );
        handlers.remove("item/commandExecution/requestApproval");
        assert!(!handlers.contains("item/commandExecution/requestApproval"));
    }
}
