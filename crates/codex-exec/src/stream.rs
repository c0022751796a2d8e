//! [`ExecStream`]: the events of one `codex exec --json` turn, as a pull-based stream.
//!
//! The stream frames and parses stdout in [`poll_next`](futures::Stream::poll_next); the bytes
//! come from a reader thread (`stdout_thread`) that reads at most four 64 KiB chunks ahead:
//! when the consumer does not poll, the thread stops reading, the pipe fills up and codex
//! blocks on its next write.
//!
//! One poll, in order: a cancel or a stop already decided ends the stream once the supervisor
//! has reaped the process; the idle timer is checked; the next stdout line is framed, parsed
//! and yielded. After end of file the stream waits (bounded) for the exit status and the rest
//! of stderr, and ends with `None` or with the error the exit status stands for.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use codex_agent_protocol::exec::{ThreadEvent, parse_event};
use futures::Stream;
use futures::stream::FusedStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use crate::cancel::CancelHandle;
use crate::containment::Containment;
use crate::error::Error;
use crate::framing::{FrameError, LineReader};
use crate::stderr_tail::{self, SharedTail};
use crate::stdout_thread::{self, Stdout};
use crate::supervisor::{self, ExecOptions, Limits, Outcome, ProcessSpec, Reason, Shared};
use codex_agent_protocol::secret::Redactor;

/// The events of one turn of `codex exec --json`.
///
/// Items are parsed events, or errors: per-line errors ([`Error::LineTooLong`],
/// [`Error::InvalidUtf8`], [`Error::Parse`]) are followed by the next line; any other error is
/// the last item. A turn whose process exits with code 0 ends with `None` after its last event.
///
/// Dropping the stream stops the turn: the process group gets `SIGTERM`, then `SIGKILL` after
/// the grace period, and is reaped by a task spawned on the runtime at spawn time.
///
/// ```no_run
/// use std::time::Duration;
///
/// use codex_agent_exec::{ExecOptions, ExecStream, ProcessSpec};
/// use futures::StreamExt;
///
/// # async fn demo() -> Result<(), codex_agent_exec::Error> {
/// let spec = ProcessSpec::new("codex")
///     .args(["exec", "--experimental-json", "--skip-git-repo-check"])
///     .stdin("Say hi");
/// let options = ExecOptions::new().turn_timeout(Duration::from_secs(600));
/// let mut stream = ExecStream::spawn(spec, &options)?;
/// let cancel = stream.cancel_handle(); // cancel() it from anywhere
/// while let Some(event) = stream.next().await {
///     println!("{}", event?.event_type());
/// }
/// # drop(cancel);
/// # Ok(())
/// # }
/// ```
#[must_use = "a stream does nothing unless polled, and dropping it kills codex"]
pub struct ExecStream {
    state: State,
    cancel: CancelHandle,
    containment: Option<Containment>,
}

impl std::fmt::Debug for ExecStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Running(running) => format!("running (pid {})", running.pid),
            State::Failed(_) => "failed".to_owned(),
            State::Done => "done".to_owned(),
        };
        f.debug_struct("ExecStream")
            .field("state", &state)
            .field("cancel", &self.cancel)
            .field("containment", &self.containment)
            .finish()
    }
}

enum State {
    Running(Box<Running>),
    /// Ended before a process existed; yields this error, then `None`.
    Failed(Error),
    Done,
}

impl ExecStream {
    /// Spawns codex as described by `spec` (a [`ProcessSpec`], or the
    /// [`CommandSpec`](crate::CommandSpec) built from an exec request) and returns the stream
    /// of its events.
    ///
    /// Must be called from within a Tokio runtime: the supervising tasks are spawned on it.
    ///
    /// If the cancel handle of `options` is already cancelled, nothing is spawned and the
    /// stream yields [`Error::Cancelled`].
    ///
    /// # Errors
    ///
    /// [`Error::Spawn`] when the program cannot be started or when called outside a Tokio
    /// runtime.
    pub fn spawn(spec: impl Into<ProcessSpec>, options: &ExecOptions) -> Result<Self, Error> {
        let cancel = options.cancel.clone().unwrap_or_default();
        if cancel.is_cancelled() {
            return Ok(Self {
                state: State::Failed(Error::Cancelled),
                cancel,
                containment: None,
            });
        }
        let spec: ProcessSpec = spec.into();
        let program = spec.program().to_owned();
        let spawned = supervisor::spawn(spec, options, &cancel)?;
        let containment = Some(spawned.containment);
        let stdout = match stdout_thread::reader(spawned.stdout) {
            Ok(stdout) => stdout,
            Err(source) => {
                // codex runs, but nobody could read it: stop it (the supervisor reaps it).
                spawned.shared.request_stop(Reason::Dropped);
                return Err(Error::Spawn { program, source });
            }
        };
        let idle = options.idle_timeout.map(|limit| Idle {
            limit,
            sleep: Box::pin(tokio::time::sleep(limit)),
            restart: false,
        });
        let running = Running {
            pid: spawned.pid,
            lines: LineReader::new(stdout, options.max_line_len),
            stdout_done: false,
            outcome_rx: spawned.outcome,
            outcome: None,
            reaped: false,
            shared: spawned.shared,
            cancel: cancel.clone(),
            stop: None,
            idle,
            offline: None,
            offline_report: None,
            deadline: None,
            limits: Limits::from(options),
            stderr_task: Some(spawned.stderr_task),
            tail: spawned.tail,
            redactor: spawned.redactor,
        };
        Ok(Self {
            state: State::Running(Box::new(running)),
            cancel,
            containment,
        })
    }

    /// The process id of codex, while it runs or until the stream ends.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        match &self.state {
            State::Running(running) => Some(running.pid),
            State::Failed(_) | State::Done => None,
        }
    }

    /// How the processes codex starts are contained (see [`Containment`]): the strongest up to
    /// [`ExecOptions::containment`] that could be set up for this process. `None` when
    /// nothing was spawned (the cancel handle was cancelled before).
    #[must_use]
    pub fn containment(&self) -> Option<Containment> {
        self.containment
    }

    /// A handle that cancels this turn (the one from [`ExecOptions::cancel_handle`], if given).
    #[must_use]
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }
}

impl Stream for ExecStream {
    type Item = Result<ThreadEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match &mut this.state {
            State::Done => Poll::Ready(None),
            State::Failed(_) => {
                let State::Failed(error) = std::mem::replace(&mut this.state, State::Done) else {
                    unreachable!("matched Failed above")
                };
                Poll::Ready(Some(Err(error)))
            }
            State::Running(running) => match running.poll_step(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Step::Item(item)) => Poll::Ready(Some(item)),
                Poll::Ready(Step::End(last)) => {
                    this.state = State::Done;
                    Poll::Ready(last.map(Err))
                }
            },
        }
    }
}

impl FusedStream for ExecStream {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Done)
    }
}

/// Whether `message` (of an `error` event) is codex waiting for the network: a refused or
/// failed connection to the model server, which codex 0.169–0.171 retry forever
/// (`Reconnecting... waiting for network (Connection failed: …)`), unlike the bounded
/// `Reconnecting... n/5` retries.
pub(crate) fn waiting_for_network(message: &str) -> bool {
    message.starts_with("Reconnecting...") && message.contains("waiting for network")
}

/// What one poll of a running turn produced.
enum Step {
    /// An item; the stream goes on.
    Item(Result<ThreadEvent, Error>),
    /// The end: an optional last error, then `None`.
    End(Option<Error>),
}

/// The idle timer: restarted when the stream starts waiting for the next line.
struct Idle {
    limit: Duration,
    sleep: Pin<Box<Sleep>>,
    /// An item was yielded since the last poll: restart the timer on the next one, so the
    /// consumer's own time between polls does not count.
    restart: bool,
}

struct Running {
    pid: u32,
    lines: LineReader<Stdout>,
    stdout_done: bool,
    outcome_rx: oneshot::Receiver<Outcome>,
    outcome: Option<Outcome>,
    /// The supervisor reported the process reaped.
    reaped: bool,
    shared: Arc<Shared>,
    cancel: CancelHandle,
    /// Set when this stream decided to stop the process; the stream ends with its error once
    /// the supervisor reports the process reaped.
    stop: Option<Reason>,
    idle: Option<Idle>,
    /// The offline timeout, running since codex's first `waiting for network` error with no
    /// other event after it.
    offline: Option<Pin<Box<Sleep>>>,
    /// codex's last `waiting for network` report (redacted), while the offline timer runs.
    offline_report: Option<String>,
    /// The exit timeout, while one phase of it runs: waiting for the exit after end of file,
    /// for end of file after the exit, or for the end of stderr.
    deadline: Option<Pin<Box<Sleep>>>,
    limits: Limits,
    stderr_task: Option<JoinHandle<()>>,
    tail: SharedTail,
    redactor: Arc<Redactor>,
}

impl Running {
    fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        loop {
            if self.stop.is_none() && self.cancel.is_cancelled() {
                self.request_stop(Reason::Cancelled);
            }
            self.poll_outcome(cx);
            if let Some(reason) = self.stop {
                // Wait for the supervisor to reap the process before reporting.
                return match self.outcome {
                    Some(_) => Poll::Ready(Step::End(Some(self.stop_error(reason)))),
                    None => Poll::Pending,
                };
            }
            if let Some(Outcome::Stopped(reason)) = self.outcome {
                // Stopped by the supervisor itself (turn timeout).
                return Poll::Ready(Step::End(Some(self.stop_error(reason))));
            }
            if !self.stdout_done {
                if self.idle_elapsed(cx) {
                    self.request_stop(Reason::IdleTimeout);
                    continue;
                }
                if self
                    .offline
                    .as_mut()
                    .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
                {
                    tracing::warn!(
                        pid = self.pid,
                        limit = ?self.limits.offline,
                        "codex could not reach the model server within the offline timeout; stopping it"
                    );
                    self.request_stop(Reason::Offline);
                    continue;
                }
                match self.lines.poll_line(cx) {
                    Poll::Ready(Some(Ok((number, text)))) => {
                        // A registered secret never leaves the SDK in an event: a line that
                        // holds one is redacted before it is parsed (literally, so the JSON
                        // stays valid and the agent's own text is otherwise untouched).
                        let redacted;
                        let text = if self.redactor.contains_secret(text) {
                            redacted = self.redactor.redact_literal(text);
                            redacted.as_str()
                        } else {
                            text
                        };
                        let item = parse_event(text).map_err(|e| {
                            Error::Parse(e.with_line(number).redacted(&self.redactor))
                        });
                        self.restart_idle();
                        self.track_offline(item.as_ref().ok());
                        return Poll::Ready(Step::Item(item));
                    }
                    Poll::Ready(Some(Err(error))) => {
                        self.restart_idle();
                        let error = match error {
                            FrameError::TooLong { line, limit } => {
                                Error::LineTooLong { line, limit }
                            }
                            FrameError::InvalidUtf8 { line, valid_up_to } => {
                                Error::InvalidUtf8 { line, valid_up_to }
                            }
                            FrameError::Io(source) => {
                                self.end_of_stdout();
                                Error::Read { source }
                            }
                        };
                        return Poll::Ready(Step::Item(Err(error)));
                    }
                    Poll::Ready(None) => {
                        self.end_of_stdout();
                        continue;
                    }
                    Poll::Pending => {
                        if self.outcome.is_some() && self.deadline_elapsed(cx) {
                            // codex exited, but something outside its process group holds
                            // stdout open: give up on the rest.
                            tracing::warn!(
                                pid = self.pid,
                                "codex exited but its stdout stayed open; abandoning it"
                            );
                            self.end_of_stdout();
                            continue;
                        }
                        return Poll::Pending;
                    }
                }
            }
            // stdout is done.
            match &self.outcome {
                None => {
                    if self.deadline_elapsed(cx) {
                        self.request_stop(Reason::ExitTimeout);
                        continue;
                    }
                    return Poll::Pending;
                }
                Some(Outcome::Exited(_)) => return self.poll_finish(cx),
                Some(Outcome::Stopped(_)) => unreachable!("handled above"),
            }
        }
    }

    /// Records the outcome once the supervisor sends it.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) {
        if self.outcome.is_some() {
            return;
        }
        let outcome = match Pin::new(&mut self.outcome_rx).poll(cx) {
            Poll::Pending => return,
            Poll::Ready(Ok(outcome)) => outcome,
            // The supervisor task was dropped: the runtime is shutting down, and the task's
            // guard has killed the group.
            Poll::Ready(Err(_)) => Outcome::Stopped(Reason::Dropped),
        };
        self.outcome = Some(outcome);
        self.reaped = true;
        // The exit timeout now bounds how long stdout may stay open.
        if !self.stdout_done {
            self.start_deadline();
        }
    }

    fn request_stop(&mut self, reason: Reason) {
        self.stop = Some(reason);
        self.shared.request_stop(reason);
    }

    fn end_of_stdout(&mut self) {
        self.stdout_done = true;
        // Now the exit timeout bounds either the wait for the exit or the wait for stderr.
        self.start_deadline();
    }

    fn start_deadline(&mut self) {
        self.deadline = Some(Box::pin(tokio::time::sleep(self.limits.exit)));
    }

    fn deadline_elapsed(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
    }

    /// Starts the offline timer at codex's first `waiting for network` error, and stops it
    /// at any other event.
    fn track_offline(&mut self, event: Option<&ThreadEvent>) {
        let Some(limit) = self.limits.offline else {
            return;
        };
        match event {
            Some(ThreadEvent::Error(error)) if waiting_for_network(&error.message) => {
                self.offline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                self.offline_report = Some(self.redactor.redact(&error.message));
            }
            Some(_) => {
                self.offline = None;
                self.offline_report = None;
            }
            None => {}
        }
    }

    /// The error a stop for `reason` ends the stream with; the offline one says what codex
    /// last reported.
    fn stop_error(&mut self, reason: Reason) -> Error {
        match reason.into_error(&self.limits) {
            Error::ModelUnreachable { limit, .. } => Error::ModelUnreachable {
                limit,
                reason: self.offline_report.take(),
            },
            other => other,
        }
    }

    fn restart_idle(&mut self) {
        if let Some(idle) = &mut self.idle {
            idle.restart = true;
        }
    }

    fn idle_elapsed(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(idle) = &mut self.idle else {
            return false;
        };
        if idle.restart {
            idle.restart = false;
            idle.sleep.as_mut().reset(Instant::now() + idle.limit);
        }
        idle.sleep.as_mut().poll(cx).is_ready()
    }

    /// After the exit: waits (bounded) for the end of stderr, then ends the stream.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        if let Some(task) = &mut self.stderr_task {
            let done = Pin::new(task).poll(cx).is_ready();
            if !done && !self.deadline_elapsed(cx) {
                return Poll::Pending;
            }
            if !done {
                tracing::warn!(
                    pid = self.pid,
                    "codex exited but its stderr stayed open; abandoning it"
                );
            }
            self.stderr_task = None;
        }
        let Some(Outcome::Exited(status)) = self.outcome.take() else {
            unreachable!("poll_finish runs after the exit")
        };
        let last = match status {
            Ok(status) => supervisor::status_error(status, || {
                stderr_tail::lock(&self.tail).render(&self.redactor)
            }),
            Err(source) => Some(Error::Wait { source }),
        };
        Poll::Ready(Step::End(last))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            self.shared.request_stop(Reason::Dropped);
        }
    }
}

impl From<crate::CommandSpec> for ProcessSpec {
    fn from(spec: crate::CommandSpec) -> Self {
        let mut process = ProcessSpec::new(spec.program).args(spec.args).env_clear();
        for (key, value) in spec.env.iter() {
            process = process.env(key, value);
        }
        for secret in spec.secrets {
            process = process.secret(secret);
        }
        process = process.stdin(spec.stdin.into_bytes());
        match spec.schema_file {
            Some(schema_file) => process.keep_alive(schema_file),
            None => process,
        }
    }
}
