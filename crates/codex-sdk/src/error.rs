//! The one error type of the facade: [`Error`].

use std::path::PathBuf;
use std::time::Duration;

use codex_agent_protocol::app_server::CodexErrorInfo;

use crate::codex::Transport;

/// Everything that can go wrong while running a turn.
///
/// Errors never contain the API key: stderr tails and codex's turn failure messages (which may
/// quote a rejected key, as the OpenAI API does) are redacted before they are stored, and the
/// options are not part of any error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No codex binary was found; `searched` lists every place looked at, in order.
    #[error(
        "could not find the codex binary (searched {} places); install it with `npm install -g @openai/codex`, or point `CODEX_PATH` or `CodexOptions::codex_path` at it",
        searched.len()
    )]
    BinaryNotFound {
        /// Every candidate path that was checked.
        searched: Vec<PathBuf>,
    },
    /// The codex path set explicitly (`CODEX_PATH` or [`CodexOptions::codex_path`]) names no
    /// file: a missing path or a directory. Nothing else is searched.
    ///
    /// [`CodexOptions::codex_path`]: crate::CodexOptions::codex_path
    #[error(
        "{setting} names `{}`, which {problem}: it must name the codex executable{}",
        path.display(),
        Inside(inside.as_deref())
    )]
    InvalidCodexPath {
        /// The path as set.
        path: PathBuf,
        /// Which setting named it: `` `CODEX_PATH` `` or `` `CodexOptions::codex_path` ``.
        setting: &'static str,
        /// What is wrong with it: `does not exist`, `is a directory`, `is not a regular file`.
        problem: &'static str,
        /// For a directory, the codex executable found in it (`codex`, `bin/codex` or an npm
        /// install's `node_modules/.bin/codex`), which is likely what was meant.
        inside: Option<PathBuf>,
    },
    /// The options cannot be turned into a codex command (a `null` config value, an approval
    /// policy codex refuses, an output schema that is not an object, ...).
    #[error("invalid options")]
    InvalidOptions(#[source] codex_agent_exec::Error),
    /// codex could not be started.
    #[error("failed to start codex")]
    Spawn(#[source] codex_agent_exec::Error),
    /// codex ended before the turn did: a non-zero exit code, a signal this SDK did not
    /// send, or (on the app-server transport) a process that exited while turns were open.
    /// The message's first line says what codex last reported on stderr.
    #[error(
        "{}{}",
        ExitDescription(*code, *signal),
        StderrHint(source.stderr_tail().unwrap_or_default())
    )]
    ProcessExit {
        /// The exit code, when it exited.
        code: Option<i32>,
        /// The signal, when one killed it.
        signal: Option<i32>,
        /// The supervisor's error, which holds the redacted stderr tail
        /// ([`Error::stderr_tail`]); boxed: it is large, and rare.
        source: Box<codex_agent_exec::Error>,
    },
    /// codex reported that the turn failed (`turn.failed`).
    #[error("turn failed: {message}")]
    TurnFailed {
        /// codex's message, e.g. "unexpected status 401 Unauthorized: ...", with the configured
        /// API key replaced by `[REDACTED]`.
        message: String,
        /// codex's classification of the failure (`serverOverloaded`, `usageLimitExceeded`,
        /// `httpConnectionFailed`, …); the app-server transport reports it, `codex exec` does
        /// not.
        codex_error_info: Option<CodexErrorInfo>,
    },
    /// The transport has no such operation (for example [`TurnStream::steer`] on the exec
    /// transport, or a thread with dynamic tools there).
    ///
    /// [`TurnStream::steer`]: crate::TurnStream::steer
    #[error("{operation} is not supported by the {transport} transport")]
    Unsupported {
        /// What was asked for.
        operation: &'static str,
        /// The transport that cannot do it.
        transport: Transport,
    },
    /// An attachment could not be staged (a missing file, a non-image given as an image, a
    /// symlink escaping an attached directory, a full disk, ...), or the attachment store
    /// could not be opened. The message names the path; nothing of the attachment is left in
    /// the store, and the turn did not start.
    #[error(transparent)]
    Attachment(codex_agent_files::Error),
    /// No stored thread has this id (in this `CODEX_HOME`).
    #[error("no thread `{id}`")]
    ThreadNotFound {
        /// The id asked for.
        id: String,
    },
    /// Another codex process on the same `CODEX_HOME` holds this thread: codex lets one
    /// process at a time write to a thread (its `thread/resume` answers "thread … already has
    /// an active writer", and `codex exec resume` exits with it). An app-server holds every
    /// thread it loaded until it exits, a `codex exec` the thread of its turn for the turn.
    /// Resume the thread through the [`Codex`](crate::Codex) that ran it, or stop that one
    /// first ([`Codex::shutdown`](crate::Codex::shutdown), or drop it).
    #[error(
        "thread `{id}` is held by another codex process (one writer per thread): resume it through the `Codex` that ran it, or stop that one first (`Codex::shutdown`)"
    )]
    ThreadBusy {
        /// The thread's id.
        id: String,
    },
    /// The thread has no id yet: it is stored once its first turn starts.
    #[error("the thread has no id before its first turn")]
    ThreadNotStarted,
    /// `codex app-server` refused a request (a JSON-RPC error response).
    #[error("codex app-server refused `{method}` (code {code}): {message}")]
    Rpc {
        /// The method of the refused request.
        method: String,
        /// The JSON-RPC error code (`-32600` for invalid requests).
        code: i64,
        /// The server's message, with the configured API key replaced by `[REDACTED]`.
        message: String,
    },
    /// The connection to `codex app-server` failed in a way that is not a process exit: the
    /// handshake failed, a result had an unexpected shape, or the turn's notifications fell
    /// too far behind.
    #[error("the connection to codex app-server failed")]
    AppServer(#[source] codex_agent_exec::Error),
    /// codex wrote something that is not a valid event (a line that is not JSON, too long, or
    /// not UTF-8).
    #[error("codex wrote an invalid event")]
    Protocol(#[source] codex_agent_exec::Error),
    /// A time limit was hit: the turn's or the idle limit (the exec transport killed codex,
    /// the app-server transport interrupted the turn), or a request's answer limit.
    #[error("{kind} of {} was hit", HumanDuration(*limit))]
    Timeout {
        /// The limit that was hit.
        limit: Duration,
        /// Which limit.
        kind: TimeoutKind,
    },
    /// The turn was cancelled; codex was killed.
    #[error("the turn was cancelled")]
    Cancelled,
    /// The turn ended without the final response a structured-output call needs.
    #[error("the turn ended without a final response")]
    NoFinalResponse,
    /// The final response did not match the requested type.
    #[error(
        "the final response does not match the output type at `{path}`: {reason}; excerpt: `{excerpt}`"
    )]
    SchemaMismatch {
        /// JSON path of the mismatch (`.` for the root).
        path: String,
        /// What serde reported.
        reason: String,
        /// At most 200 characters of the response.
        excerpt: String,
    },
    /// The output type's JSON Schema cannot be expressed in OpenAI strict mode.
    #[error("the output type cannot be used as a strict output schema: {0}")]
    UnsupportedSchema(crate::structured::SchemaIssue),
    /// A remote app-server ([`CodexOptions::remote`](crate::CodexOptions::remote)) refused
    /// the token (`401` on the WebSocket upgrade): it is wrong, or missing for a server
    /// started with `--ws-auth`. Not retryable. The token is never part of the error.
    #[error("the remote codex app-server at {endpoint} refused the token")]
    RemoteUnauthorized {
        /// The endpoint URL.
        endpoint: String,
        /// The client's error, with the server's reason (boxed, so that `Result<T, Error>`
        /// stays small).
        source: Box<codex_agent_exec::Error>,
    },
    /// A remote app-server could not be reached (refused, timed out), refused the connection
    /// (another HTTP status, a failed `/readyz`), closed it while turns ran, or no endpoint of
    /// a [`RemotePool`](crate::RemotePool) is healthy. The source says which and names the
    /// endpoint. Retryable: the next turn reconnects.
    #[error("the remote codex app-server is unavailable")]
    Remote(#[source] codex_agent_exec::Error),
    /// The turn ended without `turn.completed` or `turn.failed` although codex exited cleanly.
    #[error("codex ended the turn without completing or failing it")]
    TransportClosed,
    /// Reading codex's output failed.
    #[error("failed to read from codex")]
    Io(#[source] codex_agent_exec::Error),
    /// The in-process MCP server that serves host tools on the exec transport could not
    /// start (binding `127.0.0.1`, or reading the system's randomness for its token).
    #[error("the host tool server could not start: {reason}")]
    ToolServer {
        /// What failed.
        reason: String,
    },
    /// The thread's [`Budget`](crate::telemetry::Budget)
    /// ([`ThreadOptions::budget`](crate::ThreadOptions::budget)) is used up: the turn was not
    /// started, or was stopped when it crossed the limit (interrupted on the app-server).
    #[error(transparent)]
    BudgetExceeded(codex_agent_telemetry::BudgetExceeded),
    /// The telemetry cannot do what the options ask (a USD budget for a model without a
    /// price); nothing was started.
    #[error("the telemetry options cannot be applied")]
    Telemetry(#[source] codex_agent_telemetry::Error),
}

/// An [`Error`] with its causes and stderr tail, for printing ([`Error::report`]).
#[derive(Debug, Clone, Copy)]
pub struct Report<'a>(&'a Error);

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut previous = self.0.to_string();
        f.write_str(&previous)?;
        let mut cause = std::error::Error::source(self.0);
        while let Some(source) = cause {
            // A cause that says the same as the line above adds nothing (an exec exit is
            // described by both the SDK's error and codex-agent-exec's).
            let text = source.to_string();
            if text != previous {
                write!(f, "\n  caused by: {text}")?;
            }
            previous = text;
            cause = source.source();
        }
        if let Some(tail) = self.0.stderr_tail().filter(|tail| !tail.trim().is_empty()) {
            write!(f, "\ncodex stderr:\n{}", tail.trim_end())?;
        }
        Ok(())
    }
}

/// Which time limit an [`Error::Timeout`] hit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The turn's limit ([`TurnOptions::turn_timeout`](crate::TurnOptions::turn_timeout)).
    Turn,
    /// The idle limit ([`TurnOptions::idle_timeout`](crate::TurnOptions::idle_timeout)).
    Idle,
    /// codex could not reach the model server for this long
    /// ([`TurnOptions::offline_timeout`](crate::TurnOptions::offline_timeout)): it kept
    /// reconnecting, waiting for the network.
    Offline {
        /// What codex last reported (redacted), which says why: `Reconnecting... 2/5
        /// waiting for network (Connection failed: …)`.
        reason: Option<String>,
    },
    /// codex closed its output but did not exit in time.
    Exit,
    /// The app-server did not answer a request in time.
    Request {
        /// The method of the request.
        method: String,
    },
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Turn => f.write_str("the turn's time limit"),
            Self::Idle => f.write_str("the idle time limit"),
            Self::Offline { reason: None } => {
                f.write_str("the model server is unreachable: the offline time limit")
            }
            Self::Offline {
                reason: Some(reason),
            } => write!(
                f,
                "the model server is unreachable (codex's last report: {reason}): the offline \
                 time limit"
            ),
            Self::Exit => f.write_str("the exit time limit"),
            Self::Request { method } => write!(f, "the time limit of `{method}`"),
        }
    }
}

/// The end of [`Error::InvalidCodexPath`]'s message: the executable found in the directory.
struct Inside<'a>(Option<&'a std::path::Path>);

impl std::fmt::Display for Inside<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(found) => write!(f, " (this directory has one: `{}`)", found.display()),
            None => Ok(()),
        }
    }
}

/// A duration as seconds with millisecond precision (`2.5s`).
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

/// How a process ended, as the start of a sentence.
struct ExitDescription(Option<i32>, Option<i32>);

impl std::fmt::Display for ExitDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.1) {
            (Some(0), _) => f.write_str("codex exited (code 0) before the turn ended"),
            (Some(code), _) => write!(f, "codex exited with code {code}"),
            (None, Some(signal)) => write!(f, "codex was killed by signal {signal}"),
            (None, None) => f.write_str("codex exited before the turn ended"),
        }
    }
}

/// The line of a stderr tail that says what went wrong (see
/// [`codex_agent_exec::stderr_headline`]), bounded, after a `": "`.
struct StderrHint<'a>(&'a str);

impl std::fmt::Display for StderrHint<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX_CHARS: usize = 200;
        let Some(line) = codex_agent_exec::stderr_headline(self.0) else {
            return Ok(());
        };
        let mut chars = line.chars();
        let head: String = chars.by_ref().take(MAX_CHARS).collect();
        let ellipsis = if chars.next().is_some() { "…" } else { "" };
        write!(f, ": {head}{ellipsis}")
    }
}

/// The status of codex's `unexpected status 401 Unauthorized: …` turn failure message (the
/// wording of codex 0.169–0.171 on both transports), when the message has that shape.
fn status_in_message(message: &str) -> Option<u16> {
    let (_, rest) = message.split_once("unexpected status ")?;
    let digits = rest.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit())
        || rest[3..].starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let status: u16 = digits.parse().ok()?;
    (100..600).contains(&status).then_some(status)
}

/// The thread id of codex's refusal to load a thread another process holds: code -32600,
/// "thread <id> already has an active writer" (codex 0.169–0.171), alone as the app-server's
/// message or at the end of `codex exec`'s last error line (`Error: thread/resume:
/// thread/resume failed: thread <id> already has an active writer (code -32600)`).
fn busy_thread(code: i64, message: &str) -> Option<String> {
    let (before, after) = message.split_once(" already has an active writer")?;
    let id = match before.strip_prefix("thread ") {
        Some(id) if after.is_empty() => id,
        _ if after == " (code -32600)" => before.rsplit_once(" thread ")?.1,
        _ => return None,
    };
    (code == -32600 && is_id(id)).then(|| id.to_owned())
}

/// The thread id of codex's answer to resuming a thread that is not stored: "no rollout
/// found for thread id <id>", alone (app-server) or in `codex exec`'s last error line.
fn missing_thread(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("no rollout found for thread id ")?;
    let id = rest.strip_suffix(" (code -32600)").unwrap_or(rest);
    is_id(id).then(|| id.to_owned())
}

/// One token: what codex prints as a thread id.
fn is_id(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace)
}

/// The last `Error: …` line of codex's stderr: what `codex exec` exits with.
fn last_error_line(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .rev()
        .find(|line| line.starts_with("Error: "))
}

/// Redacts `secret` (and the shapes of bearer tokens and OpenAI keys) from `text`, with the
/// one redactor of the SDK.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    codex_agent_protocol::Redactor::new(secret).redact(text)
}

impl Error {
    /// Whether retrying the same turn may succeed: transient process failures, stalls (the
    /// idle, exit and request limits), and turn failures codex attributes to load, rate
    /// limits or the network (by their [`CodexErrorInfo`] when the app-server reports one,
    /// else by the HTTP status in their message, as [`Error::http_status`] reads it: 408, 429
    /// and 5xx, else by their wording). A turn that used up its own time limit is not
    /// retryable: it would most likely run out again, repeating what it did.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout {
                kind: TimeoutKind::Turn,
                ..
            } => false,
            Self::Timeout { .. } | Self::Io(_) | Self::TransportClosed | Self::Remote(_) => true,
            Self::ProcessExit { signal, .. } => signal.is_some(),
            // Classified from codex's structured error where it has one: an HTTP failure is
            // worth retrying only for statuses that say "later" (408, 429, 5xx), never for a
            // rejected key (401) or a bad request.
            Self::TurnFailed {
                codex_error_info: Some(info),
                ..
            } => match info {
                CodexErrorInfo::ServerOverloaded
                | CodexErrorInfo::InternalServerError
                | CodexErrorInfo::RateLimitExceeded => true,
                CodexErrorInfo::HttpConnectionFailed(details)
                | CodexErrorInfo::ResponseStreamConnectionFailed(details)
                | CodexErrorInfo::ResponseStreamDisconnected(details)
                | CodexErrorInfo::ResponseTooManyFailedAttempts(details) => details
                    .http_status_code
                    .is_none_or(|status| status == 408 || status == 429 || status >= 500),
                _ => false,
            },
            Self::TurnFailed { message, .. } => {
                // exec reports no structured error: the status in codex's message decides,
                // as the structured one does on the app-server.
                if let Some(status) = status_in_message(message) {
                    return status == 408 || status == 429 || status >= 500;
                }
                let m = message.to_ascii_lowercase();
                [
                    "high demand",
                    "rate limit",
                    "overloaded",
                    "stream disconnected",
                    "timed out",
                    "status 500",
                    "status 502",
                    "status 503",
                    "status 504",
                    "temporar",
                ]
                .iter()
                .any(|needle| m.contains(needle))
            }
            _ => false,
        }
    }

    /// The HTTP status the model server answered with, for a turn that failed on an HTTP
    /// error (`401` for a rejected API key, `429`, `500`, …), the same on both transports: on
    /// the app-server from codex's structured error ([`CodexErrorInfo`]), on exec, which
    /// reports none, from codex's message (`unexpected status 401 Unauthorized: …`). `None`
    /// for every other error, and for turn failures codex reports without a status.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        let Self::TurnFailed {
            message,
            codex_error_info,
        } = self
        else {
            return None;
        };
        let structured = match codex_error_info {
            Some(
                CodexErrorInfo::HttpConnectionFailed(details)
                | CodexErrorInfo::ResponseStreamConnectionFailed(details)
                | CodexErrorInfo::ResponseStreamDisconnected(details)
                | CodexErrorInfo::ResponseTooManyFailedAttempts(details),
            ) => details
                .http_status_code
                .and_then(|status| u16::try_from(status).ok()),
            _ => None,
        };
        structured.or_else(|| status_in_message(message))
    }

    /// The whole story, for printing: the message, every cause on a line of its own, and the
    /// redacted stderr tail of a process exit. What `main` should print instead of the
    /// `Debug` dump (`eprintln!("error: {}", error.report())`).
    #[must_use]
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }

    /// The redacted stderr tail, for process exits.
    #[must_use]
    pub fn stderr_tail(&self) -> Option<&str> {
        match self {
            Self::ProcessExit { source, .. } => source.stderr_tail(),
            _ => None,
        }
    }

    /// [`Error::from_exec`] for codex-agent-exec's `NotFound` category.
    fn from_exec_not_found(err: codex_agent_exec::Error) -> Self {
        use codex_agent_exec::Error as E;
        match err {
            E::CodexNotFound { mut searched } => {
                // The same directory can be on `PATH` twice.
                let mut seen = std::collections::HashSet::new();
                searched.retain(|path| seen.insert(path.clone()));
                Self::BinaryNotFound { searched }
            }
            E::InvalidCodexPath {
                path,
                setting,
                problem,
                inside,
            } => Self::InvalidCodexPath {
                inside,
                path,
                setting: if setting == "the codex path option" {
                    "`CodexOptions::codex_path`"
                } else {
                    setting
                },
                problem,
            },
            E::ThreadNotFound { id, .. } => Self::ThreadNotFound { id },
            other => Self::Spawn(other),
        }
    }

    pub(crate) fn from_exec(err: codex_agent_exec::Error) -> Self {
        use codex_agent_exec::{Error as E, ErrorCategory as C};
        match err.category() {
            C::NotFound => Self::from_exec_not_found(err),
            C::Spawn => Self::Spawn(err),
            C::InvalidOptions => Self::InvalidOptions(err),
            C::Unsupported => match err {
                E::Unsupported { option, transport } => Self::Unsupported {
                    operation: option,
                    transport: match transport {
                        "exec" => Transport::Exec,
                        "remote" => Transport::Remote,
                        _ => Transport::AppServer,
                    },
                },
                other => Self::InvalidOptions(other),
            },
            C::ProcessExit => {
                // `codex exec resume` refuses a thread a live app-server holds the same way,
                // through its own in-process app-server, and exits with code 1.
                if let E::Exited { code: 1, stderr } = &err
                    && let Some(line) = last_error_line(stderr)
                {
                    if let Some(id) = busy_thread(-32600, line) {
                        return Self::ThreadBusy { id };
                    }
                    if let Some(id) = missing_thread(line) {
                        return Self::ThreadNotFound { id };
                    }
                }
                let (code, signal) = match &err {
                    E::Exited { code, .. } => (Some(*code), None),
                    E::Signaled { signal, .. } => (None, Some(*signal)),
                    E::AppServerClosed { code, signal, .. } => (*code, *signal),
                    _ => (None, None),
                };
                Self::ProcessExit {
                    code,
                    signal,
                    source: Box::new(err),
                }
            }
            C::Cancelled => Self::Cancelled,
            C::Timeout => match err {
                E::TurnTimeout { limit } => Self::Timeout {
                    limit,
                    kind: TimeoutKind::Turn,
                },
                E::IdleTimeout { limit } => Self::Timeout {
                    limit,
                    kind: TimeoutKind::Idle,
                },
                E::RequestTimeout { method, limit } => Self::Timeout {
                    limit,
                    kind: TimeoutKind::Request { method },
                },
                E::ExitTimeout { limit } => Self::Timeout {
                    limit,
                    kind: TimeoutKind::Exit,
                },
                E::ModelUnreachable { limit, reason } => Self::Timeout {
                    limit,
                    kind: TimeoutKind::Offline { reason },
                },
                other => Self::Io(other),
            },
            C::Protocol => Self::Protocol(err),
            C::Io => Self::Io(err),
            C::Rpc => match err {
                E::Rpc {
                    method,
                    code,
                    message,
                    ..
                } => {
                    if let Some(id) = busy_thread(code, &message) {
                        Self::ThreadBusy { id }
                    } else if let Some(id) =
                        (code == -32600).then(|| missing_thread(&message)).flatten()
                    {
                        Self::ThreadNotFound { id }
                    } else {
                        Self::Rpc {
                            method,
                            code,
                            message,
                        }
                    }
                }
                other => Self::AppServer(other),
            },
            C::AppServer => Self::AppServer(err),
            C::Incomplete => Self::TransportClosed,
            C::Remote => match &err {
                E::RemoteUnauthorized { endpoint, .. } => Self::RemoteUnauthorized {
                    endpoint: endpoint.clone(),
                    source: Box::new(err),
                },
                _ => Self::Remote(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codexs_one_writer_refusal_is_a_busy_thread() {
        let rpc = |code: i64, message: &str| {
            Error::from_exec(codex_agent_exec::Error::Rpc {
                method: "thread/resume".to_owned(),
                code,
                message: message.to_owned(),
                data: None,
            })
        };
        let id = "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b";
        let busy = rpc(-32600, &format!("thread {id} already has an active writer"));
        assert!(
            matches!(&busy, Error::ThreadBusy { id: got } if got == id),
            "{busy:?}"
        );
        assert!(busy.to_string().contains(id), "{busy}");
        assert!(!busy.is_retryable());
        // Anything else stays the server's refusal.
        for (code, message) in [
            (-32603, format!("thread {id} already has an active writer")),
            (-32600, format!("thread {id} is not loaded")),
            (-32600, "thread  already has an active writer".to_owned()),
            (-32600, "already has an active writer".to_owned()),
        ] {
            let error = rpc(code, &message);
            assert!(matches!(error, Error::Rpc { .. }), "{message}: {error:?}");
        }
    }

    #[test]
    fn codex_execs_one_writer_refusal_is_a_busy_thread() {
        let id = "01a24f9e-da3b-7263-86cd-6f55a4e68caf";
        let exited = |code: i32, stderr: String| {
            Error::from_exec(codex_agent_exec::Error::Exited { code, stderr })
        };
        // codex 0.171.0's stderr, as captured.
        let stderr = format!(
            "Reading prompt from stdin...\n\
             2026-12-07T08:29:00.551405Z ERROR codex_core::session::session: failed to initialize thread persistence: thread-store conflict: thread {id} already has an active writer\n\
             Error: thread/resume: thread/resume failed: thread {id} already has an active writer (code -32600)\n"
        );
        let busy = exited(1, stderr.clone());
        assert!(
            matches!(&busy, Error::ThreadBusy { id: got } if got == id),
            "{busy:?}"
        );
        // Another exit, or another last error, stays a process exit.
        assert!(matches!(exited(2, stderr), Error::ProcessExit { .. }));
        let other = format!("thread {id} already has an active writer\nError: something else\n");
        assert!(matches!(exited(1, other), Error::ProcessExit { .. }));
    }

    #[test]
    fn resuming_a_thread_codex_does_not_store_is_thread_not_found() {
        let id = "00000000-0000-7000-8000-000000000000";
        // The app-server's refusal, and `codex exec resume`'s last words (codex 0.171.0).
        let rpc = Error::from_exec(codex_agent_exec::Error::Rpc {
            method: "thread/resume".to_owned(),
            code: -32600,
            message: format!("no rollout found for thread id {id}"),
            data: None,
        });
        let exited = Error::from_exec(codex_agent_exec::Error::Exited {
            code: 1,
            stderr: format!(
                "Reading prompt from stdin...\nError: thread/resume: thread/resume failed: no rollout found for thread id {id} (code -32600)\n"
            ),
        });
        for error in [rpc, exited] {
            assert!(
                matches!(&error, Error::ThreadNotFound { id: missing } if missing == id),
                "{error:?}"
            );
        }
        // Another code stays the server's refusal.
        let other = Error::from_exec(codex_agent_exec::Error::Rpc {
            method: "thread/resume".to_owned(),
            code: -32603,
            message: format!("no rollout found for thread id {id}"),
            data: None,
        });
        assert!(matches!(other, Error::Rpc { .. }), "{other:?}");
    }

    #[test]
    fn results_of_the_error_stay_below_clippys_large_error_threshold() {
        // A user's `fn main() -> Result<(), Error>` (the README's quickstart) trips clippy's
        // `result_large_err` from 128 bytes on: box a large variant's payload instead.
        assert!(
            std::mem::size_of::<Error>() < 128,
            "codex_agent_sdk::Error is {} bytes",
            std::mem::size_of::<Error>()
        );
    }

    fn process_exit(code: Option<i32>, signal: Option<i32>, tail: &str) -> Error {
        Error::ProcessExit {
            code,
            signal,
            source: Box::new(codex_agent_exec::Error::AppServerClosed {
                code,
                signal,
                stderr: tail.to_owned(),
            }),
        }
    }

    fn turn_failed(message: &str, codex_error_info: Option<CodexErrorInfo>) -> Error {
        Error::TurnFailed {
            message: message.to_owned(),
            codex_error_info,
        }
    }

    #[test]
    fn the_http_status_of_a_turn_failure_is_the_same_on_both_transports() {
        let rejected = "unexpected status 401 Unauthorized: Incorrect API key provided: [REDACTED]., url: http://127.0.0.1:9/v1/responses";
        let details: CodexErrorInfo = serde_json::from_value(
            serde_json::json!({"httpConnectionFailed": {"httpStatusCode": 401}}),
        )
        .expect("the app-server's shape");
        // exec: the message only; app-server: the same message and the structured error.
        assert_eq!(turn_failed(rejected, None).http_status(), Some(401));
        assert_eq!(
            turn_failed(rejected, Some(details)).http_status(),
            Some(401)
        );
        // The structured status wins over the message.
        let other: CodexErrorInfo = serde_json::from_value(
            serde_json::json!({"httpConnectionFailed": {"httpStatusCode": 503}}),
        )
        .expect("the app-server's shape");
        assert_eq!(turn_failed(rejected, Some(other)).http_status(), Some(503));

        for (message, status) in [
            (
                "unexpected status 429 Too Many Requests: slow down",
                Some(429),
            ),
            (
                "unexpected status 409 Conflict: codex-agent-testkit mock: …",
                Some(409),
            ),
            ("unexpected status 5000 nonsense", None),
            ("unexpected status 42", None),
            ("unexpected status abc", None),
            ("We're currently experiencing high demand", None),
            ("", None),
        ] {
            assert_eq!(
                turn_failed(message, None).http_status(),
                status,
                "{message}"
            );
        }
        assert_eq!(Error::Cancelled.http_status(), None);
    }

    #[test]
    fn a_status_in_an_exec_message_decides_retrying_as_the_structured_one_does() {
        for (message, retryable) in [
            (
                "unexpected status 401 Unauthorized: Incorrect API key",
                false,
            ),
            (
                "unexpected status 400 Bad Request: timed out reading the body",
                false,
            ),
            ("unexpected status 408 Request Timeout: …", true),
            ("unexpected status 429 Too Many Requests: …", true),
            ("unexpected status 501 Not Implemented: …", true),
            ("We're currently experiencing high demand", true),
            ("the model refused", false),
        ] {
            assert_eq!(
                turn_failed(message, None).is_retryable(),
                retryable,
                "{message}"
            );
        }
    }

    #[test]
    fn a_report_has_the_causes_and_the_tail() {
        let error = process_exit(Some(1), None, "Reading prompt from stdin...\nError: boom\n");
        assert_eq!(
            error.report().to_string(),
            "codex exited with code 1: Error: boom\n  caused by: codex app-server exited with code 1: Error: boom\ncodex stderr:\nReading prompt from stdin...\nError: boom"
        );
    }

    #[test]
    fn a_cause_that_repeats_the_message_is_left_out_of_the_report() {
        let error = Error::ProcessExit {
            code: Some(1),
            signal: None,
            source: Box::new(codex_agent_exec::Error::Exited {
                code: 1,
                stderr: "Error: boom\n".to_owned(),
            }),
        };
        assert_eq!(
            error.report().to_string(),
            "codex exited with code 1: Error: boom\ncodex stderr:\nError: boom"
        );
    }

    #[test]
    fn a_process_exit_says_what_went_wrong_in_one_line() {
        for (error, shown) in [
            (
                process_exit(Some(0), None, ""),
                "codex exited (code 0) before the turn ended",
            ),
            (
                process_exit(
                    Some(1),
                    None,
                    "Reading prompt from stdin...\nNot inside a trusted directory.\n",
                ),
                "codex exited with code 1: Not inside a trusted directory.",
            ),
            (
                process_exit(None, Some(9), ""),
                "codex was killed by signal 9",
            ),
        ] {
            assert_eq!(error.to_string(), shown);
            assert!(!error.to_string().contains("abnormally"));
        }
    }

    #[test]
    fn redact_replaces_every_occurrence_of_a_real_secret_only() {
        let text = "key sk-abc rejected; sk-abc again".to_owned();
        assert_eq!(
            redact(&text, Some("sk-abc")),
            "key [REDACTED] rejected; [REDACTED] again"
        );
        assert_eq!(redact(&text, Some("sk")), text, "too short to redact");
        assert_eq!(redact(&text, None), text);
    }
}
