//! The result of one task, as stored, exported and reported.

use std::collections::BTreeMap;

use codex_agent_sdk::{ThreadItem, Usage};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a task ended. A task with a result is never run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskStatus {
    /// Every turn completed.
    Succeeded,
    /// A turn failed with an error that is not retryable, or retries ran out.
    Failed,
    /// The per-task time limit was reached.
    TimedOut,
}

impl TaskStatus {
    /// The stored spelling (`succeeded`, `failed`, `timed_out`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Token counts of a task, summed over its turns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Cached input tokens.
    pub cached_input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Reasoning output tokens.
    pub reasoning_output_tokens: u64,
}

impl TokenUsage {
    /// Adds one turn's usage.
    pub fn add(&mut self, usage: &Usage) {
        self.input_tokens += usage.input_tokens;
        self.cached_input_tokens += usage.cached_input_tokens;
        self.output_tokens += usage.output_tokens;
        self.reasoning_output_tokens += usage.reasoning_output_tokens;
    }

    /// Input plus output tokens.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

/// What the agent did: items per type (`agent_message`, `command_execution`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    /// Items of every turn.
    pub total: u64,
    /// Items per wire type.
    pub by_type: BTreeMap<String, u64>,
}

impl ItemSummary {
    /// Counts `items`.
    pub fn add(&mut self, items: &[ThreadItem]) {
        for item in items {
            self.total += 1;
            *self.by_type.entry(item.item_type().to_owned()).or_default() += 1;
        }
    }
}

/// The result of one task: one row of the results, of the NDJSON and of the CSV export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskResult {
    /// The task's id.
    pub task_id: String,
    /// The task's split, when the run was split.
    pub split: Option<String>,
    /// How it ended.
    pub status: TaskStatus,
    /// The last turn's final response (empty when no turn completed).
    pub final_response: String,
    /// The last turn's answer parsed as JSON, for tasks with an `output_schema`.
    pub structured: Option<Value>,
    /// The task's `expected`, copied for metrics.
    pub expected: Option<Value>,
    /// Items of every turn.
    pub items: ItemSummary,
    /// Tokens of every turn.
    pub usage: TokenUsage,
    /// Estimated cost in USD (the facade's pricing table); `None` when the model is unpriced.
    pub cost_usd: Option<f64>,
    /// Wall time of the last attempt, in milliseconds.
    pub duration_ms: u64,
    /// Attempts made (1 when the first succeeded).
    pub attempts: u32,
    /// The last error, for failed and timed-out tasks.
    pub error: Option<String>,
    /// The codex thread id of the last attempt.
    pub thread_id: Option<String>,
    /// The worker that wrote the result.
    pub worker: String,
    /// The task's `metadata`, copied.
    pub metadata: Option<Value>,
}

/// The CSV header of [`TaskResult::csv_row`].
pub const CSV_HEADER: &str = "task_id,split,status,attempts,duration_ms,input_tokens,cached_input_tokens,output_tokens,reasoning_output_tokens,cost_usd,items,error,final_response";

impl TaskResult {
    /// One CSV row (RFC 4180 quoting), in [`CSV_HEADER`]'s order.
    #[must_use]
    pub fn csv_row(&self) -> String {
        let fields = [
            self.task_id.clone(),
            self.split.clone().unwrap_or_default(),
            self.status.as_str().to_owned(),
            self.attempts.to_string(),
            self.duration_ms.to_string(),
            self.usage.input_tokens.to_string(),
            self.usage.cached_input_tokens.to_string(),
            self.usage.output_tokens.to_string(),
            self.usage.reasoning_output_tokens.to_string(),
            self.cost_usd.map(|c| format!("{c:.6}")).unwrap_or_default(),
            self.items.total.to_string(),
            self.error.clone().unwrap_or_default(),
            self.final_response.clone(),
        ];
        fields
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
