//! The app-server turn runtime: one `codex app-server` shared by many threads, started on the
//! first turn, replaced when it dies, with each turn's notifications projected onto the exec
//! event model.
//!
//! - [`Runtime`] owns the connection ([`AppServer`]) and the table of per-thread request
//!   handlers (approvals, dynamic tools) that answer the server's requests. A connection that
//!   closed is replaced on the next turn; threads loaded on the old one are resumed
//!   (`thread/resume`) on the new one.
//! - [`Runtime::start_turn`] loads the thread (`thread/start` for a new thread,
//!   `thread/resume` for a known one) and sends `turn/start`; [`RuntimeTurn`] maps the turn's
//!   notifications to [`ThreadEvent`]s through codex-agent-protocol's [`TurnProjection`] and
//!   implements interrupt, steer, cancel, time limits, and the interrupt-on-drop. A turn
//!   stopped early also stops the commands it still runs, which codex would otherwise keep as
//!   background terminals.
//!
//! The limits and the cancel handle of a turn come from the same [`ExecOptions`] as on the
//! exec transport; the thread and turn options are lowered by the same options model
//! ([`ThreadOptions::thread_start_params`], [`TurnOptions::turn_start_params`]). A facade
//! therefore has no transport logic of its own.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use codex_agent_protocol::app_server::{
    DynamicToolSpec, ItemCompletedNotification, JsonRpcError, ServerNotification, ServerRequest,
    ThreadReadParams, Turn, TurnCompletedNotification, TurnStartParams, TurnStatus,
    TurnSteerParams,
};
use codex_agent_protocol::exec::{StreamError, ThreadEvent, ThreadStarted};
use codex_agent_protocol::projection::TurnProjection;
use futures::{FutureExt as _, Stream, StreamExt as _};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{AppServer, AppServerOptions, Handlers, METHOD_NOT_FOUND, RemoteEndpoint};
use crate::containment::ActiveTurn;
use crate::{
    CancelHandle, CodexBinary, CodexOptions, Error, ExecOptions, Input, ThreadOptions, TurnOptions,
};

/// How long a dropped turn's interrupt and the wait for its end may take before the turn is
/// left to itself.
const DROP_INTERRUPT_LIMIT: Duration = Duration::from_secs(5);

/// What a thread answers its server requests with (approvals, user input, dynamic tool
/// calls): the `result` of the response, or the error to send instead. Answered with the
/// server's request timeout and default answers of [`AppServerOptions`].
pub type RequestHandler = Arc<
    dyn Fn(ServerRequest) -> Pin<Box<dyn Future<Output = Result<Value, JsonRpcError>> + Send>>
        + Send
        + Sync,
>;

/// The server requests a thread's [`RequestHandler`] gets.
pub const THREAD_REQUEST_METHODS: &[&str] = ServerRequest::KNOWN_METHODS;

/// The threads' request handlers, and where each thread's running turn hears about a handler
/// that panicked.
#[derive(Default)]
struct ThreadTable {
    handlers: RwLock<HashMap<String, RequestHandler>>,
    /// The running turn of each thread: the `error` events for it.
    reports: std::sync::Mutex<HashMap<String, mpsc::UnboundedSender<ThreadEvent>>>,
}

impl ThreadTable {
    /// Takes `thread_id`'s handler and report channel out, if `handler` is still the one
    /// registered for it (another value of the same thread may have registered its own since).
    fn forget(&self, thread_id: &str, handler: &RequestHandler) {
        let mut handlers = self
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if handlers
            .get(thread_id)
            .is_some_and(|registered| Arc::ptr_eq(registered, handler))
        {
            handlers.remove(thread_id);
            self.reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(thread_id);
        }
    }
}

/// Where the runtime's app-servers come from.
enum Source {
    /// Spawned: `codex app-server --listen stdio://` of this binary with these options.
    Spawn {
        binary: CodexBinary,
        codex: CodexOptions,
    },
    /// Connected to: a `codex app-server --listen ws://IP:PORT` running elsewhere.
    Remote(RemoteEndpoint),
}

/// A running app-server and the number that tells it apart from the ones before it.
#[derive(Clone)]
struct Live {
    server: Arc<AppServer>,
    generation: u64,
}

/// One `codex app-server` shared by many threads: started on the first turn, replaced on the
/// next turn after it died. Cheap to create (nothing starts until a turn does).
///
/// Dropping the last handle on it (the runtime and every [`RuntimeTurn`]) stops the process.
pub struct Runtime {
    shared: Arc<Shared>,
}

struct Shared {
    source: Source,
    options: AppServerOptions,
    live: Mutex<Option<Live>>,
    next_generation: AtomicU64,
    threads: Arc<ThreadTable>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Runtime");
        match &self.shared.source {
            Source::Spawn { binary, .. } => s.field("binary", binary),
            Source::Remote(endpoint) => s.field("endpoint", endpoint),
        }
        .field(
            "generation",
            &self.shared.next_generation.load(Ordering::Relaxed),
        )
        .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime that starts `binary` as `codex app-server` with `codex`'s config and
    /// environment, and `options` for the connection (its handlers are replaced: the
    /// runtime answers the [`THREAD_REQUEST_METHODS`] with each thread's
    /// [`RequestHandler`]).
    #[must_use]
    pub fn new(binary: CodexBinary, codex: CodexOptions, options: AppServerOptions) -> Self {
        Self::with_source(Source::Spawn { binary, codex }, options)
    }

    /// A runtime whose app-server is the remote `endpoint` (a `codex app-server --listen
    /// ws://IP:PORT`), connected to on the first turn and reconnected to on the next turn
    /// after the socket dropped (threads are resumed there). The server's configuration,
    /// `CODEX_HOME` and filesystem apply; `options`' process settings do not.
    #[must_use]
    pub fn remote(endpoint: RemoteEndpoint, options: AppServerOptions) -> Self {
        Self::with_source(Source::Remote(endpoint), options)
    }

    /// The codex binary, for a runtime made by [`Runtime::new`].
    #[must_use]
    pub fn binary(&self) -> Option<&CodexBinary> {
        match &self.shared.source {
            Source::Spawn { binary, .. } => Some(binary),
            Source::Remote(_) => None,
        }
    }

    /// The remote endpoint, for a runtime made by [`Runtime::remote`].
    #[must_use]
    pub fn endpoint(&self) -> Option<&RemoteEndpoint> {
        match &self.shared.source {
            Source::Remote(endpoint) => Some(endpoint),
            Source::Spawn { .. } => None,
        }
    }

    fn with_source(source: Source, options: AppServerOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                source,
                options,
                live: Mutex::new(None),
                next_generation: AtomicU64::new(0),
                threads: Arc::default(),
            }),
        }
    }

    /// Loads the thread on the app-server (starting the app-server if needed) and starts a
    /// turn.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while `turn/start` is in flight interrupts that turn once it
    /// starts; dropped while `thread/start` is in flight, the new thread is left unused.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for input the app-server cannot take; the errors of spawning
    /// and of the requests ([`Error::AppServerClosed`], [`Error::Rpc`],
    /// [`Error::RequestTimeout`], …).
    pub async fn start_turn(&self, request: TurnRequest<'_>) -> Result<RuntimeTurn, Error> {
        start_turn(&self.shared, request).await
    }
}

impl Runtime {
    /// The live app-server, started (with the handshake) when there is none or the last one
    /// closed, for requests outside turns (`thread/list`, `model/list`, …). Threads loaded on
    /// it stay known to the runtime, as for turns.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while the app-server starts leaves it to start for the next
    /// caller, or stops it if there is none.
    ///
    /// # Errors
    ///
    /// The errors of spawning and of the handshake.
    pub async fn server(&self) -> Result<Arc<AppServer>, Error> {
        Ok(self.shared.live().await?.server)
    }

    /// Stops the running app-server, if there is one, and waits for it: closes its input,
    /// waits (bounded by the exit timeout) for codex to exit, and stops it if it does not.
    /// Turns still running on it end with [`Error::AppServerClosed`]; the threads it had
    /// loaded are released (an app-server holds each thread it loaded until it exits), and
    /// the next turn starts a new app-server and resumes them there. On a remote runtime
    /// this closes the connection; the server elsewhere keeps running.
    ///
    /// A turn that starts while this runs waits for it, then starts a new app-server.
    ///
    /// # Cancel safety
    ///
    /// Dropped while it waits for a turn that is starting the app-server, it does nothing.
    /// Dropped later, the app-server still ends: it is stopped when the last turn running on
    /// it is dropped (at once when there is none), or exits on its own sooner when its input
    /// was closed already.
    ///
    /// # Errors
    ///
    /// [`Error::AppServerClosed`] when codex did not exit with code 0 (its stderr tail
    /// included).
    pub async fn shutdown(&self) -> Result<(), Error> {
        let mut live = self.shared.live.lock().await;
        match live.take() {
            Some(current) => current.server.close().await,
            None => Ok(()),
        }
    }
}

impl Shared {
    /// The running app-server, started (with the handshake) when there is none or the last
    /// one closed. Threads loaded on a closed one are resumed on its successor, as their
    /// [`ThreadSlot`] names the old generation.
    async fn live(&self) -> Result<Live, Error> {
        let mut live = self.live.lock().await;
        if let Some(current) = live.as_ref() {
            if !current.server.is_closed() {
                return Ok(current.clone());
            }
            // It died between turns (killed, crashed): without this check the next turn would
            // fail on it, and only the one after would start a new server.
            *live = None;
        }
        let handlers = Handlers::new();
        for &method in THREAD_REQUEST_METHODS {
            let table = Arc::clone(&self.threads);
            handlers.set(method, move |request: ServerRequest| {
                let table = Arc::clone(&table);
                async move { dispatch(&table, request).await }
            });
        }
        let options = self.options.clone().handlers(handlers);
        let server = match &self.source {
            Source::Spawn { binary, codex } => AppServer::spawn(binary, codex, options).await?,
            Source::Remote(endpoint) => AppServer::connect_remote(endpoint, options).await?,
        };
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed) + 1;
        let started = Live {
            server: Arc::new(server),
            generation,
        };
        *live = Some(started.clone());
        Ok(started)
    }

    /// Forgets the app-server of `generation` after it closed, so that the next turn starts
    /// a new one.
    async fn forget(&self, generation: u64) {
        let mut live = self.live.lock().await;
        if live.as_ref().is_some_and(|l| l.generation == generation) {
            *live = None;
        }
    }

    /// Registers `thread_id`'s request handler, until `slot` is dropped.
    fn register(&self, slot: &mut ThreadSlot, thread_id: &str, handler: &RequestHandler) {
        self.threads
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(thread_id.to_owned(), Arc::clone(handler));
        slot.registered = Some(std::panic::AssertUnwindSafe(Registration {
            table: Arc::downgrade(&self.threads),
            thread_id: thread_id.to_owned(),
            handler: Arc::clone(handler),
        }));
    }

    /// Where the `error` events of `thread_id`'s handlers go from now on: the turn starting.
    fn report_to(&self, thread_id: &str) -> mpsc::UnboundedReceiver<ThreadEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.threads
            .reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(thread_id.to_owned(), tx);
        rx
    }
}

/// Answers one server request with the handler of the thread it names. A handler that panics
/// gets the request its default answer (a decline, see [`Handlers`]) and the thread's running
/// turn an `error` event saying so: codex always gets an answer, the turn goes on.
async fn dispatch(table: &ThreadTable, request: ServerRequest) -> Result<Value, JsonRpcError> {
    let fallback = request.clone();
    let thread_id = request.thread_id().map(str::to_owned);
    let answered = std::panic::AssertUnwindSafe(answer(table, request))
        .catch_unwind()
        .await;
    answered.unwrap_or_else(|_panic| {
        let method = fallback.method();
        tracing::warn!(
            method,
            "the request handler panicked: sending the default answer"
        );
        let message = format!(
            "the handler of `{method}` panicked; codex was sent the default answer (a decline)"
        );
        let sender = thread_id.and_then(|id| {
            table
                .reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
                .cloned()
        });
        if let Some(sender) = sender {
            let _ = sender.send(ThreadEvent::Error(StreamError::new(message)));
        }
        super::handlers::default_answer(&fallback)
    })
}

/// The answer of the handler of the thread `request` names.
async fn answer(table: &ThreadTable, request: ServerRequest) -> Result<Value, JsonRpcError> {
    let Some(thread_id) = request.thread_id() else {
        return Err(JsonRpcError::new(
            METHOD_NOT_FOUND,
            format!("this client does not answer `{}`", request.method()),
        ));
    };
    let handler = table
        .handlers
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(thread_id)
        .cloned()
        .ok_or_else(|| {
            JsonRpcError::new(
                super::INVALID_PARAMS,
                format!("this client knows no thread `{thread_id}` on this connection"),
            )
        })?;
    handler(request).await
}

/// The app-server state of one thread: which app-server it is loaded on, and its request
/// handler's registration. Keep one per thread, guarded by the thread's turn lock, and pass
/// it to every turn; dropping it takes the thread's handler out of the runtime (a long-lived
/// runtime that runs many threads holds only the live ones').
#[derive(Default)]
pub struct ThreadSlot {
    /// The generation of the app-server the thread is loaded on.
    loaded_on: Option<u64>,
    /// Only compared and removed on drop, never called: asserting unwind safety keeps the
    /// slot (and the threads holding it) `UnwindSafe` as before.
    registered: Option<std::panic::AssertUnwindSafe<Registration>>,
}

/// A thread's request handler, registered in its runtime's table.
struct Registration {
    table: Weak<ThreadTable>,
    thread_id: String,
    handler: RequestHandler,
}

impl fmt::Debug for ThreadSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSlot")
            .field("loaded_on", &self.loaded_on)
            .field(
                "registered",
                &self.registered.as_ref().map(|r| r.thread_id.as_str()),
            )
            .finish()
    }
}

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        if let Some(std::panic::AssertUnwindSafe(registration)) = self.registered.take()
            && let Some(table) = registration.table.upgrade()
        {
            table.forget(&registration.thread_id, &registration.handler);
        }
    }
}

/// What a turn needs from the thread that runs it.
#[must_use]
pub struct TurnRequest<'a> {
    thread_id: &'a std::sync::Mutex<Option<String>>,
    slot: &'a mut ThreadSlot,
    input: &'a Input,
    thread: Option<&'a ThreadOptions>,
    turn: Option<&'a TurnOptions>,
    dynamic_tools: Vec<DynamicToolSpec>,
    thread_config: Option<serde_json::Map<String, serde_json::Value>>,
    handler: Option<RequestHandler>,
    limits: Option<&'a ExecOptions>,
}

impl fmt::Debug for TurnRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnRequest")
            .field("thread_id", &self.thread_id)
            .field("input", &self.input)
            .field("thread", &self.thread)
            .field("turn", &self.turn)
            .field("dynamic_tools", &self.dynamic_tools.len())
            .field(
                "thread_config",
                &self
                    .thread_config
                    .as_ref()
                    .map(|c| c.keys().collect::<Vec<_>>()),
            )
            .field("handler", &self.handler.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> TurnRequest<'a> {
    /// A turn with `input` on the thread whose id is in `thread_id` (`None` for a thread not
    /// started yet: the id is written there once `thread/start` answers) and whose
    /// app-server state is `slot`.
    pub fn new(
        thread_id: &'a std::sync::Mutex<Option<String>>,
        slot: &'a mut ThreadSlot,
        input: &'a Input,
    ) -> Self {
        Self {
            thread_id,
            slot,
            input,
            thread: None,
            turn: None,
            dynamic_tools: Vec::new(),
            thread_config: None,
            handler: None,
            limits: None,
        }
    }

    /// The thread's options (`thread/start`, or `thread/resume` when the thread is loaded
    /// on this app-server for the first time).
    ///
    /// By default, [`ThreadOptions::default`].
    pub fn thread_options(mut self, options: &'a ThreadOptions) -> Self {
        self.thread = Some(options);
        self
    }

    /// The turn's options (`turn/start`).
    ///
    /// By default, [`TurnOptions::default`].
    pub fn turn_options(mut self, options: &'a TurnOptions) -> Self {
        self.turn = Some(options);
        self
    }

    /// The dynamic tools a new thread declares (`thread/start.dynamicTools`).
    ///
    /// By default, none.
    pub fn dynamic_tools(mut self, tools: Vec<DynamicToolSpec>) -> Self {
        self.dynamic_tools = tools;
        self
    }

    /// Extra `config` overrides for the thread (`thread/start.config` and
    /// `thread/resume.config`), added to those the thread's options lower to (a key here
    /// replaces the same key there). Used for what only the SDK declares, such as the MCP
    /// server of its hooks.
    ///
    /// By default, none.
    pub fn thread_config(mut self, config: serde_json::Map<String, serde_json::Value>) -> Self {
        self.thread_config = Some(config);
        self
    }

    /// What answers the thread's server requests.
    ///
    /// By default, the connection's default answers (decline, grant nothing, a failed
    /// tool call).
    pub fn handler(mut self, handler: RequestHandler) -> Self {
        self.handler = Some(handler);
        self
    }

    /// The turn's time limits and cancel handle ([`ExecOptions::turn_timeout`],
    /// [`ExecOptions::idle_timeout`], [`ExecOptions::cancel_handle`]), as for `codex exec`;
    /// here a limit or the handle interrupts the turn instead of killing a process.
    ///
    /// By default, no limits.
    pub fn limits(mut self, options: &'a ExecOptions) -> Self {
        self.limits = Some(options);
        self
    }
}

/// Loads the thread on the app-server (starting one if needed) and starts a turn.
async fn start_turn(shared: &Arc<Shared>, request: TurnRequest<'_>) -> Result<RuntimeTurn, Error> {
    let default_thread = ThreadOptions::default();
    let default_turn = TurnOptions::default();
    let TurnRequest {
        thread_id,
        slot,
        input,
        thread,
        turn,
        dynamic_tools,
        thread_config,
        handler,
        limits,
    } = request;
    let thread = thread.unwrap_or(&default_thread);
    let turn = turn.unwrap_or(&default_turn);
    let handler = handler.unwrap_or_else(default_handler);
    // Lowered before anything is sent: refused input or options fail without side effects.
    let input = input.app_server_input()?;
    // Built before the thread is loaded, so that options codex would refuse fail before
    // anything is sent; the thread id is filled in below.
    let mut params = turn.turn_start_params(String::new(), input)?;
    let live = shared.live().await?;
    let known_id = thread_id
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let id = match known_id {
        None => {
            let mut params = thread.thread_start_params();
            merge_config(&mut params.config, thread_config);
            if !dynamic_tools.is_empty() {
                params.dynamic_tools = Some(dynamic_tools);
            }
            let response = live
                .server
                .thread_start(params)
                .await
                .map_err(|e| closed(shared, &live, e))?;
            let id = response.thread.id;
            shared.register(slot, &id, &handler);
            *thread_id.lock().unwrap_or_else(PoisonError::into_inner) = Some(id.clone());
            slot.loaded_on = Some(live.generation);
            id
        }
        Some(id) if slot.loaded_on != Some(live.generation) => {
            // Registered first: a resumed thread may ask for approvals at once.
            shared.register(slot, &id, &handler);
            let mut params = thread.thread_resume_params(&id);
            merge_config(&mut params.config, thread_config);
            live.server
                .thread_resume(params)
                .await
                .map_err(|e| closed(shared, &live, e))?;
            slot.loaded_on = Some(live.generation);
            id
        }
        Some(id) => id,
    };
    params.thread_id.clone_from(&id);
    // Before `turn/start`: a handler may be asked (and fail) before the response comes.
    let reports = shared.report_to(&id);
    let notes = send_turn_start(&live, params)
        .await
        .map_err(|e| closed(shared, &live, e))?;
    let limits = limits.cloned().unwrap_or_default();
    Ok(RuntimeTurn::new(
        live,
        Arc::clone(shared),
        id,
        notes,
        reports,
        &limits,
    ))
}

/// Adds `extra` to a request's `config` overrides.
fn merge_config(
    config: &mut Option<serde_json::Map<String, serde_json::Value>>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
) {
    if let Some(extra) = extra.filter(|extra| !extra.is_empty()) {
        config
            .get_or_insert_with(serde_json::Map::new)
            .extend(extra);
    }
}

/// The handler of a thread that declared none: the connection's default answers.
fn default_handler() -> RequestHandler {
    Arc::new(|request: ServerRequest| {
        Box::pin(async move {
            Err(JsonRpcError::new(
                METHOD_NOT_FOUND,
                format!("this thread does not answer `{}`", request.method()),
            ))
        })
    })
}

/// Sends `turn/start` from a task of its own, so that a caller that gives up while it is in
/// flight does not leave the turn running unseen: the task interrupts it instead.
async fn send_turn_start(live: &Live, params: TurnStartParams) -> Result<super::TurnStream, Error> {
    let (tx, rx) = oneshot::channel();
    let server = Arc::clone(&live.server);
    tokio::spawn(async move {
        let result = server.turn_start(params).await;
        if let Err(Ok(orphan)) = tx.send(result) {
            let interrupt = server.turn_interrupt(orphan.thread_id(), orphan.turn_id());
            let _ = tokio::time::timeout(DROP_INTERRUPT_LIMIT, interrupt).await;
        }
    });
    rx.await.unwrap_or(Err(Error::AppServerClosed {
        code: None,
        signal: None,
        stderr: String::new(),
    }))
}

/// Stops the commands of a turn that ended early (`thread/backgroundTerminals/terminate`
/// each), bounded by [`DROP_INTERRUPT_LIMIT`].
///
/// codex runs the model's commands as background terminals that outlive their turn: an
/// interrupt stops the turn but leaves its commands running, and nothing could reach them
/// any more (the model never got their output). Commands that earlier turns left running on
/// purpose are not touched. Failures are ignored: the command may have ended meanwhile, and
/// the app-server stops whatever still runs when it exits.
async fn terminate_commands(server: &AppServer, thread_id: &str, processes: Vec<String>) {
    let terminate = async {
        for process in processes {
            let _ = server
                .thread_background_terminals_terminate(thread_id, process)
                .await;
        }
    };
    let _ = tokio::time::timeout(DROP_INTERRUPT_LIMIT, terminate).await;
}

/// Maps a request error, forgetting the app-server when it is gone so that the next turn
/// starts a new one.
fn closed(shared: &Shared, live: &Live, error: Error) -> Error {
    if error.is_connection_lost() {
        // `forget` only takes the lock for a moment; a `try_lock` is enough, and a busy lock
        // means someone else is already replacing the connection.
        if let Ok(mut current) = shared.live.try_lock()
            && current
                .as_ref()
                .is_some_and(|l| l.generation == live.generation)
        {
            *current = None;
        }
    }
    error
}

/// A running turn on the app-server: its notifications projected onto exec events.
///
/// A [`Stream`] of [`ThreadEvent`]s: `thread.started` first (the runtime knows the thread
/// id), then the projection of the turn's notifications. It ends after `turn.completed` or
/// `turn.failed`; a time limit ends it with [`Error::TurnTimeout`] / [`Error::IdleTimeout`],
/// a fired cancel handle with [`Error::Cancelled`] once the interrupt completed the turn, a
/// lost connection with [`Error::AppServerClosed`], and notifications that stop before
/// `turn/completed` with [`Error::TurnIncomplete`].
///
/// # Turns always end
///
/// A turn quiet for [`AppServerOptions::turn_probe_after`] is checked with `thread/read`:
/// when codex recorded it finished but never sent its `turn/completed`, the stream ends
/// with the items and status codex recorded, as if the notifications had come. A codex that
/// answers nothing at all is stopped (see that option), so the stream ends at the idle
/// timeout, or after a check that got no answer, whatever codex does. A request handler
/// that panics yields an `error` event (and codex gets the default answer, a decline).
pub struct RuntimeTurn {
    live: Live,
    shared: Arc<Shared>,
    thread_id: String,
    turn_id: String,
    notes: Option<super::TurnStream>,
    state: TurnProjection,
    queue: VecDeque<Result<ThreadEvent, Error>>,
    cancel: CancelHandle,
    /// Set by the cancel watcher once it asked for the interrupt.
    cancelled: Arc<AtomicBool>,
    /// Dropped when the turn ends, which stops the cancel watcher.
    _watcher: oneshot::Sender<()>,
    turn_limit: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    idle_limit: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    /// The offline timeout ([`ExecOptions::offline_timeout`]), if bounded.
    offline_limit: Option<Duration>,
    /// Running since codex's first `waiting for network` error with no other notification
    /// after it.
    offline: Option<Pin<Box<tokio::time::Sleep>>>,
    /// codex's last `waiting for network` report (redacted), while the offline timer runs.
    offline_report: Option<String>,
    /// Messages codex had sent when the idle period began: the same count when it ends means
    /// codex answered nothing, not even the `thread/read` checks, and is hung.
    idle_mark: u64,
    /// The quiet period after which the turn is checked, and its timer.
    probe_every: Duration,
    quiet: Pin<Box<tokio::time::Sleep>>,
    /// The `thread/read` check in flight, on a task of its own (aborted when dropped).
    probe: Option<ProbeTask>,
    /// Items whose `item/completed` came, so that a turn ended from `thread/read` does not
    /// complete them twice.
    completed_items: std::collections::HashSet<String>,
    /// `error` events from the thread's request handlers.
    reports: mpsc::UnboundedReceiver<ThreadEvent>,
    ended: bool,
    /// Counts this turn as running on the app-server until the turn and its cleanup are over:
    /// then what it detached from codex is killed (see [`AppServer::containment`]).
    active: Option<ActiveTurn>,
}

/// A `thread/read` check running on its own task; dropping it aborts the task.
struct ProbeTask(tokio::task::JoinHandle<Probe>);

impl Drop for ProbeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a `thread/read` check learned about a quiet turn.
enum Probe {
    /// codex recorded the turn as finished: its final state.
    Finished(Box<Turn>),
    /// Still running, or not known yet.
    Running,
    /// No answer, and nothing else from codex either, within the request timeout.
    Hung,
}

impl std::fmt::Debug for RuntimeTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeTurn")
            .field("thread_id", &self.thread_id)
            .field("turn_id", &self.turn_id)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl RuntimeTurn {
    fn new(
        live: Live,
        shared: Arc<Shared>,
        thread_id: String,
        notes: super::TurnStream,
        reports: mpsc::UnboundedReceiver<ThreadEvent>,
        limits: &ExecOptions,
    ) -> Self {
        let cancel = limits.cancel.clone().unwrap_or_default();
        let (turn_timeout, idle_timeout) = (limits.turn_timeout, limits.idle_timeout);
        let turn_id = notes.turn_id().to_owned();
        let cancelled = Arc::new(AtomicBool::new(false));
        let (watcher, stop) = oneshot::channel::<()>();
        {
            let cancel = cancel.clone();
            let server = Arc::clone(&live.server);
            let cancelled = Arc::clone(&cancelled);
            let (thread, turn) = (thread_id.clone(), turn_id.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = cancel.cancelled() => {
                        cancelled.store(true, Ordering::SeqCst);
                        let _ = tokio::time::timeout(
                            DROP_INTERRUPT_LIMIT,
                            server.turn_interrupt(thread, turn),
                        )
                        .await;
                    }
                    _ = stop => {}
                }
            });
        }
        let mut queue = VecDeque::new();
        queue.push_back(Ok(ThreadEvent::ThreadStarted(ThreadStarted::new(
            thread_id.clone(),
        ))));
        let sleep = |limit: Duration| (limit, Box::pin(tokio::time::sleep(limit)));
        let active = live.server.begin_turn();
        // At least twice per idle period, so that a live codex answers a check within it.
        let probe_every = idle_timeout.map_or(shared.options.turn_probe_after, |idle| {
            shared
                .options
                .turn_probe_after
                .min(idle / 2)
                .max(Duration::from_millis(1))
        });
        Self {
            idle_mark: live.server.messages_received(),
            probe_every,
            quiet: Box::pin(tokio::time::sleep(probe_every)),
            probe: None,
            completed_items: std::collections::HashSet::new(),
            reports,
            state: TurnProjection::new(turn_id.clone()),
            live,
            shared,
            thread_id,
            turn_id,
            notes: Some(notes),
            queue,
            cancel,
            cancelled,
            _watcher: watcher,
            turn_limit: turn_timeout.map(sleep),
            idle_limit: idle_timeout.map(sleep),
            offline_limit: limits.offline_timeout,
            offline: None,
            offline_report: None,
            ended: false,
            active,
        }
    }

    /// The turn id the app-server gave this turn.
    #[must_use]
    pub fn turn_id(&self) -> &str {
        &self.turn_id
    }

    /// The turn's token usage so far, summed over the model calls codex reported
    /// (`thread/tokenUsage/updated` comes after each one).
    #[must_use]
    pub fn usage(&self) -> &codex_agent_protocol::exec::Usage {
        self.state.usage()
    }

    /// The pid of the shared app-server.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.live.server.pid()
    }

    /// How the shared app-server's processes are contained (see
    /// [`AppServer::containment`]).
    #[must_use]
    pub fn containment(&self) -> Option<crate::Containment> {
        self.live.server.containment()
    }

    /// The handle that interrupts this turn.
    #[must_use]
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// `turn/interrupt`, gracefully: the stream goes on, every open item is completed as
    /// `interrupted`, the commands the turn still runs are stopped, and the stream ends with
    /// `turn.completed` whose status is `interrupted`. A turn that already ended counts as
    /// interrupted.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future may or may not have sent the interrupt; calling it
    /// again is harmless.
    ///
    /// # Errors
    ///
    /// The errors of the request ([`Error::AppServerClosed`], [`Error::Rpc`], …).
    pub async fn interrupt(&self) -> Result<(), Error> {
        if self.state.is_done() {
            return Ok(());
        }
        self.live
            .server
            .turn_interrupt(&self.thread_id, &self.turn_id)
            .await
            .map_err(|e| closed(&self.shared, &self.live, e))
    }

    /// `turn/steer` with this turn as the expected one: the model sees `input` at its next
    /// step.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future may or may not have delivered the input.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for input the app-server cannot take; [`Error::Rpc`] when the
    /// turn is no longer the active one; the other errors of the request.
    pub async fn steer(&self, input: &Input) -> Result<(), Error> {
        let params =
            TurnSteerParams::new(&self.thread_id, &self.turn_id, input.app_server_input()?);
        self.live
            .server
            .turn_steer(params)
            .await
            .map(drop)
            .map_err(|e| closed(&self.shared, &self.live, e))
    }

    /// Whether the turn reached `turn/completed`.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.state.is_done()
    }

    /// Interrupts the turn if it still runs, waits (bounded) for its end, and stops the
    /// commands it left running, from a task of its own; `guard` (the thread's turn lock) is
    /// held until then, so the thread's next turn does not collide with this one. What a
    /// stream's drop calls; does nothing for a turn that ended, or outside a Tokio runtime.
    pub fn abandon<G: Send + 'static>(&mut self, guard: G) {
        let Some(mut notes) = self.notes.take() else {
            return;
        };
        if self.state.is_done() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let server = Arc::clone(&self.live.server);
        let (thread, turn) = (self.thread_id.clone(), self.turn_id.clone());
        let mut state =
            std::mem::replace(&mut self.state, TurnProjection::new(self.turn_id.clone()));
        let active = self.active.take();
        tokio::spawn(async move {
            let finish = async {
                let _ = server.turn_interrupt(&thread, turn).await;
                // The notifications not yet read may start more commands.
                while let Some(Ok(note)) = notes.next().await {
                    let _ = state.on_notification(&note.body);
                    if state.is_done() {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DROP_INTERRUPT_LIMIT, finish).await;
            terminate_commands(&server, &thread, state.running_processes()).await;
            drop(active);
            drop(guard);
        });
    }

    /// Once the turn ended interrupted (by [`interrupt`](Self::interrupt), the cancel handle,
    /// a `cancel` approval decision, another client), stops the commands it left running,
    /// from a task of its own.
    /// The turn stops counting as running then (see [`ActiveTurn`]).
    fn stop_orphaned_commands(&mut self) {
        let active = self.active.take();
        let processes = self.state.running_processes();
        if !self.state.was_interrupted()
            || processes.is_empty()
            || tokio::runtime::Handle::try_current().is_err()
        {
            return;
        }
        let server = Arc::clone(&self.live.server);
        let thread = self.thread_id.clone();
        tokio::spawn(async move {
            terminate_commands(&server, &thread, processes).await;
            drop(active);
        });
    }

    fn fail(&mut self, error: Error) -> Error {
        self.ended = true;
        if error.is_connection_lost() {
            let shared = Arc::clone(&self.shared);
            let generation = self.live.generation;
            if tokio::runtime::Handle::try_current().is_ok() {
                tokio::spawn(async move { shared.forget(generation).await });
            }
        }
        error
    }
}

impl RuntimeTurn {
    /// Starts a `thread/read` check of this turn.
    fn start_probe(&mut self) {
        let server = Arc::clone(&self.live.server);
        let turn_id = self.turn_id.clone();
        let mut params = ThreadReadParams::new(self.thread_id.clone());
        params.include_turns = Some(true);
        self.probe = Some(ProbeTask(tokio::spawn(async move {
            let before = server.messages_received();
            match server.thread_read(params).await {
                Ok(read) => match read.thread.turns.into_iter().find(|t| t.id == turn_id) {
                    Some(turn) if !matches!(turn.status, TurnStatus::InProgress) => {
                        Probe::Finished(Box::new(turn))
                    }
                    _ => Probe::Running,
                },
                Err(Error::RequestTimeout { .. }) if server.messages_received() == before => {
                    Probe::Hung
                }
                Err(error) => {
                    tracing::debug!(%error, "checking a quiet turn with thread/read failed");
                    Probe::Running
                }
            }
        })));
    }

    /// Ends the turn with the state codex recorded for it: the items not completed yet, then
    /// `turn/completed`, through the projection as if codex had sent them.
    fn finish_from_record(&mut self, turn: Turn) {
        tracing::warn!(
            thread_id = %self.thread_id,
            turn_id = %self.turn_id,
            "codex recorded the turn as finished but sent no turn/completed; ending it from thread/read"
        );
        for item in &turn.items {
            if self.completed_items.contains(item.id()) {
                continue;
            }
            let note = serde_json::json!({
                "item": item,
                "threadId": self.thread_id,
                "turnId": self.turn_id,
                "completedAtMs": 0,
            });
            match serde_json::from_value::<ItemCompletedNotification>(note) {
                Ok(note) => {
                    let note = ServerNotification::ItemCompleted(Box::new(note));
                    self.queue
                        .extend(self.state.on_notification(&note).into_iter().map(Ok));
                }
                Err(error) => {
                    tracing::debug!(%error, "an item of thread/read does not round-trip");
                }
            }
        }
        let mut turn = turn;
        turn.items.clear();
        let note = serde_json::json!({ "threadId": self.thread_id, "turn": turn });
        match serde_json::from_value::<TurnCompletedNotification>(note) {
            Ok(note) => {
                let note = ServerNotification::TurnCompleted(Box::new(note));
                self.queue
                    .extend(self.state.on_notification(&note).into_iter().map(Ok));
                self.stop_orphaned_commands();
            }
            Err(error) => {
                tracing::debug!(%error, "the turn of thread/read does not round-trip");
                let error = self.fail(Error::TurnIncomplete);
                self.queue.push_back(Err(error));
            }
        }
        // No more notifications are wanted; the projection is done.
        self.notes = None;
    }

    /// The turn's time limits: the error of the first one that ran out, if any.
    fn poll_limits(&mut self, cx: &mut Context<'_>) -> Option<Error> {
        if let Some((limit, sleep)) = &mut self.turn_limit
            && sleep.as_mut().poll(cx).is_ready()
        {
            let limit = *limit;
            self.ended = true;
            return Some(Error::TurnTimeout { limit });
        }
        if let Some((limit, sleep)) = &mut self.idle_limit
            && sleep.as_mut().poll(cx).is_ready()
        {
            let limit = *limit;
            return Some(self.idle_timeout(limit));
        }
        if let (Some(limit), Some(sleep)) = (self.offline_limit, &mut self.offline)
            && sleep.as_mut().poll(cx).is_ready()
        {
            tracing::warn!(
                pid = ?self.live.server.pid(),
                ?limit,
                "codex could not reach the model server within the offline timeout; ending the turn"
            );
            self.ended = true;
            return Some(Error::ModelUnreachable {
                limit,
                reason: self.offline_report.take(),
            });
        }
        None
    }

    /// Starts the offline timer at codex's first `waiting for network` error, and stops it at
    /// any other notification.
    fn track_offline(&mut self, note: &ServerNotification) {
        let Some(limit) = self.offline_limit else {
            return;
        };
        match note {
            ServerNotification::Error(error)
                if error.will_retry && crate::stream::waiting_for_network(&error.error.message) =>
            {
                self.offline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                self.offline_report = Some(self.live.server.redact(&error.error.message));
            }
            _ => {
                self.offline = None;
                self.offline_report = None;
            }
        }
    }

    /// The idle timeout elapsed: a codex that sent nothing at all during it is hung and is
    /// stopped; either way the turn ends with [`Error::IdleTimeout`].
    fn idle_timeout(&mut self, limit: Duration) -> Error {
        if self.live.server.messages_received() == self.idle_mark {
            tracing::warn!(
                pid = ?self.live.server.pid(),
                ?limit,
                "codex app-server answered nothing within the idle timeout; stopping it"
            );
            self.live.server.kill_hung();
            let shared = Arc::clone(&self.shared);
            let generation = self.live.generation;
            tokio::spawn(async move { shared.forget(generation).await });
        }
        self.ended = true;
        Error::IdleTimeout { limit }
    }
}

impl Stream for RuntimeTurn {
    type Item = Result<ThreadEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.queue.pop_front() {
                return Poll::Ready(Some(event));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if let Poll::Ready(Some(event)) = this.reports.poll_recv(cx) {
                return Poll::Ready(Some(Ok(event)));
            }
            if this.state.is_done() {
                this.ended = true;
                if this.cancelled.load(Ordering::SeqCst) {
                    return Poll::Ready(Some(Err(Error::Cancelled)));
                }
                return Poll::Ready(None);
            }
            if let Some(error) = this.poll_limits(cx) {
                return Poll::Ready(Some(Err(error)));
            }
            let Some(notes) = this.notes.as_mut() else {
                this.ended = true;
                return Poll::Ready(None);
            };
            // Notifications first: those codex sent before answering a check are older than
            // the answer.
            match notes.poll_next_unpin(cx) {
                Poll::Pending => {}
                Poll::Ready(Some(Ok(note))) => {
                    let now = tokio::time::Instant::now();
                    if let Some((limit, sleep)) = &mut this.idle_limit {
                        sleep.as_mut().reset(now + *limit);
                        this.idle_mark = this.live.server.messages_received();
                    }
                    this.quiet.as_mut().reset(now + this.probe_every);
                    this.track_offline(&note.body);
                    if let ServerNotification::ItemCompleted(done) = &note.body {
                        this.completed_items.insert(done.item.id().to_owned());
                    }
                    this.queue
                        .extend(this.state.on_notification(&note.body).into_iter().map(Ok));
                    if this.state.is_done() {
                        this.stop_orphaned_commands();
                    }
                    continue;
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = this.fail(error);
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => {
                    // A turn stream ends cleanly only after `turn/completed`.
                    this.ended = true;
                    return Poll::Ready(Some(Err(Error::TurnIncomplete)));
                }
            }
            if let Some(probe) = &mut this.probe
                && let Poll::Ready(joined) = Pin::new(&mut probe.0).poll(cx)
            {
                this.probe = None;
                // A check that panicked or was aborted learned nothing.
                match joined.unwrap_or(Probe::Running) {
                    Probe::Finished(turn) => {
                        this.finish_from_record(*turn);
                        continue;
                    }
                    Probe::Running => {}
                    Probe::Hung => {
                        tracing::warn!(
                            pid = ?this.live.server.pid(),
                            "codex app-server answered nothing, not even thread/read; stopping it"
                        );
                        // The turn's stream then fails with `AppServerClosed`.
                        this.live.server.kill_hung();
                        continue;
                    }
                }
            }
            if this.probe.is_none() && this.quiet.as_mut().poll(cx).is_ready() {
                let next = tokio::time::Instant::now() + this.probe_every;
                this.quiet.as_mut().reset(next);
                this.start_probe();
                continue;
            }
            return Poll::Pending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler() -> RequestHandler {
        default_handler()
    }

    fn registered(table: &ThreadTable) -> usize {
        table
            .handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn register(
        table: &Arc<ThreadTable>,
        slot: &mut ThreadSlot,
        id: &str,
        handler: &RequestHandler,
    ) {
        table
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), Arc::clone(handler));
        table
            .reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), mpsc::unbounded_channel().0);
        slot.registered = Some(std::panic::AssertUnwindSafe(Registration {
            table: Arc::downgrade(table),
            thread_id: id.to_owned(),
            handler: Arc::clone(handler),
        }));
    }

    #[test]
    fn a_dropped_thread_slot_takes_its_handler_out() {
        let table = Arc::new(ThreadTable::default());
        let mut slots: Vec<ThreadSlot> = (0..100).map(|_| ThreadSlot::default()).collect();
        for (n, slot) in slots.iter_mut().enumerate() {
            register(&table, slot, &format!("thread-{n}"), &handler());
        }
        assert_eq!(registered(&table), 100);
        slots.truncate(10);
        assert_eq!(registered(&table), 10);
        assert_eq!(
            table
                .reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
            10
        );
        drop(slots);
        assert_eq!(registered(&table), 0);
    }

    #[test]
    fn a_stale_slot_leaves_a_newer_registration_of_its_thread() {
        let table = Arc::new(ThreadTable::default());
        let mut old = ThreadSlot::default();
        register(&table, &mut old, "thread", &handler());
        let mut new = ThreadSlot::default();
        let newer = handler();
        register(&table, &mut new, "thread", &newer);
        drop(old);
        assert_eq!(registered(&table), 1, "the newer registration stays");
        drop(new);
        assert_eq!(registered(&table), 0);
    }

    #[test]
    fn a_slot_outliving_its_runtime_drops_quietly() {
        let table = Arc::new(ThreadTable::default());
        let mut slot = ThreadSlot::default();
        register(&table, &mut slot, "thread", &handler());
        drop(table);
        drop(slot);
    }
}
