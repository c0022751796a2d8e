//! The JSON-RPC connection: a writer task fed by a bounded queue, a reader task that matches
//! responses to requests, routes notifications and dispatches server requests, and the close
//! path that fails every pending request and subscription at once.
//!
//! Everything the reader touches lives in one mutex ([`State`]), held only for map and queue
//! operations, never across an await. The reader never waits for a consumer (see the
//! [router](super::router) for the policy), so a response can always be read.

use std::collections::HashMap;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use codex_agent_protocol::app_server::{
    ClientMessage, ErrorResponse, JsonRpcError, Notification, Request, RequestId, Response,
    ServerMessage, ServerNotification, ServerRequest, parse_server_message,
};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::handlers::{Handlers, INVALID_PARAMS, default_answer};
use super::router::{self, Filter, Router, Sink, Subscription};
use super::transport::{FrameReader, FrameWriter, Wire};
use crate::Error;
use crate::containment::{ActiveTurn, Containment, OrphanKiller, TurnActivity};
use crate::framing::FrameError;
use crate::stderr_tail::{self, SharedTail};
use crate::supervisor::{Outcome, Reason, Shared};
use codex_agent_protocol::secret::Redactor;

/// How the connection ended, as every waiter learns it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Closed {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    /// The URL of a remote app-server's connection.
    endpoint: Option<String>,
}

impl Closed {
    /// How a remote connection ends: no process, only its endpoint.
    fn remote(endpoint: Option<String>) -> Self {
        Self {
            endpoint,
            ..Self::default()
        }
    }

    pub(crate) fn error(&self) -> Error {
        if let Some(endpoint) = &self.endpoint {
            return Error::RemoteClosed {
                endpoint: endpoint.clone(),
            };
        }
        Error::AppServerClosed {
            code: self.code,
            signal: self.signal,
            stderr: self.stderr.clone(),
        }
    }

    /// Whether the process exited with code 0 (or there was no process).
    pub(crate) fn is_clean(&self) -> bool {
        self.signal.is_none() && self.code.is_none_or(|code| code == 0)
    }
}

/// A line for the writer task.
#[derive(Debug)]
enum Outgoing {
    /// One message, newline included.
    Line(String),
    /// Close the write side (stdin): codex app-server exits when it reads end of file.
    Close,
}

/// What a `turn/start` request needs when its response arrives: the subscription to attach.
#[derive(Debug)]
pub(crate) struct TurnHook {
    pub(crate) thread_id: String,
    pub(crate) sink: Sink,
}

#[derive(Debug)]
struct Pending {
    method: String,
    reply: oneshot::Sender<Result<Value, Error>>,
    turn: Option<TurnHook>,
}

#[derive(Debug)]
struct State {
    pending: HashMap<i64, Pending>,
    router: Router,
    closed: Option<Closed>,
}

/// The process behind a connection, when there is one.
#[derive(Debug)]
pub(crate) struct ProcessParts {
    pub(crate) pid: u32,
    pub(crate) shared: Arc<Shared>,
    pub(crate) outcome: oneshot::Receiver<Outcome>,
    pub(crate) stderr_task: JoinHandle<()>,
    pub(crate) tail: SharedTail,
    pub(crate) redactor: Arc<Redactor>,
    pub(crate) exit_timeout: Duration,
    pub(crate) containment: Containment,
    pub(crate) orphans: OrphanKiller,
}

/// Settings of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_line_len: usize,
    pub(crate) write_queue_len: usize,
    pub(crate) subscription_capacity: usize,
    pub(crate) server_request_timeout: Duration,
    pub(crate) handlers: Handlers,
    pub(crate) trace_source: Option<super::TraceSource>,
}

/// The shared core of a connection.
#[derive(Debug)]
pub(crate) struct Inner {
    state: Mutex<State>,
    outgoing: mpsc::Sender<Outgoing>,
    next_id: AtomicI64,
    handlers: Handlers,
    server_request_timeout: Duration,
    /// The trace context of each request, when configured.
    trace_source: Option<super::TraceSource>,
    /// Stops the reader and the writer at once (drop, write failure).
    stop: CancellationToken,
    /// The process's pid and stop switch, when there is a process.
    process: Option<(u32, Arc<Shared>)>,
    /// The containment of the process and its running turns, when there is a process.
    scope: Option<(Containment, Arc<TurnActivity>)>,
    /// Redacts what the server sent before it reaches a log record: the process's redactor
    /// (its configured secrets and secret-looking environment values), or the built-in
    /// patterns alone without a process.
    redactor: Arc<Redactor>,
    /// Set once every waiter has been failed.
    closed_tx: watch::Sender<bool>,
    /// How many messages (lines or frames, parsed or not) the server sent so far: a hung
    /// server sends none.
    received: AtomicU64,
    /// The URL of the remote app-server, for a WebSocket connection.
    endpoint: Option<String>,
}

/// Starts the reader and writer tasks of a connection over `wire`. Server text is redacted
/// with the process's redactor when there is a process, else with the `remote` endpoint's
/// (its token), else with the built-in patterns alone.
pub(crate) fn start(
    wire: Wire,
    settings: Settings,
    process: Option<ProcessParts>,
    remote: Option<&super::RemoteEndpoint>,
) -> Arc<Inner> {
    let (outgoing, queue) = mpsc::channel(settings.write_queue_len.max(1));
    let stop = CancellationToken::new();
    let redactor = process
        .as_ref()
        .map(|p| Arc::clone(&p.redactor))
        .or_else(|| remote.map(super::RemoteEndpoint::redactor))
        .unwrap_or_default();
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            pending: HashMap::new(),
            router: Router::new(settings.subscription_capacity),
            closed: None,
        }),
        outgoing,
        // Ids start at 1, as in codex's own clients; the server numbers its requests from 0.
        next_id: AtomicI64::new(1),
        handlers: settings.handlers,
        server_request_timeout: settings.server_request_timeout,
        trace_source: settings.trace_source,
        stop: stop.clone(),
        process: process.as_ref().map(|p| (p.pid, Arc::clone(&p.shared))),
        scope: process
            .as_ref()
            .map(|p| (p.containment, TurnActivity::new(p.pid, p.orphans.clone()))),
        redactor,
        closed_tx: watch::Sender::new(false),
        received: AtomicU64::new(0),
        endpoint: remote.map(|r| r.url().to_owned()),
    });
    let (reader, writer) = wire.split(settings.max_line_len);
    tokio::spawn(write_loop(writer, queue, stop));
    tokio::spawn(read_loop(Arc::clone(&inner), reader, process));
    inner
}

/// The params of a request, serialized with the id and method around them.
#[derive(Serialize)]
struct OutgoingRequest<'a, P> {
    id: i64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a P>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<super::TraceContext>,
}

/// A notification to the server.
#[derive(Serialize)]
struct OutgoingNotification<'a, P> {
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a P>,
}

/// Serializes one message, newline included.
fn line<T: Serialize>(message: &T) -> String {
    let mut line = serde_json::to_string(message)
        .expect("JSON-RPC messages serialize: every map key of the wire types is a string");
    line.push('\n');
    line
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under panics: every update is a single map or queue
        // operation.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|(pid, _)| *pid)
    }

    /// The containment of the process's descendants, when there is a process.
    pub(crate) fn containment(&self) -> Option<Containment> {
        self.scope.as_ref().map(|(containment, _)| *containment)
    }

    /// Counts a turn as running until the guard is dropped; the last one to end kills what
    /// detached from codex. `None` without a process.
    pub(crate) fn begin_turn(&self) -> Option<ActiveTurn> {
        self.scope.as_ref().map(|(_, activity)| activity.begin())
    }

    /// How many messages the server sent so far (see [`Inner::received`]).
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Sends a request and waits for its result.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request: its answer is dropped when it comes, and a
    /// `turn/start`'s early notifications are discarded.
    pub(crate) async fn request<P: Serialize>(
        &self,
        method: &str,
        params: Option<&P>,
        limit: Duration,
        turn: Option<TurnHook>,
    ) -> Result<Value, Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let trace = self
            .trace_source
            .as_ref()
            .and_then(super::TraceSource::current);
        let text = line(&OutgoingRequest {
            id,
            method,
            params,
            trace,
        });
        let (reply, answer) = oneshot::channel();
        {
            let mut state = self.lock();
            if let Some(closed) = &state.closed {
                return Err(closed.error());
            }
            if let Some(hook) = &turn {
                state.router.begin_pending(&hook.thread_id);
            }
            let pending = Pending {
                method: method.to_owned(),
                reply,
                turn,
            };
            state.pending.insert(id, pending);
        }
        let _forget = Forget { inner: self, id };
        tracing::trace!(id, method, "request to codex app-server");
        let exchange = async {
            // A closed queue means the connection is closing; the close path answers.
            let _ = self.outgoing.send(Outgoing::Line(text)).await;
            answer.await.unwrap_or_else(|_| Err(self.closed_error()))
        };
        match tokio::time::timeout(limit, exchange).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(Error::RequestTimeout {
                method: method.to_owned(),
                limit,
            }),
        }
    }

    /// Sends a notification.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the line is queued sends nothing.
    pub(crate) async fn notify<P: Serialize>(
        &self,
        method: &str,
        params: Option<&P>,
    ) -> Result<(), Error> {
        let text = line(&OutgoingNotification { method, params });
        if let Some(closed) = &self.lock().closed {
            return Err(closed.error());
        }
        match self.outgoing.send(Outgoing::Line(text)).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.wait_closed().await),
        }
    }

    pub(crate) fn subscribe(&self, filter: Filter) -> Subscription {
        let mut state = self.lock();
        if let Some(closed) = &state.closed {
            return router::closed_subscription(closed);
        }
        let (sink, subscription) = router::channel(state.router.capacity());
        state.router.add(filter, sink);
        subscription
    }

    /// A new turn subscription, not yet attached (see [`TurnHook`]).
    pub(crate) fn turn_channel(&self) -> (Sink, Subscription) {
        router::channel(self.lock().router.capacity())
    }

    pub(crate) fn take_startup_notifications(&self) -> Vec<Notification<ServerNotification>> {
        self.lock().router.take_startup()
    }

    pub(crate) fn closed_error(&self) -> Error {
        self.lock()
            .closed
            .clone()
            .unwrap_or_else(|| Closed::remote(self.endpoint.clone()))
            .error()
    }

    /// Waits until the connection is closed and everything failed; returns its error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub(crate) async fn wait_closed(&self) -> Error {
        let mut closed = self.closed_tx.subscribe();
        let _ = closed.wait_for(|closed| *closed).await;
        self.closed_error()
    }

    /// Whether the connection is closed, or closing: the reader saw the end of codex's
    /// output (before it waits for the exit and fails everything), or the client stopped it.
    pub(crate) fn is_closed(&self) -> bool {
        self.stop.is_cancelled() || self.lock().closed.is_some()
    }

    /// The `Closed` record, once the connection is closed.
    pub(crate) fn closed(&self) -> Option<Closed> {
        self.lock().closed.clone()
    }

    /// Closes the write side: codex app-server exits once it has read everything sent.
    pub(crate) async fn close_input(&self) {
        let _ = self.outgoing.send(Outgoing::Close).await;
    }

    /// Stops the process (`SIGTERM`, then `SIGKILL` after the grace period) and the tasks.
    pub(crate) fn kill(&self) {
        if let Some((_, shared)) = &self.process {
            shared.request_stop(Reason::Dropped);
        }
        self.stop.cancel();
    }

    /// Stops the process (its group: `SIGTERM`, then `SIGKILL` after the grace period) and
    /// the tasks because it stopped answering.
    pub(crate) fn kill_hung(&self) {
        if let Some((_, shared)) = &self.process {
            shared.request_stop(Reason::IdleTimeout);
        }
        self.stop.cancel();
    }

    /// Stops the process because it did not exit in time.
    pub(crate) fn kill_for_exit_timeout(&self) {
        if let Some((_, shared)) = &self.process {
            shared.request_stop(Reason::ExitTimeout);
        }
        self.stop.cancel();
    }

    /// Handles one message from the server.
    fn dispatch(&self, incoming: Incoming) {
        match incoming {
            Incoming::Message(ServerMessage::Response(response)) => {
                self.complete(&response.id, Ok(response.result));
            }
            Incoming::Message(ServerMessage::Error(error)) => {
                self.complete(&error.id, Err(error.error));
            }
            Incoming::Message(ServerMessage::Notification(note)) => self.lock().router.route(note),
            Incoming::Message(ServerMessage::Request(request)) => self.serve(request),
            Incoming::Message(other) => {
                let message = self.redactor.redact(&format!("{other:?}"));
                tracing::warn!(%message, "codex app-server sent a message of an unknown kind");
            }
            Incoming::Malformed {
                id: Some(id),
                method: Some(method),
                reason,
                ..
            } => {
                // A server request whose params do not parse still gets an answer.
                tracing::warn!(
                    id = %self.redact(&id.to_string()),
                    method = %self.redact(&method),
                    %reason,
                    "codex app-server sent a malformed request"
                );
                let error = JsonRpcError::new(
                    INVALID_PARAMS,
                    format!("invalid params for `{method}`: {reason}"),
                );
                self.send_answer(id, Err(error));
            }
            Incoming::Malformed {
                id: None,
                method: Some(method),
                params,
                reason,
            } => {
                // Routed as an unknown notification: subscribers see it rather than lose it.
                tracing::warn!(
                    method = %self.redact(&method),
                    %reason,
                    "codex app-server sent a malformed notification"
                );
                let note = Notification::new(ServerNotification::Unknown { method, params });
                self.lock().router.route(note);
            }
            Incoming::Malformed { reason, .. } => {
                tracing::warn!(%reason, "codex app-server sent a line that is no JSON-RPC message");
            }
        }
    }

    /// `text` from the server, redacted for a log record (or an error).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// Answers the pending request `id`.
    fn complete(&self, id: &RequestId, outcome: Result<Value, JsonRpcError>) {
        let RequestId::Integer(id) = id else {
            tracing::debug!(
                id = %self.redact(&id.to_string()),
                "a response to an id this client never used"
            );
            return;
        };
        let mut state = self.lock();
        let Some(pending) = state.pending.remove(id) else {
            tracing::debug!(
                id,
                "a response to a forgotten request (timed out or dropped)"
            );
            return;
        };
        if let Some(hook) = pending.turn {
            if let Ok(result) = &outcome
                && let Some(turn) = result.pointer("/turn/id").and_then(Value::as_str)
            {
                state.router.attach_turn(&hook.thread_id, turn, hook.sink);
            }
            state.router.end_pending(&hook.thread_id);
        }
        drop(state);
        let outcome = outcome.map_err(|error| Error::Rpc {
            method: pending.method,
            code: error.code,
            message: error.message,
            data: error.data,
        });
        // The requester may have given up meanwhile.
        let _ = pending.reply.send(outcome);
    }

    /// Answers a server request: its handler within the time limit, or the default.
    fn serve(&self, request: Request<ServerRequest>) {
        let Request { id, body, .. } = request;
        let handler = self.handlers.get(body.method());
        // Only for log records: an unknown method is text from the server.
        let method = self.redact(body.method());
        let limit = self.server_request_timeout;
        let outgoing = self.outgoing.clone();
        tokio::spawn(async move {
            let fallback = default_answer(&body);
            let answer = match handler {
                None => {
                    tracing::debug!(%method, "no handler: sending the default answer");
                    fallback
                }
                Some(handler) => {
                    // Its own task: a panic, even while building the future, is contained.
                    let task = tokio::spawn(async move { handler.handle(body).await });
                    let abort = task.abort_handle();
                    match tokio::time::timeout(limit, task).await {
                        Ok(Ok(answer)) => answer,
                        Ok(Err(_panicked)) => {
                            tracing::warn!(%method, "the handler panicked: sending the default answer");
                            fallback
                        }
                        Err(_elapsed) => {
                            abort.abort();
                            tracing::warn!(%method, ?limit, "the handler did not answer in time: sending the default answer");
                            fallback
                        }
                    }
                }
            };
            let _ = outgoing.send(Outgoing::Line(answer_line(id, answer))).await;
        });
    }

    fn send_answer(&self, id: RequestId, answer: Result<Value, JsonRpcError>) {
        let outgoing = self.outgoing.clone();
        tokio::spawn(async move {
            let _ = outgoing.send(Outgoing::Line(answer_line(id, answer))).await;
        });
    }

    /// Records how the connection ended and fails every waiter with it.
    fn fail_all(&self, closed: &Closed) {
        let pending = {
            let mut state = self.lock();
            state.closed = Some(closed.clone());
            state.router.fail_all(closed);
            std::mem::take(&mut state.pending)
        };
        for (_, pending) in pending {
            let _ = pending.reply.send(Err(closed.error()));
        }
        self.closed_tx.send_replace(true);
    }
}

/// Forgets a request whose future ends, however it ends.
struct Forget<'a> {
    inner: &'a Inner,
    id: i64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if let Some(pending) = state.pending.remove(&self.id)
            && let Some(hook) = pending.turn
        {
            state.router.end_pending(&hook.thread_id);
        }
    }
}

/// The line answering server request `id`.
fn answer_line(id: RequestId, answer: Result<Value, JsonRpcError>) -> String {
    let message = match answer {
        Ok(result) => ClientMessage::Response(Response::new(id, result)),
        Err(error) => {
            let mut response = ErrorResponse::new(id, error.code, "");
            response.error = error;
            ClientMessage::Error(response)
        }
    };
    let mut text = message.to_line();
    text.push('\n');
    text
}

/// One line from the server, parsed.
#[derive(Debug)]
enum Incoming {
    Message(ServerMessage),
    /// Valid JSON-RPC keys around params that do not parse, or no JSON-RPC at all.
    Malformed {
        id: Option<RequestId>,
        method: Option<String>,
        params: Option<Value>,
        /// Why it does not parse, with an excerpt of the line, redacted.
        reason: String,
    },
}

/// Parses one line; a malformed line's reason comes from parsing the line redacted, so the
/// excerpt the parse error quotes is cut out of redacted text and cannot end inside a secret.
fn parse_line(text: &str, redactor: &Redactor) -> Incoming {
    if let Ok(message) = parse_server_message(text) {
        return Incoming::Message(message);
    }
    let reason = parse_server_message(&redactor.redact(text))
        .err()
        // Only redaction made it parse: the details would be about the secret.
        .map_or_else(
            || "the line does not parse (details withheld: they quote a secret)".to_owned(),
            |error| error.to_string(),
        );
    let mut map: Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    let id = match map.remove("id") {
        Some(Value::Number(n)) => n.as_i64().map(RequestId::Integer),
        Some(Value::String(s)) => Some(RequestId::String(s)),
        _ => None,
    };
    let method = match map.remove("method") {
        Some(Value::String(method)) => Some(method),
        _ => None,
    };
    Incoming::Malformed {
        id,
        method,
        params: map.remove("params"),
        reason,
    }
}

/// Writes queued messages until the queue closes, `Close` comes, or the connection stops;
/// then closes the write side.
async fn write_loop(
    mut writer: FrameWriter,
    mut queue: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => None,
            next = queue.recv() => next,
        };
        let Some(Outgoing::Line(text)) = next else {
            break;
        };
        if let Err(error) = writer.send(&text).await {
            tracing::debug!(%error, "writing to codex app-server failed; closing the connection");
            stop.cancel();
            break;
        }
    }
    writer.close().await;
}

/// Reads and dispatches lines until end of file, a read error or a stop; then fails every
/// waiter with how the connection ended.
async fn read_loop(inner: Arc<Inner>, mut frames: FrameReader, process: Option<ProcessParts>) {
    loop {
        let read = tokio::select! {
            biased;
            () = inner.stop.cancelled() => break,
            read = std::future::poll_fn(|cx| {
                frames.poll_message(cx, |text| {
                    // Registered secrets never reach a notification, a result or an error: a
                    // message holding one is redacted literally before it is parsed (see
                    // `ExecStream`).
                    if inner.redactor.contains_secret(text) {
                        parse_line(&inner.redactor.redact_literal(text), &inner.redactor)
                    } else {
                        parse_line(text, &inner.redactor)
                    }
                })
            }) => read,
        };
        if read.is_some() {
            inner.received.fetch_add(1, Ordering::Relaxed);
        }
        match read {
            None => break,
            Some(Ok(incoming)) => inner.dispatch(incoming),
            Some(Err(FrameError::Io(error))) => {
                tracing::debug!(%error, "reading from codex app-server failed");
                break;
            }
            Some(Err(FrameError::TooLong { line, limit })) => {
                tracing::warn!(
                    line,
                    limit,
                    "codex app-server sent an over-long line; skipped"
                );
            }
            Some(Err(FrameError::InvalidUtf8 { line, .. })) => {
                tracing::warn!(
                    line,
                    "codex app-server sent a line that is not UTF-8; skipped"
                );
            }
        }
    }
    // The writer has nothing left to do.
    inner.stop.cancel();
    let closed = match process {
        Some(process) => process.finish().await,
        None => Closed::remote(inner.endpoint.clone()),
    };
    tracing::debug!(?closed.code, ?closed.signal, "codex app-server connection closed");
    inner.fail_all(&closed);
}

impl ProcessParts {
    /// Waits (bounded) for the exit and the end of stderr after stdout closed.
    async fn finish(mut self) -> Closed {
        let outcome = match tokio::time::timeout(self.exit_timeout, &mut self.outcome).await {
            Ok(outcome) => outcome.ok(),
            Err(_elapsed) => {
                tracing::warn!(
                    pid = self.pid,
                    "codex app-server closed its output but did not exit; stopping it"
                );
                self.shared.request_stop(Reason::ExitTimeout);
                (&mut self.outcome).await.ok()
            }
        };
        if tokio::time::timeout(self.exit_timeout, &mut self.stderr_task)
            .await
            .is_err()
        {
            tracing::warn!(
                pid = self.pid,
                "codex app-server's stderr stayed open; abandoning it"
            );
        }
        let stderr = stderr_tail::lock(&self.tail).render(&self.redactor);
        let (code, signal) = match outcome {
            Some(Outcome::Exited(Ok(status))) => exit_parts(status),
            Some(Outcome::Exited(Err(error))) => {
                tracing::debug!(%error, "waiting for codex app-server failed");
                (None, None)
            }
            Some(Outcome::Stopped(_)) | None => (None, None),
        };
        Closed {
            code,
            signal,
            stderr,
            endpoint: None,
        }
    }
}

fn exit_parts(status: ExitStatus) -> (Option<i32>, Option<i32>) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        (status.code(), status.signal())
    }
    #[cfg(not(unix))]
    {
        (status.code(), None)
    }
}
