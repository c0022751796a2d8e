//! [`Thread`]: a conversation with codex, one turn at a time; [`Turn`] and [`TurnStream`].

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use codex_exec::{CancelHandle, ExecOptions, ExecRequest, ExecStream, Input, ThreadOptions};
use codex_protocol::exec::{ItemDetails, ThreadEvent, ThreadItem, Usage};
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use crate::codex::{Codex, Transport};
use crate::error::{self, Error};
use crate::structured;

/// Options of one turn.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct TurnOptions {
    exec: codex_exec::TurnOptions,
    cancel: Option<CancelHandle>,
    turn_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
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

    /// The experimental Cyber access program of this turn.
    ///
    /// By default, the server's default.
    pub fn cyber_access_program(mut self, program: codex_exec::CyberAccessProgram) -> Self {
        self.exec = self.exec.cyber_access_program(program);
        self
    }

    /// A handle that cancels the turn when fired (codex and its children are killed).
    ///
    /// By default, only dropping the stream cancels.
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }

    /// Fails the turn with [`Error::Timeout`] when it takes longer than this.
    ///
    /// By default, no limit.
    pub fn turn_timeout(mut self, limit: Duration) -> Self {
        self.turn_timeout = Some(limit);
        self
    }

    /// Fails the turn with [`Error::Timeout`] when codex writes no event for this long.
    ///
    /// By default, no limit.
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.idle_timeout = Some(limit);
        self
    }
}

/// A finished turn.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Turn {
    /// Every completed item, in order.
    pub items: Vec<ThreadItem>,
    /// The text of the last agent message (empty when there was none).
    pub final_response: String,
    /// Token usage of the turn, when codex reported it.
    pub usage: Option<Usage>,
}

/// A conversation with codex. Turns on one thread run one at a time: a second `run` waits
/// until the first turn's stream ends.
#[derive(Debug, Clone)]
pub struct Thread {
    codex: Codex,
    options: ThreadOptions,
    id: Arc<Mutex<Option<String>>>,
    turn_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Thread {
    pub(crate) fn new(codex: Codex, options: ThreadOptions, id: Option<String>) -> Self {
        Self {
            codex,
            options,
            id: Arc::new(Mutex::new(id)),
            turn_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The thread id: given when resumed, else set by the first turn's `thread.started`.
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
        let stream = self.run_streamed(input, options).await?;
        collect(stream).await
    }

    /// Starts a turn and returns its events as they come.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe until it returns (nothing has been spawned while it waits for an earlier
    /// turn of this thread). Dropping the returned [`TurnStream`] cancels the turn.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOptions`] for options codex would refuse, [`Error::Spawn`] when codex
    /// cannot start.
    pub async fn run_streamed(
        &self,
        input: impl Into<Input>,
        options: TurnOptions,
    ) -> Result<TurnStream, Error> {
        let input = input.into();
        let guard = Arc::clone(&self.turn_lock).lock_owned().await;
        let inner = &self.codex.inner;
        match inner.options.transport {
            Transport::Exec => {}
        }
        let resume = self.id();
        let mut request = ExecRequest::new(&input)
            .codex_options(&inner.options.exec)
            .thread_options(&self.options)
            .turn_options(&options.exec);
        if let Some(id) = &resume {
            request = request.resume(id);
        }
        let spec = request.build(&inner.binary).map_err(Error::from_exec)?;
        let mut exec_options = ExecOptions::new();
        if let Some(key) = &inner.options.api_key {
            exec_options = exec_options.redact(key.clone());
        }
        if let Some(grace) = inner.options.kill_grace {
            exec_options = exec_options.kill_grace(grace);
        }
        if let Some(cancel) = options.cancel {
            exec_options = exec_options.cancel_handle(cancel);
        }
        if let Some(limit) = options.turn_timeout {
            exec_options = exec_options.turn_timeout(limit);
        }
        if let Some(limit) = options.idle_timeout {
            exec_options = exec_options.idle_timeout(limit);
        }
        let stream = ExecStream::spawn(spec, &exec_options).map_err(Error::from_exec)?;
        Ok(TurnStream {
            inner: stream,
            thread_id: Arc::clone(&self.id),
            secret: inner.options.api_key.clone(),
            ended: false,
            _turn: guard,
        })
    }

    /// Runs a turn whose final answer must be a `T`: derives `T`'s JSON Schema, makes it
    /// strict (see [`structured`]), sends it, and parses the final response.
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
    /// the answer does not parse into `T`; otherwise as [`run`](Self::run).
    pub async fn run_json<T: JsonSchema + DeserializeOwned>(
        &self,
        input: impl Into<Input>,
        options: TurnOptions,
    ) -> Result<T, Error> {
        let schema = serde_json::to_value(schemars::schema_for!(T)).map_err(|e| {
            Error::UnsupportedSchema(structured::SchemaIssue {
                path: String::new(),
                reason: e.to_string(),
            })
        })?;
        let strict = structured::strict_schema(&schema).map_err(Error::UnsupportedSchema)?;
        let turn = self.run(input, options.output_schema(strict)).await?;
        if turn.final_response.is_empty() {
            return Err(Error::NoFinalResponse);
        }
        parse_final::<T>(&turn.final_response)
    }
}

/// Parses a structured final response, naming the path of a mismatch.
pub(crate) fn parse_final<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let pd = serde_path_to_error::Deserializer::new(&mut de, &mut track);
    match T::deserialize(pd).and_then(|v| de.end().map(|()| v)) {
        Ok(v) => Ok(v),
        Err(e) => Err(Error::SchemaMismatch {
            path: track.path().to_string(),
            reason: e.to_string(),
            excerpt: text.chars().take(200).collect(),
        }),
    }
}

async fn collect(mut stream: TurnStream) -> Result<Turn, Error> {
    let mut items = Vec::new();
    let mut usage = None;
    while let Some(event) = stream.next().await {
        match event? {
            ThreadEvent::ItemCompleted(e) => items.push(e.item),
            ThreadEvent::TurnCompleted(e) => usage = Some(e.usage),
            ThreadEvent::TurnFailed(e) => {
                return Err(Error::TurnFailed {
                    message: error::redact(e.error.message, stream.secret.as_deref()),
                });
            }
            _ => {}
        }
    }
    if usage.is_none() {
        return Err(Error::TransportClosed);
    }
    let final_response = items
        .iter()
        .rev()
        .find_map(|i| match &i.details {
            ItemDetails::AgentMessage(m) => Some(m.text.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Ok(Turn {
        items,
        final_response,
        usage,
    })
}

/// The events of a running turn.
///
/// Dropping it cancels the turn: codex's process group gets `SIGTERM`, then `SIGKILL` after
/// the grace period, and is reaped. The thread accepts its next turn once this is dropped or
/// exhausted.
#[must_use = "a turn does nothing unless polled, and dropping it cancels the turn"]
pub struct TurnStream {
    inner: ExecStream,
    thread_id: Arc<Mutex<Option<String>>>,
    /// The API key, redacted from the errors built from codex's events.
    secret: Option<String>,
    ended: bool,
    _turn: OwnedMutexGuard<()>,
}

impl std::fmt::Debug for TurnStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnStream")
            .field("inner", &self.inner)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl TurnStream {
    /// The process id of codex, while the turn runs (`None` once the stream has ended).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.inner.pid()
    }

    /// A handle that cancels this turn.
    #[must_use]
    pub fn cancel_handle(&self) -> CancelHandle {
        self.inner.cancel_handle()
    }
}

impl Stream for TurnStream {
    type Item = Result<ThreadEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(event))) => {
                if let ThreadEvent::ThreadStarted(started) = &event {
                    *self
                        .thread_id
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(started.thread_id.clone());
                }
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(Error::from_exec(err)))),
        }
    }
}
