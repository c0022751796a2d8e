//! The one error type of this crate: [`Error`].
//!
//! Every variant that carries text coming from the child (its stderr) holds it already
//! redacted, so neither `Display` nor `Debug` of an [`Error`] can reveal a secret.
//!
//! `Display` is one line that says what went wrong. For a process that failed, it quotes the
//! first line of the stderr tail that carries a message ([`headline`]): codex's status lines
//! (`Reading prompt from stdin...`), its `WARNING:` lines and its log records below `ERROR`
//! are skipped, so `codex exited with code 1` is followed by codex's reason, such as `Not
//! inside a trusted directory and --skip-git-repo-check was not specified.` The whole tail is
//! available through [`Error::stderr_tail`].

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
    Parse(#[source] codex_agent_protocol::ParseError),
    /// codex exited with a non-zero code.
    ///
    /// `Display` names the code and quotes the first meaningful line of `stderr`.
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
    /// codex could not reach the model server for longer than the configured offline timeout
    /// ([`ExecOptions::offline_timeout`](crate::ExecOptions::offline_timeout)): it kept
    /// reporting `Reconnecting... waiting for network`. The exec transport killed the process
    /// group; the app-server transport interrupted the turn.
    #[error(
        "codex could not reach the model server for {} (it kept reconnecting, waiting for the network){}",
        HumanDuration(*limit),
        LastReport(reason.as_deref())
    )]
    ModelUnreachable {
        /// The configured offline timeout.
        limit: Duration,
        /// What codex last reported (redacted), which says why: `Reconnecting... 2/5
        /// waiting for network (Connection failed: …)`.
        reason: Option<String>,
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
    /// The codex path set explicitly (`CODEX_PATH`, or [`Discovery::codex_path`]) names no
    /// file: nothing else is searched, since an explicit setting that does not work is an
    /// error, not a cue to run some other codex.
    ///
    /// [`Discovery::codex_path`]: crate::Discovery::codex_path
    #[error(
        "{setting} names `{}`, which {problem}: it must name the codex executable{}",
        path.display(),
        crate::discovery::Inside(inside.as_deref())
    )]
    InvalidCodexPath {
        /// The path as set.
        path: PathBuf,
        /// Which setting named it: `` `CODEX_PATH` `` or `the codex path option`.
        setting: &'static str,
        /// What is wrong with it: `does not exist`, `is a directory`, `is not a regular file`.
        problem: &'static str,
        /// For a directory, the codex executable found in it (`codex`, `bin/codex` or an npm
        /// install's `node_modules/.bin/codex`), which is likely what was meant.
        inside: Option<PathBuf>,
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
        "approval policy `{policy}` is not supported by `codex exec` (it exits at startup with it since 0.169.0); use `on-request` or `never`, or the app-server transport"
    )]
    UnsupportedApprovalPolicy {
        /// The refused policy.
        policy: String,
    },
    /// A local image of the input is not a readable file. codex itself would only tell the
    /// model that it could not read the image, and the turn would go on without it.
    #[error("the image `{}` is not a file", path.display())]
    ImageNotFound {
        /// The path as given.
        path: std::path::PathBuf,
    },
    /// The thread's working directory is not a directory on this machine. `codex exec` would
    /// exit with a bare "No such file or directory", and `codex app-server` would run the
    /// turn there anyway, every command of it failing.
    #[error("the working directory `{}` is not a directory", path.display())]
    WorkingDirectoryNotFound {
        /// The path as given.
        path: std::path::PathBuf,
    },
    /// An option the transport cannot honour; it is refused rather than dropped.
    #[error("{option} is not supported by the {transport} transport")]
    Unsupported {
        /// The option or operation, e.g. `base instructions`.
        option: &'static str,
        /// The transport: `exec` or `app-server`.
        transport: &'static str,
    },
    /// No stored thread has this id in this `CODEX_HOME`.
    #[error("no thread `{id}` in `{}`", codex_home.display())]
    ThreadNotFound {
        /// The id asked for.
        id: String,
        /// The `CODEX_HOME` searched.
        codex_home: std::path::PathBuf,
    },
    /// Reading the stored threads failed.
    #[error("failed to read the stored threads in `{}`", path.display())]
    Sessions {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// Where codex keeps its threads is unknown: neither `CODEX_HOME` nor `HOME` is set.
    #[error("neither CODEX_HOME nor HOME is set, so the stored threads cannot be found")]
    NoCodexHome,
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
    ///
    /// `Display` says how: `codex app-server exited` for a clean exit (code 0), the code or
    /// signal and the first meaningful stderr line otherwise, `the connection to codex
    /// app-server is closed` when there is no exit status (a transport without a process, or
    /// a process this crate stopped).
    #[error("{}", ClosedSummary { code: *code, signal: *signal, stderr })]
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
        source: codex_agent_protocol::ParseError,
    },
    /// The app-server's notifications of a turn ended before `turn/completed` (the
    /// subscription closed while the connection stayed up).
    #[error("codex app-server ended the turn's notifications without completing it")]
    TurnIncomplete,
    /// The `initialize` handshake with `codex app-server` failed.
    #[error("the codex app-server handshake failed: {reason}")]
    Handshake {
        /// What went wrong, in words.
        reason: String,
    },
    /// A remote endpoint's URL is not one this client can use (see
    /// [`RemoteEndpoint::new`](crate::app_server::RemoteEndpoint::new)).
    #[error("`{endpoint}` is not a usable codex app-server endpoint: {reason}")]
    InvalidEndpoint {
        /// The URL as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Nothing accepted a TCP connection at the remote endpoint (connection refused, no
    /// route, unknown host), or the connection broke during the WebSocket upgrade.
    #[error("could not connect to codex app-server at {endpoint}")]
    RemoteUnreachable {
        /// The endpoint URL.
        endpoint: String,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// The connection to the remote endpoint (TCP and WebSocket upgrade, or the `/readyz`
    /// check) did not finish within the connect timeout.
    #[error("codex app-server at {endpoint} did not answer within {}", HumanDuration(*limit))]
    RemoteTimeout {
        /// The endpoint URL.
        endpoint: String,
        /// The connect timeout.
        limit: Duration,
    },
    /// The remote app-server refused the WebSocket upgrade with `401 Unauthorized`: the token
    /// is wrong, or missing for a server started with `--ws-auth`. The token itself is never
    /// part of the error.
    #[error(
        "codex app-server at {endpoint} refused the token: {}",
        Bounded(reason)
    )]
    RemoteUnauthorized {
        /// The endpoint URL.
        endpoint: String,
        /// The server's reason (`invalid websocket bearer token`, `missing websocket bearer
        /// token`), bounded and redacted.
        reason: String,
    },
    /// The remote endpoint answered, but not as a ready codex app-server: the WebSocket
    /// upgrade got another HTTP status than `101` (`403` for a browser `Origin`, `404`), the
    /// upgrade broke the WebSocket protocol, or `GET /readyz` did not answer `200`.
    #[error(
        "codex app-server at {endpoint} refused the connection: {}",
        Bounded(reason)
    )]
    RemoteRefused {
        /// The endpoint URL.
        endpoint: String,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// What went wrong, in words (bounded and redacted).
        reason: String,
    },
    /// The WebSocket connection to a remote app-server closed (the server stopped, the
    /// network broke, the client was shut down). Every pending request and open
    /// subscription fails with this error at once, as with [`Error::AppServerClosed`] for a
    /// spawned one; the next turn of a [`Runtime`](crate::app_server::Runtime) reconnects.
    #[error("the connection to codex app-server at {endpoint} is closed")]
    RemoteClosed {
        /// The endpoint URL.
        endpoint: String,
    },
    /// A [`RemotePool`](crate::app_server::RemotePool) has no healthy endpoint: each failed
    /// its last `/readyz` check or connection and waits for its next retry.
    #[error("none of the {endpoints} codex app-server endpoints of the pool is healthy")]
    NoHealthyEndpoint {
        /// How many endpoints the pool has.
        endpoints: usize,
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
    /// The turn ended without completing or failing.
    Incomplete,
    /// A remote app-server could not be reached, refused the token or the connection, or no
    /// endpoint of a pool is healthy.
    Remote,
}

impl Error {
    /// The category of this error.
    #[must_use]
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::CodexNotFound { .. }
            | Self::InvalidCodexPath { .. }
            | Self::ThreadNotFound { .. } => ErrorCategory::NotFound,
            Self::Spawn { .. } | Self::VersionProbe { .. } => ErrorCategory::Spawn,
            Self::ConfigNull { .. }
            | Self::ConfigEmptyKey { .. }
            | Self::UnsupportedApprovalPolicy { .. }
            | Self::WorkingDirectoryNotFound { .. }
            | Self::InvalidThreadId { .. }
            | Self::OutputSchemaNotObject
            | Self::OutputSchemaFile { .. }
            | Self::ImageNotFound { .. }
            | Self::NoCodexHome
            | Self::InvalidEndpoint { .. } => ErrorCategory::InvalidOptions,
            Self::Unsupported { .. } => ErrorCategory::Unsupported,
            Self::Exited { .. } | Self::Signaled { .. } | Self::AppServerClosed { .. } => {
                ErrorCategory::ProcessExit
            }
            Self::Cancelled => ErrorCategory::Cancelled,
            Self::TurnTimeout { .. }
            | Self::IdleTimeout { .. }
            | Self::ModelUnreachable { .. }
            | Self::ExitTimeout { .. }
            | Self::RequestTimeout { .. } => ErrorCategory::Timeout,
            Self::LineTooLong { .. } | Self::InvalidUtf8 { .. } | Self::Parse(_) => {
                ErrorCategory::Protocol
            }
            Self::Read { .. } | Self::Wait { .. } | Self::Sessions { .. } => ErrorCategory::Io,
            Self::Rpc { .. } => ErrorCategory::Rpc,
            Self::Lagged { .. } | Self::InvalidResult { .. } | Self::Handshake { .. } => {
                ErrorCategory::AppServer
            }
            Self::TurnIncomplete => ErrorCategory::Incomplete,
            Self::RemoteUnreachable { .. }
            | Self::RemoteTimeout { .. }
            | Self::RemoteUnauthorized { .. }
            | Self::RemoteRefused { .. }
            | Self::RemoteClosed { .. }
            | Self::NoHealthyEndpoint { .. } => ErrorCategory::Remote,
        }
    }

    /// Whether the connection to the app-server is gone ([`Error::AppServerClosed`] for a
    /// spawned one, [`Error::RemoteClosed`] for a remote one): the next connection is a new
    /// one.
    #[must_use]
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Self::AppServerClosed { .. } | Self::RemoteClosed { .. }
        )
    }

    /// The JSON-RPC error code, for [`Error::Rpc`].
    #[must_use]
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            Self::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The whole redacted stderr tail (stripped of terminal escapes), for [`Error::Exited`],
    /// [`Error::Signaled`] and [`Error::AppServerClosed`] (empty when there was no process or
    /// it printed nothing); `None` for the other variants. `Display` quotes only one line of
    /// it.
    #[must_use]
    pub fn stderr_tail(&self) -> Option<&str> {
        match self {
            Self::Exited { stderr, .. }
            | Self::Signaled { stderr, .. }
            | Self::AppServerClosed { stderr, .. } => Some(stderr),
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

/// Formats how the connection to codex app-server ended.
struct ClosedSummary<'a> {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: &'a str,
}

impl std::fmt::Display for ClosedSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stderr = StderrSummary(self.stderr);
        match (self.code, self.signal) {
            // A clean exit is not a failure: its stderr holds no reason worth quoting.
            (Some(0), _) => f.write_str("codex app-server exited"),
            (Some(code), _) => write!(f, "codex app-server exited with code {code}{stderr}"),
            (None, Some(signal)) => {
                write!(f, "codex app-server was killed by signal {signal}{stderr}")
            }
            (None, None) => write!(f, "the connection to codex app-server is closed{stderr}"),
        }
    }
}

/// Formats the [`headline`] of a stderr tail, bounded, after a `": "`.
struct StderrSummary<'a>(&'a str);

impl std::fmt::Display for StderrSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX_CHARS: usize = 200;
        let Some(line) = stderr_headline(self.0) else {
            return Ok(());
        };
        let mut chars = line.chars();
        let head: String = chars.by_ref().take(MAX_CHARS).collect();
        let ellipsis = if chars.next().is_some() { "…" } else { "" };
        write!(f, ": {head}{ellipsis}")
    }
}

/// The line of a stderr tail that says what went wrong: the first line that is not blank, not
/// a status line (`Reading prompt from stdin...`), not a `WARNING:` and not a log record;
/// failing that, the message of the first `ERROR` log record; failing that, nothing.
///
/// codex prints its fatal errors as plain lines (`Error: …`, `Not inside a trusted
/// directory …`), and its log records (`<timestamp>  INFO <target>: <message>`) only say what
/// it was doing. An `ERROR` record is not always fatal (codex 0.169.0 logs one when
/// bubblewrap is missing and goes on), so a plain line wins over it.
#[must_use]
pub fn stderr_headline(tail: &str) -> Option<&str> {
    let mut first_error_record = None;
    for line in tail.lines().map(str::trim) {
        if line.is_empty() || is_status_line(line) {
            continue;
        }
        match log_record(line) {
            None => return Some(line),
            Some(("ERROR", message)) if !message.is_empty() => {
                first_error_record.get_or_insert(message);
            }
            Some(_) => {}
        }
    }
    first_error_record
}

/// Lines codex prints on every run, which never say what went wrong.
fn is_status_line(line: &str) -> bool {
    line.starts_with("WARNING: ")
        || matches!(
            line,
            "Reading prompt from stdin..." | "Reading additional input from stdin..."
        )
}

/// The level and message of a `tracing` log record,
/// `<timestamp> <LEVEL> <span>{<fields>}:<span>: <target>: <message>`.
fn log_record(line: &str) -> Option<(&str, &str)> {
    let (timestamp, rest) = line.split_once(' ')?;
    let bytes = timestamp.as_bytes();
    let is_timestamp = bytes.len() >= 11
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T';
    if !is_timestamp {
        return None;
    }
    let rest = rest.trim_start();
    let (level, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if !matches!(level, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR") {
        return None;
    }
    Some((level, record_message(rest.trim_start())))
}

/// The message of a log record after its level: the span context and the target go.
fn record_message(rest: &str) -> &str {
    // The first prefix (spans, or the target when there are none) ends at the first `": "`
    // outside span fields.
    let mut prefix_end = None;
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth = depth.saturating_sub(1),
            ':' if depth == 0 && !quoted && rest[i + 1..].starts_with(' ') => {
                prefix_end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(end) = prefix_end else {
        return rest;
    };
    let prefix = &rest[..end];
    let message = rest[end + 2..].trim_start();
    // When the prefix was a span context, the target follows: a module path.
    let was_spans = prefix.contains(['{', ':', ' ']);
    match message.split_once(": ") {
        Some((target, after))
            if (was_spans || target.contains("::"))
                && !target.is_empty()
                && target
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':')) =>
        {
            after.trim_start()
        }
        _ => message,
    }
}

/// The end of [`Error::ModelUnreachable`]'s message: codex's last report.
struct LastReport<'a>(Option<&'a str>);

impl std::fmt::Display for LastReport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(report) => write!(f, "; its last report: {report}"),
            None => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    /// LIVE CAPTURE — codex-cli 0.169.0, 2026-12-06: the stderr of `codex exec --json` with the
    /// prompt `hi` on stdin, in an empty directory under /tmp with a fresh `CODEX_HOME`
    /// (exit code 1). The `WARNING` line shows because `CODEX_HOME` is under /tmp.
    const UNTRUSTED_DIR: &str = "WARNING: proceeding, even though we could not create PATH \
        aliases: Refusing to create helper binaries under temporary dir \"/tmp\" (codex_home: \
        AbsolutePathBuf(\"/tmp/tmp.rgLBXQEJju\"))\n\
        Reading prompt from stdin...\n\
        Not inside a trusted directory and --skip-git-repo-check was not specified.\n";

    fn exited(stderr: &str) -> Error {
        Error::Exited {
            code: 1,
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn an_exit_names_codex_s_reason_in_its_first_line() {
        let error = exited(UNTRUSTED_DIR);
        assert_eq!(
            error.to_string(),
            "codex exited with code 1: Not inside a trusted directory and \
             --skip-git-repo-check was not specified."
        );
        assert_eq!(error.stderr_tail(), Some(UNTRUSTED_DIR));
    }

    #[test]
    fn headline_skips_status_lines_and_log_records() {
        for (tail, expected) in [
            ("", None),
            ("\n  \n", None),
            ("Reading prompt from stdin...\n", None),
            (
                "Error: bad config\nCaused by:\n  x\n",
                Some("Error: bad config"),
            ),
            (
                "2026-12-06T16:45:22.786048Z DEBUG opentelemetry_sdk:  name=\"x\"\n\
                 2026-12-06T16:45:22.795667Z  INFO codex.exec{otel.kind=\"internal\"}: \
                 codex_cloud_config::service: loaded\n\
                 thread 'main' panicked at src/main.rs:1:2:\nboom\n",
                Some("thread 'main' panicked at src/main.rs:1:2:"),
            ),
            // LIVE CAPTURE — codex-cli 0.169.0 (as-turn-failed.stderr), colours stripped: an
            // ERROR record is quoted when there is no plain line.
            (
                "2026-11-21T07:46:34.146030Z ERROR codex_app_server: Codex could not find \
                 bubblewrap on PATH.\n",
                Some("Codex could not find bubblewrap on PATH."),
            ),
            (
                "2026-11-21T07:46:34.146030Z ERROR codex_app_server: not fatal\n\
                 2026-11-21T07:46:35.000000Z  WARN codex_core: later\nError: fatal\n",
                Some("Error: fatal"),
            ),
            (
                "2026-12-06T16:45:22.859591Z ERROR app_server.request{rpc.method=\"a: b\"}:\
                 session_init: codex_core::session::session: session failed: no key\n",
                Some("session failed: no key"),
            ),
            (
                "2026-12-06T16:45:22.859591Z ERROR session_init: codex_core::session: gone\n",
                Some("gone"),
            ),
            (
                "2026-12-06T16:45:22.859591Z ERROR codex_core: error: kept whole\n",
                Some("error: kept whole"),
            ),
        ] {
            assert_eq!(stderr_headline(tail), expected, "{tail:?}");
        }
    }

    #[test]
    fn long_headlines_are_bounded() {
        let error = exited(&"x".repeat(300));
        assert_eq!(
            error.to_string(),
            format!("codex exited with code 1: {}…", "x".repeat(200))
        );
        assert_eq!(exited("").to_string(), "codex exited with code 1");
    }

    fn closed(code: Option<i32>, signal: Option<i32>, stderr: &str) -> String {
        Error::AppServerClosed {
            code,
            signal,
            stderr: stderr.to_owned(),
        }
        .to_string()
    }

    #[test]
    fn a_clean_app_server_exit_reads_as_one() {
        let noise = "2026-11-21T07:46:34.146030Z ERROR codex_app_server: no bubblewrap\n";
        assert_eq!(closed(Some(0), None, noise), "codex app-server exited");
        assert_eq!(
            closed(Some(2), None, noise),
            "codex app-server exited with code 2: no bubblewrap"
        );
        assert_eq!(
            closed(None, Some(9), "Error: oom\n"),
            "codex app-server was killed by signal 9: Error: oom"
        );
        assert_eq!(
            closed(None, None, ""),
            "the connection to codex app-server is closed"
        );
    }
}
