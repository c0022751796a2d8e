//! A supervised child with piped stdio for programs other than codex: MCP servers on stdio and
//! the commands of codex-agent-tools' `shell` tool.
//!
//! The child gets what every child of this crate gets: its own process group, the
//! parent-death signal where available, the stderr tail with secrets redacted, and the whole
//! group terminated (`SIGTERM`, then `SIGKILL` after the grace period) and reaped when the
//! [`PipedChild`] is dropped or its time limit ([`ExecOptions::turn_timeout`]) passes.

use std::fmt;
use std::process::ExitStatus;
use std::sync::Arc;

use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::oneshot;

use crate::containment::Containment;
use crate::error::Error;
use crate::stderr_tail::{self, SharedTail};
use crate::supervisor::{self, ExecOptions, Outcome, ProcessSpec, Reason, Shared};
use codex_agent_protocol::secret::Redactor;

/// How a [`PipedChild`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildExit {
    /// It exited on its own with this code (`None`: killed by a signal nobody here sent).
    Exited(Option<i32>),
    /// Its time limit passed and its process group was terminated.
    TimedOut,
    /// It was stopped (its cancel handle, or the child was dropped).
    Stopped,
    /// Waiting for it failed.
    Unknown,
}

/// A running child with piped stdio, in its own process group.
///
/// Dropping it terminates the whole group and reaps the child (on a task of the runtime that
/// spawned it).
pub struct PipedChild {
    pid: u32,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    outcome: Option<oneshot::Receiver<Outcome>>,
    exit: Option<ChildExit>,
    shared: Arc<Shared>,
    tail: SharedTail,
    redactor: Arc<Redactor>,
    containment: Containment,
}

impl fmt::Debug for PipedChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipedChild")
            .field("pid", &self.pid)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}

impl PipedChild {
    /// Spawns `spec` with stdin and stdout piped to the caller (stderr goes to the redacted
    /// tail, see [`stderr_tail`](Self::stderr_tail)) and supervises it with `options`
    /// (process group, parent-death signal, `turn_timeout` as its time limit, `kill_grace`,
    /// the cancel handle).
    ///
    /// # Errors
    ///
    /// [`Error::Spawn`] when the program cannot be started (or there is no Tokio runtime).
    pub fn spawn(spec: ProcessSpec, options: &ExecOptions) -> Result<Self, Error> {
        let cancel = options.cancel.clone().unwrap_or_default();
        let spawned = supervisor::spawn(spec.stdin_open(), options, &cancel)?;
        // Only stderr is drained by the supervisor; the tail task ends with the pipe.
        drop(spawned.stderr_task);
        Ok(Self {
            pid: spawned.pid,
            stdin: spawned.stdin,
            stdout: Some(spawned.stdout),
            outcome: Some(spawned.outcome),
            exit: None,
            shared: spawned.shared,
            tail: spawned.tail,
            redactor: spawned.redactor,
            containment: spawned.containment,
        })
    }

    /// How the child's descendants are contained (see [`Containment`]).
    #[must_use]
    pub fn containment(&self) -> Containment {
        self.containment
    }

    /// The child's pid, which is also its process group id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Takes the child's stdin (the first call only). Dropping it closes the pipe.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Takes the child's stdout (the first call only).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// The last bytes the child wrote to stderr, secrets redacted.
    #[must_use]
    pub fn stderr_tail(&self) -> String {
        stderr_tail::lock(&self.tail).render(&self.redactor)
    }

    /// Waits until the child has ended and been reaped (together with its process group).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future leaves the child running; waiting again picks up
    /// where this left off.
    pub async fn wait(&mut self) -> ChildExit {
        if let Some(exit) = &self.exit {
            return exit.clone();
        }
        let exit = match self.outcome.as_mut() {
            Some(outcome) => match outcome.await {
                Ok(Outcome::Exited(Ok(status))) => ChildExit::Exited(exit_code(status)),
                Ok(Outcome::Stopped(Reason::TurnTimeout)) => ChildExit::TimedOut,
                Ok(Outcome::Stopped(_)) => ChildExit::Stopped,
                Ok(Outcome::Exited(Err(_))) | Err(_) => ChildExit::Unknown,
            },
            None => ChildExit::Unknown,
        };
        self.outcome = None;
        self.exit = Some(exit.clone());
        exit
    }

    /// Asks the supervisor to terminate the process group; [`wait`](Self::wait) then reports
    /// [`ChildExit::Stopped`].
    pub fn kill(&self) {
        self.shared.request_stop(Reason::Cancelled);
    }
}

impl Drop for PipedChild {
    fn drop(&mut self) {
        if self.exit.is_none() {
            self.shared.request_stop(Reason::Dropped);
        }
    }
}

fn exit_code(status: ExitStatus) -> Option<i32> {
    status.code()
}
