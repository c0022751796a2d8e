//! The app-server transport: one `codex app-server` process per [`Codex`](crate::Codex),
//! started on the first turn and shared by its threads, mapped onto the same events and items
//! as the exec transport.
//!
//! - [`Shared`] owns the connection (codex-exec's [`AppServer`]) and the table of per-thread
//!   handlers (approvals, dynamic tools) that answer the server's requests. A connection that
//!   closed is replaced on the next turn; threads loaded on the old one are resumed
//!   (`thread/resume`) on the new one.
//! - [`start_turn`] loads the thread (`thread/start` for a new thread, `thread/resume` for a
//!   resumed one) and sends `turn/start`; [`AppTurn`] maps the turn's notifications to
//!   [`ThreadEvent`]s through [`TurnState`] and implements interrupt, steer, cancel, time
//!   limits, and the interrupt-on-drop. A turn stopped early also stops the commands it
//!   still runs, which codex would otherwise keep as background terminals.

use std::collections::{HashMap, VecDeque};
use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use codex_exec::app_server::{AppServer, AppServerOptions, Handlers};
use codex_exec::{CancelHandle, ExecOptions, Input};
use codex_protocol::app_server::{
    JsonRpcError, ServerRequest, TurnStartParams, TurnSteerParams, UserInput,
};
use codex_protocol::exec::{ThreadEvent, ThreadStarted};
use codex_protocol::projection::TurnProjection as TurnState;
use futures::{Stream, StreamExt as _};
use serde_json::Value;
use tokio::sync::{Mutex, oneshot};

use crate::codex::{Inner, Transport};
use crate::error::{Error, TimeoutKind};
use crate::thread_options::ThreadOptions;

/// How long a dropped turn's interrupt and the wait for its end may take before the turn is
/// left to itself.
const DROP_INTERRUPT_LIMIT: Duration = Duration::from_secs(5);

/// What answers a thread's server requests.
struct ThreadHandlers {
    options: ThreadOptions,
}

type ThreadTable = RwLock<HashMap<String, Arc<ThreadHandlers>>>;

/// A running app-server and the number that tells it apart from the ones before it.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) server: Arc<AppServer>,
    pub(crate) generation: u64,
    /// The API key codex got, redacted from the server's error messages.
    secret: Option<String>,
}

/// The app-server state of one [`Codex`](crate::Codex): the connection, started lazily, and
/// the handlers of its threads.
#[derive(Default)]
pub(crate) struct Shared {
    live: Mutex<Option<Live>>,
    next_generation: AtomicU64,
    threads: Arc<ThreadTable>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("generation", &self.next_generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The running app-server, started (with the handshake) when there is none or the last
    /// one closed. Threads loaded on a closed one are resumed on its successor, as their
    /// [`ThreadSlot`] names the old generation.
    async fn live(&self, inner: &Inner) -> Result<Live, Error> {
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
        for method in codex_tools::ANSWERED_METHODS {
            let table = Arc::clone(&self.threads);
            handlers.set(method, move |request: ServerRequest| {
                let table = Arc::clone(&table);
                async move { dispatch(&table, request).await }
            });
        }
        let mut process = ExecOptions::new();
        if let Some(key) = &inner.options.api_key {
            process = process.redact(key.clone());
        }
        if let Some(grace) = inner.options.kill_grace {
            process = process.kill_grace(grace);
        }
        let mut options = AppServerOptions::new().handlers(handlers).process(process);
        if let Some(timeout) = inner.options.approval_timeout {
            options = options.server_request_timeout(timeout);
        }
        let server = AppServer::spawn(&inner.binary, &inner.options.exec, options)
            .await
            .map_err(Error::from_exec)?;
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed) + 1;
        let started = Live {
            server: Arc::new(server),
            generation,
            secret: inner.options.api_key.clone(),
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

    fn register(&self, thread_id: &str, options: &ThreadOptions) {
        self.threads
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                thread_id.to_owned(),
                Arc::new(ThreadHandlers {
                    options: options.clone(),
                }),
            );
    }
}

/// Answers one server request with the handlers of the thread it names.
async fn dispatch(table: &ThreadTable, request: ServerRequest) -> Result<Value, JsonRpcError> {
    let Some(thread_id) = codex_tools::thread_id(&request) else {
        // Names no thread, so not a request the SDK answers: `answer` refuses it.
        return codex_tools::answer(request, &crate::approval::AlwaysDecline, &[]).await;
    };
    let thread = table
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(thread_id)
        .cloned()
        .ok_or_else(|| {
            JsonRpcError::new(
                codex_exec::app_server::INVALID_PARAMS,
                format!("codex-sdk knows no thread `{thread_id}` on this connection"),
            )
        })?;
    codex_tools::answer(request, &*thread.options.handler(), &thread.options.tools).await
}

/// The app-server state of one thread, guarded by the thread's turn lock.
#[derive(Debug, Default)]
pub(crate) struct ThreadSlot {
    /// The generation of the app-server the thread is loaded on.
    loaded_on: Option<u64>,
}

/// The input of a turn as `turn/start` takes it.
fn user_input(input: &Input) -> Result<Vec<UserInput>, Error> {
    match input {
        Input::Text(text) => Ok(vec![UserInput::text(text.clone())]),
        Input::Items(items) => items
            .iter()
            .map(|item| match item {
                codex_exec::UserInput::Text(text) => Ok(UserInput::text(text.clone())),
                codex_exec::UserInput::LocalImage(path) => {
                    Ok(UserInput::local_image(path.to_string_lossy().into_owned()))
                }
                _ => Err(Error::Unsupported {
                    operation: "this kind of input",
                    transport: Transport::AppServer,
                }),
            })
            .collect(),
        _ => Err(Error::Unsupported {
            operation: "this kind of input",
            transport: Transport::AppServer,
        }),
    }
}

/// What a turn needs from the thread that runs it.
pub(crate) struct TurnRequest<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) options: &'a ThreadOptions,
    pub(crate) thread_id: &'a std::sync::Mutex<Option<String>>,
    pub(crate) slot: &'a mut ThreadSlot,
    pub(crate) input: &'a Input,
    pub(crate) turn: &'a codex_exec::TurnOptions,
    pub(crate) cancel: Option<CancelHandle>,
    pub(crate) turn_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
}

/// Loads the thread on the app-server (starting one if needed) and starts a turn.
pub(crate) async fn start_turn(request: TurnRequest<'_>) -> Result<AppTurn, Error> {
    let TurnRequest {
        inner,
        options,
        thread_id,
        slot,
        input,
        turn,
        cancel,
        turn_timeout,
        idle_timeout,
    } = request;
    let input = user_input(input)?;
    // Built before the thread is loaded, so that options codex would refuse fail before
    // anything is sent; the thread id is filled in below.
    let mut params = turn
        .turn_start_params(String::new(), input)
        .map_err(Error::from_exec)?;
    let shared = &inner.app_server;
    let live = shared.live(inner).await?;
    let known_id = thread_id
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let id = match known_id {
        None => {
            let response = live
                .server
                .thread_start(options.start_params())
                .await
                .map_err(|e| closed(shared, &live, e))?;
            let id = response.thread.id;
            shared.register(&id, options);
            *thread_id.lock().unwrap_or_else(PoisonError::into_inner) = Some(id.clone());
            slot.loaded_on = Some(live.generation);
            id
        }
        Some(id) if slot.loaded_on != Some(live.generation) => {
            // Registered first: a resumed thread may ask for approvals at once.
            shared.register(&id, options);
            live.server
                .thread_resume(options.resume_params(&id))
                .await
                .map_err(|e| closed(shared, &live, e))?;
            slot.loaded_on = Some(live.generation);
            id
        }
        Some(id) => id,
    };
    params.thread_id = id.clone();
    let notes = send_turn_start(&live, params)
        .await
        .map_err(|e| closed(shared, &live, e))?;
    Ok(AppTurn::new(
        live,
        Arc::clone(&inner.app_server),
        id,
        notes,
        cancel.unwrap_or_default(),
        turn_timeout,
        idle_timeout,
    ))
}

/// Sends `turn/start` from a task of its own, so that a caller that gives up while it is in
/// flight does not leave the turn running unseen: the task interrupts it instead.
async fn send_turn_start(
    live: &Live,
    params: TurnStartParams,
) -> Result<codex_exec::app_server::TurnStream, codex_exec::Error> {
    let (tx, rx) = oneshot::channel();
    let server = Arc::clone(&live.server);
    tokio::spawn(async move {
        let result = server.turn_start(params).await;
        if let Err(Ok(orphan)) = tx.send(result) {
            let interrupt = server.turn_interrupt(orphan.thread_id(), orphan.turn_id());
            let _ = tokio::time::timeout(DROP_INTERRUPT_LIMIT, interrupt).await;
        }
    });
    rx.await.unwrap_or(Err(codex_exec::Error::AppServerClosed {
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
fn closed(shared: &Shared, live: &Live, error: codex_exec::Error) -> Error {
    if matches!(error, codex_exec::Error::AppServerClosed { .. }) {
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
    map_error(error, live.secret.as_deref())
}

/// The facade's error for a client error, with `secret` redacted from server messages.
fn map_error(error: codex_exec::Error, secret: Option<&str>) -> Error {
    match Error::from_exec(error) {
        Error::Rpc {
            method,
            code,
            message,
        } => Error::Rpc {
            method,
            code,
            message: crate::error::redact(&message, secret),
        },
        other => other,
    }
}

/// A running turn on the app-server: its notifications mapped to events.
pub(crate) struct AppTurn {
    live: Live,
    shared: Arc<Shared>,
    thread_id: String,
    turn_id: String,
    notes: Option<codex_exec::app_server::TurnStream>,
    state: TurnState,
    queue: VecDeque<Result<ThreadEvent, Error>>,
    cancel: CancelHandle,
    /// Set by the cancel watcher once it asked for the interrupt.
    cancelled: Arc<AtomicBool>,
    /// Dropped when the turn ends, which stops the cancel watcher.
    _watcher: oneshot::Sender<()>,
    turn_limit: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    idle_limit: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    ended: bool,
}

impl std::fmt::Debug for AppTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppTurn")
            .field("thread_id", &self.thread_id)
            .field("turn_id", &self.turn_id)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl AppTurn {
    fn new(
        live: Live,
        shared: Arc<Shared>,
        thread_id: String,
        notes: codex_exec::app_server::TurnStream,
        cancel: CancelHandle,
        turn_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
    ) -> Self {
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
        Self {
            state: TurnState::new(turn_id.clone()),
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
            ended: false,
        }
    }

    /// The pid of the shared app-server.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.live.server.pid()
    }

    /// The handle that interrupts this turn.
    pub(crate) fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// `turn/interrupt`; a turn that already ended counts as interrupted.
    pub(crate) async fn interrupt(&self) -> Result<(), Error> {
        if self.state.is_done() {
            return Ok(());
        }
        self.live
            .server
            .turn_interrupt(&self.thread_id, &self.turn_id)
            .await
            .map_err(|e| closed(&self.shared, &self.live, e))
    }

    /// `turn/steer` with this turn as the expected one.
    pub(crate) async fn steer(&self, input: &Input) -> Result<(), Error> {
        let params = TurnSteerParams::new(&self.thread_id, &self.turn_id, user_input(input)?);
        self.live
            .server
            .turn_steer(params)
            .await
            .map(drop)
            .map_err(|e| closed(&self.shared, &self.live, e))
    }

    /// Whether the turn reached `turn/completed`.
    pub(crate) fn is_done(&self) -> bool {
        self.state.is_done()
    }

    /// Interrupts the turn if it still runs, waits (bounded) for its end, and stops the
    /// commands it left running, from a task of its own; `guard` (the thread's turn lock) is
    /// held until then, so the thread's next turn does not collide with this one.
    pub(crate) fn abandon<G: Send + 'static>(&mut self, guard: G) {
        let Some(mut notes) = self.notes.take() else {
            return;
        };
        if self.state.is_done() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let server = Arc::clone(&self.live.server);
        let (thread, turn) = (self.thread_id.clone(), self.turn_id.clone());
        let mut state = std::mem::replace(&mut self.state, TurnState::new(self.turn_id.clone()));
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
            drop(guard);
        });
    }

    /// Once the turn ended interrupted (by [`interrupt`](Self::interrupt), the cancel handle,
    /// a `cancel` approval decision, another client), stops the commands it left running,
    /// from a task of its own.
    fn stop_orphaned_commands(&self) {
        let processes = self.state.running_processes();
        if !self.state.was_interrupted()
            || processes.is_empty()
            || tokio::runtime::Handle::try_current().is_err()
        {
            return;
        }
        let server = Arc::clone(&self.live.server);
        let thread = self.thread_id.clone();
        tokio::spawn(async move { terminate_commands(&server, &thread, processes).await });
    }

    fn fail(&mut self, error: codex_exec::Error) -> Error {
        self.ended = true;
        if matches!(error, codex_exec::Error::AppServerClosed { .. }) {
            let shared = Arc::clone(&self.shared);
            let generation = self.live.generation;
            if tokio::runtime::Handle::try_current().is_ok() {
                tokio::spawn(async move { shared.forget(generation).await });
            }
        }
        map_error(error, self.live.secret.as_deref())
    }
}

impl Stream for AppTurn {
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
            if this.state.is_done() {
                this.ended = true;
                if this.cancelled.load(Ordering::SeqCst) {
                    return Poll::Ready(Some(Err(Error::Cancelled)));
                }
                return Poll::Ready(None);
            }
            if let Some((limit, sleep)) = &mut this.turn_limit
                && sleep.as_mut().poll(cx).is_ready()
            {
                let limit = *limit;
                this.ended = true;
                return Poll::Ready(Some(Err(Error::Timeout {
                    limit,
                    kind: TimeoutKind::Turn,
                })));
            }
            if let Some((limit, sleep)) = &mut this.idle_limit
                && sleep.as_mut().poll(cx).is_ready()
            {
                let limit = *limit;
                this.ended = true;
                return Poll::Ready(Some(Err(Error::Timeout {
                    limit,
                    kind: TimeoutKind::Idle,
                })));
            }
            let Some(notes) = this.notes.as_mut() else {
                this.ended = true;
                return Poll::Ready(None);
            };
            match notes.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(note))) => {
                    if let Some((limit, sleep)) = &mut this.idle_limit {
                        sleep.as_mut().reset(tokio::time::Instant::now() + *limit);
                    }
                    this.queue
                        .extend(this.state.on_notification(&note.body).into_iter().map(Ok));
                    if this.state.is_done() {
                        this.stop_orphaned_commands();
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = this.fail(error);
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => {
                    // A turn stream ends cleanly only after `turn/completed`.
                    this.ended = true;
                    return Poll::Ready(Some(Err(Error::TransportClosed)));
                }
            }
        }
    }
}
