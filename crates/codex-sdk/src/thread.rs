//! [`Thread`]: a conversation with codex, one turn at a time; [`Turn`] and [`TurnStream`].

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use codex_agent_exec::app_server::{RuntimeTurn, ThreadSlot, TurnRequest};
use codex_agent_exec::{CancelHandle, ExecOptions, ExecRequest, ExecStream, Input, UserInput};
use codex_agent_files::{Attached, Attachment, AttachmentKind, AttachmentSet};
use codex_agent_protocol::exec::ThreadEvent;
use codex_agent_telemetry::{BudgetExceeded, ThreadTracker, ThreadUsage, TurnTracker};
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OwnedMutexGuard;
use tracing::Instrument as _;

use crate::codex::{Backend, Codex, Transport};
use crate::error::{self, Error};
use crate::registry::ToolSession;
use crate::structured;
use crate::thread_options::ThreadOptions;
use crate::turn::{JsonTurn, Turn, TurnCollector};

/// Options of one turn.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct TurnOptions {
    /// The options model of codex-agent-exec, lowered to `codex exec` flags or `turn/start`.
    exec: codex_agent_exec::TurnOptions,
    /// Time limits and the cancel handle, applied by either runtime.
    limits: ExecOptions,
    /// Files, images and directories handed to the turn.
    attachments: Vec<Attachment>,
}

impl TurnOptions {
    /// Default options: free-text answer, no time limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A JSON Schema the final answer must follow, sent as is (see
    /// [`Thread::run_json`] for a schema derived from a Rust type and made strict).
    ///
    /// By default, the answer is free text.
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.exec = self.exec.output_schema(schema);
        self
    }

    /// The final answer must be a `T`: `T`'s JSON Schema, made strict (see [`structured`]),
    /// is the output schema, as [`Thread::run_json`] sends it. With [`Thread::run`] and
    /// [`Turn::parse_json`], the turn is kept whether or not the answer parses:
    ///
    /// ```no_run
    /// # async fn demo(thread: &codex_agent_sdk::Thread) -> Result<(), codex_agent_sdk::Error> {
    /// use codex_agent_sdk::TurnOptions;
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Verdict {
    ///     approve: bool,
    /// }
    ///
    /// let turn = thread
    ///     .run("review the change", TurnOptions::new().output_type::<Verdict>()?)
    ///     .await?;
    /// match turn.parse_json::<Verdict>() {
    ///     Ok(verdict) => println!("approve: {}", verdict.approve),
    ///     // The turn (items, usage, the whole answer) is still here.
    ///     Err(error) => eprintln!("{error}; the answer was {:?}", turn.final_response),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Replaces any output schema set before. By default, the answer is free text.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedSchema`] when `T` cannot be expressed in strict mode.
    pub fn output_type<T: JsonSchema>(self) -> Result<Self, Error> {
        let strict =
            structured::strict_schema(&schema_of::<T>()?).map_err(Error::UnsupportedSchema)?;
        Ok(self.output_schema(strict))
    }

    /// The experimental Cyber access program of this turn.
    ///
    /// By default, the server's default.
    pub fn cyber_access_program(mut self, program: codex_agent_exec::CyberAccessProgram) -> Self {
        self.exec = self.exec.cyber_access_program(program);
        self
    }

    /// A handle that cancels the turn when fired: on the exec transport codex and its
    /// children are killed; on the app-server transport the turn is interrupted
    /// (`turn/interrupt`), its open items are completed as `interrupted`, its commands are
    /// stopped, and the stream then ends with [`Error::Cancelled`]. Either way,
    /// [`Thread::run`] returns [`Error::Cancelled`].
    ///
    /// By default, only dropping the stream cancels.
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.limits = self.limits.cancel_handle(handle);
        self
    }

    /// Fails the turn with [`Error::Timeout`] when it takes longer than this (the exec
    /// transport kills codex, the app-server transport interrupts the turn).
    ///
    /// By default, no limit.
    pub fn turn_timeout(mut self, limit: Duration) -> Self {
        self.limits = self.limits.turn_timeout(limit);
        self
    }

    /// Hands a file, an image or a directory to the turn; call it once per attachment.
    ///
    /// Each is staged in the [`Codex`]'s attachment store (see
    /// [`CodexOptions::attachment_store`](crate::CodexOptions::attachment_store)) and placed in
    /// a read-only view directory for this turn, removed when the turn ends, however it ends
    /// (its stream ends or is dropped, it fails, times out or is cancelled); staged content
    /// goes with it unless [`Attachment::persistent`].
    ///
    /// **Only images reach the model as images**: an [`Attachment::image`] is sent as an
    /// image input (`--image` on exec, `localImage` on the app-server). Files and directories
    /// are listed at the end of the prompt by their path in the view, and the agent reads them
    /// with its tools; the model sees only what those print. On the exec transport the view
    /// is also given to codex with `--add-dir`; the app-server takes writable roots only when
    /// a thread starts, so there the view is not added (codex's sandboxes let the agent read
    /// the whole file system in every mode, so the files are readable either way).
    ///
    /// By default, nothing is attached.
    pub fn attach(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    /// Fails the turn with [`Error::Timeout`] when codex sends no event for this long.
    ///
    /// By default, no limit.
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.limits = self.limits.idle_timeout(limit);
        self
    }

    /// Fails the turn with [`Error::Timeout`] (kind [`TimeoutKind::Offline`]) when codex has
    /// been unable to reach the model server for this long. codex 0.169–0.171 take a refused
    /// or failed connection for a network outage and wait for the network forever, reporting
    /// `Reconnecting... waiting for network` errors (5 s, 10 s, 20 s, … apart) whatever the
    /// provider's retry settings; the time counts from the first of them, and any other event
    /// starts it afresh. The exec transport kills codex, the app-server transport interrupts
    /// the turn. `None` waits as long as codex does.
    ///
    /// By default, 60 s.
    ///
    /// [`TimeoutKind::Offline`]: crate::TimeoutKind::Offline
    pub fn offline_timeout(mut self, limit: Option<Duration>) -> Self {
        self.limits = self.limits.offline_timeout(limit);
        self
    }
}

/// A conversation with codex. Turns on one thread run one at a time: a second `run` waits
/// until the first turn's stream ends (on the app-server transport, until a dropped turn's
/// interrupt has finished).
#[derive(Clone)]
pub struct Thread {
    codex: Codex,
    options: ThreadOptions,
    id: Arc<Mutex<Option<String>>>,
    turn_lock: Arc<tokio::sync::Mutex<ThreadSlot>>,
    /// The tool session of the running turn, read by the app-server request handler.
    tool_session: Arc<Mutex<ToolSession>>,
    /// App-server: the route serving the thread's hooks, opened by its first turn and
    /// closed when the last clone of the thread is dropped (`thread/start` names its URL
    /// once for the thread's life, and `thread/resume` again after an app-server restart).
    #[cfg(feature = "mcp")]
    hook_route: Arc<Mutex<Option<codex_agent_tools::mcp::McpRoute>>>,
    /// App-server: the dynamic tools `thread/start` declared, when this value started the
    /// thread (see [`Thread::dynamic_tools`]).
    declared_tools: Arc<Mutex<Option<serde_json::Value>>>,
    /// The thread's span, usage and budget; `Err` with the model when a USD budget cannot be
    /// priced (reported by the first turn).
    telemetry: Result<ThreadTracker, Option<String>>,
    /// The running turn's span, the parent of the approval and hook spans.
    turn_span: TurnSpan,
}

/// The running turn's span, shared with what answers codex outside the turn's own future
/// (the app-server request handler, the hooks' MCP route), so that the `approval` and `hook`
/// spans are the turn's children. Set when a turn starts and cleared when it ends, so that it
/// never keeps a span open.
#[derive(Clone, Default)]
pub(crate) struct TurnSpan(Arc<Mutex<Option<tracing::Span>>>);

impl TurnSpan {
    /// Puts `span` in the slot until the returned guard is dropped or released.
    fn hold(&self, span: &tracing::Span) -> TurnSpanGuard {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(span.clone());
        TurnSpanGuard {
            slot: self.clone(),
            span: span.clone(),
        }
    }

    /// Clears the slot if it still holds `span` (a later turn may have set its own).
    fn clear(&self, span: &tracing::Span) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().map(tracing::Span::id) == Some(span.id()) {
            *slot = None;
        }
    }

    /// The running turn's span, if a turn runs.
    pub(crate) fn get(&self) -> Option<tracing::Span> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A turn's hold on its thread's [`TurnSpan`]: clears the slot when dropped (or released).
struct TurnSpanGuard {
    slot: TurnSpan,
    span: tracing::Span,
}

impl TurnSpanGuard {
    fn release(&self) {
        self.slot.clear(&self.span);
    }
}

impl Drop for TurnSpanGuard {
    fn drop(&mut self) {
        self.release();
    }
}

impl std::fmt::Debug for Thread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thread")
            .field("id", &self.id())
            .field("transport", &self.codex.inner.options.transport)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Thread {
    pub(crate) fn new(codex: Codex, options: ThreadOptions, id: Option<String>) -> Self {
        let tool_session = Arc::new(Mutex::new(options.tools.session()));
        let telemetry = codex
            .inner
            .options
            .telemetry
            .thread(
                options.exec.requested_model(),
                options.budget,
                id.as_deref(),
            )
            .map_err(|_| options.exec.requested_model().map(str::to_owned));
        Self {
            codex,
            options,
            id: Arc::new(Mutex::new(id)),
            turn_lock: Arc::new(tokio::sync::Mutex::new(ThreadSlot::default())),
            tool_session,
            #[cfg(feature = "mcp")]
            hook_route: Arc::default(),
            declared_tools: Arc::default(),
            telemetry,
            turn_span: TurnSpan::default(),
        }
    }

    /// The [`Codex`] this thread belongs to.
    pub(crate) fn codex(&self) -> &Codex {
        &self.codex
    }

    /// The thread's usage over its ended turns: turns, tokens, and the estimated cost when
    /// its [`model`](ThreadOptions::model) has a price (see
    /// [`CodexOptions::telemetry`](crate::CodexOptions::telemetry)). Per turn, see
    /// [`Turn::usage`].
    #[must_use]
    pub fn usage(&self) -> ThreadUsage {
        self.telemetry
            .as_ref()
            .map(ThreadTracker::usage)
            .unwrap_or_default()
    }

    /// Starts tracking a turn (the budget permitting) and makes its span the running turn's.
    fn start_turn(&self, tracker: &ThreadTracker) -> Result<(TurnTracker, TurnSpanGuard), Error> {
        let telemetry = tracker.start_turn(None).map_err(Error::BudgetExceeded)?;
        let guard = self.turn_span.hold(telemetry.span());
        Ok((telemetry, guard))
    }

    /// What answers the thread's server requests on the app-server, in the running turn's span.
    fn request_handler(&self) -> codex_agent_exec::app_server::RequestHandler {
        self.options
            .request_handler(Arc::clone(&self.tool_session), &self.turn_span)
    }

    /// The hooks of an exec turn (the approval handler's included), their spans under the
    /// running turn's.
    fn exec_hooks(&self) -> crate::hooks::Hooks {
        let turn_span = self.turn_span.clone();
        self.options
            .exec_hooks()
            .parent_span(move || turn_span.get())
    }

    /// The thread's tracker, or the error of an unpriced USD budget.
    fn tracker(&self) -> Result<&ThreadTracker, Error> {
        self.telemetry.as_ref().map_err(|model| {
            Error::Telemetry(codex_agent_telemetry::Error::UnpricedModel {
                model: model.clone(),
            })
        })
    }

    /// The thread id: given when resumed, else set when the first turn starts the thread
    /// (exec: its `thread.started`; app-server: the `thread/start` response).
    #[must_use]
    pub fn id(&self) -> Option<String> {
        self.id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs a turn and collects it.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future cancels the turn and kills codex; the turn's
    /// items are lost (the thread itself persists in codex's session store).
    ///
    /// # Errors
    ///
    /// [`Error::TurnFailed`] when codex reports `turn.failed`; otherwise as
    /// [`run_streamed`](Self::run_streamed) and its stream.
    pub async fn run(&self, input: impl Into<Input>, options: TurnOptions) -> Result<Turn, Error> {
        self.run_streamed(input, options)
            .await?
            .collect_turn()
            .await
    }

    /// Hooks on a remote app-server: refused, since their MCP server listens on this
    /// machine's loopback, which a remote app-server cannot reach.
    fn refuse_remote_hooks(&self) -> Result<(), Error> {
        if self.codex.inner.options.transport == Transport::Remote && !self.options.hooks.is_empty()
        {
            return Err(Error::Unsupported {
                operation: "running hooks on a remote app-server",
                transport: Transport::Remote,
            });
        }
        Ok(())
    }

    /// Starts a turn and returns its events as they come.
    ///
    /// A turn that fails on codex's side (a model error, a 401) ends with the event
    /// [`ThreadEvent::TurnFailed`], then the end of the stream: it is an event, not an `Err`
    /// item, as in the TypeScript SDK. [`run`](Self::run) turns it into
    /// [`Error::TurnFailed`]; with a stream, match the event, or push the events into a
    /// [`TurnCollector`](crate::TurnCollector), whose `finish()` returns that error.
    /// `Err` items are what went wrong around codex (a line that is not an event, a time
    /// limit, codex dying).
    ///
    /// On the app-server transport, the first turn of a [`Codex`] starts the shared
    /// `codex app-server`, and the first turn of a thread sends `thread/start` (or
    /// `thread/resume` for a resumed thread) before `turn/start`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe until it returns on the exec transport (nothing has been spawned while it
    /// waits for an earlier turn of this thread). On the app-server transport, dropping the
    /// future while `turn/start` is in flight interrupts that turn once it starts; dropped
    /// while `thread/start` is in flight, the new thread is left unused. Dropping the returned
    /// [`TurnStream`] cancels the turn.
    ///
    /// Attachments ([`TurnOptions::attach`]) are staged first, on a blocking thread; dropping
    /// the future then removes what was staged once staging finishes.
    ///
    /// # Errors
    ///
    /// [`Error::Attachment`] when an attachment cannot be staged (nothing is started then),
    /// [`Error::InvalidOptions`] for options codex would refuse, [`Error::Spawn`] when codex
    /// cannot start, [`Error::Unsupported`] for options the transport does not have (base
    /// instructions on exec, an approval handler given answers beyond commands on exec;
    /// tools, hooks or an approval handler without the `mcp` feature; a thread's tools
    /// changed after its first turn on the app-server); on the app-server transport
    /// also the errors of its requests ([`Error::Rpc`], [`Error::Timeout`],
    /// [`Error::ProcessExit`]).
    pub async fn run_streamed(
        &self,
        input: impl Into<Input>,
        options: TurnOptions,
    ) -> Result<TurnStream, Error> {
        let mut input = input.into();
        input.check_images().map_err(Error::from_exec)?;
        if self.codex.inner.options.transport != Transport::Remote {
            self.options
                .exec
                .check_working_directory()
                .map_err(Error::from_exec)?;
        }
        // codex's thread ids are UUIDs: another id names no stored thread. Left to codex,
        // `codex exec resume` would start a new thread instead, and the app-server answer
        // with a raw "invalid session id".
        if let Some(id) = self.id()
            && !is_thread_id(&id)
        {
            return Err(Error::ThreadNotFound { id });
        }
        let tracker = self.tracker()?;
        tracker.check_start().map_err(Error::BudgetExceeded)?;
        let attachments = self.stage(&options.attachments).await?;
        let mut thread_options = None;
        if let Some(set) = &attachments {
            input = with_attachments(input, set.attached());
            thread_options = self.with_attachment_view(set);
        }
        let mut guard = Arc::clone(&self.turn_lock).lock_owned().await;
        // The previous turn's usage is in now: the budget is checked again.
        let (mut telemetry, turn_span) = self.start_turn(tracker)?;
        let inner = &self.codex.inner;
        let limits = inner.options.process_options_onto(options.limits);
        let mut tools = None;
        let mut hooks_bypassed = false;
        let started = async {
            Ok(match &inner.backend {
                Backend::AppServer(runtime) => {
                    self.refuse_remote_hooks()?;
                    let hook_config = self.app_server_hooks().await?;
                    let (specs, first_declaration) = self.dynamic_tools()?;
                    // A fresh session per turn: the turn's end cancels its calls still running.
                    let session = self.options.tools.session();
                    *self
                        .tool_session
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = session.clone();
                    tools = Some(TurnTools::Session(session));
                    let request = TurnRequest::new(&self.id, &mut guard, &input)
                        .thread_options(&self.options.exec)
                        .turn_options(&options.exec)
                        .dynamic_tools(specs)
                        .handler(self.request_handler())
                        .limits(&limits)
                        .thread_config(hook_config.unwrap_or_default());
                    // The requests are sent in the turn's span: their trace context is its.
                    let turn = runtime
                        .start_turn(request)
                        .instrument(telemetry.span().clone())
                        .await
                        .map_err(Error::from_exec)?;
                    self.remember_tools(first_declaration);
                    StreamBackend::AppServer(Box::new(turn))
                }
                Backend::Exec(binary) => {
                    let limits = match &inner.prestart {
                        Some(prestart) => limits.clone().prestart(prestart),
                        None => limits.clone(),
                    };
                    let (backend, route, bypassed) = self
                        .start_exec(
                            binary,
                            &input,
                            thread_options.as_ref(),
                            &options.exec,
                            &limits,
                        )
                        .await?;
                    tools = route;
                    hooks_bypassed = bypassed;
                    backend
                }
            })
        };
        let backend = match started.await {
            Ok(backend) => backend,
            Err(error) => {
                telemetry.not_started(error_type(&error));
                return Err(error);
            }
        };
        if let StreamBackend::AppServer(app) = &backend {
            telemetry.set_turn_id(app.turn_id());
        }
        Ok(TurnStream {
            backend,
            thread_id: Arc::clone(&self.id),
            failed: false,
            ended: false,
            telemetry,
            turn_span,
            over_budget: None,
            turn: Some(guard),
            attachments,
            tools,
            hooks_bypassed,
        })
    }

    /// Starts one `codex exec` turn: the backend, the route of the thread's tools and hooks
    /// (if any), and whether hooks bypass codex's trust check.
    async fn start_exec(
        &self,
        binary: &codex_agent_exec::CodexBinary,
        input: &Input,
        thread_options: Option<&codex_agent_exec::ThreadOptions>,
        turn_options: &codex_agent_exec::TurnOptions,
        limits: &ExecOptions,
    ) -> Result<(StreamBackend, Option<TurnTools>, bool), Error> {
        if let Some(operation) = self.options.exec_unsupported_approvals() {
            return Err(Error::Unsupported {
                operation,
                transport: Transport::Exec,
            });
        }
        let mut codex_options = self.codex.inner.options.exec.clone();
        let mut tools = None;
        // The approval handler, if any, decides commands through a PreToolUse hook.
        let hooks = self.exec_hooks();
        let hooks_bypassed = !hooks.is_empty();
        if !self.options.tools.is_empty() || hooks_bypassed {
            let (route, with_tools) = self.serve_tools(codex_options, hooks).await?;
            codex_options = with_tools;
            tools = Some(route);
        }
        let resume = self.id();
        let mut request = ExecRequest::new(input)
            .codex_options(&codex_options)
            .thread_options(thread_options.unwrap_or(&self.options.exec))
            .turn_options(turn_options)
            .bypass_hook_trust(hooks_bypassed);
        if let Some(id) = &resume {
            request = request.resume(id);
        }
        let spec = request.build(binary).map_err(Error::from_exec)?;
        let stream = ExecStream::spawn(spec, limits).map_err(Error::from_exec)?;
        Ok((StreamBackend::Exec(stream), tools, hooks_bypassed))
    }

    /// The thread's options with the turn's attachment view added to the readable
    /// directories, when the set holds files (images go to the model natively).
    fn with_attachment_view(&self, set: &AttachmentSet) -> Option<codex_agent_exec::ThreadOptions> {
        let has_files = set
            .attached()
            .iter()
            .any(|a| a.kind != AttachmentKind::Image);
        has_files.then(|| {
            let mut dirs = self.options.exec.additional_directory_paths().to_vec();
            dirs.push(set.dir().to_path_buf());
            self.options.exec.clone().additional_directories(dirs)
        })
    }

    /// Serves the thread's tools and `hooks` to one `codex exec` turn: starts the [`Codex`]'s
    /// MCP server on first use, opens a route for the turn, and declares its MCP servers to
    /// codex (`url`, the bearer token through a secret environment variable,
    /// `required = true`, a `tool_timeout_sec` above the tools' own timeouts so that ours fire
    /// first, approval mode `approve`, parallel calls allowed), and the hooks as one
    /// `hooks.PreToolUse` entry whose `mcp_tool` handler calls the route's hook server.
    #[cfg(feature = "mcp")]
    async fn serve_tools(
        &self,
        options: codex_agent_exec::CodexOptions,
        hooks: crate::hooks::Hooks,
    ) -> Result<(TurnTools, codex_agent_exec::CodexOptions), Error> {
        let server = self.tool_server().await?;
        let hook_entries = hook_config_entries(&hooks);
        let route = server
            .serve(self.options.tools.session(), hooks)
            .map_err(|e| Error::ToolServer {
                reason: e.to_string(),
            })?;
        let registry = &self.options.tools;
        let longest = registry
            .list()
            .iter()
            .filter_map(crate::tools::Tool::timeout_limit)
            .chain([registry.default_timeout()])
            .max()
            .unwrap_or_default();
        let tool_timeout = longest.as_secs() + 10;
        let mut options = options.secret_env_var(TOOL_TOKEN_ENV, server.bearer_token().clone());
        for (name, url) in route.servers() {
            for (key, value) in mcp_server_entries(name, url, tool_timeout) {
                options = options.config_entry(key, value);
            }
        }
        for (key, value) in hook_entries {
            options = options.config_entry(key, value);
        }
        Ok((TurnTools::Route(route), options))
    }

    /// The [`Codex`]'s MCP server, started on first use.
    #[cfg(feature = "mcp")]
    async fn tool_server(&self) -> Result<&codex_agent_tools::mcp::McpServer, Error> {
        let inner = &self.codex.inner;
        inner
            .tool_server
            .get_or_try_init(|| {
                codex_agent_tools::mcp::McpServer::start_with_token(inner.tool_token.clone())
            })
            .await
            .map_err(|e| Error::ToolServer {
                reason: e.to_string(),
            })
    }

    /// App-server: the `thread/start` (and `thread/resume`) `config` that declares the
    /// thread's hooks, or `None` without hooks. The hooks are served by a route of the
    /// [`Codex`]'s MCP server opened for the thread; the app-server got the route's bearer
    /// token in its environment when it started. codex runs hooks only once trusted; the
    /// thread's `bypass_hook_trust` override trusts these (and only this thread's) for
    /// the thread, with nothing written to `CODEX_HOME`.
    #[cfg(feature = "mcp")]
    async fn app_server_hooks(
        &self,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, Error> {
        let hooks = &self.options.hooks;
        let hook_entries = hook_config_entries(hooks);
        if hook_entries.is_empty() {
            return Ok(None);
        }
        let server = self.tool_server().await?;
        let mut slot = self
            .hook_route
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let turn_span = self.turn_span.clone();
            *slot = Some(
                server
                    .serve_hooks(hooks.clone().parent_span(move || turn_span.get()))
                    .map_err(|e| Error::ToolServer {
                        reason: e.to_string(),
                    })?,
            );
        }
        let mut config = serde_json::Map::new();
        for route in slot.iter() {
            for (name, url) in route.servers() {
                for (key, value) in mcp_server_entries(name, url, HOOK_TIMEOUT_SECS + 10) {
                    config.insert(key, value);
                }
            }
        }
        config.extend(hook_entries);
        config.insert("bypass_hook_trust".to_owned(), true.into());
        Ok(Some(config))
    }

    /// Without the `mcp` feature, a thread with hooks cannot run on the app-server.
    #[cfg(not(feature = "mcp"))]
    #[expect(
        clippy::unused_async,
        reason = "the same signature as with the feature"
    )]
    async fn app_server_hooks(
        &self,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, Error> {
        if self.options.hooks.is_empty() {
            return Ok(None);
        }
        Err(Error::Unsupported {
            operation: "running hooks without the `mcp` cargo feature",
            transport: Transport::AppServer,
        })
    }

    /// Without the `mcp` feature, exec turns cannot serve tools.
    #[cfg(not(feature = "mcp"))]
    #[expect(
        clippy::unused_async,
        reason = "the same signature as with the feature"
    )]
    async fn serve_tools(
        &self,
        _options: codex_agent_exec::CodexOptions,
        _hooks: crate::hooks::Hooks,
    ) -> Result<(TurnTools, codex_agent_exec::CodexOptions), Error> {
        Err(Error::Unsupported {
            operation: "serving host tools, hooks or an approval handler without the `mcp` cargo feature",
            transport: Transport::Exec,
        })
    }

    /// App-server: the thread's dynamic tools, and their declaration to remember when this
    /// turn starts the thread. codex learns a thread's dynamic tools once, with
    /// `thread/start`: a registry whose tools changed since is refused rather than silently
    /// not seen by the model.
    fn dynamic_tools(
        &self,
    ) -> Result<
        (
            Vec<codex_agent_protocol::app_server::DynamicToolSpec>,
            Option<serde_json::Value>,
        ),
        Error,
    > {
        let specs = self.options.tool_specs();
        let declaration = serde_json::to_value(&specs).unwrap_or_default();
        let declared = self
            .declared_tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match declared {
            Some(declared) if declared != declaration => Err(Error::Unsupported {
                operation: "changing a thread's tools after its first turn",
                transport: Transport::AppServer,
            }),
            None if self.id().is_none() => Ok((specs, Some(declaration))),
            _ => Ok((specs, None)),
        }
    }

    /// Remembers the dynamic tools `thread/start` declared (see
    /// [`dynamic_tools`](Self::dynamic_tools)).
    fn remember_tools(&self, declaration: Option<serde_json::Value>) {
        if let Some(declaration) = declaration {
            *self
                .declared_tools
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(declaration);
        }
    }

    /// Stages the turn's attachments into a new set of the store, on a blocking thread.
    async fn stage(&self, attachments: &[Attachment]) -> Result<Option<AttachmentSet>, Error> {
        if attachments.is_empty() {
            return Ok(None);
        }
        let codex = self.codex.clone();
        let attachments = attachments.to_vec();
        let staged = tokio::task::spawn_blocking(move || {
            let store = codex.attachment_store()?;
            let mut set = store.new_set().map_err(Error::Attachment)?;
            for attachment in &attachments {
                set.attach(attachment).map_err(Error::Attachment)?;
            }
            Ok(set)
        })
        .await;
        match staged {
            Ok(result) => result.map(Some),
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }

    /// Runs a turn whose final answer must be a `T`: derives `T`'s JSON Schema, makes it
    /// strict (see [`structured`]), sends it, and parses the final response. Returns the
    /// value with the whole turn (items, usage).
    ///
    /// Any output schema in `options` is replaced.
    ///
    /// # Cancel safety
    ///
    /// As [`run`](Self::run).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedSchema`] when `T` cannot be expressed in strict mode,
    /// [`Error::NoFinalResponse`], [`Error::SchemaMismatch`] with the path and an excerpt when
    /// the answer does not parse into `T`; otherwise as [`run`](Self::run). Those two errors
    /// leave the turn behind; to keep it, run with [`TurnOptions::output_type`] and parse with
    /// [`Turn::parse_json`], which is what this does.
    pub async fn run_json<T: JsonSchema + DeserializeOwned>(
        &self,
        input: impl Into<Input>,
        options: TurnOptions,
    ) -> Result<JsonTurn<T>, Error> {
        let turn = self.run(input, options.output_type::<T>()?).await?;
        let value = turn.parse_json::<T>()?;
        Ok(JsonTurn { value, turn })
    }
}

/// The turn's input with its attachments: each image as an image part, and a text part
/// listing the files and directories by their path in the view.
fn with_attachments(input: Input, attached: &[Attached]) -> Input {
    let mut items = match input {
        Input::Text(text) => vec![UserInput::Text(text)],
        Input::Items(items) => items,
        other => return other,
    };
    let mut listing = Vec::new();
    for attachment in attached {
        match attachment.kind {
            AttachmentKind::Image => items.push(UserInput::LocalImage(attachment.path.clone())),
            AttachmentKind::Directory => listing.push(format!(
                "- {} (directory {}, {} files)",
                attachment.path.display(),
                attachment.source.display(),
                attachment.files.len()
            )),
            _ => {
                for file in &attachment.files {
                    listing.push(format!(
                        "- {} ({}, {} bytes, {})",
                        file.path.display(),
                        attachment.source.display(),
                        file.entry.size,
                        file.entry.media_type
                    ));
                }
            }
        }
    }
    if !listing.is_empty() {
        items.push(UserInput::Text(format!(
            "Attached files (read-only; read them with your tools):\n{}",
            listing.join("\n")
        )));
    }
    Input::Items(items)
}

/// Whether `id` has the form of a codex thread id: a UUID (8-4-4-4-12 hex digits).
fn is_thread_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `T`'s JSON Schema as `schemars` derives it (not yet strict).
pub(crate) fn schema_of<T: JsonSchema>() -> Result<Value, Error> {
    serde_json::to_value(schemars::schema_for!(T)).map_err(|e| {
        Error::UnsupportedSchema(structured::SchemaIssue {
            path: String::new(),
            reason: e.to_string(),
        })
    })
}

/// Parses a structured final response into a `T` whose schema (before strict mode) is
/// `schema`, naming the path of a mismatch. The `null`s strict mode let in for optional
/// properties are dropped first ([`structured::drop_optional_nulls`]), so that `T` reads them
/// as absent.
pub(crate) fn parse_final<T: DeserializeOwned>(text: &str, schema: &Value) -> Result<T, Error> {
    let mismatch = |path: String, reason: String| Error::SchemaMismatch {
        path,
        // serde quotes the offending value in its reason: redacted like the excerpt.
        reason: error::redact(&reason, None),
        excerpt: error::redact(&text.chars().take(200).collect::<String>(), None),
    };
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| mismatch(String::new(), e.to_string()))?;
    structured::drop_optional_nulls(schema, &mut value);
    serde_path_to_error::deserialize(value)
        .map_err(|e| mismatch(e.path().to_string(), e.inner().to_string()))
}

/// The events of a running turn.
///
/// Dropping it cancels the turn. On the exec transport, codex's process group gets
/// `SIGTERM`, then `SIGKILL` after the grace period, and is reaped. On the app-server
/// transport, the shared process is left alone: the turn gets a `turn/interrupt` from a
/// background task (bounded to a few seconds), which also waits for the turn to end and
/// stops the commands it still runs before the thread accepts its next turn. The thread
/// accepts its next turn once this is dropped (and, on the app-server, the interrupt is done)
/// or exhausted.
#[must_use = "a turn does nothing unless polled, and dropping it cancels the turn"]
pub struct TurnStream {
    backend: StreamBackend,
    thread_id: Arc<Mutex<Option<String>>>,
    /// Set once `turn.failed` was yielded: the exit of codex that follows is not a second
    /// error.
    failed: bool,
    ended: bool,
    /// The turn's span, log and usage; ended before the turn lock is released (fields drop in
    /// order), so the next turn sees this one's usage.
    telemetry: TurnTracker,
    /// Holds this turn's span in the thread's running-turn slot until the turn ends.
    turn_span: TurnSpanGuard,
    /// Set when the turn crossed the thread's budget and was stopped: the stream's
    /// cancellation error becomes [`Error::BudgetExceeded`].
    over_budget: Option<BudgetExceeded>,
    /// The thread's turn lock, held while the turn runs.
    turn: Option<OwnedMutexGuard<ThreadSlot>>,
    /// The turn's attachments, removed when the turn ends or the stream is dropped.
    attachments: Option<AttachmentSet>,
    /// The turn's tool calls, cancelled when the turn ends or the stream is dropped.
    tools: Option<TurnTools>,
    /// Set when codex runs the SDK's hooks with `--dangerously-bypass-hook-trust`: the
    /// `error` items it reports about that flag are removed from the stream.
    hooks_bypassed: bool,
}

/// How long codex waits for a hook's answer.
#[cfg(feature = "mcp")]
const HOOK_TIMEOUT_SECS: u64 = 600;

/// The environment variable that hands the MCP server's bearer token to codex.
#[cfg(feature = "mcp")]
pub(crate) const TOOL_TOKEN_ENV: &str = "CODEX_SDK_HOST_TOOLS_TOKEN";

/// The `config` entries that declare one MCP server of the SDK to codex: its `url`, the
/// bearer token through the secret environment variable, `required = true` (codex fails
/// loudly instead of dropping a slow server), a `tool_timeout_sec` above the tools' own
/// timeouts so that ours fire first, approval mode `approve`, parallel calls allowed.
#[cfg(feature = "mcp")]
fn mcp_server_entries(
    name: &str,
    url: &str,
    tool_timeout_secs: u64,
) -> [(String, serde_json::Value); 6] {
    let key = |field: &str| format!("mcp_servers.{name}.{field}");
    [
        (key("url"), url.into()),
        (key("bearer_token_env_var"), TOOL_TOKEN_ENV.into()),
        (key("required"), true.into()),
        (key("tool_timeout_sec"), tool_timeout_secs.into()),
        // The tools are this program's own functions: codex must not hold them for an
        // approval it cannot ask for on exec, and may run several at once.
        (key("default_tools_approval_mode"), "approve".into()),
        (key("supports_parallel_tool_calls"), true.into()),
    ]
}

/// The `hooks.<Event>` entries whose `mcp_tool` handlers call the SDK's hook server.
#[cfg(feature = "mcp")]
fn hook_config_entries(hooks: &crate::hooks::Hooks) -> Vec<(String, serde_json::Value)> {
    use codex_agent_tools::mcp::{HOOK_SERVER, HOOK_TOOL};
    hooks.codex_config(HOOK_SERVER, HOOK_TOOL, HOOK_TIMEOUT_SECS)
}

/// A turn's hold on its tool calls: ending the turn cancels the calls still running.
enum TurnTools {
    /// App-server: the turn's session.
    Session(ToolSession),
    /// Exec: the turn's route on the MCP server (dropping it cancels and closes the route).
    #[cfg(feature = "mcp")]
    Route(codex_agent_tools::mcp::McpRoute),
}

impl TurnTools {
    fn end(self) {
        match self {
            Self::Session(session) => session.cancel(),
            #[cfg(feature = "mcp")]
            Self::Route(route) => drop(route),
        }
    }
}

/// The stream of either runtime.
enum StreamBackend {
    Exec(ExecStream),
    AppServer(Box<RuntimeTurn>),
}

impl std::fmt::Debug for TurnStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("TurnStream");
        match &self.backend {
            StreamBackend::Exec(exec) => s.field("exec", exec),
            StreamBackend::AppServer(app) => s.field("app_server", app),
        };
        s.field("ended", &self.ended).finish_non_exhaustive()
    }
}

impl Drop for TurnStream {
    fn drop(&mut self) {
        if let Some(tools) = self.tools.take() {
            tools.end();
        }
        if let StreamBackend::AppServer(app) = &mut self.backend
            && !app.is_done()
        {
            app.abandon(self.turn.take());
        }
    }
}

impl TurnStream {
    /// The process id of codex, while the turn runs (`None` once the stream has ended). On the
    /// app-server transport, the pid of the app-server the thread's turns share.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        match &self.backend {
            StreamBackend::Exec(exec) => exec.pid(),
            StreamBackend::AppServer(app) if !self.ended => app.pid(),
            StreamBackend::AppServer(_) => None,
        }
    }

    /// How the processes codex starts for this turn are contained (see
    /// [`Containment`](crate::Containment)): on the exec transport, the scope of this turn's
    /// process; on the app-server transport, the scope of the shared app-server, from which
    /// what a turn detached is killed when the last running turn ends. `None` once the stream
    /// has ended, and on [`Transport::Remote`](crate::Transport::Remote).
    #[must_use]
    pub fn containment(&self) -> Option<crate::Containment> {
        match &self.backend {
            StreamBackend::Exec(exec) => exec.containment().filter(|_| exec.pid().is_some()),
            StreamBackend::AppServer(app) if !self.ended => app.containment(),
            StreamBackend::AppServer(_) => None,
        }
    }

    /// The turn's attachments as staged ([`TurnOptions::attach`]): each one's path in the
    /// turn's view, and its files' checksums and media types. Empty once the stream has ended,
    /// when the view is gone.
    #[must_use]
    pub fn attachments(&self) -> &[Attached] {
        self.attachments
            .as_ref()
            .map_or(&[], AttachmentSet::attached)
    }

    /// A handle that cancels this turn (see [`TurnOptions::cancel_handle`]).
    #[must_use]
    pub fn cancel_handle(&self) -> CancelHandle {
        match &self.backend {
            StreamBackend::Exec(exec) => exec.cancel_handle(),
            StreamBackend::AppServer(app) => app.cancel_handle(),
        }
    }

    /// Interrupts the turn (`turn/interrupt`), gracefully: the stream goes on, every item
    /// still open gets an `item.completed` with status `interrupted`, and the stream ends with
    /// `turn.completed` whose status is `interrupted` ([`Thread::run`] would return the turn so
    /// far). A turn that already ended counts as interrupted.
    ///
    /// Commands the turn started that still run are stopped once it ends
    /// (`thread/backgroundTerminals/terminate`): codex would keep them running in the
    /// background, out of reach, as the model never gets their output. Commands that earlier
    /// turns left running on purpose (the model let them run on and finished its turn) are
    /// left alone. The same holds for a turn stopped by its cancel handle, a time limit, or
    /// dropping the stream.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future may or may not have sent the interrupt; calling it
    /// again is harmless.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on the exec transport, which has no graceful interrupt (use
    /// [`cancel_handle`](Self::cancel_handle) or drop the stream to kill the turn); the
    /// errors of the request otherwise.
    pub async fn interrupt(&self) -> Result<(), Error> {
        match &self.backend {
            StreamBackend::AppServer(app) => app.interrupt().await.map_err(Error::from_exec),
            StreamBackend::Exec(_) => Err(Error::Unsupported {
                operation: "interrupting a turn",
                transport: Transport::Exec,
            }),
        }
    }

    /// Adds input to the running turn (`turn/steer`): the model sees it at its next step,
    /// without a new turn. The input is not reported as an item, as the prompt is not.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future may or may not have delivered the input.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on the exec transport; [`Error::Rpc`] when the turn is no longer
    /// running (codex refuses a steer for a turn that is not the active one).
    pub async fn steer(&self, input: impl Into<Input>) -> Result<(), Error> {
        match &self.backend {
            StreamBackend::AppServer(app) => {
                app.steer(&input.into()).await.map_err(Error::from_exec)
            }
            StreamBackend::Exec(_) => Err(Error::Unsupported {
                operation: "steering a turn",
                transport: Transport::Exec,
            }),
        }
    }
}

impl TurnStream {
    /// Consumes the rest of the stream and returns the turn, as [`Thread::run`] does (events
    /// already taken from the stream are not part of it: use a [`TurnCollector`] beside your
    /// own loop to keep them).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future drops the stream, which cancels the turn.
    ///
    /// # Errors
    ///
    /// [`Error::TurnFailed`] when codex reports `turn.failed`; the errors of the stream
    /// otherwise, except invalid lines, which are skipped and listed in [`Turn::skipped`].
    pub async fn collect_turn(mut self) -> Result<Turn, Error> {
        let mut collector = TurnCollector::new();
        while let Some(event) = self.next().await {
            match event {
                Ok(event) => collector.push(event),
                Err(error) => collector.skip(error)?,
            }
        }
        collector.finish()
    }
}

impl Stream for TurnStream {
    type Item = Result<ThreadEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        // codex-agent-exec's own spans and events nest under the turn's span.
        let span = this.telemetry.span().clone();
        let _entered = span.enter();
        let polled = match &mut this.backend {
            StreamBackend::Exec(exec) => match exec.poll_next_unpin(cx) {
                Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(Error::from_exec(err)))),
                Poll::Ready(Some(Ok(event))) => Poll::Ready(Some(Ok(event))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            StreamBackend::AppServer(app) => app
                .poll_next_unpin(cx)
                .map(|event| event.map(|event| event.map_err(Error::from_exec))),
        };
        // After `turn.failed`, codex exec exits with code 1: that exit is how the failure
        // ends, not a second error. Both transports end a failed turn the same way: the
        // `turn.failed` event, then the end of the stream.
        let polled = match polled {
            Poll::Ready(Some(Err(Error::ProcessExit { code: Some(_), .. }))) if this.failed => {
                Poll::Ready(None)
            }
            other => other,
        };
        match polled {
            Poll::Pending => {
                // Usage updates arrive as notifications without an event of their own.
                this.check_budget();
                Poll::Pending
            }
            Poll::Ready(None) => {
                self.ended = true;
                self.turn_span.release();
                // The turn is over: its attachments go.
                self.attachments = None;
                if let Some(tools) = self.tools.take() {
                    tools.end();
                }
                // The turn is over: the thread may start its next one. An app-server turn
                // that ended early (a time limit, a lost connection) keeps the lock until the
                // interrupt sent on drop has finished.
                if match &self.backend {
                    StreamBackend::Exec(_) => true,
                    StreamBackend::AppServer(app) => app.is_done(),
                } {
                    self.turn = None;
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(event)))
                if this.hooks_bypassed && is_hook_trust_warning(&event) =>
            {
                tracing::debug!("removed codex's hook-trust bypass warning from the stream");
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Ready(Some(Ok(event))) => {
                if matches!(event, ThreadEvent::TurnFailed(_)) {
                    self.failed = true;
                }
                self.observe(&event);
                if let ThreadEvent::ThreadStarted(started) = &event {
                    *self
                        .thread_id
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(started.thread_id.clone());
                }
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(Some(Err(err))) => {
                let err = match (err, self.over_budget.take()) {
                    (Error::Cancelled, Some(exceeded)) => Error::BudgetExceeded(exceeded),
                    (err, over_budget) => {
                        self.over_budget = over_budget;
                        err
                    }
                };
                self.telemetry.fail(error_type(&err));
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

impl TurnStream {
    /// Records an event, and stops the turn when its usage so far crosses the budget (only
    /// the app-server reports usage before the turn ends; it is checked on every poll).
    fn observe(&mut self, event: &ThreadEvent) {
        if let Err(error) = self.telemetry.on_event(event) {
            tracing::warn!(%error, "the event log could not be written");
        }
        self.check_budget();
    }

    /// Stops the turn when its usage so far crosses the budget.
    fn check_budget(&mut self) {
        let so_far = match &self.backend {
            StreamBackend::AppServer(app) if !app.is_done() => app.usage(),
            _ => return,
        };
        if self.over_budget.is_none()
            && let Err(exceeded) = self.telemetry.check_usage(so_far)
        {
            tracing::info!(limit = %exceeded.limit, "the turn crossed the thread's budget");
            self.over_budget = Some(exceeded);
            self.cancel_handle().cancel();
        }
    }
}

/// `error.type` of a turn that ended with `error`.
fn error_type(error: &Error) -> &'static str {
    match error {
        Error::BudgetExceeded(_) => "budget_exceeded",
        Error::Cancelled => "cancelled",
        Error::Timeout { .. } => "timeout",
        Error::ProcessExit { .. } => "process_exit",
        Error::TurnFailed { .. } => "turn_failed",
        Error::Rpc { .. } => "rpc",
        Error::TransportClosed => "transport_closed",
        _ => "error",
    }
}

/// Whether `event` is one of the `error` items codex reports when it runs with
/// `--dangerously-bypass-hook-trust` (which the SDK passes for its own hooks).
fn is_hook_trust_warning(event: &ThreadEvent) -> bool {
    let item = match event {
        ThreadEvent::ItemStarted(e) | ThreadEvent::ItemCompleted(e) => &e.item,
        _ => return false,
    };
    matches!(&item.details, codex_agent_protocol::exec::ItemDetails::Error(error)
        if error.message == HOOK_TRUST_WARNING)
}

/// The message of the `error` item codex 0.169–0.171 reports twice, at the start of a run,
/// when it runs with `--dangerously-bypass-hook-trust` (matched exactly: any other error,
/// including a different wording from a newer codex, stays in the stream).
const HOOK_TRUST_WARNING: &str = "`--dangerously-bypass-hook-trust` is enabled. Enabled hooks may run without review for this invocation.";

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    struct Answer {
        #[expect(dead_code, reason = "only the parse is tested")]
        n: u32,
    }

    /// Only codex's exact warning about the trust bypass is removed; other errors stay.
    #[test]
    fn only_the_hook_trust_warning_is_removed() {
        let event = |kind: &str, message: &str| -> ThreadEvent {
            serde_json::from_value(serde_json::json!({
                "type": kind,
                "item": {"id": "item_0", "type": "error", "message": message},
            }))
            .expect("an item event")
        };
        assert!(is_hook_trust_warning(&event(
            "item.completed",
            HOOK_TRUST_WARNING
        )));
        assert!(is_hook_trust_warning(&event(
            "item.started",
            HOOK_TRUST_WARNING
        )));
        assert!(!is_hook_trust_warning(&event(
            "item.completed",
            "hook failed"
        )));
        assert!(!is_hook_trust_warning(&event(
            "item.completed",
            &format!("{HOOK_TRUST_WARNING} And more.")
        )));
    }

    #[test]
    fn thread_ids_are_uuids() {
        for id in [
            "01a1fd14-d7a7-70d3-a8a3-000000000000",
            "019A2B3C-4D5E-7F60-8172-93A4B5C6D7E8",
        ] {
            assert!(is_thread_id(id), "{id}");
        }
        for id in [
            "",
            "not-a-uuid",
            "--last",
            "01a1fd14-d7a7-70d3-a8a3-00000000000",
            "01a1fd14-d7a7-70d3-a8a3-0000000000000",
            "01a1fd14d7a770d3a8a3000000000000",
            "01a1fd14-d7a7-70d3-a8a3-00000000000g",
            " 01a1fd14-d7a7-70d3-a8a3-000000000000",
            "01a1fd14-d7a7-70d3-a8a3-000000000000-0",
        ] {
            assert!(!is_thread_id(id), "{id}");
        }
    }

    /// S3: the excerpt of a mismatched answer goes through the redactor.
    #[test]
    fn a_schema_mismatch_excerpt_is_redacted() {
        let schema = serde_json::to_value(schemars::schema_for!(Answer)).expect("a schema");
        let error =
            parse_final::<Answer>(r#"{"n": "Bearer abc.def sk-proj-abcdefgh1234"}"#, &schema)
                .expect_err("not a number");
        let shown = format!("{error} {error:?}");
        assert!(matches!(error, Error::SchemaMismatch { .. }), "{shown}");
        assert!(
            !shown.contains("abc.def") && !shown.contains("sk-proj-abcdefgh1234"),
            "{shown}"
        );
    }
}
