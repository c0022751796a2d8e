//! The one error type of the facade: [`Error`].

use std::path::PathBuf;
use std::time::Duration;

use codex_protocol::app_server::CodexErrorInfo;

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
    #[error("could not find the codex binary (searched {} places)", searched.len())]
    BinaryNotFound {
        /// Every candidate path that was checked.
        searched: Vec<PathBuf>,
    },
    /// The options cannot be turned into a codex command (a `null` config value, an approval
    /// policy codex refuses, an output schema that is not an object, ...).
    #[error("invalid options")]
    InvalidOptions(#[source] codex_exec::Error),
    /// codex could not be started.
    #[error("failed to start codex")]
    Spawn(#[source] codex_exec::Error),
    /// codex exited abnormally (non-zero code, or a signal this SDK did not send).
    #[error("codex exited abnormally ({})", exit_description(*code, *signal))]
    ProcessExit {
        /// The exit code, when it exited.
        code: Option<i32>,
        /// The signal, when one killed it.
        signal: Option<i32>,
        /// The last bytes of its stderr, redacted.
        stderr_tail: String,
        /// The supervisor's error (boxed: it is large, and rare).
        source: Box<codex_exec::Error>,
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
    AppServer(#[source] codex_exec::Error),
    /// codex wrote something that is not a valid event (a line that is not JSON, too long, or
    /// not UTF-8).
    #[error("codex wrote an invalid event")]
    Protocol(#[source] codex_exec::Error),
    /// The turn hit its turn or idle timeout; codex was killed.
    #[error("the turn timed out after {limit:?}")]
    Timeout {
        /// The limit that was hit.
        limit: Duration,
        /// The supervisor's error, telling which limit.
        source: codex_exec::Error,
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
    /// The turn ended without `turn.completed` or `turn.failed` although codex exited cleanly.
    #[error("codex ended the turn without completing or failing it")]
    TransportClosed,
    /// Reading codex's output failed.
    #[error("failed to read from codex")]
    Io(#[source] codex_exec::Error),
}

/// Redacts `secret` (and the shapes of bearer tokens and OpenAI keys) from `text`, with the
/// same rules as codex-exec's stderr tails.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    codex_exec::Redactor::new(secret).redact(text)
}

fn exit_description(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(code), _) => format!("code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "no status".to_owned(),
    }
}

impl Error {
    /// Whether retrying the same turn may succeed: transient process failures, timeouts, and
    /// turn failures codex attributes to load, rate limits or the network (by their
    /// [`CodexErrorInfo`] when the app-server reports one, else by their message).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Io(_) | Self::TransportClosed => true,
            Self::ProcessExit { signal, .. } => signal.is_some(),
            Self::TurnFailed {
                codex_error_info: Some(info),
                ..
            } => matches!(
                info,
                CodexErrorInfo::ServerOverloaded
                    | CodexErrorInfo::InternalServerError
                    | CodexErrorInfo::RateLimitExceeded
                    | CodexErrorInfo::HttpConnectionFailed(_)
                    | CodexErrorInfo::ResponseStreamConnectionFailed(_)
                    | CodexErrorInfo::ResponseStreamDisconnected(_)
                    | CodexErrorInfo::ResponseTooManyFailedAttempts(_)
            ),
            Self::TurnFailed { message, .. } => {
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

    /// The redacted stderr tail, for process exits.
    #[must_use]
    pub fn stderr_tail(&self) -> Option<&str> {
        match self {
            Self::ProcessExit { stderr_tail, .. } => Some(stderr_tail),
            _ => None,
        }
    }

    pub(crate) fn from_exec(err: codex_exec::Error) -> Self {
        use codex_exec::Error as E;
        match err {
            E::CodexNotFound { searched } => Self::BinaryNotFound { searched },
            E::Spawn { .. } | E::VersionProbe { .. } => Self::Spawn(err),
            E::Exited { code, ref stderr } => Self::ProcessExit {
                code: Some(code),
                signal: None,
                stderr_tail: stderr.clone(),
                source: Box::new(err),
            },
            E::Signaled { signal, ref stderr } => Self::ProcessExit {
                code: None,
                signal: Some(signal),
                stderr_tail: stderr.clone(),
                source: Box::new(err),
            },
            E::Cancelled => Self::Cancelled,
            E::TurnTimeout { limit } | E::IdleTimeout { limit } | E::ExitTimeout { limit } => {
                Self::Timeout { limit, source: err }
            }
            E::LineTooLong { .. } | E::InvalidUtf8 { .. } | E::Parse(_) => Self::Protocol(err),
            E::Read { .. } | E::Wait { .. } => Self::Io(err),
            E::Rpc {
                method,
                code,
                message,
                ..
            } => Self::Rpc {
                method,
                code,
                message,
            },
            E::RequestTimeout { limit, .. } => Self::Timeout { limit, source: err },
            E::AppServerClosed {
                code,
                signal,
                ref stderr,
            } => Self::ProcessExit {
                code,
                signal,
                stderr_tail: stderr.clone(),
                source: Box::new(err),
            },
            E::Lagged { .. } | E::InvalidResult { .. } | E::Handshake { .. } => {
                Self::AppServer(err)
            }
            _ => Self::InvalidOptions(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
