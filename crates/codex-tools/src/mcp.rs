//! [`McpServer`]: a [`ToolRegistry`](crate::registry::ToolRegistry) served to `codex exec` by
//! an in-process MCP server (feature `mcp`).
//!
//! `codex exec` has no dynamic tools, but it calls MCP servers declared per run
//! (`-c mcp_servers.<name>.url=…`). The server listens on `127.0.0.1` on a random port and
//! speaks MCP's streamable HTTP transport (the official `rmcp` crate, stateless, JSON
//! responses). Every request must carry `Authorization: Bearer <token>`, with a token drawn
//! fresh for each server; anything else gets HTTP 401. codex reads the token from the
//! environment variable named by `bearer_token_env_var`, so the token never appears in argv.
//!
//! Each turn is served under a route of its own ([`McpServer::serve`]): a random path segment
//! that selects the turn's [`ToolSession`], so that dropping the [`McpRoute`] (the turn ended
//! or was dropped) cancels the turn's calls and makes the path answer 404. Tools without a
//! namespace are served as the MCP server [`DEFAULT_SERVER`]; each namespace is an MCP server
//! of its own name (the model sees `mcp__<name>`).
//!
//! A route with [`Hooks`] also serves the MCP server [`HOOK_SERVER`], whose one tool
//! [`HOOK_TOOL`] is the target of codex's `mcp_tool` hook handlers: codex calls it with the
//! templated input of [`Hooks::codex_config`] (such as
//! `{"event": "PreToolUse", "tool_name": …, "command": …}` before a tool runs), and gets the
//! hooks' answer back ([`Hooks::answer`]; see [`hooks`](crate::hooks)).
//!
//! Dropping the [`McpServer`] closes the port and ends every task it started.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::fmt;
use std::io::{self, Read as _};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use codex_agent_protocol::secret::Secret;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::hooks::Hooks;
use crate::registry::ToolSession;
use crate::tools::{ToolError, ToolOutput};

/// The MCP server name of the tools without a namespace.
pub const DEFAULT_SERVER: &str = "host";

/// The MCP server name of the hooks of a route (reserved: no tool namespace may take it).
pub const HOOK_SERVER: &str = "codex_sdk_hooks";

/// The tool of [`HOOK_SERVER`] that codex's `mcp_tool` hook handlers call.
pub const HOOK_TOOL: &str = "run_hook";

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// The routes of a server: route id → the turn's session and hooks.
type Routes = Arc<Mutex<HashMap<String, (ToolSession, Hooks)>>>;

/// An MCP server on `127.0.0.1` serving tool sessions, one route per turn.
pub struct McpServer {
    addr: SocketAddr,
    token: Secret,
    routes: Routes,
    shutdown: CancellationToken,
}

impl fmt::Debug for McpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpServer")
            .field("addr", &self.addr)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl McpServer {
    /// Binds `127.0.0.1` on a random port, draws a fresh bearer token, and serves in a
    /// background task until dropped. Must run inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// The IO error of binding the port or of reading the system's randomness.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropped before it returns, nothing is left listening.
    pub async fn start() -> io::Result<Self> {
        Self::start_with_token(Self::fresh_token()?).await
    }

    /// A fresh random bearer token, for [`start_with_token`](Self::start_with_token) when the
    /// token must be known before the server starts (to hand it to a long-lived codex
    /// app-server through its environment).
    ///
    /// # Errors
    ///
    /// The IO error of reading the system's randomness.
    pub fn fresh_token() -> io::Result<Secret> {
        Ok(Secret::new(random_hex(32)?))
    }

    /// As [`start`](Self::start), with `token` as the bearer token every request must carry.
    ///
    /// # Errors
    ///
    /// The IO error of binding the port.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropped before it returns, nothing is left listening.
    pub async fn start_with_token(token: Secret) -> io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let routes: Routes = Arc::default();
        let shutdown = CancellationToken::new();
        let mut config = StreamableHttpServerConfig::default();
        config.legacy_session_mode = false;
        config.json_response = true;
        config.sse_keep_alive = None;
        config.cancellation_token = shutdown.child_token();
        let service = StreamableHttpService::new(
            || Ok(HostTools),
            Arc::new(NeverSessionManager::default()),
            config,
        );
        let state = Arc::new(State {
            expected: format!("Bearer {}", token.expose()),
            routes: Arc::clone(&routes),
            service,
        });
        tokio::spawn(accept_loop(listener, state, shutdown.clone()));
        tracing::debug!(%addr, "MCP tool server listening");
        Ok(Self {
            addr,
            token,
            routes,
            shutdown,
        })
    }

    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token every request must carry.
    #[must_use]
    pub fn bearer_token(&self) -> &Secret {
        &self.token
    }

    /// Serves `session` and `hooks` under a fresh route until the returned [`McpRoute`] is
    /// dropped. The hooks are served as [`HOOK_SERVER`] when there are any.
    ///
    /// # Errors
    ///
    /// The IO error of reading the system's randomness.
    pub fn serve(&self, session: ToolSession, hooks: Hooks) -> io::Result<McpRoute> {
        self.open_route(session, hooks, true)
    }

    /// Serves only `hooks`, as [`HOOK_SERVER`], under a fresh route until the returned
    /// [`McpRoute`] is dropped (the app-server transport, whose tools are dynamic tools).
    ///
    /// # Errors
    ///
    /// The IO error of reading the system's randomness.
    pub fn serve_hooks(&self, hooks: Hooks) -> io::Result<McpRoute> {
        let session = crate::registry::ToolRegistry::new().session();
        self.open_route(session, hooks, false)
    }

    fn open_route(
        &self,
        session: ToolSession,
        hooks: Hooks,
        with_tools: bool,
    ) -> io::Result<McpRoute> {
        let id = random_hex(16)?;
        let mut servers: BTreeSet<String> = BTreeSet::new();
        if with_tools {
            for tool in session.registry().list() {
                servers.insert(tool.namespace_name().unwrap_or(DEFAULT_SERVER).to_owned());
            }
        }
        if !hooks.is_empty() {
            servers.insert(HOOK_SERVER.to_owned());
        }
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.clone(), (session.clone(), hooks));
        let servers = servers
            .into_iter()
            .map(|name| {
                let url = format!("http://{}/{id}/{name}/mcp", self.addr);
                (name, url)
            })
            .collect();
        Ok(McpRoute {
            id,
            routes: Arc::clone(&self.routes),
            session,
            servers,
        })
    }
}

/// One turn's route on an [`McpServer`]. Dropping it cancels the turn's calls and removes
/// the route.
pub struct McpRoute {
    id: String,
    routes: Routes,
    session: ToolSession,
    servers: Vec<(String, String)>,
}

impl fmt::Debug for McpRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpRoute")
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

impl McpRoute {
    /// The MCP servers to declare to codex, as `(name, url)`: [`DEFAULT_SERVER`] for the
    /// tools without a namespace, one per namespace, as registered when the route was made.
    #[must_use]
    pub fn servers(&self) -> &[(String, String)] {
        &self.servers
    }

    /// The session the route serves.
    #[must_use]
    pub fn session(&self) -> &ToolSession {
        &self.session
    }
}

impl Drop for McpRoute {
    fn drop(&mut self) {
        self.session.cancel();
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

struct State {
    expected: String,
    routes: Routes,
    service: StreamableHttpService<HostTools, NeverSessionManager>,
}

/// Accepts connections until `shutdown`; each connection ends with it too.
async fn accept_loop(listener: TcpListener, state: Arc<State>, shutdown: CancellationToken) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::debug!(%error, "MCP tool server: accept failed");
                    continue;
                }
            },
            () = shutdown.cancelled() => return,
        };
        let state = Arc::clone(&state);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "MCP tool server: connection failed");
                    }
                }
                () = shutdown.cancelled() => {}
            }
        });
    }
}

/// Checks the token, finds the route, and hands the request to rmcp.
async fn handle(state: &State, mut request: Request<Incoming>) -> Response<Body> {
    let authorized = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .is_some_and(|value| constant_time_eq(value.as_bytes(), state.expected.as_bytes()));
    if !authorized {
        return status(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
    }
    let segments: Vec<&str> = request.uri().path().split('/').collect();
    let (route, server) = match segments.as_slice() {
        ["", route, server, "mcp"] => ((*route).to_owned(), (*server).to_owned()),
        _ => return status(StatusCode::NOT_FOUND, "no such route"),
    };
    let Some((session, hooks)) = state
        .routes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&route)
        .cloned()
    else {
        return status(StatusCode::NOT_FOUND, "no such route");
    };
    let hooks = (server == HOOK_SERVER).then_some(hooks);
    let namespace = (server != DEFAULT_SERVER).then_some(server);
    request.extensions_mut().insert(RouteContext {
        session,
        namespace,
        hooks,
    });
    state.service.handle(request).await
}

fn status(code: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    *response.status_mut() = code;
    if code == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `bytes` random bytes, hex-encoded.
fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().fold(String::new(), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// What a request's route selected: the turn's session and the namespace of its MCP server.
#[derive(Clone)]
struct RouteContext {
    session: ToolSession,
    namespace: Option<String>,
    /// Set when the request is for [`HOOK_SERVER`].
    hooks: Option<Hooks>,
}

/// The rmcp handler: lists and calls the tools of the request's route.
#[derive(Clone, Copy)]
struct HostTools;

fn route(context: &RequestContext<RoleServer>) -> Result<RouteContext, McpError> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RouteContext>())
        .cloned()
        .ok_or_else(|| McpError::internal_error("no route for this request", None))
}

impl ServerHandler for HostTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let route = route(&context)?;
        if route.hooks.is_some() {
            let hook = rmcp::model::Tool::new(
                HOOK_TOOL,
                "Runs the host program's hooks (called by codex's hook runner).",
                serde_json::Map::from_iter([("type".to_owned(), serde_json::json!("object"))]),
            );
            return Ok(ListToolsResult::with_all_items(vec![hook]));
        }
        let tools = route
            .session
            .registry()
            .list()
            .into_iter()
            .filter(|tool| tool.namespace_name() == route.namespace.as_deref())
            .map(|tool| {
                let schema = match tool.input_schema() {
                    Ok(serde_json::Value::Object(schema)) => schema.clone(),
                    _ => serde_json::Map::new(),
                };
                let annotations = tool.annotations();
                let mut hints = rmcp::model::ToolAnnotations::new();
                if let Some(read_only) = annotations.read_only {
                    hints = hints.read_only(read_only);
                }
                if let Some(destructive) = annotations.destructive {
                    hints = hints.destructive(destructive);
                }
                if let Some(idempotent) = annotations.idempotent {
                    hints = hints.idempotent(idempotent);
                }
                rmcp::model::Tool::new(
                    tool.name().to_owned(),
                    tool.description().to_owned(),
                    schema,
                )
                .with_annotations(hints)
            })
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let route = route(&context)?;
        if let Some(hooks) = &route.hooks {
            return Ok(hook_result(hooks, &request).await.into());
        }
        let arguments = serde_json::Value::Object(request.arguments.unwrap_or_default());
        let call = route
            .session
            .call(route.namespace.as_deref(), &request.name, arguments);
        // rmcp cancels `context.ct` when the client sends `notifications/cancelled`.
        let result = tokio::select! {
            result = call => result,
            () = context.ct.cancelled() => Err(ToolError::new("the call was cancelled by codex")),
        };
        Ok(call_tool_result(result).into())
    }
}

/// Runs the hooks for a call of [`HOOK_TOOL`] and answers codex's hook protocol as JSON text.
async fn hook_result(hooks: &Hooks, request: &CallToolRequestParams) -> CallToolResult {
    if request.name != HOOK_TOOL {
        return CallToolResult::error(vec![ContentBlock::text(format!(
            "no hook tool named {}",
            request.name
        ))]);
    }
    let arguments = serde_json::Value::Object(request.arguments.clone().unwrap_or_default());
    let started = std::time::Instant::now();
    let output = hooks.answer(&arguments).await;
    tracing::debug!(event = ?arguments.get("event"), %output, elapsed = ?started.elapsed(), "hook");
    let mut result = CallToolResult::success(vec![ContentBlock::text(output.to_string())]);
    result.structured_content = Some(output);
    result
}

/// A call's result as MCP content: text parts, `data:` images, the structured value.
fn call_tool_result(result: Result<ToolOutput, ToolError>) -> CallToolResult {
    match result {
        Ok(output) => {
            let content = output.items().iter().map(content_block).collect();
            let mut result = CallToolResult::success(content);
            result.structured_content = output.structured().cloned();
            result
        }
        Err(error) => CallToolResult::error(vec![ContentBlock::text(error.message())]),
    }
}

fn content_block(
    item: &codex_agent_protocol::app_server::DynamicToolCallOutputContentItem,
) -> ContentBlock {
    use codex_agent_protocol::app_server::DynamicToolCallOutputContentItem as Item;
    match item {
        Item::InputText(text) => ContentBlock::text(text.text.clone()),
        Item::InputImage(image) => {
            let url = image.image_url.as_str();
            match url
                .strip_prefix("data:")
                .and_then(|rest| rest.split_once(";base64,"))
            {
                Some((mime, data)) => ContentBlock::image(data, mime),
                None => ContentBlock::text(url.to_owned()),
            }
        }
        other => ContentBlock::text(serde_json::to_string(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::tools::ToolOutput;

    #[test]
    fn results_become_mcp_content() {
        let value = |result| serde_json::to_value(call_tool_result(result)).expect("json");
        assert_eq!(
            value(Ok(ToolOutput::json(json!({"sum": 3}))
                .and_image("image/png", "AA")
                .and_image_url("https://x/y.png"))),
            json!({
                "content": [
                    {"type": "text", "text": "{\"sum\":3}"},
                    {"type": "image", "data": "AA", "mimeType": "image/png"},
                    {"type": "text", "text": "https://x/y.png"}
                ],
                "structuredContent": {"sum": 3},
                "isError": false,
                "resultType": "complete"
            })
        );
        assert_eq!(
            value(Err(ToolError::new("no"))),
            json!({"content": [{"type": "text", "text": "no"}], "isError": true, "resultType": "complete"})
        );
    }
}
