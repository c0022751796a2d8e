//! Routing server notifications to subscribers: by thread, by turn, or all of them, through
//! bounded buffers that never drop a notification silently.
//!
//! # Backpressure policy: a subscriber that falls behind is closed with `Lagged`
//!
//! One reader task reads every line codex writes, responses included. If it waited for a slow
//! subscriber, a consumer that awaits a response while not draining its notifications would
//! deadlock the connection. So the reader never waits: each subscription has a bounded buffer
//! ([`AppServerOptions::subscription_capacity`](super::AppServerOptions::subscription_capacity)),
//! and a notification that does not fit closes that subscription. The subscriber still gets
//! everything that was buffered, then [`Error::Lagged`], then the end of the stream. Other
//! subscribers and the connection are unaffected. Nothing is lost without the subscriber
//! being told.
//!
//! # Notifications that arrive before the `turn/start` response
//!
//! `turn/started` and the first items of a turn may arrive before the response that names the
//! turn. While a `turn/start` on a thread is outstanding, notifications of that thread for a
//! turn nobody subscribed to are kept in a per-thread pending buffer (bounded the same way).
//! When the response arrives, the reader attaches the new turn's subscription and moves the
//! buffered notifications of that turn into it, in order, before it reads the next line.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use codex_agent_protocol::app_server::{Notification, ServerNotification};
use futures::Stream;
use futures::stream::FusedStream;
use serde_json::Value;
use tokio::sync::mpsc;

use super::connection::Closed;
use crate::Error;

/// One routed notification.
pub(crate) type Note = Notification<ServerNotification>;

/// Which notifications a subscription receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Every notification.
    All,
    /// Every notification naming this thread.
    Thread(String),
    /// Every notification of this turn; the subscription ends after `turn/completed`.
    Turn { thread: String, turn: String },
}

impl Filter {
    fn matches(&self, thread: Option<&str>, turn: Option<&str>) -> bool {
        match self {
            Self::All => true,
            Self::Thread(t) => thread == Some(t.as_str()),
            Self::Turn { thread: t, turn: u } => {
                thread == Some(t.as_str()) && turn == Some(u.as_str())
            }
        }
    }
}

/// Why a subscription ended early.
#[derive(Debug, Clone)]
enum Terminal {
    Lagged(usize),
    Closed(Closed),
}

impl Terminal {
    fn into_error(self) -> Error {
        match self {
            Self::Lagged(capacity) => Error::Lagged { capacity },
            Self::Closed(closed) => closed.error(),
        }
    }
}

/// State shared by a sink and its subscription: the error it ends with, if any.
#[derive(Debug, Default)]
struct SubShared {
    terminal: Mutex<Option<Terminal>>,
}

impl SubShared {
    /// Records why the subscription ends; the first reason wins.
    fn set(&self, terminal: Terminal) {
        let mut slot = self.terminal.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(terminal);
    }

    fn take(&self) -> Option<Terminal> {
        self.terminal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The sending side of a subscription, held by the router.
#[derive(Debug)]
pub(crate) struct Sink {
    tx: mpsc::Sender<Note>,
    shared: Arc<SubShared>,
    capacity: usize,
}

impl Sink {
    /// Delivers one notification without waiting. `false` when the sink is finished: its
    /// subscriber fell behind (it then ends with [`Error::Lagged`]) or went away.
    fn deliver(&self, note: &Note) -> bool {
        match self.tx.try_send(note.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.set(Terminal::Lagged(self.capacity));
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Ends the subscription with `terminal` after what it buffered.
    fn close_with(self, terminal: Terminal) {
        self.shared.set(terminal);
    }

    fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// A new subscription: the router's end and the subscriber's end.
pub(crate) fn channel(capacity: usize) -> (Sink, Subscription) {
    let capacity = capacity.max(1);
    let (tx, rx) = mpsc::channel(capacity);
    let shared = Arc::new(SubShared::default());
    let sink = Sink {
        tx,
        shared: Arc::clone(&shared),
        capacity,
    };
    let subscription = Subscription {
        rx,
        shared,
        done: false,
    };
    (sink, subscription)
}

/// Notifications of a thread waiting for the `turn/start` response that names their turn.
#[derive(Debug, Default)]
struct PendingTurns {
    /// `turn/start` requests on this thread still waiting for their response.
    outstanding: usize,
    notes: Vec<Note>,
    /// A notification did not fit: the turns attached from here are told they lagged.
    overflowed: bool,
}

/// The routing table. Lives inside the connection's state mutex.
#[derive(Debug)]
pub(crate) struct Router {
    capacity: usize,
    sinks: Vec<(Filter, Sink)>,
    pending: HashMap<String, PendingTurns>,
    /// Notifications received before the handshake finished (bounded), for
    /// [`AppServer::startup_notifications`](super::AppServer::startup_notifications).
    startup: Option<Vec<Note>>,
}

impl Router {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            sinks: Vec::new(),
            pending: HashMap::new(),
            startup: Some(Vec::new()),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Stops recording startup notifications and returns them.
    pub(crate) fn take_startup(&mut self) -> Vec<Note> {
        self.startup.take().unwrap_or_default()
    }

    pub(crate) fn add(&mut self, filter: Filter, sink: Sink) {
        self.sinks.push((filter, sink));
    }

    /// Delivers `note` to every matching subscription, or keeps it for a turn being started.
    pub(crate) fn route(&mut self, note: Note) {
        if let Some(startup) = &mut self.startup
            && startup.len() < self.capacity
        {
            startup.push(note.clone());
        }
        let (thread, turn) = route_keys(&note.body);
        let completes_turn = matches!(note.body, ServerNotification::TurnCompleted(_));
        let mut turn_subscribed = false;
        self.sinks.retain(|(filter, sink)| {
            if !filter.matches(thread, turn) {
                return !sink.is_closed();
            }
            let is_turn = matches!(filter, Filter::Turn { .. });
            turn_subscribed |= is_turn;
            // A turn subscription ends with its `turn/completed`: dropping the sink without a
            // terminal ends the stream cleanly.
            sink.deliver(&note) && !(is_turn && completes_turn)
        });
        if turn_subscribed || turn.is_none() {
            return;
        }
        let Some(thread) = thread else { return };
        if let Some(pending) = self.pending.get_mut(thread) {
            if pending.notes.len() < self.capacity {
                pending.notes.push(note);
            } else {
                pending.overflowed = true;
            }
        }
    }

    /// A `turn/start` on `thread` was sent: keep its unrouted turn notifications.
    pub(crate) fn begin_pending(&mut self, thread: &str) {
        self.pending
            .entry(thread.to_owned())
            .or_default()
            .outstanding += 1;
    }

    /// A `turn/start` on `thread` got its answer (or was abandoned).
    pub(crate) fn end_pending(&mut self, thread: &str) {
        if let Some(pending) = self.pending.get_mut(thread) {
            pending.outstanding = pending.outstanding.saturating_sub(1);
            if pending.outstanding == 0 {
                self.pending.remove(thread);
            }
        }
    }

    /// Subscribes `sink` to turn `turn` of `thread`, first handing it what arrived early.
    pub(crate) fn attach_turn(&mut self, thread: &str, turn: &str, sink: Sink) {
        if let Some(pending) = self.pending.get_mut(thread) {
            let (early, rest): (Vec<Note>, Vec<Note>) = std::mem::take(&mut pending.notes)
                .into_iter()
                .partition(|note| route_keys(&note.body).1 == Some(turn));
            pending.notes = rest;
            let overflowed = pending.overflowed;
            let mut completed = false;
            for note in &early {
                completed |= matches!(note.body, ServerNotification::TurnCompleted(_));
                if !sink.deliver(note) {
                    return;
                }
            }
            if overflowed {
                sink.close_with(Terminal::Lagged(self.capacity));
                return;
            }
            if completed {
                return;
            }
        }
        self.sinks.push((
            Filter::Turn {
                thread: thread.to_owned(),
                turn: turn.to_owned(),
            },
            sink,
        ));
    }

    /// The connection is gone: every subscription ends with `closed` after what it buffered.
    pub(crate) fn fail_all(&mut self, closed: &Closed) {
        for (_, sink) in self.sinks.drain(..) {
            sink.close_with(Terminal::Closed(closed.clone()));
        }
        self.pending.clear();
        self.startup = None;
    }
}

/// A subscription that fails at once: the connection was already closed.
pub(crate) fn closed_subscription(closed: &Closed) -> Subscription {
    let (sink, subscription) = channel(1);
    sink.close_with(Terminal::Closed(closed.clone()));
    subscription
}

/// The thread and turn a notification belongs to, when it names them.
pub(crate) fn route_keys(body: &ServerNotification) -> (Option<&str>, Option<&str>) {
    use ServerNotification as N;
    match body {
        N::Error(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ThreadStarted(p) => (Some(&p.thread.id), None),
        N::ThreadStatusChanged(p) => (Some(&p.thread_id), None),
        N::ThreadReadStateChanged(p) => (Some(&p.thread_id), None),
        N::ThreadArchived(p) => (Some(&p.thread_id), None),
        N::ThreadUnarchived(p) => (Some(&p.thread_id), None),
        N::ThreadClosed(p) => (Some(&p.thread_id), None),
        N::ThreadNameUpdated(p) => (Some(&p.thread_id), None),
        N::ThreadGoalUpdated(p) => (Some(&p.thread_id), p.turn_id.as_deref()),
        N::ThreadGoalCleared(p) => (Some(&p.thread_id), None),
        N::ThreadTokenUsageUpdated(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ThreadCompacted(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::TurnStarted(p) => (Some(&p.thread_id), Some(&p.turn.id)),
        N::TurnCompleted(p) => (Some(&p.thread_id), Some(&p.turn.id)),
        N::TurnDiffUpdated(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::TurnPlanUpdated(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ItemStarted(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ItemCompleted(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::AgentMessageDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::PlanDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::CommandExecutionOutputDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::FileChangeOutputDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ReasoningSummaryTextDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ReasoningSummaryPartAdded(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ReasoningTextDelta(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::McpToolCallProgress(p) => (Some(&p.thread_id), Some(&p.turn_id)),
        N::ServerRequestResolved(p) => (Some(&p.thread_id), None),
        N::Warning(p) => (p.thread_id.as_deref(), None),
        N::Unknown {
            params: Some(params),
            ..
        } => (
            params.get("threadId").and_then(Value::as_str),
            params
                .get("turnId")
                .and_then(Value::as_str)
                .or_else(|| params.pointer("/turn/id").and_then(Value::as_str)),
        ),
        _ => (None, None),
    }
}

/// Server notifications, as a stream: those of one turn, of one thread, or all of them.
///
/// Items are notifications in the order codex sent them. The stream ends with `None` after a
/// turn's `turn/completed` (for a turn's notifications), or with one last error:
/// [`Error::Lagged`] when this subscriber fell more than its capacity behind (see
/// [`AppServerOptions::subscription_capacity`](super::AppServerOptions::subscription_capacity)),
/// [`Error::AppServerClosed`] when the connection closed. Either way, every notification
/// buffered before it is yielded first.
///
/// Dropping it unsubscribes; it does not affect the thread or turn.
#[must_use = "a subscription buffers notifications until it is polled or dropped"]
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Note>,
    shared: Arc<SubShared>,
    done: bool,
}

impl Stream for Subscription {
    type Item = Result<Note, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(note)) => Poll::Ready(Some(Ok(note))),
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(self.shared.take().map(|t| Err(t.into_error())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl FusedStream for Subscription {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use codex_agent_protocol::app_server::{ServerMessage, parse_server_message};
    use futures::StreamExt as _;

    use super::*;

    fn note(line: &str) -> Note {
        match parse_server_message(line).expect("a notification") {
            ServerMessage::Notification(n) => n,
            other => panic!("not a notification: {other:?}"),
        }
    }

    fn delta(thread: &str, turn: &str, text: &str) -> Note {
        note(&format!(
            r#"{{"method":"item/agentMessage/delta","params":{{"threadId":"{thread}","turnId":"{turn}","itemId":"m","delta":"{text}"}}}}"#
        ))
    }

    fn completed(thread: &str, turn: &str) -> Note {
        note(&format!(
            r#"{{"method":"turn/completed","params":{{"threadId":"{thread}","turn":{{"id":"{turn}","items":[],"status":"completed","error":null,"startedAt":null,"completedAt":null,"durationMs":null,"rootTurnId":null}}}}}}"#
        ))
    }

    fn texts(items: Vec<Result<Note, Error>>) -> Vec<String> {
        items
            .into_iter()
            .map(|item| match item {
                Ok(n) => match n.body {
                    ServerNotification::AgentMessageDelta(d) => d.delta,
                    other => other.method().to_owned(),
                },
                Err(e) => format!("error: {e}"),
            })
            .collect()
    }

    async fn drain(subscription: Subscription) -> Vec<String> {
        texts(subscription.collect().await)
    }

    #[tokio::test]
    async fn filters_route_by_thread_and_turn() {
        let mut router = Router::new(8);
        let (all_sink, all) = channel(8);
        let (thread_sink, thread) = channel(8);
        router.add(Filter::All, all_sink);
        router.add(Filter::Thread("t1".into()), thread_sink);
        router.begin_pending("t1");
        router.route(delta("t1", "u1", "a"));
        router.route(delta("t2", "u9", "x"));
        let (turn_sink, turn) = channel(8);
        router.attach_turn("t1", "u1", turn_sink);
        router.end_pending("t1");
        router.route(delta("t1", "u1", "b"));
        router.route(completed("t1", "u1"));
        router.route(delta("t1", "u1", "after"));
        router.fail_all(&Closed::default());
        assert_eq!(drain(turn).await, ["a", "b", "turn/completed"]);
        let closed = "error: the connection to codex app-server is closed";
        assert_eq!(
            drain(thread).await,
            ["a", "b", "turn/completed", "after", closed]
        );
        assert_eq!(
            drain(all).await,
            ["a", "x", "b", "turn/completed", "after", closed]
        );
    }

    #[tokio::test]
    async fn a_turn_completed_before_its_response_ends_the_stream() {
        let mut router = Router::new(8);
        router.begin_pending("t");
        router.route(delta("t", "u", "a"));
        router.route(completed("t", "u"));
        let (sink, turn) = channel(8);
        router.attach_turn("t", "u", sink);
        router.end_pending("t");
        assert!(router.pending.is_empty());
        assert_eq!(drain(turn).await, ["a", "turn/completed"]);
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_what_fit_then_lagged() {
        let mut router = Router::new(2);
        let (sink, slow) = channel(2);
        let (fast_sink, mut fast) = channel(2);
        router.add(Filter::All, sink);
        router.add(Filter::All, fast_sink);
        for text in ["1", "2", "3"] {
            router.route(delta("t", "u", text));
            if let Some(Ok(n)) = fast.next().await {
                assert!(matches!(n.body, ServerNotification::AgentMessageDelta(_)));
            }
        }
        router.route(delta("t", "u", "4"));
        assert_eq!(
            drain(slow).await,
            [
                "1",
                "2",
                "error: a notification subscriber fell more than 2 notifications behind and was closed"
            ]
        );
        assert_eq!(router.sinks.len(), 1);
    }

    #[tokio::test]
    async fn an_overflowing_pending_buffer_makes_the_turn_lag() {
        let mut router = Router::new(2);
        router.begin_pending("t");
        for text in ["1", "2", "3"] {
            router.route(delta("t", "u", text));
        }
        let (sink, turn) = channel(2);
        router.attach_turn("t", "u", sink);
        assert_eq!(
            drain(turn).await,
            [
                "1",
                "2",
                "error: a notification subscriber fell more than 2 notifications behind and was closed"
            ]
        );
    }

    #[test]
    fn unknown_notifications_route_by_their_params() {
        let n = note(r#"{"method":"thread/new/thing","params":{"threadId":"t","turnId":"u"}}"#);
        assert_eq!(route_keys(&n.body), (Some("t"), Some("u")));
        let n = note(r#"{"method":"turn/new","params":{"threadId":"t","turn":{"id":"u"}}}"#);
        assert_eq!(route_keys(&n.body), (Some("t"), Some("u")));
        let n = note(r#"{"method":"global/thing"}"#);
        assert_eq!(route_keys(&n.body), (None, None));
    }
}
