//! An MCP client for external MCP servers, on the official `rmcp` crate (feature `mcp`).
//!
//! [`McpClient::connect`] starts a server (stdio, through a [`ProcessLauncher`]) or connects to
//! one (streamable HTTP, with an optional bearer token), runs the handshake within
//! [`McpClientOptions::handshake_timeout`], and then supervises the connection: when the
//! server dies, calls in flight fail with [`Error::Disconnected`], and the server is started
//! again with exponential backoff, at most [`McpClientOptions::max_restarts`] times. A
//! `notifications/tools/list_changed` refreshes the tool list ([`McpClient::tools`],
//! [`McpClient::watch_tools`]). Dropping the last clone of the client stops the server and
//! reaps its process group.
//!
//! [`import`] makes the server's tools host tools of a [`ToolRegistry`](crate::registry::ToolRegistry)
//! (allow and deny filters, a namespace), so codex calls them through this SDK, where
//! approvals, hooks and metrics apply.
//!
//! [`ProcessLauncher`]: crate::process::ProcessLauncher

mod import;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use codex_agent_protocol::secret::Secret;
use rmcp::model::{
    CallToolRequest, ClientCapabilities, ClientConfig, ClientRequest, Implementation,
    ProgressNotificationParam, ProgressToken, ServerResult,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, Peer, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::process::{LaunchSpec, LaunchedProcess, ProcessLauncher, floor_char_boundary};
use crate::tools::{ToolError, ToolOutput};

pub use import::{Import, ImportOptions, import};

/// The marker appended to a tool result cut at [`McpClientOptions::max_result_bytes`].
pub const TRUNCATION_MARKER: &str = "[… result truncated by codex-sdk: over the size limit]";

/// What went wrong talking to an MCP server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be started.
    #[error("could not start MCP server `{server}`: {message}")]
    Launch {
        /// The server's name.
        server: String,
        /// Why.
        message: String,
    },
    /// The handshake failed or did not finish in time (not an MCP server, exited at once, or
    /// never answered).
    #[error("MCP server `{server}` failed the handshake: {message}")]
    Handshake {
        /// The server's name.
        server: String,
        /// Why, with the server's stderr tail for stdio servers.
        message: String,
    },
    /// The connection to the server was lost while the request was in flight.
    #[error("MCP server `{server}` disconnected")]
    Disconnected {
        /// The server's name.
        server: String,
    },
    /// The server died more often than [`McpClientOptions::max_restarts`] allows, or the
    /// client was shut down; no more requests go to it.
    #[error("MCP server `{server}` is gone: {message}")]
    Gone {
        /// The server's name.
        server: String,
        /// Why.
        message: String,
    },
    /// The request did not complete in time; it was cancelled on the server.
    #[error("MCP request `{method}` to `{server}` timed out after {timeout:?}")]
    Timeout {
        /// The server's name.
        server: String,
        /// The MCP method.
        method: String,
        /// The limit.
        timeout: Duration,
    },
    /// The server answered with a JSON-RPC error.
    #[error("MCP server `{server}` refused `{method}`: {message}")]
    Rpc {
        /// The server's name.
        server: String,
        /// The MCP method.
        method: String,
        /// The JSON-RPC error code.
        code: i32,
        /// The error message.
        message: String,
    },
    /// The server does not offer this capability (resources, prompts).
    #[error("MCP server `{server}` does not offer {capability}")]
    Unsupported {
        /// The server's name.
        server: String,
        /// The capability.
        capability: &'static str,
    },
    /// The server's answer was not what the method returns.
    #[error("MCP server `{server}` sent an unexpected answer to `{method}`")]
    Protocol {
        /// The server's name.
        server: String,
        /// The MCP method.
        method: String,
    },
}

/// How to reach an MCP server.
#[derive(Clone)]
#[non_exhaustive]
pub enum McpTransport {
    /// A child process speaking MCP on its stdin and stdout.
    Stdio {
        /// What to run.
        spec: LaunchSpec,
        /// Who runs it (codex-agent-sdk passes one backed by codex-agent-exec).
        launcher: Arc<dyn ProcessLauncher>,
    },
    /// MCP's streamable HTTP transport (`http://` URLs; this build has no TLS).
    Http {
        /// The endpoint, such as `http://127.0.0.1:3001/mcp`.
        url: String,
        /// Sent as `Authorization: Bearer <token>` when set.
        bearer: Option<Secret>,
    },
}

impl fmt::Debug for McpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdio { spec, .. } => f.debug_struct("Stdio").field("spec", spec).finish(),
            Self::Http { url, bearer } => f
                .debug_struct("Http")
                .field("url", &url_without_credentials(url))
                .field("bearer", bearer)
                .finish(),
        }
    }
}

/// `url` without what may carry a token: its userinfo, query and fragment become
/// `[REDACTED]`. (`Debug` of the transport; the token itself belongs in `bearer`.)
fn url_without_credentials(url: &str) -> String {
    const REDACTED: &str = codex_agent_protocol::secret::REDACTED;
    let (base, hidden_tail) = match url.find(['?', '#']) {
        Some(at) => (&url[..at], Some(&url[at..=at])),
        None => (url, None),
    };
    let mut shown = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rsplit_once('@') {
                Some((_, host)) => {
                    format!("{scheme}://{REDACTED}@{host}{}", &rest[authority_end..])
                }
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(separator) = hidden_tail {
        shown.push_str(separator);
        shown.push_str(REDACTED);
    }
    shown
}

impl McpTransport {
    /// A stdio server run by `launcher` (stdin kept open as the request channel).
    pub fn stdio(launcher: Arc<dyn ProcessLauncher>, spec: LaunchSpec) -> Self {
        Self::Stdio {
            spec: spec.piped_stdin(true),
            launcher,
        }
    }

    /// A streamable-HTTP server at `url`, without authentication.
    pub fn http(url: impl Into<String>) -> Self {
        Self::Http {
            url: url.into(),
            bearer: None,
        }
    }

    /// A streamable-HTTP server at `url`, with `Authorization: Bearer <token>`.
    pub fn http_with_bearer(url: impl Into<String>, token: Secret) -> Self {
        Self::Http {
            url: url.into(),
            bearer: Some(token),
        }
    }
}

/// Limits and supervision of an [`McpClient`].
#[derive(Debug, Clone)]
#[must_use]
#[non_exhaustive]
pub struct McpClientOptions {
    name: String,
    handshake_timeout: Duration,
    request_timeout: Duration,
    max_restarts: u32,
    restart_backoff: Duration,
    max_result_bytes: usize,
}

impl Default for McpClientOptions {
    fn default() -> Self {
        Self {
            name: "mcp".to_owned(),
            handshake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_mins(1),
            max_restarts: 3,
            restart_backoff: Duration::from_millis(200),
            max_result_bytes: 1024 * 1024,
        }
    }
}

impl McpClientOptions {
    /// The defaults described on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server's name in errors and logs (and the default namespace of [`import`]).
    /// By default, `mcp`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long starting the server and the handshake may take. By default, 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long one request (a tool call, a list) may take before it is cancelled on the
    /// server. By default, 60 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How many times a server that died is started again before the client gives up.
    /// By default, 3.
    pub fn max_restarts(mut self, restarts: u32) -> Self {
        self.max_restarts = restarts;
        self
    }

    /// The wait before the first restart, doubled for each further one. By default, 200 ms.
    pub fn restart_backoff(mut self, backoff: Duration) -> Self {
        self.restart_backoff = backoff;
        self
    }

    /// The most text of one tool result kept; the rest is cut and [`TRUNCATION_MARKER`]
    /// appended. By default, 1 MiB.
    pub fn max_result_bytes(mut self, bytes: usize) -> Self {
        self.max_result_bytes = bytes;
        self
    }
}

/// What the server said about itself in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct McpServerInfo {
    /// Its implementation name.
    pub name: String,
    /// Its implementation version.
    pub version: String,
    /// The negotiated protocol version.
    pub protocol_version: String,
    /// It offers tools.
    pub tools: bool,
    /// It offers resources.
    pub resources: bool,
    /// It offers prompts.
    pub prompts: bool,
    /// Its instructions for the model, if any.
    pub instructions: Option<String>,
}

/// A tool of an MCP server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpTool {
    /// Its name on the server.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its input schema.
    pub input_schema: Value,
    /// `annotations.readOnlyHint`.
    pub read_only: Option<bool>,
    /// `annotations.destructiveHint`.
    pub destructive: Option<bool>,
    /// `annotations.idempotentHint`.
    pub idempotent: Option<bool>,
}

/// One progress notification of a call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpProgress {
    /// Progress so far.
    pub progress: f64,
    /// The total, when known.
    pub total: Option<f64>,
    /// A message, when given.
    pub message: Option<String>,
}

/// The result of a tool call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpCallResult {
    /// The server reported the call as failed (`isError`).
    pub is_error: bool,
    /// The content blocks, as JSON (`{"type": "text", "text": …}`, images, resources).
    pub content: Vec<Value>,
    /// The structured content, if any.
    pub structured: Option<Value>,
    /// The text was cut at the size limit.
    pub truncated: bool,
}

impl McpCallResult {
    /// The text blocks joined with newlines.
    #[must_use]
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The result as a host tool's result: text and images, or a [`ToolError`] with the text
    /// when the server reported a failure.
    ///
    /// # Errors
    ///
    /// A [`ToolError`] carrying the text when `is_error` is set.
    pub fn into_tool_result(self) -> Result<ToolOutput, ToolError> {
        if self.is_error {
            return Err(ToolError::new(self.text()));
        }
        let mut output = match &self.structured {
            Some(value) if self.content.is_empty() => return Ok(ToolOutput::json(value.clone())),
            _ => ToolOutput::new(),
        };
        for block in &self.content {
            let kind = block.get("type").and_then(Value::as_str);
            let text = block.get("text").and_then(Value::as_str);
            let data = block.get("data").and_then(Value::as_str);
            let mime = block.get("mimeType").and_then(Value::as_str);
            output = match (kind, text, data, mime) {
                (Some("text"), Some(text), _, _) => output.and_text(text),
                (Some("image"), _, Some(data), Some(mime)) => output.and_image(mime, data),
                _ => output.and_text(block.to_string()),
            };
        }
        Ok(output)
    }
}

/// A resource the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct McpResource {
    /// Its URI.
    pub uri: String,
    /// Its name.
    pub name: String,
    /// Its MIME type, if given.
    pub mime_type: Option<String>,
}

/// A prompt the server offers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpPrompt {
    /// Its name.
    pub name: String,
    /// Its description, if given.
    pub description: Option<String>,
    /// Its arguments, as JSON.
    pub arguments: Value,
}

type ProgressRoutes = Arc<Mutex<HashMap<ProgressToken, mpsc::UnboundedSender<McpProgress>>>>;

/// The rmcp client handler: routes progress to calls, wakes the supervisor on list changes.
#[derive(Clone)]
struct Handler {
    progress: ProgressRoutes,
    tools_changed: Arc<Notify>,
}

impl ClientHandler for Handler {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let routes = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(route) = routes.get(&params.progress_token) {
            let _ = route.send(McpProgress {
                progress: params.progress,
                total: params.total,
                message: params.message,
            });
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.tools_changed.notify_one();
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("codex-agent-sdk", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// The connection as callers see it.
#[derive(Clone)]
enum Link {
    Up {
        peer: Peer<RoleClient>,
        info: Arc<McpServerInfo>,
        pid: Option<u32>,
    },
    Restarting,
    Gone(String),
}

struct Inner {
    options: McpClientOptions,
    link: watch::Receiver<Link>,
    tools: watch::Receiver<Arc<Vec<McpTool>>>,
    progress: ProgressRoutes,
    restarts: Arc<std::sync::atomic::AtomicU32>,
    shutdown: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A client of one external MCP server, supervised. Cheap to clone; dropping the last clone
/// stops the server.
#[derive(Clone)]
pub struct McpClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for McpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpClient")
            .field("name", &self.inner.options.name)
            .finish_non_exhaustive()
    }
}

/// One live connection: the rmcp service, and the child process for stdio.
struct Connection {
    service: RunningService<RoleClient, Handler>,
    process: Option<Box<dyn LaunchedProcess>>,
    info: Arc<McpServerInfo>,
}

impl Connection {
    fn link(&self) -> Link {
        Link::Up {
            peer: self.service.peer().clone(),
            info: self.info.clone(),
            pid: self.process.as_ref().map(|process| process.pid()),
        }
    }
}

impl McpClient {
    /// Starts (stdio) or reaches (HTTP) the server, runs the handshake and lists its tools,
    /// then supervises it.
    ///
    /// # Errors
    ///
    /// [`Error::Launch`] when the program cannot be started, [`Error::Handshake`] when the
    /// server does not complete the handshake within the handshake timeout (its process is
    /// stopped and reaped).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops a server it started.
    pub async fn connect(
        transport: McpTransport,
        options: McpClientOptions,
    ) -> Result<Self, Error> {
        let progress: ProgressRoutes = Arc::default();
        let tools_changed = Arc::new(Notify::new());
        let handler = Handler {
            progress: progress.clone(),
            tools_changed: tools_changed.clone(),
        };
        let connection = connect_once(&transport, &options, handler.clone()).await?;
        let tools = list_tools(
            &options.name,
            connection.service.peer(),
            options.request_timeout,
        )
        .await?;
        let (link_tx, link) = watch::channel(connection.link());
        let (tools_tx, tools) = watch::channel(Arc::new(tools));
        let shutdown = CancellationToken::new();
        let restarts = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let supervisor = Supervisor {
            transport,
            options: options.clone(),
            handler,
            tools_changed,
            link: link_tx,
            tools: tools_tx,
            shutdown: shutdown.clone(),
            restarts: restarts.clone(),
        };
        tokio::spawn(supervisor.run(connection));
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                link,
                tools,
                progress,
                restarts,
                shutdown,
            }),
        })
    }

    /// The server's name (from the options).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.options.name
    }

    /// What the server said in its (latest) handshake.
    ///
    /// # Errors
    ///
    /// [`Error::Gone`] when the server is gone for good.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn server_info(&self) -> Result<McpServerInfo, Error> {
        let (_, info) = self.peer().await?;
        Ok((*info).clone())
    }

    /// How many times the server has been restarted.
    #[must_use]
    pub fn restarts(&self) -> u32 {
        self.inner
            .restarts
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The pid of the stdio server's current process (`None` for HTTP, or while the server
    /// restarts or after it is gone).
    #[must_use]
    pub fn server_pid(&self) -> Option<u32> {
        match &*self.inner.link.borrow() {
            Link::Up { pid, .. } => *pid,
            _ => None,
        }
    }

    /// The server's tools, as last listed (at connect, after a restart, after
    /// `notifications/tools/list_changed`).
    #[must_use]
    pub fn tools(&self) -> Arc<Vec<McpTool>> {
        self.inner.tools.borrow().clone()
    }

    /// A receiver that sees every new tool list.
    #[must_use]
    pub fn watch_tools(&self) -> watch::Receiver<Arc<Vec<McpTool>>> {
        self.inner.tools.clone()
    }

    /// Calls a tool with the request timeout of the options.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Disconnected`] (the server died during the call),
    /// [`Error::Gone`], [`Error::Rpc`]. A tool that fails is `Ok` with `is_error` set.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the call on the server (`notifications/cancelled`).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<McpCallResult, Error> {
        self.call_tool_with_progress(name, arguments, |_| {}).await
    }

    /// Calls a tool, handing each progress notification of the call to `on_progress`.
    ///
    /// # Errors
    ///
    /// As [`call_tool`](Self::call_tool).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the call on the server (`notifications/cancelled`).
    pub async fn call_tool_with_progress(
        &self,
        name: &str,
        arguments: Value,
        mut on_progress: impl FnMut(McpProgress) + Send,
    ) -> Result<McpCallResult, Error> {
        const METHOD: &str = "tools/call";
        let server = self.name().to_owned();
        let (peer, _) = self.peer().await?;
        let params = serde_json::from_value(json!({"name": name, "arguments": arguments}))
            .map_err(|_| Error::Protocol {
                server: server.clone(),
                method: METHOD.to_owned(),
            })?;
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let timeout = self.inner.options.request_timeout;
        let handle = peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
            .map_err(|error| service_error(&server, METHOD, timeout, error))?;
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel();
        let route = Route::new(
            &self.inner.progress,
            handle.progress_token.clone(),
            progress_tx,
        );
        let mut guard = CancelOnDrop {
            peer: peer.clone(),
            id: Some(handle.id.clone()),
        };
        let response = handle.await_response();
        tokio::pin!(response);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let result = loop {
            tokio::select! {
                biased;
                result = &mut response => break result,
                Some(progress) = progress_rx.recv() => on_progress(progress),
                () = &mut deadline => {
                    return Err(Error::Timeout { server, method: METHOD.to_owned(), timeout });
                }
            }
        };
        guard.id = None;
        drop(route);
        match result.map_err(|error| service_error(&server, METHOD, timeout, error))? {
            ServerResult::CallToolResult(result) => {
                let value = serde_json::to_value(&result).unwrap_or(Value::Null);
                Ok(call_result(&value, self.inner.options.max_result_bytes))
            }
            _ => Err(Error::Protocol {
                server,
                method: METHOD.to_owned(),
            }),
        }
    }

    /// The server's resources (every page).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the server offers no resources; else as
    /// [`call_tool`](Self::call_tool).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request.
    pub async fn list_resources(&self) -> Result<Vec<McpResource>, Error> {
        let (peer, info) = self.peer().await?;
        self.require(info.resources, "resources")?;
        let resources = self
            .timed("resources/list", peer.list_all_resources())
            .await?;
        Ok(resources
            .iter()
            .filter_map(|resource| {
                let value = serde_json::to_value(resource).ok()?;
                Some(McpResource {
                    uri: value.get("uri")?.as_str()?.to_owned(),
                    name: value.get("name")?.as_str()?.to_owned(),
                    mime_type: value
                        .get("mimeType")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            })
            .collect())
    }

    /// Reads one resource: its contents, as JSON (`{"uri", "mimeType", "text" | "blob"}`).
    ///
    /// # Errors
    ///
    /// As [`list_resources`](Self::list_resources).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request.
    pub async fn read_resource(&self, uri: &str) -> Result<Vec<Value>, Error> {
        let (peer, info) = self.peer().await?;
        self.require(info.resources, "resources")?;
        let params = serde_json::from_value(json!({"uri": uri}))
            .map_err(|_| self.protocol("resources/read"))?;
        let result = self
            .timed("resources/read", peer.read_resource(params))
            .await?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        Ok(value
            .get("contents")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// The server's prompts (every page).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the server offers no prompts; else as
    /// [`call_tool`](Self::call_tool).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request.
    pub async fn list_prompts(&self) -> Result<Vec<McpPrompt>, Error> {
        let (peer, info) = self.peer().await?;
        self.require(info.prompts, "prompts")?;
        let prompts = self.timed("prompts/list", peer.list_all_prompts()).await?;
        Ok(prompts
            .iter()
            .filter_map(|prompt| {
                let value = serde_json::to_value(prompt).ok()?;
                Some(McpPrompt {
                    name: value.get("name")?.as_str()?.to_owned(),
                    description: value
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    arguments: value.get("arguments").cloned().unwrap_or(Value::Null),
                })
            })
            .collect())
    }

    /// Gets one prompt with `arguments` (an object of strings): its messages, as JSON.
    ///
    /// # Errors
    ///
    /// As [`list_prompts`](Self::list_prompts).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request.
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<Vec<Value>, Error> {
        let (peer, info) = self.peer().await?;
        self.require(info.prompts, "prompts")?;
        let params = serde_json::from_value(json!({"name": name, "arguments": arguments}))
            .map_err(|_| self.protocol("prompts/get"))?;
        let result = self.timed("prompts/get", peer.get_prompt(params)).await?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        Ok(value
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Stops the server and waits until its process is reaped (stdio), or the connection
    /// is closed (HTTP). Clones of this client then fail with [`Error::Gone`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the shutdown to finish in the background.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        let mut link = self.inner.link.clone();
        let _ = link.wait_for(|link| matches!(link, Link::Gone(_))).await;
    }

    /// The live peer, waiting (up to the handshake timeout) while the server restarts.
    async fn peer(&self) -> Result<(Peer<RoleClient>, Arc<McpServerInfo>), Error> {
        let mut link = self.inner.link.clone();
        // A connection whose transport closed is dead even before the supervisor says so:
        // wait for the restart rather than fail at once.
        let wait = link.wait_for(|link| match link {
            Link::Up { peer, .. } => !peer.is_transport_closed(),
            Link::Restarting => false,
            Link::Gone(_) => true,
        });
        let gone = |message: String| Error::Gone {
            server: self.name().to_owned(),
            message,
        };
        let limit = self.inner.options.handshake_timeout + self.inner.options.restart_backoff;
        match tokio::time::timeout(limit * 2, wait).await {
            Ok(Ok(link)) => match &*link {
                Link::Up { peer, info, .. } => Ok((peer.clone(), info.clone())),
                Link::Gone(message) => Err(gone(message.clone())),
                Link::Restarting => Err(gone("restarting".to_owned())),
            },
            Ok(Err(_)) => Err(gone("the client was shut down".to_owned())),
            Err(_) => Err(gone("it did not come back in time".to_owned())),
        }
    }

    fn require(&self, offered: bool, capability: &'static str) -> Result<(), Error> {
        if offered {
            Ok(())
        } else {
            Err(Error::Unsupported {
                server: self.name().to_owned(),
                capability,
            })
        }
    }

    fn protocol(&self, method: &str) -> Error {
        Error::Protocol {
            server: self.name().to_owned(),
            method: method.to_owned(),
        }
    }

    async fn timed<T>(
        &self,
        method: &str,
        request: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, Error> {
        let timeout = self.inner.options.request_timeout;
        match tokio::time::timeout(timeout, request).await {
            Ok(result) => {
                result.map_err(|error| service_error(self.name(), method, timeout, error))
            }
            Err(_) => Err(Error::Timeout {
                server: self.name().to_owned(),
                method: method.to_owned(),
                timeout,
            }),
        }
    }
}

/// Removes a call's progress route when the call ends.
struct Route {
    routes: ProgressRoutes,
    token: ProgressToken,
}

impl Route {
    fn new(
        routes: &ProgressRoutes,
        token: ProgressToken,
        sender: mpsc::UnboundedSender<McpProgress>,
    ) -> Self {
        routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), sender);
        Self {
            routes: routes.clone(),
            token,
        }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.token);
    }
}

/// Sends `notifications/cancelled` for a request that was abandoned (timeout, drop).
struct CancelOnDrop {
    peer: Peer<RoleClient>,
    id: Option<rmcp::model::RequestId>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let peer = self.peer.clone();
        runtime.spawn(async move {
            let notification = rmcp::model::CancelledNotification::new(
                rmcp::model::CancelledNotificationParam::new(
                    Some(id),
                    Some("cancelled by the client".to_owned()),
                ),
            );
            let _ = peer.send_notification(notification.into()).await;
        });
    }
}

#[expect(
    clippy::match_same_arms,
    reason = "the known variants are listed; the wildcard is for those of later rmcp releases"
)]
fn service_error(server: &str, method: &str, timeout: Duration, error: ServiceError) -> Error {
    let server = server.to_owned();
    let method = method.to_owned();
    match error {
        ServiceError::McpError(error) => Error::Rpc {
            server,
            method,
            code: error.code.0,
            message: error.message.into_owned(),
        },
        ServiceError::TransportSend(_)
        | ServiceError::TransportClosed
        | ServiceError::Cancelled { .. } => Error::Disconnected { server },
        ServiceError::Timeout { .. } => Error::Timeout {
            server,
            method,
            timeout,
        },
        ServiceError::UnexpectedResponse
        | ServiceError::SubscriptionLagged { .. }
        | ServiceError::InputRequiredRoundsExceeded { .. } => Error::Protocol { server, method },
        _ => Error::Protocol { server, method },
    }
}

/// A `CallToolResult` as JSON → [`McpCallResult`], text cut at `max_bytes`.
fn call_result(value: &Value, max_bytes: usize) -> McpCallResult {
    let mut budget = max_bytes;
    let mut truncated = false;
    let mut content = Vec::new();
    for block in value
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if truncated {
            break;
        }
        let mut block = block.clone();
        let size = block
            .get("text")
            .and_then(Value::as_str)
            .map_or_else(|| block.to_string().len(), str::len);
        if size > budget {
            truncated = true;
            let text = block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let cut = floor_char_boundary(text, budget);
            block =
                json!({"type": "text", "text": format!("{}\n{TRUNCATION_MARKER}", &text[..cut])});
        } else {
            budget -= size;
        }
        content.push(block);
    }
    let structured = value
        .get("structuredContent")
        .filter(|structured| structured.to_string().len() <= max_bytes)
        .cloned();
    McpCallResult {
        is_error: value.get("isError").and_then(Value::as_bool) == Some(true),
        content,
        structured,
        truncated,
    }
}

/// Starts the server (stdio) or connects (HTTP) and runs the handshake, within the timeout.
async fn connect_once(
    transport: &McpTransport,
    options: &McpClientOptions,
    handler: Handler,
) -> Result<Connection, Error> {
    let server = options.name.clone();
    let handshake = |message: String| Error::Handshake {
        server: server.clone(),
        message,
    };
    match transport {
        McpTransport::Stdio { spec, launcher } => {
            let mut process = launcher
                .launch(spec.clone())
                .map_err(|error| Error::Launch {
                    server: server.clone(),
                    message: error.to_string(),
                })?;
            let (Some(stdin), Some(stdout)) = (process.take_stdin(), process.take_stdout()) else {
                return Err(handshake("the launcher did not pipe stdio".to_owned()));
            };
            let started =
                tokio::time::timeout(options.handshake_timeout, handler.serve((stdout, stdin)))
                    .await;
            match started {
                Ok(Ok(service)) => {
                    let info = server_info(&service);
                    Ok(Connection {
                        service,
                        process: Some(process),
                        info,
                    })
                }
                Ok(Err(error)) => {
                    // Give a server that exited at once a moment to be reaped, so its stderr
                    // is complete.
                    let _ = tokio::time::timeout(Duration::from_millis(200), process.wait()).await;
                    let tail = process.stderr_tail();
                    Err(handshake(with_tail(&error.to_string(), &tail)))
                }
                Err(_) => Err(handshake(with_tail(
                    &format!("no answer within {:?}", options.handshake_timeout),
                    &process.stderr_tail(),
                ))),
            }
        }
        McpTransport::Http { url, bearer } => {
            let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
            if let Some(bearer) = bearer {
                config = config.auth_header(bearer.expose());
            }
            let transport = StreamableHttpClientTransport::from_config(config);
            match tokio::time::timeout(options.handshake_timeout, handler.serve(transport)).await {
                Ok(Ok(service)) => {
                    let info = server_info(&service);
                    Ok(Connection {
                        service,
                        process: None,
                        info,
                    })
                }
                Ok(Err(error)) => Err(handshake(error.to_string())),
                Err(_) => Err(handshake(format!(
                    "no answer within {:?}",
                    options.handshake_timeout
                ))),
            }
        }
    }
}

fn with_tail(message: &str, tail: &str) -> String {
    let tail = tail.trim();
    if tail.is_empty() {
        message.to_owned()
    } else {
        format!("{message}; stderr: {tail}")
    }
}

fn server_info(service: &RunningService<RoleClient, Handler>) -> Arc<McpServerInfo> {
    let value = service
        .peer()
        .peer_info()
        .and_then(|info| serde_json::to_value(&*info).ok())
        .unwrap_or(Value::Null);
    let text = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let offers = |capability: &str| {
        value
            .pointer(&format!("/capabilities/{capability}"))
            .is_some_and(|value| !value.is_null())
    };
    Arc::new(McpServerInfo {
        name: text("/serverInfo/name"),
        version: text("/serverInfo/version"),
        protocol_version: text("/protocolVersion"),
        tools: offers("tools"),
        resources: offers("resources"),
        prompts: offers("prompts"),
        instructions: value
            .get("instructions")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

async fn list_tools(
    server: &str,
    peer: &Peer<RoleClient>,
    timeout: Duration,
) -> Result<Vec<McpTool>, Error> {
    let listed = match tokio::time::timeout(timeout, peer.list_all_tools()).await {
        Ok(listed) => {
            listed.map_err(|error| service_error(server, "tools/list", timeout, error))?
        }
        Err(_) => {
            return Err(Error::Timeout {
                server: server.to_owned(),
                method: "tools/list".to_owned(),
                timeout,
            });
        }
    };
    Ok(listed
        .iter()
        .filter_map(|tool| {
            let value = serde_json::to_value(tool).ok()?;
            let hint = |name: &str| {
                value
                    .pointer(&format!("/annotations/{name}"))
                    .and_then(Value::as_bool)
            };
            Some(McpTool {
                name: value.get("name")?.as_str()?.to_owned(),
                description: value
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                input_schema: value
                    .get("inputSchema")
                    .cloned()
                    .unwrap_or(json!({"type": "object"})),
                read_only: hint("readOnlyHint"),
                destructive: hint("destructiveHint"),
                idempotent: hint("idempotentHint"),
            })
        })
        .collect())
}

/// Owns the connection: watches for death and list changes, restarts, shuts down.
struct Supervisor {
    transport: McpTransport,
    options: McpClientOptions,
    handler: Handler,
    tools_changed: Arc<Notify>,
    link: watch::Sender<Link>,
    tools: watch::Sender<Arc<Vec<McpTool>>>,
    shutdown: CancellationToken,
    restarts: Arc<std::sync::atomic::AtomicU32>,
}

enum Ended {
    Shutdown,
    Died(String),
}

impl Supervisor {
    async fn run(self, mut connection: Connection) {
        let server = self.options.name.clone();
        loop {
            let ended = self.watch(&mut connection).await;
            // Dropping the connection closes the service and stops the process group.
            let Connection {
                service, process, ..
            } = connection;
            drop(service);
            if let Some(mut process) = process {
                process_stop(&mut process).await;
            }
            let message = match ended {
                Ended::Shutdown => {
                    self.link
                        .send_replace(Link::Gone("the client was shut down".to_owned()));
                    return;
                }
                Ended::Died(message) => message,
            };
            tracing::warn!(server, %message, "MCP server died");
            match self.restart().await {
                Some(next) => connection = next,
                None => return,
            }
        }
    }

    /// Waits for the connection to end, refreshing the tool list on `list_changed`.
    async fn watch(&self, connection: &mut Connection) -> Ended {
        let peer = connection.service.peer().clone();
        loop {
            let exited = async {
                match connection.process.as_mut() {
                    Some(process) => {
                        let exit = process.wait().await;
                        format!("it exited ({exit:?})")
                    }
                    None => std::future::pending().await,
                }
            };
            let closed = async {
                // The HTTP transport has no process; a closed transport is its death.
                loop {
                    if peer.is_transport_closed() {
                        return "its connection closed".to_owned();
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            tokio::select! {
                () = self.shutdown.cancelled() => return Ended::Shutdown,
                message = exited => return Ended::Died(message),
                message = closed => return Ended::Died(message),
                () = self.tools_changed.notified() => {
                    match list_tools(&self.options.name, &peer, self.options.request_timeout).await {
                        Ok(tools) => {
                            self.tools.send_replace(Arc::new(tools));
                        }
                        Err(error) => tracing::warn!(%error, "refreshing the MCP tool list failed"),
                    }
                }
            }
        }
    }

    /// Starts the server again with backoff; `None` when it gives up (or is shut down).
    async fn restart(&self) -> Option<Connection> {
        let server = &self.options.name;
        let mut backoff = self.options.restart_backoff;
        loop {
            let done = self.restarts.load(std::sync::atomic::Ordering::Relaxed);
            if done >= self.options.max_restarts {
                self.link.send_replace(Link::Gone(format!(
                    "it died after {done} restarts (the limit)"
                )));
                return None;
            }
            self.link.send_replace(Link::Restarting);
            tokio::select! {
                () = self.shutdown.cancelled() => {
                    self.link.send_replace(Link::Gone("the client was shut down".to_owned()));
                    return None;
                }
                () = tokio::time::sleep(backoff) => {}
            }
            self.restarts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            backoff = backoff.saturating_mul(2);
            let attempt = async {
                let connection =
                    connect_once(&self.transport, &self.options, self.handler.clone()).await?;
                let tools = list_tools(
                    server,
                    connection.service.peer(),
                    self.options.request_timeout,
                )
                .await?;
                Ok::<_, Error>((connection, tools))
            };
            let attempt = tokio::select! {
                () = self.shutdown.cancelled() => {
                    self.link.send_replace(Link::Gone("the client was shut down".to_owned()));
                    return None;
                }
                attempt = attempt => attempt,
            };
            match attempt {
                Ok((connection, tools)) => {
                    tracing::info!(server, "MCP server restarted");
                    self.tools.send_replace(Arc::new(tools));
                    self.link.send_replace(connection.link());
                    return Some(connection);
                }
                Err(error) => tracing::warn!(server, %error, "restarting the MCP server failed"),
            }
        }
    }
}

/// Stops a stdio server's process group and waits (bounded) until it is reaped.
async fn process_stop(process: &mut Box<dyn LaunchedProcess>) {
    // The service is gone, so stdin is closed: a well-behaved server exits now. Otherwise its
    // group is terminated; either way it is reaped before this returns (bounded: a stop
    // takes at most the launcher's grace period).
    if tokio::time::timeout(Duration::from_millis(100), process.wait())
        .await
        .is_err()
    {
        process.kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), process.wait()).await;
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    /// A token in an HTTP server's URL stays out of the transport's `Debug` (secrets audit,
    /// `audit/secrets.txt`).
    #[test]
    fn http_transport_debug_hides_url_credentials() {
        let transport = McpTransport::Http {
            url: "https://user:pw-8a2c@mcp.example/mcp?api_key=key-8a2c#frag-8a2c".to_owned(),
            bearer: Some(Secret::new("bearer-8a2c")),
        };
        let debug = format!("{transport:?}");
        assert!(!debug.contains("8a2c"), "{debug}");
        assert!(
            debug.contains("https://[REDACTED]@mcp.example/mcp?[REDACTED]"),
            "{debug}"
        );
        assert_eq!(
            url_without_credentials("http://127.0.0.1:3001/mcp"),
            "http://127.0.0.1:3001/mcp"
        );
    }

    #[test]
    fn the_bearer_token_never_shows_in_debug() {
        let planted = "sk-planted-mcp-bearer-0123456789";
        let transport =
            McpTransport::http_with_bearer("http://127.0.0.1:9/mcp", Secret::new(planted));
        let debug = format!("{transport:?}");
        assert!(!debug.contains(planted), "{debug}");
        assert!(debug.contains("127.0.0.1:9"), "{debug}");
    }
}
