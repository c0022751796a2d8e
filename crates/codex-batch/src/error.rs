//! The one error type of codex-agent-batch.

use std::path::PathBuf;

/// One problem found while validating a task file: where, which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineProblem {
    /// The 1-based line number in the task file.
    pub line: u64,
    /// The field at fault (`id`, `prompt`, …), or `(line)` for the line as a whole.
    pub field: String,
    /// What is wrong, as one lowercase sentence.
    pub reason: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

/// Everything that can go wrong in a batch run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The path at fault.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The task file has bad lines; every one of them is listed, nothing ran.
    #[error("the task file {} has {} bad line(s):\n{}", path.display(), problems.len(), render_problems(problems))]
    InvalidTasks {
        /// The task file.
        path: PathBuf,
        /// Every problem found, in line order.
        problems: Vec<LineProblem>,
    },
    /// The task file changed since the run began (its sha256 differs from the run's manifest).
    #[error("the task file {} changed since run {run:?} began (sha256 {found}, the run has {expected}); start a new run or restore the file", path.display())]
    TasksChanged {
        /// The run.
        run: String,
        /// The task file.
        path: PathBuf,
        /// The sha256 recorded when the run began.
        expected: String,
        /// The sha256 of the file now.
        found: String,
    },
    /// A split was asked for with bad parameters.
    #[error("invalid split: {reason}")]
    InvalidSplit {
        /// What is wrong.
        reason: String,
    },
    /// A run option is out of range or inconsistent.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option (`--concurrency`, …).
        option: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The database could not be opened or reached.
    #[error("cannot open the database {url}: {reason}")]
    DatabaseUnreachable {
        /// The database URL, without credentials.
        url: String,
        /// What the driver said.
        reason: String,
    },
    /// The database was written by a newer codex-batch.
    #[error(
        "the database schema is version {found}, newer than the version {supported} this codex-batch supports; upgrade codex-batch"
    )]
    SchemaTooNew {
        /// The newest migration applied in the database.
        found: i64,
        /// The newest migration this build knows.
        supported: i64,
    },
    /// A database URL names a backend this build lacks.
    #[error("the database URL {url} needs {what}")]
    UnsupportedDatabase {
        /// The database URL, without credentials.
        url: String,
        /// What is missing (for example "the `postgres` cargo feature").
        what: &'static str,
    },
    /// A query failed.
    #[error("database error while {context}: {reason}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// What the driver said.
        reason: String,
    },
    /// The named run does not exist in the store.
    #[error("no run named {run:?} in the store")]
    UnknownRun {
        /// The run asked for.
        run: String,
    },
    /// The run exists with a different task file than the one given.
    #[error("run {run:?} was submitted with other tasks ({reason})")]
    RunMismatch {
        /// The run.
        run: String,
        /// What differs.
        reason: String,
    },
    /// Building the codex facade failed (codex not found, bad options).
    #[error("cannot start codex")]
    Codex(#[source] Box<codex_agent_sdk::Error>),
    /// A remote app-server (`--remote`) refused its token or could not be reached when it was
    /// checked before the run; nothing ran. The source says which, naming the endpoint.
    #[error("the remote endpoint {endpoint} cannot take tasks")]
    Remote {
        /// The endpoint URL.
        endpoint: String,
        /// The facade's error (the token is never part of it).
        #[source]
        source: Box<codex_agent_sdk::Error>,
    },
    /// A stored record could not be decoded.
    #[error("corrupt record for task {task_id:?}: {reason}")]
    CorruptRecord {
        /// The task.
        task_id: String,
        /// What is wrong.
        reason: String,
    },
}

fn render_problems(problems: &[LineProblem]) -> String {
    let mut text = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str("  ");
        text.push_str(&p.to_string());
    }
    text
}

impl Error {
    /// An [`Error::Io`] about `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn db(context: &'static str, error: &sqlx::Error) -> Self {
        Self::Database {
            context,
            reason: error.to_string(),
        }
    }
}
