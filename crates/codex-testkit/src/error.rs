//! The crate's error type.

use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong in codex-agent-testkit's helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mock server could not listen on `127.0.0.1`.
    #[error("could not bind the mock server to 127.0.0.1")]
    Bind(#[source] std::io::Error),

    /// A file or directory under test control could not be written or read.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What was being done (`write`, `create`, `lock`…).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },

    /// Something a test waited for did not happen in time.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What the test waited for.
        what: String,
        /// How long it waited.
        waited: Duration,
    },

    /// The real codex binary could not be found or installed.
    #[error("real codex {version} is not available: {reason}")]
    RealCodexUnavailable {
        /// The codex version that was asked for (`(any)` for `CODEX_PATH`).
        version: String,
        /// Why, with what to do about it.
        reason: String,
    },

    /// The reference MCP server (`@modelcontextprotocol/server-everything`) could not be
    /// installed.
    #[error("the reference MCP server is not available: {reason}")]
    McpServerUnavailable {
        /// Why, with what to do about it.
        reason: String,
    },

    /// A transcript line is not a transcript entry.
    #[error("line {line} of the transcript is not an entry: {reason}")]
    Transcript {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// A client message differs from the one a replayed transcript recorded (or is missing,
    /// or extra).
    #[error(
        "the client's message does not match transcript entry {seq}: expected {expected}, got {actual}"
    )]
    ReplayMismatch {
        /// The `seq` of the transcript entry.
        seq: u64,
        /// The recorded message, as compared (JSON).
        expected: String,
        /// What the client sent (JSON, or `end of input`).
        actual: String,
    },
}
