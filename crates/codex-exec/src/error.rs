//! The one error type of this crate: [`Error`].
//!
//! Every variant that carries text coming from the child (its stderr) holds it already
//! redacted, so neither `Display` nor `Debug` of an [`Error`] can reveal a secret.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while finding, spawning or supervising codex.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused to start the program.
    #[error("failed to spawn `{}`", program.display())]
    Spawn {
        /// The program that was to be started.
        program: PathBuf,
        /// Why the operating system refused.
        #[source]
        source: io::Error,
    },
    /// Reading the child's stdout failed.
    #[error("failed to read the output of codex")]
    Read {
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// A line of stdout was longer than the configured maximum; the rest of that line was
    /// discarded and the stream goes on with the next line.
    #[error("line {line} of the output of codex is longer than the limit of {limit} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The configured maximum line length in bytes.
        limit: usize,
    },
    /// A line of stdout was not valid UTF-8; the stream goes on with the next line.
    #[error(
        "line {line} of the output of codex is not valid UTF-8 (valid up to byte {valid_up_to})"
    )]
    InvalidUtf8 {
        /// 1-based line number.
        line: u64,
        /// How many leading bytes of the line are valid UTF-8.
        valid_up_to: usize,
    },
    /// A line of stdout was not a valid event; the stream goes on with the next line.
    ///
    /// The inner error carries the line number.
    #[error("codex printed a line that is not a valid event")]
    Parse(#[source] codex_protocol::ParseError),
    /// codex exited with a non-zero code.
    #[error("codex exited with code {code}{}", StderrSummary(stderr))]
    Exited {
        /// The exit code.
        code: i32,
        /// The last bytes of stderr, redacted.
        stderr: String,
    },
    /// codex was killed by a signal this crate did not send.
    #[error("codex was killed by signal {signal}{}", StderrSummary(stderr))]
    Signaled {
        /// The signal number.
        signal: i32,
        /// The last bytes of stderr, redacted.
        stderr: String,
    },
    /// Waiting for codex to exit failed.
    #[error("failed to wait for codex to exit")]
    Wait {
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// codex closed its stdout but did not exit within the exit timeout; the process group was
    /// killed.
    #[error("codex closed its output but did not exit within {}", HumanDuration(*limit))]
    ExitTimeout {
        /// The configured exit timeout.
        limit: Duration,
    },
    /// The turn was cancelled (through a cancel handle); the process group was killed.
    #[error("the turn was cancelled")]
    Cancelled,
    /// The turn took longer than the configured turn timeout; the process group was killed.
    #[error("the turn did not finish within {}", HumanDuration(*limit))]
    TurnTimeout {
        /// The configured turn timeout.
        limit: Duration,
    },
    /// codex printed no line for longer than the configured idle timeout; the process group
    /// was killed.
    #[error("codex printed nothing for {}", HumanDuration(*limit))]
    IdleTimeout {
        /// The configured idle timeout.
        limit: Duration,
    },
    /// No codex binary was found; `searched` lists every place looked at, in order.
    #[error(
        "could not find the codex binary{}",
        crate::discovery::Searched(searched)
    )]
    CodexNotFound {
        /// Every candidate path that was checked.
        searched: Vec<PathBuf>,
    },
    /// `codex --version` did not yield a version.
    #[error("could not determine the version of `{}`: {reason}", path.display())]
    VersionProbe {
        /// The binary that was probed.
        path: PathBuf,
        /// What went wrong, in words.
        reason: String,
        /// The I/O error behind it, if any.
        #[source]
        source: Option<io::Error>,
    },
    /// A config value was `null` (`serde_json` also turns NaN and infinities into `null`).
    #[error("config override at `{path}` cannot be null")]
    ConfigNull {
        /// Dotted path of the value (`a.b[2]`).
        path: String,
    },
    /// A config object had an empty key.
    #[error("config override keys must be non-empty strings (empty key under `{parent}`)")]
    ConfigEmptyKey {
        /// Dotted path of the object holding the empty key; empty at the top level.
        parent: String,
    },
    /// The approval policy is one codex refuses at startup.
    #[error(
        "approval policy `{policy}` is no longer supported by codex (0.169.0 exits at startup with it); use `on-request` or `never`"
    )]
    UnsupportedApprovalPolicy {
        /// The refused policy.
        policy: String,
    },
    /// An option the transport cannot honour; it is refused rather than dropped.
    #[error("{option} is not supported by the {transport} transport")]
    Unsupported {
        /// The option or operation, e.g. `base instructions`.
        option: &'static str,
        /// The transport: `exec` or `app-server`.
        transport: &'static str,
    },
    /// A thread id to resume starts with `-`, so codex would read it as a flag.
    #[error("thread id `{id}` starts with `-` and would be read as a flag")]
    InvalidThreadId {
        /// The refused id.
        id: String,
    },
    /// The output schema was not a JSON object.
    #[error("output schema must be a plain JSON object")]
    OutputSchemaNotObject,
    /// The output schema file could not be written.
    #[error("could not write the output schema file")]
    OutputSchemaFile {
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// `codex app-server` answered a request with a JSON-RPC error.
    #[error(
        "codex app-server refused `{method}` (code {code}): {}",
        Bounded(message)
    )]
    Rpc {
        /// The method of the refused request.
        method: String,
        /// The JSON-RPC error code (codex uses `-32600` for invalid requests, `-32603` for
        /// internal errors).
        code: i64,
        /// The server's message.
        message: String,
        /// Extra data the server attached, if any.
        data: Option<serde_json::Value>,
    },
    /// `codex app-server` did not answer a request within the request timeout; the request is
    /// forgotten, and a late answer is dropped.
    #[error("codex app-server did not answer `{method}` within {}", HumanDuration(*limit))]
    RequestTimeout {
        /// The method of the request.
        method: String,
        /// The timeout that elapsed.
        limit: Duration,
    },
    /// The connection to `codex app-server` is gone: the process exited or was killed, closed
    /// its output, or the client was shut down. Every pending request and open subscription
    /// fails with this error at once.
    #[error(
        "the connection to codex app-server is closed{}{}",
        ExitSummary(*code, *signal),
        StderrSummary(stderr)
    )]
    AppServerClosed {
        /// The exit code, when the process exited and was reaped.
        code: Option<i32>,
        /// The signal that killed the process, when one did.
        signal: Option<i32>,
        /// The last bytes of stderr, redacted (empty for transports without a process).
        stderr: String,
    },
    /// A notification subscriber fell behind by more than its buffer holds. The subscription
    /// yielded every notification it buffered, then this error, and is closed: nothing was
    /// dropped silently.
    #[error(
        "a notification subscriber fell more than {capacity} notifications behind and was closed"
    )]
    Lagged {
        /// The capacity of the subscriber's buffer.
        capacity: usize,
    },
    /// `codex app-server` answered a request with a result that does not have the documented
    /// shape.
    #[error("codex app-server answered `{method}` with a result of an unexpected shape")]
    InvalidResult {
        /// The method of the request.
        method: String,
        /// What did not fit.
        #[source]
        source: codex_protocol::ParseError,
    },
    /// The `initialize` handshake with `codex app-server` failed.
    #[error("the codex app-server handshake failed: {reason}")]
    Handshake {
        /// What went wrong, in words.
        reason: String,
    },
}

/// What kind of failure an [`Error`] is: the classification callers map from.
///
/// Not `#[non_exhaustive]` on purpose: every [`Error`] variant is classified here by an
/// exhaustive match, so a new variant must pick a category in this crate, and callers (the
/// facade) match categories exhaustively instead of guessing with a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCategory {
    /// No codex binary was found.
    NotFound,
    /// codex could not be started or probed.
    Spawn,
    /// The options cannot be turned into a command.
    InvalidOptions,
    /// The transport cannot honour an option.
    Unsupported,
    /// codex (or the app-server) ended: an exit code, a signal, a closed connection.
    ProcessExit,
    /// The caller cancelled.
    Cancelled,
    /// A time limit was hit.
    Timeout,
    /// codex wrote something that is not a valid event.
    Protocol,
    /// Reading from or waiting for codex failed.
    Io,
    /// The app-server refused a request.
    Rpc,
    /// The app-server connection misbehaved (handshake, result shape, lag).
    AppServer,
}

impl Error {
    /// The category of this error.
    #[must_use]
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::CodexNotFound { .. } => ErrorCategory::NotFound,
            Self::Spawn { .. } | Self::VersionProbe { .. } => ErrorCategory::Spawn,
            Self::ConfigNull { .. }
            | Self::ConfigEmptyKey { .. }
            | Self::UnsupportedApprovalPolicy { .. }
            | Self::InvalidThreadId { .. }
            | Self::OutputSchemaNotObject
            | Self::OutputSchemaFile { .. } => ErrorCategory::InvalidOptions,
            Self::Unsupported { .. } => ErrorCategory::Unsupported,
            Self::Exited { .. } | Self::Signaled { .. } | Self::AppServerClosed { .. } => {
                ErrorCategory::ProcessExit
            }
            Self::Cancelled => ErrorCategory::Cancelled,
            Self::TurnTimeout { .. }
            | Self::IdleTimeout { .. }
            | Self::ExitTimeout { .. }
            | Self::RequestTimeout { .. } => ErrorCategory::Timeout,
            Self::LineTooLong { .. } | Self::InvalidUtf8 { .. } | Self::Parse(_) => {
                ErrorCategory::Protocol
            }
            Self::Read { .. } | Self::Wait { .. } => ErrorCategory::Io,
            Self::Rpc { .. } => ErrorCategory::Rpc,
            Self::Lagged { .. } | Self::InvalidResult { .. } | Self::Handshake { .. } => {
                ErrorCategory::AppServer
            }
        }
    }

    /// The JSON-RPC error code, for [`Error::Rpc`].
    #[must_use]
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Self::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Formats a server message, bounded to 300 characters.
struct Bounded<'a>(&'a str);

impl std::fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX_CHARS: usize = 300;
        let mut chars = self.0.chars();
        let head: String = chars.by_ref().take(MAX_CHARS).collect();
        let ellipsis = if chars.next().is_some() { "…" } else { "" };
        write!(f, "{head}{ellipsis}")
    }
}

/// Formats how a process ended, after a `" ("`, when known.
struct ExitSummary(Option<i32>, Option<i32>);

impl std::fmt::Display for ExitSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.1) {
            (Some(code), _) => write!(f, " (codex exited with code {code})"),
            (None, Some(signal)) => write!(f, " (codex was killed by signal {signal})"),
            (None, None) => Ok(()),
        }
    }
}

/// Formats the last non-empty stderr line, bounded, after a `": "`.
struct StderrSummary<'a>(&'a str);

impl std::fmt::Display for StderrSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX_CHARS: usize = 200;
        let Some(last) = self.0.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
            return Ok(());
        };
        let mut chars = last.chars();
        let head: String = chars.by_ref().take(MAX_CHARS).collect();
        let ellipsis = if chars.next().is_some() { "…" } else { "" };
        write!(f, ": {head}{ellipsis}")
    }
}

/// Formats a duration as seconds with millisecond precision (`2.5s`).
struct HumanDuration(Duration);

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let millis = self.0.as_millis();
        if millis.is_multiple_of(1000) {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{}.{:03}s", millis / 1000, millis % 1000)
        }
    }
}
