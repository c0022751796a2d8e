//! The one error type of codex-agent-batch: task files, stores, runs, remote endpoints,
//! scoring and reports.

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
    /// A report format name is not one of `md`, `html`, `json`, `csv`.
    #[error("unknown report format `{format}` (expected md, html, json or csv)")]
    UnknownReportFormat {
        /// The name given.
        format: String,
    },
    /// A task status name is not one of [`report::Status`](crate::report::Status)'s.
    #[error("unknown task status `{status}`")]
    UnknownStatus {
        /// The name given.
        status: String,
    },
    /// Drawing a report chart failed.
    #[error("drawing the {chart} chart failed: {reason}")]
    Chart {
        /// Which chart.
        chart: &'static str,
        /// What the drawing library reported.
        reason: String,
    },
    /// Writing a CSV or JSON report failed.
    #[error("writing the {format} report failed: {reason}")]
    ReportWrite {
        /// `csv` or `json`.
        format: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A line of a CSV report could not be read back into a row.
    #[error("line {line} of the CSV report is not a task row: {reason}")]
    ReportCsv {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A task's `output_schema` is not a valid JSON Schema.
    #[error("the output schema is not a valid JSON Schema: {reason}")]
    InvalidSchema {
        /// What is wrong with it, with its location in the schema.
        reason: String,
    },
    /// The scorer command line is empty.
    #[error("the scorer command is empty")]
    EmptyScorerCommand,
    /// The scorer command could not be started, or the operating system failed while it ran.
    #[error("the scorer command `{command}` could not run")]
    ScorerSpawn {
        /// The command line.
        command: String,
        /// What went wrong.
        #[source]
        source: codex_agent_sdk::exec::Error,
    },
    /// The scorer command ran longer than its time limit and was killed.
    #[error("the scorer command `{command}` did not finish within {limit:?}")]
    ScorerTimeout {
        /// The command line.
        command: String,
        /// The time limit.
        limit: std::time::Duration,
    },
    /// Scoring was cancelled; the scorer command was killed.
    #[error("the scorer command `{command}` was cancelled")]
    ScorerCancelled {
        /// The command line.
        command: String,
    },
    /// The scorer command exited unsuccessfully.
    #[error(
        "the scorer command `{command}` failed: {status}{}",
        stderr_headline(stderr)
    )]
    ScorerFailed {
        /// The command line.
        command: String,
        /// How it ended (`exit code 2`, `signal 9`).
        status: String,
        /// The last bytes of its stderr, redacted.
        stderr: String,
    },
    /// The scorer command printed something that is not a score.
    #[error("the scorer command `{command}` printed no score: {reason} (output: {excerpt:?})")]
    ScorerOutput {
        /// The command line.
        command: String,
        /// Why the output is not a score.
        reason: String,
        /// The start of what it printed (at most 200 bytes).
        excerpt: String,
    },
}

/// `": <first non-empty stderr line>"`, or nothing.
fn stderr_headline(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| format!(": {line}"))
        .unwrap_or_default()
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
