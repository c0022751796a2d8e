//! The crate's [`Error`].

use std::path::PathBuf;

/// What can go wrong in codex-agent-telemetry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the event log or a pricing file could not be read or written.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A pricing file is not valid JSON of the documented shape.
    #[error("invalid pricing file {}: {reason}", path.display())]
    InvalidPricing {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        reason: String,
    },
    /// A line of an event log that is not the last one does not parse (a torn last line is
    /// skipped instead: it is what a crash leaves).
    #[error("corrupt line {line} in event log {}: {reason}", path.display())]
    CorruptLog {
        /// The log file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// Why it does not parse.
        reason: String,
    },
    /// Another process writes this event log directory (it holds the `events.lock` lock):
    /// two processes cannot rotate one log safely, so each needs its own directory.
    #[error("event log {} is in use by another process", dir.display())]
    LogInUse {
        /// The log's directory.
        dir: PathBuf,
    },
    /// The OTLP exporter could not be built, or failed to flush.
    #[error("OTLP export failed: {reason}")]
    Export {
        /// What the exporter said.
        reason: String,
    },
    /// A USD budget was set, but the thread's model has no price in the pricing table (or the
    /// thread options name no model), so its cost cannot be tracked.
    #[error("no price for model {model:?}, so a USD budget cannot be enforced")]
    UnpricedModel {
        /// The model, or `None` when the thread options name none.
        model: Option<String>,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
