//! [`AppServerOptions`]: the handshake, time limits, buffers, handlers and process supervision
//! of one `codex app-server` connection.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::handlers::Handlers;
use crate::ExecOptions;

/// Default time a request may wait for its response: 120 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_mins(2);
/// Default time a server-request handler may take before the default answer is sent: 300 s.
pub const DEFAULT_SERVER_REQUEST_TIMEOUT: Duration = Duration::from_mins(5);
/// Default quiet period after which a turn that sent nothing is checked with `thread/read`:
/// 30 s (see [`AppServerOptions::turn_probe_after`]).
pub const DEFAULT_TURN_PROBE_AFTER: Duration = Duration::from_secs(30);
/// Default number of notifications a subscription buffers before it lags: 4096.
pub const DEFAULT_SUBSCRIPTION_CAPACITY: usize = 4096;
/// Default number of outgoing messages queued for the writer: 256.
pub const DEFAULT_WRITE_QUEUE_LEN: usize = 256;
/// The client name sent in `initialize` (`clientInfo.name`); codex uses it as the threads'
/// `originator` and in its user agent.
pub const CLIENT_NAME: &str = "codex_sdk_rs";
/// The client title sent in `initialize` (`clientInfo.title`).
pub const CLIENT_TITLE: &str = "Codex SDK for Rust";
/// The client version sent in `initialize` (`clientInfo.version`): this crate's version.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How to talk to `codex app-server`.
///
/// ```
/// use std::time::Duration;
///
/// use codex_agent_exec::ExecOptions;
/// use codex_agent_exec::app_server::AppServerOptions;
///
/// let options = AppServerOptions::new()
///     .opt_out_notification_methods(["account/rateLimits/updated"])
///     .request_timeout(Duration::from_secs(30))
///     .process(ExecOptions::new().kill_grace(Duration::from_secs(1)));
/// # drop(options);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct AppServerOptions {
    pub(crate) client_name: String,
    pub(crate) client_title: Option<String>,
    pub(crate) client_version: String,
    pub(crate) experimental_api: bool,
    pub(crate) opt_out_notification_methods: Vec<String>,
    pub(crate) request_timeout: Duration,
    pub(crate) server_request_timeout: Duration,
    pub(crate) turn_probe_after: Duration,
    pub(crate) subscription_capacity: usize,
    pub(crate) write_queue_len: usize,
    pub(crate) handlers: Handlers,
    pub(crate) process: ExecOptions,
    pub(crate) current_dir: Option<PathBuf>,
    pub(crate) capability_probe: bool,
    pub(crate) trace_source: Option<TraceSource>,
}

/// The W3C Trace Context of a request: the `trace` field every app-server JSON-RPC request
/// accepts, on which codex parents the spans it makes for the request (a turn's spans for
/// `turn/start`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct TraceContext {
    /// `00-{trace id}-{span id}-{flags}`.
    pub traceparent: String,
    /// Vendor state, when there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// A context with this `traceparent` and no `tracestate`.
    #[must_use]
    pub fn new(traceparent: impl Into<String>) -> Self {
        Self {
            traceparent: traceparent.into(),
            tracestate: None,
        }
    }
}

/// Where a request's [`TraceContext`] comes from: called as each request is sent, in the
/// task that sends it (so a `tracing`-based source sees the caller's current span).
#[derive(Clone)]
pub struct TraceSource(Arc<dyn Fn() -> Option<TraceContext> + Send + Sync>);

impl TraceSource {
    /// A source calling `f`.
    pub fn new(f: impl Fn() -> Option<TraceContext> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub(crate) fn current(&self) -> Option<TraceContext> {
        (self.0)()
    }
}

impl std::fmt::Debug for TraceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceSource")
    }
}

impl Default for AppServerOptions {
    fn default() -> Self {
        Self {
            client_name: CLIENT_NAME.to_owned(),
            client_title: Some(CLIENT_TITLE.to_owned()),
            client_version: CLIENT_VERSION.to_owned(),
            experimental_api: true,
            opt_out_notification_methods: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            server_request_timeout: DEFAULT_SERVER_REQUEST_TIMEOUT,
            turn_probe_after: DEFAULT_TURN_PROBE_AFTER,
            subscription_capacity: DEFAULT_SUBSCRIPTION_CAPACITY,
            write_queue_len: DEFAULT_WRITE_QUEUE_LEN,
            handlers: Handlers::new(),
            process: ExecOptions::new(),
            current_dir: None,
            capability_probe: true,
            trace_source: None,
        }
    }
}

impl AppServerOptions {
    /// Options with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `clientInfo` of `initialize`: name and version. Codex records the name as the
    /// `originator` of the threads this client creates.
    ///
    /// By default, [`CLIENT_NAME`] and [`CLIENT_VERSION`].
    pub fn client_info(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.client_name = name.into();
        self.client_version = version.into();
        self
    }

    /// The display title of `clientInfo`; an empty string sends none.
    ///
    /// By default, [`CLIENT_TITLE`].
    pub fn client_title(mut self, title: impl Into<String>) -> Self {
        let title = title.into();
        self.client_title = (!title.is_empty()).then_some(title);
        self
    }

    /// Whether to opt into codex's experimental API (`capabilities.experimentalApi`), which
    /// dynamic tools (`thread/start.dynamicTools`) and other experimental fields need.
    ///
    /// By default, `true`, as in the Python SDK.
    pub fn experimental_api(mut self, enabled: bool) -> Self {
        self.experimental_api = enabled;
        self
    }

    /// Notification methods codex must not send at all
    /// (`capabilities.optOutNotificationMethods`, exact method names). Replaces earlier ones.
    ///
    /// By default, none: every notification is sent.
    pub fn opt_out_notification_methods(
        mut self,
        methods: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.opt_out_notification_methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// How long a request waits for its response before failing with
    /// [`Error::RequestTimeout`](crate::Error::RequestTimeout). Covers the handshake too.
    ///
    /// By default, [`DEFAULT_REQUEST_TIMEOUT`] (120 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a server-request handler may take; after that, the request gets its default
    /// answer (see [`Handlers`]) and the handler is aborted.
    ///
    /// By default, [`DEFAULT_SERVER_REQUEST_TIMEOUT`] (300 s).
    pub fn server_request_timeout(mut self, timeout: Duration) -> Self {
        self.server_request_timeout = timeout;
        self
    }

    /// How long a turn of a [`Runtime`](super::Runtime) may send no notification before the
    /// runtime asks codex about it (`thread/read` with its turns), because codex sometimes
    /// never sends a turn's `turn/completed` (openai/codex#35810, #35847). When codex reports
    /// the turn finished, the turn ends with the items and status codex recorded (and the usage
    /// reported so far); while codex reports it in progress, the turn goes on, checked again
    /// after each quiet period. With an [idle timeout](crate::ExecOptions::idle_timeout), the
    /// checks come at least twice per idle period, and a codex that answered nothing at all
    /// during it counts as hung: the turn ends with
    /// [`Error::IdleTimeout`](crate::Error::IdleTimeout) and the app-server (its process
    /// group) is stopped. Without one, a check that gets no answer within the
    /// [request timeout](Self::request_timeout) while codex sent nothing else stops the
    /// app-server the same way, and the turn ends with
    /// [`Error::AppServerClosed`](crate::Error::AppServerClosed). Values below 1 ms count as
    /// 1 ms.
    ///
    /// By default, [`DEFAULT_TURN_PROBE_AFTER`] (30 s).
    pub fn turn_probe_after(mut self, quiet: Duration) -> Self {
        self.turn_probe_after = quiet.max(Duration::from_millis(1));
        self
    }

    /// How many notifications each subscription (and each thread's buffer of notifications
    /// that arrive before their `turn/start` response) holds before its subscriber is
    /// closed with [`Error::Lagged`](crate::Error::Lagged). Values below 1 count as 1.
    ///
    /// By default, [`DEFAULT_SUBSCRIPTION_CAPACITY`] (4096).
    pub fn subscription_capacity(mut self, capacity: usize) -> Self {
        self.subscription_capacity = capacity;
        self
    }

    /// How many outgoing messages may wait for the writer; senders wait when it is full.
    /// Values below 1 count as 1.
    ///
    /// By default, [`DEFAULT_WRITE_QUEUE_LEN`] (256).
    pub fn write_queue_len(mut self, len: usize) -> Self {
        self.write_queue_len = len;
        self
    }

    /// The handlers of server requests. The table is shared: handlers added to it later
    /// (or through [`AppServer::handlers`](super::AppServer::handlers)) apply at once.
    ///
    /// By default, an empty table: every server request gets its default answer.
    pub fn handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Supervision of the process, as for `codex exec`: maximum line length, stderr tail,
    /// kill grace, exit timeout, secrets to redact, parent-death signal, and a cancel handle
    /// that kills the app-server. The turn and idle timeouts do not apply. Over a caller's
    /// transport ([`AppServer::connect`](super::AppServer::connect)), only the maximum line
    /// length and the exit timeout apply.
    ///
    /// By default, [`ExecOptions::default`].
    pub fn process(mut self, options: ExecOptions) -> Self {
        self.process = options;
        self
    }

    /// The working directory of the app-server process. Threads set their own with
    /// `thread/start`'s `cwd`.
    ///
    /// By default, this process's working directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Whether a spawned codex that is not a known release (a development build reporting
    /// `0.0.0`, for example) is probed with `codex app-server generate-json-schema` for its
    /// [`Capabilities`](super::Capabilities).
    ///
    /// By default, `true`.
    pub fn capability_probe(mut self, enabled: bool) -> Self {
        self.capability_probe = enabled;
        self
    }

    /// Gives every request the trace context `source` returns as it is sent (the request's
    /// `trace` field), so that codex's spans join the caller's trace.
    ///
    /// By default, requests carry no trace context.
    pub fn trace_source(mut self, source: TraceSource) -> Self {
        self.trace_source = Some(source);
        self
    }
}
