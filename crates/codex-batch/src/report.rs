//! Reports of a batch run: per-task [`Row`]s in, a summary and a rendering out.
//!
//! A [`Report`] holds one [`Row`] per task (id, split, status, duration, tokens, cost,
//! attempts, metric scores) and renders it as Markdown, self-contained HTML, JSON or CSV
//! ([`Format`]):
//!
//! - the **summary** ([`Summary`]) groups the rows by split and by status: task count, count
//!   per status, pass rate, median and 95th percentile duration, input and output tokens,
//!   cost, and the mean of every metric;
//! - **HTML** adds three charts drawn as inline SVG with `plotters` (duration histogram, pass
//!   rate per split, tokens per task) and the table of every task. It loads nothing: no
//!   script, no stylesheet, no font, no image. Every string that comes from a task (ids,
//!   split names, metric names) is escaped;
//! - **CSV** is one line per task, and reads back with [`rows_from_csv`];
//! - **JSON** is the summary and the rows.
//!
//! ```
//! use std::time::Duration;
//!
//! use codex_agent_batch::report::{Format, Report, Row, Status};
//!
//! let rows = vec![
//!     Row::new("t1", Status::Succeeded).split("test").duration(Duration::from_millis(1200))
//!         .tokens(900, 40).cost_usd(0.002).metric("f1", 1.0),
//!     Row::new("t2", Status::Failed).split("test").duration(Duration::from_millis(300)),
//! ];
//! let report = Report::new("nightly", rows);
//! assert_eq!(report.summary().total.pass_rate, Some(0.5));
//! let html = report.render(Format::Html)?;
//! assert!(html.contains("<svg"));
//! # Ok::<(), codex_agent_batch::Error>(())
//! ```

mod charts;
mod csv_rows;
mod html;
mod markdown;
mod stats;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::Error;

pub use csv_rows::rows_from_csv;
pub use stats::{Group, MetricMean, Summary};

/// How a task ended, as a report counts it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// The task ran to a final response.
    Succeeded,
    /// The task failed (after its retries).
    Failed,
    /// The task hit its time limit.
    TimedOut,
    /// The task was interrupted (Ctrl-C, a budget) and did not finish.
    Cancelled,
    /// The task was not run (for example, not in the selected split, or over budget).
    Skipped,
    /// The task has not run yet (a report of a run in progress).
    Pending,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Self; 6] = [
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Cancelled,
        Self::Skipped,
        Self::Pending,
    ];

    /// The name in CSV and JSON: `succeeded`, `failed`, `timed_out`, `cancelled`, `skipped`,
    /// `pending`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Pending => "pending",
        }
    }

    /// The name in tables: as [`as_str`](Self::as_str) with a space for the underscore.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::TimedOut => "timed out",
            other => other.as_str(),
        }
    }

    /// Whether the task was attempted: it counts towards the pass rate and the durations.
    /// Skipped and pending tasks were not.
    #[must_use]
    pub fn attempted(self) -> bool {
        !matches!(self, Self::Skipped | Self::Pending)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s || status.label() == s)
            .ok_or_else(|| Error::UnknownStatus {
                status: s.to_owned(),
            })
    }
}

/// One task of a run, as a report sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct Row {
    /// The task's id.
    pub id: String,
    /// The split the task belongs to, if the run was split.
    pub split: Option<String>,
    /// How the task ended.
    pub status: Status,
    /// Wall-clock time of the task, all attempts included.
    pub duration: Duration,
    /// Input tokens, all attempts included.
    pub input_tokens: u64,
    /// Output tokens, all attempts included.
    pub output_tokens: u64,
    /// Estimated cost in US dollars, when the model's prices are known.
    pub cost_usd: Option<f64>,
    /// How many times the task was started.
    pub attempts: u32,
    /// Metric scores by name (`exact_match`, `f1`, `rouge_l`, `bleu`, a scorer's name, …).
    pub metrics: BTreeMap<String, f64>,
}

impl Row {
    /// A row for task `id` that ended with `status`: no split, zero duration, no tokens,
    /// no cost, one attempt (none when skipped or pending), no metrics.
    pub fn new(id: impl Into<String>, status: Status) -> Self {
        Self {
            id: id.into(),
            split: None,
            status,
            duration: Duration::ZERO,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: None,
            attempts: u32::from(status.attempted()),
            metrics: BTreeMap::new(),
        }
    }

    /// The task's split. By default, none.
    pub fn split(mut self, split: impl Into<String>) -> Self {
        self.split = Some(split.into());
        self
    }

    /// The task's duration. By default, zero.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// The task's input and output tokens. By default, zero.
    pub fn tokens(mut self, input: u64, output: u64) -> Self {
        self.input_tokens = input;
        self.output_tokens = output;
        self
    }

    /// The task's estimated cost in US dollars. By default, unknown.
    pub fn cost_usd(mut self, cost: f64) -> Self {
        self.cost_usd = Some(cost);
        self
    }

    /// How many times the task was started. By default, 1 (0 when skipped or pending).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// Adds (or replaces) the score of metric `name`. By default, there is none.
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }

    /// Adds (or replaces) several metric scores, such as
    /// [`TextScores::to_map`](crate::metrics::TextScores::to_map).
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = (String, f64)>) -> Self {
        self.metrics.extend(metrics);
        self
    }

    /// Input plus output tokens.
    #[must_use]
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// The output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Markdown: the summary tables (`md`).
    Markdown,
    /// One self-contained HTML page: summary, charts as inline SVG, every task (`html`).
    Html,
    /// JSON: the summary and the rows (`json`).
    Json,
    /// CSV: one line per task (`csv`).
    Csv,
}

impl FromStr for Format {
    type Err = Error;

    /// `md` (or `markdown`), `html`, `json`, `csv`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md" | "markdown" => Ok(Self::Markdown),
            "html" => Ok(Self::Html),
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            other => Err(Error::UnknownReportFormat {
                format: other.to_owned(),
            }),
        }
    }
}

/// A run's rows with a title, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    title: String,
    rows: Vec<Row>,
}

impl Report {
    /// A report titled `title` (the run's name, say) of `rows`, kept in the given order.
    #[must_use]
    pub fn new(title: impl Into<String>, rows: Vec<Row>) -> Self {
        Self {
            title: title.into(),
            rows,
        }
    }

    /// The title.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The rows, in the order given.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The summary by split and by status.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary::of(&self.rows)
    }

    /// Renders the report in `format`.
    ///
    /// # Errors
    ///
    /// [`Error::Chart`] when a chart cannot be drawn (HTML), [`Error::ReportWrite`]
    /// when CSV or JSON cannot be written.
    pub fn render(&self, format: Format) -> Result<String, Error> {
        match format {
            Format::Markdown => Ok(self.to_markdown()),
            Format::Html => self.to_html(),
            Format::Json => self.to_json(),
            Format::Csv => self.to_csv(),
        }
    }

    /// The summary tables in Markdown: by split, by status, and metric means by split.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        markdown::render(&self.title, &self.summary())
    }

    /// One self-contained HTML page: the summary tables, the three charts as inline SVG, and
    /// a table of every task.
    ///
    /// # Errors
    ///
    /// [`Error::Chart`] when a chart cannot be drawn.
    pub fn to_html(&self) -> Result<String, Error> {
        html::render(&self.title, &self.summary(), &self.rows)
    }

    /// The title, the summary and the rows as one pretty-printed JSON document. Durations are
    /// in milliseconds (`duration_ms`).
    ///
    /// # Errors
    ///
    /// [`Error::ReportWrite`] when a value cannot be written (a non-finite metric or cost is
    /// written as `null`, so this does not happen in practice).
    pub fn to_json(&self) -> Result<String, Error> {
        let rows: Vec<csv_rows::JsonRow<'_>> =
            self.rows.iter().map(csv_rows::JsonRow::from).collect();
        let document = serde_json::json!({
            "title": self.title,
            "summary": self.summary(),
            "rows": rows,
        });
        serde_json::to_string_pretty(&document).map_err(|e| Error::ReportWrite {
            format: "json",
            reason: e.to_string(),
        })
    }

    /// One CSV line per task, with a header: `id`, `split`, `status`, `duration_ms`,
    /// `input_tokens`, `output_tokens`, `cost_usd`, `attempts`, then one `metric:<name>`
    /// column per metric any row has (sorted by name). Empty fields are absent values.
    ///
    /// # Errors
    ///
    /// [`Error::ReportWrite`] when the CSV writer fails.
    pub fn to_csv(&self) -> Result<String, Error> {
        csv_rows::write(&self.rows)
    }
}

/// A duration for people: `850 ms`, `12.3 s`, `4 m 05 s`.
pub(crate) fn human_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        let secs = duration.as_secs();
        format!("{} m {:02} s", secs / 60, secs % 60)
    }
}

/// A cost for people: `$0.0123`, or `-` when unknown.
pub(crate) fn human_cost(cost: Option<f64>) -> String {
    cost.map_or_else(|| "-".to_owned(), |cost| format!("${cost:.4}"))
}

/// A share for people: `87.5%`, or `-` when undefined.
pub(crate) fn human_rate(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

/// A metric value for people: four significant decimals.
pub(crate) fn human_metric(value: f64) -> String {
    format!("{value:.4}")
}

/// The report row of a stored task result: status, split, duration, tokens, cost and attempts,
/// and the metrics of its final response against the task's `expected` answer — the text
/// metrics ([`TextScores`](crate::metrics::TextScores)) when `expected` is a string, exact
/// match of the typed value when it is JSON and the task was structured.
pub fn row_of(result: &crate::record::TaskResult) -> Row {
    use crate::record::TaskStatus;
    let status = match result.status {
        TaskStatus::Succeeded => Status::Succeeded,
        TaskStatus::Failed => Status::Failed,
        TaskStatus::TimedOut => Status::TimedOut,
    };
    let mut row = Row::new(result.task_id.clone(), status)
        .duration(Duration::from_millis(result.duration_ms))
        .tokens(result.usage.input_tokens, result.usage.output_tokens)
        .attempts(result.attempts);
    if let Some(split) = &result.split {
        row = row.split(split.clone());
    }
    if let Some(cost) = result.cost_usd {
        row = row.cost_usd(cost);
    }
    match (&result.expected, &result.structured) {
        (Some(serde_json::Value::String(expected)), _) => {
            row = row.metrics(
                crate::metrics::TextScores::compute(&result.final_response, expected).to_map(),
            );
        }
        (Some(expected), Some(structured)) => {
            row = row.metric(
                "exact_match",
                if expected == structured { 1.0 } else { 0.0 },
            );
        }
        _ => {}
    }
    row
}
