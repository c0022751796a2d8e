//! The process seam: what this crate needs of a child process, implemented elsewhere.
//!
//! This crate never spawns processes (only codex-agent-exec does, so that the process-group
//! kill, the environment policy and reaping apply to every child). The MCP client's stdio
//! transport and the built-in `shell` tool therefore take a [`ProcessLauncher`]; codex-agent-sdk
//! passes one backed by codex-agent-exec (`codex_agent_sdk::mcp::stdio`,
//! `codex_agent_sdk::builtin::shell`).

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

/// What to launch: a program, its arguments, extra environment and working directory.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct LaunchSpec {
    /// The program (a path, or a name looked up in `PATH`).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory; by default, this process's.
    pub current_dir: Option<PathBuf>,
    /// Keep stdin open for the caller ([`LaunchedProcess::take_stdin`]); otherwise it is
    /// closed at once.
    pub stdin: bool,
    /// The time limit after which the whole process group is terminated; by default, none.
    pub timeout: Option<Duration>,
}

impl fmt::Debug for LaunchSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Environment values may be secrets: only the names are shown.
        let env: Vec<_> = self.env.iter().map(|(key, _)| key).collect();
        f.debug_struct("LaunchSpec")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env", &env)
            .field("current_dir", &self.current_dir)
            .field("stdin", &self.stdin)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl LaunchSpec {
    /// `program` with no arguments, the inherited environment, stdin closed, no time limit.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            stdin: false,
            timeout: None,
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets one environment variable. By default, the environment is inherited unchanged.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory. By default, this process's.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Keeps stdin open for the caller. By default, stdin is closed at once.
    pub fn piped_stdin(mut self, piped: bool) -> Self {
        self.stdin = piped;
        self
    }

    /// Terminates the process group after `timeout`. By default, no time limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// How a launched process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessExit {
    /// It exited with this code (`None`: killed by a signal nobody here sent).
    Exited(Option<i32>),
    /// Its time limit passed; its process group was terminated.
    TimedOut,
    /// It was stopped by its owner.
    Stopped,
    /// The launcher could not tell.
    Unknown,
}

/// A boxed byte stream from the child.
pub type ChildReader = Pin<Box<dyn AsyncRead + Send>>;
/// A boxed byte sink to the child.
pub type ChildWriter = Pin<Box<dyn AsyncWrite + Send>>;

/// A launched child process with piped stdio.
///
/// **Contract:** dropping it terminates the child's whole process group and reaps the child.
pub trait LaunchedProcess: Send + fmt::Debug {
    /// The child's pid.
    fn pid(&self) -> u32;
    /// Takes stdin (when the spec asked for it; the first call only).
    fn take_stdin(&mut self) -> Option<ChildWriter>;
    /// Takes stdout (the first call only).
    fn take_stdout(&mut self) -> Option<ChildReader>;
    /// The last bytes the child wrote to stderr, secrets redacted.
    fn stderr_tail(&self) -> String;
    /// Asks for the child's process group to be terminated (`SIGTERM`, then `SIGKILL` after
    /// a grace period); [`wait`](Self::wait) reports when it is reaped.
    fn kill(&self);
    /// Waits until the child has ended and been reaped.
    ///
    /// # Cancel safety
    ///
    /// Must be cancel safe: dropping the future leaves the child running.
    fn wait(&mut self) -> Pin<Box<dyn Future<Output = ProcessExit> + Send + '_>>;
}

/// Launches processes: implemented by codex-agent-sdk on top of codex-agent-exec.
pub trait ProcessLauncher: Send + Sync + fmt::Debug + 'static {
    /// Starts `spec` in a process group of its own.
    ///
    /// # Errors
    ///
    /// The program could not be started (missing, not executable, no runtime).
    fn launch(&self, spec: LaunchSpec) -> io::Result<Box<dyn LaunchedProcess>>;
}

/// The largest char boundary of `text` at or before `index`.
#[cfg(any(feature = "mcp", feature = "builtin"))]
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}
