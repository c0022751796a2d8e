//! [`run_to_completion`]: run a helper program to its end and collect what it printed.
//!
//! Not every process the SDK starts is codex streaming events: a batch run's scorer command
//! reads a result on stdin and prints a score. It is spawned and supervised exactly like
//! codex (own process group, parent-death signal, `SIGTERM` then `SIGKILL` to the group on a
//! time limit, cancel or drop, reaping, a bounded and redacted stderr tail), but its stdout is
//! collected whole (up to a limit) instead of being parsed line by line.

use std::process::ExitStatus;
use std::sync::Arc;

use tokio::io::AsyncReadExt;

use crate::error::Error;
use crate::stderr_tail;
use crate::supervisor::{self, ExecOptions, Limits, Outcome, ProcessSpec, Reason, Shared};

/// What a program run by [`run_to_completion`] left behind: its exit status and output.
#[derive(Clone)]
pub struct CompletedProcess {
    status: ExitStatus,
    stdout: Vec<u8>,
    stdout_truncated: bool,
    stderr: String,
}

impl std::fmt::Debug for CompletedProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // stdout is the caller's data and may be large: only its size is shown.
        f.debug_struct("CompletedProcess")
            .field("status", &self.status)
            .field("stdout_len", &self.stdout.len())
            .field("stdout_truncated", &self.stdout_truncated)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl CompletedProcess {
    /// How the program ended (it exited on its own, or was killed by a signal this crate did
    /// not send).
    #[must_use]
    pub fn status(&self) -> ExitStatus {
        self.status
    }

    /// Everything the program wrote on stdout, up to the limit given to
    /// [`run_to_completion`]. Not redacted: it is the caller's data.
    #[must_use]
    pub fn stdout(&self) -> &[u8] {
        &self.stdout
    }

    /// Whether stdout was longer than the limit (the rest was read and discarded).
    #[must_use]
    pub fn stdout_truncated(&self) -> bool {
        self.stdout_truncated
    }

    /// The last bytes of stderr (at most [`ExecOptions::stderr_tail_len`]), redacted like every
    /// stderr tail of this crate.
    #[must_use]
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// The error the exit status stands for: `None` for exit code 0, else
    /// [`Error::Exited`] or [`Error::Signaled`] with the stderr tail.
    #[must_use]
    pub fn exit_error(&self) -> Option<Error> {
        supervisor::status_error(self.status, || self.stderr.clone())
    }
}

/// Runs `spec` to its end: writes its stdin and closes it, collects up to `max_stdout` bytes
/// of stdout (reading and discarding the rest, so the program never blocks on a full pipe),
/// keeps a redacted tail of stderr, and returns once the program has exited and been reaped.
///
/// Supervision is the one of [`ExecStream`](crate::ExecStream): the program runs in its own
/// process group and gets the parent-death signal; on the turn timeout of `options`, on its
/// cancel handle, or when the returned future is dropped, the group gets `SIGTERM`, then
/// `SIGKILL` after the grace period, and is reaped. The idle timeout and the maximum line
/// length of `options` do not apply here. A non-zero exit is not an error of this function:
/// see [`CompletedProcess::exit_error`].
///
/// Must be called from within a Tokio runtime.
///
/// # Errors
///
/// [`Error::Spawn`] when the program cannot be started; [`Error::TurnTimeout`] when it ran
/// longer than the turn timeout; [`Error::Cancelled`] when the cancel handle was cancelled;
/// [`Error::ExitTimeout`] when it closed stdout but did not exit within the exit timeout;
/// [`Error::Read`] or [`Error::Wait`] when the operating system failed us. In each of these
/// cases the process group has been killed and reaped.
///
/// # Cancel safety
///
/// Dropping the future stops the program: its process group is killed and reaped by the
/// supervising task.
pub async fn run_to_completion(
    spec: impl Into<ProcessSpec>,
    options: &ExecOptions,
    max_stdout: usize,
) -> Result<CompletedProcess, Error> {
    let cancel = options.cancel.clone().unwrap_or_default();
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let limits = Limits::from(options);
    let spawned = supervisor::spawn(spec.into(), options, &cancel)?;
    let mut guard = StopOnDrop {
        shared: spawned.shared.clone(),
        armed: true,
    };
    let mut stdout = spawned.stdout;
    let mut outcome_rx = spawned.outcome;
    let mut collected = Vec::new();
    let mut truncated = false;
    let mut outcome: Option<Outcome> = None;
    let mut eof = false;
    let mut buf = vec![0_u8; 8192];
    // Until both stdout ended and the supervisor reported the outcome; once one of them
    // happened, the other is bounded by the exit timeout.
    let mut deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    while !(eof && outcome.is_some()) {
        if deadline.is_none() && (eof || outcome.is_some()) {
            deadline = Some(Box::pin(tokio::time::sleep(limits.exit)));
        }
        let deadline_fut = async {
            match deadline.as_mut() {
                Some(sleep) => sleep.as_mut().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            received = &mut outcome_rx, if outcome.is_none() => {
                // A dropped supervisor means the runtime is shutting down; its guard has
                // killed the group.
                outcome = Some(received.unwrap_or(Outcome::Stopped(Reason::Dropped)));
                if let Some(Outcome::Stopped(reason)) = &outcome {
                    guard.armed = false;
                    return Err(reason.into_error(&limits));
                }
            }
            read = stdout.read(&mut buf), if !eof => match read {
                Ok(0) => eof = true,
                Ok(n) => {
                    let room = max_stdout.saturating_sub(collected.len());
                    if n > room {
                        truncated = true;
                    }
                    collected.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(source) => {
                    drop(guard);
                    return Err(Error::Read { source });
                }
            },
            () = deadline_fut => {
                if outcome.is_none() {
                    // stdout closed, the program lives on: stop it.
                    spawned.shared.request_stop(Reason::ExitTimeout);
                    let _ = (&mut outcome_rx).await;
                    guard.armed = false;
                    return Err(Error::ExitTimeout { limit: limits.exit });
                }
                // Exited, but something it started holds stdout open: give up on the rest.
                tracing::warn!(pid = spawned.pid, "program exited but its stdout stayed open; abandoning it");
                eof = true;
            }
        }
    }
    guard.armed = false;
    let Some(Outcome::Exited(status)) = outcome else {
        unreachable!("a stopped outcome returned above")
    };
    let status = status.map_err(|source| Error::Wait { source })?;
    // The end of stderr, bounded like the rest.
    let mut stderr_task = spawned.stderr_task;
    if tokio::time::timeout(limits.exit, &mut stderr_task)
        .await
        .is_err()
    {
        stderr_task.abort();
    }
    let stderr = stderr_tail::lock(&spawned.tail).render(&spawned.redactor);
    Ok(CompletedProcess {
        status,
        stdout: collected,
        stdout_truncated: truncated,
        stderr,
    })
}

/// Stops the program when [`run_to_completion`] returns early or its future is dropped.
struct StopOnDrop {
    shared: Arc<Shared>,
    armed: bool,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.shared.request_stop(Reason::Dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sh(script: &str) -> ProcessSpec {
        ProcessSpec::new("/bin/sh").args(["-c", script])
    }

    #[tokio::test]
    async fn collects_stdout_and_stderr_and_status() {
        let spec = sh("cat; echo oops >&2; exit 3").stdin("hello");
        let done = run_to_completion(spec, &ExecOptions::new(), 1024)
            .await
            .expect("runs");
        assert_eq!(done.stdout(), b"hello");
        assert!(!done.stdout_truncated());
        assert_eq!(done.status().code(), Some(3));
        assert!(done.stderr().contains("oops"), "{:?}", done.stderr());
        assert!(matches!(
            done.exit_error(),
            Some(Error::Exited { code: 3, .. })
        ));
    }

    #[tokio::test]
    async fn truncates_long_stdout_without_blocking_the_program() {
        // 1 MiB is far more than a pipe buffer: the program would block if the rest were not
        // drained.
        let spec = sh("head -c 1048576 /dev/zero");
        let done = run_to_completion(spec, &ExecOptions::new(), 10)
            .await
            .expect("runs");
        assert_eq!(done.stdout().len(), 10);
        assert!(done.stdout_truncated());
        assert!(done.exit_error().is_none());
    }

    #[tokio::test]
    async fn the_turn_timeout_kills_the_program() {
        let options = ExecOptions::new()
            .turn_timeout(Duration::from_millis(200))
            .kill_grace(Duration::from_millis(100));
        let error = run_to_completion(sh("sleep 30"), &options, 10)
            .await
            .expect_err("times out");
        assert!(
            matches!(error, Error::TurnTimeout { limit } if limit == Duration::from_millis(200)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let error = run_to_completion(
            ProcessSpec::new("/nonexistent/scorer"),
            &ExecOptions::new(),
            10,
        )
        .await
        .expect_err("cannot spawn");
        assert!(matches!(error, Error::Spawn { .. }), "{error:?}");
    }
}
